"""Table 3 printed by function x economic code (Beijing's 预算03表 支出总表), published as
expenditure_by_function_and_economic; and a function table that prints a code once per
budget unit without naming the unit (Beijing's 预算05表), its lines numbered by `repeat`."""
from decimal import Decimal

from conftest import read_source
from pipeline import families

FUZHONGXIN = "bj-city-fuzhongxin-2026-budget"
XINFANGBAN = "bj-city-xinfangban-2026-budget"
SHENJIJU = "bj-city-shenjiju-2026-budget"
JUNMINRONGHE = "bj-city-junminronghe-2026-budget"

BEIJING_03 = "支出功能分类科目 政府支出经济分类科目 部门支出经济分类科目 合计 基本支出 项目支出"
NATIONAL_03 = "功能分类科目编码 科目名称 合计 基本支出 项目支出"


def test_the_header_decides_between_kinds_sharing_a_title():
    tpl = families.load()
    assert tpl.kind_for_title("预算03表 支出总表", BEIJING_03).id == \
        "expenditure_by_function_and_economic"
    assert tpl.kind_for_title("预算03表 支出总表", NATIONAL_03).id == "expenditure"
    assert tpl.kind_for_title("预算03表 支出总表").id == "expenditure"  # no header: the first


def test_lines_by_function_and_economic_code_sum_to_the_total():
    extraction, checks = read_source(FUZHONGXIN)
    report = next(t for t in extraction.tables if t.title == "预算03表支出总表")
    assert (report.kind, report.status, report.page, report.rows) == \
        ("expenditure_by_function_and_economic", "extracted", 3, 21)
    assert not extraction.rows.get("expenditure_by_function", []) or all(
        r["fund"] != "all" for r in extraction.rows["expenditure_by_function"])
    rows = extraction.rows["expenditure_by_function_and_economic"]
    items = [r for r in rows if r["line_type"] == "item"]
    total = next(r for r in rows if r["line_type"] == "total")
    assert (total["total"], total["basic"], total["project"]) == \
        (Decimal("309391164.70"), Decimal("9213245.52"), Decimal("300177919.18"))  # p3
    assert sum(r["total"] for r in items) == total["total"]
    # 2120101 行政运行 is printed on 12 lines, one per pair of economic codes
    assert len([r for r in items if r["function_code"] == "2120101"]) == 12
    row = next(r for r in items if (r["function_code"], r["government_economic_code"],
                                    r["department_economic_code"]) == ("2120101", "50201", "30202"))
    assert (row["function_name"], row["government_economic_name"],
            row["department_economic_name"], row["total"], row["basic"], row["project"]) == \
        ("行政运行", "办公经费", "印刷费", Decimal("38700"), Decimal("38700"), None)
    passed = {(c["rule"], c["subject"]) for c in checks if c["status"] == "pass"}
    assert ("lines_sum_to_total", "expenditure_by_function_and_economic[all] total") in passed
    assert ("summary_classes_match_expenditure", "类 212") in passed  # table 1's class line
    assert any(rule == "narrative_figures" and subject.startswith("project:")
               for rule, subject in passed)


def test_a_name_wrapped_over_two_lines_is_read_whole():
    extraction, _ = read_source(XINFANGBAN)
    row = next(r for r in extraction.rows["expenditure_by_function_and_economic"]
               if r["function_code"] == "2080505")
    assert (row["function_name"], row["government_economic_code"],
            row["department_economic_code"], row["total"], row["source_page"]) == \
        ("机关事业单位基本养老保险缴费支出", "50102", "30108", Decimal("4691339.52"), 4)


def test_a_code_printed_once_per_unit_is_numbered_and_summed():
    extraction, checks = read_source(SHENJIJU)
    rows = [r for r in extraction.rows["expenditure_by_function"]
            if r["fund"] == "general_public_budget"]
    again = [(r["repeat"], r["total"]) for r in rows if r["function_code"] == "2010801"]
    assert again == [(None, Decimal("49528500.16")), ("2", Decimal("130079664.42"))]  # p5
    total = next(r for r in rows if r["line_type"] == "total")
    assert sum(r["total"] for r in rows if r["line_type"] == "item") == total["total"] == \
        Decimal("328019366.39")
    sums = [c["status"] for c in checks if c["rule"] == "lines_sum_to_total"
            and c["subject"].startswith("expenditure_by_function[general_public_budget]")]
    assert sums and set(sums) == {"pass"}


def test_lines_the_publisher_left_out_fail_the_sum():
    """junminronghe prints 7,077.056250 万元 of project spending in the totals of 预算03表 and
    预算05表 and on none of their lines: the sums fail (acknowledged), the lines stay."""
    extraction, checks = read_source(JUNMINRONGHE)
    rows = extraction.rows["expenditure_by_function_and_economic"]
    assert not any(r["project"] for r in rows if r["line_type"] == "item")
    failed = {c["subject"]: c for c in checks if c["rule"] == "lines_sum_to_total"
              and c["status"] == "fail"}
    project = failed["expenditure_by_function_and_economic[all] project"]
    assert (project["expected"], project["actual"]) == (None, Decimal("70770562.5"))
    assert project["acknowledged"]


def test_repeats_that_add_up_in_no_column_are_proven_by_their_blocks():
    """tuiyijunren's 预算05表 prints 2050803 培训支出 18 times, no unit named, and its lines
    add up to the total in no column (the publisher left most spending off its lines): its
    lines fall into 18 runs of ascending codes, one per unit, so each line is published,
    numbered, and the sums fail (acknowledged)."""
    extraction, checks = read_source("bj-city-tuiyijunren-2026-budget")
    report = next(t for t in extraction.tables if t.title == "预算05表一般公共预算支出表")
    assert (report.status, report.rows) == ("extracted", 138)  # 137 lines and the total
    rows = [r for r in extraction.rows["expenditure_by_function"]
            if r["fund"] == "general_public_budget" and r["function_code"] == "2050803"]
    assert [r["repeat"] for r in rows] == [None] + [str(n) for n in range(2, 19)]
    sums = {c["subject"]: (c["status"], bool(c["acknowledged"])) for c in checks
            if c["rule"] == "lines_sum_to_total" and "[general_public_budget]" in c["subject"]}
    assert sums["expenditure_by_function[general_public_budget] total"] == ("fail", True)


def test_a_code_joined_to_its_name_is_split_with_or_without_its_hyphen():
    """Beijing joins codes to names (2014001-行政运行); a scan read by OCR may lose the
    hyphen (30239其他交通费用). A number that counts something stays in the name."""
    from pipeline.normalize.layouts import code_and_name
    assert code_and_name("2014001-行政运行") == ("2014001", "行政运行")
    assert code_and_name("30239其他交通费用") == ("30239", "其他交通费用")
    assert code_and_name("[2014001]行政运行") == ("2014001", "行政运行")
    assert code_and_name("2024年度工作经费") == ("", "2024年度工作经费")
    assert code_and_name("100万元以上项目") == ("", "100万元以上项目")
    assert code_and_name("1234567890其他") == ("", "1234567890其他")
