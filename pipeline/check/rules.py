"""The table rules: how the standard tables restate each other (DOMAIN, 勾稽关系).

Table 1 against its lines and the other tables, line tables against their totals, units
and code hierarchy, each row's parts, basic and project spending across tables 3 to 11,
the performance forms against table 11, empty-table notes, amount precision, and the
tables not read. Each function is registered by `@rule` under its own name as id.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterator

from pipeline import families
from pipeline.check.engine import CENT, Comparison, Doc, gap_subject, rule, tol, total
from pipeline.metadata.registry import BY_NAME, TABLES
from pipeline.values import UNIT_FACTORS, label


def _sums(subject: str, whole: dict, parts: list[dict], resource: str) -> Iterator[Comparison]:
    """For each amount column: `whole` against the sum of `parts`."""
    for key in BY_NAME[resource].amount_fields():
        expected, actual = total(p.get(key) for p in parts), whole.get(key)
        if expected is not None or actual is not None:
            yield Comparison(f"{subject} {key}", expected, actual,
                             tol([whole] + parts, len(parts)), resource)


# --- table 1 --------------------------------------------------------------------------

def summary_row(doc: Doc, side: str, code: str) -> dict | None:
    return doc.one("income_expenditure_summary", side=side, item_code=code)


@rule("summary_balance", "收入总计 = 支出总计", "Total income equals total expenditure",
      ("income_expenditure_summary",))
def summary_balance(doc):
    income, spending = summary_row(doc, "income", "income_total"), summary_row(doc, "expenditure", "expenditure_total")
    if income and spending:
        yield Comparison("收入总计 / 支出总计", income["amount"], spending["amount"],
                         tol([income, spending], 1), "1")


@rule("summary_lines", "本年收入 = 各收入项之和；本年支出 = 各功能分类之和；总计 = 本年 + 结转",
      "Table 1: income lines sum to this year's income, function classes to this year's "
      "expenditure, and this year plus carry-over to the totals", ("income_expenditure_summary",))
def summary_lines(doc):
    for side, current, extra, grand in (("income", "current_income_total", "carryover", "income_total"),
                                        ("expenditure", "current_expenditure_total", "carry_forward",
                                         "expenditure_total")):
        rows = doc.get("income_expenditure_summary", side=side)
        cur = summary_row(doc, side, current)
        end = summary_row(doc, side, grand)
        at = rows.index(cur) if cur else len(rows)  # lines printed under this year's total
        lines = [r for r in rows[:at] if not r["parent_item"] and r["item_code"] not in
                 (current, extra, grand) and r["amount"] is not None]
        if cur and lines:
            yield Comparison(f"{side}: {cur['item']}", total(r["amount"] for r in lines),
                             cur["amount"], tol(lines, len(lines)), "1")
        if cur and end:  # the total adds this year's and what is printed between them
            between = rows[at + 1:rows.index(end)] if rows.index(end) > at else []
            parts = [cur] + [r for r in between if not r["parent_item"] and r["amount"] is not None]
            yield Comparison(f"{side}: {end['item']}", total(r["amount"] for r in parts),
                             end["amount"], tol(parts, len(parts)), "1")


@rule("summary_classes_match_expenditure", "表一各功能分类 = 表三按类汇总",
      "Table 1's function classes equal table 3's lines summed by class",
      ("income_expenditure_summary", "expenditure_by_function", "expenditure_by_function_and_economic"))
def summary_classes_match_expenditure(doc):
    leaves = _leaves(doc.get("expenditure_by_function", fund="all", line_type="item"), "function_code") \
        or doc.get("expenditure_by_function_and_economic", fund="all", line_type="item")
    if not leaves or not doc.has("income_expenditure_summary"):  # table 1 not read: a gap
        return
    by_class = defaultdict(list)
    for r in leaves:
        by_class[r["function_code"][:3]].append(r)
    printed = {r["function_code"]: r for r in doc.get("income_expenditure_summary", side="expenditure")
               if r["function_code"]}
    for code in sorted(set(by_class) | {c for c, r in printed.items() if r["amount"] is not None}):
        row, parts = printed.get(code), by_class.get(code, [])
        yield Comparison(f"类 {code}", total(p["total"] for p in parts),
                         row["amount"] if row else None, tol(parts + [row], len(parts)), "1, 3")


@rule("summary_income_matches_sources", "表一本年收入合计 = 表二本年收入合计",
      "Table 1's income this year equals table 2's", ("income_expenditure_summary", "income_by_source"))
def summary_income_matches_sources(doc):
    t1, t2 = summary_row(doc, "income", "current_income_total"), doc.one("income_by_source", line_type="total")
    if t1 and t2 and doc.printed("income_by_source", "current_total"):
        yield Comparison("本年收入合计", t1["amount"], t2["current_total"], tol([t1, t2], 1), "1, 2")


@rule("appropriation_matches_general_budget", "一般公共预算财政拨款 = 一般公共预算支出表合计",
      "The general-budget appropriation in tables 1 and 4 equals table 5's total",
      ("income_expenditure_summary", "appropriation_summary", "expenditure_by_function"))
def appropriation_matches_general_budget(doc):
    t5 = doc.one("expenditure_by_function", fund="general_public_budget", line_type="total")
    if not t5:
        return
    t1 = summary_row(doc, "income", "general_public_budget_appropriation")
    if t1:
        yield Comparison("表一 其中：财政拨款", t5["total"], t1["amount"], tol([t1, t5], 1), "1, 5")
    t4 = doc.one("appropriation_summary", side="expenditure", item_code="current_expenditure_total")
    if t4 and doc.printed("appropriation_summary", "general_public_budget"):
        yield Comparison("表四 本年支出 一般公共预算", t5["total"], t4["general_public_budget"],
                         tol([t4, t5], 1), "4, 5")
        if doc.printed("appropriation_summary", "general_public_budget_appropriation"):
            yield Comparison("表四 本年支出 其中：财政拨款", t5["total"],
                             t4["general_public_budget_appropriation"], tol([t4, t5], 1), "4, 5")


# --- table 4 ---------------------------------------------------------------------------

APPROPRIATION_TOTALS = {  # side: (this year's total, the grand total)
    "income": ("current_income_total", "income_total"),
    "expenditure": ("current_expenditure_total", "expenditure_total"),
    "expenditure_by_use": (None, "expenditure_total"),
}
BALANCES = ("carryover", "carry_forward", "opening_balance", "closing_balance")
FUNDS = ("general_public_budget", "government_fund", "state_capital")


def _appropriation_tables(doc: Doc) -> Iterator[tuple[str, str, list[dict]]]:
    """Each side of each table 4 read: (side, what to name it by, its rows in printed order);
    named by its side, and by its title too where the document prints more than one."""
    tables: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in doc.get("appropriation_summary", phase=families.current().phase):
        tables[(r["side"], r["source_table"])].append(r)
    several = len({title for _, title in tables}) > 1
    for (side, title), rows in tables.items():
        yield side, f"{title} {side}" if several else side, rows


def _appropriation_lines(rows: list[dict], current: str | None) -> list[dict]:
    """The lines making up this year's total: the children of that total where it prints
    them under it, else the coded lines printed at the top level (fund lines, function
    classes, 基本/项目支出) — with 财政拨款 printed as one line, that line and not its funds.
    A line whose item the family does not know is left out: it may be a breakdown."""
    head = next((r for r in rows if current and r["item_code"] == current), None)
    children = [r for r in rows if head and r["parent_item"] == head["item"] and r["item_code"]]
    if children:
        return children
    top = [r for r in rows if not r["parent_item"] and r["item_code"]
           and r["item_code"] not in APPROPRIATION_TOTALS[r["side"]]
           and not r["item_code"].startswith(BALANCES)]
    if any(r["item_code"] == "appropriation" for r in top):
        top = [r for r in top if r["item_code"] not in FUNDS]
    return top


@rule("appropriation_balance", "表四收入总计 = 支出总计",
      "Table 4's total income equals its total expenditure", ("appropriation_summary",))
def appropriation_balance(doc):
    grand = {side: doc.one("appropriation_summary", side=side, item_code=codes[1],
                           phase=families.current().phase)
             for side, codes in APPROPRIATION_TOTALS.items()}
    spending = grand["expenditure"] or grand["expenditure_by_use"]
    if grand["income"] and spending:
        yield Comparison("表四 收入总计 / 支出总计", grand["income"]["total"], spending["total"],
                         tol([grand["income"], spending], 1), "4")


@rule("appropriation_lines", "表四本年收入 = 各资金来源之和；本年支出 = 各功能分类之和；总计 = 本年 + 结转；上年结转 = 各资金之和",
      "Table 4, each side and column: its lines sum to this year's total, this year's total "
      "plus the balances printed to the grand total, and a balance to its funds",
      ("appropriation_summary",))
def appropriation_lines(doc):
    amounts = BY_NAME["appropriation_summary"].amount_fields()
    for side, name, rows in _appropriation_tables(doc):
        current, grand = APPROPRIATION_TOTALS.get(side, (None, None))
        cur = next((r for r in rows if current and r["item_code"] == current), None)
        end = next((r for r in rows if r["item_code"] == grand), None)
        lines = _appropriation_lines(rows, current)
        balances = [r for r in rows if not r["parent_item"] and r["item_code"] in BALANCES]
        sums = []
        if lines and (cur or (end and not balances)):
            sums.append(((cur or end)["item"], cur or end, lines))
        if cur and end:
            sums.append((end["item"], end, [cur] + balances))
        for b in balances:  # 上年结转 printed with its funds under it
            funds = [r for r in rows if r["parent_item"] == b["item"] and r["item_code"]]
            if funds:
                sums.append((b["item"], b, funds))
        for head, whole, parts in sums:
            for key in amounts:
                expected, actual = total(p.get(key) for p in parts), whole.get(key)
                if expected is not None or actual is not None:
                    yield Comparison(f"{name}: {head} {key}", expected, actual,
                                     tol([whole] + parts, len(parts)), "4")


@rule("appropriation_classes_match_general_budget",
      "表四各功能分类（一般公共预算）= 一般公共预算支出表按类汇总",
      "Table 4's function classes, general public budget column, equal table 5's lines summed "
      "by class (its 合计 column where table 4 shows no other fund)",
      ("appropriation_summary", "expenditure_by_function"))
def appropriation_classes_match_general_budget(doc):
    own = families.current().phase
    by_class = defaultdict(list)
    for r in _leaves(doc.get("expenditure_by_function", fund="general_public_budget",
                             line_type="item", phase=own), "function_code"):
        if r["function_code"]:
            by_class[r["function_code"][:3]].append(r)
    for _, name, rows in _appropriation_tables(doc):
        printed = {r["function_code"]: r for r in rows if r["function_code"]}
        column = _general_budget_column(doc, rows)
        if not printed or not by_class or not column:
            continue
        for code in sorted(set(by_class) | {c for c, r in printed.items() if r[column] is not None}):
            row, parts = printed.get(code), by_class.get(code, [])
            yield Comparison(f"{name}: 类 {code}", total(p["total"] for p in parts),
                             (row or {}).get(column), tol(parts + [row], len(parts)), "4, 5")


def _general_budget_column(doc: Doc, rows: list[dict]) -> str | None:
    """Table 4's column of the general public budget: its own, where printed; its 合计 where
    the table shows no other fund (no column of one, and no income line of one with an
    amount), which it then must be; else none."""
    if any(r.get("general_public_budget") is not None for r in rows):
        return "general_public_budget"
    table = [r for r in doc.get("appropriation_summary", phase=families.current().phase)
             if r["source_table"] == rows[0]["source_table"]]
    others = ("government_fund", "state_capital")
    if any(r.get(f) for r in table for f in others) or any(
            r["item_code"] in others + ("carryover_government_fund", "carryover_state_capital")
            and r["total"] for r in table):
        return None
    return "total"


# --- line tables -------------------------------------------------------------------------

def _nested_code(resource: str) -> str | None:
    """The code field whose levels nest (类 > 款 > 项), from the registry: the first of a
    table coded in one system; none where a line pairs two systems, or the table has no code."""
    table = BY_NAME[resource]
    return table.codes[0].field if len(table.code_systems()) == 1 else None


LINE_TABLES = {  # resource: (code field for the hierarchy, group-by fields)
    resource: (_nested_code(resource), group_by) for resource, group_by in (
        ("expenditure_by_function", ("fund",)),
        ("expenditure_by_function_and_economic", ("fund",)),
        ("income_by_source", ()),
        ("basic_expenditure_by_economic", ("fund",)),
        ("expenditure_by_economic", ("scope",)),
        ("projects", ()),
        ("performance_budgets", ("scope",)),
        ("government_purchased_services", ("fund",)),
        ("procurement_by_function", ()),
    )
}
CLASSIFICATION_CODES = {c.field for t in TABLES for c in t.codes  # 功能分类, 经济分类
                        if c.system in ("function", "economic")}


def _leaves(items: list[dict], code: str | None) -> list[dict]:
    """Item rows with no printed child: 2010301 under a printed 20103 is the leaf."""
    if not code:
        return items
    codes = {r[code] for r in items if r.get(code)}
    return [r for r in items if not r.get(code) or
            not any(c != r[code] and c.startswith(r[code]) for c in codes)]


def _row_key(resource: str, row: dict) -> str:
    """A row's natural key (its table's primary key) as words; fund and scope are left to
    the caller, and an item row's line type and the document's own phase go without saying."""
    own_phase = families.current().phase
    return " ".join(str(row[k]) for k in BY_NAME[resource].primary_key
                    if k not in ("document_id", "fund", "scope") and row.get(k) not in (None, "")
                    and not (k == "line_type" and row[k] == "item")
                    and not (k == "phase" and row[k] == own_phase)
                    and not (k == "name" and (row.get("function_code") or row.get("unit_code"))))


def _row_subject(resource: str, row: dict) -> str:
    """expenditure_by_function[all] 2010301, basic_expenditure_by_economic[…] 30102 50101."""
    return f"{resource}[{row.get('fund') or row.get('scope') or ''}] {_row_key(resource, row)}"


def _groups(doc: Doc, resource: str) -> Iterator[tuple[str, list[dict]]]:
    _, group_by = LINE_TABLES[resource]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in doc.get(resource):
        groups[tuple(r.get(g) for g in group_by)].append(r)
    for key, rows in groups.items():
        yield resource + "".join(f"[{k}]" for k in key if k), rows


@rule("lines_sum_to_total", "各明细行之和 = 合计；有明细行而无合计行者不通过",
      "Item lines sum to the table's total (or the department's, or its one unit's, line "
      "heading them); a table with lines and no such line has lost it and fails",
      tuple(LINE_TABLES))
def lines_sum_to_total(doc):
    untotalled = families.current().raw.get("untotalled", ())  # forms, printing no total
    for resource, (code, _) in LINE_TABLES.items():
        for name, rows in _groups(doc, resource):
            units = [r for r in rows if r["line_type"] == "unit"]
            whole = next((r for r in rows if r["line_type"] == "total"), None) or \
                next((r for r in rows if r["line_type"] == "department"), None) or \
                (units[0] if len(units) == 1 else None)
            items = _leaves([r for r in rows if r["line_type"] == "item"], code)
            if whole is not None and items:
                yield from _sums(name, whole, items, resource)
            elif items and resource not in untotalled:  # rows lost with the total
                yield Comparison(f"{name} total line", Decimal(1), Decimal(0), Decimal(0),
                                 resource, "flag")


@rule("units_sum_to_department", "各单位之和 = 部门合计（汇总部门）",
      "Budget units add up to their department, and the department to the total",
      tuple(LINE_TABLES))
def units_sum_to_department(doc):
    for resource in LINE_TABLES:
        for name, rows in _groups(doc, resource):
            total_row = next((r for r in rows if r["line_type"] == "total"), None)
            depts = [r for r in rows if r["line_type"] == "department"]
            units = [r for r in rows if r["line_type"] == "unit"]
            for whole, parts, what in ((total_row, depts, "departments"),
                                       (depts[0] if depts else total_row, units, "units")):
                if whole is not None and parts:
                    yield from _sums(f"{name} {what}", whole, parts, resource)


@rule("code_hierarchy", "类 = Σ款，款 = Σ项（表中印有上级行时）",
      "Printed parent codes equal the sum of their children (类 = Σ款, 款 = Σ项)",
      tuple(r for r, (code, _) in LINE_TABLES.items() if code in CLASSIFICATION_CODES))
def code_hierarchy(doc):
    for resource, (code, _) in LINE_TABLES.items():
        if code not in CLASSIFICATION_CODES:
            continue
        for name, rows in _groups(doc, resource):
            items = [r for r in rows if r["line_type"] == "item" and r.get(code)]
            for parent in items:
                other = parent.get("government_economic_code")  # both systems printed: a
                children = [r for r in items if len(r[code]) == len(parent[code]) + 2   # class
                            and r[code].startswith(parent[code])   # line per pair of classes
                            and (not other or (r.get("government_economic_code") or "")
                                 .startswith(other))]
                if children:
                    yield from _sums(_row_subject(resource, parent), parent, children, resource)


@rule("row_parts", "合计 = 基本支出 + 项目支出；基本支出 = 四项之和；项目支出 = 两类之和；“三公”合计 = 各项之和",
      "Within each row: total = basic + project; basic = its four parts; project = its two "
      "types; 三公 total = its parts; vehicles = purchase + running",
      ("expenditure_by_function", "expenditure_by_function_and_economic", "income_by_source",
       "basic_expenditure_by_economic", "expenditure_by_economic", "three_public_expenses",
       "projects", "procurement_by_function"))
def row_parts(doc):
    for resource, identities in families.current().raw["row_identities"].items():
        for r in doc.get(resource):
            for whole, marked in identities:
                parts = [p.lstrip("!") for p in marked if not p.startswith("-")]
                values = [r.get(p) for p in parts]
                if all(v is None for v in values):
                    continue  # no parts printed: nothing to add up
                if r.get(whole) is None and not doc.printed(resource, whole, r["source_table"]):
                    continue  # the table has no such column
                if any(m.startswith("!") and not doc.printed(resource, m[1:], r["source_table"])
                       for m in marked):
                    continue  # a part it needs is not printed (本年收入 beside 上年结转)
                if any(m.startswith("-") and doc.printed(resource, m[1:], r["source_table"])
                       for m in marked):
                    continue  # it prints a whole instead of these parts
                present = sum(v is not None for v in values)
                yield Comparison(f"{_row_subject(resource, r)} {whole}",
                                 total(values), r.get(whole), tol([r], present), resource)


@rule("basic_matches_economic", "表五基本支出 = 表六合计（人员经费、公用经费）",
      "Table 5's basic spending equals table 6's total, personnel and public costs",
      ("expenditure_by_function", "basic_expenditure_by_economic"))
def basic_matches_economic(doc):
    t5 = doc.one("expenditure_by_function", fund="general_public_budget", line_type="total")
    t6 = doc.one("basic_expenditure_by_economic", fund="general_public_budget", line_type="total")
    if not (t5 and t6):
        return
    pairs = (("基本支出", ("basic",), "total"), ("人员经费", ("basic_wages", "basic_family"), "personnel"),
             ("公用经费", ("basic_goods_services", "basic_capital"), "public"))
    for subject, t5_keys, t6_key in pairs:
        if any(doc.printed("expenditure_by_function", k, t5["source_table"]) for k in t5_keys) \
                and doc.printed("basic_expenditure_by_economic", t6_key, t6["source_table"]):
            yield Comparison(subject, total(t5[k] for k in t5_keys), t6[t6_key],
                             tol([t5, t6], len(t5_keys)), "5, 6")
    if doc.printed("expenditure_by_function", "basic", t5["source_table"]) and not \
            doc.printed("basic_expenditure_by_economic", "total", t6["source_table"]) and \
            t6.get("personnel") is not None and t6.get("public") is not None:
        # printed as 人员经费合计 beside 公用经费合计, with no grand total (a final account)
        yield Comparison("基本支出 = 人员经费 + 公用经费", t5["basic"],
                         total((t6["personnel"], t6["public"])), tol([t5, t6], 2), "5, 6")


@rule("project_matches_economic", "一般公共预算支出表项目支出 = 一般公共预算项目支出经济分类表合计",
      "The general public budget's project spending (table 5) equals the total of its table "
      "by economic class", ("expenditure_by_function", "expenditure_by_economic"))
def project_matches_economic(doc):
    t5 = doc.one("expenditure_by_function", fund="general_public_budget", line_type="total")
    by_class = doc.one("expenditure_by_economic", scope="general_public_budget_project",
                       line_type="total")
    if t5 and by_class and doc.printed("expenditure_by_function", "project", t5["source_table"]):
        yield Comparison("一般公共预算项目支出", t5["project"], by_class["total"],
                         tol([t5, by_class], 1), "5, 7")


def _whole(doc: Doc, resource: str, **where) -> dict | None:
    """A table's total line; where it prints none, its one department or unit line (a table
    headed by the department's own line, as Shenzhen's)."""
    heads = [r for r in doc.get(resource, **where) if r["line_type"] in ("department", "unit")]
    return doc.one(resource, line_type="total", **where) or (heads[0] if len(heads) == 1 else None)


def table3_total(doc: Doc) -> dict | None:
    """Table 3's total line, by function code or by function and economic code."""
    return _whole(doc, "expenditure_by_function", fund="all") or \
        doc.one("expenditure_by_function_and_economic", fund="all", line_type="total")


@rule("basic_by_funds_matches_expenditure", "基本支出预算情况表合计 = 支出总表基本支出；其一般公共预算 = 表六合计",
      "The total of basic spending by economic class and source of funds equals table 3's basic "
      "spending, and its general public budget column table 6's total",
      ("expenditure_by_economic", "expenditure_by_function", "basic_expenditure_by_economic"))
def basic_by_funds_matches_expenditure(doc):
    by_funds = _whole(doc, "expenditure_by_economic", scope="basic")
    if not by_funds:
        return
    t3 = _whole(doc, "expenditure_by_function", fund="all")
    if t3 and doc.printed("expenditure_by_function", "basic", t3["source_table"]):
        yield Comparison("基本支出", t3["basic"], by_funds["total"], tol([t3, by_funds], 1), "3, 10")
    t6 = doc.one("basic_expenditure_by_economic", fund="general_public_budget", line_type="total")
    if t6 and doc.printed("expenditure_by_economic", "general_public_budget", by_funds["source_table"]):
        yield Comparison("一般公共预算基本支出", t6["total"], by_funds["general_public_budget"],
                         tol([t6, by_funds], 1), "6, 10")


@rule("projects_match_expenditure", "项目支出表合计 = 支出总表项目支出",
      "Table 11's projects add up to table 3's project spending",
      ("projects", "expenditure_by_function", "expenditure_by_function_and_economic"))
def projects_match_expenditure(doc):
    t3 = table3_total(doc)
    items = doc.get("projects", line_type="item")
    if t3 and doc.has("projects") and (items or t3["project"]):  # a table printed empty counts
        yield Comparison("项目支出", t3["project"], total(p["total"] for p in items),
                         tol(items + [t3], len(items)), "3, 11")


@rule("performance_matches_projects", "绩效目标表项目金额 = 项目支出表（一个项目印了几张表单的，须有一张相等）",
      "Each project's amount in the performance table equals table 11 (a project printed "
      "in several forms: one of them does)",
      ("performance_budgets", "projects"))
def performance_matches_projects(doc):
    if not doc.has("projects"):
        return
    projects: dict[str, list[dict]] = defaultdict(list)
    for p in doc.get("projects", line_type="item"):
        projects[label(p["project_name"])].append(p)
    # by name, then by project: its forms, printed again under the same key but `repeat`
    named: dict[str, dict[tuple, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for p in doc.get("performance_budgets", scope="project", line_type="item"):
        key = (p.get("unit_code"), p.get("project_code"), p.get("project_unit"))
        named[label(p["name"])][key].append(p)
    for name, forms in named.items():
        left = list(projects.get(name, []))
        # one name for several projects (per unit, not told apart by table 11): each takes
        # a line of the amount of one of its forms if there is one, and is compared on that
        # form alone; a project none of whose forms has a line of its amount takes the
        # first line left, and each of its forms is compared with it
        equal = {}
        for key, rows in forms.items():
            found = next(((p, m) for p in rows for m in left if m["total"] == p["total"]), None)
            if found is not None:
                left.remove(found[1])
                equal[key] = found
        for key, rows in forms.items():
            if key in equal:
                pairs = [equal[key]]
            else:
                match = left.pop(0) if left else None
                pairs = [(p, match) for p in rows]
            for p, match in pairs:
                # the row key leaves out a name its unit code stands for
                subject = _row_subject("performance_budgets", p) + (f" {p['name']}" if p.get("unit_code") else "")
                yield Comparison(subject, match["total"] if match else None, p["total"],
                                 tol([p, match], 1), "11, 13")


@rule("empty_table_note", "空表须有说明，且非空表不得带空表说明",
      "An empty table carries a note saying so; a table with data carries no such note",
      ("document_tables",), tolerance="exact")
def empty_table_note(doc):
    tpl = families.current()
    says_empty, conditional = tpl.pattern("empty_table_note"), tpl.pattern("conditional_empty_note")
    subjects = tpl.raw["note_subjects"]
    for t in doc.tables:
        claims = [n for n in t.notes if says_empty.search(n) and not conditional.search(n)]
        if t.empty and t.notes:  # printed empty with notes: one of them says so
            ok = bool(claims) or any(conditional.search(n) for n in t.notes)
            yield Comparison(f"{t.title}: empty, a note says so", Decimal(1), Decimal(int(ok)),
                             Decimal(0), "", "flag")
        elif claims:
            yield Comparison(f"{t.title}: has data, a note says it is empty", Decimal(0),
                             Decimal(1), Decimal(0), "", "flag")
        title = label(t.title)
        for n in claims:  # a note naming what another table covers
            wrong = [s for s in subjects if s in n and s not in title]
            if wrong:
                yield Comparison(f"{t.title}: note is about {wrong[0]}", Decimal(0), Decimal(1),
                                 Decimal(0), "", "flag")


@rule("amount_precision", "金额精度与表格一致，且精确到分", "Amounts are exact to the fen, and have "
      "no more decimals of their printed unit than their table prints (two, or six where a "
      "table prints 万元 to the fen)", tuple(LINE_TABLES) + ("three_public_expenses",),
      tolerance="exact")
def amount_precision(doc):
    found = False
    by_table: dict[str, list[tuple[str, dict, str, Decimal]]] = defaultdict(list)
    for resource, rows in doc.rows.items():
        for r in rows:
            factor = UNIT_FACTORS.get(r.get("source_unit") or "万元", 1)
            for key in BY_NAME[resource].amount_fields():
                if r.get(key) is not None:
                    by_table[r["source_table"]].append((resource, r, key, r[key] / factor))
    decimals = {t.title: t.decimals for t in doc.tables}
    for table, values in by_table.items():
        fine = [p for *_, p in values if p == p.quantize(CENT)]
        fen = len(values) - len(fine) > len(values) / 4 \
            or (decimals.get(table) or 0) >= 4  # it prints 万元 to the yuan or fen (52.600000)
        for resource, r, key, printed in values:
            exact = r[key] == r[key].quantize(CENT)
            if printed != printed.quantize(CENT) and not (fen and exact):
                found = True
                factor = r[key] / printed
                yield Comparison(f"{table} {_row_key(resource, r)} {key} "
                                 f"printed {printed.normalize()}",
                                 printed.quantize(CENT) * factor, r[key], Decimal(0), resource)
    if not found and any(doc.rows.values()):
        yield Comparison("every amount", Decimal(0), Decimal(0), Decimal(0), "", "flag")


@rule("tables_read", "识别出的标准表均已提取", "Every standard table recognized is read and "
      "published (a table that could not be read is a gap, listed in document_tables)",
      ("document_tables",), tolerance="exact")
def tables_read(doc):
    for t in doc.gaps:
        yield Comparison(gap_subject(t), Decimal(1), Decimal(0), Decimal(0), "", "flag")
    if doc.tables and not doc.gaps:
        yield Comparison("every table", Decimal(1), Decimal(1), Decimal(0), "", "flag")
