"""Tables printed without any ruling line, found from the alignment of their text: rows of
amounts standing apart in aligned columns make a body, the lines just above it its header."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from pipeline.model import Cell, Grid
from pipeline.read.pdf.rules import clusters
from pipeline.read.pdf.settings import ReaderSettings
from pipeline.read.pdf.text import cell_text, centre, line_text, wide
from pipeline.read.pdf.text import lines as visual_lines

AMOUNT = re.compile(r"^[-−]?(\d{1,3}(,\d{3})+(\.\d+)?|\d+\.\d+)$")
_LABEL_LINE = re.compile(r"[:：]")


@dataclass
class _Piece:
    """Chars of one line with no column gap between them: one cell's text on that line."""

    chars: list[dict]
    settings: ReaderSettings

    @property
    def x0(self) -> float:
        return min(c["x0"] for c in self.chars)

    @property
    def x1(self) -> float:
        return max(c["x1"] for c in self.chars)

    @property
    def top(self) -> float:
        return min(c["top"] for c in self.chars)

    @property
    def bottom(self) -> float:
        return max(c["bottom"] for c in self.chars)

    @property
    def text(self) -> str:
        return line_text(self.chars, self.settings)

    def is_amount(self) -> bool:
        return bool(AMOUNT.match(self.text))


def _pieces(line: list[dict], settings: ReaderSettings, header: bool = False,
            coarse: bool = False) -> list[_Piece]:
    """Split a visual line into the texts of its cells.

    Cells part at a column gap; an amount also parts from a label set close beside it (a
    right-aligned amount, then the next column's left-aligned label) at any visible gap and
    from another amount at a word gap, and in a header two CJK labels part at a word gap
    (labels have no spaces inside).
    `coarse` splits at column gaps only.
    """
    tokens = _amount_ends(line, settings)
    runs = [[line[0]]]
    for i, (a, b) in enumerate(zip(line, line[1:])):
        gap = b["x0"] - a["x1"]
        em = max(a["size"], b["size"])
        wide_a, wide_b = wide(a["text"][-1]), wide(b["text"][0])
        cut = gap > settings.column_gap * em or not coarse and (
            (gap > settings.amount_gap * em and (i in tokens or i + 1 in tokens) and wide_a != wide_b)
            or (gap > settings.word_gap * em and i in tokens and i + 1 in tokens)
            or (header and wide_a and wide_b and gap > settings.word_gap * em))
        if cut:
            runs.append([b])
        else:
            runs[-1].append(b)
    return [_Piece(run, settings) for run in runs]


def _amount_ends(line: list[dict], settings: ReaderSettings) -> set[int]:
    """Indexes of the first and last chars of each amount written on the line."""
    ends: set[int] = set()
    i = 0
    while i < len(line):
        j = i
        while j < len(line) and re.match(r"[-−\d,.]", line[j]["text"]) and (
                j == i or line[j]["x0"] - line[j - 1]["x1"] <= settings.word_gap * line[j]["size"]):
            j += 1
        if j > i and AMOUNT.match("".join(c["text"] for c in line[i:j])):
            ends.update((i, j - 1))
        i = max(j, i + 1)
    return ends


def _size(line: list[dict]) -> float:
    return max(c["size"] for c in line)


def text_tables(chars: list[dict], number: int,
                settings: ReaderSettings) -> list[tuple[float, Grid, set[int]]]:
    """Tables printed without any ruling line, found from the alignment of their text.

    A body is a run of lines, each within settings.body_gap ems of the next and in one size, whose
    rows hold amounts (decimals or thousands separators) standing apart from the rest of the
    line, right-aligned in a column on three rows (or on two rows of two amounts each, or
    three amounts on one row). Prose never has amounts set apart in columns, and a line of
    prose (a run of text over half the page's text width) ends the run. Columns part where
    no line of the body has text; each line with an amount starts a row, and a wrapped label
    joins the row nearest to it. The lines right above the body, in the same size and not a
    `label：value` line (编制单位：…, 单位：万元), are its header (see _header_cells).
    Nothing here depends on a producer or a template: only on the page's text positions.
    Returns each table's top, its grid and the ids of the chars it used.
    """
    lines = visual_lines(chars)
    if not lines:
        return []
    pieces = [_pieces(line, settings) for line in lines]
    width = max(c["x1"] for c in chars) - min(c["x0"] for c in chars)
    prose = [any(x.x1 - x.x0 > settings.prose_width * width for x in _pieces(line, settings, coarse=True))
             for line in lines]
    body = [len(p) >= 2 and any(x.is_amount() for x in p) and not wide
            for p, wide in zip(pieces, prose)]
    found = []
    i = 0
    while i < len(lines):
        if not body[i]:
            i += 1
            continue
        last = _body_end(lines, body, prose, i, settings)
        rows = [k for k in range(i, last + 1) if body[k]]
        if not _aligned(rows, pieces, settings):
            i += 1
            continue
        head = _header_start(lines, pieces, prose, i, last, settings)
        last = _wrapped_below(lines, body, prose, last, settings)
        grid = _text_grid(lines[head:i], lines[i:last + 1], pieces[i:last + 1], number,
                          settings)
        if grid is not None:
            used = {id(c) for line in lines[head:last + 1] for c in line}
            found.append((min(c["top"] for c in lines[head]), grid, used))
        i = last + 1
    return found


def _body_end(lines: list, body: list[bool], prose: list[bool], first: int,
              settings: ReaderSettings) -> int:
    """The last body line of the run of table lines starting at line `first`: lines
    within settings.body_gap ems of each other, in one size, up to a line of prose."""
    last = first
    size = _size(lines[first])
    for k in range(first + 1, len(lines)):
        gap = min(c["top"] for c in lines[k]) - max(c["bottom"] for c in lines[k - 1])
        if gap > settings.body_gap * size or abs(_size(lines[k]) - size) > settings.size_change * size \
                or prose[k]:
            break
        if body[k]:
            last = k
    return last


def _wrapped_below(lines: list, body: list[bool], prose: list[bool], last: int,
                   settings: ReaderSettings) -> int:
    """The last line of the table: the last body line, or a wrapped label just under it
    (nearer to it than a line's height, set centred on its row)."""
    size = _size(lines[last])
    mid = (min(c["top"] for c in lines[last]) + max(c["bottom"] for c in lines[last])) / 2
    end = last
    for k in range(last + 1, len(lines)):
        centre = (min(c["top"] for c in lines[k]) + max(c["bottom"] for c in lines[k])) / 2
        if body[k] or prose[k] or centre - mid > 1.2 * size \
                or abs(_size(lines[k]) - size) > settings.size_change * size:
            break
        end = k
    return end


def _aligned(rows: list[int], pieces: list, settings: ReaderSettings) -> bool:
    """Amounts right-aligned in one column on three rows, or on two rows of two amounts
    each; or one row of three amounts."""
    counts = {k: sum(p.is_amount() for p in pieces[k]) for k in rows}
    if any(n >= 3 for n in counts.values()) and len(rows) == 1:
        return True
    edges = sorted((p.x1, k) for k in rows for p in pieces[k] if p.is_amount())
    for group in clusters(edges, lambda e: e[0], settings):
        found = {k for _, k in group}
        if len(found) >= 3 or (len(found) == 2 and all(counts[k] >= 2 for k in found)):
            return True
    return False


def _header_start(lines: list, pieces: list, prose: list[bool], first: int, last: int,
                  settings: ReaderSettings) -> int:
    """The first header line above body line `first` (`first` itself if none)."""
    left = min(p.x0 for k in range(first, last + 1) for p in pieces[k])
    right = max(p.x1 for k in range(first, last + 1) for p in pieces[k])
    size = _size(lines[first])
    head = first
    for k in range(first - 1, max(-1, first - 1 - settings.header_lines), -1):
        line = lines[k]
        gap = min(c["top"] for c in lines[k + 1]) - max(c["bottom"] for c in line)
        row = _pieces(line, settings, header=True)
        centred = len(row) == 1 and abs((row[0].x0 + row[0].x1 - left - right) / 2) < 2 * size
        if (prose[k] or gap > settings.body_gap * size or abs(_size(line) - size) > settings.size_change * size
                or any(p.is_amount() for p in row) or _LABEL_LINE.search(row[0].text)
                or centred):
            break
        head = k
    return head


def _column_edges(pieces: list[list[_Piece]]) -> list[float]:
    """Column edges: the outer extent and the middle of each gap no line has text in."""
    spans = sorted((p.x0, p.x1) for row in pieces for p in row)
    edges = [spans[0][0] - 1]
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 > reach:
            edges.append((reach + x0) / 2)
        reach = max(reach, x1)
    return edges + [reach + 1]


def _body_rows(lines: list[list[dict]], pieces: list[list[_Piece]]) -> list[list[_Piece]]:
    """The rows of an unruled body, as the pieces of their lines: each line with an amount
    starts a row, and a line without one (a wrapped label) belongs to the row whose amounts
    are nearest to it, above or below (a wrapped cell is set centred on its row)."""
    def middle(line: list[dict]) -> float:
        return (min(c["top"] for c in line) + max(c["bottom"] for c in line)) / 2

    anchors = [k for k, row in enumerate(pieces) if any(p.is_amount() for p in row)]
    rows: dict[int, list[_Piece]] = {a: [] for a in anchors}
    for line, row in zip(lines, pieces):
        owner = min(anchors, key=lambda a: (abs(middle(lines[a]) - middle(line)), a))
        rows[owner].extend(row)
    return [rows[a] for a in anchors]


def _join_columns(xs: list[float], body: list[list[_Piece]],
                  head: list[list[_Piece]]) -> list[float]:
    """Join neighbouring columns of labels that no line fills both of: one column's text set
    two ways (合计 centred, the units' names left-aligned), unless the header labels them
    apart. A column holding amounts is never joined."""
    def column(p: _Piece) -> int:
        return bisect_right(xs, (p.x0 + p.x1) / 2) - 1

    lines = [{column(p) for p in line} for line in body + head]
    amounts = {column(p) for line in body for p in line if p.is_amount()}
    kept = [xs[0]]
    for k in range(1, len(xs) - 1):  # the edge between columns k-1 and k
        apart = any(k - 1 in cols and k in cols for cols in lines)
        if apart or k - 1 in amounts or k in amounts:
            kept.append(xs[k])
    return kept + [xs[-1]]


def _text_grid(head: list[list[dict]], body: list[list[dict]], pieces: list[list[_Piece]],
               number: int, settings: ReaderSettings) -> Grid | None:
    """The grid of an unruled table: header cells from their pieces, body from a lattice
    with text rows."""
    head_pieces = [p for line in head for p in _pieces(line, settings, header=True)]
    xs = _join_columns(_column_edges(pieces), pieces,
                       [_pieces(line, settings, header=True) for line in head])
    if len(xs) < 3:  # one column: a list, not a table
        return None
    xs[0] = min([xs[0]] + [p.x0 - 1 for p in head_pieces])
    xs[-1] = max([xs[-1]] + [p.x1 + 1 for p in head_pieces])
    header, n_header = _header_cells(head_pieces, xs, settings)
    rows = _body_rows(body, pieces)
    cells = header + [Cell(r + n_header, cell.col, cell.text, colspan=cell.colspan)
                      for r, row in enumerate(rows) for cell in _row_cells(row, xs, settings)]
    n_rows = len(rows) + n_header
    return Grid(cells, n_rows, len(xs) - 1, page=number, row_pages=[number] * n_rows)


def _row_cells(row: list[_Piece], xs: list[float], settings: ReaderSettings) -> list[Cell]:
    """The cells of one body row (row index 0): each piece goes to the columns its chars
    lie in; a piece over several columns joins them into one cell."""
    n_cols = len(xs) - 1
    owner = list(range(n_cols))  # column -> first column of its cell
    chars: dict[int, list[dict]] = {}
    for piece in row:
        cols = [min(max(bisect_right(xs, centre(c)[0]) - 1, 0), n_cols - 1)
                for c in piece.chars]
        for k in range(min(cols) + 1, max(cols) + 1):
            owner[k] = owner[k - 1]
        for c, k in zip(piece.chars, cols):
            chars.setdefault(k, []).append(c)
    cells: list[Cell] = []
    for k in range(n_cols):
        if owner[k] == k:
            cells.append(Cell(0, k, ""))
        else:
            cells[-1].colspan += 1
    for cell in cells:
        members = [c for k in range(cell.col, cell.col + cell.colspan) for c in chars.get(k, [])]
        cell.text = cell_text(members, settings)
    return cells


def _header_cells(pieces: list[_Piece], xs: list[float],
                  settings: ReaderSettings) -> tuple[list[Cell], int]:
    """Header cells over columns `xs`, and how many header rows they fill.

    A label whose text lies over two or more columns is a merged label over them (本年收入
    over 小计, 一般公共预算, …), one header row per height such labels are set at; the
    other labels of a column, wrapped lines joined, fill the rest of the column below the
    lowest label over it.
    """
    n_cols = len(xs) - 1
    if not pieces:
        return [], 0

    def column(x: float) -> int:
        return min(max(bisect_right(xs, x) - 1, 0), n_cols - 1)

    def columns(piece: _Piece) -> range:
        """The column of the label's middle (columns are found from the body, where
        amounts are right-aligned: a centred label may run over a column edge)."""
        middle = column((piece.x0 + piece.x1) / 2)
        return range(middle, middle + 1)

    placed = [(piece, columns(piece)) for piece in sorted(pieces, key=lambda p: (p.top, p.x0))]
    placed = [(piece, _spread(piece, cols, placed, xs)) for piece, cols in placed]
    groups: list[tuple[_Piece, range]] = []
    leaves: dict[int, list[dict]] = {}
    for piece, cols in placed:
        if len(cols) < 2:
            leaves.setdefault(cols.start, []).extend(piece.chars)
            continue
        above = next((g for g in reversed(groups) if g[1] == cols), None)
        if above and piece.top - above[0].bottom < 0.5 * _size(piece.chars):
            above[0].chars.extend(piece.chars)  # the label wraps onto a second line
        else:
            groups.append((piece, cols))
    levels = clusters(sorted(groups, key=lambda g: g[0].top), lambda g: g[0].top, settings)
    n_header = len(levels) + 1
    cells = []
    taken: set[tuple[int, int]] = set()
    lowest = [-1] * n_cols
    for level, group in enumerate(levels):
        for piece, cols in group:
            if any((level, k) in taken for k in cols):  # overlaps a label beside it
                leaves.setdefault(cols.start, []).extend(piece.chars)
                continue
            cells.append(Cell(level, cols.start, cell_text(piece.chars, settings), colspan=len(cols)))
            taken.update((level, k) for k in cols)
            for k in cols:
                lowest[k] = level
    for k in range(n_cols):
        row = lowest[k] + 1
        cells.append(Cell(row, k, cell_text(leaves.get(k, []), settings), rowspan=n_header - row))
        taken.update((r, k) for r in range(row, n_header))
        cells.extend(Cell(r, k, "") for r in range(row) if (r, k) not in taken)
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return cells, n_header


def _spread(piece: _Piece, cols: range, placed: list[tuple[_Piece, range]],
            xs: list[float]) -> range:
    """The columns a header label stands over.

    Its text may lie within one of them (a short label centred over three columns): it
    spreads to the columns beside it whose labels all sit below it, starting about the line
    the labels under it start, and not nearer another label of its line: over the widest
    span of those it is centred over.
    """
    size = _size(piece.chars)
    tol = 0.2 * size
    n_cols = len(xs) - 1
    middle = (piece.x0 + piece.x1) / 2
    siblings = [p for p, _ in placed if p is not piece and abs(p.top - piece.top) < 0.5 * size]

    def labels(k: int) -> list[_Piece]:
        return [p for p, c in placed if c.start <= k < c.stop and p is not piece]

    under = [p for k in cols for p in labels(k) if p.top >= piece.bottom - tol]
    if not under:
        return cols
    start = min(p.top for p in under)

    def beside(k: int) -> bool:
        found = labels(k) if 0 <= k < n_cols else []
        if not found or any(p.top < piece.bottom - tol for p in found) \
                or abs(min(p.top for p in found) - start) > 0.8 * size:
            return False
        centre = (min(p.x0 for p in found) + max(p.x1 for p in found)) / 2  # of its labels
        return all(abs((p.x0 + p.x1) / 2 - centre) > abs(middle - centre) for p in siblings)

    left = 0
    while beside(cols.start - left - 1):
        left += 1
    right = 0
    while beside(cols.stop + right):
        right += 1
    best, best_offset = cols, None
    for a in range(left + 1):
        for b in range(right + 1):
            span = range(cols.start - a, cols.stop + b)
            if len(span) < 2:
                continue
            sub = [p for k in span for p in labels(k) if p.top >= piece.bottom - tol]
            offset = min(abs((min(p.x0 for p in sub) + max(p.x1 for p in sub)) / 2 - middle),
                         abs((xs[span.start] + xs[span.stop]) / 2 - middle))
            if offset > max(size, 0.05 * (xs[span.stop] - xs[span.start])):
                continue
            if best_offset is None or len(span) > len(best) or (
                    len(span) == len(best) and offset < best_offset):
                best, best_offset = span, offset
    return best

