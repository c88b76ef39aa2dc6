"""Tables read by OCR are published only where the accounting identities prove them.

A misread digit makes an amount that looks as right as any other: the identities (勾稽关系)
are what tell. Right after a document is extracted, each table read by OCR is tried
against every rule: the comparisons that change when the table is left out are the ones
that read it. The table is withheld (status not_extracted, reason `OCR: identities fail at
…`, naming the failing comparisons: the suspect rows and columns) when one of them fails,
or when none of them proves an amount of it (`OCR: no identity proves its amounts`): its
amounts would be published unproven. A failure source.yml acknowledges as the publisher's
with its figures (`Acknowledgement.has_figures`), read with exactly those figures, is the
printed error read right: it neither withholds the table nor proves it. Withholding a table changes what the others are
compared with, so this repeats until nothing changes. Rules about what was delivered
(gaps, the contents) prove nothing read, and a flag (a note, a precision) proves no amount.
"""
from __future__ import annotations

from dataclasses import replace

from pipeline.check.engine import GAP_RULE, RULES, Comparison, Doc
from pipeline.extract import Extraction, TableReport
from pipeline.sources import Acknowledgement
from pipeline.values import format_decimal

DELIVERY = {GAP_RULE, "contents_complete"}  # what was delivered, not what was read
NAMED = 3  # failing comparisons named in a reason


def withhold_unproven(extraction: Extraction, by_ocr: dict[int, dict[str, list[dict]]],
                      acknowledged: list[Acknowledgement] = ()) -> None:
    """Withhold each table read by OCR (`by_ocr`: id of its report -> the rows it gave)
    that an identity contradicts or none proves: its rows are taken out of `extraction`
    and its report says why. `acknowledged`: the document's publisher errors (source.yml).
    Runs in the document's family (families.use)."""
    printed = [a for a in acknowledged if a.has_figures]
    pending = [t for t in extraction.tables if id(t) in by_ocr and t.status == "extracted"]
    while pending:
        full = _comparisons(extraction)
        verdicts = {}
        for t in pending:
            without = _comparisons(_without(extraction, t, by_ocr[id(t)]))
            mine = [(rule, c) for key, (rule, c) in full.items() if without.get(key) != (rule, c)]
            failing = [(rule, c) for rule, c in mine if c.status == "fail" and not any(
                a.covers(rule, c.subject, c.expected, c.actual) for a in printed)]
            if failing:
                verdicts[id(t)] = "OCR: identities fail at " + _named(failing)
            elif not any(c.status == "pass" and c.unit != "flag" for _, c in mine):
                verdicts[id(t)] = "OCR: no identity proves its amounts"
        if not verdicts:
            return
        if any(v.startswith("OCR: identities fail") for v in verdicts.values()):
            # what fails first; a table merely unproven may be proven once those are out
            verdicts = {k: v for k, v in verdicts.items() if v.startswith("OCR: identities fail")}
        for t in pending:
            if id(t) in verdicts:
                _withhold(extraction, t, by_ocr[id(t)], verdicts[id(t)])
        pending = [t for t in pending if id(t) not in verdicts]


def _comparisons(extraction: Extraction) -> dict[tuple[str, str], tuple[str, Comparison]]:
    """Every comparison of the rules about what was read, by rule and subject."""
    doc = Doc(extraction)
    return {(r.id, c.subject): (r.id, c) for r in RULES if r.id not in DELIVERY
            for c in r.check(doc)}


def _without(extraction: Extraction, table: TableReport,
             produced: dict[str, list[dict]]) -> Extraction:
    """The extraction as if `table` had not been read."""
    gone = {id(row) for rows in produced.values() for row in rows}
    return replace(extraction,
                   rows={name: [r for r in rows if id(r) not in gone]
                         for name, rows in extraction.rows.items()},
                   tables=[replace(t, status="not_extracted") if t is table else t
                           for t in extraction.tables])


def _withhold(extraction: Extraction, table: TableReport, produced: dict[str, list[dict]],
              reason: str) -> None:
    gone = {id(row) for rows in produced.values() for row in rows}
    for name, rows in list(extraction.rows.items()):
        kept = [r for r in rows if id(r) not in gone]
        if kept:
            extraction.rows[name] = kept
        else:
            del extraction.rows[name]
    table.status, table.reason, table.rows = "not_extracted", reason, 0


def _named(failing: list[tuple[str, Comparison]]) -> str:
    """The failing comparisons, the first few with the figures (in yuan)."""
    shown = "; ".join(f"{rule}: {c.subject} (expected {format_decimal(c.expected)}, "
                      f"read {format_decimal(c.actual)})" for rule, c in failing[:NAMED])
    more = len(failing) - NAMED
    return shown + (f"; and {more} more" if more > 0 else "")
