"""Read the pages of a PDF that have no text layer (scans) by OCR, into the intermediate form.

Each page is rendered (pypdfium2, `OcrSettings.dpi`), straightened when scanned askew, its
ruling lines found and wiped (image.py), its text read by the engine (engine.py:
rapidocr-onnxruntime, the `ocr` extra), and the PDF reader's own steps build its grids and
text blocks from those rules and that text (grid.py, `pipeline.read.pdf.page_items`).
Recognition, normalization and the checks then treat the page as any other; a table read
this way is published only where its identities prove it (pipeline/check/ocr.py).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from pipeline.errors import ReadError
from pipeline.model import Document, page_ranges
from pipeline.read.ocr.engine import INSTALL, available, version
from pipeline.read.ocr.settings import OcrSettings
from pipeline.read.pdf import ReaderSettings, page_items

__all__ = ["INSTALL_HINT", "OcrSettings", "available", "no_text_layer", "read_scans", "version"]

INSTALL_HINT = f"install the OCR extra: {INSTALL}"


def no_text_layer(pages: list[int]) -> str:
    """How messages name scanned pages: 'page 4 has no text layer', 'pages 2-3 have no
    text layer' (then what became of them: read by OCR, or `INSTALL_HINT`)."""
    verb = "has" if len(pages) == 1 else "have"
    return f"{page_ranges(pages)} {verb} no text layer"


def read_scans(doc: Document, path: Path, everything: bool = False,
               settings: OcrSettings = OcrSettings(),
               reader: ReaderSettings = ReaderSettings(),
               progress: bool | None = None) -> Document:
    """Read by OCR the pages of `doc` (read by read_pdf from `path`) that have no text layer,
    or, with `everything`, every page (a text layer that is wrong or garbled). Their items
    are replaced and their numbers listed in `doc.ocr_pages`. Without the engine installed
    the pages are left as they are (the caller says which are unread), but asking for
    `everything` is an error. Progress shows per page (`progress` None: on a terminal)."""
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
            try:
                image = straighten(render(pdf, page.number - 1, settings), settings)
            except pdfium.PdfiumError as exc:
                raise ReadError(path, f"cannot render the page for OCR ({exc})",
                                page=page.number) from exc
            horizontal, vertical = strokes(image, settings)
            framing = table_strokes(horizontal, vertical, image, reader)
            boxes = _text(wipe(image, *framing), framing[1], settings)
            h_rules, v_rules = rules(horizontal, vertical, image, reader)
            page.items, before = page_items(chars(boxes, image, settings), h_rules, v_rules,
                                            page.number, before, reader)
            doc.ocr_pages.append(page.number)
            last = page.number
    finally:
        pdf.close()
    return doc


def _text(image, vertical: list, settings: OcrSettings) -> list:
    """The lines of text on a page image with its table rules wiped (`vertical`: its column
    rules), each in one cell: a box the engine drew across a column rule is cut there and
    each piece read alone (a piece holding the ink of another box is left to it), a box
    with ink right beside it on its line is widened over it and read again (the 一 of 一、),
    and ink no box covers is read where it stands (a lone 0)."""
    from pipeline.read.ocr.engine import read_line, read_text
    from pipeline.read.ocr.grid import pieces, taken
    from pipeline.read.ocr.image import inked, unread_ink, widened

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
    return whole
