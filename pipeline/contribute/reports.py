"""What a contributor reads about one document: what was recognized and read in it, and the
tables not read with the lines that acknowledge them in source.yml."""
from __future__ import annotations

from pathlib import Path

from pipeline.check.engine import GAP_RULE, gap_subject
from pipeline.contribute.review import acknowledgement_yaml
from pipeline.extract import Extraction


def extraction_report(path: Path | list[Path], extraction: Extraction) -> str:
    """A short human report of what was recognized in one document (one file, or the files
    of one disclosure)."""
    paths = [path] if isinstance(path, Path) else list(path)
    lines = [f"# Extraction report: {' + '.join(p.name for p in paths)}", ""]
    if len(paths) > 1:  # pages are numbered within each file
        pages = {}
        for page in extraction.document.pages if extraction.document else []:
            pages[page.file] = pages.get(page.file, 0) + 1
        lines += ["Files, read as one document:", ""]
        lines += [f"- {p.name}" + (f" ({pages[p.name]} pages)" if p.name in pages else "")
                  for p in paths]
        lines += [""]
    gaps = [t for t in extraction.tables if not t.read]
    lines += [
             f"{len(extraction.tables)} standard tables recognized"
             + (f" ({len(gaps)} not read)" if gaps else "") + ":", "",
             "| table | printed title | page | unit | rows | notes |",
             "|---|---|---|---|---|---|"]
    for t in extraction.tables:
        page = t.page if t.page is not None else "-"
        unit = f"{t.unit or '?'}" + (" (assumed)" if t.unit_source == "assumed" else "")
        rows = "not read" if not t.read else \
            f"{t.rows}" + (" (empty table)" if t.empty else "")
        note = (t.notes[-1][:40] + "…") if t.notes else ""
        lines.append(f"| {t.kind} | {t.title} | {page} | {unit} | {rows} | {note} |")
    if gaps:
        lines += ["", "Tables not read (none of their rows is published; the other tables "
                      "are). Fix the reading, or acknowledge the gap in source.yml:", ""]
        lines += [f"- {gap_subject(t)}: {t.reason}" for t in gaps]
        lines += ["", "```yaml", acknowledgement_yaml(
            [(gap_subject(t), t.reason or "") for t in gaps]), "```"]
    lines += ["", "Rows per published table:", ""]
    lines += [f"- {name}: {len(rows)}" for name, rows in sorted(extraction.rows.items())]
    if extraction.unplaced:
        lines += ["", "Tables not recognized (please check, or add their titles to "
                      "pipeline/families/budget.yml):", ""]
        lines += [f"- {u}" for u in extraction.unplaced]
    if extraction.warnings:
        lines += ["", "Needs attention:", ""] + [f"- {w}" for w in extraction.warnings]
    return "\n".join(lines) + "\n"


def gap_lines(extraction: Extraction, rows: list[dict]) -> str:
    """The tables not read, with their reason, under a document's check report; for those
    nobody acknowledged, the lines to paste into source.yml."""
    acked = {r["subject"] for r in rows if r["rule"] == GAP_RULE and r["acknowledged"]}
    gaps = [t for t in extraction.tables if not t.read]
    if not gaps:
        return ""
    lines = [f"  TABLE NOT READ{' (acknowledged)' if gap_subject(t) in acked else ''}: "
             f"{gap_subject(t)}: {t.reason}" for t in gaps]
    open_ = [(gap_subject(t), t.reason or "") for t in gaps if gap_subject(t) not in acked]
    if open_:
        lines += ["  to acknowledge (none of its rows is published; the rest is), add to "
                  "source.yml:"]
        lines += ["    " + line for line in acknowledgement_yaml(open_).splitlines()]
    return "\n" + "\n".join(lines)
