"""Find the standard tables in a document: titles, units, notes, continuations, headers.

Works only on the intermediate form (model.py), so a grid from a transcript and a grid from
a PDF are recognized by the same code. Recognition never drops anything silently: a grid it
cannot place is returned in `Recognition.unplaced` with its title and page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import templates
from .model import Cell, Document, Grid, TextBlock
from .templates import Kind
from .values import clean, label, looks_like_data, looks_numeric

MAX_TITLE_LENGTH = 60
MAX_NOTE_LENGTH = 40  # an unmarked line this short saying 无…支出 is a table's note
TITLE_LOOKBACK = 6  # text blocks looked at above a grid for its title


@dataclass
class Table:
    """A recognized standard table: one merged grid plus what was printed around it."""

    kind: Kind
    title: str
    grid: Grid
    page: int | None
    line: int | None
    unit: str | None = None
    unit_source: str = ""  # "printed" or "header" (from a label like 项目金额（万元）)
    department: str | None = None
    notes: list[str] = field(default_factory=list)
    n_header: int = 0
    parts: int = 1

    @property
    def where(self) -> str:
        return f"page {self.page}" if self.page is not None else f"line {self.line}"

    def header_rows(self) -> list[list[str]]:
        return self.grid.rows()[: self.n_header]

    def body(self) -> list[tuple[int, list[str]]]:
        """Body rows with their index in the grid."""
        rows = self.grid.rows()
        return [(i, rows[i]) for i in range(self.n_header, len(rows))]


@dataclass
class Unplaced:
    title: str
    page: int | None
    line: int | None
    reason: str


@dataclass
class Recognition:
    tables: list[Table]
    unplaced: list[Unplaced]
    department_lines: list[str]
    warnings: list[str] = field(default_factory=list)


def header_text(grid: Grid) -> str:
    """The labels of a grid's header rows joined, for matching header signatures."""
    return "|".join(label(c) for row in grid.rows()[:count_header_rows(grid)] for c in row if clean(c))


def is_body_row(row: list[str]) -> bool:
    """A row that holds data rather than column labels: any number or code, or a lone
    total/none marker (the only row of an empty table)."""
    tpl = templates.load()
    cells = [label(c) for c in row if clean(c)]
    if any(looks_like_data(c) for c in cells):
        return True
    return len(cells) == 1 and bool(tpl.pattern("total_labels").match(cells[0])
                                    or tpl.pattern("none_labels").match(cells[0]))


def count_header_rows(grid: Grid) -> int:
    rows = grid.rows()
    for i, row in enumerate(rows):
        if is_body_row(row):
            return i
    return len(rows)


def header_paths(grid: Grid, n_header: int) -> list[list[str]]:
    """The labels above each column, top to bottom.

    Merged cells (known spans) label every column they cover. Where spans are unknown (a
    transcript writes a merged cell once and leaves the slots it covers empty), an empty
    slot takes the label on its left when both columns are subdivided further down.
    """
    rows = grid.rows()[:n_header]
    owner = grid.span_owner()
    spans_known = any(c.rowspan > 1 or c.colspan > 1 for c in grid.cells)
    width = grid.n_cols
    filled = [[label(c) for c in r] + [""] * (width - len(r)) for r in rows]

    def has_below(r: int, c: int) -> bool:
        return any(filled[k][c] for k in range(r + 1, len(filled)))

    for r in range(len(filled)):
        for c in range(width):
            cell = owner.get((r, c))
            if cell is not None and (cell.row, cell.col) != (r, c):
                filled[r][c] = label(cell.text)
            elif not spans_known and not filled[r][c] and c > 0 and filled[r][c - 1] \
                    and has_below(r, c) and has_below(r, c - 1):
                filled[r][c] = filled[r][c - 1]
    paths = []
    for c in range(width):
        path: list[str] = []
        for r in range(len(filled)):
            if filled[r][c] and (not path or path[-1] != filled[r][c]):
                path.append(filled[r][c])
        paths.append(path)
    return paths


def _title_of(blocks: list[TextBlock]) -> tuple[TextBlock | None, Kind | None, str]:
    """The last block (or pair of wrapped blocks) before a grid that names a standard table.
    Returns (block, kind, title); kind is None for a table-like title we do not know."""
    tpl = templates.load()
    for i in range(len(blocks) - 1, max(-1, len(blocks) - 1 - TITLE_LOOKBACK), -1):
        t = clean(blocks[i].text)
        if _is_auxiliary(t):
            continue
        if len(t) > MAX_TITLE_LENGTH:
            break
        wrapped = [clean(blocks[i - 1].text + blocks[i].text)] if i > 0 else []
        for text in [t] + wrapped:  # a title may wrap onto a second line
            kind = tpl.kind_for_title(text)
            if kind is not None:
                return blocks[i], kind, text
        if re.search(r"表$", label(t)):
            return blocks[i], None, t
    return None, None, ""


def _collect_notes(notes: list[str], blocks: list[TextBlock]) -> None:
    """Add the notes among `blocks` to a table's `notes`. A note wrapped over several lines
    (a PDF gives one block per line, maybe across a page break) continues until a line
    ends its sentence."""
    open_note = bool(notes) and not _ends_sentence(notes[-1])
    for b in blocks:
        t = clean(b.text)
        if _is_page_number(t):
            continue
        if open_note and not templates.load().pattern("note_line").match(t) \
                and not _is_auxiliary(t) and not re.search(r"表$", t):
            notes[-1] += t
        elif _is_note(t):
            notes.append(t)
        else:
            open_note = False
            continue
        open_note = not _ends_sentence(notes[-1])


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[。；;.!！?？)）]$", text))


def _is_page_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-—－]?\s*\d{1,4}\s*[-—－]?|第\s*\d+\s*页(\s*共\s*\d+\s*页)?", text))


def _is_note(text: str) -> bool:
    """A note printed with a table: 注：…, or a short line such as (无政府性基金支出)."""
    tpl = templates.load()
    t = clean(text)
    return bool(tpl.pattern("note_line").match(t)
                or len(t) <= MAX_NOTE_LENGTH and tpl.pattern("empty_table_note").search(t))


def _is_auxiliary(text: str) -> bool:
    """Lines printed between a title and its grid: department, unit, year, notes."""
    tpl = templates.load()
    return bool(tpl.pattern("department_line").match(text) or tpl.pattern("unit_line").search(text)
                or tpl.pattern("note_line").match(text)
                or re.fullmatch(r"[(（]?\d{4}\s*年度?[)）]?", text.replace(" ", "")))


def _unit_of(blocks: list[TextBlock]) -> str | None:
    tpl = templates.load()
    for b in blocks:
        m = tpl.pattern("unit_line").search(clean(b.text))
        if m:
            return m.group("unit")
    return None


def _department_of(blocks: list[TextBlock]) -> str | None:
    tpl = templates.load()
    for b in blocks:
        m = tpl.pattern("department_line").match(clean(b.text))
        if m:
            return m.group("name").strip()
    return None


def _header_text(rows: list[list[str]]) -> str:
    """A header's labels run together, column by column (wrapping does not change it)."""
    width = max((len(r) for r in rows), default=0)
    return "".join(label(r[c]) for c in range(width) for r in rows if c < len(r))


def _same_header(a: list[str], b: list[str]) -> bool:
    return [label(x) for x in a] == [label(x) for x in b]


def _append(table: Table, grid: Grid) -> None:
    """Continue `table` with `grid` (a page break): drop a repeated header, join a cell split
    over the break into the row above it, and keep every merged cell of both grids."""
    head = table.header_rows()
    rows = grid.rows()
    skip = 0
    while skip < len(rows) and skip < len(head) and _same_header(rows[skip], head[skip]):
        skip += 1
    if skip == 0 and head:
        n = count_header_rows(grid)
        if n and _header_text(rows[:n]) == _header_text(head):
            skip = n  # a repeated header whose labels wrap over different rows
    old = table.grid
    cells = list(old.cells)
    if skip < len(rows) and old.n_rows and table.kind.layout in ("lines", "summary") \
            and _is_split_remainder(rows[skip], old.rows()[-1]):
        owner = old.span_owner()
        last = old.n_rows - 1
        for col, text in enumerate(rows[skip]):
            target = owner.get((last, col)) or next(
                (c for c in cells if c.row == last and c.col == col), None)
            if text and target is not None:
                target.text += text
            elif text:
                cells.append(Cell(last, col, text))
        skip += 1
    offset = old.n_rows - skip
    cells += [Cell(c.row + offset, c.col, c.text, c.rowspan, c.colspan)
              for c in grid.cells if c.row >= skip]
    pages = [grid.page_of_row(i) for i in range(skip, grid.n_rows)]
    table.grid = Grid(cells, old.n_rows + grid.n_rows - skip, max(old.n_cols, grid.n_cols),
                      old.page, [old.page_of_row(i) for i in range(old.n_rows)] + pages, old.line)
    table.parts += 1


def _is_split_remainder(row: list[str], above: list[str]) -> bool:
    """The first row after a break holds only the end of a wrapped text cell of the row
    above: no number, no code, no list numbering, and the row above is a data row."""
    filled = [c for c in row if clean(c)]
    if len(filled) != 1 or looks_numeric(filled[0]) or not is_body_row(above):
        return False
    return not re.match(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d)",
                        clean(filled[0]))


def recognize(doc: Document) -> Recognition:
    """Place every grid of the document: a new standard table, the continuation of the
    previous one, or unplaced (reported)."""
    tpl = templates.load()
    tables: list[Table] = []
    unplaced: list[Unplaced] = []
    departments: list[str] = []
    warnings: list[str] = []
    blocks: list[TextBlock] = []  # text since the previous grid
    previous: Table | None = None
    for item in doc.items():
        if isinstance(item, TextBlock):
            blocks.append(item)
            continue
        grid = item
        title_block, kind, title = _title_of(blocks)
        dept = _department_of(blocks)
        if dept:
            departments.append(dept)
        unit = _unit_of(blocks)
        if previous is not None:
            _collect_notes(previous.notes, blocks)
        continuation = previous is not None and (
            title_block is None and not dept and not unit
            or (kind is not None and kind.id == previous.kind.id and title == previous.title)
        )
        where = f"page {grid.page}" if grid.page is not None else f"line {grid.line}"
        if not continuation and kind is None:
            kind = tpl.kind_for_header(header_text(grid))
            if kind is not None:
                warnings.append(f"{title or '(untitled table)'} ({where}): title not recognized; "
                                f"identified by its header as {kind.id}")
                title = title or kind.id
        if continuation:
            _append(previous, grid)
        elif kind is not None:
            n_header = count_header_rows(grid)
            previous = Table(kind, title, grid, grid.page, grid.line, unit,
                             "printed" if unit else "", dept, [], n_header)
            tables.append(previous)
        else:
            unplaced.append(Unplaced(title or "(no title)", grid.page, grid.line,
                                     "title not recognized as a standard table" if title
                                     else "grid with no title before it"))
            previous = None
        blocks = []
    if previous is not None:
        _collect_notes(previous.notes, blocks)
    for t in tables:  # checked on the whole table: its first part may be a page's last rows
        if not t.kind.fits_header(header_text(t.grid)):
            warnings.append(f"{t.title} ({t.where}): the header does not look like a "
                            f"{t.kind.id} table")
    return Recognition(tables, unplaced, departments, warnings)
