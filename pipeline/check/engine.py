"""Accounting checks: the standard tables restate each other (DOMAIN, 勾稽关系).

Each rule is declared with `@rule`: an id, a description in Chinese and English, the
tables it reads and its tolerance. A rule yields one comparison per thing it checks
(expected vs actual), named by its subject: a row's natural key or the narrative's own
words, never a counter. When its tables are absent it yields nothing and is reported as
not applicable, never as passed; so is a comparison with nothing to compare (both sides
blank, or a narrative figure no table states). Tolerances follow the documents'
rounding: 0.01 of the printed unit per summed term (尾差).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from pipeline import families
from pipeline.extract import Extraction
from pipeline.metadata.registry import BY_NAME
from pipeline.sources import Acknowledgement
from pipeline.values import UNIT_FACTORS, clean, label

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rule:
    id: str
    zh: str
    en: str
    tables: tuple[str, ...]
    tolerance: str
    check: Callable[["Doc"], Iterable["Comparison"]]


@dataclass
class Comparison:
    subject: str
    expected: Decimal | None
    actual: Decimal | None
    tolerance: Decimal
    tables: str = ""
    unit: str = "yuan"  # or "percent", "flag"
    comparable: bool = True  # False: a figure with nothing to compare it to

    @property
    def difference(self) -> Decimal | None:
        if not self.comparable or (self.expected is None and self.actual is None):
            return None
        return (self.actual or Decimal(0)) - (self.expected or Decimal(0))

    @property
    def status(self) -> str:
        """pass or fail; not_applicable when there is nothing to compare (both sides blank)."""
        if self.difference is None:
            return "not_applicable"
        return "pass" if abs(self.difference) <= self.tolerance else "fail"


RULES: list[Rule] = []


def rule(id: str, zh: str, en: str, tables: tuple[str, ...], tolerance: str = "0.01 per term"):
    def register(fn):
        RULES.append(Rule(id, zh, en, tables, tolerance, fn))
        return fn
    return register


class Doc:
    """One document's normalized rows, grouped for the rules."""

    def __init__(self, extraction: Extraction):
        self.extraction = extraction
        self.rows = extraction.rows
        self.tables = [t for t in extraction.tables if t.read]  # a gap is not a table
        self.gaps = [t for t in extraction.tables if not t.read]

    def get(self, resource: str, **where) -> list[dict]:
        return [r for r in self.rows.get(resource, [])
                if all(r.get(k) == v for k, v in where.items())]

    def one(self, resource: str, **where) -> dict | None:
        rows = self.get(resource, **where)
        return rows[0] if rows else None

    def printed(self, resource: str, key: str, source_table: str | None = None) -> bool:
        """Whether a table printed column `key` at all (some row has a value in it)."""
        return any(r.get(key) is not None for r in self.rows.get(resource, [])
                   if source_table is None or r["source_table"] == source_table)

    def has(self, resource: str, **attrs) -> bool:
        """Whether the document printed a table feeding `resource` (even an empty one)."""
        return any(t.resource == resource and all(_kind_attr(t.kind, k) == v for k, v in attrs.items())
                   for t in self.tables)


def _kind_attr(kind_id: str, key: str):
    kind = next(k for k in families.load().kinds if k.id == kind_id)
    return kind.attrs.get(key)


def tol(rows: Iterable[dict | None], terms: int) -> Decimal:
    """0.01 of the printed unit per summed term, in yuan."""
    factor = max((UNIT_FACTORS.get(r.get("source_unit") or "万元", 1) for r in rows if r),
                 default=UNIT_FACTORS["万元"])
    return CENT * factor * max(terms, 1)


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _sums(subject: str, whole: dict, parts: list[dict], resource: str) -> Iterator[Comparison]:
    """For each amount column: `whole` against the sum of `parts`."""
    for key in _amount_keys(resource):
        expected, actual = total(p.get(key) for p in parts), whole.get(key)
        if expected is not None or actual is not None:
            yield Comparison(f"{subject} {key}", expected, actual,
                             tol([whole] + parts, len(parts)), resource)


# --- table 1 --------------------------------------------------------------------------

def _summary(doc: Doc, side: str, code: str) -> dict | None:
    return doc.one("income_expenditure_summary", side=side, item_code=code)


@rule("summary_balance", "收入总计 = 支出总计", "Total income equals total expenditure",
      ("income_expenditure_summary",))
def _balance(doc):
    income, spending = _summary(doc, "income", "income_total"), _summary(doc, "expenditure", "expenditure_total")
    if income and spending:
        yield Comparison("收入总计 / 支出总计", income["amount"], spending["amount"],
                         tol([income, spending], 1), "1")


@rule("summary_lines", "本年收入 = 各收入项之和；本年支出 = 各功能分类之和；总计 = 本年 + 结转",
      "Table 1: income lines sum to this year's income, function classes to this year's "
      "expenditure, and this year plus carry-over to the totals", ("income_expenditure_summary",))
def _summary_lines(doc):
    for side, current, extra, grand in (("income", "current_income_total", "carryover", "income_total"),
                                        ("expenditure", "current_expenditure_total", "carry_forward",
                                         "expenditure_total")):
        rows = doc.get("income_expenditure_summary", side=side)
        cur = _summary(doc, side, current)
        end = _summary(doc, side, grand)
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
def _classes(doc):
    leaves = _leaves(doc.get("expenditure_by_function", fund="all", line_type="item"), "function_code") \
        or doc.get("expenditure_by_function_and_economic", fund="all", line_type="item")
    if not leaves:
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
def _income_sources(doc):
    t1, t2 = _summary(doc, "income", "current_income_total"), doc.one("income_by_source", line_type="total")
    if t1 and t2 and doc.printed("income_by_source", "current_total"):
        yield Comparison("本年收入合计", t1["amount"], t2["current_total"], tol([t1, t2], 1), "1, 2")


@rule("appropriation_matches_general_budget", "一般公共预算财政拨款 = 一般公共预算支出表合计",
      "The general-budget appropriation in tables 1 and 4 equals table 5's total",
      ("income_expenditure_summary", "appropriation_summary", "expenditure_by_function"))
def _appropriation(doc):
    t5 = doc.one("expenditure_by_function", fund="general_public_budget", line_type="total")
    if not t5:
        return
    t1 = _summary(doc, "income", "general_public_budget_appropriation")
    if t1:
        yield Comparison("表一 其中：财政拨款", t5["total"], t1["amount"], tol([t1, t5], 1), "1, 5")
    t4 = doc.one("appropriation_summary", side="expenditure", item_code="current_expenditure_total")
    if t4 and doc.printed("appropriation_summary", "general_public_budget"):
        yield Comparison("表四 本年支出 一般公共预算", t5["total"], t4["general_public_budget"],
                         tol([t4, t5], 1), "4, 5")
        if doc.printed("appropriation_summary", "general_public_budget_appropriation"):
            yield Comparison("表四 本年支出 其中：财政拨款", t5["total"],
                             t4["general_public_budget_appropriation"], tol([t4, t5], 1), "4, 5")


# --- line tables -------------------------------------------------------------------------

LINE_TABLES = {  # resource: (code field for the hierarchy, group-by fields)
    "expenditure_by_function": ("function_code", ("fund",)),
    "expenditure_by_function_and_economic": (None, ("fund",)),
    "income_by_source": ("function_code", ()),
    "basic_expenditure_by_economic": ("department_economic_code", ("fund",)),
    "expenditure_by_economic": ("department_economic_code", ("scope",)),
    "projects": (None, ()),
    "performance_budgets": ("project_code", ("scope",)),
    "government_purchased_services": (None, ("fund",)),
    "procurement_by_function": ("function_code", ()),
}


def _leaves(items: list[dict], code: str | None) -> list[dict]:
    """Item rows with no printed child: 2010301 under a printed 20103 is the leaf."""
    if not code:
        return items
    codes = {r[code] for r in items if r.get(code)}
    return [r for r in items if not r.get(code) or
            not any(c != r[code] and c.startswith(r[code]) for c in codes)]


def _amount_keys(resource: str) -> list[str]:
    return [f.name for f in BY_NAME[resource].fields if f.amount]


def _row_key(resource: str, row: dict) -> str:
    """A row's natural key (its table's primary key) as words; fund and scope are left to
    the caller, and an item row's line type goes without saying."""
    return " ".join(str(row[k]) for k in BY_NAME[resource].primary_key
                    if k not in ("document_id", "fund", "scope") and row.get(k) not in (None, "")
                    and not (k == "line_type" and row[k] == "item")
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


@rule("lines_sum_to_total", "各明细行之和 = 合计", "Item lines sum to the table's total",
      tuple(LINE_TABLES))
def _lines_total(doc):
    for resource, (code, _) in LINE_TABLES.items():
        for name, rows in _groups(doc, resource):
            whole = next((r for r in rows if r["line_type"] == "total"), None) or \
                next((r for r in rows if r["line_type"] == "department"), None)
            items = _leaves([r for r in rows if r["line_type"] == "item"], code)
            if whole is not None and items:
                yield from _sums(name, whole, items, resource)


@rule("units_sum_to_department", "各单位之和 = 部门合计（汇总部门）",
      "Budget units add up to their department, and the department to the total",
      tuple(LINE_TABLES))
def _units(doc):
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
      ("expenditure_by_function", "income_by_source", "basic_expenditure_by_economic",
       "expenditure_by_economic", "procurement_by_function"))
def _hierarchy(doc):
    for resource, (code, _) in LINE_TABLES.items():
        if code not in ("function_code", "department_economic_code"):
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
def _row_parts(doc):
    for resource, identities in families.load().raw["row_identities"].items():
        for r in doc.get(resource):
            for whole, marked in identities:
                parts = [p.lstrip("!") for p in marked]
                values = [r.get(p) for p in parts]
                if all(v is None for v in values):
                    continue  # no parts printed: nothing to add up
                if r.get(whole) is None and not doc.printed(resource, whole, r["source_table"]):
                    continue  # the table has no such column
                if any(m.startswith("!") and not doc.printed(resource, p, r["source_table"])
                       for m, p in zip(marked, parts)):
                    continue  # a part it needs is not printed (本年收入 beside 上年结转)
                present = sum(v is not None for v in values)
                yield Comparison(f"{_row_subject(resource, r)} {whole}",
                                 total(values), r.get(whole), tol([r], present), resource)


@rule("basic_matches_economic", "表五基本支出 = 表六合计（人员经费、公用经费）",
      "Table 5's basic spending equals table 6's total, personnel and public costs",
      ("expenditure_by_function", "basic_expenditure_by_economic"))
def _basic_economic(doc):
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


@rule("project_matches_economic", "一般公共预算支出表项目支出 = 一般公共预算项目支出经济分类表合计",
      "The general public budget's project spending (table 5) equals the total of its table "
      "by economic class", ("expenditure_by_function", "expenditure_by_economic"))
def _project_economic(doc):
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


def _table3_total(doc: Doc) -> dict | None:
    """Table 3's total line, by function code or by function and economic code."""
    return _whole(doc, "expenditure_by_function", fund="all") or \
        doc.one("expenditure_by_function_and_economic", fund="all", line_type="total")


@rule("basic_by_funds_matches_expenditure", "基本支出预算情况表合计 = 支出总表基本支出；其一般公共预算 = 表六合计",
      "The total of basic spending by economic class and source of funds equals table 3's basic "
      "spending, and its general public budget column table 6's total",
      ("expenditure_by_economic", "expenditure_by_function", "basic_expenditure_by_economic"))
def _basic_by_funds(doc):
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
def _projects(doc):
    t3 = _table3_total(doc)
    items = doc.get("projects", line_type="item")
    if t3 and doc.has("projects") and (items or t3["project"]):  # a table printed empty counts
        yield Comparison("项目支出", t3["project"], total(p["total"] for p in items),
                         tol(items + [t3], len(items)), "3, 11")


@rule("performance_matches_projects", "绩效目标表项目金额 = 项目支出表",
      "Each project's amount in the performance table equals table 11",
      ("performance_budgets", "projects"))
def _performance(doc):
    if not doc.has("projects"):
        return
    projects: dict[str, list[dict]] = defaultdict(list)
    for p in doc.get("projects", line_type="item"):
        projects[label(p["project_name"])].append(p)
    named: dict[str, list[dict]] = defaultdict(list)
    for p in doc.get("performance_budgets", scope="project", line_type="item"):
        named[label(p["name"])].append(p)
    for name, rows in named.items():
        left = list(projects.get(name, []))
        for p in rows:  # one name for several projects (per unit, not told apart by table
            # 11): each takes a line of its amount if there is one, else the first left
            match = next((m for m in left if m["total"] == p["total"]), left[0] if left else None)
            if match is not None:
                left.remove(match)
            # the row key leaves out a name its unit code stands for
            subject = _row_subject("performance_budgets", p) + (f" {p['name']}" if p.get("unit_code") else "")
            yield Comparison(subject, match["total"] if match else None, p["total"],
                             tol([p, match], 1), "11, 13")


@rule("empty_table_note", "空表须有说明，且非空表不得带空表说明",
      "An empty table carries a note saying so; a table with data carries no such note",
      ("document_tables",), tolerance="exact")
def _empty_notes(doc):
    tpl = families.load()
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
def _precision(doc):
    found = False
    by_table: dict[str, list[tuple[str, dict, str, Decimal]]] = defaultdict(list)
    for resource, rows in doc.rows.items():
        for r in rows:
            factor = UNIT_FACTORS.get(r.get("source_unit") or "万元", 1)
            for key in _amount_keys(resource):
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


# --- the narrative (情况说明) -------------------------------------------------------------

def narrative(doc: Doc) -> list[str]:
    """The text outside tables as paragraphs: a line not ending a sentence is joined to the
    next (a paragraph wrapped over lines or pages)."""
    paragraphs, current = [], ""
    for line in doc.extraction.document.text().split("\n"):
        current += clean(line)
        if re.search(r"[。；;：:]$", current) or not line.strip():
            paragraphs.append(current)
            current = ""
    return [p for p in paragraphs + [current] if p]


def _wan(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _stated(doc: Doc, key: str) -> tuple[Decimal, str] | None:
    """The first figure the narrative states for `key` (families/budget.yml narrative.figures)."""
    pattern = families.load().pattern_at("narrative", "figures", key)
    for paragraph in narrative(doc):
        m = pattern.search(paragraph)
        if m:
            return _wan(m.group("v")) * UNIT_FACTORS["万元"], m.group(0)
    return None


def _procurement(doc: Doc, key: str) -> Decimal | None:
    """The 政府采购 table's categories of one kind (货物, 工程, 服务), where it prints them."""
    rows = doc.get("government_procurement", level="category")
    if not rows:
        return None
    kind = families.load().pattern_at("narrative", "procurement_categories", key)
    return sum((r["amount"] or Decimal(0) for r in rows if kind.search(r["category"] or "")), Decimal(0))


NARRATIVE_FIGURES = {
    "income_total": lambda d: (_summary(d, "income", "income_total") or {}).get("amount"),
    "expenditure_total": lambda d: (_summary(d, "expenditure", "expenditure_total") or {}).get("amount"),
    "basic": lambda d: (_table3_total(d) or {}).get("basic"),
    "project": lambda d: (_table3_total(d) or {}).get("project"),
    "three_public": lambda d: (d.one("three_public_expenses", line_type="total") or {}).get("total")
    if d.one("three_public_expenses", line_type="total") else (Decimal(0) if d.has("three_public_expenses") else None),
    "administrative_operating": lambda d: (d.one("three_public_expenses", line_type="total") or {}).get("administrative_operating")
    or (d.one("expenditure_by_economic", scope="administrative_operating", line_type="total") or {}).get("total"),
    "procurement_total": lambda d: (d.one("government_procurement", line_type="total") or {}).get("amount")
    if d.has("government_procurement") else (d.one("procurement_by_function", line_type="total") or {}).get("total"),
    "procurement_goods": lambda d: _procurement(d, "procurement_goods"),
    "procurement_works": lambda d: _procurement(d, "procurement_works"),
    "procurement_services": lambda d: _procurement(d, "procurement_services"),
}


@rule("narrative_figures", "情况说明所述金额 = 表格", "Figures stated in the narrative equal the tables",
      ("narrative", "income_expenditure_summary", "expenditure_by_function",
       "expenditure_by_function_and_economic", "three_public_expenses",
       "expenditure_by_economic", "government_procurement"))
def _narrative_figures(doc):
    """Each stated figure against its table; one with no table to compare is not applicable."""
    for key, from_tables in NARRATIVE_FIGURES.items():
        stated = _stated(doc, key)
        if stated is not None:
            actual = from_tables(doc)
            yield Comparison(f"{key}: {stated[1]}", actual, stated[0], tol([], 1), "narrative",
                             comparable=actual is not None)
    parts = [_stated(doc, k) for k in ("procurement_goods", "procurement_works", "procurement_services")]
    whole = _stated(doc, "procurement_total")
    if whole and all(parts):
        yield Comparison("政府采购 = 货物 + 工程 + 服务", total(p[0] for p in parts), whole[0],
                         tol([], 3), "narrative")


def _phrase(paragraph: str, start: int, end: int) -> str:
    """paragraph[start:end] with the words before it that name it: 基本支出 (1121.52万元)."""
    label = families.load().pattern_at("narrative", "figure_label").search(paragraph[:start])
    return paragraph[label.start():end]


def _falls(word: str) -> bool:
    return word in families.load().raw["narrative"]["decrease"]


def _statements(paragraph: str, kind: str) -> Iterator[tuple[re.Match, list[re.Match]]]:
    """Each match of narrative pattern `kind`, with the figures before it in its paragraph."""
    tpl = families.load()
    figure = tpl.pattern_at("narrative", "figure")
    for m in tpl.pattern_at("narrative", *kind.split(".")).finditer(paragraph):
        yield m, list(figure.finditer(paragraph[:m.start()]))


def _closest(paragraph: str, m: re.Match, options: list[tuple[re.Match, Decimal]],
             pct: Decimal) -> tuple[str, Decimal, Decimal]:
    """The base figure whose recomputed value is closest to the printed one, and a subject
    naming that figure and the statement: 支出合计295.42万元 … 基本支出168.01万元,占56.87%."""
    f, best = min(options, key=lambda o: abs(o[1] - pct))
    return f"{_phrase(paragraph, f.start(), f.end())} … {_phrase(paragraph, m.start(), m.end())}", best, pct


def _earlier_year(paragraph: str, figure: re.Match) -> bool:
    """Whether a figure is labelled with a year before the paragraph's latest (2016年度部门
    支出预算安排为8,648.07万元 in a 2017 budget): it is then last year's figure."""
    years = [int(y) for y in re.findall(r"(\d{4})年", paragraph)]
    label = re.search(r"(\d{4})年[^\d,，。;；]*$", paragraph[max(0, figure.start() - 30):figure.start()])
    return bool(label and years and int(label.group(1)) < max(years))


def _recomputed(paragraph: str) -> Iterator[tuple[str, Decimal, Decimal]]:
    """(subject, recomputed, printed) for each change and share the paragraph states; the
    subject names the statement and, where it comes from another figure, that figure."""
    for m, before in _statements(paragraph, "changes.by_amount"):
        sign = -1 if _falls(m.group("dir")) else 1
        delta, pct = _wan(m.group("delta")), sign * Decimal(m.group("pct"))
        if delta == 0:
            yield _phrase(paragraph, m.start(), m.end()), Decimal(0), pct
            continue
        bases = [(f, _wan(f.group("v")) - (0 if _earlier_year(paragraph, f) else sign * delta))
                 for f in reversed(before)]  # last year's: the figure itself when it says so
        if bases and bases[0][1] <= 0:
            continue  # the figure just before grew from nothing: no rate to recompute
        options = [(f, sign * delta / b * 100) for f, b in bases if b > 0]
        if options:
            yield _closest(paragraph, m, options, pct)
    for m, _ in _statements(paragraph, "changes.from_to"):
        was, now = _wan(m.group("before")), _wan(m.group("after"))
        if was > 0:
            yield (_phrase(paragraph, m.start(), m.end()), (now - was) / was * 100,
                   (-1 if _falls(m.group("dir")) else 1) * Decimal(m.group("pct")))
    for m, before in _statements(paragraph, "share"):
        part, pct = _wan(m.group("v")), Decimal(m.group("pct"))
        options = [(f, part / _wan(f.group("v")) * 100) for f in before
                   if _wan(f.group("v")) >= part and _wan(f.group("v")) > 0]
        if options:
            yield _closest(paragraph, m, options, pct)


@rule("narrative_percentages", "情况说明的增减率与占比可由其自身数字复算",
      "The narrative's year-on-year changes and shares recompute from its own figures",
      ("narrative",), tolerance="half the last printed digit, at least 0.01 percentage points")
def _narrative_percentages(doc):
    """Changes are signed (减少 3% is -3); a statement printed twice word for word is one
    check. A rate printed to one decimal (下降5.6%) or none (下降20%) is compared to that
    precision."""
    seen = set()
    for paragraph in narrative(doc):
        for subject, recomputed, printed in _recomputed(paragraph):
            if (subject, printed) not in seen:
                seen.add((subject, printed))
                tolerance = max(CENT, Decimal(5).scaleb(printed.as_tuple().exponent - 1))
                yield Comparison(subject, recomputed.quantize(CENT), printed, tolerance,
                                 "narrative", "percent")


# --- running the rules ---------------------------------------------------------------------

def run_checks(document_id: str, extraction: Extraction,
               acknowledged: list[Acknowledgement] = ()) -> list[dict]:
    """Evaluate every rule on one document -> rows of the `checks` table. A subject names
    its check: two checks of a rule with one subject are an error, never numbered."""
    doc = Doc(extraction)
    out, seen = [], set()
    for r in RULES:
        comparisons = list(r.check(doc))
        if not comparisons:
            out.append({"document_id": document_id, "rule": r.id, "subject": "",
                        "unit": None, "expected": None, "actual": None, "difference": None,
                        "tolerance": None, "status": "not_applicable", "acknowledged": None})
            continue
        for c in comparisons:
            if (r.id, c.subject) in seen:
                raise ValueError(f"{document_id}: two {r.id} checks have the subject {c.subject!r}")
            seen.add((r.id, c.subject))
            status = c.status
            ack = next((a for a in acknowledged if a.rule == r.id and
                        (not a.subject or a.subject == c.subject)), None) if status == "fail" else None
            out.append({"document_id": document_id, "rule": r.id, "subject": c.subject,
                        "unit": c.unit, "expected": c.expected, "actual": c.actual, "difference": c.difference,
                        "tolerance": c.tolerance, "status": status,
                        "acknowledged": ack.explanation if ack else None})
    return out


def rule_rows() -> list[dict]:
    """Rows of the `check_rules` table."""
    return [{"rule": r.id, "description_zh": r.zh, "description_en": r.en,
             "tables": ", ".join(r.tables), "tolerance": r.tolerance} for r in RULES]


GAP_RULE = "tables_read"


def gap_subject(table) -> str:
    """How a table not read is named in the checks (and acknowledged in source.yml)."""
    return f"{table.title} (page {table.page})" if table.page is not None else table.title


def unacknowledged_failures(rows: list[dict], gaps: bool = True) -> list[dict]:
    """Failing checks nobody acknowledged; with gaps=False, not counting tables not read."""
    return [r for r in rows if r["status"] == "fail" and not r["acknowledged"]
            and (gaps or r["rule"] != GAP_RULE)]


def report(document_id: str, rows: list[dict]) -> str:
    """A readable per-document report of the checks."""
    counts = defaultdict(int)
    for r in rows:
        if r["status"] == "not_applicable":
            counts["uncompared" if r["subject"] else "not_applicable"] += 1
        elif r["acknowledged"]:
            counts["gaps" if r["rule"] == GAP_RULE else "acknowledged"] += 1
        else:
            counts[r["status"]] += 1
    lines = [f"{document_id}: {counts['pass']} passed, {counts['fail']} failed, "
             f"{counts['acknowledged']} acknowledged publisher errors, "
             f"{counts['not_applicable']} rules not applicable, "
             f"{counts['uncompared']} checks with nothing to compare"
             + (f", {counts['gaps']} acknowledged gaps (unread tables)" if counts["gaps"] else "")]
    for r in rows:
        if r["status"] == "not_applicable" and r["subject"]:
            lines.append(f"  NOT COMPARED {r['rule']}: {r['subject']}: " + (
                f"printed {_fmt(r['actual'])}, nothing to compare it with"
                if r["actual"] is not None else "both sides blank"))
        if r["status"] != "fail":
            continue
        tag = "ACKNOWLEDGED" if r["acknowledged"] else "FAIL"
        lines.append(f"  {tag} {r['rule']}: {r['subject']}: expected {_fmt(r['expected'])}, "
                     f"printed {_fmt(r['actual'])} (difference {_fmt(r['difference'])})")
        if r["acknowledged"]:
            what = "acknowledged gap" if r["rule"] == GAP_RULE else "publisher error"
            lines.append(f"      {what}: {r['acknowledged']}")
    na = sorted({r["rule"] for r in rows if r["status"] == "not_applicable" and not r["subject"]})
    if na:
        lines.append(f"  not applicable (tables or rows absent): {', '.join(na)}")
    return "\n".join(lines)


def _fmt(v: Decimal | None) -> str:
    return "blank" if v is None else format(v.normalize(), "f")
