"""Columns understood by composition: a header path read part by part as words of dimensions
(fund, kind of spending, income source, period, 三公 item), matched with the fields each
published table declares as combinations (pipeline/families/budget.yml `vocabulary`, `fields`)."""
from decimal import Decimal

import pytest

from pipeline import families
from pipeline.extract import extract_document

VOCABULARY = families.load().vocabulary
KINDS = {k.id: k for k in families.load().kinds}


def field(resource: str, *path: str, kind: str | None = None, years=()) -> str | None:
    meaning = VOCABULARY.read_path(list(path), tuple(years))
    fixes = KINDS[kind].fixes if kind else {}
    return VOCABULARY.field_for(resource, meaning, fixes) if meaning is not None else None


@pytest.mark.parametrize("path,expected", [
    # words that only say "this is the amount" never block a column
    (("合计",), "total"),
    (("预算数",), "total"),
    (("金额",), "total"),
    (("本年收入", "小计"), "current_total"),
    (("本年收入", "合计"), "current_total"),
    (("一般公共预算拨款收入",), "general_public_budget"),
    (("本年收入", "财政拨款", "一般公共预算拨款"), "general_public_budget"),
    (("财政拨款收入", "小计"), "appropriation"),
    (("一般公共预算", "其中：财政拨款"), "general_public_budget_appropriation"),
    (("本年收入", "单位资金", "事业收入"), "business_income"),
    (("事业收入(不含教育收费)",), "business_income"),
    (("财政专户拨款收入", "教育收费"), "special_account_education"),
    (("上年结余、结转",), "carryover_total"),
    (("上年结转", "一般公共预算"), "carryover_general_public_budget"),
])
def test_income_columns_compose(path, expected):
    assert field("income_by_source", *path) == expected


@pytest.mark.parametrize("path,expected", [
    (("基本支出预算", "小计"), "basic"),
    (("预算数", "基本支出", "人员经费"), "basic_personnel"),
    (("本年支出", "预算数", "基本支出", "公用经费"), "basic_public"),
    (("基本支出", "日常公用支出"), "basic_public"),
    (("工资福利支出",), "basic_wages"),  # implies basic spending
    (("项目支出", "特定目标类"), "project_specific"),
    (("其中", "事业单位经营支出"), "operating_expenditure"),
    (("结转下年",), "carry_forward"),
])
def test_spending_columns_compose(path, expected):
    assert field("expenditure_by_function", *path, kind="expenditure") == expected


def test_a_table_fixes_what_its_title_says():
    """A 一般公共预算 table may say 一般公共预算 in its header; a 支出总表 (fund all) admits
    no fund in a column; a 财政拨款 table tells its funds apart."""
    assert field("expenditure_by_function", "一般公共预算支出", "小计",
                 kind="general_budget_expenditure") == "total"
    assert field("expenditure_by_function", "财政拨款", "小计", kind="expenditure") is None
    assert field("summary", "财政拨款支出", "合计", kind="appropriation_summary") == "total"
    assert field("summary", "财政拨款支出", "一般公共预算",
                 kind="appropriation_summary") == "general_public_budget"
    assert field("basic_expenditure_by_economic", "本年一般公共预算基本支出", "人员经费",
                 kind="basic_by_economic") == "personnel"


def test_years_tell_this_years_columns_from_last_years():
    years = (2025, 2026)
    assert field("three_public_expenses", "2026年预算数", "因公出国(境)经费",
                 kind="three_public_expenses", years=years) == "travel_abroad"
    # last year's column is understood, and published nowhere
    meaning = VOCABULARY.read_path(["2025年预算数", "因公出国(境)经费"], years)
    assert meaning == {"period": "previous", "item": "travel_abroad"}
    assert VOCABULARY.field_for("three_public_expenses", meaning, {"fund": "any"}) is None


@pytest.mark.parametrize("path,expected", [
    (("公务用车购置及运行维护费", "小计"), "vehicles"),
    (("公务用车购置及运行维护费", "公务用车购置费"), "vehicle_purchase"),
    (("“三公”经费财政拨款预算总额",), "total"),
    (("合计",), "grand_total"),
    (("会议费",), "meetings"),
])
def test_three_public_columns_compose(path, expected):
    assert field("three_public_expenses", *path, kind="three_public_expenses") == expected


def test_an_unknown_word_leaves_the_column_unread():
    assert VOCABULARY.read_path(["公务宴请费"]) is None
    assert VOCABULARY.read_path(["入", "2026年预算数"]) is None  # half a label


def test_a_new_templates_header_is_read_with_no_vocabulary_change(tmp_path):
    """A 收入总表 laid out as no known template prints it (Beijing-like: 单位编码, 本年收入
    over 小计 and two funds, a carry-over block, amounts to the fen in 万元) publishes into
    the right fields."""
    text = "\n".join([
        "2026年部门收入总表",
        "单位：万元",
        "单位编码\t单位名称\t收入总计\t本年收入\t\t\t上年结转结余\t",
        "\t\t\t小计\t一般公共预算拨款收入\t政府性基金预算拨款收入\t小计\t一般公共预算",
        "\t合计\t9,626.777589\t9,616.338314\t9,616.338314\t0.000000\t10.439275\t10.439275",
        "015001\t某某办公室\t9,626.777589\t9,616.338314\t9,616.338314\t0.000000\t10.439275\t10.439275",
        "",
    ])
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    (total, unit) = extract_document(path, "x").rows["income_by_source"]
    assert (total["line_type"], unit["line_type"], unit["unit_code"]) == ("total", "unit", "015001")
    assert unit["total"] == Decimal("96267775.89")
    assert (unit["current_total"], unit["general_public_budget"], unit["government_fund"]) == \
        (Decimal("96163383.14"), Decimal("96163383.14"), Decimal("0"))
    assert (unit["carryover_total"], unit["carryover_general_public_budget"]) == \
        (Decimal("104392.75"), Decimal("104392.75"))


def test_a_column_the_header_leaves_open_is_decided_by_the_rows(tmp_path):
    """A column printed with no header before 基本支出 and 项目支出 is read as their total,
    because 合计 = 基本支出 + 项目支出 then holds on every line and no other field makes it
    hold; when the identity does not hold, the column stays unknown and fails its table."""
    rows = ["2024年部门支出总体情况表", "单位：万元",
            "科目编码\t科目名称\t\t基本支出\t项目支出",
            "2010301\t行政运行\t401.87\t401.87\t",
            "2010350\t事业运行\t120.00\t100.00\t20.00",
            "\t合计\t521.87\t501.87\t20.00", ""]
    path = tmp_path / "t.txt"
    path.write_text("\n".join(rows), encoding="utf-8")
    extraction = extract_document(path, "x")
    (line,) = [r for r in extraction.rows["expenditure_by_function"]
               if r["function_code"] == "2010350"]
    assert (line["total"], line["basic"], line["project"]) == \
        (Decimal("1200000"), Decimal("1000000"), Decimal("200000"))
    assert any("read as total" in w for w in extraction.warnings)
    path.write_text("\n".join(rows).replace("120.00\t100.00", "125.00\t100.00"), encoding="utf-8")
    with pytest.raises(Exception, match="header is not understood"):
        extract_document(path, "x")


SHENZHEN_THREE_PUBLIC = [
    "财政拨款“三公”经费支出表", "单位：万元",
    "预算单位\t年度\t总计\t\t因公出国(境)费\t\t公务接待费\t",
    "\t\t一般公共预算\t政府性基金预算\t一般公共预算\t政府性基金预算\t一般公共预算\t政府性基金预算",
    "某局\t2025年\t32.44\t0.00\t0.80\t0.00\t31.64\t0.00",
    "\t2026年\t5.58\t0.00\t0.00\t0.00\t5.58\t0.00",
    "\t增减变化金额\t-26.86\t0.00\t-0.80\t0.00\t-26.06\t0.00", ""]


def test_a_form_by_year_and_fund_publishes_this_years_row(tmp_path):
    """三公 printed per year (2025年, 2026年, 增减) and per fund: the latest year's row is
    the budget's; a fund's column is the item's whole where the other funds print zero."""
    path = tmp_path / "t.txt"
    path.write_text("\n".join(SHENZHEN_THREE_PUBLIC), encoding="utf-8")
    (row,) = extract_document(path, "x").rows["three_public_expenses"]
    assert (row["total"], row["travel_abroad"], row["reception"]) == \
        (Decimal("55800"), Decimal("0"), Decimal("55800"))


def test_a_form_with_amounts_in_two_funds_is_not_read(tmp_path):
    """Where another fund prints money, the first fund's column is only a share: no field
    holds it, and the table fails alone rather than publish a share as the whole."""
    lines = list(SHENZHEN_THREE_PUBLIC)
    lines[5] = "\t2026年\t5.58\t1.00\t0.00\t0.00\t5.58\t1.00"
    path = tmp_path / "t.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(Exception, match="split by fund with amounts in more than one fund"):
        extract_document(path, "x")
