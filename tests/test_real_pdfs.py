"""Two real PDFs from other provinces, read by the same code as everything else.
Golden values read off the PDFs by eye (page numbers as printed by the PDF viewer)."""
import copy
from decimal import Decimal

import pytest

from conftest import SOURCES, read_table, yuan
from pipeline.check.engine import run_checks
from pipeline.extract import extract_document
from pipeline.sources import load_source

SH = "sh-putuo-sifaju-2026-budget"  # Shanghai template, tables in 元, 三公 in 万元
JS = "js-renda-bangongting-2017-budget"  # Jiangsu template, 万元, narrow wrapped columns


def test_shanghai_nine_tables_recognized_with_units(package):
    tables = {r["table_kind"]: r for r in read_table(package, "document_tables", document_id=SH)}
    assert len(tables) == 9
    assert tables["income_expenditure_summary"]["source_unit"] == "元"
    assert tables["three_public_expenses"]["source_unit"] == "万元"
    assert tables["government_fund_expenditure"]["empty"] == "true"
    assert "故本表为空表" in tables["state_capital_expenditure"]["notes"]
    (doc,) = read_table(package, "documents", document_id=SH)
    assert (doc["pages"], doc["tables_found"], doc["source_format"]) == ("23", "9", "pdf")


def test_shanghai_headline_totals(package):
    summary = {r["item"]: r for r in read_table(package, "income_expenditure_summary", document_id=SH)}
    assert summary["收入总计"]["amount"] == summary["支出总计"]["amount"] == "96282213.44"
    assert summary["财政拨款收入"]["item_code"] == "appropriation"
    assert summary["一般公共预算"]["parent_item"] == "财政拨款收入"
    assert summary["公共安全支出"]["function_code"] == "204"
    assert summary["公共安全支出"]["amount"] == "87267272.44"
    assert summary["收入总计"]["source_page"] == "10"


def test_shanghai_income_by_function_code_row(package):
    (row,) = read_table(package, "income_by_source", document_id=SH, function_code="2040604")
    assert (row["name"], row["total"], row["appropriation"], row["business_income"],
            row["operating_income"], row["other_income"]) == \
        ("基层司法业务", "21703947", "21703947", "0", "0", "0")  # 财政拨款收入: all appropriation
    assert row["source_page"] == "11"


def test_shanghai_expenditure_rows_over_a_page_break(package):
    rows = {r["function_code"]: r for r in read_table(package, "expenditure_by_function",
                                                      document_id=SH, fund="all")}
    assert (rows["2040601"]["total"], rows["2040601"]["basic"], rows["2040601"]["project"]) == \
        ("16726725.44", "16726725.44", "0")
    assert rows["2040601"]["source_page"] == "12"
    assert rows["2080506"]["source_page"] == "13"  # the table continues on the next page
    assert rows["2080506"]["name"] == "机关事业单位职业年金缴费支出"
    (total,) = read_table(package, "expenditure_by_function", document_id=SH, fund="all",
                          line_type="total")
    assert (total["total"], total["basic"], total["project"]) == \
        ("96282213.44", "25741666.44", "70540547")


def test_shanghai_three_public_and_operating_costs_row(package):
    (row,) = read_table(package, "three_public_expenses", document_id=SH)
    assert (row["total"], row["travel_abroad"], row["reception"], row["vehicles"],
            row["vehicle_purchase"], row["vehicle_operation"], row["administrative_operating"]) \
        == (yuan("10.81"), "0", yuan("0.83"), yuan("9.98"), "0", yuan("9.98"), yuan("217.83"))


def test_shanghai_basic_expenditure_by_economic_class(package):
    rows = {r["department_economic_code"]: r for r in read_table(
        package, "basic_expenditure_by_economic", document_id=SH, line_type="item")}
    assert (rows["301"]["department_economic_name"], rows["301"]["total"]) == ("工资福利支出", "23084662")
    assert rows["30204"]["total"] == "760"
    (total,) = read_table(package, "basic_expenditure_by_economic", document_id=SH, line_type="total")
    assert (total["total"], total["personnel"], total["public"]) == \
        ("25741666.44", "23563342", "2178324.44")


def test_jiangsu_summary_with_three_blocks(package):
    rows = {(r["side"], r["item"]): r for r in read_table(package, "income_expenditure_summary",
                                                           document_id=JS)}
    assert rows[("income", "收入合计")]["amount"] == yuan("13,649.07")
    assert rows[("expenditure", "一般公共服务支出")]["amount"] == yuan("10,528.33")
    assert rows[("expenditure", "住房保障支出")]["source_page"] == "8"
    # 当年支出小计 is merged across the function and use blocks; its amount sits in the last
    assert rows[("expenditure", "当年支出小计")]["amount"] == yuan("13,649.07")
    assert rows[("expenditure_by_use", "单位预留机动经费")]["amount"] == yuan("128.43")


def test_jiangsu_income_list_becomes_one_row(package):
    (row,) = read_table(package, "income_by_source", document_id=JS)
    assert (row["line_type"], row["total"], row["general_public_budget"],
            row["general_public_budget_appropriation"], row["special_revenue"]) == \
        ("total", yuan("13,649.07"), yuan("13,649.07"), yuan("13,649.07"), "")


def test_jiangsu_function_codes_in_one_column(package):
    rows = {r["function_code"]: r for r in read_table(package, "expenditure_by_function",
                                                      document_id=JS, fund="appropriation")}
    assert (rows["2010101"]["name"], rows["2010101"]["total"]) == ("行政运行", yuan("4,545.94"))
    assert rows["2080504"]["name"] == "未归口管理的行政单位离退休"
    (total,) = read_table(package, "expenditure_by_function", document_id=JS, fund="all")
    assert (total["total"], total["basic"], total["project"], total["reserve"]) == \
        (yuan("13,649.07"), yuan("7,666.68"), yuan("5,853.96"), yuan("128.43"))


def test_jiangsu_three_public_meetings_training_row(package):
    (row,) = read_table(package, "three_public_expenses", document_id=JS)
    assert (row["grand_total"], row["total"], row["travel_abroad"], row["vehicles"],
            row["vehicle_purchase"], row["vehicle_operation"], row["reception"], row["meetings"],
            row["training"]) == (yuan("2,542.60"), yuan("833.60"), yuan("222.50"), yuan("183.60"),
                                 "0", yuan("183.60"), yuan("427.50"), yuan("1,305.25"), yuan("403.75"))


def test_jiangsu_operating_costs_and_procurement(package):
    (ops,) = read_table(package, "expenditure_by_economic", document_id=JS,
                        scope="administrative_operating", line_type="total")
    assert ops["total"] == yuan("5,619.31")
    rows = read_table(package, "government_procurement", document_id=JS)
    (total,) = [r for r in rows if r["line_type"] == "total"]
    assert total["amount"] == yuan("2,247.85")
    categories = {r["category"]: r["amount"] for r in rows if r["level"] == "category"}
    assert categories == {"货物A": yuan("59.00"), "服务C": yuan("2,188.85")}
    items = [r for r in rows if r["level"] == "item"]
    assert sum(Decimal(r["amount"]) for r in items) == Decimal(yuan("2,247.85"))
    desk = next(r for r in items if r["item"] == "台式计算机(20万以下)")
    assert (desk["project_name"], desk["organization"], desk["amount"]) == \
        ("办公设备购置费", "分散自行组织", yuan("10.00"))


def test_jiangsu_empty_fund_table_keeps_its_unmarked_note(package):
    (t,) = read_table(package, "document_tables", document_id=JS, table_kind="government_fund_expenditure")
    assert (t["empty"], t["notes"]) == ("true", "(无政府性基金支出)")


def test_real_pdfs_pass_every_applicable_check(package):
    for doc in (SH, JS):
        rows = read_table(package, "checks", document_id=doc)
        assert {r["status"] for r in rows} <= {"pass", "fail", "not_applicable"}, doc
        assert all(r["acknowledged"] for r in rows if r["status"] == "fail"), doc
        assert len([r for r in rows if r["status"] == "pass"]) > 40
    assert read_table(package, "checks", document_id=JS, status="fail") == []


# --- the narrative (情况说明) of each template --------------------------------------------

def _checks(package, doc, rule):
    return {r["subject"]: (r["status"], r["expected"], r["actual"])
            for r in read_table(package, "checks", document_id=doc, rule=rule)}


def test_shanghai_narrative_figures(package):
    """p. 8: 收入预算9628.22万元 and 支出预算9628.22万元 (the tables: 96,282,213.44 元); the
    政府采购 figures (p. 22) have no 政府采购 table in this template to compare to."""
    assert _checks(package, SH, "narrative_figures") == {
        "income_total: 收入预算9628.22万元": ("pass", "96282213.44", yuan("9628.22")),
        "expenditure_total: 支出预算9628.22万元": ("pass", "96282213.44", yuan("9628.22")),
        "three_public: 三公”经费预算数为10.81万元": ("pass", yuan("10.81"), yuan("10.81")),
        "administrative_operating: 机关运行经费预算为217.83万元": ("pass", yuan("217.83"), yuan("217.83")),
        "procurement_total: 政府采购预算1486.42万元": ("not_applicable", "", yuan("1486.42")),
        "procurement_goods: 政府采购货物预算3.66万元": ("not_applicable", "", yuan("3.66")),
        "procurement_works: 政府采购工程预算36.44万元": ("not_applicable", "", yuan("36.44")),
        "procurement_services: 政府采购服务预算1446.32万元": ("not_applicable", "", yuan("1446.32")),
        "政府采购 = 货物 + 工程 + 服务": ("pass", yuan("1486.42"), yuan("1486.42")),
    }


SH_CHANGE = "2025年当年预算执行数为{}万元,2026年预算安排{}万元,比2025年预算执行数{}%"
SH_ERRORS = {  # pp. 8-9, 财政拨款支出主要内容: the publisher's three wrong growth rates
    # 其他司法支出: 43269.3 -> 3845.49 is -91.11%; from 3269.3 it would be the printed 17.62%
    SH_CHANGE.format("43269.3", "3845.49", "增加17.62"): ("-91.11", "17.62"),
    # 职业年金缴费支出: 77.99 -> 91.97 is 17.93%; 17.66% is the line above's (156.34 -> 183.95)
    SH_CHANGE.format("77.99", "91.97", "增加17.66"): ("17.93", "17.66"),
    # 住房公积金: 198.34 -> 201.50 is 1.59%; the 5.27% is from the heading's and tables' 208.8
    SH_CHANGE.format("198.34", "201.50", "增加5.27"): ("1.59", "5.27"),
}


def test_shanghai_growth_rates_recomputed_and_publisher_errors_acknowledged(package):
    rows = read_table(package, "checks", document_id=SH, rule="narrative_percentages")
    assert len(rows) == 13  # one per 财政拨款支出 item
    failed = {r["subject"]: (r["expected"], r["actual"]) for r in rows if r["status"] == "fail"}
    assert failed == SH_ERRORS
    assert all(r["acknowledged"] for r in rows if r["status"] == "fail")
    passed = {r["subject"]: (r["expected"], r["actual"]) for r in rows if r["status"] == "pass"}
    assert passed[SH_CHANGE.format("1690.69", "1672.67", "减少1.07")] == ("-1.07", "-1.07")
    assert passed[SH_CHANGE.format("60.41", "227.88", "增加277.22")] == ("277.22", "277.22")
    # 59.11 -> 57.8 is -2.216%: printed -2.21, within 0.01 of the rounded -2.22
    assert passed[SH_CHANGE.format("59.11", "57.8", "减少2.21")] == ("-2.22", "-2.21")


def test_jiangsu_narrative_figures_against_operating_costs_and_procurement(package):
    """p. 28: 机关运行经费预算支出5619.31万元 (公开10表); p. 29: 政府采购预算总金额为2247.85万元,
    拟购买货物59万元、工程0万元、服务2188.85万元 against the 政府采购 table's 货物A, 服务C."""
    figures = _checks(package, JS, "narrative_figures")
    assert figures["administrative_operating: 机关运行经费预算支出5619.31万元"] == \
        ("pass", yuan("5,619.31"), yuan("5619.31"))
    assert figures["procurement_total: 政府采购预算总金额为2247.85万元"] == \
        ("pass", yuan("2,247.85"), yuan("2247.85"))
    assert figures["procurement_goods: 拟购买货物59万元"] == ("pass", yuan("59.00"), yuan("59"))
    assert figures["procurement_works: 拟购买工程0万元"] == ("pass", "0", "0")  # no 工程 category
    assert figures["procurement_services: 拟购买服务2188.85万元"] == ("pass", yuan("2,188.85"), yuan("2188.85"))
    change = _checks(package, JS, "narrative_percentages")
    assert change["2017年本部门一般公共预算机关运行经费预算支出5619.31万元 … 2016年增加4032.99万元,"
                  "增加254.23%"] == ("pass", "254.24", "254.23")  # 4032.99 / 1586.32


# --- each identity fails on a real extraction with one amount altered --------------------

@pytest.fixture(scope="module")
def extracted():
    """The two PDFs, read once; each test alters a copy."""
    return {doc: extract_document(SOURCES / doc / "document.pdf", doc, load_source(SOURCES / doc).meta)
            for doc in (SH, JS)}


def _altered(extracted, doc, resource, where, key, amount):
    extraction = copy.deepcopy(extracted[doc])
    (row,) = [r for r in extraction.rows[resource] if all(r.get(k) == v for k, v in where.items())]
    row[key] = Decimal(amount)
    return {(r["rule"], r["subject"]): r for r in run_checks(doc, extraction)}


@pytest.mark.parametrize("doc, resource, where, key, amount, rule, subject, expected, actual", [
    # 江苏 三公、会议费、培训费表: 会议费 1305.25 -> 1306.25; 三公 833.60 + 会议费 + 培训费 403.75
    (JS, "three_public_expenses", {"line_type": "total"}, "meetings", yuan("1306.25"),
     "row_parts", "three_public_expenses[] total grand_total", yuan("2543.60"), yuan("2542.60")),
    # 江苏 政府采购表: 服务C 2188.85 -> 2189.85 against 拟购买服务2188.85万元
    (JS, "government_procurement", {"level": "category", "category": "服务C"}, "amount", yuan("2189.85"),
     "narrative_figures", "procurement_services: 拟购买服务2188.85万元", yuan("2189.85"), yuan("2188.85")),
    # 江苏 机关运行经费表: 合计 5619.31 -> 5620.31 against 机关运行经费预算支出5619.31万元
    (JS, "expenditure_by_economic", {"scope": "administrative_operating", "line_type": "total"}, "total",
     yuan("5620.31"), "narrative_figures", "administrative_operating: 机关运行经费预算支出5619.31万元",
     yuan("5620.31"), yuan("5619.31")),
    # 上海 财务收支预算总表: 收入总计 96,282,213.44 元 -> 96,292,213.44 against 收入预算9628.22万元
    (SH, "income_expenditure_summary", {"side": "income", "item_code": "income_total"}, "amount",
     "96292213.44", "narrative_figures", "income_total: 收入预算9628.22万元", "96292213.44", yuan("9628.22")),
    # 上海 一般公共预算基本支出表 (元): 30204 (760 元) -> 860; the lines then exceed the 合计
    (SH, "basic_expenditure_by_economic", {"line_type": "item", "department_economic_code": "30204"},
     "total", "860", "lines_sum_to_total", "basic_expenditure_by_economic[general_public_budget] total",
     "25741766.44", "25741666.44"),
])
def test_real_pdf_rule_fails_when_one_amount_is_altered(extracted, doc, resource, where, key, amount,
                                                        rule, subject, expected, actual):
    # the document as printed passes the rule
    before = {(r["rule"], r["subject"]): r for r in run_checks(doc, extracted[doc])}
    assert before[(rule, subject)]["status"] == "pass"
    row = _altered(extracted, doc, resource, where, key, amount)[(rule, subject)]
    assert (row["status"], row["expected"], row["actual"]) == ("fail", Decimal(expected), Decimal(actual))
