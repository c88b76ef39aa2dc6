"""Final accounts (部门决算): one more family of the same documents, read with its own
knowledge (families/final_accounts.yml) into the same published tables, each amount with
its phase. The real 2024 final account of 中共上海市普陀区委社会工作部 (sources/) and the
national template as Shanghai prints it (tests/fixtures/final_accounts/, placeholder
figures: its tables and columns are asserted, not amounts)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conftest import read_source
from pipeline import families
from pipeline.extract import extract_document, read_document
from pipeline.normalize.layouts import amount_columns, side_by_side
from pipeline.recognize.tables import header_paths, recognize
from pipeline.sources import SourceMeta

FIXTURES = Path(__file__).with_name("fixtures") / "final_accounts"
TEMPLATE = FIXTURES / "national-template-2024.pdf"
REAL = "sh-putuo-shehuigongzuobu-2024-final-accounts"

# the nine standard tables of the national template, in order, with the page each starts on
STANDARD = [
    ("income_expenditure_summary", "收入支出决算总表", 5),
    ("income_by_source", "收入决算表", 6),
    ("expenditure", "支出决算表", 7),
    ("appropriation_summary", "财政拨款收入支出决算总表", 8),
    ("general_budget_expenditure", "一般公共预算财政拨款支出决算表", 10),
    ("basic_by_economic", "一般公共预算财政拨款基本支出决算表", 11),
    ("three_public_expenses", "财政拨款“三公”经费支出决算表", 12),
    ("government_fund_expenditure", "政府性基金预算财政拨款收入支出决算表", 13),
    ("state_capital_expenditure", "国有资本经营预算财政拨款收入支出决算表", 14),
]


def _meta(kind: str = "final_accounts") -> SourceMeta:
    return SourceMeta.model_validate({
        "title": "上海市XX局2024年度部门决算", "department": {"name": "上海市XX局"},
        "division": {"name": "上海市", "code": "310000"}, "fiscal_year": 2024, "kind": kind,
        "file": "document.pdf", "format": "pdf", "sha256": "0" * 64, "licence": "template"})


@pytest.fixture(scope="module")
def template_tables():
    with families.use("final_accounts"):
        return recognize(read_document(TEMPLATE)).tables


def test_the_template_is_recognized_table_by_table(template_tables):
    found = [(t.kind.id, t.title.replace(" ", ""), t.page) for t in template_tables]
    assert found == STANDARD


def _fields(table, phases=None):
    paths = header_paths(table.grid, table.n_header)
    with families.use("final_accounts"):
        mapping = amount_columns(paths, table.kind, table.kind.resource, phases=phases)
    return mapping


def test_the_templates_columns_are_understood(template_tables):
    by_kind = {t.kind.id: t for t in template_tables}
    # a fund's 收入支出决算表: 年初结转和结余 | 本年收入 | 本年支出 合计/基本/项目 | 年末结转和结余
    fund = _fields(by_kind["government_fund_expenditure"])
    assert sorted(fund.values()) == sorted(["opening_balance", "current_income", "total",
                                            "basic", "project", "closing_balance"])
    # 收入决算表: 本年收入合计 and each source
    income = set(_fields(by_kind["income_by_source"]).values())
    assert income == {"current_total", "appropriation", "superior_subsidy", "business_income",
                      "operating_income", "subordinate_remittance", "other_income"}
    # 支出决算表: 本年支出合计, 基本, 项目, 上缴上级, 经营, 对附属单位补助
    spending = set(_fields(by_kind["expenditure"]).values())
    assert spending == {"total", "basic", "project", "remittance_to_superior",
                        "operating_expenditure", "subsidy_to_subordinate"}
    # 三公: 预算数 beside 决算数 under each item: one field per item and phase
    phases: dict[int, str] = {}
    three = _fields(by_kind["three_public_expenses"], phases)
    pairs = sorted((three[c], phases[c]) for c in three)
    items = ["reception", "total", "travel_abroad", "vehicle_operation", "vehicle_purchase",
             "vehicles"]
    assert pairs == sorted((i, p) for i in items for p in ("adjusted", "executed"))


def test_the_basic_table_is_two_panels_under_one_header(template_tables):
    basic = next(t for t in template_tables if t.kind.id == "basic_by_economic")
    left, right = side_by_side(basic)
    assert [p[-1] for p in header_paths(left.grid, left.n_header)] == ["经济分类科目编码", "科目名称", "决算数"] \
        or len(header_paths(left.grid, left.n_header)) == 3
    codes_left = {r[0] for _, r in left.body() if r[0]}
    codes_right = {r[0] for _, r in right.body() if r[0]}
    assert {"301", "30101", "303", "30399"} <= codes_left
    assert {"302", "30201", "310", "31099"} <= codes_right


def test_a_budget_reads_none_of_the_final_tables():
    """The budget family does not take a 决算 table for a budget one."""
    with families.use("budget"):
        kinds = {t.kind.id for t in recognize(read_document(TEMPLATE)).tables}
    assert not kinds & {"income_expenditure_summary", "income_by_source", "expenditure",
                        "appropriation_summary", "government_fund_expenditure"}


def test_the_real_final_account_publishes_its_nine_tables_and_passes_its_checks():
    extraction, checks = read_source(REAL)
    assert [(t.kind, t.status) for t in extraction.tables] == [
        (k, "empty" if k in ("three_public_expenses", "government_fund_expenditure",
                             "state_capital_expenditure") else "extracted")
        for k, _, _ in STANDARD]
    phases = {r["phase"] for rows in extraction.rows.values() for r in rows if "phase" in r}
    assert phases == {"executed"}
    failed = [c for c in checks if c["status"] == "fail"]
    assert failed == []
    assert sum(c["status"] == "pass" for c in checks) >= 120


def test_its_basic_table_holds_personnel_and_public_by_panel():
    extraction, _ = read_source(REAL)
    rows = extraction.rows["basic_expenditure_by_economic"]
    by_code = {r["department_economic_code"]: r for r in rows if r["line_type"] == "item"}
    assert by_code["30102"]["personnel"] == Decimal("397200.00")
    assert by_code["30239"]["public"] == Decimal("24300.00")
    assert by_code["30239"].get("personnel") is None
    total = next(r for r in rows if r["line_type"] == "total")
    assert (total["personnel"], total["public"], total.get("total")) == \
        (Decimal("953600.00"), Decimal("102300.00"), None)  # no grand total is printed


THREE_PUBLIC = """\
中共上海市某某部2024年度部门决算
财政拨款“三公”经费支出决算表
单位：万元
| 合计 | 合计 | 因公出国（境）费 | 因公出国（境）费 | 公务用车购置及运行维护费 | 公务用车购置及运行维护费 | 公务用车购置及运行维护费 | 公务用车购置及运行维护费 | 公务用车购置及运行维护费 | 公务用车购置及运行维护费 | 公务接待费 | 公务接待费 |
| 合计 | 合计 | 因公出国（境）费 | 因公出国（境）费 | 小计 | 小计 | 公务用车购置费 | 公务用车购置费 | 公务用车运行维护费 | 公务用车运行维护费 | 公务接待费 | 公务接待费 |
| 预算数 | 决算数 | 预算数 | 决算数 | 预算数 | 决算数 | 预算数 | 决算数 | 预算数 | 决算数 | 预算数 | 决算数 |
| 12.00 | 10.50 | 0.00 | 0.00 | 8.00 | 7.30 | 0.00 | 0.00 | 8.00 | 7.30 | 4.00 | 3.20 |
"""


def test_the_three_public_table_gives_a_row_per_phase(tmp_path):
    path = tmp_path / "transcript.txt"
    path.write_text(THREE_PUBLIC, encoding="utf-8")
    extraction = extract_document(path, "fa-three-public", _meta())
    rows = {r["phase"]: r for r in extraction.rows["three_public_expenses"]}
    assert set(rows) == {"adjusted", "executed"}
    assert (rows["adjusted"]["total"], rows["adjusted"]["vehicles"],
            rows["adjusted"]["reception"]) == (Decimal("120000.00"), Decimal("80000.00"),
                                                Decimal("40000.00"))
    assert (rows["executed"]["total"], rows["executed"]["vehicle_operation"],
            rows["executed"]["reception"]) == (Decimal("105000.00"), Decimal("73000.00"),
                                                Decimal("32000.00"))


def test_a_budget_publishes_its_budget_beside_a_final_figure_but_never_the_final_one(tmp_path):
    """A budget's 三公 table printing 决算数 beside 预算数: in a budget, 决算数 is another
    phase (last year's), never published as the budget's own amounts."""
    path = tmp_path / "transcript.txt"
    path.write_text(THREE_PUBLIC.replace("支出决算表", "支出预算表"), encoding="utf-8")
    extraction = extract_document(path, "budget-three-public", _meta("budget"))
    rows = extraction.rows["three_public_expenses"]
    assert [(r["phase"], r["total"], r["reception"]) for r in rows] == \
        [("approved", Decimal("120000.00"), Decimal("40000.00"))]


def test_the_national_formats_numbering_is_neither_data_nor_label():
    """The national template's 公开NN表: the number alone on a line under the title, a
    栏次 row numbering the columns (1, 2, 3 …) and a 行次 column numbering the lines of
    收入支出决算表: none of them is read as an amount or a label."""
    extraction = extract_document(FIXTURES / "national-format.txt", "national", _meta())
    assert [(t.kind, t.status) for t in extraction.tables] == [
        ("income_expenditure_summary", "extracted"), ("income_by_source", "extracted"),
        ("general_budget_expenditure", "extracted")]
    summary = {(r["side"], r["item_code"]): r["amount"]
               for r in extraction.rows["income_expenditure_summary"]}
    assert summary[("income", "current_income_total")] == Decimal("1050000.00")
    assert summary[("income", "opening_balance")] == Decimal("50000.00")
    assert summary[("expenditure", "closing_balance")] == Decimal("200000.00")
    assert summary[("expenditure", "expenditure_total")] == Decimal("1100000.00")
    assert Decimal("1.00") not in summary.values() and Decimal("10000.00") not in summary.values()
    income = {r["function_code"]: r for r in extraction.rows["income_by_source"]}
    assert (income["2010301"]["current_total"], income["2010301"]["appropriation"],
            income["2010301"]["business_income"]) == (Decimal("950000.00"), Decimal("900000.00"),
                                                      Decimal("50000.00"))
    assert len(extraction.rows["income_by_source"]) == 4  # no 栏次 line
    spending = [r for r in extraction.rows["expenditure_by_function"] if r["line_type"] == "total"]
    assert [(r["total"], r["basic"], r["project"]) for r in spending] == \
        [(Decimal("900000.00"), Decimal("700000.00"), Decimal("200000.00"))]


def test_a_final_account_given_as_a_budget_publishes_nothing_as_budgeted(tmp_path):
    """Its tables say 决算: the budget family reads none of them, and says why."""
    from pipeline.errors import RecognitionError
    with pytest.raises(RecognitionError, match="is the document's kind final_accounts"):
        extract_document(FIXTURES / "national-format.txt", "mistaken", _meta("budget"))
