"""Two real PDFs from other provinces, read by the same code as everything else.
Golden values read off the PDFs by eye (page numbers as printed by the PDF viewer)."""
from decimal import Decimal

from conftest import read_table, yuan

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
    assert (row["name"], row["total"], row["general_public_budget"], row["business_income"],
            row["operating_income"], row["other_income"]) == \
        ("基层司法业务", "21703947", "21703947", "0", "0", "0")
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
        statuses = {r["status"] for r in read_table(package, "checks", document_id=doc)}
        assert statuses <= {"pass", "not_applicable"}, doc
        assert len(read_table(package, "checks", document_id=doc, status="pass")) > 40
