"""One document in, tidy rows out: read -> recognize -> normalize.

`extract_document` is the library entry point used by both `build` (every source) and
`extract` (one file, for contributors to preview).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from pipeline import families
from pipeline.normalize import execution, performance_targets
from pipeline.errors import ReadError, RecognitionError
from pipeline.limits import LIMITS, Limits, check_size
from pipeline.model import Document, place
from pipeline.normalize.common import Context
from pipeline.normalize.layouts import (is_empty, normalize_form_row, normalize_lines, normalize_summary,
                        printed_decimals)
from pipeline.recognize.blank_pages import cut_off
from pipeline.recognize.tables import Recognition, Table, recognize
from pipeline.metadata.registry import BY_NAME
from pipeline.sources import SourceMeta
from pipeline.read.header import HEADER_SCAN, is_pdf
from pipeline.read.ocr import INSTALL_HINT, pages_as_images, read_scans
from pipeline.read.transcript import read_transcript
from pipeline.values import UNIT_FACTORS, label

LAYOUTS = {
    "lines": normalize_lines,
    "summary": normalize_summary,
    "form_row": normalize_form_row,
    "department_performance": performance_targets.normalize_department,
    "project_performance": performance_targets.normalize_projects,
}


@dataclass
class TableReport:
    """One recognized table and what became of it: extracted, printed empty, or not
    extracted (with the reason; its rows are not published)."""

    kind: str
    resource: str
    title: str
    page: int | None
    parts: int
    unit: str | None
    unit_source: str
    rows: int
    empty: bool
    notes: list[str]
    status: str = "extracted"  # extracted | empty | not_extracted
    reason: str | None = None
    decimals: int | None = None  # decimals its amounts are commonly printed with
    reader: str = "pdf"  # what read it: pdf (its text layer), transcript, or ocr

    @property
    def read(self) -> bool:
        return self.status != "not_extracted"


@dataclass
class Extraction:
    """Everything one document yields: rows per published table, and what was seen."""

    document_id: str
    document: Document | None  # dropped (slim) once checked, to pass results between processes
    rows: dict[str, list[dict]] = field(default_factory=dict)
    tables: list[TableReport] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    department_names: list[str] = field(default_factory=list)
    format: str = ""
    pages: int | None = None  # PDF page count
    family: str = "budget"  # the document's kind, whose family read it (families/)

    def slim(self) -> "Extraction":
        """The same result without the document (text and grids), which can be large."""
        self.document = None
        return self


def read_document(path: Path | Sequence[Path], limits: Limits = LIMITS,
                  ocr: bool = False) -> Document:
    """Read a PDF or a transcript into the intermediate form, by what the file holds. A
    PDF's pages without a text layer are read by OCR when its extra is installed (read/ocr/);
    `ocr` reads every page of a PDF so, its text layer set aside.

    Several paths are the files of one disclosure (the narrative and the tables published
    apart): they are read one by one and joined into one Document, their pages in the order
    given, each page naming its file and numbered within it. All must be of one format."""
    if isinstance(path, (str, Path)):
        return _read_one(Path(path), limits, ocr)
    paths = [Path(p) for p in path]
    if len(paths) == 1:
        return _read_one(paths[0], limits, ocr)
    if not paths:
        raise ValueError("read_document: no files given")
    docs = [_read_one(p, limits, ocr) for p in paths]
    for p, doc in zip(paths[1:], docs[1:]):
        if doc.format != docs[0].format:
            raise ReadError(p, f"is a {doc.format} but {paths[0].name} is a {docs[0].format}: "
                               "the files of one disclosure must be of one format")
    return Document(path=paths[0].parent / " + ".join(p.name for p in paths),
                    format=docs[0].format,
                    pages=[page for doc in docs for page in doc.pages],
                    image_pages=[n for doc in docs for n in doc.image_pages],
                    ocr_pages=[n for doc in docs for n in doc.ocr_pages])


def _read_one(path: Path, limits: Limits, ocr: bool = False) -> Document:
    doc = _read_file(path, limits, ocr)
    for page in doc.pages:
        page.file = path.name
    return doc


def _read_file(path: Path, limits: Limits, ocr: bool = False) -> Document:
    try:
        check_size(path, limits)
        with open(path, "rb") as f:
            head = f.read(HEADER_SCAN)
    except OSError as exc:
        raise ReadError(path, f"cannot read file: {exc.strerror}") from None
    if is_pdf(head) or path.suffix.lower() == ".pdf":
        from pipeline.read.pdf import read_pdf
        return read_scans(read_pdf(path, limits=limits), path, everything=ocr)
    return read_transcript(path)


def _normalize(table: Table, ctx: Context, tables: list[Table]) -> dict[str, list[dict]]:
    normalize = LAYOUTS[table.kind.layout]
    # a lines table may take its columns from the document's other tables (its siblings)
    result = normalize(table, ctx, tables) if table.kind.layout == "lines" else normalize(table, ctx)
    result = result if isinstance(result, dict) else {table.kind.resource: result}
    for resource, rows in result.items():  # the document's phase, unless a column said
        if "phase" in BY_NAME[resource].field_names():
            for row in rows:
                row.setdefault("phase", ctx.phase)
    return result


def extract_document(path: Path | Sequence[Path], document_id: str,
                     meta: SourceMeta | None = None, limits: Limits = LIMITS,
                     ocr: bool = False, kind: str | None = None) -> Extraction:
    """Extract every standard table of one document (one file, or the several files of one
    disclosure, read as one) with the knowledge of its family (its `kind`: the metadata's,
    else `kind`, else budget); `ocr` reads every page by OCR (see read_document). Raises
    ReadError/RecognitionError."""
    kind = meta.kind if meta else kind or families.DEFAULT
    with families.use(kind):
        out = _extract(path, document_id, meta, limits, ocr)
    out.family = kind
    return out


def _extract(path: Path | Sequence[Path], document_id: str, meta: SourceMeta | None,
             limits: Limits, ocr: bool = False) -> Extraction:
    doc = read_document(path, limits, ocr)
    path = doc.path  # one file, or a disclosure's several files named together
    recognition: Recognition = recognize(doc)
    unread = [n for n in doc.image_pages if n not in doc.ocr_pages]  # no OCR engine here
    scanned = [n for n in doc.image_pages if n in doc.ocr_pages]
    if not recognition.tables:
        if unread:
            raise ReadError(path, f"{pages_as_images(doc, unread)}; {INSTALL_HINT}")
        found = "; ".join(f"{u.title} ({u.reason})" for u in recognition.unplaced) or "no tables"
        raise RecognitionError(path, f"none of the standard budget tables found ({found})" +
                               (f"; {pages_as_images(doc, scanned)}: read by OCR"
                                if scanned else ""))
    ctx = Context(document_id, path, meta.department.code if meta else None,
                  phase=families.current().phase)
    names = [meta.department.name] if meta else []
    names += recognition.department_lines
    ctx.unit_names = {label(n) for n in names}
    numbers = [p.number for p in doc.pages if p.number is not None]
    out = Extraction(document_id, doc, department_names=recognition.department_lines,
                     format=doc.format, pages=len(numbers) or None)
    keys = _Keys(ctx.warnings)
    cut = cut_off(doc, recognition.tables)
    by_ocr: dict[int, dict[str, list[dict]]] = {}  # id of a report -> the rows OCR gave
    for table in recognition.tables:
        report = TableReport(table.kind.id, table.kind.resource, table.title, table.page,
                             table.parts, table.unit, table.unit_source, 0, is_empty(table),
                             table.notes, decimals=printed_decimals(table),
                             reader=reader_of(doc, table))
        try:
            if id(table) in cut:  # its rows on a page that gave nothing would be lost
                raise RecognitionError(path, cut[id(table)])
            produced = keys.admit(_normalize(table, ctx, recognition.tables), path, table)
        except RecognitionError as exc:  # this table fails alone; the others publish
            report.status = "not_extracted"
            report.reason = exc.message + (f" (page {exc.page})" if exc.page not in
                                           (None, table.page) else "")
        else:
            for resource, rows in produced.items():
                out.rows.setdefault(resource, []).extend(rows)
                report.rows += len(rows)
            if report.reader == "ocr":
                by_ocr[id(report)] = produced
            report.status = "empty" if report.empty else "extracted"
            if not report.rows and not report.empty:  # never "read" with its figures lost
                report.status = "not_extracted"
                report.reason = (f"it prints amounts, but read as a {table.kind.layout} "
                                 f"table of {table.kind.resource} it gave no rows")
        report.unit, report.unit_source = table.unit, table.unit_source  # read while normalizing
        out.tables.append(report)
    if families.current().raw.get("execution"):  # a final account's narrative: 预算执行
        stated = execution.read_execution(doc, ctx, out.rows.get("expenditure_by_function", []))
        if stated:
            out.rows["budget_execution"] = stated
    for u in recognition.unplaced:
        where = place(u.page, u.line)
        out.unplaced.append(f"{u.title} ({where}): {u.reason}")
    out.warnings = recognition.warnings + ctx.warnings
    if unread:
        out.warnings.append(f"{pages_as_images(doc, unread)}, so any table there is not read; "
                            f"{INSTALL_HINT}")
    blank = [p.number for p in doc.pages if p.number in scanned and not p.items]
    if blank:
        out.warnings.append(f"{pages_as_images(doc, blank)}, and OCR found no text there")
    if by_ocr:  # an amount read by OCR is published only where the identities prove it
        from pipeline.check.ocr import withhold_unproven  # (check/ imports this module)
        withhold_unproven(out, by_ocr, meta.acknowledged if meta else [])
    if not any(t.read for t in out.tables):
        failed = "; ".join(f"table {t.title!r}" + (f", page {t.page}" if t.page else "") +
                           f": {t.reason}" for t in out.tables)
        raise RecognitionError(path, f"no standard table could be read: {failed}")
    return out


def reader_of(doc: Document, table: Table) -> str:
    """What read the table's cells: `transcript`, `ocr` (any of its pages read by OCR), or
    `pdf` (the text layer)."""
    if doc.format == "transcript":
        return "transcript"
    pages = {table.page, *table.grid.row_pages} - {None}
    return "ocr" if pages & set(doc.ocr_pages) else "pdf"


def _repeats_add_up(rows: list[dict], spec) -> bool:
    """Whether a table that prints a function code again, naming no unit, is proven to list
    shares (one per unit): in some column where a line printed again holds an amount, the
    lines, each counted, add up to the table's total (0.01 of the printed unit per line)."""
    total = next((r for r in rows if r["line_type"] == "total"), None)
    items = [r for r in rows if r["line_type"] == "item"]
    codes = {r["function_code"] for r in items if r.get("function_code")}
    leaves = [r for r in items if not any(
        c != r.get("function_code") and c.startswith(r.get("function_code") or "~") for c in codes)]
    seen, again = set(), []
    for r in leaves:
        key = _key(spec, r)
        if key in seen:
            again.append(r)
        seen.add(key)
    if total is None or not again:
        return False
    tolerance = Decimal("0.01") * UNIT_FACTORS[total.get("source_unit") or "万元"] * len(leaves)
    return any(total.get(name) is not None and any(r.get(name) for r in again)
               and abs(sum(r.get(name) or 0 for r in leaves) - total[name]) <= tolerance
               for name in spec.amount_fields())


def _repeats_in_blocks(rows: list[dict], spec) -> bool:
    """Whether a table that prints a function code again, naming no unit, is proven by its
    order to print one block of lines per unit, each block's codes ascending: the proof where
    the lines add up to the total in no column (see _repeats_add_up). Its item lines, all
    coded and none under another's code (in a 类/款/项 tree a code never repeats, so a
    repeat there is a misprint or a misread), fall into runs of strictly ascending codes, a
    new run wherever the code goes down; and
    - no code is printed again within its run: the same code on the next line is a line
      printed or read twice, not a new block;
    - the runs are exactly as many as the lines of the code printed most often: every
      restart is a block printing that code again, none a line or page out of order
      (blocks printed unsorted, or pages read out of order, add restarts, so fail);
    - no line repeats an earlier line of its code with the same figures: a block or page
      printed or read twice looks exactly so (shares equal to the fen in every column
      cannot be told from it), and is left to admit as before (published once, or failing).
    The lines then do not add up to the total (or there is none), which the check
    lines_sum_to_total reports, so the document is published only with that acknowledged."""
    items = [r for r in rows if r["line_type"] == "item"]
    codes = sorted({r.get("function_code") or "" for r in items})
    if not items or not all(codes) or any(b.startswith(a) for a, b in zip(codes, codes[1:])):
        return False  # a line with no code, or a tree
    lines: dict[tuple, list[tuple]] = {}  # key -> the figures of each of its lines
    runs = 1
    for before, row in zip([None] + items, items):
        if before is not None:
            if row["function_code"] == before["function_code"]:
                return False
            runs += row["function_code"] < before["function_code"]
        figures = tuple(row.get(name) for name in spec.amount_fields())
        printed = lines.setdefault(_key(spec, row), [])
        if figures in printed:
            return False
        printed.append(figures)
    return runs == max(len(f) for f in lines.values()) > 1


def _key(spec, row: dict) -> tuple:
    """A row's primary key; a name does not count beside the code it names."""
    return tuple(row.get(k) for k in spec.primary_key
                 if not (k == "name" and (row.get("function_code") or row.get("unit_code"))))


class _Keys:
    """The primary keys published so far in one document, per resource."""

    def __init__(self, warnings: list[str]):
        self.seen: dict[str, dict[tuple, tuple]] = {}  # key -> the row's facts
        self.warnings = warnings

    def admit(self, produced: dict[str, list[dict]], path: Path, table: Table) -> dict[str, list[dict]]:
        """Give every row all its resource's fields. A row whose key is taken (by this table
        or an earlier one) with other figures fails the table, so no row of it is published;
        with the same figures it is the same line printed twice and is published once. A
        table whose resource counts repeats (`repeat`) numbers a line it prints again
        instead; a function code printed again only where its lines, each counted, add up
        to the table's total (see _repeats_add_up) or, failing that, where they are printed
        in blocks of ascending codes, one per unit (see _repeats_in_blocks)."""
        out, new = {}, {}
        for resource, rows in produced.items():
            spec = BY_NAME[resource]
            names = spec.field_names()
            taken = self.seen.setdefault(resource, {})
            mine = new.setdefault(resource, {})
            counts = "repeat" in names and ("function_code" not in names or
                                            _repeats_add_up(rows, spec) or
                                            _repeats_in_blocks(rows, spec))
            out[resource] = []
            for row in rows:
                extra = set(row) - set(names)
                if extra:
                    raise AssertionError(f"{resource}: unknown fields {extra}")  # a bug, not input
                row = {n: row.get(n) for n in names}
                for f in spec.fields:  # a code of the wrong shape is a misread: the table fails
                    if f.pattern and row[f.name] is not None and \
                            not re.fullmatch(f.pattern, str(row[f.name])):
                        raise RecognitionError(
                            path, f"{f.name} {row[f.name]!r} is not of the form {f.pattern}",
                            page=row.get("source_page"), table=table.title)
                key = _key(spec, row)
                facts = tuple(row.get(name) for name in spec.amount_fields())
                while counts and key in mine:  # a line the table prints again
                    row["repeat"] = str(int(row["repeat"] or 1) + 1)
                    key = _key(spec, row)
                before = taken.get(key, mine.get(key))
                if before is not None:
                    shown = {k: v for k, v in zip(spec.primary_key, key) if v is not None}
                    if before != facts:
                        unproven = "; printed again with no unit named, its lines add up to " \
                            "the total in no column, nor are they printed in blocks of " \
                            "ascending codes, one per unit, so they are not proven to be shares" \
                            if "repeat" in names and key in mine else ""
                        raise RecognitionError(
                            path, f"two rows with the same key {shown} in {resource}{unproven}",
                            page=row.get("source_page"), table=table.title)
                    self.warnings.append(f"{table.title} ({table.where}): the line {shown} is "
                                         "printed twice with the same figures; published once")
                    continue
                mine[key] = facts
                out[resource].append(row)
        for resource, keys in new.items():
            self.seen[resource].update(keys)
        return out
