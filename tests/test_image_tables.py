"""Tables pasted as images on pages that have a text layer (a title, 单位, a page number):
found by the PDF reader (`table_images`), read by OCR (the image alone, joined with the
page's own text layer), and named as unread where the OCR extra is not installed.

tests/fixtures/ocr/image-table.pdf (benchmarks/ocr_fixtures_image_table.py) is page 11 of
普陀区司法局 with its table printed as an image under its title and 单位 line in text, then
page 10 of the same document, its text layer whole, with a logo and a seal on it. The one
test that runs the engine reads one page.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from conftest import needs_ocr_engine, pdf_pages
from pipeline.errors import ReadError
from pipeline.extract import Extraction, extract_document
from pipeline.metadata.registry import BY_NAME
from pipeline.model import Document, Page
from pipeline.publish.package import table_rows
from pipeline.read import ocr
from pipeline.read.ocr import pages_as_images
from pipeline.read.pdf import ReaderSettings, read_pdf

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "ocr" / "image-table.pdf"
SIFAJU = ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf"
CHART = ROOT / "sources" / "bj-city-fuzhongxin-2026-budget" / "narrative.pdf"
INSTALL = "install the OCR extra: pip install -e '.[ocr]'"


def cells(extraction: Extraction) -> dict[tuple, object]:
    """Every published cell (resource, row key, field) -> value."""
    out = {}
    for resource, rows in extraction.rows.items():
        spec = BY_NAME[resource]
        for row in rows:
            key = tuple(row.get(k) for k in spec.primary_key)
            for name, value in row.items():
                if name != "document_id":
                    out[(resource, key, name)] = value
    return out


# --------------------------------------------------------------- found by the PDF reader


def test_a_table_image_under_a_text_title_is_found():
    """Page 1: its title and 单位 line are text, its table an image (41% of the page) with
    no text over it: listed with the scans for OCR, the image's box kept. Page 2's logo and
    seal (under 3% of the page each) are no table."""
    doc = read_pdf(FIXTURE)
    assert doc.image_pages == [1]
    assert [[tuple(round(v) for v in b) for b in p.table_images] for p in doc.pages] == \
        [[(163, 118, 678, 521)], []]
    assert [i.text for i in doc.pages[0].items] == ["2026年部门收入预算总表",
                                                    "编制部门：上海市普陀区司法局 单位：元"]


def test_an_image_smaller_than_a_table_is_not_one():
    """The logo on page 2 has no text over it either: only its size (0.6% of the page, under
    `image_table_cover`) keeps it out; taken as small as it is, it would be read by OCR."""
    assert read_pdf(FIXTURE).pages[1].table_images == []
    small = read_pdf(FIXTURE, ReaderSettings(image_table_cover=0.005))
    assert [tuple(round(v) for v in b) for b in small.pages[1].table_images] == \
        [(40, 20, 95, 75)]


def test_a_table_image_cut_in_strips_is_one(tmp_path):
    """Two strips of one table image under a text title, each under a quarter of the page,
    touching: one table image, its box the two together."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "strips.pdf"
    canvas = Canvas(str(path), pagesize=(842, 595), invariant=1)
    canvas.setFont("Helvetica", 14)
    canvas.drawString(100, 595 - 80, "Table 2 Income budget")
    for top in (100, 250):  # 600 x 150 pt each: 18% of the page
        strip = Image.new("L", (1200, 300), 255)
        ImageDraw.Draw(strip).rectangle((2, 2, 1197, 297), outline=0, width=2)
        canvas.drawImage(ImageReader(strip), 100, 595 - top - 150, 600, 150)
    canvas.showPage()
    canvas.save()
    doc = read_pdf(path)
    assert [[tuple(round(v) for v in b) for b in p.table_images] for p in doc.pages] == \
        [[(100, 100, 700, 400)]]
    assert doc.image_pages == [1]


def test_a_chart_in_a_narrative_is_no_table(tmp_path):
    """A real narrative page (北京市妇女儿童中心... page 4) with a pie chart image (15% of
    the page) under its text: read from its text layer, as before."""
    doc = read_pdf(pdf_pages(tmp_path, CHART, [4]))
    assert doc.image_pages == [] and doc.pages[0].table_images == []
    assert any("上年结转结余" in i.text for i in doc.pages[0].items)


def test_scans_and_table_images_are_named_apart():
    doc = Document(Path("x.pdf"), "pdf", [Page(2), Page(3, table_images=[(0, 0, 9, 9)]),
                                          Page(4, table_images=[(0, 0, 9, 9)])],
                   image_pages=[2, 3, 4])
    assert pages_as_images(doc, [2, 3]) == \
        "page 2 has no text layer and page 3 has a table printed as an image"
    assert pages_as_images(doc, [3, 4]) == "pages 3-4 have tables printed as images"
    assert pages_as_images(doc, [2]) == "page 2 has no text layer"


# --------------------------------------------------------------- without the OCR extra


def test_without_the_extra_the_table_image_is_named_unread(monkeypatch, tmp_path):
    """The page's table is not silently lost: the document's other table still reads, with
    a warning naming the page; a document with no other table fails naming it."""
    monkeypatch.setattr(ocr, "available", lambda: False)
    out = extract_document(FIXTURE, "image-table")
    assert [(t.page, t.status, t.reader) for t in out.tables] == [(2, "extracted", "pdf")]
    assert f"page 1 has a table printed as an image, so any table there is not read; " \
           f"{INSTALL}" in out.warnings
    assert out.document.ocr_pages == []
    with pytest.raises(ReadError) as err:
        extract_document(pdf_pages(tmp_path, FIXTURE, [1]), "image-table")
    assert err.value.message == f"page 1 has a table printed as an image; {INSTALL}"


# --------------------------------------------------------------- read by OCR


@needs_ocr_engine
def test_the_table_image_reads_as_its_text_layer_does(tmp_path):
    """With OCR, page 1's table is read from its image and its title from the text layer:
    every published cell, the title as printed included, is the text route's on the
    original pages (11 and 10); the table says OCR read it, and it is published because
    its identities prove it. Page 2 is still read from its text layer."""
    read = extract_document(FIXTURE, "image-table")
    text = extract_document(pdf_pages(tmp_path, SIFAJU, [11, 10]), "image-table")
    assert [(t.title, t.status, t.reader) for t in read.tables] == \
        [("2026年部门收入预算总表", "extracted", "ocr"),
         ("2026年部门财务收支预算总表", "extracted", "pdf")]
    assert [(t.title, t.status, t.reader) for t in text.tables] == \
        [("2026年部门收入预算总表", "extracted", "pdf"),
         ("2026年部门财务收支预算总表", "extracted", "pdf")]
    assert read.document.image_pages == [1] and read.document.ocr_pages == [1]
    income = {(r["line_type"], r["function_code"]): r["total"]
              for r in read.rows["income_by_source"]}
    assert income[("item", "204")] == Decimal("87267272.44")
    assert income[("item", "2040601")] == Decimal("16726725.44")
    assert income[("total", None)] == Decimal("96282213.44")
    assert len(cells(text)) > 100
    assert cells(read) == cells(text)
    assert [row["reader"] for row in table_rows("image-table", read)] == ["ocr", "pdf"]
    assert not read.warnings
