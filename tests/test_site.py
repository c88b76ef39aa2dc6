"""The Datasette site: the database built from the package, Chinese full-text search, the
metadata, every canned query through Datasette's own test client, the JSON API, charts, and
that nothing can write. Golden values are the seeds' printed figures (in yuan)."""
from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import markupsafe
import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner

from conftest import ROOT, SEEDS, copy_seed
from pipeline.publish.build import build
from pipeline.cli import cli
from pipeline.metadata.registry import BY_NAME, TABLES
from pipeline.publish.site import (SITE_DIR, SiteError, build_site, make_datasette, plugin_module,
                           publish_args, register_functions, serve_args, site_config)

HOTLINE = "新乡市12345政务服务便民热线平台经费"
HOTLINE_CODE = "410700240000000005617"
XINXIANG = "410700-709"
XINXIANG_DOC = "xinxiang-city-zwfw-2024-budget"
HONGQI_DOC = "xinxiang-hongqi-zwfw-2022-budget"
XUCHANG_DOC = "xuchang-city-zwfw-2024-budget"
RENAMED = "新乡市行政审批和政务信息管理局"


def build_seed_site(root: Path, repository: str | None = "https://example.org/budgets"
                    ) -> tuple[Path, Path]:
    """The package of the three seed documents and its site under `root`:
    (package folder, site folder). Only the seeds, so golden values stay fixed whatever
    other documents sources/ gains."""
    sources = root / "sources"
    sources.mkdir(parents=True)
    for seed in SEEDS:
        copy_seed(seed, sources)
    package = root / "datapackage"
    result = build(sources, package, progress=False)
    assert result.ok, (result.failed, result.validation_errors)
    site = root / "site"
    build_site(package, site, repository)
    return package, site


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory) -> tuple[Path, Path]:
    return build_seed_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def db_path(seed_site) -> Path:
    return seed_site[1] / "budgets.db"


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


class Client:
    """Datasette's own test client (datasette.client), driven synchronously."""

    def __init__(self, ds, loop):
        self.ds, self.loop = ds, loop
        loop.run_until_complete(ds.invoke_startup())

    def get(self, path: str, **params):
        return self.loop.run_until_complete(self.ds.client.get(path, params=params or None))

    def json(self, path: str, **params):
        response = self.get(path, **params)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def rows(self, path: str, **params) -> list[dict]:
        return self.json(path, _shape="array", **params)


@pytest.fixture(scope="module")
def client(seed_site, loop) -> Client:
    package, site = seed_site
    return Client(make_datasette(site / "budgets.db", site / "metadata.json", package), loop)


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    register_functions(conn)
    return conn


def append_row(package: Path, table: str, **values) -> None:
    """A row added to a table of a built package (columns it does not name are blank)."""
    names = BY_NAME[table].field_names()
    if "phase" in names:  # a budget's amounts
        values.setdefault("phase", "approved")
    with open(package / "data" / f"{table}.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow([values.get(n, "") for n in names])


def add_document(package: Path, doc: str, name: str, code: str, division_code: str,
                 division_name: str, year: int, spending: int | None = None,
                 **document) -> None:
    """A budget document added to a built package; with `spending`, its table 3 total
    (all basic) and table 1 line of class 201, so the charts have figures for it.
    `document`: more of its documents columns (source_url, published_date, …)."""
    values = dict(document_id=doc, title=f"{year}年{name}部门预算公开",
                  department_name=name, department_code=code,
                  department_id=f"{division_code}-{code}", division_name=division_name,
                  division_code=division_code, fiscal_year=str(year), kind="budget",
                  consolidated="false", level="department", source_format="transcript",
                  source_file="transcript.txt", sha256="0" * 64, tables_found="3")
    append_row(package, "documents", **dict(values, **document))
    if spending is not None:
        append_row(package, "expenditure_by_function", document_id=doc, fund="all",
                   line_type="total", total=str(spending), basic=str(spending), project="0",
                   source_table="支出总表")
        append_row(package, "income_expenditure_summary", document_id=doc,
                   side="expenditure", item="一般公共服务", item_code="function_class_201",
                   function_code="201", amount=str(spending), source_table="收支总表")


# --------------------------------------------------------------------------------------
# The database


def test_every_table_has_its_schema_types_and_keys(db_path, seed_site):
    db = sqlite_utils.Database(db_path)
    descriptor = json.loads((seed_site[0] / "datapackage.json").read_text(encoding="utf-8"))
    sql_type = {"string": "TEXT", "integer": "INTEGER", "number": "NUMERIC", "boolean": "INTEGER"}
    for resource in descriptor["resources"]:
        table = db[resource["name"]]
        assert table.exists(), resource["name"]
        schema = resource["schema"]
        assert table.columns_dict and [c.name for c in table.columns] == \
            [f["name"] for f in schema["fields"]]
        types = {c.name: c.type for c in table.columns}
        for f in schema["fields"]:
            assert types[f["name"]] == sql_type[f["type"]], (resource["name"], f["name"])
        assert table.pks == schema["primaryKey"]
        declared = {(fk.column, fk.other_table, fk.other_column) for fk in table.foreign_keys}
        for fk in schema["foreignKeys"]:
            assert (fk["fields"][0], fk["reference"]["resource"],
                    fk["reference"]["fields"][0]) in declared
        if "document_id" in table.columns_dict and resource["name"] != "documents":
            assert ("document_id", "documents", "document_id") in declared
        with open(seed_site[0] / resource["path"], encoding="utf-8", newline="") as f:
            assert table.count == len(list(csv.DictReader(f))), resource["name"]
    assert ("department_id", "departments", "department_id") in {
        (fk.column, fk.other_table, fk.other_column) for fk in db["documents"].foreign_keys}


def test_values_keep_their_types_and_blanks(db_path):
    conn = connect(db_path)
    row = conn.execute("select * from projects where project_name = ?", [HOTLINE]).fetchone()
    assert (row["total"], row["general_public_budget"], row["government_fund"]) == \
        (704000, 704000, None)
    assert type(row["total"]) is int  # a whole amount is an integer (NUMERIC affinity)
    fen = conn.execute("select typeof(amount) as t, amount from function_class_spending "
                       "where amount != cast(amount as integer) limit 1").fetchone()
    assert fen is None or fen["t"] == "real"
    doc = conn.execute("select * from documents where document_id = ?", [XUCHANG_DOC]).fetchone()
    assert (doc["fiscal_year"], doc["consolidated"], doc["department_id"]) == \
        (2024, 1, "411000-070")
    # a blank key column is '' (primary keys are NOT NULL); other blanks stay NULL
    total = conn.execute("select * from projects where document_id = ? and line_type = 'total'",
                         [XINXIANG_DOC]).fetchone()
    assert (total["unit_code"], total["project_type"], total["total"]) == ("", "", 460510100.0)


def test_indexes_cover_the_filtered_and_joined_columns(db_path):
    db = sqlite_utils.Database(db_path)
    indexed = {(t, tuple(i.columns)) for t in db.table_names() for i in db[t].indexes}
    for table, columns in site_config()["indexes"].items():
        for cols in columns:
            assert (table, tuple(cols)) in indexed
    plan = " ".join(r[3] for r in db.execute(
        "explain query plan select * from documents where department_id = '410700-709'"))
    assert "USING INDEX" in plan


def test_views_answer_the_common_questions(db_path):
    conn = connect(db_path)
    summary = {r["document_id"]: dict(r) for r in conn.execute("select * from document_summary")}
    assert set(summary) == set(SEEDS)
    x = summary[XINXIANG_DOC]
    assert (x["income_total"], x["spending_total"], x["basic"], x["project"]) == \
        (471725300, 471725300, 11215200, 460510100)
    assert (x["basic_share"], x["project_share"], x["three_public_total"], x["projects"]) == \
        (2.38, 97.62, 26000, 9)
    h = summary[HONGQI_DOC]
    assert (h["three_public_table"], h["three_public_total"], h["checks_failed"]) == \
        ("empty", None, 7)
    classes = {r["function_class"]: r["amount"] for r in conn.execute(
        "select * from function_class_spending where document_id = ?", [XINXIANG_DOC])}
    assert classes == {"201": 14534700, "206": 50000000, "208": 1216100, "210": 800700,
                       "229": 405173800}


def test_departments_keep_one_id_across_years_and_renames(tmp_path, seed_site):
    """A 2025 disclosure of the same department (410700-709) under its new name lines up
    with its 2024 one: one department, two names, one history."""
    package = tmp_path / "datapackage"
    shutil.copytree(seed_site[0], package)

    def append(table: str, **values):
        append_row(package, table, **values)

    doc = "xinxiang-city-xzsp-2025-budget"
    add_document(package, doc, RENAMED, "709", "410700", "河南省新乡市", 2025)
    append("expenditure_by_function", document_id=doc, fund="all", line_type="total",
           total="60000000", basic="12000000", project="48000000", source_table="支出总表")
    append("three_public_expenses", document_id=doc, line_type="total", total="20000",
           vehicles="16000", vehicle_operation="16000", reception="4000",
           source_table="“三公”经费支出情况表")
    append("income_expenditure_summary", document_id=doc, side="expenditure",
           item="一般公共服务", item_code="function_class_201", function_code="201",
           amount="60000000", source_table="收支总表")
    build_site(package, tmp_path / "site", "https://example.org/budgets")
    conn = connect(tmp_path / "site" / "budgets.db")
    dep = dict(conn.execute("select * from departments where department_id = ?",
                            [XINXIANG]).fetchone())
    assert (dep["department_name"], dep["first_year"], dep["last_year"], dep["documents"]) == \
        (RENAMED, 2024, 2025, 2)
    assert dep["names"] == f"{RENAMED} / 新乡市政务服务和大数据管理局"
    query = site_config()["queries"]["department_history"]["sql"]
    for term in (XINXIANG, "行政审批", "新乡市政务服务"):  # the id, the new name, the old name
        rows = [dict(r) for r in conn.execute(query, {"department": term})]
        assert [(r["fiscal_year"], r["name_that_year"], r["spending_total"]) for r in rows] == [
            (2024, "新乡市政务服务和大数据管理局", 471725300),
            (2025, RENAMED, 60000000)], term
    search = site_config()["queries"]["search_everything"]["sql"]
    found = [dict(r) for r in conn.execute(search, {"q": "政务信息"})]
    assert [r["kind"] for r in found] == ["department"] and RENAMED in found[0]["name"]

    loop = asyncio.new_event_loop()
    try:
        charts = Client(make_datasette(tmp_path / "site" / "budgets.db",
                                       tmp_path / "site" / "metadata.json", package), loop)
        page = charts.get("/charts", department_id=XINXIANG).text
    finally:
        loop.close()
    assert "2024年" in page and "2025年" in page and "6,000.00 万元" in page
    assert "2.00 万元" in page and "2.60 万元" in page  # 三公 2025 and 2024


# --------------------------------------------------------------------------------------
# Chinese full-text search


def test_index_terms_are_overlapping_bigrams():
    plugin = plugin_module()
    assert plugin.index_terms("新乡市12345热线") == "新乡 乡市 市 12345 热线 线"
    assert plugin.index_terms("（１２３４５）ABC") == "12345 abc"  # NFKC, case-folded
    assert plugin.fts_query("大数据") == '"大数 数据"'
    assert plugin.fts_query("热线") == '"热线"'
    assert plugin.fts_query("热") == '"热"*'
    assert plugin.fts_query("大数据 热线") == '"大数 数据" "热线"'
    assert plugin.fts_query("") == plugin.fts_query(' " ') == '""'


@pytest.mark.parametrize("term, expected", [
    ("热线", {HOTLINE}),
    ("大数据", {"新乡市大数据产业园建设项目(二期)(2023年结转)",
              "新乡市大数据产业园二期建设项目(2023年结转)",
              "新乡市大数据产业园建设项目二期(2023年结转)",
              "新乡市政务服务和大数据管理局聘用人员经费"}),
    ("产业园建设项目", {"新乡市大数据产业园建设项目(二期)(2023年结转)",
                 "新乡市大数据产业园建设项目二期(2023年结转)"}),
    ("便民", {HOTLINE}),          # two characters inside a longer run
    ("经费 热线", {HOTLINE}),      # every term must match
    ("12345", {HOTLINE}),
    ("市12345政务", {HOTLINE}),    # across a CJK / digit boundary
    ("１２３４５", {HOTLINE}),      # full-width digits
    ("市民之家", {"【统筹本级】市民之家运行经费", "【基本运转】市民之家运行经费"}),
    ("电子印", {"电子印章"}),
    ("党", {"党建经费"}),          # one character: a prefix of its bigrams
    ("热数", set()),               # not a substring of anything
    ("12345热线", set()),          # the name has 政务… between them
    ("", set()),
])
def test_chinese_search_finds_substrings(db_path, term, expected):
    conn = connect(db_path)
    found = {r[0] for r in conn.execute(
        "select p.project_name from projects_fts f join projects p on p.rowid = f.rowid "
        "where projects_fts match cjk_match(?) and p.line_type = 'item'", [term])}
    assert found == expected


def test_datasette_search_box_understands_chinese(client):
    rows = client.rows("/budgets/projects.json", _search="热线")
    assert [(r["project_name"], r["total"]) for r in rows] == [(HOTLINE, 704000)]
    departments = client.rows("/budgets/departments.json", _search="大数据")
    assert {d["department_id"] for d in departments} == {XINXIANG, "410702-028", "411000-070"}
    targets = client.rows("/budgets/performance_targets.json", _search="群众满意度",
                          _size="max")
    assert targets and all("群众满意度" in t["level3"] or "群众满意度" in (t["project_name"] or "")
                           for t in targets)
    page = client.get("/budgets/projects", _search="大数据")
    assert page.status_code == 200 and "227,601,900" in page.text


# --------------------------------------------------------------------------------------
# Canned queries, each through Datasette with golden rows


def _by(rows, key, value):
    return next(r for r in rows if r[key] == value)


def check_three_public_by_department(rows):
    x = _by(rows, "department_id", XINXIANG)
    assert (x["fiscal_year"], x["total"], x["vehicles"], x["reception"]) == (2024, 26000, 21000, 5000)
    assert (x["travel_abroad"], x["three_public_table"]) == (None, "printed")
    assert _by(rows, "department_id", "411000-070")["total"] == 85000
    hongqi = _by(rows, "department_id", "410702-028")
    assert (hongqi["three_public_table"], hongqi["total"]) == ("empty", None)


def check_largest_projects(rows):
    assert [r["total"] for r in rows] == sorted((r["total"] for r in rows), reverse=True)
    assert (rows[0]["project_name"], rows[0]["total"], rows[0]["project_code"]) == \
        ("新乡市大数据产业园二期建设项目(2023年结转)", 227601900, "410700240000000034596")
    assert _by(rows, "project_name", "【专项资金】信息化建设资金")["total"] == 30000000
    assert len(rows) == 23


def check_spending_by_function_class(rows):
    general = {r["department_id"]: (r["amount"], r["share"]) for r in rows
               if r["function_class"] == "201"}
    assert general == {XINXIANG: (14534700, 3.08), "411000-070": (43102000, 96.66),
                       "410702-028": (2954200, 100.0)}
    assert _by(rows, "function_class", "206")["function_class_name"] == "科学技术支出"


def check_function_class_totals(rows):
    row = next(r for r in rows if r["fiscal_year"] == 2024 and r["function_class"] == "201")
    assert (row["departments"], row["amount"]) == (2, 14534700 + 43102000)


def check_department_history(rows):
    assert [(r["fiscal_year"], r["name_that_year"], r["spending_total"], r["basic"],
             r["project"], r["three_public_total"], r["projects"]) for r in rows] == [
        (2024, "新乡市政务服务和大数据管理局", 471725300, 11215200, 460510100, 26000, 9)]


def check_basic_vs_project(rows):
    assert [r["document_id"] for r in rows] == [XINXIANG_DOC, XUCHANG_DOC, HONGQI_DOC]
    hongqi = rows[-1]
    assert (hongqi["basic"], hongqi["project"], hongqi["basic_share"], hongqi["project_share"]) \
        == (1680100, 1274100, 56.87, 43.13)


def check_failing_checks(rows):
    assert {r["document_id"] for r in rows} == {HONGQI_DOC} and len(rows) == 7
    row = next(r for r in rows if r["subject"] == "表一 其中：财政拨款")
    assert (row["rule"], row["expected"], row["actual"], row["difference"]) == \
        ("appropriation_matches_general_budget", 2954200, 2939200, -15000)
    assert all(r["acknowledged"] for r in rows)


def check_search_projects(rows):
    assert [(r["project_name"], r["total"], r["department_name"]) for r in rows] == \
        [(HOTLINE, 704000, "新乡市政务服务和大数据管理局")]


def check_project_indicators(rows):
    assert len(rows) == 9 and {r["project_code"] for r in rows} == {HOTLINE_CODE}
    calls = _by(rows, "level3", "接通群众来电数量")
    assert (calls["value"], calls["operator"], calls["value_number"], calls["value_unit"]) == \
        ("≥500000个", "≥", 500000, "个")


def check_search_everything(rows):
    kinds = [r["kind"] for r in rows]
    assert kinds[:3] == ["department"] * 3 and "project" in kinds
    assert {r["name"] for r in rows if r["kind"] == "department"} == {
        "新乡市政务服务和大数据管理局", "新乡市红旗区政务服务和大数据管理局", "许昌市政务服务和大数据管理局"}
    assert _by(rows, "name", "新乡市大数据产业园二期建设项目(2023年结转)")["amount"] == 227601900


GOLDEN = {name[len("check_"):]: check for name, check in globals().items()
          if name.startswith("check_")}
# Queries the seeds (budgets only) give no rows: their golden rows are tested elsewhere.
ELSEWHERE = {"budget_vs_final": "tests/test_budget_vs_final.py"}


def test_there_are_at_least_eight_canned_queries_each_with_golden_rows():
    queries = site_config()["queries"]
    assert len(queries) >= 8
    assert set(queries) == set(GOLDEN) | set(ELSEWHERE)


@pytest.mark.parametrize("name", sorted(site_config()["queries"]))
def test_canned_query(client, name):
    query = site_config()["queries"][name]
    params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
    params.update(query.get("example") or {})
    page = client.get(f"/budgets/{name}", **params)
    assert page.status_code == 200 and str(markupsafe.escape(query["title"])) in page.text
    rows = client.rows(f"/budgets/{name}.json", **params)
    if name in ELSEWHERE:  # no final account among the seeds: no rows, none made up
        assert rows == [], name
        return
    assert rows, name
    GOLDEN[name](rows)


def test_canned_query_parameters_filter(client):
    rows = client.rows("/budgets/three_public_by_department.json", department="许昌")
    assert [r["department_id"] for r in rows] == ["411000-070"]
    rows = client.rows("/budgets/largest_projects.json", year="2022", type="")
    assert {r["fiscal_year"] for r in rows} == {2022} and len(rows) == 7
    rows = client.rows("/budgets/project_indicators.json", project=HOTLINE_CODE)
    assert len(rows) == 9
    rows = client.rows("/budgets/spending_by_function_class.json", year="", **{"class": "社会保障"})
    assert {r["function_class"] for r in rows} == {"208"}
    assert client.rows("/budgets/search_projects.json", q="") == []


# --------------------------------------------------------------------------------------
# JSON API, read-only SQL


def test_json_api_for_a_table_and_a_query(client):
    data = client.json("/budgets/documents.json", _shape="objects")
    assert data["database"] == "budgets" and data["table"] == "documents"
    docs = {r["document_id"]: r for r in data["rows"]}
    assert docs[XINXIANG_DOC]["department_id"] == XINXIANG
    assert docs[HONGQI_DOC]["fiscal_year"] == 2022
    projects = client.rows("/budgets/projects.json", document_id=XINXIANG_DOC,
                           line_type="item", _sort_desc="total", _size="3")
    assert [p["total"] for p in projects] == [227601900, 99953500, 77618400]
    labelled = client.rows("/budgets/projects.json", _search="热线", _labels="on")
    assert labelled[0]["document_id"]["label"] == "2024年新乡市政务服务和大数据管理局部门预算公开"
    query = client.json("/budgets/search_projects.json", q="热线")
    assert query["columns"][:2] == ["project_name", "total"]
    assert query["rows"] == [[HOTLINE, 704000, "其他运转类", "新乡市政务服务和大数据管理局", 2024,
                              "新乡市政务服务和大数据管理局", XINXIANG_DOC]]
    raw = client.get("/budgets/search_projects.json", q="热线").text
    assert ", 704000, " in raw and "704000.0" not in raw
    sql = client.rows("/budgets.json", sql="select count(*) as n from projects where total > :t",
                      t="100000000")
    assert sql == [{"n": 3}]  # the total, department and largest item lines
    wan = client.rows("/budgets/projects.json", total__gt="10000万元", line_type="item")
    assert {p["total"] for p in wan} == {227601900}


@pytest.mark.parametrize("sql", [
    "insert into documents (document_id) values ('x')",
    "update projects set total = 0",
    "delete from checks",
    "drop table projects",
    "create table notes (x)",
    "with t as (select 1) delete from checks",
    "with t as (select 1) update projects set total = 0",
    "pragma writable_schema = 1",
    "attach database 'other.db' as other",
    "vacuum",
    "select 1; delete from checks",
])
def test_arbitrary_sql_cannot_write(client, db_path, sql):
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    response = client.get("/budgets.json", sql=sql)
    assert response.status_code in (400, 403, 500)
    assert response.json()["ok"] is False
    assert client.rows("/budgets.json", sql="select count(*) as n from checks")[0]["n"] > 0
    assert client.rows("/budgets.json", sql="select min(total) as t from projects "
                       "where line_type = 'total'")[0]["t"] > 0
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_database_is_immutable_and_queries_are_time_limited(client):
    databases = client.json("/-/databases.json")
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("budgets", False)]
    settings = client.json("/-/settings.json")
    assert settings["sql_time_limit_ms"] == site_config()["settings"]["sql_time_limit_ms"]
    response = client.get("/budgets.json", sql="with recursive c(x) as (select 1 union all "
                          "select x + 1 from c) select count(*) from c")
    assert response.status_code == 400 and "too long" in response.text


def test_no_plugin_writes_and_results_stop_at_max_returned_rows(client):
    """Only the project's own plugin is loaded (no upload or write plugin is installed), it
    grants no permissions, and neither SQL nor a table page returns more rows than
    site.yml's max_returned_rows."""
    plugins = client.json("/-/plugins.json")
    assert [p["name"] for p in plugins] == ["budget_site.py"]
    assert not {"permission_allowed", "actor_from_request"} & set(plugins[0]["hooks"])
    cap = site_config()["settings"]["max_returned_rows"]
    data = client.json("/budgets.json", _shape="objects", sql="with recursive n(x) as "
                       f"(select 1 union all select x + 1 from n where x < {3 * cap}) "
                       "select x from n")
    assert len(data["rows"]) == cap and data["truncated"] is True
    response = client.get("/budgets/projects.json", _size=str(cap + 1))
    assert response.status_code == 400 and f"_size must be <= {cap}" in response.text


# --------------------------------------------------------------------------------------
# Metadata, landing page, charts, downloads


def test_metadata_comes_from_the_registry(seed_site):
    meta = json.loads((seed_site[1] / "metadata.json").read_text(encoding="utf-8"))
    assert meta["title"].startswith("中国部门预算公开数据")
    assert meta["license"] == "CC-BY-4.0" and meta["license_url"].startswith("https://")
    assert meta["source_url"] == "https://example.org/budgets"
    tables = meta["databases"]["budgets"]["tables"]
    for table in TABLES:
        t = tables[table.name]
        assert t["title"] == f"{table.title} ({table.name})"
        assert t["description"].startswith(table.description)
        for f in table.fields:
            assert t["columns"][f.name].startswith(f"{f.title} · {f.description}")
            assert (t.get("units", {}).get(f.name) == "yuan") == f.amount
    assert tables["projects"]["columns"]["total"] == "合计 · Total. In yuan (元)."
    assert {"fiscal_year", "division_name"} <= set(tables["documents"]["facets"])
    assert "project_type" in tables["projects"]["facets"]
    assert "function_class_name" in tables["function_class_spending"]["facets"]
    assert tables["projects"]["sort_desc"] == "total"
    assert tables["projects_fts"]["hidden"] is True
    assert len(meta["databases"]["budgets"]["queries"]) >= 8
    plugin = meta["plugins"]["budget-site"]
    descriptor = json.loads((seed_site[0] / "datapackage.json").read_text(encoding="utf-8"))
    assert plugin["package_version"] == descriptor["version"]
    assert (plugin["documents"], plugin["first_year"], plugin["last_year"]) == (3, 2022, 2024)


def test_build_fails_when_a_column_lacks_a_description(tmp_path, seed_site):
    site_dir = tmp_path / "config"
    site_dir.mkdir()
    for name in ("site.yml", "views.yml", "queries.yml"):
        shutil.copy(SITE_DIR / name, site_dir / name)
    views = yaml.safe_load((site_dir / "views.yml").read_text(encoding="utf-8"))
    del views["function_class_spending"]["columns"]["share"]
    (site_dir / "views.yml").write_text(
        yaml.safe_dump(views, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SiteError, match=r"column function_class_spending\.share"):
        build_site(seed_site[0], tmp_path / "out", "https://example.org", site_dir=site_dir)
    config = yaml.safe_load((SITE_DIR / "site.yml").read_text(encoding="utf-8"))
    del config["derived_tables"]["department_names"]
    (site_dir / "site.yml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                       encoding="utf-8")
    shutil.copy(SITE_DIR / "views.yml", site_dir / "views.yml")
    with pytest.raises(SiteError, match=r"table department_names"):
        build_site(seed_site[0], tmp_path / "out", "https://example.org", site_dir=site_dir)


def test_datasette_version_is_pinned_everywhere():
    import datasette.version

    pins = [r for r in site_config()["install"] if r.startswith("datasette==")]
    assert pins == [f"datasette=={datasette.version.__version__}"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert pyproject.count(f'"{pins[0]}"') >= 2  # the site and test extras


def test_landing_page_explains_and_links_downloads(client, seed_site):
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    version = json.loads((seed_site[0] / "datapackage.json").read_text(encoding="utf-8"))["version"]
    for expected in ("中国部门预算公开数据", "这是什么", "数据来源", "数据版本",
                     f"version <strong>{version}</strong>", "新乡市红旗区政务服务和大数据管理局",
                     "https://example.org/budgets", "amounts in yuan"):
        assert expected in text, expected
    links = set(re.findall(r'href="([^"]+)"', text))
    for link in ("/datapackage/datapackage.json", "/datapackage/README.md",
                 "/datapackage/data/projects.csv", "/budgets.db", "/charts",
                 "/budgets/search_everything", "/budgets/department_history"):
        assert link in links, link
        response = client.get(link)
        assert response.status_code == 200, link
    csv_text = client.get("/datapackage/data/projects.csv").text
    assert HOTLINE in csv_text
    assert client.json("/datapackage/datapackage.json")["version"] == version


def test_table_page_shows_descriptions_and_readable_amounts(client):
    page = client.get("/budgets/projects", line_type="item")
    assert page.status_code == 200
    assert "项目支出表 (projects)" in page.text
    assert "项目名称 · Project name as printed" in page.text
    assert "227,601,900" in page.text
    assert 'class="facet-info' in page.text or "facet-results" in page.text
    row = client.get(f"/budgets/projects/{XINXIANG_DOC},approved,total,,,,,")  # blank key parts
    assert row.status_code == 200 and "460,510,100" in row.text


def test_charts_draw_a_department(client):
    page = client.get("/charts", department_id=XINXIANG)
    assert page.status_code == 200
    text = page.text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    for expected in ("新乡市政务服务和大数据管理局", "201 一般公共服务支出", "1,453.47 万元",
                     "229 其他支出", "40,517.38 万元", "基本支出", "1,121.52 万元",
                     "46,051.01 万元", "“三公”经费", "2.60 万元", "公务接待费", "0.50 万元"):
        assert expected in text, expected
    empty = client.get("/charts", department_id="410702-028").text
    assert "空表 (none)" in empty
    assert "Unknown department" in client.get("/charts", department_id="nope").text
    assert client.get("/charts").status_code == 200


# --------------------------------------------------------------------------------------
# Commands


def test_site_command_builds_database_and_metadata(tmp_path, seed_site):
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["site", "--package", str(seed_site[0]), "--out", str(out),
                                      "--repository-url", "https://example.org/r"])
    assert result.exit_code == 0, result.output
    assert (out / "budgets.db").is_file() and (out / "metadata.json").is_file()
    assert "budgets.db" in result.output
    missing = CliRunner().invoke(cli, ["site", "--package", str(tmp_path / "none"),
                                       "--out", str(out)])
    assert missing.exit_code == 1 and "python -m pipeline build" in missing.output


def test_serve_and_publish_use_one_set_of_options(seed_site):
    package, site = seed_site
    db, metadata = site / "budgets.db", site / "metadata.json"
    serve = serve_args(db, metadata, package, port=9999)
    assert serve[:3] == ["serve", "-i", str(db)]
    assert ["--setting", "sql_time_limit_ms", "3000"] == serve[serve.index("sql_time_limit_ms") - 1:
                                                               serve.index("sql_time_limit_ms") + 2]
    image = publish_args("package", db, metadata, package, ("--tag", "budgets"))
    assert image[:2] == ["package", str(db)]
    assert image[image.index("--install") + 1] == site_config()["install"][0]
    assert "--setting sql_time_limit_ms 3000" in image[image.index("--extra-options") + 1]
    assert f"datapackage:{package}" in image and image[-2:] == ["--tag", "budgets"]
    assert publish_args("cloudrun", db, metadata, package)[:2] == ["publish", "cloudrun"]
    result = CliRunner().invoke(cli, ["publish", "package", "--dry-run", "--package",
                                      str(package), "--out", str(site), "--tag", "x"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("datasette package ") and "--tag x" in result.stdout
    for command in (["serve", "--help"], ["publish", "--help"], ["site", "--help"]):
        assert CliRunner().invoke(cli, command).exit_code == 0


def test_publish_package_builds_a_complete_image_context(tmp_path, seed_site, monkeypatch):
    """`python -m pipeline publish package` gives `docker build` a folder that serves the
    site: database, metadata, plugin, templates, downloads, pinned Datasette, settings.
    (docker itself is stubbed: no engine runs here.)"""
    import datasette.cli

    seen = {}

    def docker(args):
        seen["args"] = args
        seen["files"] = sorted(str(p) for p in Path(".").rglob("*") if p.is_file()
                               and "__pycache__" not in p.parts)
        seen["dockerfile"] = Path("Dockerfile").read_text(encoding="utf-8")
        return 0

    monkeypatch.setattr(datasette.cli.shutil, "which", lambda name: "/usr/bin/docker")
    monkeypatch.setattr(datasette.cli, "call", docker)
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", "package", "--package", str(seed_site[0]),
                                      "--out", str(out), "--tag", "budgets-site"])
    assert result.exit_code == 0, result.output
    assert seen["args"] == ["docker", "build", "-t", "budgets-site", "."]
    for path in ("budgets.db", "metadata.json", "plugins/budget_site.py",
                 "templates/index.html", "templates/charts.html", "assets/site.css",
                 "datapackage/datapackage.json", "datapackage/data/projects.csv"):
        assert path in seen["files"], path
    dockerfile = seen["dockerfile"]
    assert "pip install -U datasette datasette==0.65.5" in dockerfile
    for part in ("-i budgets.db", "--metadata metadata.json", "--plugins-dir plugins/",
                 "--template-dir templates/", "--static datapackage:datapackage",
                 "--setting sql_time_limit_ms 3000"):
        assert part in dockerfile, part


# --------------------------------------------------------------------------------------
# Many departments: grouped by province and city, a picker, charts with top-N

DIVISIONS = """code,name,level,parent_code
110000,北京市,province,
110105,朝阳区,county,110000
310000,上海市,province,
310107,普陀区,county,310000
320000,江苏省,province,
350000,福建省,province,
350100,福州市,city,350000
350500,泉州市,city,350000
370000,山东省,province,
370600,烟台市,city,370000
410000,河南省,province,
410700,新乡市,city,410000
410702,红旗区,county,410700
411000,许昌市,city,410000
419001,济源市,county,410000
440000,广东省,province,
440100,广州市,city,440000
440300,深圳市,city,440000
440304,福田区,county,440300
"""

# (division code, division name as printed, department names); 430100 (长沙) is not in the
# divisions table above, so its names come from the division name.
MANY = [
    ("110000", "北京市", ["北京市财政局", "北京市教育委员会", "北京市规划和自然资源委员会"]),
    ("110105", "北京市朝阳区", ["北京市朝阳区财政局"]),
    ("310107", "上海市普陀区", ["上海市普陀区司法局"]),
    ("320000", "江苏省", ["江苏省人大常委会办公厅"]),
    ("440300", "广东省深圳市", [f"深圳市{n}" for n in ("财政局", "教育局", "科技创新局", "公安局",
                                                  "民政局", "司法局", "卫生健康委员会", "水务局")]),
    ("440304", "广东省深圳市福田区", ["深圳市福田区教育局"]),
    ("440100", "广东省广州市", [f"广州市{n}" for n in ("财政局", "教育局", "民政局", "司法局",
                                                  "审计局", "统计局")]),
    ("370600", "山东省烟台市", [f"烟台市{n}" for n in ("财政局", "教育局", "民政局", "审计局",
                                                  "水务局")]),
    ("350100", "福建省福州市", [f"福州市{n}" for n in ("财政局", "教育局", "民政局", "审计局")]),
    ("350500", "福建省泉州市", ["泉州市财政局", "泉州市教育局"]),
    ("419001", "河南省济源市", ["济源市财政局"]),
    ("430100", "湖南省长沙市", ["长沙市财政局"]),
]


@pytest.fixture(scope="module")
def many_site(seed_site, tmp_path_factory):
    """The seeds plus 34 departments of 2024 in 8 provinces, with a divisions table."""
    root = tmp_path_factory.mktemp("many")
    package = root / "datapackage"
    shutil.copytree(seed_site[0], package)
    n = 0
    for division_code, division_name, names in MANY:
        for name in names:
            n += 1
            add_document(package, f"many-{division_code}-{n:03d}-2024-budget", name,
                         f"{n:03d}", division_code, division_name, 2024,
                         spending=1_000_000 * n + 50)
    divisions = root / "divisions.csv"
    divisions.write_text(DIVISIONS, encoding="utf-8")
    build_site(package, root / "site", "https://example.org/budgets", divisions=divisions)
    return package, root / "site"


@pytest.fixture(scope="module")
def many(many_site, loop) -> Client:
    package, site = many_site
    return Client(make_datasette(site / "budgets.db", site / "metadata.json", package), loop)


@pytest.mark.parametrize("code, name, expected", [
    ("410702", "河南省新乡市红旗区", ("410000", "河南省", "410700", "新乡市")),
    ("410700", "河南省新乡市", ("410000", "河南省", "410700", "新乡市")),
    ("320000", "江苏省", ("320000", "江苏省", "320000", "江苏省本级")),
    ("110000", "北京市", ("110000", "北京市", "110000", "北京市本级")),
    ("310107", "上海市普陀区", ("310000", "上海市", "310100", "上海市（市辖区）")),
    ("440304", "广东省深圳市福田区", ("440000", "广东省", "440300", "深圳市")),
    ("419001", "河南省济源市", ("410000", "河南省", "419001", "济源市")),  # 省直辖
    ("430102", "湖南省长沙市芙蓉区", ("430000", "湖南省", "430100", "长沙市")),  # not in the table
    ("000000", "福建省泉州市", ("", "福建省", "", "泉州市")),  # no code: the name alone
    ("000000", "上海市普陀区", ("", "上海市", "", "上海市（市辖区）")),
])
def test_region_of_a_division(tmp_path, code, name, expected):
    from pipeline.metadata.divisions import read_divisions, region

    path = tmp_path / "divisions.csv"
    path.write_text(DIVISIONS, encoding="utf-8")
    r = region(code, name, read_divisions(path))
    assert (r["province_code"], r["province_name"], r["city_code"], r["city_name"]) == expected


def test_departments_carry_their_province_and_city(many_site):
    conn = connect(many_site[1] / "budgets.db")
    rows = {r["department_id"]: dict(r) for r in conn.execute("select * from departments")}
    assert len(rows) == 37
    assert (rows[XINXIANG]["province_name"], rows[XINXIANG]["city_name"]) == ("河南省", "新乡市")
    assert rows["410702-028"]["city_name"] == "新乡市"  # a district is under its city
    counts = dict(((p, c), n) for p, c, n in conn.execute(
        "select province_name, city_name, count(*) from departments group by 1, 2"))
    assert counts == {
        ("北京市", "北京市本级"): 3, ("北京市", "北京市（市辖区）"): 1, ("上海市", "上海市（市辖区）"): 1,
        ("江苏省", "江苏省本级"): 1, ("广东省", "深圳市"): 9, ("广东省", "广州市"): 6,
        ("山东省", "烟台市"): 5, ("福建省", "福州市"): 4, ("福建省", "泉州市"): 2,
        ("河南省", "新乡市"): 2, ("河南省", "许昌市"): 1, ("河南省", "济源市"): 1,
        ("湖南省", "长沙市"): 1}


def _section(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i:html.index(end, i)]


def test_landing_page_groups_departments_by_province_and_city(many):
    page = many.get("/").text
    provinces = re.findall(r'<details class="province" id="province-(\d+)" '
                           r'data-province="([^"]+)"( open)?>', page)
    assert [(code, name) for code, name, _ in provinces] == [
        ("110000", "北京市"), ("310000", "上海市"), ("320000", "江苏省"), ("350000", "福建省"),
        ("370000", "山东省"), ("410000", "河南省"), ("430000", "湖南省"), ("440000", "广东省")]
    assert not any(opened for _, _, opened in provinces)  # 37 departments: folded
    guangdong = _section(page, 'data-province="广东省"', "</details>")
    counts = re.search(r'<span class="cities">(\d+)</span>.*?<span class="departments">(\d+)'
                       r'</span>.*?<span class="documents">(\d+)</span>', guangdong, re.S)
    assert counts.groups() == ("2", "15", "15")
    cities = re.findall(r'<div class="city" data-city="([^"]+)">\s*<h4>[^<]*<span class="counts">'
                        r'<span class="departments">(\d+)</span>', guangdong)
    assert cities == [("广州市", "6"), ("深圳市", "9")]
    shenzhen = _section(guangdong, 'data-city="深圳市"', "</table>")
    assert "深圳市福田区教育局" in shenzhen and "广东省深圳市福田区" in shenzhen
    henan = _section(page, 'data-province="河南省"', "</details>")
    assert re.findall(r'data-city="([^"]+)">\s*<h4>[^<]*<span class="counts"><span '
                      r'class="departments">(\d+)</span>', henan) == [
        ("新乡市", "2"), ("许昌市", "1"), ("济源市", "1")]
    assert f'/charts?department_id={XINXIANG}' in henan
    assert f"/budgets/documents/{HONGQI_DOC}" in henan  # each year links its document
    assert "37 departments in 8 provinces and 13 cities" in re.sub(r"\s+", " ", page)
    # the picker's list holds every department with its province and city
    data = json.loads(re.search(r'<script type="application/json" id="department-search-data">'
                                r'(.*?)</script>', page, re.S).group(1))
    assert len(data) == 37
    hongqi = next(d for d in data if d["id"] == "410702-028")
    assert (hongqi["name"], hongqi["province"], hongqi["city"], hongqi["years"]) == \
        ("新乡市红旗区政务服务和大数据管理局", "河南省", "新乡市", "2022")


def _bars(page: str, chart: str) -> list[str]:
    svg = _section(page, f'id="{chart}"', "</svg>")
    return re.findall(r'class="bar-label">([^<]*)</text>', svg)


def test_charts_overview_shows_the_largest_departments_and_the_rest_as_one_bar(many):
    page = many.get("/charts").text
    assert '<option value="2024" selected>2024 (36)</option>' in page  # most budgets
    bars = _bars(page, "departments")
    assert len(bars) == 16 and bars[-1] == "其他 21 个 · 21 others"
    assert bars[0] == "新乡市政务服务和大数据管理局"  # 471,725,300 yuan, the largest
    assert "长沙市财政局" in bars  # 34,000,050 yuan, among the largest
    assert 'class="bar others"' in page
    provinces = _bars(page, "by-province")
    assert provinces[0] == "河南省 (3)" and "广东省 (15)" in provinces  # 新乡 outweighs
    assert len(_bars(page, "function-classes")) >= 1
    # the full list under the chart
    table = _section(page, 'id="departments"', "</figure>")
    assert table.count("<tr>") == 37  # header + 36
    # a province: its cities, and all its departments when they are few
    guangdong = many.get("/charts", province="广东省").text
    assert _bars(guangdong, "by-city") == ["广州市 (6)", "深圳市 (9)"]  # by amount
    assert len(_bars(guangdong, "departments")) == 15 and "others" not in guangdong
    shenzhen = many.get("/charts", city="深圳市").text  # the city names its province
    assert '<option value="广东省" selected>' in shenzhen
    assert set(_bars(shenzhen, "departments")) == {n for c, _, names in MANY
                                                   if c.startswith("4403") for n in names}
    assert 'id="by-city"' not in shenzhen
    empty = many.get("/charts", province="西藏自治区")
    assert empty.status_code == 200 and "No budget figures in this selection" in empty.text


# --------------------------------------------------------------------------------------
# Canned query pages: titles, Chinese column headers, amounts to the fen


def test_amounts_show_at_most_two_decimals():
    plugin = plugin_module()
    assert plugin.format_yuan(87267272.4399999976) == "87,267,272.44"
    assert plugin.format_yuan(471725300.0) == "471,725,300"
    assert plugin.format_yuan(0.1 + 0.2) == "0.30"
    assert plugin.format_yuan(-15000.0) == "-15,000"
    assert plugin.format_number(97.62000000001) == "97.62"
    assert plugin.format_number(115680.5) == "115,680.5"


def test_float_noise_never_shows_in_an_amount(client):
    page = client.get("/budgets", sql="select 87267272.43 + 0.01 as amount, "
                      "100.1 + 100.2 as total, 97.62 + 1e-12 as share")
    cells = dict(re.findall(r'<td class="col-(\w+)">([^<]*)</td>', page.text))
    assert cells == {"amount": "87,267,272.44", "total": "200.30", "share": "97.62"}


@pytest.mark.parametrize("name", sorted(set(site_config()["queries"]) - set(ELSEWHERE)))
def test_canned_query_page_is_titled_and_labelled(client, seed_site, name):
    query = site_config()["queries"][name]
    meta = json.loads((seed_site[1] / "metadata.json").read_text(encoding="utf-8"))
    described = meta["databases"]["budgets"]["queries"][name]["columns"]
    params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
    params.update(query.get("example") or {})
    text = client.get(f"/budgets/{name}", **params).text
    assert re.search(r"<title>(.*?)</title>", text, re.S).group(1) == \
        str(markupsafe.escape(query["title"]))
    headers = re.findall(r'<th class="col-(\w+)" scope="col" title="([^"]*)"><span '
                         r'class="col-label">([^<]*)</span>', text)
    rows = client.rows(f"/budgets/{name}.json", **params)
    assert [h[0] for h in headers] == list(rows[0])  # every column, described
    for column, title, label in headers:
        assert re.search(r"[\u4e00-\u9fff]", label), (column, label)
        assert str(markupsafe.escape(described[column])) == title
    amounts = set(meta["plugins"]["budget-site"]["amount_columns"])
    for column, value in re.findall(r'<td class="col-(\w+)(?: amount)?">([^<]*)</td>', text):
        if column in amounts and value.strip() not in ("", "&nbsp;"):
            assert re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d\d)?", value.strip()), (column, value)
    assert "Run SQL" not in text


@pytest.mark.skipif("level" not in BY_NAME["documents"].field_names(),
                    reason="documents has no level column")
def test_charts_overview_leaves_out_a_units_own_budget(tmp_path, seed_site, loop):
    """A budget unit's own disclosure is part of its department's budget: summing both would
    count it twice."""
    package = tmp_path / "datapackage"
    shutil.copytree(seed_site[0], package)
    path = package / "data" / "documents.csv"
    names = BY_NAME["documents"].field_names()

    def add_unit(doc, name, code, division, division_name, spending):
        add_document(package, doc, name, code, division, division_name, 2024, spending)
        lines = path.read_text(encoding="utf-8").splitlines()
        row = next(csv.reader([lines[-1]]))
        row[names.index("level")] = "unit"
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        path.write_text("\n".join(lines[:-1] + [out.getvalue().rstrip("\n")]) + "\n",
                        encoding="utf-8")

    add_unit("xinxiang-city-zwfw-unit-2024-budget", "新乡市政务服务和大数据管理局", "709",
             "410700", "河南省新乡市", 900_000_000)
    add_unit("quanzhou-unit-2024-budget", "泉州市某事业单位", "901", "350500", "福建省泉州市",
             3_000_000)  # a unit whose department's budget is not held: counted
    build_site(package, tmp_path / "site", "https://example.org/budgets")
    site = tmp_path / "site"
    client = Client(make_datasette(site / "budgets.db", site / "metadata.json", package), loop)
    svg = _section(client.get("/charts").text, 'id="departments"', "</svg>")
    assert "新乡市政务服务和大数据管理局: 47,172.53 万元" in svg
    assert "泉州市某事业单位: 300.00 万元" in svg
    history = client.get("/charts", department_id=XINXIANG).text
    assert "47,172.53 万元" in history and "137,172.53" not in history


def test_database_page_names_tables_in_chinese(client):
    page = client.get("/budgets").text
    assert "项目支出表 (projects)" in page and "部门 (departments)" in page
    assert re.search(r'<a href="/budgets/document_summary">文档概览[^<]*</a> '
                     r'<code class="table-name">document_summary</code>', page)


def test_charts_overview_of_each_departments_latest_budget(many):
    page = many.get("/charts", year="latest").text
    assert '<option value="latest" selected>' in page
    bars = _bars(page, "departments")
    assert bars[0] == "新乡市政务服务和大数据管理局 (2024)" and bars[-1] == "其他 22 个 · 22 others"
    table = _section(page, 'id="departments"', "</figure>")
    assert table.count("<tr>") == 38  # header + every department with a budget
    assert "新乡市红旗区政务服务和大数据管理局</td><td>河南省</td><td>新乡市</td><td>2022</td>" in table


# --------------------------------------------------------------------------------------
# Amounts with fen: exact in the database, the JSON and the pages

FEN_A, FEN_B, FEN_FINAL = "fen-a-2023-budget", "fen-b-2023-budget", "fen-a-2023-final-accounts"
FEN_A_ID, FEN_B_ID = "410700-801", "411000-802"
PUBLISHER_PAGE = "https://www.example.gov.cn/zwgk/2023/fen-a.pdf"
PUBLIC_COPY = "https://example.org/mirror/fen-b.pdf"


def add_fen_documents(package: Path) -> None:
    """Two 2023 budgets whose amounts have fen, chosen so that float arithmetic on them is
    not exact (0.1 + 0.2 = 0.30000000000000004, 1.5 + 2.5 = 4.0): one published on its
    department's page with a date, one held as a public copy (and a source_url no browser
    may follow); and the first one's final account, so that budget_vs_final has rows."""
    add_document(package, FEN_A, "新乡市分位测试局", "801", "410700", "河南省新乡市", 2023,
                 source_url=PUBLISHER_PAGE, published_date="2023-03-15")
    add_document(package, FEN_B, "许昌市分位测试局", "802", "411000", "河南省许昌市", 2023,
                 source_url="javascript:alert(1)", retrieved_from=PUBLIC_COPY)
    for doc, general, social in ((FEN_A, "0.1", "1.5"), (FEN_B, "0.2", "2.5")):
        for code, item, amount in (("201", "一般公共服务支出", general),
                                   ("208", "社会保障和就业支出", social)):
            append_row(package, "income_expenditure_summary", document_id=doc,
                       side="expenditure", item=item, item_code=f"function_class_{code}",
                       function_code=code, amount=amount, source_table="收支总表")
    for unit, total, reception in (("1", "0.1", "0.25"), ("2", "0.2", "0.75")):
        append_row(package, "three_public_expenses", document_id=FEN_A, line_type="department",
                   unit_code=unit, total=total, reception=reception, source_table="三公")
    append_row(package, "expenditure_by_function", document_id=FEN_A, fund="all",
               line_type="total", total="87267272.44", basic="87267272.2", project="0.24",
               source_table="支出总表")
    add_document(package, FEN_FINAL, "新乡市分位测试局", "801", "410700", "河南省新乡市", 2023,
                 kind="final_accounts", title="2023年新乡市分位测试局部门决算公开")
    append_row(package, "expenditure_by_function", document_id=FEN_FINAL, phase="executed",
               fund="all", line_type="total", total="80000000.1", basic="79999999.86",
               project="0.24", source_table="支出决算表")


@pytest.fixture(scope="module")
def fen_site(seed_site, tmp_path_factory):
    root = tmp_path_factory.mktemp("fen")
    package = root / "datapackage"
    shutil.copytree(seed_site[0], package)
    add_fen_documents(package)
    build_site(package, root / "site", "https://example.org/budgets")
    return package, root / "site"


@pytest.fixture(scope="module")
def fen(fen_site, loop) -> Client:
    package, site = fen_site
    return Client(make_datasette(site / "budgets.db", site / "metadata.json", package), loop)


def exact_amount(value) -> bool:
    """An amount as the JSON should give it: blank, an integer for whole yuan, else the
    decimal number with its fen (at most 2 decimals, no float noise)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return True
    return isinstance(value, float) and not value.is_integer() and \
        re.fullmatch(r"-?\d+\.\d{1,2}", repr(value)) is not None


def test_sums_of_amounts_with_fen_are_exact(fen):
    rows = fen.rows("/budgets/function_class_totals.json", year="2023")
    totals = {r["function_class"]: r["amount"] for r in rows}
    assert totals == {"201": 0.3, "208": 4} and type(totals["208"]) is int
    raw = fen.get("/budgets/function_class_totals.json", year="2023").text
    assert "0.30000000000000004" not in raw and not re.search(r"[\[,] ?4\.0[,\]]", raw)
    three = fen.rows("/budgets/three_public_by_department.json", department=FEN_A_ID)
    assert [(r["document_id"], r["total"], r["reception"]) for r in three] == \
        [(FEN_A, 0.3, 1), (FEN_FINAL, None, None)]
    assert type(three[0]["reception"]) is int
    history = fen.rows("/budgets/department_history.json", department=FEN_A_ID)
    assert [(r["phase"], r["spending_total"], r["basic"], r["project"],
             r["three_public_total"]) for r in history] == [
        ("approved", 87267272.44, 87267272.2, 0.24, 0.3),
        ("executed", 80000000.1, 79999999.86, 0.24, None)]
    compared = fen.rows("/budgets/budget_vs_final.json", department=FEN_A_ID, year="2023")
    assert [(r["source"], r["budget"], r["final"], r["rate"]) for r in compared] == \
        [("budget_document", 87267272.44, 80000000.1, 91.67)]
    page = fen.get("/budgets/function_class_totals", year="2023").text
    cells = re.findall(r'<td class="col-amount amount">([^<]*)</td>', page)
    assert cells == ["4", "0.30"]
    page = fen.get("/budgets/basic_vs_project").text
    assert "87,267,272.44" in page and "87,267,272.20" in page and "0.24" in page
    cells = re.findall(r'<td class="col-[^"]*">([^<]*)</td>', page)
    assert cells and not [c for c in cells if re.search(r"\.\d{3}", c)]


def test_every_view_and_canned_query_gives_exact_amounts(fen, fen_site):
    """Every amount column of every view and canned query, in the JSON: an integer for
    whole yuan, else at most 2 decimals; a view stored as a table keeps amounts NUMERIC."""
    meta = json.loads((fen_site[1] / "metadata.json").read_text(encoding="utf-8"))
    database = meta["databases"]["budgets"]
    checked = 0
    for name, view in site_config()["views"].items():
        amounts = [c for c, unit in (database["tables"][name].get("units") or {}).items()
                   if unit == "yuan"]
        for row in fen.rows(f"/budgets/{name}.json", _size="max"):
            for column in amounts:
                assert exact_amount(row[column]), (name, column, row[column])
                checked += row[column] is not None
        if view.get("materialize"):
            declared = sqlite_utils.Database(fen_site[1] / "budgets.db")[name].columns_dict
            assert all(declared[c] is not str for c in amounts), name
    for name, query in site_config()["queries"].items():
        params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
        params.update(query.get("example") or {})
        amounts = [c for c, unit in (database["queries"][name].get("units") or {}).items()
                   if unit == "yuan"]
        for row in fen.rows(f"/budgets/{name}.json", **params):
            for column in amounts:
                assert exact_amount(row[column]), (name, column, row[column])
                checked += row[column] is not None
    assert checked > 100


@pytest.mark.parametrize("value, exact", [
    (None, True), (460510100, True), (87267272.44, True), (0.3, True), (-15000, True),
    (460510100.0, False), (0.30000000000000004, False), (87267272.4399999976, True),
    (0.125, False), (True, False)])
def test_exact_amount_is_what_the_json_should_give(value, exact):
    assert exact_amount(value) is exact


def test_landing_page_links_where_each_document_came_from(fen):
    page = fen.get("/").text
    a = _section(page, f'data-department="{FEN_A_ID}"', "</tr>")
    assert f'<a class="source" href="{PUBLISHER_PAGE}"' in a and "发布 2023-03-15" in a
    b = _section(page, f'data-department="{FEN_B_ID}"', "</tr>")
    assert f'<a class="source copy" href="{PUBLIC_COPY}"' in b and "发布" not in b
    assert "javascript:" not in page
    seeds = _section(page, 'data-department="411000-070"', "</tr>")  # xuchang: a date only
    assert "发布 2024-04" in seeds and 'class="source' not in seeds


def test_landing_page_counts_come_from_the_data(client, db_path):
    conn = connect(db_path)
    passed, failed, documents = conn.execute(
        "select count(*) filter (where status = 'pass'), count(*) filter (where status = "
        "'fail'), count(distinct case when status = 'fail' then document_id end) from checks"
    ).fetchone()
    assert (failed, documents) == (7, 1)
    text = re.sub(r"\s+", " ", client.get("/").text)
    assert f"{passed:,} checks pass; the" in text
    assert f">{failed} that fail, in {documents} document</a>" in text


def test_site_texts_name_only_examples_the_data_holds(client, seed_site):
    """queries.yml's candidate examples that find nothing among the seeds (财政, 司法: no
    such department) are named nowhere; those that do are, in the descriptions and the
    search boxes."""
    meta = json.loads((seed_site[1] / "metadata.json").read_text(encoding="utf-8"))
    examples = meta["plugins"]["budget-site"]["examples"]
    assert examples["department_history"]["department"] == [XINXIANG, "大数据"]
    assert examples["search_everything"]["q"] == ["热线", "大数据", "市民之家"]
    assert examples["project_indicators"]["project"] == [HOTLINE_CODE, "热线"]
    queries = meta["databases"]["budgets"]["queries"]
    assert not any("${" in (q.get("description") or q.get("description_html"))
                   for q in queries.values())
    history = queries["department_history"]["description_html"]
    assert f"(e.g. {XINXIANG}, 大数据)" in history and "财政" not in history
    landing = client.get("/").text
    assert 'placeholder="例如：热线、大数据、市民之家"' in landing
    assert 'placeholder="输入部门名称中的几个字，例如：大数据"' in landing
    page = client.get("/budgets/search_projects").text
    assert "type any part of a name (热线, 大数据, 市民之家)" in page

