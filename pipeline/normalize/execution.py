"""The narrative's statements of the year's budget and its execution (a final account's
决算情况说明) → rows of `budget_execution`.

Each scope (a fund's spending by 项, or the 三公 expenses) has a section, found by its head;
in it, the statement before the first numbered item is the scope's total, and each item
names one 项 (一般公共服务支出（类）社会工作事务（款）行政运行（项）) with its budget, its
final amount, the completion rate and the reason printed. Every phrasing is the family's
`execution` section (families/final_accounts.yml); amounts are exact yuan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from pipeline import families
from pipeline.metadata.registry import BY_NAME
from pipeline.model import Document, TextBlock
from pipeline.normalize.common import Context
from pipeline.values import clean, label, to_yuan

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One line of the narrative, cleaned, with the page it is printed on."""

    text: str
    page: int | None


@dataclass(frozen=True)
class Budget:
    basis: str | None  # approved (年初), adjusted (全年) or None (not said)
    amount: Decimal


def lines_of(document: Document) -> list[Line]:
    """The text outside tables, line by line, cleaned (values.clean)."""
    out = []
    for page in document.pages:
        for item in page.items:
            if isinstance(item, TextBlock):
                out.extend(Line(t, page.number) for t in map(clean, item.text.split("\n")) if t)
    return out


def recomputed_rate(final: Decimal, budget: Decimal) -> Decimal:
    """final / budget in percent, to the hundredth (the precision rates are printed to)."""
    return (final / budget * 100).quantize(CENT)


def rate_tolerance(printed: Decimal) -> Decimal:
    """Half the last printed digit, at least 0.01 points (as narrative_percentages)."""
    return max(CENT, Decimal(5).scaleb(printed.as_tuple().exponent - 1))


def rate_fits(final: Decimal, budget: Decimal, printed: Decimal) -> bool:
    """Whether a printed rate is final / budget, to its printed precision."""
    return budget != 0 and abs(recomputed_rate(final, budget) - printed) <= rate_tolerance(printed)


def read_execution(document: Document, ctx: Context, function_rows: list[dict]) -> list[dict]:
    """The rows of `budget_execution` the narrative states, by the current family's
    `execution` patterns; the 项 coded by their 类/款/项 names in `function_rows` (the
    document's expenditure_by_function rows). A statement that cannot be read is a warning
    in `ctx.warnings`, never an error: the tables publish without it."""
    spec = families.current().raw["execution"]
    lines = lines_of(document)
    codes = _names_by_code(function_rows)
    rows = []
    for scope, patterns in spec["sections"].items():
        for head, body in _candidate_sections(lines, spec, patterns):
            found = list(_statements(scope, head, body, spec, codes, ctx))
            if found:
                rows.extend(found)
                break
    return rows


def _level(text: str, heads: list[str]) -> int | None:
    return next((i for i, p in enumerate(heads) if re.search(p, text)), None)


def _candidate_sections(lines: list[Line], spec: dict,
                        patterns: list[str]) -> Iterator[tuple[str, list[Line]]]:
    """(the head without its numbering, the lines under it) for each head of the scope, the
    first pattern's heads first; a section runs to the next head of its level or above."""
    heads = spec["heads"]
    for pattern in patterns:
        for i, line in enumerate(lines):
            level = _level(line.text, heads)
            if level is None or not re.search(pattern, line.text):
                continue
            end = next((j for j in range(i + 1, len(lines))
                        if _level(lines[j].text, heads) is not None
                        and _level(lines[j].text, heads) <= level), len(lines))
            yield re.sub(heads[level], "", line.text).rstrip("。.:："), lines[i + 1:end]


def _statements(scope: str, head: str, body: list[Line], spec: dict,
                codes: dict[str, set[str]], ctx: Context) -> Iterator[dict]:
    """The total statement (before the first item) and each numbered item of a section."""
    text, pages, at = "", [], 0
    for line in body:  # the section as one text, lines kept, each line's page by offset
        pages.append((at, line.page))
        text += line.text + "\n"
        at = len(text)

    def page_at(offset: int) -> int | None:
        return next((p for start, p in reversed(pages) if start <= offset), None)

    items = list(re.finditer(spec["item"], text, re.M))
    prelude = text[:items[0].start()] if items else text
    total = _read(prelude.replace("\n", ""), spec)
    if total is not None:
        subject = re.search(spec["subject"], prelude.replace("\n", ""))
        yield _row(ctx, scope, "total", None, subject.group("name") if subject else None,
                   None, total, head, page_at(0))
    seen = set()
    for k, m in enumerate(items):
        end = items[k + 1].start() if k + 1 < len(items) else len(text)
        name = m.group("name").replace("\n", "")
        where = f"{head} ({'page ' + str(page_at(m.start())) if page_at(m.start()) else 'narrative'})"
        stated = _read(text[m.end():end].replace("\n", ""), spec)
        if m.group("number") in seen:
            ctx.warnings.append(f"{where}: item {m.group('number')} ({name}) is numbered twice; "
                                "the first is published")
        elif stated is None:
            ctx.warnings.append(f"{where}: item {m.group('number')} ({name}) states no budget "
                                "or final amount; not published in budget_execution")
        else:
            seen.add(m.group("number"))
            yield _row(ctx, scope, "item", m.group("number"), name,
                       _code_of(name, spec, codes), stated, head, page_at(m.start()))


def _read(statement: str, spec: dict) -> dict | None:
    """The figures and words of one statement; None when it states no budget or final."""
    comparison = min(((m.start(), word, m) for word, p in spec["comparisons"].items()
                      for m in [re.search(p, statement)] if m), default=None, key=lambda c: c[0])
    figures = statement[:comparison[0]] if comparison else statement
    final, rate = re.search(spec["final"], figures), re.search(spec["rate"], figures)
    budgets = [(Budget(_basis(m.group("basis"), spec), to_yuan(_number(m.group("v")),
                                                                m.group("unit"))), m)
               for m in re.finditer(spec["budget"], figures)]
    if final is None and not budgets:
        return None
    amount = to_yuan(_number(final.group("v")), final.group("unit")) if final else None
    printed = Decimal(rate.group("v")) if rate else None
    chosen = _budget_of([b for b, _ in budgets], amount, printed,
                        _basis(rate.group("basis"), spec) if rate else None)
    reason = re.search(spec["reason"], statement[comparison[2].end():]) if comparison else None
    return {"budget": chosen, "final": amount, "stated_rate": printed,
            "comparison": comparison[1] if comparison else None,
            "reason": reason.group("reason").strip() if reason else None,
            "unit": (final or budgets[0][1]).group("unit")}


def _budget_of(budgets: list[Budget], final: Decimal | None, rate: Decimal | None,
               rate_basis: str | None) -> Budget | None:
    """The budget a statement compares with: of several (年初预算为0万元，全年预算为321.02万元),
    the one its printed rate recomputes from; else the one the rate's words name; else the
    year's budget as adjusted (全年), else the first."""
    if len(budgets) <= 1:
        return budgets[0] if budgets else None
    if rate is not None and final is not None:
        fits = [b for b in budgets if rate_fits(final, b.amount, rate)]
        if len(fits) == 1:
            return fits[0]
    for basis in (rate_basis, "adjusted"):
        named = [b for b in budgets if basis and b.basis == basis]
        if named:
            return named[0]
    return budgets[0]


def _basis(words: str | None, spec: dict) -> str | None:
    return next((b for b, p in spec["bases"].items() if words and re.search(p, words)), None)


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _names_by_code(rows: list[dict]) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for r in rows:
        if r.get("function_code") and r.get("name"):
            names.setdefault(r["function_code"], set()).add(label(r["name"]))
    return names


def _code_of(name: str, spec: dict, codes: dict[str, set[str]]) -> str | None:
    """The function code whose rows bear the item's 类, 款 and 项 names (each printed level
    that the tables print must agree); None unless exactly one code does."""
    parts = [label(m.group("name")) for m in re.finditer(spec["levels"], name)]
    if not parts:
        return None
    width = 3 + 2 * (len(parts) - 1)
    fits = [code for code, names in codes.items() if len(code) == width and parts[-1] in names
            and all(code[:3 + 2 * i] not in codes or part in codes[code[:3 + 2 * i]]
                    for i, part in enumerate(parts[:-1]))]
    return fits[0] if len(fits) == 1 else None


def _row(ctx: Context, scope: str, line_type: str, number: str | None, name: str | None,
         code: str | None, stated: dict, head: str, page: int | None) -> dict:
    row = dict.fromkeys(BY_NAME["budget_execution"].field_names())
    budget = stated["budget"]
    row.update(document_id=ctx.document_id, scope=scope, line_type=line_type,
               item_number=number, function_code=code, name=name,
               budget_basis=budget.basis if budget else None,
               budget=budget.amount if budget else None, final=stated["final"],
               stated_rate=stated["stated_rate"], comparison=stated["comparison"],
               reason=stated["reason"], source_table=head, source_page=page,
               source_unit=stated["unit"])
    return row
