"""The site's budget-vs-final query (预算执行) on a package built from fixtures
(tests/fixtures/budget_vs_final/): a department's 2024 budget and 2024 final account (same
department_id), a second department whose budget has no department_id (joined by division
and name), and documents that must not pair (the same department's 2023 budget; a budget
of the same name under another department_id). Amounts in yuan; rates in percent."""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from pipeline.metadata.registry import TABLES
from pipeline.publish.package import DATA_DIR, package_descriptor, write_table
from pipeline.publish.site import build_site, make_datasette, register_functions, site_config
from pipeline.publish.validate import validate_package

FIXTURES = Path(__file__).parent / "fixtures" / "budget_vs_final"
SHEGONG = "310107-0301"
BUDGET, FINAL = "pt-shegong-2024-budget", "pt-shegong-2024-final"
DANGAN_BUDGET, DANGAN_FINAL = "pt-danganguan-2024-budget", "pt-danganguan-2024-final"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The fixture CSVs as a data package (an empty CSV for every other table), validated
    against the schemas like a built one."""
    root = tmp_path_factory.mktemp("budget-vs-final") / "datapackage"
    (root / DATA_DIR).mkdir(parents=True)
    for table in TABLES:
        fixture = FIXTURES / f"{table.name}.csv"
        if fixture.is_file():
            shutil.copy(fixture, root / DATA_DIR / fixture.name)
        else:
            write_table(root / DATA_DIR / f"{table.name}.csv", table, [])
    descriptor = package_descriptor(root, [])
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(package) -> Path:
    out = package.parent / "site"
    build_site(package, out, "https://example.org/budgets")
    return out


@pytest.fixture(scope="module")
def conn(site):
    conn = sqlite3.connect(f"file:{site / 'budgets.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    register_functions(conn)
    yield conn
    conn.close()


def run(conn, name: str, **params) -> list[dict]:
    sql = site_config()["queries"][name]["sql"]
    values = {p: "" for p in re.findall(r":(\w+)", sql)}
    values.update(params)
    return [dict(r) for r in conn.execute(sql, values)]


COLUMNS = ("source", "resource", "scope", "level", "function_code", "item", "budget_phase",
           "budget", "final", "rate", "stated_rate")


def lines(rows: list[dict]) -> list[tuple]:
    return [tuple(r[c] for c in COLUMNS) for r in rows]


def test_the_fixtures_validate_against_the_schemas(package):
    assert validate_package(package / "datapackage.json") == []


def test_a_final_account_against_itself_and_against_the_budget(conn):
    rows = run(conn, "budget_vs_final", department=SHEGONG, year="2024")
    assert {(r["department_id"], r["fiscal_year"], r["final_document_id"]) for r in rows} == \
        {(SHEGONG, 2024, FINAL)}
    fn, tp, be = "expenditure_by_function", "three_public_expenses", "budget_execution"
    gpb = "general_public_budget"
    assert lines(rows) == [
        # the final account's function table: 全年预算 (adjusted) against 决算 (executed)
        ("final_account", fn, gpb, "合计", None, None, "adjusted", 2950000, 2902400, 98.39, None),
        ("final_account", fn, gpb, "类", "201", None, "adjusted", 2550000, 2502400, 98.13, None),
        ("final_account", fn, gpb, "款", "20136", None, "adjusted", 2550000, 2502400, 98.13, None),
        ("final_account", fn, gpb, "项", "2013601", None, "adjusted", 2050000, 2022400, 98.65, None),
        ("final_account", fn, gpb, "项", "2013602", None, "adjusted", 500000, 480000, 96.0, None),
        ("final_account", fn, gpb, "类", "208", None, "adjusted", 400000, 400000, 100.0, None),
        ("final_account", fn, gpb, "款", "20805", None, "adjusted", 400000, 400000, 100.0, None),
        ("final_account", fn, gpb, "项", "2080505", None, "adjusted", 400000, 400000, 100.0, None),
        # its 三公 table: 预算数 against 决算数 (categories with no amount on either side left out)
        ("final_account", tp, "three_public", "合计", None, "total", "adjusted", 48000, 41234.56,
         85.91, None),
        ("final_account", tp, "three_public", None, None, "vehicles", "adjusted", 30000, 28000,
         93.33, None),
        ("final_account", tp, "three_public", None, None, "vehicle_operation", "adjusted", 30000,
         28000, 93.33, None),
        ("final_account", tp, "three_public", None, None, "reception", "adjusted", 18000,
         13234.56, 73.53, None),
        # its narrative, per 项, with the rate it prints
        ("final_account", be, gpb, "合计", None, None, "adjusted", 2950000, 2902400, 98.39, 98.39),
        ("final_account", be, gpb, "项", "2013601", "1", "adjusted", 2050000, 2022400, 98.65,
         98.65),
        ("final_account", be, gpb, "项", "2013602", "2", "adjusted", 500000, 480000, 96.0, 96),
        ("final_account", be, gpb, "项", "2080505", "3", "adjusted", 400000, 400000, 100.0, 100),
        ("final_account", be, "three_public", "合计", None, None, "adjusted", 48000, 41234.56,
         85.91, 85.91),
        # across the two documents: the budget (approved) against the final account
        # (executed), fund by fund where both print it (the budget's government fund is not)
        ("budget_document", fn, "all", "合计", None, None, "approved", 3100000, 2980000, 96.13,
         None),
        ("budget_document", fn, gpb, "合计", None, None, "approved", 3000000, 2902400, 96.75, None),
        ("budget_document", fn, gpb, "类", "201", None, "approved", 2600000, 2502400, 96.25, None),
        ("budget_document", fn, gpb, "款", "20136", None, "approved", 2600000, 2502400, 96.25,
         None),
        ("budget_document", fn, gpb, "项", "2013601", None, "approved", 2000000, 2022400, 101.12,
         None),
        ("budget_document", fn, gpb, "项", "2013602", None, "approved", 600000, 480000, 80.0, None),
        ("budget_document", fn, gpb, "类", "208", None, "approved", 400000, 400000, 100.0, None),
        # printed by the final account only: the budget side is blank, not zero
        ("budget_document", fn, gpb, "款", "20805", None, "approved", None, 400000, None, None),
        ("budget_document", fn, gpb, "项", "2080505", None, "approved", 400000, 400000, 100.0,
         None),
        ("budget_document", tp, "three_public", "合计", None, "total", "approved", 50000,
         41234.56, 82.47, None),
        ("budget_document", tp, "three_public", None, None, "vehicles", "approved", 30000, 28000,
         93.33, None),
        ("budget_document", tp, "three_public", None, None, "vehicle_operation", "approved",
         30000, 28000, 93.33, None),
        ("budget_document", tp, "three_public", None, None, "reception", "approved", 20000,
         13234.56, 66.17, None),
    ]
    budget_side = {r["budget_document_id"] for r in rows if r["source"] == "budget_document"}
    assert budget_side == {BUDGET}  # not the 2023 budget, nor the one of another department_id
    assert {r["budget_document_id"] for r in rows if r["source"] == "final_account"} == {FINAL}
    names = {(r["function_code"], r["item"]): r["name"] for r in rows}
    assert names[("20805", None)] == "行政事业单位养老支出"
    assert names[(None, "reception")] == "公务接待费"
    assert names[("2013601", "1")] == "一般公共服务支出（类）社会工作事务（款）行政运行（项）"


def test_a_department_without_an_id_in_one_document_is_joined_by_division_and_name(conn):
    rows = run(conn, "budget_vs_final", department="档案馆", year="")
    assert [(r["department_id"], r["budget_document_id"], r["final_document_id"], r["level"],
             r["function_code"], r["budget"], r["final"], r["rate"]) for r in rows] == [
        ("310107-0412", DANGAN_BUDGET, DANGAN_FINAL, "合计", None, 1000000, 1030000, 103.0),
        ("310107-0412", DANGAN_BUDGET, DANGAN_FINAL, "项", "2012601", 1000000, 1030000, 103.0),
    ]


def test_only_final_accounts_give_rows_and_the_filters_work(conn):
    everything = run(conn, "budget_vs_final")
    assert {r["final_document_id"] for r in everything} == {FINAL, DANGAN_FINAL}
    assert len(everything) == 32
    assert run(conn, "budget_vs_final", department="", year="2023") == []
    assert len(run(conn, "budget_vs_final", department="普陀区", year="2024")) == 32


def test_other_queries_keep_budget_and_final_amounts_apart(conn):
    totals = run(conn, "function_class_totals", year="2024")
    assert [(r["phase"], r["function_class"], r["departments"], r["amount"]) for r in totals] \
        == [("approved", "201", 1, 2600000), ("approved", "208", 1, 400000),
            ("executed", "201", 1, 2502400), ("executed", "208", 1, 400000)]
    three = run(conn, "three_public_by_department", department=SHEGONG)
    assert [(r["fiscal_year"], r["document_id"], r["phase"], r["three_public_table"], r["total"])
            for r in three] == [
        (2023, "pt-shegong-2023-budget", "approved", "absent", None),
        (2024, BUDGET, "approved", "printed", 50000),
        (2024, FINAL, "adjusted", "printed", 48000),
        (2024, FINAL, "executed", "printed", 41234.56)]
    history = run(conn, "department_history", department=SHEGONG)
    assert [(r["fiscal_year"], r["kind"], r["phase"], r["spending_total"], r["three_public_total"])
            for r in history] == [
        (2023, "budget", "approved", None, None), (2024, "budget", "approved", 3100000, 50000),
        (2024, "final_accounts", "executed", 2980000, 41234.56)]


@pytest.fixture(scope="module")
def client(site, package):
    loop = asyncio.new_event_loop()
    ds = make_datasette(site / "budgets.db", site / "metadata.json", package)
    loop.run_until_complete(ds.invoke_startup())
    yield lambda path, **params: loop.run_until_complete(ds.client.get(path, params=params))
    loop.close()


def test_the_query_page_draws_the_rates(client, site):
    meta = json.loads((site / "metadata.json").read_text(encoding="utf-8"))
    query = meta["databases"]["budgets"]["queries"]["budget_vs_final"]
    assert query["title"].startswith("预算执行") and "Budget vs final" in query["title"]
    assert query["units"] == {"budget": "yuan", "final": "yuan"}
    assert query["columns"]["rate"].startswith("执行率 · final / budget")
    page = client("/budgets/budget_vs_final", department=SHEGONG, year="2024")
    assert page.status_code == 200
    chart = re.search(r'<figure class="chart-figure" id="budget-vs-final">.*?</figure>',
                      page.text, re.S)
    assert chart, "no chart"
    svg = chart.group(0)
    assert svg.count("<rect ") == 29  # one bar per line with a rate (20805 has none)
    assert svg.count('fill="#dd6b20"') == 1  # above 100%: 2013601 against the budget
    for text in ("101.12% · 202.24 / 200.00 万元", "– · 40.00 / – 万元", "85.91%",
                 "4.12 / 4.80 万元", "预算文档 the budget document pt-shegong-2024-budget",
                 "决算中的预算数"):
        assert text in svg, text
    rows = client("/budgets/budget_vs_final.json", department=SHEGONG, year="2024",
                  _shape="array").json()
    assert len(rows) == 30 and rows[0]["rate"] == 98.39
    headers = re.findall(r'<th class="col-(\w+)" scope="col" title="([^"]*)"><span '
                         r'class="col-label">([^<]*)</span>', page.text)
    assert [h[0] for h in headers] == list(rows[0])  # every column, described in Chinese
    assert all(re.search(r"[\u4e00-\u9fff]", label) for _, _, label in headers)
    empty = client("/budgets/budget_vs_final", department="nobody", year="")
    assert empty.status_code == 200 and "budget-vs-final" not in empty.text
