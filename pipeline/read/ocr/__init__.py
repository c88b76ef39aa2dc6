"""Read the pages of a PDF that have no text layer (scans) by OCR, into the intermediate form,
and the tables a text page prints as images (`Page.table_images`).

Each page is rendered (pypdfium2, `OcrSettings.dpi`), straightened when scanned askew, its
ruling lines found and wiped (image.py), its text read by the engine (engine.py:
rapidocr-onnxruntime, the `ocr` extra), and the PDF reader's own steps build its grids and
text blocks from those rules and that text (grid.py, `pipeline.read.pdf.page_items`).
On a text page that prints a table as an image only the image is read so: the rest of
the render is blanked, and what OCR reads there joins the page's own text-layer chars and
rules outside the image (its title, 单位, page number read exactly) before `page_items`.
Recognition, normalization and the checks then treat the page as any other; a table read
this way is published only where its identities prove it (pipeline/check/ocr.py).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from pipeline.errors import ReadError
from pipeline.model import Document, Page, page_ranges
from pipeline.read.ocr.engine import INSTALL, available, version
from pipeline.read.ocr.settings import OcrSettings
from pipeline.read.pdf import ReaderSettings, page_items, page_objects
from pipeline.read.pdf.rules import Seg
from pipeline.read.pdf.text import centre

__all__ = ["INSTALL_HINT", "OcrSettings", "available", "no_text_layer", "pages_as_images",
           "read_scans", "version"]

INSTALL_HINT = f"install the OCR extra: {INSTALL}"


def no_text_layer(pages: list[int]) -> str:
    """How messages name scanned pages: 'page 4 has no text layer', 'pages 2-3 have no
    text layer' (then what became of them: read by OCR, or `INSTALL_HINT`)."""
    verb = "has" if len(pages) == 1 else "have"
    return f"{page_ranges(pages)} {verb} no text layer"


def pages_as_images(doc: Document, pages: list[int]) -> str:
    """How messages name pages of `doc.image_pages` that OCR reads: scans as
    `no_text_layer` does, text pages with a table image as 'page 3 has a table printed as
    an image' ('pages 3-4 have tables printed as images')."""
    tables = {p.number for p in doc.pages if p.table_images} & set(pages)
    scans = [n for n in pages if n not in tables]
    said = [no_text_layer(scans)] if scans else []
    if tables:
        one = len(tables) == 1
        said.append(f"{page_ranges(sorted(tables))} {'has a table' if one else 'have tables'} "
                    f"printed as {'an image' if one else 'images'}")
    return " and ".join(said)


def read_scans(doc: Document, path: Path, everything: bool = False,
               settings: OcrSettings = OcrSettings(),
               reader: ReaderSettings = ReaderSettings(),
               progress: bool | None = None) -> Document:
    """Read by OCR the pages of `doc` (read by read_pdf from `path`) that have no text layer,
    and the table images of text pages (`Page.table_images`: the images alone, joined with
    the page's text layer), or, with `everything`, every page (a text layer that is wrong or
    garbled). Their items are replaced and their numbers listed in `doc.ocr_pages`. Without
    the engine installed the pages are left as they are (the caller says which are unread,
    `pages_as_images`), but asking for `everything` is an error. Progress shows per page
    (`progress` None: on a terminal)."""
    wanted = [p for p in doc.pages if p.number is not None and
              (everything or p.number in doc.image_pages)]
    if not wanted:
        return doc
    if not available():
        if everything:
            raise ReadError(path, f"reading it by OCR needs the engine; {INSTALL_HINT}")
        return doc
    import pypdfium2 as pdfium

    from pipeline.read.ocr.grid import chars, rules, table_strokes  # the extra's OpenCV
    from pipeline.read.ocr.image import render, straighten, strokes, wipe

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise ReadError(path, f"cannot render it for OCR ({exc})") from exc
    try:
        before, last = None, None
        for page in tqdm(wanted, desc=f"OCR {path.name}", unit="page", leave=False,
                         disable=None if progress is None else not progress):
            if last is None or page.number != last + 1:
                before = None  # a table continues only from the page just before
            images = [] if everything else page.table_images
            try:
                image = render(pdf, page.number - 1, settings)
            except pdfium.PdfiumError as exc:
                raise ReadError(path, f"cannot render the page for OCR ({exc})",
                                page=page.number) from exc
            if images:
                image = _only(image, images)
            image = straighten(image, settings)
            horizontal, vertical = strokes(image, settings)
            framing = table_strokes(horizontal, vertical, image, reader)
            boxes = _text(wipe(image, *framing), framing[1], settings)
            found = chars(boxes, image, settings), *rules(horizontal, vertical, image, reader)
            if images:
                found = _with_text_layer(found, path, page, reader)
            page.items, before = page_items(*found, page.number, before, reader)
            doc.ocr_pages.append(page.number)
            last = page.number
    finally:
        pdf.close()
    return doc


def _only(image, boxes: list[tuple[float, float, float, float]]):
    """The page image blank (paper) outside these boxes (x0, top, x1, bottom, in points)."""
    kept = image.pixels.copy()
    kept.fill(255)
    for x0, top, x1, bottom in boxes:
        rows = slice(max(int(top / image.points), 0), int(bottom / image.points) + 1)
        cols = slice(max(int(x0 / image.points), 0), int(x1 / image.points) + 1)
        kept[rows, cols] = image.pixels[rows, cols]
    return replace(image, pixels=kept)


def _with_text_layer(found: tuple[list[dict], list[Seg], list[Seg]], path: Path, page: Page,
                     reader: ReaderSettings) -> tuple[list[dict], list[Seg], list[Seg]]:
    """What OCR `found` on a text page's table images (chars, horizontal and vertical
    rules), joined by the page's own text-layer chars and rules outside those images."""
    text, h_rules, v_rules = page_objects(path, page.number, reader)

    def outside(point: tuple[float, float]) -> bool:
        x, y = point
        return not any(x0 <= x <= x1 and top <= y <= bottom
                       for x0, top, x1, bottom in page.table_images)

    chars, h_found, v_found = found
    return ([c for c in text if outside(centre(c))] + chars,
            [r for r in h_rules if outside(((r.start + r.end) / 2, r.pos))] + h_found,
            [r for r in v_rules if outside((r.pos, (r.start + r.end) / 2))] + v_found)


def _text(image, vertical: list, settings: OcrSettings) -> list:
    """The lines of text on a page image with its table rules wiped (`vertical`: its column
    rules), each in one cell: a box the engine drew across a column rule is cut there and
    each piece read alone (a piece holding the ink of another box is left to it), a box
    with ink right beside it on its line is widened over it and read again (the 一 of 一、),
    ink no box covers is read where it stands (a lone 0), and a box reaching over a line
    another box reads is cut back to its own (`own_rows`)."""
    from pipeline.read.ocr.engine import read_line, read_text
    from pipeline.read.ocr.grid import pieces, taken
    from pipeline.read.ocr.image import inked, own_rows, unread_ink, widened

    def read(box: tuple) -> list:
        found = read_line(image.pixels, box, settings.detect_side)
        return [found] if found else []

    found, boxes = read_text(image.pixels, settings.detect_side), []
    for box in found:
        cut = [p for p in pieces(box, vertical) if inked(image, p)]
        if len(cut) == 1:  # only its margin runs over a rule: left out
            boxes.append(replace(box, x0=cut[0][0], x1=cut[0][2]))
        elif cut:
            boxes += [line for p in cut if not taken(p, box, found) for line in read(p)]
        else:
            boxes.append(box)
    whole = []
    for box in boxes:
        mid = (box.top + box.bottom) / 2
        stops = [v.pos for v in vertical if v.start <= mid <= v.end]
        stops += [edge for o in boxes if o is not box and o.top < mid < o.bottom
                  for edge in (o.x0, o.x1)]
        wider = widened(image, (box.x0, box.top, box.x1, box.bottom), stops)
        whole += (read(wider) or [box]) if wider else [box]
    for box in unread_ink(image, [(b.x0, b.top, b.x1, b.bottom) for b in whole], settings):
        whole += read(box)
    edges = [(b.x0, b.top, b.x1, b.bottom) for b in whole]
    cut = [own_rows(image, e, edges[:i] + edges[i + 1:]) for i, e in enumerate(edges)]
    return [replace(b, top=c[0], bottom=c[1]) if c else b for b, c in zip(whole, cut)]
