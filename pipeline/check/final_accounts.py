"""The rules only final accounts (部门决算) answer to: the narrative's execution statements
(budget_execution) against their own figures and the tables, each fund's carry-overs row by
row, 机关运行经费 within the basic table's 公用经费, and
one department and one year throughout. A document whose family's own amounts are not
executed ones (a budget) is not one: every rule here is then not applicable.

The totals of table 1 with its carry-overs (总计 = 本年收入合计 + 使用非财政拨款结余 + 年初结转
和结余; 总计 = 本年支出合计 + 结余分配 + 年末结转和结余) are rules.summary_lines: it adds what
is printed between this year's total and the 总计, which is these lines.
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from pipeline import families
from pipeline.check.engine import Comparison, Doc, rule, tol, total
from pipeline.check.narrative import paragraphs_of
from pipeline.normalize.execution import lines_of, rate_tolerance, recomputed_rate
from pipeline.values import UNIT_FACTORS, label

WORDS = {"greater": "大于", "less": "小于", "equal": "持平"}


def _final_account() -> bool:
    """Whether the document read is a final account: its family's amounts are executed."""
    return families.current().phase == "executed"


def _own() -> str:
    return families.current().phase


def _subject(row: dict) -> str:
    """budget_execution[general_public_budget] 1 2013901, …[three_public] total."""
    what = row["item_number"] or row["line_type"]
    named = row["function_code"] or row["name"] or ""
    return f"budget_execution[{row['scope']}] {what} {named}".rstrip()


def _execution(doc: Doc) -> list[dict]:
    return doc.get("budget_execution") if _final_account() else []


@rule("execution_rate", "完成率 = 决算数 ÷ 预算数", "The completion rate the narrative prints is "
      "its final amount over its budget (budget_execution)", ("budget_execution",),
      tolerance="half the last printed digit, at least 0.01 percentage points")
def execution_rate(doc):
    for r in _execution(doc):
        printed = r["stated_rate"]
        if printed is None:
            continue
        if r["budget"] is None or r["final"] is None:
            yield Comparison(_subject(r), None, printed, rate_tolerance(printed), "narrative",
                             "percent", comparable=False)
        elif r["budget"] == 0:  # a rate printed on no budget: nothing it can be
            yield Comparison(f"{_subject(r)} (budget 0)", None, printed, rate_tolerance(printed),
                             "narrative", "percent")
        else:
            yield Comparison(_subject(r), recomputed_rate(r["final"], r["budget"]), printed,
                             rate_tolerance(printed), "narrative", "percent")


@rule("execution_words", "“决算数大于／小于预算数”“持平”与所述两数相符",
      "What the narrative says of the final amount against the budget (greater, less, equal) "
      "holds for the two amounts it states", ("budget_execution",), tolerance="exact")
def execution_words(doc):
    for r in _execution(doc):
        word, budget, final = r["comparison"], r["budget"], r["final"]
        if word is None or budget is None or final is None:
            continue
        subject = f"{_subject(r)}: 决算数{WORDS[word]}预算数"
        if word == "equal":
            yield Comparison(subject, budget, final, Decimal(0), "narrative")
        else:
            holds = final > budget if word == "greater" else final < budget
            yield Comparison(subject, Decimal(1), Decimal(int(holds)), Decimal(0), "narrative",
                             "flag")


@rule("execution_matches_tables", "情况说明所述决算数 = 支出决算表（按功能分类科目）；“三公”预决算 = “三公”表",
      "The final amount the narrative states for each 项 (and a fund's total) equals that "
      "fund's expenditure table; the 三公 budget and final equal the 三公 table",
      ("budget_execution", "expenditure_by_function", "three_public_expenses"))
def execution_matches_tables(doc):
    for r in _execution(doc):
        if r["scope"] == "three_public":
            yield from _three_public(doc, r)
            continue
        if not doc.has("expenditure_by_function", fund=r["scope"]) or \
                (r["line_type"] == "item" and not r["function_code"]):
            yield Comparison(_subject(r), None, r["final"], tol([r], 1), "narrative",
                             comparable=False)  # no table, or no code, to compare it with
            continue
        where = {"line_type": "total"} if r["line_type"] == "total" else \
            {"line_type": "item", "function_code": r["function_code"]}
        line = doc.one("expenditure_by_function", fund=r["scope"], phase=_own(), **where)
        yield Comparison(_subject(r), (line or {}).get("total"), r["final"], tol([r, line], 1),
                         "narrative, expenditure_by_function")


def _three_public(doc: Doc, r: dict):
    """The 三公 statement against the 三公 table's totals: the final amount against what it
    spent, the budget against the budget it prints beside (预算数); a table printed empty
    says both are none."""
    printed = doc.has("three_public_expenses")
    rows = doc.get("three_public_expenses", line_type="total")
    for key, own in (("final", True), ("budget", False)):
        line = next((t for t in rows if (t["phase"] == _own()) == own), None)
        if r[key] is None or (rows and line is None):
            continue  # not stated, or the table prints no such figure
        expected = line["total"] if line else Decimal(0)
        yield Comparison(f"{_subject(r)} {key}", expected, r[key], tol([r, line], 1),
                         "narrative, three_public_expenses", comparable=printed)


@rule("fund_carryover_rows", "各行：年初结转和结余 + 本年收入 = 本年支出 + 年末结转和结余",
      "In a fund's income and expenditure table, each row's opening balance plus this year's "
      "income equals this year's expenditure plus its closing balance",
      ("expenditure_by_function",))
def fund_carryover_rows(doc):
    if not _final_account():
        return
    for r in doc.get("expenditure_by_function"):
        parts = (r["opening_balance"], r["current_income"], r["closing_balance"])
        if all(p is None for p in parts):
            continue
        expected = (r["opening_balance"] or 0) + (r["current_income"] or 0) - (r["closing_balance"] or 0)
        what = r["function_code"] or r["name"] or r["line_type"]
        yield Comparison(f"expenditure_by_function[{r['fund']}] {what} 本年支出",
                         Decimal(expected), r["total"], tol([r], 3), "expenditure_by_function")


@rule("administrative_operating_within_public", "机关运行经费 ≤ 一般公共预算财政拨款基本支出公用经费",
      "The 机关运行经费 the narrative states (the 公用经费 of administrative units) is at most "
      "the 公用经费 of the general public budget's basic spending (table 6)",
      ("narrative", "basic_expenditure_by_economic"), tolerance="0.01 per term")
def administrative_operating_within_public(doc):
    pattern = families.current().raw["narrative"].get("within_public")
    basic = doc.one("basic_expenditure_by_economic", fund="general_public_budget", line_type="total")
    if not _final_account() or not pattern or not basic or basic.get("public") is None:
        return
    for paragraph in paragraphs_of(doc):
        m = re.search(pattern, paragraph)
        if m:
            stated = Decimal(m.group("v").replace(",", "")) * UNIT_FACTORS["万元"]
            holds = stated <= basic["public"] + tol([basic], 1)
            yield Comparison(f"{m.group(0)} ≤ 公用经费合计", Decimal(1), Decimal(int(holds)),
                             Decimal(0), "narrative, basic_expenditure_by_economic", "flag")
            return


def _passages(doc: Doc) -> list[str]:
    """The text as heads (a line each: the family's `execution.heads`) and the passages
    between them, each ending where a sentence ends: a title printed over several lines is
    one passage (中共上海市普陀区委 / 社会工作部2024年度 / 部门决算)."""
    heads = [re.compile(h) for h in families.current().raw["execution"]["heads"]]
    out, current = [], ""
    for line in lines_of(doc.extraction.document):
        if any(h.search(line.text) for h in heads):
            out += [current, line.text] if current else [line.text]
            current = ""
            continue
        current += line.text
        if re.search(r"[。；;：:]$", current):
            out.append(current)
            current = ""
    return out + ([current] if current else [])


@rule("one_department_one_year", "全文同一部门名称、同一年度（标题、各部分标题、“截至某年12月31日”）",
      "The document names one department and one year throughout: its title, part heads, "
      "the sentences opening with the department and the year, the date of its assets",
      ("narrative",), tolerance="exact")
def one_department_one_year(doc):
    patterns = families.current().raw["narrative"].get("identity", [])
    if not _final_account() or not patterns or doc.extraction.document is None or \
            not families.current().raw.get("execution"):
        return
    stated: dict[str, re.Match] = {}  # what a statement says, once per wording
    for text in _passages(doc):
        for pattern in patterns:
            m = re.search(pattern, text)
            if m:
                stated.setdefault(m.group(0), m)
    for group, what in (("name", "department"), ("year", "year")):
        said = {text: label(m.group(group)) for text, m in stated.items()
                if group in m.re.groupindex and m.group(group)}
        if not said:
            continue
        usual = Counter(said.values()).most_common(1)[0][0]
        for text, value in said.items():
            yield Comparison(f"{what}: {text}", Decimal(1), Decimal(int(value == usual)),
                             Decimal(0), "narrative", "flag")
