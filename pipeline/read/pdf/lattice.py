"""Table lattices: touching rules grouped into tables, their column and row edges, and the row
edges found from text where rules are missing (an unruled body, a band of several rows)."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pipeline.read.pdf.rules import Seg
from pipeline.read.pdf.settings import ReaderSettings
from pipeline.read.pdf.text import centre, line_crosses, line_text, lines
from pipeline.values import is_page_number


@dataclass
class Lattice:
    """One table: its column and row edges, its rules, and the row edges found from text."""

    xs: list[float]
    ys: list[float]
    hs: list[Seg]
    vs: list[Seg]
    settings: ReaderSettings
    text_edges: set[float] = field(default_factory=set)

    def holds(self, char: dict) -> bool:
        x, y = centre(char)
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def v_ruled(self, edge: int, row: int) -> bool:
        """Is column edge `edge` ruled beside lattice row `row`?"""
        x, mid = self.xs[edge], (self.ys[row] + self.ys[row + 1]) / 2
        return any(abs(s.pos - x) <= self.settings.snap and s.start <= mid <= s.end
                   for s in self.vs)

    def h_ruled(self, edge: int, col: int) -> bool:
        """Is row edge `edge` ruled (or found from text) above lattice column `col`?"""
        y, mid = self.ys[edge], (self.xs[col] + self.xs[col + 1]) / 2
        return y in self.text_edges or any(
            abs(s.pos - y) <= self.settings.snap and s.start <= mid <= s.end for s in self.hs)

    def text_row(self, row: int) -> bool:
        """Was this row found from text lines rather than drawn?"""
        return self.ys[row] in self.text_edges or self.ys[row + 1] in self.text_edges

    def add_text_edges(self, edges: list[float]) -> None:
        self.text_edges.update(edges)
        self.ys = sorted(self.ys + edges)


# ---------------------------------------------------------------- lattices from rules


def _crosses(h: Seg, v: Seg, snap: float) -> bool:
    return (h.start - snap <= v.pos <= h.end + snap) and (v.start - snap <= h.pos <= v.end + snap)


def lattices(h_rules: list[Seg], v_rules: list[Seg], settings: ReaderSettings) -> list[Lattice]:
    """Group touching rules into tables and build each table's lattice."""
    parent = list(range(len(h_rules) + len(v_rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(h_rules):
        for j, v in enumerate(v_rules):
            if _crosses(h, v, settings.snap):
                parent[find(i)] = find(len(h_rules) + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i, seg in enumerate(h_rules + v_rules):
        hs, vs = groups.setdefault(find(i), ([], []))
        (hs if i < len(h_rules) else vs).append(seg)
    tables = [_lattice(hs, vs, settings) for hs, vs in groups.values() if hs and vs]
    return [t for t in tables if (len(t.xs) - 1) * (len(t.ys) - 1) >= 2]


def _lattice(hs: list[Seg], vs: list[Seg], settings: ReaderSettings) -> Lattice:
    """Edges come from the rules; a missing outer border is taken from the rules' ends."""
    xs = _edges([s.pos for s in vs], min(s.start for s in hs), max(s.end for s in hs),
                settings.snap)
    ys = _edges([s.pos for s in hs], min(s.start for s in vs), max(s.end for s in vs),
                settings.snap)
    return Lattice(xs, ys, hs, vs, settings)


def _edges(positions: list[float], low: float, high: float, snap: float) -> list[float]:
    """Sorted distinct edge positions: the rules' positions plus the outer extent."""
    edges: list[float] = []
    for pos in sorted(set(positions)):
        if not edges or pos - edges[-1] > snap:
            edges.append(pos)
    if low < edges[0] - snap:
        edges.insert(0, low)
    if high > edges[-1] + snap:
        edges.append(high)
    return edges


def continue_columns(lattice: Lattice, columns: list[float]) -> None:
    """Give a table continued from the previous page that page's columns.

    Only when it has the same outer edges and lacks some inner ones: its cells then span
    the columns whose rules this page does not draw, instead of renumbering the columns.
    """
    def near(x: float, edges: list[float]) -> bool:
        return any(abs(x - e) <= lattice.settings.snap for e in edges)

    same_frame = near(lattice.xs[0], columns[:1]) and near(lattice.xs[-1], columns[-1:])
    if same_frame and all(near(x, columns) for x in lattice.xs):
        lattice.xs = list(columns)


# ---------------------------------------------------------------- rows found from text


def extend_down(lattice: Lattice, free: list[dict]) -> None:
    """Add rows for an unruled body right under a ruled header.

    Text lines directly below the table (no wider gap than `body_gap` ems) that keep to its
    columns, with text in two or more of them, become rows of the table.
    """
    settings = lattice.settings
    xs, bottom = lattice.xs, lattice.ys[-1]
    below = [c for c in free
             if xs[0] <= centre(c)[0] <= xs[-1] and c["top"] >= bottom - settings.snap]
    rows = []
    for line in lines(below):
        top, size = min(c["top"] for c in line), max(c["size"] for c in line)
        if top - bottom > settings.body_gap * size or not _keeps_to_columns(line, xs, settings) \
                or is_page_number(line_text(line, settings)):  # the footer: '- 22 -' spans two columns
            break
        rows.append(line)
        bottom = max(c["bottom"] for c in line)
    if rows:
        lattice.add_text_edges(_gaps_between(rows) + [bottom + 1])


def _keeps_to_columns(line: list[dict], xs: list[float], settings: ReaderSettings) -> bool:
    crossed = any(line_crosses(line, x, settings) for x in xs[1:-1])
    columns = {bisect_right(xs, centre(c)[0]) for c in line}
    return not crossed and len(columns) >= 2


def split_bands(lattice: Lattice, chars: list[dict]) -> None:
    """Split lattice rows that hold several rows of aligned text (missing row rules)."""
    bands: dict[int, list[dict]] = {}
    for c in chars:
        bands.setdefault(bisect_right(lattice.ys, centre(c)[1]), []).append(c)
    edges = [edge for band in bands.values() for edge in _text_row_edges(band, lattice.xs)]
    if edges:
        lattice.add_text_edges(edges)


def _text_row_edges(band: list[dict], xs: list[float]) -> list[float]:
    """Edges between the rows of one band that holds several table rows (missing row
    rules), or none if its lines are wrapped cell text.

    Rows are told from wrapping by their numbers: a band holds several rows when a column
    has an amount (with a decimal point or thousands separator) on two or more of its lines,
    or two columns have numbers on two or more lines. A wrapped label or header has no
    number, and a code wrapped in a narrow column ("20805" / "05") is one column of bare
    digits. A new row starts at each line with a number in that column; a line without one
    continues the wrapped text of the row above.
    """
    band_lines = lines(band)
    if len(band_lines) < 2:
        return []
    numbers: dict[int, list[int]] = {}  # column -> lines with a number in it
    amounts: dict[int, bool] = {}  # column -> every number in it is an amount
    for i, line in enumerate(band_lines):
        cols: dict[int, str] = {}
        for c in line:
            col = bisect_right(xs, centre(c)[0])
            cols[col] = cols.get(col, "") + c["text"]
        for col, text in cols.items():
            if _NUMBER.match(text.strip()):
                numbers.setdefault(col, []).append(i)
                amounts[col] = amounts.get(col, True) and bool(re.search(r"[.,]", text))
    repeated = {col: found for col, found in numbers.items() if len(found) >= 2}
    usable = [found for col, found in repeated.items() if amounts[col] or len(repeated) >= 2]
    if not usable:
        return []
    gaps = _gaps_between(band_lines)
    return [gaps[i - 1] for i in max(usable, key=len) if i > 0]


_NUMBER = re.compile(r"^[-−]?\d[\d,]*(\.\d+)?$")


def _gaps_between(lines: list[list[dict]]) -> list[float]:
    """The midpoints of the gaps between consecutive lines."""
    return [(max(c["bottom"] for c in a) + min(c["top"] for c in b)) / 2
            for a, b in zip(lines, lines[1:])]
