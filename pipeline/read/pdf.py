"""Read a text-layer PDF into the intermediate form (document -> pages -> text blocks and grids).

One pdfminer pass per page gives the chars and the drawn lines and rectangles; what the
page's clipping or its edges hide is dropped. Then:

1. Ruling lines are the visibly inked strokes and thin filled bars or polygons (white cell
   backgrounds are ignored); collinear pieces are merged and touching rules form one table
   lattice, its outer edges taken from the rules' ends where the border is missing.
2. Where rules are missing the text decides: rows of text lined up under a ruled header,
   or inside a band with no row rules, become rows; text sitting in separate columns of an
   unruled stretch keeps the column edges the rest of the table draws.
3. Each lattice slot gets the chars whose centre falls in it; slots not separated by a rule
   merge into one cell (rowspan/colspan, text in the top-left slot), and a cell's wrapped
   lines are joined (CJK without spaces).
4. Outside every lattice, a table printed with no rules at all is found from its text:
   rows of amounts standing apart in aligned columns make its body, the lines just above
   it its header (see _text_tables); prose never has amounts set apart in columns.
5. Chars outside every table become TextBlocks, one per visual line, and all items are put
   in top-to-bottom order.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.utils import apply_matrix_pt
from pdfplumber.page import Page as PlumberPage
from pdfplumber.page import PDFPageAggregatorWithMarkedContent
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import ReadError
from pipeline.limits import MAX_PAGES
from pipeline.model import Cell, Document, Grid, Page, TextBlock, page_ranges
from pipeline.values import is_page_number

SNAP = 3.0  # pt: rules this close are one rule; pieces of a rule this close are joined
THIN = 2.5  # pt: a filled rectangle at most this thick is drawn as a rule
WORD_GAP = 0.2  # em: a wider gap between two Latin/digit chars is a space
FIELD_GAP = 0.9  # em: outside tables, a wider gap between any two chars is a space
BODY_GAP = 1.5  # em: the widest gap between rows of an unruled table body
HEADER_SCAN = 1024  # bytes: the PDF header may follow a little junk
SCAN_COVER = 0.5  # a page whose images cover this share of it, with hardly any text,
SCAN_STRAY_CHARS = 12  # (at most this many chars: a page number, a stamp) is a scan


@dataclass
class _Seg:
    """A ruling line: `pos` is y for a horizontal rule, x for a vertical one."""

    pos: float
    start: float
    end: float


@dataclass
class _Lattice:
    """One table: its column and row edges, its rules, and the row edges found from text."""

    xs: list[float]
    ys: list[float]
    hs: list[_Seg]
    vs: list[_Seg]
    text_edges: set[float] = field(default_factory=set)

    def holds(self, char: dict) -> bool:
        x, y = _centre(char)
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def v_ruled(self, edge: int, row: int) -> bool:
        """Is column edge `edge` ruled beside lattice row `row`?"""
        x, mid = self.xs[edge], (self.ys[row] + self.ys[row + 1]) / 2
        return any(abs(s.pos - x) <= SNAP and s.start <= mid <= s.end for s in self.vs)

    def h_ruled(self, edge: int, col: int) -> bool:
        """Is row edge `edge` ruled (or found from text) above lattice column `col`?"""
        y, mid = self.ys[edge], (self.xs[col] + self.xs[col + 1]) / 2
        return y in self.text_edges or any(
            abs(s.pos - y) <= SNAP and s.start <= mid <= s.end for s in self.hs)

    def text_row(self, row: int) -> bool:
        """Was this row found from text lines rather than drawn?"""
        return self.ys[row] in self.text_edges or self.ys[row + 1] in self.text_edges

    def add_text_edges(self, edges: list[float]) -> None:
        self.text_edges.update(edges)
        self.ys = sorted(self.ys + edges)


# ---------------------------------------------------------------- public API


def read_pdf(path: Path) -> Document:
    """Read a text-layer PDF into a Document of pages holding TextBlocks and Grids.

    Raises ReadError naming the file when it is not a PDF, is truncated or corrupt, needs a
    user password, has no pages, or has no text layer on any page.
    """
    path = Path(path)
    _check_header(path)
    pdf = _open(path)
    with pdf:
        try:
            plumber_pages = pdf.pages
        except Exception as exc:  # a broken page tree fails in pdfminer or pdfplumber
            raise ReadError(path, f"truncated or corrupt PDF ({_cause(exc)})") from exc
        if not plumber_pages:
            raise ReadError(path, "PDF has no pages")
        if len(plumber_pages) > MAX_PAGES:
            raise ReadError(path, f"{len(plumber_pages)} pages is over the limit of {MAX_PAGES} "
                                  "pages per document")
        pages = []
        image_pages = []
        has_text = False
        last_table = None
        for number, plumber_page in enumerate(plumber_pages, start=1):
            chars, h_rules, v_rules = _page_objects(path, plumber_page, number)
            has_text = has_text or bool(chars)
            if _is_scan(plumber_page, chars):
                image_pages.append(number)
            items, last_table = _page_items(chars, h_rules, v_rules, number, last_table)
            pages.append(Page(number, items))
            plumber_page.close()
    if not has_text:
        raise ReadError(path, f"no text layer on {page_ranges(range(1, len(pages) + 1))}; "
                              "contribute a transcript or an OCR'd PDF")
    return Document(path=path, format="pdf", pages=pages, image_pages=image_pages)


def _is_scan(page: PlumberPage, chars: list[dict]) -> bool:
    """A page that is an image with no text layer (bar a page number): a scan."""
    if len(chars) > SCAN_STRAY_CHARS or not page.images:
        return False
    if not chars:
        return True
    x0, top, x1, bottom = page.bbox
    covered = sum(max(0.0, min(i["x1"], x1) - max(i["x0"], x0)) *
                  max(0.0, min(i["bottom"], bottom) - max(i["top"], top)) for i in page.images)
    return covered >= SCAN_COVER * (x1 - x0) * (bottom - top)


# ---------------------------------------------------------------- opening


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_SCAN)
    except OSError as exc:
        raise ReadError(path, f"cannot open file: {exc.strerror or exc}") from exc
    if not head:
        raise ReadError(path, "not a PDF: the file is empty")
    if b"%PDF-" not in head:
        raise ReadError(path, f"not a PDF: the file starts with {head[:16]!r}, not %PDF-")


def _open(path: Path) -> pdfplumber.PDF:
    try:
        return pdfplumber.open(path)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise ReadError(path, "PDF is encrypted with a user password; "
                                  "contribute an unencrypted copy") from exc
        if isinstance(cause, PDFEncryptionError):
            raise ReadError(path, f"PDF encryption not supported ({cause})") from exc
        raise ReadError(path, f"truncated or corrupt PDF ({_cause(exc)})") from exc


def _cause(exc: Exception) -> str:
    inner = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    return f"{type(inner).__name__}: {inner}" if str(inner) else type(inner).__name__


def _page_objects(path: Path, page: PlumberPage,
                  number: int) -> tuple[list[dict], list[_Seg], list[_Seg]]:
    """Parse one page: its visible chars (deduplicated, no whitespace) and its ruling lines.

    Viewers show nothing outside the page box or the clipping path, where some producers
    leave overflow: chars there are dropped and rules are cut to what shows.
    """
    try:
        _lay_out(page)
        # a text drawn twice, a fraction of a point apart (an overlaid title), is read once
        chars = page.dedupe_chars(tolerance=1).chars
        lines, rects, curves = page.lines, page.rects, page.curves
    except MemoryError:
        raise  # not damage: the caller reports the document as too big to read
    except Exception as exc:  # pdfminer raises many kinds on a damaged content stream
        raise ReadError(path, f"truncated or corrupt PDF ({_cause(exc)})", page=number) from exc
    seen = set()
    kept = []
    for c in chars:
        key = (c["text"], round(c["x0"], 1), round(c["top"], 1))
        if c["text"].strip() and key not in seen and _centre_in(_box(c), page.bbox):
            seen.add(key)
            kept.append(c)
    h_rules, v_rules = _rules(lines, rects, curves, page.bbox)
    return kept, h_rules, v_rules


def _box(obj: dict) -> tuple:
    return obj["x0"], obj["top"], obj["x1"], obj["bottom"]


# ---------------------------------------------------------------- clipping


class _ClipTracker(PDFPageInterpreter):
    """A pdfminer interpreter that follows the clipping path, as a device-space box.

    pdfminer ignores clipping. Producers such as WPS draw a whole sheet or section on
    every page and clip it to that page's part, so without this the text of neighbouring
    pages shows up again, invisibly, on each page.
    """

    inherited_clip: tuple | None = None

    def init_state(self, ctm) -> None:
        super().init_state(ctm)
        self._set_clip(self.inherited_clip)

    def get_current_state(self):
        return (*super().get_current_state(), self.clip)

    def set_current_state(self, state) -> None:
        *base, clip = state
        super().set_current_state(tuple(base))
        self._set_clip(clip)

    def do_W(self) -> None:
        points = [apply_matrix_pt(self.ctm, seg[i:i + 2])
                  for seg in self.curpath for i in range(1, len(seg) - 1, 2)]
        if points:
            box = (min(p[0] for p in points), min(p[1] for p in points),
                   max(p[0] for p in points), max(p[1] for p in points))
            self._set_clip(box if self.clip is None else _intersection(self.clip, box))

    do_W_a = do_W

    def subinterp(self) -> PDFPageInterpreter:
        interp = super().subinterp()
        interp.inherited_clip = self.clip
        return interp

    def do_Do(self, xobjid_arg) -> None:
        super().do_Do(xobjid_arg)
        self.device.clip = self.clip

    def _set_clip(self, clip: tuple | None) -> None:
        self.clip = self.device.clip = clip


class _ClippingDevice(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, leaving out what the current clip box hides."""

    clip: tuple | None = None

    def render_char(self, *args, **kwargs) -> float:
        adv = super().render_char(*args, **kwargs)
        objs = self.cur_item._objs
        if self.clip is not None and not _centre_in(objs[-1].bbox, self.clip):
            objs.pop()
        return adv

    def paint_path(self, *args, **kwargs) -> None:
        """Keep the visible part of each line or rectangle (a rule may run on past the clip)."""
        start = len(self.cur_item._objs)
        super().paint_path(*args, **kwargs)
        if self.clip is None:
            return
        kept = []
        for obj in self.cur_item._objs[start:]:
            box = _intersection(obj.bbox, self.clip)
            if box[0] <= box[2] and box[1] <= box[3]:
                obj.set_bbox(box)
                kept.append(obj)
        self.cur_item._objs[start:] = kept


def _lay_out(page: PlumberPage) -> None:
    """Run pdfminer over the page with clipping applied, in place of pdfplumber's layout."""
    device = _ClippingDevice(page.pdf.rsrcmgr, pageno=page.page_number,
                             laparams=page.pdf.laparams)
    _ClipTracker(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()


def _intersection(a: tuple, b: tuple) -> tuple:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _centre_in(bbox: tuple, box: tuple) -> bool:
    x, y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


# ---------------------------------------------------------------- ruling lines


def _inked(color) -> bool:
    """False only for a colour that is (near) white; unknown colour spaces count as ink."""
    if color is None:
        return True
    values = color if isinstance(color, (tuple, list)) else (color,)
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return True
    if len(values) == 4:  # CMYK: white is no ink at all
        return max(values) > 0.05
    return min(values) < 0.95


def _rules(lines, rects, curves, page_box: tuple) -> tuple[list[_Seg], list[_Seg]]:
    """The visible axis-aligned rules of a page, merged: (horizontal, vertical)."""
    h: list[_Seg] = []
    v: list[_Seg] = []

    def add(x0, y0, x1, y1, obj):
        """Add one stroke, cut to the page and to the object's (clipped) box."""
        box = _intersection(page_box, _box(obj))
        x0, x1 = max(min(x0, x1), box[0]), min(max(x0, x1), box[2])
        y0, y1 = max(min(y0, y1), box[1]), min(max(y0, y1), box[3])
        if 0 <= y1 - y0 <= THIN and x1 - x0 > THIN:
            h.append(_Seg((y0 + y1) / 2, x0, x1))
        elif 0 <= x1 - x0 <= THIN and y1 - y0 > THIN:
            v.append(_Seg((x0 + x1) / 2, y0, y1))

    for obj in lines:
        if obj.get("stroke", True) and _inked(obj.get("stroking_color")):
            add(*_box(obj), obj)
    for obj in rects:
        x0, top, x1, bottom = _box(obj)
        if obj.get("stroke") and _inked(obj.get("stroking_color")):
            for edge in ((x0, top, x1, top), (x0, bottom, x1, bottom),
                         (x0, top, x0, bottom), (x1, top, x1, bottom)):
                add(*edge, obj)
        elif obj.get("fill") and _inked(obj.get("non_stroking_color")):
            add(x0, top, x1, bottom, obj)  # a thin filled bar; a wide fill is shading
    for obj in curves:
        if obj.get("stroke") and _inked(obj.get("stroking_color")):
            pts = obj["pts"]
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                add(ax, ay, bx, by, obj)
        elif obj.get("fill") and _inked(obj.get("non_stroking_color")):
            add(*_box(obj), obj)  # a thin filled polygon is a rule, as a thin filled bar is
    return _merge(h), _merge(v)


def _merge(segs: list[_Seg]) -> list[_Seg]:
    """Snap rules at (nearly) the same position together and join their touching pieces."""
    merged: list[_Seg] = []
    for group in _clusters(sorted(segs, key=lambda s: s.pos), key=lambda s: s.pos):
        pos = sum(s.pos for s in group) / len(group)
        for s in sorted(group, key=lambda s: s.start):
            last = merged[-1] if merged and merged[-1].pos == pos else None
            if last and s.start <= last.end + SNAP:
                last.end = max(last.end, s.end)
            else:
                merged.append(_Seg(pos, s.start, s.end))
    return merged


def _clusters(items: list, key) -> list[list]:
    """Split items sorted by key into runs whose neighbours lie within SNAP of each other."""
    groups: list[list] = []
    for item in items:
        if groups and key(item) - key(groups[-1][-1]) <= SNAP:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _crosses(h: _Seg, v: _Seg) -> bool:
    return (h.start - SNAP <= v.pos <= h.end + SNAP) and (v.start - SNAP <= h.pos <= v.end + SNAP)


def _lattices(h_rules: list[_Seg], v_rules: list[_Seg]) -> list[_Lattice]:
    """Group touching rules into tables and build each table's lattice."""
    parent = list(range(len(h_rules) + len(v_rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(h_rules):
        for j, v in enumerate(v_rules):
            if _crosses(h, v):
                parent[find(i)] = find(len(h_rules) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, seg in enumerate(h_rules + v_rules):
        hs, vs = groups.setdefault(find(i), ([], []))
        (hs if i < len(h_rules) else vs).append(seg)
    tables = [_lattice(hs, vs) for hs, vs in groups.values() if hs and vs]
    return [t for t in tables if (len(t.xs) - 1) * (len(t.ys) - 1) >= 2]


def _lattice(hs: list[_Seg], vs: list[_Seg]) -> _Lattice:
    """Edges come from the rules; a missing outer border is taken from the rules' ends."""
    xs = _edges([s.pos for s in vs], min(s.start for s in hs), max(s.end for s in hs))
    ys = _edges([s.pos for s in hs], min(s.start for s in vs), max(s.end for s in vs))
    return _Lattice(xs, ys, hs, vs)


def _edges(positions: list[float], low: float, high: float) -> list[float]:
    """Sorted distinct edge positions: the rules' positions plus the outer extent."""
    edges: list[float] = []
    for pos in sorted(set(positions)):
        if not edges or pos - edges[-1] > SNAP:
            edges.append(pos)
    if low < edges[0] - SNAP:
        edges.insert(0, low)
    if high > edges[-1] + SNAP:
        edges.append(high)
    return edges


# ---------------------------------------------------------------- page layout


def _page_items(chars: list[dict], h_rules: list[_Seg], v_rules: list[_Seg], number: int,
                before: _Lattice | None) -> tuple[list, _Lattice | None]:
    """Grids and TextBlocks of one page, top to bottom, and the table the page ends with.

    `before` is the table the previous page ended with: a table starting this page
    continues it.
    """
    lattices = sorted(_lattices(h_rules, v_rules), key=lambda t: t.ys[0])
    rest = [c for c in chars if not any(t.holds(c) for t in lattices)]
    if before and lattices and all(_centre(c)[1] > lattices[0].ys[0] for c in rest):
        _continue_columns(lattices[0], before.xs)
    placed: list[tuple[float, object]] = []
    for lattice in lattices:
        _extend_down(lattice, rest)
        inside = [c for c in chars if lattice.holds(c)]
        rest = [c for c in rest if not lattice.holds(c)]
        _split_bands(lattice, inside)
        placed.append((lattice.ys[0], _grid(lattice, inside, number)))
    ends_page = bool(lattices) and all(_centre(c)[1] < lattices[-1].ys[-1] for c in rest)
    for top, grid, used in _text_tables(rest, number):
        placed.append((top, grid))
        rest = [c for c in rest if id(c) not in used]
    for line in _lines(rest):
        text = _line_text(line, field_gap=FIELD_GAP)
        placed.append((min(c["top"] for c in line), TextBlock(text, page=number)))
    placed.sort(key=lambda item: item[0])
    return [item for _, item in placed], lattices[-1] if ends_page else None


def _continue_columns(lattice: _Lattice, columns: list[float]) -> None:
    """Give a table continued from the previous page that page's columns.

    Only when it has the same outer edges and lacks some inner ones: its cells then span
    the columns whose rules this page does not draw, instead of renumbering the columns.
    """
    def near(x: float, edges: list[float]) -> bool:
        return any(abs(x - e) <= SNAP for e in edges)

    same_frame = near(lattice.xs[0], columns[:1]) and near(lattice.xs[-1], columns[-1:])
    if same_frame and all(near(x, columns) for x in lattice.xs):
        lattice.xs = list(columns)


# ---------------------------------------------------------------- rows found from text


def _extend_down(lattice: _Lattice, free: list[dict]) -> None:
    """Add rows for an unruled body right under a ruled header.

    Text lines directly below the table (no wider gap than BODY_GAP ems) that keep to its
    columns, with text in two or more of them, become rows of the table.
    """
    xs, bottom = lattice.xs, lattice.ys[-1]
    below = [c for c in free if xs[0] <= _centre(c)[0] <= xs[-1] and c["top"] >= bottom - SNAP]
    rows = []
    for line in _lines(below):
        top, size = min(c["top"] for c in line), max(c["size"] for c in line)
        if top - bottom > BODY_GAP * size or not _keeps_to_columns(line, xs) \
                or is_page_number(_line_text(line)):  # the footer: '- 22 -' spans two columns
            break
        rows.append(line)
        bottom = max(c["bottom"] for c in line)
    if rows:
        lattice.add_text_edges(_gaps_between(rows) + [bottom + 1])


def _keeps_to_columns(line: list[dict], xs: list[float]) -> bool:
    crossed = any(_line_crosses(line, x) for x in xs[1:-1])
    columns = {bisect_right(xs, _centre(c)[0]) for c in line}
    return not crossed and len(columns) >= 2


def _split_bands(lattice: _Lattice, chars: list[dict]) -> None:
    """Split lattice rows that hold several rows of aligned text (missing row rules)."""
    bands: dict[int, list[dict]] = {}
    for c in chars:
        bands.setdefault(bisect_right(lattice.ys, _centre(c)[1]), []).append(c)
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
    lines = _lines(band)
    if len(lines) < 2:
        return []
    numbers: dict[int, list[int]] = {}  # column -> lines with a number in it
    amounts: dict[int, bool] = {}  # column -> every number in it is an amount
    for i, line in enumerate(lines):
        cols: dict[int, str] = {}
        for c in line:
            col = bisect_right(xs, _centre(c)[0])
            cols[col] = cols.get(col, "") + c["text"]
        for col, text in cols.items():
            if _NUMBER.match(text.strip()):
                numbers.setdefault(col, []).append(i)
                amounts[col] = amounts.get(col, True) and bool(re.search(r"[.,]", text))
    repeated = {col: found for col, found in numbers.items() if len(found) >= 2}
    usable = [found for col, found in repeated.items() if amounts[col] or len(repeated) >= 2]
    if not usable:
        return []
    gaps = _gaps_between(lines)
    return [gaps[i - 1] for i in max(usable, key=len) if i > 0]


_NUMBER = re.compile(r"^[-−]?\d[\d,]*(\.\d+)?$")


def _gaps_between(lines: list[list[dict]]) -> list[float]:
    """The midpoints of the gaps between consecutive lines."""
    return [(max(c["bottom"] for c in a) + min(c["top"] for c in b)) / 2
            for a, b in zip(lines, lines[1:])]


# ---------------------------------------------------------------- tables drawn without rules


COLUMN_GAP = 1.0  # em: in a table drawn without rules, a wider gap on a line parts two columns
HEADER_LINES = 8  # at most this many text lines above an unruled body are its header
SIZE_CHANGE = 0.15  # a line set this much larger or smaller is not part of the table
PROSE_WIDTH = 0.5  # a run of text wider than this share of the page's text is prose
AMOUNT_GAP = 0.05  # em: an amount this far from a label beside it is in another column
_AMOUNT = re.compile(r"^[-−]?(\d{1,3}(,\d{3})+(\.\d+)?|\d+\.\d+)$")
_LABEL_LINE = re.compile(r"[:：]")


@dataclass
class _Piece:
    """Chars of one line with no column gap between them: one cell's text on that line."""

    chars: list[dict]

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
        return _line_text(self.chars)

    def is_amount(self) -> bool:
        return bool(_AMOUNT.match(self.text))


def _pieces(line: list[dict], header: bool = False, coarse: bool = False) -> list[_Piece]:
    """Split a visual line into the texts of its cells.

    Cells part at a column gap; an amount also parts from a label set close beside it (a
    right-aligned amount, then the next column's left-aligned label) at any visible gap and
    from another amount at a word gap, and in a header two CJK labels part at a word gap
    (labels have no spaces inside).
    `coarse` splits at column gaps only.
    """
    tokens = _amount_ends(line)
    runs = [[line[0]]]
    for i, (a, b) in enumerate(zip(line, line[1:])):
        gap = b["x0"] - a["x1"]
        em = max(a["size"], b["size"])
        wide_a, wide_b = _wide(a["text"][-1]), _wide(b["text"][0])
        cut = gap > COLUMN_GAP * em or not coarse and (
            (gap > AMOUNT_GAP * em and (i in tokens or i + 1 in tokens) and wide_a != wide_b)
            or (gap > WORD_GAP * em and i in tokens and i + 1 in tokens)
            or (header and wide_a and wide_b and gap > WORD_GAP * em))
        if cut:
            runs.append([b])
        else:
            runs[-1].append(b)
    return [_Piece(run) for run in runs]


def _amount_ends(line: list[dict]) -> set[int]:
    """Indexes of the first and last chars of each amount written on the line."""
    ends: set[int] = set()
    i = 0
    while i < len(line):
        j = i
        while j < len(line) and re.match(r"[-−\d,.]", line[j]["text"]) and (
                j == i or line[j]["x0"] - line[j - 1]["x1"] <= WORD_GAP * line[j]["size"]):
            j += 1
        if j > i and _AMOUNT.match("".join(c["text"] for c in line[i:j])):
            ends.update((i, j - 1))
        i = max(j, i + 1)
    return ends


def _size(line: list[dict]) -> float:
    return max(c["size"] for c in line)


def _text_tables(chars: list[dict], number: int) -> list[tuple[float, Grid, set[int]]]:
    """Tables printed without any ruling line, found from the alignment of their text.

    A body is a run of lines, each within BODY_GAP ems of the next and in one size, whose
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
    lines = _lines(chars)
    if not lines:
        return []
    pieces = [_pieces(line) for line in lines]
    width = max(c["x1"] for c in chars) - min(c["x0"] for c in chars)
    prose = [any(x.x1 - x.x0 > PROSE_WIDTH * width for x in _pieces(line, coarse=True))
             for line in lines]
    body = [len(p) >= 2 and any(x.is_amount() for x in p) and not wide
            for p, wide in zip(pieces, prose)]
    found = []
    i = 0
    while i < len(lines):
        if not body[i]:
            i += 1
            continue
        last = _body_end(lines, body, prose, i)
        rows = [k for k in range(i, last + 1) if body[k]]
        if not _aligned(rows, pieces):
            i += 1
            continue
        head = _header_start(lines, pieces, prose, i, last)
        last = _wrapped_below(lines, body, prose, last)
        grid = _text_grid(lines[head:i], lines[i:last + 1], pieces[i:last + 1], number)
        if grid is not None:
            used = {id(c) for line in lines[head:last + 1] for c in line}
            found.append((min(c["top"] for c in lines[head]), grid, used))
        i = last + 1
    return found


def _body_end(lines: list, body: list[bool], prose: list[bool], first: int) -> int:
    """The last body line of the run of table lines starting at line `first`: lines
    within BODY_GAP ems of each other, in one size, up to a line of prose."""
    last = first
    size = _size(lines[first])
    for k in range(first + 1, len(lines)):
        gap = min(c["top"] for c in lines[k]) - max(c["bottom"] for c in lines[k - 1])
        if gap > BODY_GAP * size or abs(_size(lines[k]) - size) > SIZE_CHANGE * size \
                or prose[k]:
            break
        if body[k]:
            last = k
    return last


def _wrapped_below(lines: list, body: list[bool], prose: list[bool], last: int) -> int:
    """The last line of the table: the last body line, or a wrapped label just under it
    (nearer to it than a line's height, set centred on its row)."""
    size = _size(lines[last])
    mid = (min(c["top"] for c in lines[last]) + max(c["bottom"] for c in lines[last])) / 2
    end = last
    for k in range(last + 1, len(lines)):
        centre = (min(c["top"] for c in lines[k]) + max(c["bottom"] for c in lines[k])) / 2
        if body[k] or prose[k] or centre - mid > 1.2 * size \
                or abs(_size(lines[k]) - size) > SIZE_CHANGE * size:
            break
        end = k
    return end


def _aligned(rows: list[int], pieces: list) -> bool:
    """Amounts right-aligned in one column on three rows, or on two rows of two amounts
    each; or one row of three amounts."""
    counts = {k: sum(p.is_amount() for p in pieces[k]) for k in rows}
    if any(n >= 3 for n in counts.values()) and len(rows) == 1:
        return True
    edges = sorted((p.x1, k) for k in rows for p in pieces[k] if p.is_amount())
    for group in _clusters(edges, key=lambda e: e[0]):
        found = {k for _, k in group}
        if len(found) >= 3 or (len(found) == 2 and all(counts[k] >= 2 for k in found)):
            return True
    return False


def _header_start(lines: list, pieces: list, prose: list[bool], first: int, last: int) -> int:
    """The first header line above body line `first` (`first` itself if none)."""
    left = min(p.x0 for k in range(first, last + 1) for p in pieces[k])
    right = max(p.x1 for k in range(first, last + 1) for p in pieces[k])
    size = _size(lines[first])
    head = first
    for k in range(first - 1, max(-1, first - 1 - HEADER_LINES), -1):
        line = lines[k]
        gap = min(c["top"] for c in lines[k + 1]) - max(c["bottom"] for c in line)
        row = _pieces(line, header=True)
        centred = len(row) == 1 and abs((row[0].x0 + row[0].x1 - left - right) / 2) < 2 * size
        if (prose[k] or gap > BODY_GAP * size or abs(_size(line) - size) > SIZE_CHANGE * size
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
               number: int) -> Grid | None:
    """The grid of an unruled table: header cells from their pieces, body from a lattice
    with text rows."""
    head_pieces = [p for line in head for p in _pieces(line, header=True)]
    xs = _join_columns(_column_edges(pieces), pieces,
                       [_pieces(line, header=True) for line in head])
    if len(xs) < 3:  # one column: a list, not a table
        return None
    xs[0] = min([xs[0]] + [p.x0 - 1 for p in head_pieces])
    xs[-1] = max([xs[-1]] + [p.x1 + 1 for p in head_pieces])
    header, n_header = _header_cells(head_pieces, xs)
    rows = _body_rows(body, pieces)
    cells = header + [Cell(r + n_header, cell.col, cell.text, colspan=cell.colspan)
                      for r, row in enumerate(rows) for cell in _row_cells(row, xs)]
    n_rows = len(rows) + n_header
    return Grid(cells, n_rows, len(xs) - 1, page=number, row_pages=[number] * n_rows)


def _row_cells(row: list[_Piece], xs: list[float]) -> list[Cell]:
    """The cells of one body row (row index 0): each piece goes to the columns its chars
    lie in; a piece over several columns joins them into one cell."""
    n_cols = len(xs) - 1
    owner = list(range(n_cols))  # column -> first column of its cell
    chars: dict[int, list[dict]] = {}
    for piece in row:
        cols = [min(max(bisect_right(xs, _centre(c)[0]) - 1, 0), n_cols - 1)
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
        cell.text = _cell_text(members)
    return cells


def _header_cells(pieces: list[_Piece], xs: list[float]) -> tuple[list[Cell], int]:
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
    levels = _clusters(sorted(groups, key=lambda g: g[0].top), key=lambda g: g[0].top)
    n_header = len(levels) + 1
    cells = []
    taken: set[tuple[int, int]] = set()
    lowest = [-1] * n_cols
    for level, group in enumerate(levels):
        for piece, cols in group:
            if any((level, k) in taken for k in cols):  # overlaps a label beside it
                leaves.setdefault(cols.start, []).extend(piece.chars)
                continue
            cells.append(Cell(level, cols.start, _cell_text(piece.chars), colspan=len(cols)))
            taken.update((level, k) for k in cols)
            for k in cols:
                lowest[k] = level
    for k in range(n_cols):
        row = lowest[k] + 1
        cells.append(Cell(row, k, _cell_text(leaves.get(k, [])), rowspan=n_header - row))
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


# ---------------------------------------------------------------- cells


def _grid(lattice: _Lattice, chars: list[dict], number: int) -> Grid:
    """Fill the lattice with chars and merge slots into cells."""
    n_rows, n_cols = len(lattice.ys) - 1, len(lattice.xs) - 1
    slots: dict[tuple[int, int], list[dict]] = {}
    for c in chars:
        x, y = _centre(c)
        r = min(max(bisect_right(lattice.ys, y) - 1, 0), n_rows - 1)
        k = min(max(bisect_right(lattice.xs, x) - 1, 0), n_cols - 1)
        slots.setdefault((r, k), []).append(c)
    cells = []
    for rows, cols in _merged_regions(lattice, slots):
        members = [c for r in rows for k in cols for c in slots.get((r, k), ())]
        cells.append(Cell(rows.start, cols.start, _cell_text(members),
                          rowspan=len(rows), colspan=len(cols)))
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return Grid(cells, n_rows, n_cols, page=number, row_pages=[number] * n_rows)


def _merged_regions(lattice: _Lattice, slots: dict) -> list[tuple[range, range]]:
    """Rectangles of slots forming one cell each, covering the whole lattice."""
    n_rows, n_cols = len(lattice.ys) - 1, len(lattice.xs) - 1
    owner = {(r, k): (r, k) for r in range(n_rows) for k in range(n_cols)}

    def find(slot):
        while owner[slot] != slot:
            slot = owner[slot]
        return slot

    def join(a, b):
        owner[find(a)] = find(b)

    for r in range(n_rows):
        for k in _open_column_edges(lattice, slots, r):
            join((r, k - 1), (r, k))
    for k in range(n_cols):
        for r in range(1, n_rows):
            if not lattice.h_ruled(r, k):
                join((r - 1, k), (r, k))
    return _rectangles({slot: find(slot) for slot in owner})


def _open_column_edges(lattice: _Lattice, slots: dict, row: int) -> list[int]:
    """Column edges inside `row` that do not separate cells.

    An unruled run of slots is one merged cell, unless its text sits in two or more of the
    slots without running over their edges: then the rule is missing and the slots stay
    apart, at the column edges the rest of the table draws. In rows found from text only
    text running over an edge joins slots.
    """
    n_cols = len(lattice.xs) - 1
    open_edges = []
    start = 0
    for k in range(1, n_cols + 1):
        if k < n_cols and not lattice.v_ruled(k, row):
            continue
        run = range(start, k)
        line_chars = [c for i in run for c in slots.get((row, i), ())]
        lines = _lines(line_chars)
        crossed = [e for e in run[1:] if any(_line_crosses(ln, lattice.xs[e]) for ln in lines)]
        texts = sum(1 for i in run if slots.get((row, i)) and i not in crossed)
        merge_all = texts <= 1 and not lattice.text_row(row)
        open_edges.extend(run[1:] if merge_all else crossed)
        start = k
    return open_edges


def _line_crosses(line: list[dict], x: float) -> bool:
    """Does a word of this visual line run over position x?"""
    left = [c for c in line if _centre(c)[0] < x]
    right = [c for c in line if _centre(c)[0] >= x]
    if not (left and right):
        return False
    a = max(left, key=lambda c: c["x1"])
    b = min(right, key=lambda c: c["x0"])
    return b["x0"] - a["x1"] < WORD_GAP * max(a["size"], b["size"])


def _rectangles(roots: dict) -> list[tuple[range, range]]:
    """Turn slot groups into rectangles: a group that is not one absorbs its bounding box."""
    members: dict = {}
    for slot, root in roots.items():
        members.setdefault(root, []).append(slot)
    owner = dict(roots)
    boxes = {root: _bounding_box(slots) for root, slots in members.items()}
    pending = list(boxes)
    while pending:
        root = pending.pop()
        if root not in boxes:
            continue
        rows, cols = boxes[root]
        others = {owner[(r, k)] for r in rows for k in cols} - {root}
        for other in others:
            del boxes[other]
            for slot in members.pop(other):
                owner[slot] = root
                members[root].append(slot)
        if others:
            boxes[root] = _bounding_box(members[root])
            pending.append(root)
    return list(boxes.values())


def _bounding_box(slots: list[tuple[int, int]]) -> tuple[range, range]:
    rows = [r for r, _ in slots]
    cols = [k for _, k in slots]
    return range(min(rows), max(rows) + 1), range(min(cols), max(cols) + 1)


# ---------------------------------------------------------------- text


def _centre(char: dict) -> tuple[float, float]:
    return (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Group chars into visual lines (top to bottom), each sorted left to right."""
    lines: list[list[dict]] = []
    top = bottom = 0.0
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        if lines and top <= mid <= bottom:
            lines[-1].append(c)
            bottom = max(bottom, c["bottom"])
        else:
            lines.append([c])
            top, bottom = c["top"], c["bottom"]
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _wide(ch: str) -> bool:
    """CJK ideographs, CJK and full-width punctuation, and typographic quotes and dashes."""
    return ord(ch[0]) >= 0x2000


def _line_text(line: list[dict], field_gap: float | None = None) -> str:
    """One visual line as text.

    A space goes between Latin/digit chars set apart by a word gap, and, when `field_gap`
    is given, between any chars set apart by that many ems (separate fields on one line).
    """
    out = [line[0]["text"]]
    for a, b in zip(line, line[1:]):
        gap = b["x0"] - a["x1"]
        em = max(a["size"], b["size"])
        latin = not (_wide(a["text"][-1]) or _wide(b["text"]))
        if (latin and gap > WORD_GAP * em) or (field_gap is not None and gap > field_gap * em):
            out.append(" ")
        out.append(b["text"])
    return "".join(out)


def _cell_text(chars: list[dict]) -> str:
    """The text of a cell, its wrapped lines joined (CJK without spaces)."""
    text = ""
    for line in _lines(chars):
        piece = _line_text(line)
        if text and _needs_space(text[-1], piece[0]):
            text += " "
        text += piece
    return text


def _needs_space(a: str, b: str) -> bool:
    """Between two wrapped lines: a space only where two Latin words (not digits) meet."""
    latin = a.isascii() and a.isalnum() and b.isascii() and b.isalnum()
    return latin and not (a.isdigit() and b.isdigit())
