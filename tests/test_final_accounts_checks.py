"""A final account's narrative read into budget_execution, and the rules only final accounts
answer to (check/final_accounts.py): the real 普陀区委社会工作部 2024 决算 reads item by item
as printed (pages 18-20) and passes every check; a copy with one inconsistency planted fails
exactly the rule it breaks; on a budget, the final-account rules are not applicable."""
from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import SEEDS, SOURCES
from pipeline import families
from pipeline.check.engine import run_checks, unacknowledged_failures
from pipeline.extract import extract_document
from pipeline.families.knowledge import FAMILIES
from pipeline.families.schema import FamilyFileError, validate
from pipeline.model import Document, Page, TextBlock
from pipeline.normalize.common import Context
from pipeline.normalize.execution import read_execution
from pipeline.sources import load_source

FINAL = "sh-putuo-shehuigongzuobu-2024-final-accounts"
BUDGET = "xinxiang-city-zwfw-2024-budget"
OURS = ("execution_rate", "execution_words", "execution_matches_tables", "fund_carryover_rows",
        "administrative_operating_within_public", "one_department_one_year")


@pytest.fixture(scope="module")
def final():
    meta = load_source(SOURCES / FINAL).meta
    return extract_document(SOURCES / FINAL / "document.pdf", FINAL, meta)


def wan(amount: str) -> Decimal:
    return Decimal(amount) * 10000


def by_item(extraction) -> dict:
    return {(r["scope"], r["item_number"] or r["line_type"]): r
            for r in extraction.rows["budget_execution"]}


# --- the real final account ---------------------------------------------------------------

# (item, function code, 全年预算, 支出决算, printed rate, comparison), read off pages 18-20
GOLDEN = [
    ("1", "2013901", "52.00", "51.32", "98.69", "less"),
    ("2", "2013950", "17.68", "11.31", None, "less"),
    ("3", "2013999", "202.24", "202.24", None, "equal"),
    ("4", "2080505", "9.00", "6.18", None, "less"),
    ("5", "2080506", "5.74", "4.64", None, "less"),
    ("6", "2101101", "2.23", "2.22", "99.55", "less"),
    ("7", "2101102", "2.29", "0.49", None, "less"),
    ("8", "2210201", "18.12", "17.70", "97.68", "less"),
    ("9", "2210203", "11.72", "11.72", None, "equal"),
]


def test_the_narrative_reads_item_by_item_as_printed(final):
    rows = by_item(final)
    assert len(rows) == 10 and {r["scope"] for r in rows.values()} == {"general_public_budget"}
    for number, code, budget, spent, rate, word in GOLDEN:
        r = rows[("general_public_budget", number)]
        assert (r["function_code"], r["budget"], r["final"], r["comparison"], r["budget_basis"]) \
            == (code, wan(budget), wan(spent), word, "adjusted"), number
        assert r["stated_rate"] == (Decimal(rate) if rate else None), number
        assert r["source_unit"] == "万元" and r["source_table"] == "一般公共预算财政拨款支出决算具体情况"
    first = rows[("general_public_budget", "1")]
    assert first["name"] == "一般公共服务支出(类)社会工作事务(款)行政运行(项)"
    assert first["budget"] == Decimal("520000.00") and first["source_page"] == 18
    assert first["reason"] == "人员变动引起实际支出低于预算"
    assert rows[("general_public_budget", "3")]["reason"] is None  # 持平: no reason to give
    assert rows[("general_public_budget", "3")]["source_page"] == 18  # its item opens on 18
    assert rows[("general_public_budget", "9")]["source_page"] == 20


def test_the_total_is_compared_with_the_budget_its_rate_recomputes_from(final):
    """It states 年初预算 0 and 全年预算 321.02, and 完成年初预算的 95.89%: 95.89% is
    307.82 / 321.02, so the budget compared with is the 全年 one."""
    total = by_item(final)[("general_public_budget", "total")]
    assert (total["budget"], total["final"], total["stated_rate"]) == \
        (wan("321.02"), wan("307.82"), Decimal("95.89"))
    assert (total["budget_basis"], total["comparison"], total["item_number"]) == ("adjusted", "less", None)
    assert total["name"] == "一般公共预算财政拨款支出"
    assert total["reason"] == "人员经费支出数小于预算数"


def test_the_real_final_account_passes_its_checks(final):
    rows = run_checks(FINAL, final)
    assert unacknowledged_failures(rows) == []
    passed = {r["rule"] for r in rows if r["status"] == "pass"}
    assert set(OURS) - {"fund_carryover_rows"} <= passed  # its fund tables are printed empty
    assert "appropriation_classes_match_general_budget" in passed  # table 4 against table 5
    assert [r["status"] for r in rows if r["rule"] == "fund_carryover_rows"] == ["not_applicable"]
    rates = [r for r in rows if r["rule"] == "execution_rate"]
    assert len(rates) == 4 and all(r["expected"] == r["actual"] for r in rates)
    assert len([r for r in rows if r["rule"] == "execution_matches_tables"]) == 10
    figures = {r["subject"].split(":")[0]: r for r in rows if r["rule"] == "narrative_figures"}
    for key, amount in (("income_total", "307.82"), ("appropriation_total", "307.82"),
                        ("basic_personnel", "95.36"), ("basic_public", "10.23")):
        assert (figures[key]["status"], figures[key]["actual"]) == ("pass", wan(amount)), key
    assert figures["政府采购 = 货物 + 工程 + 服务"]["status"] == "pass"


def test_on_a_budget_the_final_account_rules_are_not_applicable():
    meta = load_source(SOURCES / BUDGET).meta
    extraction = extract_document(SEEDS[BUDGET], BUDGET, meta)
    assert "budget_execution" not in extraction.rows
    statuses = {r["rule"]: r["status"] for r in run_checks(BUDGET, extraction) if r["rule"] in OURS}
    assert statuses == dict.fromkeys(OURS, "not_applicable")


# --- planted inconsistencies ---------------------------------------------------------------

def planted(extraction, *edits: tuple[str, str]):
    """A copy of the extraction whose narrative has each `old` (printed once, on one line)
    replaced by `new`, and budget_execution read again from it."""
    out = copy.deepcopy(extraction)
    blocks = [b for page in out.document.pages for b in page.items if isinstance(b, TextBlock)]
    for old, new in edits:
        holding = [b for b in blocks if old in b.text]
        assert len(holding) == 1 and holding[0].text.count(old) == 1, old
        holding[0].text = holding[0].text.replace(old, new)
    with families.use(out.family):
        out.rows["budget_execution"] = read_execution(
            out.document, Context(FINAL, Path("document.pdf")), out.rows["expenditure_by_function"])
    return out


def failing(extraction) -> set[str]:
    return {r["rule"] for r in run_checks(FINAL, extraction) if r["status"] == "fail"}


@pytest.mark.parametrize("rule, edits", [
    # 51.32 / 52.00 is 98.69%, not 97.69%
    ("execution_rate", [("完成全年预算数的98.69%", "完成全年预算数的97.69%")]),
    # 购房补贴: 11.72 and 11.72 are equal, not 小于
    ("execution_words", [("11.72万元。决算数与全年预算数持平", "11.72万元。决算数小于全年预算数")]),
    # 购房补贴 2210203 spent 11.72 in table 5, not 11.82 (both sides agree, so 持平 holds)
    ("execution_matches_tables", [("全年预算为11.72万元", "全年预算为11.82万元"),
                                  ("决算为11.72万元。", "决算为11.82万元。")]),
    # 机关运行经费 beyond all of table 6's 公用经费 (10.23); the change on 2023 kept consistent
    ("administrative_operating_within_public",
     [("机关运行经费支出10.23万元，比2023年度增加10.23万元", "机关运行经费支出11.23万元，比2023年度增加11.23万元")]),
    ("one_department_one_year", [("截至2024年12月31日", "截至2023年12月31日")]),
    ("one_department_one_year", [("中共上海市普陀区委社会工作部2024年度政府采购金额",
                                  "上海市普陀区民政局2024年度政府采购金额")]),
    # 公用经费 10.33 against table 6's 10.23; 货物 20.07 + 工程 0 + 服务 0 against 政府采购 21.07
    ("narrative_figures", [("公用经费10.23", "公用经费10.33")]),
    ("narrative_figures", [("货物采购金额21.07万元", "货物采购金额20.07万元")]),
], ids=["rate", "words", "tables", "within_public", "year", "department", "public_costs",
        "procurement_split"])
def test_a_planted_narrative_inconsistency_fails_exactly_its_rule(final, rule, edits):
    assert failing(planted(final, *edits)) == {rule}


def test_a_changed_item_is_read_as_changed(final):
    changed = by_item(planted(final, ("全年预算为11.72万元", "全年预算为11.82万元"),
                              ("决算为11.72万元。", "决算为11.82万元。")))
    assert (changed[("general_public_budget", "9")]["budget"],
            changed[("general_public_budget", "9")]["final"]) == (wan("11.82"), wan("11.82"))


def fund_rows(extraction, opening: str, income: str, spent: str, closing: str) -> list[dict]:
    """A 政府性基金 table's total and one line, as the table prints them (万元)."""
    template = next(r for r in extraction.rows["expenditure_by_function"]
                    if r["fund"] == "general_public_budget" and r["line_type"] == "total")
    rows = []
    for line_type, code, name in (("total", None, None), ("item", "2120803", "征地和拆迁补偿支出")):
        row = dict.fromkeys(template, None)
        row.update(document_id=FINAL, phase="executed", fund="government_fund", line_type=line_type,
                   function_code=code, name=name, opening_balance=wan(opening),
                   current_income=wan(income), total=wan(spent), closing_balance=wan(closing),
                   source_table="政府性基金预算财政拨款收入支出决算表", source_page=15,
                   source_unit="万元")
        rows.append(row)
    return rows


def test_a_fund_row_whose_carryovers_do_not_add_up_fails_the_row_rule(final):
    consistent = copy.deepcopy(final)
    consistent.rows["expenditure_by_function"] += fund_rows(final, "1.00", "5.00", "4.00", "2.00")
    rows = run_checks(FINAL, consistent)
    assert [r["status"] for r in rows if r["rule"] == "fund_carryover_rows"] == ["pass", "pass"]
    broken = copy.deepcopy(final)  # 1.00 + 5.00 is not 4.00 + 3.00
    broken.rows["expenditure_by_function"] += fund_rows(final, "1.00", "5.00", "4.00", "3.00")
    assert failing(broken) == {"fund_carryover_rows"}


def test_table_4_classes_swapped_fail_against_table_5(final):
    """208 and 210 swap their figures in table 4: its totals still add up, but each class
    no longer equals table 5's."""
    broken = copy.deepcopy(final)
    lines = {r["function_code"]: r for r in broken.rows["appropriation_summary"]
             if r["side"] == "expenditure" and r["function_code"] in ("208", "210")}
    for key in ("total", "general_public_budget"):
        lines["208"][key], lines["210"][key] = lines["210"][key], lines["208"][key]
    assert failing(broken) == {"appropriation_classes_match_general_budget"}


def test_table_1_carryover_not_in_its_total_fails_summary_lines(final):
    """总计 = 本年收入合计 + 使用非财政拨款结余 + 年初结转和结余 is summary_lines' (the lines
    printed between this year's total and the 总计)."""
    broken = copy.deepcopy(final)
    opening = next(r for r in broken.rows["income_expenditure_summary"]
                   if r["item_code"] == "opening_balance")
    opening["amount"] = wan("1.00")
    assert failing(broken) == {"summary_lines"}


# --- the reader on the template's other phrasings -----------------------------------------

THREE_PUBLIC = """七、财政拨款“三公”经费支出决算情况说明
（一）“三公”经费财政拨款支出决算总体情况说明。
“三公”经费财政拨款支出年初预算为 3.00 万元，支出决算为 2.40 万元，完成预算的 80.00%，其中：因公出国（境）费决算为 0 万元，完成预算的 0%；公务用车购置及运行维护费支出决算为 2.00 万元，完成预算的 80.00%；公务接待费支出决算为 0.40 万元，完成预算的 80.00%。2024 年度“三公”经费支出决算数小于预算数的主要原因：厉行节约。
（二）“三公”经费财政拨款支出决算具体情况说明。
八、政府性基金预算财政拨款收入支出决算情况说明
政府性基金预算财政拨款收入 5.00 万元，支出 4.00 万元，支出具体情况如下：
1、城乡社区支出（类）国有土地使用权出让收入安排的支出（款）征地和拆迁补偿支出（项）。主要用于：征地。年初预算为 5.00 万元，支出决算为 4.00 万元。决算数小于预算数的主要原因：项目延后。
九、国有资本经营预算财政拨款收入支出决算情况说明
"""


def read(text: str, function_rows: list[dict] = ()) -> list[dict]:
    document = Document(Path("t.txt"), "transcript", [Page(None, [TextBlock(text)])])
    with families.use("final_accounts"):
        return read_execution(document, Context("t", Path("t.txt")), list(function_rows))


def test_the_three_public_sentence_and_a_fund_item_are_read():
    code = [{"function_code": "212", "name": "城乡社区支出"},
            {"function_code": "21208", "name": "国有土地使用权出让收入安排的支出"},
            {"function_code": "2120803", "name": "征地和拆迁补偿支出"}]
    rows = {r["scope"]: r for r in read(THREE_PUBLIC, code)}
    assert set(rows) == {"three_public", "government_fund"}
    three = rows["three_public"]
    assert (three["line_type"], three["budget"], three["final"], three["stated_rate"],
            three["budget_basis"], three["comparison"], three["reason"]) == \
        ("total", wan("3.00"), wan("2.40"), Decimal("80.00"), "approved", "less", "厉行节约")
    fund = rows["government_fund"]
    assert (fund["item_number"], fund["function_code"], fund["budget"], fund["final"]) == \
        ("1", "2120803", wan("5.00"), wan("4.00"))


def test_a_function_code_is_given_only_when_one_code_bears_the_names():
    two = [{"function_code": "2120803", "name": "征地和拆迁补偿支出"},
           {"function_code": "2120903", "name": "征地和拆迁补偿支出"}]
    assert [r["function_code"] for r in read(THREE_PUBLIC, two)
            if r["scope"] == "government_fund"] == [None]
    named = two + [{"function_code": "21208", "name": "国有土地使用权出让收入安排的支出"},
                   {"function_code": "21209", "name": "城市基础设施配套费安排的支出"}]
    assert [r["function_code"] for r in read(THREE_PUBLIC, named)
            if r["scope"] == "government_fund"] == ["2120803"]


def test_an_execution_pattern_without_the_groups_read_fails_at_load():
    raw = yaml.safe_load((FAMILIES / "final_accounts.yml").read_text(encoding="utf-8"))
    merged = copy.deepcopy(families.load("final_accounts").raw)
    merged["execution"] = {**raw["execution"], "final": "支出决算为[\\d.]+万元"}
    with pytest.raises(FamilyFileError, match="execution.*final.*no group unit, v"):
        validate(merged, FAMILIES / "final_accounts.yml")
