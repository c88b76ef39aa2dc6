"""The narrative (情况说明): its paragraphs, the figures and rates it states, and the two
rules that hold them to the tables (narrative_figures) and to its own figures
(narrative_percentages). The patterns are families/budget.yml's `narrative`.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from pipeline import families
from pipeline.check.engine import CENT, Comparison, Doc, rule, tol, total
from pipeline.check.rules import summary_row, table3_total
from pipeline.values import UNIT_FACTORS, clean


def paragraphs_of(doc: Doc) -> list[str]:
    """The text outside tables as paragraphs: a line not ending a sentence is joined to the
    next (a paragraph wrapped over lines or pages); a sentence stating a figure and ending
    in a colon introduces the next paragraph and is joined to it (支出307.82万元，主要用于以下
    方面：一般公共服务支出264.87万元，占86.05%；…)."""
    paragraphs, current = [], ""
    figure = families.current().pattern_at("narrative", "figure")
    for line in doc.extraction.document.text().split("\n"):
        current += clean(line)
        if re.search(r"[：:]$", current) and figure.search(current):
            continue
        if re.search(r"[。；;：:]$", current) or not line.strip():
            paragraphs.append(current)
            current = ""
    return [p for p in paragraphs + [current] if p]


def _wan(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _stated(doc: Doc, key: str) -> tuple[Decimal, str] | None:
    """The first figure the narrative states for `key` (families/budget.yml narrative.figures);
    None where the family has no phrasing for it."""
    if key not in families.current().raw["narrative"]["figures"]:
        return None
    pattern = families.current().pattern_at("narrative", "figures", key)
    for paragraph in paragraphs_of(doc):
        m = pattern.search(paragraph)
        if m:
            return _wan(m.group("v")) * UNIT_FACTORS["万元"], m.group(0)
    return None


def _procurement(doc: Doc, key: str) -> Decimal | None:
    """The 政府采购 table's categories of one kind (货物, 工程, 服务), where it prints them."""
    rows = doc.get("government_procurement", level="category")
    if not rows:
        return None
    kind = families.current().pattern_at("narrative", "procurement_categories", key)
    return sum((r["amount"] or Decimal(0) for r in rows if kind.search(r["category"] or "")), Decimal(0))


def _own_total(d: Doc, resource: str) -> dict | None:
    """A table's total line in the document's own phase (a final account's 三公 table prints
    the budget beside what was spent)."""
    return d.one(resource, line_type="total", phase=families.current().phase)


def _basic_total(d: Doc) -> dict:
    return d.one("basic_expenditure_by_economic", fund="general_public_budget", line_type="total") or {}


NARRATIVE_FIGURES = {
    "income_total": lambda d: (summary_row(d, "income", "income_total") or {}).get("amount"),
    "expenditure_total": lambda d: (summary_row(d, "expenditure", "expenditure_total") or {}).get("amount"),
    "basic": lambda d: (table3_total(d) or {}).get("basic"),
    "project": lambda d: (table3_total(d) or {}).get("project"),
    "three_public": lambda d: (_own_total(d, "three_public_expenses") or {}).get("total")
    if _own_total(d, "three_public_expenses") else (Decimal(0) if d.has("three_public_expenses") else None),
    "administrative_operating": lambda d: (d.one("three_public_expenses", line_type="total") or {}).get("administrative_operating")
    or (d.one("expenditure_by_economic", scope="administrative_operating", line_type="total") or {}).get("total"),
    "procurement_total": lambda d: (d.one("government_procurement", line_type="total") or {}).get("amount")
    if d.has("government_procurement") else (d.one("procurement_by_function", line_type="total") or {}).get("total"),
    "procurement_goods": lambda d: _procurement(d, "procurement_goods"),
    "procurement_works": lambda d: _procurement(d, "procurement_works"),
    "procurement_services": lambda d: _procurement(d, "procurement_services"),
    # phrased in final accounts (final_accounts.yml): table 4's 总计, table 6's two totals
    "appropriation_total": lambda d: (d.one("appropriation_summary", side="income",
                                            item_code="income_total") or {}).get("total"),
    "basic_personnel": lambda d: _basic_total(d).get("personnel"),
    "basic_public": lambda d: _basic_total(d).get("public"),
}


@rule("narrative_figures", "情况说明所述金额 = 表格", "Figures stated in the narrative equal the tables",
      ("narrative", "income_expenditure_summary", "expenditure_by_function",
       "expenditure_by_function_and_economic", "three_public_expenses",
       "expenditure_by_economic", "government_procurement", "appropriation_summary",
       "basic_expenditure_by_economic"))
def narrative_figures(doc):
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
    label = families.current().pattern_at("narrative", "figure_label").search(paragraph[:start])
    return paragraph[label.start():end]


def _falls(word: str) -> bool:
    return word in families.current().raw["narrative"]["decrease"]


def _statements(paragraph: str, kind: str) -> Iterator[tuple[re.Match, list[re.Match]]]:
    """Each match of narrative pattern `kind`, with the figures before it in its paragraph."""
    tpl = families.current()
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
def narrative_percentages(doc):
    """Changes are signed (减少 3% is -3); a statement printed twice word for word is one
    check. A rate printed to one decimal (下降5.6%) or none (下降20%) is compared to that
    precision."""
    seen = set()
    for paragraph in paragraphs_of(doc):
        for subject, recomputed, printed in _recomputed(paragraph):
            if (subject, printed) not in seen:
                seen.add((subject, printed))
                tolerance = max(CENT, Decimal(5).scaleb(printed.as_tuple().exponent - 1))
                yield Comparison(subject, recomputed.quantize(CENT), printed, tolerance,
                                 "narrative", "percent")
