"""Yantai's tables by source of funds: 政府采购预算表 printed by function code (published as
procurement_by_function) and 基本支出预算情况表 (expenditure_by_economic, scope basic), with
columns 合计 | 财政拨款 (小计, 一般公共预算, 政府性基金预算, 国有资本经营预算) | 财政专户管理资金 |
单位资金 | 使用非财政拨款结余 | 上年结转."""
from collections import Counter
from decimal import Decimal

import pytest

from conftest import SOURCES, read_source
from pipeline import families
from pipeline.publish.build import extract_source
from pipeline.check.engine import run_checks
from pipeline.sources import load_source

SHENJIJU = "sd-yantai-shenjiju-2026-budget"
MINZHENGJU = "sd-yantai-minzhengju-2026-budget"
# the header labels of Yantai's 政府采购预算表 (page 25 of SHENJIJU), as header_text joins them
FUNCTION_HEADER = ("科目编码|财政拨款|财政专户管理资金|单位资金|使用非财政拨款结余|上年结转|类|款|项|"
                   "科目名称|合计|小计|一般公共预算|政府性基金预算|国有资本经营预算")


@pytest.mark.parametrize("path,field", [
    (["使用非财政拨款结余"], "non_appropriation_balance"),
    (["财政拨款", "小计"], "appropriation"),
    (["财政拨款", "一般公共预算"], "general_public_budget"),
    (["财政拨款", "国有资本经营预算"], "state_capital"),
    (["财政专户管理资金"], "special_account"),
    (["单位资金"], "unit_funds"),
    (["上年结转"], "carryover"),
    (["合计"], "total"),
])
def test_fund_columns_read_from_their_words(path, field):
    vocabulary = families.load().vocabulary
    kind = next(k for k in families.load().kinds if k.id == "procurement_by_function")
    assert vocabulary.field_for("procurement_by_function", vocabulary.read_path(path),
                                kind.fixes) == field


def test_non_appropriation_is_not_appropriation():
    vocabulary = families.load().vocabulary
    assert vocabulary.read_path(["使用非财政拨款结余"]) == {"period": "balance",
                                                    "fund": "non_appropriation"}
    assert vocabulary.read_path(["财政拨款"]) == {"fund": "appropriation"}


def test_procurement_title_is_told_apart_by_its_header():
    tpl = families.load()
    assert tpl.kind_for_title("政府采购预算表", FUNCTION_HEADER).id == "procurement_by_function"
    by_item = "品目大类|专项名称|经济科目|采购品目名称|采购组织形式|金额"
    assert tpl.kind_for_title("政府采购预算表", by_item).id == "government_procurement"
    # an untitled function table of income or spending is not taken for procurement
    assert tpl.kind_for_header(FUNCTION_HEADER.replace("合计", "基本支出")) is None or \
        tpl.kind_for_header(FUNCTION_HEADER.replace("合计", "基本支出")).id != "procurement_by_function"


def test_basic_expenditure_title():
    tpl = families.load()
    kind = tpl.kind_for_title("基本支出预算情况表")
    assert (kind.resource, kind.attrs) == ("expenditure_by_economic", {"scope": "basic"})
    assert tpl.kind_for_title("一般公共预算基本支出情况表").id == "basic_by_economic"


@pytest.fixture(scope="module")
def shenjiju():
    return read_source(SHENJIJU)


def test_procurement_by_function_rows(shenjiju):
    extraction, checks = shenjiju
    rows = extraction.rows["procurement_by_function"]
    # page 25: 合计 5.80 of 单位资金; 201 一般公共服务支出 > 20108 审计事务 > 2010804 审计业务
    assert [(r["line_type"], r["function_code"], r["name"], r["total"], r["unit_funds"],
             r["appropriation"]) for r in rows] == [
        ("total", None, None, Decimal("58000"), Decimal("58000"), None),
        ("item", "201", "一般公共服务支出", Decimal("58000"), Decimal("58000"), None),
        ("item", "20108", "审计事务", Decimal("58000"), Decimal("58000"), None),
        ("item", "2010804", "审计业务", Decimal("58000"), Decimal("58000"), None)]
    mine = Counter((c["rule"], c["status"]) for c in checks
                   if "procurement_by_function" in (c["subject"] or ""))
    # total and 单位资金 each: lines = 合计, 201 = 20108 = 2010804; 合计 = 单位资金 on 4 rows
    assert mine == {("lines_sum_to_total", "pass"): 2, ("code_hierarchy", "pass"): 4,
                    ("row_parts", "pass"): 4}
    stated = next(c for c in checks if c["subject"].startswith("procurement_total"))
    assert (stated["status"], stated["expected"]) == ("pass", Decimal("58000"))


def test_basic_by_funds_restates_the_other_tables(shenjiju):
    extraction, checks = shenjiju
    rows = [r for r in extraction.rows["expenditure_by_economic"] if r["scope"] == "basic"]
    total = next(r for r in rows if r["line_type"] == "total")  # page 22
    assert (total["total"], total["appropriation"], total["general_public_budget"],
            total["unit_funds"]) == (Decimal("27768500"), Decimal("27722500"),
                                     Decimal("27722500"), Decimal("46000"))
    row = next(r for r in rows if (r["department_economic_code"], r["government_economic_code"])
               == ("30101", "50101"))
    assert (row["department_economic_name"], row["government_economic_name"], row["total"]) == \
        ("基本工资", "工资奖金津补贴", Decimal("4423800"))
    against = {c["subject"]: (c["status"], c["expected"], c["actual"]) for c in checks
               if c["rule"] == "basic_by_funds_matches_expenditure"}
    # 表3 基本支出 2,776.85; 表6 合计 2,772.24 against 2,772.25 here: within 0.01 万元
    assert against == {"基本支出": ("pass", Decimal("27768500"), Decimal("27768500")),
                       "一般公共预算基本支出": ("pass", Decimal("27722400"), Decimal("27722500"))}


def test_publisher_error_in_one_cell_fails_its_identities():
    """MINZHENGJU's 公开表10 (page 24) prints 302 11 差旅费 合计 4.50, 财政拨款小计 4.50 but
    一般公共预算 5.50: the row, its 302/505 subtotal and the column total each fail."""
    source = load_source(SOURCES / MINZHENGJU)
    checks = run_checks(MINZHENGJU, extract_source(source), [])
    failed = {(c["rule"], c["subject"]) for c in checks if c["status"] == "fail"
              and "[basic]" in (c["subject"] or "")}
    assert failed == {
        ("row_parts", "expenditure_by_economic[basic] 30211 50502 appropriation"),
        ("code_hierarchy", "expenditure_by_economic[basic] 302 505 general_public_budget"),
        ("lines_sum_to_total", "expenditure_by_economic[basic] general_public_budget")}
