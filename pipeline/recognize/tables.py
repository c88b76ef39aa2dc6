"""Find the standard tables in a document: titles, units, notes, continuations, headers.

Works only on the intermediate form (model.py), so a grid from a transcript and a grid from
a PDF are recognized by the same code. Recognition never drops anything silently: a grid it
cannot place is returned in `Recognition.unplaced` with its title and page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pipeline import families
from pipeline.model import Cell, Document, Grid, TextBlock, place
from pipeline.families import Kind
from pipeline.values import clean, is_page_number, label, looks_like_data, looks_numeric, split_numbering

MAX_TITLE_LENGTH = 60
SAME_LABEL = 0.9  # two header labels this alike (difflib's ratio) are one, misread
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
        return place(self.page, self.line)

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


MAX_LABEL_LENGTH = 40  # longer "header" text is a sentence (a wrapped cell), not a label


def header_text(grid: Grid) -> str:
    """The labels of a grid's header rows joined, for matching header signatures."""
    return "|".join(label(c) for row in grid.rows()[:count_header_rows(grid)] for c in row
                    if clean(c) and len(label(c)) <= MAX_LABEL_LENGTH)


def is_numbering_row(row: list[str]) -> bool:
    """A row numbering the columns (栏次 | | 1 | 2 | 3 …): part of the header, labelling
    nothing and holding no data."""
    cells = [label(c) for c in row if clean(c)]
    numbering = families.current().pattern("numbering_labels")
    return bool(cells) and numbering.match(cells[0]) is not None and all(
        re.fullmatch(r"\d{1,3}", c) or numbering.match(c) for c in cells[1:])


def numbering_columns(paths: list[list[str]]) -> set[int]:
    """Columns that number the lines (行次): no data, no label of a line."""
    numbering = families.current().pattern("numbering_labels")
    return {c for c, path in enumerate(paths) if path and numbering.match(path[-1])}


def is_body_row(row: list[str]) -> bool:
    """A row that holds data rather than column labels: any number or code, or a lone
    total/none marker (the only row of an empty table)."""
    tpl = families.current()
    cells = [label(c) for c in row if clean(c)]
    if is_numbering_row(row):
        return False
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
    filled = [[label(c) for c in r] + [""] * (width - len(r)) if not is_numbering_row(r)
              else [""] * width for r in rows]

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
    Returns (block, kind, title); kind is None for a table-like title we do not know.

    A title wrapped over two lines is read whole: its second line alone may name another
    table (公开09表：一般公共预算"三公"经费、会议费、培训费 / 支出预算表), so the two lines
    joined are tried first when the line above can begin a title."""
    tpl = families.current()
    for i in range(len(blocks) - 1, max(-1, len(blocks) - 1 - TITLE_LOOKBACK), -1):
        t = clean(blocks[i].text)
        if _is_auxiliary(t) or is_page_number(t):
            continue
        if len(t) > MAX_TITLE_LENGTH:
            break
        kind = tpl.kind_for_title(t)
        head = clean(blocks[i - 1].text) if i > 0 else ""
        if _begins_title(head):
            whole = clean(head + t)
            whole_kind = tpl.kind_for_title(whole)
            if whole_kind is not None and whole_kind != kind:
                return blocks[i], whole_kind, whole
        if kind is not None:
            return blocks[i], kind, t
        if re.search(r"表$", label(t)):
            return blocks[i], None, t
    return None, None, ""


def _begins_title(text: str) -> bool:
    """Whether a line may be the first half of a wrapped title: short, not a note, unit or
    department line, not a sentence, not a whole title itself."""
    t = label(text)
    return bool(t) and len(t) < MAX_TITLE_LENGTH and not _is_auxiliary(t) \
        and not is_page_number(t) and not _ends_sentence(t) and not t.endswith("表") \
        and not re.search(r"[。；;!！?？:：,，]", re.sub(r"^(附件|附表|公开)?[\d一二三四五六七八九十]*表?[:：、.]", "", t))


_NUMBERED = re.compile(r"^((附件|附表|公开)?[\d一二三四五六七八九十]{1,3}表?[)）:：、.．]"
                       r"|[(（][\d一二三四五六七八九十]{1,3}[)）])")


def _collect_notes(notes: list[str], blocks: list[TextBlock], contiguous: bool = True) -> None:
    """Add the notes among `blocks` to a table's `notes`. A note wrapped over several lines
    (a PDF gives one block per line, maybe across a page break) continues until a line
    ends its sentence; numbered lines after a note (2. …) are notes too.

    With `contiguous` (the text after a grid), only the notes printed right below the table
    are its own: the first other line (the next title, the narrative) ends them, so a
    narrative sentence saying 无…支出 is never taken for the table's note."""
    open_note = bool(notes) and not _ends_sentence(notes[-1])
    in_notes = bool(notes)
    for b in blocks:
        t = clean(b.text)
        if not t or is_page_number(t):
            continue
        numbered = _NUMBERED.match(t)
        if open_note and not numbered and not families.current().pattern("note_line").match(t) \
                and not _is_auxiliary(t) and not re.search(r"表$", t):
            notes[-1] += t
        elif _is_note(t) or in_notes and numbered and re.match(r"^[(（]?\d", t) \
                and not re.search(r"表$", t):
            notes.append(t)
        elif contiguous:
            return
        else:
            open_note = False
            continue
        in_notes = True
        open_note = not _ends_sentence(notes[-1])


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[。；;.!！?？)）]$", text))


def _is_note(text: str) -> bool:
    """A note printed with a table: 注：…, or a short line such as (无政府性基金支出)."""
    tpl = families.current()
    t = clean(text)
    return bool(tpl.pattern("note_line").match(t)
                or len(t) <= MAX_NOTE_LENGTH and tpl.pattern("empty_table_note").search(t))


def _is_auxiliary(text: str) -> bool:
    """Lines printed between a title and its grid: department, unit, year, notes."""
    tpl = families.current()
    number = tpl.pattern_at("contents", "number").match(label(text))
    return bool(tpl.pattern("department_line").match(text) or tpl.pattern("unit_line").search(text)
                or tpl.pattern("note_line").match(text)
                or re.fullmatch(r"[(（]?\d{4}\s*年度?[)）]?", text.replace(" ", ""))
                or number and not label(text)[number.end():])  # 公开01表 alone on its line


def _unit_of(blocks: list[TextBlock]) -> str | None:
    tpl = families.current()
    for b in blocks:
        m = tpl.pattern("unit_line").search(clean(b.text))
        if m:
            return m.group("unit")
    return None


def _department_of(blocks: list[TextBlock]) -> str | None:
    tpl = families.current()
    for b in blocks:
        m = tpl.pattern("department_line").match(clean(b.text))
        if m:
            return m.group("name").strip()
    return None


def _header_text(rows: list[list[str]]) -> str:
    """A header's labels run together, column by column (wrapping does not change it)."""
    width = max((len(r) for r in rows), default=0)
    return "".join(label(r[c]) for c in range(width) for r in rows if c < len(r))


def same_header(a: list[str], b: list[str]) -> bool:
    """Whether two header rows are one: each pair of labels `_same_label`."""
    a, b = [label(x) for x in a], [label(x) for x in b]
    return len(a) == len(b) and all(_same_label(x, y) for x, y in zip(a, b))


def _same_label(x: str, y: str) -> bool:
    """Two header labels are one when equal or, without a digit, nearly so (SAME_LABEL):
    a page read by OCR may read a wrapped label's join twice (财政专户管理理资金收入) on one
    page and not on the next."""
    return x == y or bool(x and y and not re.search(r"\d", x + y) and
                          SequenceMatcher(None, x, y).ratio() >= SAME_LABEL)


def _append(table: Table, grid: Grid) -> None:
    """Continue `table` with `grid` (a page break): drop a repeated header, join a cell split
    over the break into the row above it, and keep every merged cell of both grids.

    A page that ends on the first rows of a header (no body yet) is finished by the next
    page: the header is counted again over both parts, and the first part's cells, read
    with fewer columns than the table has (a merged 收入 | 支出 over two columns each), are
    widened to cover the columns of the next part."""
    header_only = table.n_header == table.grid.n_rows
    old = table.grid
    if header_only and old.n_cols < grid.n_cols and grid.n_cols % old.n_cols == 0:
        m = grid.n_cols // old.n_cols
        table.grid = Grid([Cell(c.row, c.col * m, c.text, c.rowspan, c.colspan * m)
                           for c in old.cells], old.n_rows, grid.n_cols, old.page,
                          old.row_pages, old.line)
    head = table.header_rows()
    rows = grid.rows()
    skip = 0
    while skip < len(rows) and skip < len(head) and same_header(rows[skip], head[skip]):
        skip += 1
    if skip < len(head):  # a header repeats whole: a form's first line may recur as data
        skip = 0
    if skip == 0 and head:
        n = count_header_rows(grid)
        if n and _same_label(_header_text(rows[:n]), _header_text(head)):
            skip = n  # a repeated header whose labels wrap over different rows
    old = table.grid
    cells = list(old.cells)
    if skip < len(rows) and old.n_rows and table.kind.layout in ("lines", "summary") \
            and _is_split_remainder(rows[skip], old.rows()[-1],
                                    rows[skip + 1] if skip + 1 < len(rows) else None):
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
    if header_only:
        table.n_header = count_header_rows(table.grid)


def _is_split_remainder(row: list[str], above: list[str], below: list[str] | None = None) -> bool:
    """The first row after a break holds only the end of a wrapped text cell of the row
    above: no number, no code, no list numbering; and the row above is a data row, or the
    piece sits in a numbered list between two numbered lines (十七、国土海洋气象等支 / 出 /
    十八、住房保障支出: a zero line may wrap too)."""
    filled = [c for c in row if clean(c)]
    if len(filled) != 1 or looks_numeric(filled[0]):
        return False
    if re.match(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d)",
                clean(filled[0])):
        return False
    c = next(k for k, x in enumerate(row) if clean(x))
    return is_body_row(above) or _within_numbered_list(row, c, above, below)


def _within_numbered_list(row: list[str], c: int, above: list[str],
                          below: list[str] | None) -> bool:
    """Cell c of `row` is an unnumbered piece between two lines numbered at the same level
    (一、… / piece / 二、…): it continues the line above, it is not a line of the list."""
    t = clean(row[c])
    if re.search(r"(合计|小计|总计)$", label(t)) or split_numbering(t)[0]:
        return False
    def level(r):
        return split_numbering(r[c])[0] if r is not None and c < len(r) and clean(r[c]) else 0
    return level(above) in (1, 2, 3) and level(above) == level(below)


def _is_code(text: str) -> bool:
    t = label(text)
    return t.isdigit() and len(t) >= 3


def _is_wrapped_remainder(rows: list[list[str]], i: int, first_body: int,
                          numbered_only: bool = False) -> bool:
    """Row i holds only the end of text cells of the row above, wrapped onto a line of its
    own: nothing but text (no amount, no code, no list numbering, no total, none or note
    label; '万以下)' is text), each piece under a text cell of the row above, a data row. And the
    table says a line never comes without figures: the row above has a code and this row
    has none, or (a table without codes) every other body row has figures. Or, in any
    table, the piece sits in a numbered list between two lines numbered alike."""
    row, above = rows[i], rows[i - 1]
    filled = [c for c, x in enumerate(row) if clean(x)]
    below = rows[i + 1] if i + 1 < len(rows) else None
    if not filled:
        return False
    if len(filled) == 1 and not looks_like_data(row[filled[0]]) and not _is_note(row[filled[0]]) \
            and _within_numbered_list(row, filled[0], above, below):
        return True
    if numbered_only or not is_body_row(above):
        return False
    tpl = families.current()
    for c in filled:
        t = clean(row[c])
        if looks_like_data(t) or _is_code(t) or split_numbering(t)[0] \
                or tpl.pattern("total_labels").match(label(t)) \
                or tpl.pattern("none_labels").match(label(t)) or _is_note(t):
            return False
        if c >= len(above) or not clean(above[c]) or looks_like_data(above[c]) \
                or re.search(r"(合计|小计|总计)$", label(above[c])):
            return False
    if any(_is_code(x) for x in above):
        return True
    body = rows[first_body:]
    if any(_is_code(x) for r in body for x in r):
        return False
    return all(any(looks_like_data(x) for x in r if clean(x)) for k, r in enumerate(body)
               if k + first_body != i and any(clean(x) for x in r))


def _join_wrapped_rows(table: Table) -> None:
    """Join to the row above each body row that holds only the wrapped end of its text
    (recognize: the same within a page as `_is_split_remainder` across a page break)."""
    grid = table.grid
    rows = grid.rows()
    drop = [i for i in range(table.n_header + 1, len(rows))
            if _is_wrapped_remainder(rows, i, table.n_header, table.kind.layout != "lines")]
    if not drop:
        return
    cells = {(c.row, c.col): c for c in grid.cells}
    owner = grid.span_owner()
    for i in reversed(drop):  # bottom up: a text wrapped over several lines joins in order
        target_row = i - 1
        for c in grid.cells:
            if c.row == i and clean(c.text):
                target = owner.get((target_row, c.col)) or cells.get((target_row, c.col))
                target.text = clean(target.text + c.text) if target is not None else target.text
    removed = set(drop)
    kept = [c for c in grid.cells if c.row not in removed]
    for c in kept:
        below = sum(1 for r in drop if r < c.row)
        inside = sum(1 for r in drop if c.row < r < c.row + c.rowspan)
        c.row -= below
        c.rowspan -= inside
    pages = [grid.page_of_row(r) for r in range(grid.n_rows) if r not in removed]
    table.grid = Grid(kept, grid.n_rows - len(drop), grid.n_cols, grid.page, pages, grid.line)


def _title_row(row: list[str]) -> str | None:
    """The text of a grid row that is a standard table's title printed inside the grid
    (one cell naming a known table)."""
    filled = [clean(x) for x in row if clean(x)]
    if len(filled) != 1 or len(filled[0]) > MAX_TITLE_LENGTH:
        return None
    tpl = families.current()
    if not tpl.normalize_title(filled[0]).endswith("表"):  # a title, not a name ending 预算
        return None
    return filled[0] if tpl.kind_for_title(filled[0]) is not None else None


def _sub_grid(grid: Grid, start: int, end: int) -> Grid:
    cells = [Cell(c.row - start, c.col, c.text, min(c.rowspan, end - c.row), c.colspan)
             for c in grid.cells if start <= c.row < end]
    return Grid(cells, end - start, grid.n_cols, grid.page_of_row(start),
                [grid.page_of_row(r) for r in range(start, end)],
                grid.line + start if grid.line is not None else None)


def _split_at_titles(grid: Grid) -> list[TextBlock | Grid]:
    """A grid that holds a table title in a row of its own (two tables run together in one
    ruled grid, or a title drawn inside the grid) -> the grid before it, the title (and the
    unit/department lines after it) as text, and the grid after it."""
    rows = grid.rows()
    out: list[TextBlock | Grid] = []
    start = r = 0
    while r < len(rows):
        title = _title_row(rows[r])
        if title is None:
            r += 1
            continue
        if r > start:
            out.append(_sub_grid(grid, start, r))
        line = grid.line + r if grid.line is not None else None
        out.append(TextBlock(title, grid.page_of_row(r), line))
        r += 1
        while r < len(rows) and (lone := [clean(x) for x in rows[r] if clean(x)]) \
                and all(_is_auxiliary(x) for x in lone):
            out += [TextBlock(x, grid.page_of_row(r), line) for x in lone]
            r += 1
        start = r
    if not out:
        return [grid]
    if start < len(rows):
        out.append(_sub_grid(grid, start, len(rows)))
    return out


def _items_of(page) -> list[TextBlock | Grid]:
    out: list[TextBlock | Grid] = []
    for item in page.items:
        out += _split_at_titles(item) if isinstance(item, Grid) else [item]
    return out


def _lift_grid_notes(table: Table) -> None:
    """A note printed inside an empty table's grid (a row 此表为空) is the table's note."""
    for _, row in table.body():
        filled = [clean(x) for x in row if clean(x)]
        if len(filled) == 1 and not looks_like_data(filled[0]) and _is_note(filled[0]) \
                and filled[0] not in table.notes:
            table.notes.append(filled[0])


def runs_on(table: Table, grid: Grid) -> bool:
    """Whether `grid` may continue `table`: on the same page or the next (a table does not
    skip a page; transcripts have no pages)."""
    last = table.grid.page_of_row(table.grid.n_rows - 1)
    return grid.page is None or last is None or grid.page - last <= 1


def recognize(doc: Document) -> Recognition:
    """Place every grid of the document: a new standard table, the continuation of the
    previous one, or unplaced (reported)."""
    tpl = families.current()
    tables: list[Table] = []
    unplaced: list[Unplaced] = []
    departments: list[str] = []
    warnings: list[str] = []
    blocks: list[TextBlock] = []  # text since the previous grid
    previous: Table | None = None
    file = doc.pages[0].file if doc.pages else None
    for page, item in ((p, i) for p in doc.pages for i in _items_of(p)):
        if page.file != file:  # a disclosure's next file: no table continues into it
            if previous is not None:
                _collect_notes(previous.notes, blocks)
            previous, blocks, file = None, [], page.file
        if isinstance(item, TextBlock):
            blocks.append(item)
            continue
        grid = item
        title_block, kind, title = _title_of(blocks)
        if kind is not None:  # a title several kinds share: the header decides
            kind = tpl.kind_for_title(title, header_text(grid))
        dept = _department_of(blocks)
        if dept:
            departments.append(dept)
        unit = _unit_of(blocks)
        if previous is not None:
            _collect_notes(previous.notes, blocks)
        continuation = previous is not None and runs_on(previous, grid) and (
            title_block is None and not dept and not unit
            or (kind is not None and kind.id == previous.kind.id and title == previous.title)
        )
        where = place(grid.page, grid.line)
        if not continuation and kind is None and not (title and tpl.foreign(title)):
            kind = tpl.kind_for_header(header_text(grid))
            if kind is not None:
                warnings.append(f"{title or '(untitled table)'} ({where}): title not recognized; "
                                f"identified by its header as {kind.id}")
                title = title or kind.id
        earlier = None if continuation or kind is None else next(
            (t for t in tables if t.kind.id == kind.id and t.title == title), None)
        if continuation:
            _append(previous, grid)
        elif earlier is not None:  # its title printed again apart from it: one table, read whole
            _append(earlier, grid)
            previous = earlier
        elif kind is not None:
            n_header = count_header_rows(grid)
            previous = Table(kind, title, grid, grid.page, grid.line, unit,
                             "printed" if unit else "", dept, [], n_header)
            if title_block is not None:  # a note printed between the title and the grid
                after = next(k for k, b in enumerate(blocks) if b is title_block) + 1
                _collect_notes(previous.notes, blocks[after:], contiguous=False)
            tables.append(previous)
        else:
            unplaced.append(Unplaced(title or "(no title)", grid.page, grid.line,
                                     (tpl.foreign(title) or "title not recognized as a "
                                      "standard table") if title
                                     else "grid with no title before it"))
            previous = None
        blocks = []
    if previous is not None:
        _collect_notes(previous.notes, blocks)
    for t in tables:
        if t.kind.layout in ("lines", "summary"):
            _join_wrapped_rows(t)
        _lift_grid_notes(t)
    for t in tables:  # checked on the whole table: its first part may be a page's last rows
        if not t.kind.fits_header(header_text(t.grid)):
            warnings.append(f"{t.title} ({t.where}): the header does not look like a "
                            f"{t.kind.id} table")
    return Recognition(tables, unplaced, departments, warnings)
