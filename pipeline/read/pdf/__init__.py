"""Read a text-layer PDF into the intermediate form (document -> pages -> text blocks and grids).

One pdfminer pass per page gives the chars and the drawn lines and rectangles; what the
page's clipping or its edges hide is dropped (clip.py). Then:

1. Ruling lines are the visibly inked strokes and thin filled bars or polygons (white cell
   backgrounds are ignored); collinear pieces are merged (rules.py) and touching rules form
   one table lattice, its outer edges taken from the rules' ends where the border is
   missing (lattice.py).
2. Where rules are missing the text decides: rows of text lined up under a ruled header,
   or inside a band with no row rules, become rows; text sitting in separate columns of an
   unruled stretch keeps the column edges the rest of the table draws.
3. Each lattice slot gets the chars whose centre falls in it; slots not separated by a rule
   merge into one cell (rowspan/colspan, text in the top-left slot), and a cell's wrapped
   lines are joined (CJK without spaces) (cells.py, text.py).
4. Outside every lattice, a table printed with no rules at all is found from its text:
   rows of amounts standing apart in aligned columns make its body, the lines just above
   it its header (unruled.py); prose never has amounts set apart in columns.
5. Chars outside every table become TextBlocks, one per visual line, and all items are put
   in top-to-bottom order (here).

A page that is an image (a scan), or a text page with a table-sized image no text lies over
(a table pasted as a picture, `table_images`), is listed in `Document.image_pages`, for the
OCR reader (read/ocr/).

The tuning (distances in points and ems) is one frozen ReaderSettings (settings.py); the
limits on one document are pipeline.limits.Limits.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from textwrap import shorten
from typing import Iterator

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.page import Page as PlumberPage
from pdfplumber.utils.exceptions import PdfminerException

from pipeline.errors import ReadError
from pipeline.limits import LIMITS, Limits
from pipeline.model import Document, Page, TextBlock, page_ranges
from pipeline.read.header import HEADER_SCAN, is_pdf
from pipeline.read.pdf.cells import grid
from pipeline.read.pdf.clip import box, centre_in, intersection, lay_out
from pipeline.read.pdf.lattice import Lattice, continue_columns, extend_down, lattices, split_bands
from pipeline.read.pdf.pagetree import check_page_order
from pipeline.read.pdf.rules import Seg, ruling_lines
from pipeline.read.pdf.settings import ReaderSettings
from pipeline.read.pdf.text import centre, line_text, lines
from pipeline.read.pdf.unruled import text_tables

__all__ = ["ReaderSettings", "page_items", "page_objects", "read_pdf", "table_images"]

CAUSE_CHARS = 160  # of the parser's reason quoted in an error

# ---------------------------------------------------------------- public API


def read_pdf(path: Path, settings: ReaderSettings = ReaderSettings(),
             limits: Limits = LIMITS) -> Document:
    """Read a text-layer PDF into a Document of pages holding TextBlocks and Grids.

    Raises ReadError naming the file when it is not a PDF, is truncated or corrupt, needs a
    user password, has no pages (or more than `limits.pages`), or has no text layer on any
    page and no scanned image either. Scanned pages are listed in `Document.image_pages`,
    and so are text pages that print a table as an image (`Page.table_images`, see
    `table_images`): both are read by OCR (read/ocr/).
    """
    path = Path(path)
    _check_header(path)
    pdf = _open(path)
    with _closing_quietly(pdf):
        try:
            plumber_pages = pdf.pages
        except Exception as exc:  # a broken page tree fails in pdfminer or pdfplumber
            raise ReadError(path, f"truncated or corrupt PDF ({_cause(exc)})") from exc
        check_page_order(path, pdf.doc, [p.page_obj.pageid for p in plumber_pages])
        if not plumber_pages:
            raise ReadError(path, "PDF has no pages")
        if len(plumber_pages) > limits.pages:
            raise ReadError(path, f"{len(plumber_pages)} pages is over the limit of {limits.pages} "
                                  "pages per document")
        pages = []
        image_pages = []
        has_text = False
        last_table = None
        for number, plumber_page in enumerate(plumber_pages, start=1):
            chars, h_rules, v_rules = _page_objects(path, plumber_page, number, settings)
            has_text = has_text or bool(chars)
            scan = _is_scan(plumber_page, chars, settings)
            tables = [] if scan else table_images(plumber_page, chars, settings)
            if scan or tables:
                image_pages.append(number)
            items, last_table = page_items(chars, h_rules, v_rules, number, last_table, settings)
            pages.append(Page(number, items, table_images=tables))
            plumber_page.close()
    if not has_text and not image_pages:  # scans are read by OCR (read/ocr/), if installed
        raise ReadError(path, f"no text layer on {page_ranges(range(1, len(pages) + 1))}; "
                              "contribute a transcript or an OCR'd PDF")
    return Document(path=path, format="pdf", pages=pages, image_pages=image_pages)


def _is_scan(page: PlumberPage, chars: list[dict], settings: ReaderSettings) -> bool:
    """A page that is an image with no text layer (bar a page number): a scan."""
    if len(chars) > settings.scan_stray_chars or not page.images:
        return False
    if not chars:
        return True
    x0, top, x1, bottom = page.bbox
    covered = sum(max(0.0, min(i["x1"], x1) - max(i["x0"], x0)) *
                  max(0.0, min(i["bottom"], bottom) - max(i["top"], top)) for i in page.images)
    return covered >= settings.scan_cover * (x1 - x0) * (bottom - top)


def table_images(page: PlumberPage, chars: list[dict],
                 settings: ReaderSettings) -> list[tuple[float, float, float, float]]:
    """The images a text page prints its tables as: each covering at least
    `settings.image_table_cover` of the page with at most `settings.scan_stray_chars` of
    its visible `chars` centred over it (a background or a watermark has the text over it;
    a logo, a seal or a chart is smaller). Images that touch (within `settings.snap`) are
    one: a table image some producers cut in strips. Their boxes (x0, top, x1, bottom), cut
    to the page, in points."""
    area = (page.bbox[2] - page.bbox[0]) * (page.bbox[3] - page.bbox[1])
    found = []
    shown = [b for b in (intersection(box(i), page.bbox) for i in page.images)
             if b[2] > b[0] and b[3] > b[1]]
    for x0, top, x1, bottom in _joined(shown, settings.snap):
        if (x1 - x0) * (bottom - top) < settings.image_table_cover * area:
            continue
        over = sum(centre_in(box(c), (x0, top, x1, bottom)) for c in chars)
        if over <= settings.scan_stray_chars:
            found.append((x0, top, x1, bottom))
    return found


def _joined(boxes: list[tuple], gap: float) -> list[tuple]:
    """Boxes (x0, top, x1, bottom) that overlap or touch, within `gap`, as one box."""
    out: list[tuple] = []
    for b in boxes:
        while touching := [o for o in out if o[0] - gap <= b[2] and b[0] - gap <= o[2]
                           and o[1] - gap <= b[3] and b[1] - gap <= o[3]]:
            out = [o for o in out if o not in touching]
            b = (min(o[0] for o in [b, *touching]), min(o[1] for o in [b, *touching]),
                 max(o[2] for o in [b, *touching]), max(o[3] for o in [b, *touching]))
        out.append(b)
    return out


def page_objects(path: Path, number: int, settings: ReaderSettings = ReaderSettings()
                 ) -> tuple[list[dict], list[Seg], list[Seg]]:
    """Page `number` (from 1) of the PDF at `path` as read_pdf sees it: its visible chars
    and its ruling lines (horizontal, vertical), in points (the OCR reader merges them with
    what it reads on the page's table images)."""
    pdf = _open(path)
    with _closing_quietly(pdf):
        page = pdf.pages[number - 1]
        return _page_objects(path, page, number, settings)


# ---------------------------------------------------------------- opening


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_SCAN)
    except OSError as exc:
        raise ReadError(path, f"cannot open file: {exc.strerror or exc}") from exc
    if not head:
        raise ReadError(path, "not a PDF: the file is empty")
    if not is_pdf(head):
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


@contextmanager
def _closing_quietly(pdf: pdfplumber.PDF) -> Iterator[pdfplumber.PDF]:
    """Close the PDF however reading it ends, without letting the close hide why it ended:
    pdfplumber's close() walks the page tree again, and on a damaged document raises again
    (TypeError, PdfminerException, ...) over the first, specific error. The file itself is
    closed all the same."""
    try:
        yield pdf
    finally:
        try:
            pdf.close()
        except Exception:  # the page tree is broken: the reading already failed, or will
            pdf.stream.close()


def _cause(exc: Exception) -> str:
    """The parser's own reason, on one line and short: pdfminer's messages can quote a
    page's damaged bytes at length."""
    inner = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    text = shorten(str(inner), CAUSE_CHARS, placeholder=" …")
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def _page_objects(path: Path, page: PlumberPage, number: int,
                  settings: ReaderSettings) -> tuple[list[dict], list[Seg], list[Seg]]:
    """Parse one page: its visible chars (deduplicated, no whitespace) and its ruling lines.

    Viewers show nothing outside the page box or the clipping path, where some producers
    leave overflow: chars there are dropped and rules are cut to what shows.
    """
    try:
        lay_out(page)
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
        if c["text"].strip() and key not in seen and centre_in(box(c), page.bbox):
            seen.add(key)
            kept.append(c)
    if not settings.use_rules:
        return kept, [], []
    h_rules, v_rules = ruling_lines(lines, rects, curves, page.bbox, settings)
    return kept, h_rules, v_rules


# ---------------------------------------------------------------- page layout


def page_items(chars: list[dict], h_rules: list[Seg], v_rules: list[Seg], number: int,
               before: Lattice | None, settings: ReaderSettings) -> tuple[list, Lattice | None]:
    """Grids and TextBlocks of one page, top to bottom, and the table the page ends with;
    from any page's chars and rules in points (the OCR reader gives a scan's, read/ocr/).

    `before` is the table the previous page ended with: a table starting this page
    continues it.
    """
    found = sorted(lattices(h_rules, v_rules, settings), key=lambda t: t.ys[0])
    rest = [c for c in chars if not any(t.holds(c) for t in found)]
    if before and found and all(centre(c)[1] > found[0].ys[0] for c in rest):
        continue_columns(found[0], before.xs)
    placed: list[tuple[float, object]] = []
    for lattice in found:
        extend_down(lattice, rest)
        inside = [c for c in chars if lattice.holds(c)]
        rest = [c for c in rest if not lattice.holds(c)]
        split_bands(lattice, inside)
        placed.append((lattice.ys[0], grid(lattice, inside, number)))
    ends_page = bool(found) and all(centre(c)[1] < found[-1].ys[-1] for c in rest)
    for top, table, used in text_tables(rest, number, settings):
        placed.append((top, table))
        rest = [c for c in rest if id(c) not in used]
    for line in lines(rest):
        text = line_text(line, settings, field_gap=settings.field_gap)
        placed.append((min(c["top"] for c in line), TextBlock(text, page=number)))
    placed.sort(key=lambda item: item[0])
    return [item for _, item in placed], found[-1] if ends_page else None
