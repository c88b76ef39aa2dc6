"""The checks' engine: the rule registry and how rules are run on a document.

Each rule is declared with `@rule`: an id, a description in Chinese and English, the
tables it reads and its tolerance. A rule yields one comparison per thing it checks
(expected vs actual), named by its subject: a row's natural key or the narrative's own
words, never a counter. When its tables are absent it yields nothing and is reported as
not applicable, never as passed; so is a comparison with nothing to compare (both sides
blank, or a narrative figure no table states). Tolerances follow the documents'
rounding: 0.01 of the printed unit per summed term (尾差). The rules themselves are in
check/rules.py (the tables) and check/narrative.py (the 情况说明); importing the package
`pipeline.check` registers them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

from pipeline import families
from pipeline.extract import Extraction
from pipeline.sources import Acknowledgement
from pipeline.values import UNIT_FACTORS

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
    kind = next(k for k in families.current().kinds if k.id == kind_id)
    return kind.attrs.get(key)


def tol(rows: Iterable[dict | None], terms: int) -> Decimal:
    """0.01 of the printed unit per summed term, in yuan."""
    factor = max((UNIT_FACTORS.get(r.get("source_unit") or "万元", 1) for r in rows if r),
                 default=UNIT_FACTORS["万元"])
    return CENT * factor * max(terms, 1)


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None



def run_checks(document_id: str, extraction: Extraction,
               acknowledged: list[Acknowledgement] = ()) -> list[dict]:
    """Evaluate every rule on one document -> rows of the `checks` table. A subject names
    its check: two checks of a rule with one subject are an error, never numbered."""
    doc = Doc(extraction)
    out, seen = [], set()
    with families.use(extraction.family):
        results = [(r, list(r.check(doc))) for r in RULES]
    for r, comparisons in results:
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
            ack = next((a for a in acknowledged if a.covers(r.id, c.subject, c.expected, c.actual)),
                       None) if status == "fail" else None
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
