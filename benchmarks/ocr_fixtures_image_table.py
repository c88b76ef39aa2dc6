"""Write tests/fixtures/ocr/image-table.pdf: a text page printing its table as an image.

Page 1 is page 11 of sh-putuo-sifaju-2026-budget (table 2, 部门收入预算总表) with the table's
chars and rules taken out of its content and an image of them put in their place (the page
rendered at 150 dpi, grayscale, JPEG, cut to the table's box), as departments paste a table
from a spreadsheet: the title and the 编制部门/单位 line stay text. Page 2 is page 10 of the
same document (table 1), its text layer whole, with a small logo in the margin and a seal
stamped over the 编制部门 line and the table's first rows: images that are no table. Run
from the repository root:

    python benchmarks/ocr_fixtures_image_table.py
"""
from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf"
FIXTURE = ROOT / "tests" / "fixtures" / "ocr" / "image-table.pdf"
DPI = 150
PAD = 2.0  # pt around the table's rules, so that the image holds them whole


def table_box(path: Path, number: int) -> tuple[float, float, float, float]:
    """The box (x0, top, x1, bottom, points from the top left) of the rules of a page."""
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[number - 1]
        rules = page.rects + page.lines
        return (min(r["x0"] for r in rules) - PAD, min(r["top"] for r in rules) - PAD,
                max(r["x1"] for r in rules) + PAD, max(r["bottom"] for r in rules) + PAD)


def jpeg(image: Image.Image) -> io.BytesIO:
    data = io.BytesIO()
    image.save(data, "JPEG", quality=75)
    data.seek(0)
    return data


def place(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, image: Image.Image,
          where: tuple[float, float, float, float]) -> None:
    """Put `image` on `page` over `where` (x0, top, x1, bottom, points from the top left)."""
    x0, top, x1, bottom = where
    obj = pdfium.PdfImage.new(pdf)
    obj.load_jpeg(jpeg(image), pages=[page])
    obj.set_matrix(pdfium.PdfMatrix().scale(x1 - x0, bottom - top)
                   .translate(x0, page.get_height() - bottom))
    page.insert_obj(obj)


def seal(side: int, colour: tuple[int, int, int]) -> Image.Image:
    """A round seal or logo: a ring with a star-like mark, `side` pixels square."""
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, side - 4, side - 4), outline=colour, width=max(side // 20, 2))
    c, r = side / 2, side / 5
    draw.polygon([(c, c - r), (c + r * 0.3, c - r * 0.3), (c + r, c - r * 0.2),
                  (c + r * 0.4, c + r * 0.3), (c + r * 0.6, c + r), (c, c + r * 0.5),
                  (c - r * 0.6, c + r), (c - r * 0.4, c + r * 0.3), (c - r, c - r * 0.2),
                  (c - r * 0.3, c - r * 0.3)], fill=colour)
    return image


def write_fixture() -> None:
    """Write FIXTURE (tests/fixtures/ocr/README.md says what it holds)."""
    box = table_box(SOURCE, 11)
    src = pdfium.PdfDocument(SOURCE)
    out = pdfium.PdfDocument.new()
    try:
        scale = DPI / 72
        rendered = src[10].render(scale=scale, grayscale=True).to_pil()
        table = rendered.crop(tuple(round(v * scale) for v in box))
        out.import_pages(src, [10, 9])
        page = out[0]
        height = page.get_height()
        x0, top, x1, bottom = box
        inside = [o for o in page.get_objects(max_depth=1)
                  if o.type in (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH)]
        for obj in inside:
            left, low, right, high = obj.get_bounds()
            mid_x, mid_y = (left + right) / 2, height - (low + high) / 2
            if x0 <= mid_x <= x1 and top <= mid_y <= bottom:
                page.remove_obj(obj)
        place(out, page, table, box)
        page.gen_content()
        second = out[1]
        place(out, second, seal(200, (20, 60, 160)), (40, 20, 95, 75))  # a logo, in the margin
        place(out, second, seal(240, (200, 30, 30)), (60, 90, 180, 210))  # a seal, on text
        second.gen_content()
        with open(FIXTURE, "wb") as f:
            out.save(f)
    finally:
        out.close()
        src.close()


if __name__ == "__main__":
    write_fixture()
