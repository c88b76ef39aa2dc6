"""Scanned pages read by OCR (pipeline/read/ocr/), and their tables published only where the
identities prove them (pipeline/check/ocr.py).

The fixtures in tests/fixtures/ocr/ are pages of PDFs in sources/ rendered to images with no
text layer (benchmarks/ocr.py --fixtures; its README says which): each scanned table must
read as the text layer of the same page reads. OCR takes seconds a page, so the tests that
run the engine read four pages in all (the whole-corpus comparison is benchmarks/ocr.py);
they are skipped where the `ocr` extra is not installed (the `test` extra installs it).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conftest import needs_ocr_engine, pdf_pages
from pipeline.check.engine import run_checks
from pipeline.check.ocr import withhold_unproven
from pipeline.errors import ReadError, RecognitionError
from pipeline.extract import Extraction, extract_document
from pipeline.metadata.registry import BY_NAME
from pipeline.publish.package import table_rows
from pipeline.read import ocr
from pipeline.read.ocr import engine
from pipeline.sources import Acknowledgement

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "ocr"
TONGJI = ROOT / "sources" / "gd-shenzhen-tongjiju-2026-budget" / "document.pdf"
SIFAJU = ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf"
JUNMIN = ROOT / "sources" / "bj-city-junminronghe-2026-budget" / "tables.pdf"
INSTALL = "install the OCR extra: pip install -e '.[ocr]'"


def cells(extraction: Extraction, page: int | None = None) -> dict[tuple, object]:
    """Every published cell (resource, row key, field) -> value, of the rows from `page` (or
    all); the title as printed is left out of the key, as it is no amount."""
    out = {}
    for resource, rows in extraction.rows.items():
        spec = BY_NAME[resource]
        key_fields = [k for k in spec.primary_key if k != "source_table"]
        for row in rows:
            if page is None or row.get("source_page") == page:
                key = tuple(row.get(k) for k in key_fields)
                for name, value in row.items():
                    if name not in ("source_table", "document_id"):
                        out[(resource, key, name)] = value
    return out


def amounts(extraction: Extraction) -> dict[tuple, object]:
    return {k: v for k, v in cells(extraction).items()
            if k[2] in BY_NAME[k[0]].amount_fields() and v is not None}


# --------------------------------------------------------------- the engine at work


@needs_ocr_engine
def test_a_scanned_table_reads_as_its_text_layer_does(tmp_path):
    """Table 2 of 普陀区司法局 (page 11), scanned at 150 dpi: every cell published, codes,
    names and amounts, is the text route's, its identities prove it, and document_tables
    says OCR read it."""
    scanned = extract_document(FIXTURES / "clean-table.pdf", "scan")
    text = extract_document(pdf_pages(tmp_path, SIFAJU, [11]), "scan")
    assert [(t.kind, t.status, t.reader) for t in scanned.tables] == \
        [(t.kind, "extracted", "ocr") for t in text.tables]
    assert len(amounts(text)) > 80
    assert cells(scanned) == cells(text)
    assert {row["reader"] for row in table_rows("scan", scanned)} == {"ocr"}
    assert {row["reader"] for row in table_rows("scan", text)} == {"pdf"}
    assert scanned.document.ocr_pages == [1] and scanned.document.image_pages == [1]


@needs_ocr_engine
def test_a_scan_fed_askew_is_straightened_and_reads_the_same(tmp_path):
    """The same page turned 2.5 degrees, as a sheet fed askew."""
    scanned = extract_document(FIXTURES / "skewed-table.pdf", "scan")
    text = extract_document(pdf_pages(tmp_path, SIFAJU, [11]), "scan")
    assert [t.status for t in scanned.tables] == ["extracted"]
    assert amounts(scanned) == amounts(text)


@needs_ocr_engine
def test_a_number_the_line_finder_breaks_in_two_is_read_whole(tmp_path):
    """预算02表收入总表 of 军民融合 (page 3 of its tables, 200 dpi), amounts of six decimals
    in 5.5 pt: the line finder breaks 8,316.350430 into 8,316. and 350430, boxes whose ink
    overlaps; read again as one, every amount is the text route's and the table published."""
    scanned = extract_document(FIXTURES / "split-number.pdf", "scan")
    text = extract_document(pdf_pages(tmp_path, JUNMIN, [3]), "scan")
    assert [(t.status, t.reader) for t in scanned.tables] == [("extracted", "ocr")]
    assert Decimal("83163504.300000") in amounts(text).values()
    assert amounts(scanned) == amounts(text)


@needs_ocr_engine
def test_a_misread_digit_is_caught_by_the_identities_and_the_table_withheld(monkeypatch):
    """One amount the engine reads wrong (16726725.44 as 16126725.44: 2040601 行政运行):
    the column no longer adds up to the total, nor 20406 to its lines, so the table is not
    published, and the reason names the comparisons that fail."""
    read_text = engine.read_text
    changed = []

    def misreading(pixels, *args):
        boxes = read_text(pixels, *args)
        for i, box in enumerate(boxes):
            if box.text == "16726725.44" and not changed:
                boxes[i] = engine.TextBox("16126725.44", box.x0, box.top, box.x1, box.bottom,
                                          box.score)
                changed.append(box)
        return boxes

    monkeypatch.setattr(engine, "read_text", misreading)
    with pytest.raises(RecognitionError) as err:  # its only table: the document gives nothing
        extract_document(FIXTURES / "clean-table.pdf", "scan")
    assert changed, "the engine did not read 16726725.44 where the test alters it"
    assert err.value.message == (
        "no standard table could be read: table '2026年部门收入预算总表', page 1: OCR: "
        "identities fail at lines_sum_to_total: income_by_source total (expected 95682213.44, "
        "read 96282213.44); code_hierarchy: income_by_source[] 20406 total (expected "
        "86667272.44, read 87267272.44)")


@needs_ocr_engine
def test_a_scanned_page_among_text_pages_is_read(tmp_path):
    """Tables 1 and 4 of 普陀区司法局 as text, the “三公” table between them scanned: all
    three published, the scanned one by OCR, each cell as the text route reads it."""
    mixed = extract_document(FIXTURES / "mixed.pdf", "mixed")
    text = extract_document(pdf_pages(tmp_path, SIFAJU, [10, 21, 14]), "mixed")
    assert mixed.document.image_pages == [2] and mixed.document.ocr_pages == [2]
    assert [(t.page, t.status, t.reader) for t in mixed.tables] == \
        [(1, "extracted", "pdf"), (2, "extracted", "ocr"), (3, "extracted", "pdf")]
    assert cells(mixed, page=2) == cells(text, page=2) != {}
    assert cells(mixed) == cells(text)
    assert not any("no text layer" in w for w in mixed.warnings)


# --------------------------------------------------------------- without the engine


def test_without_the_extra_a_scan_says_to_install_it(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(ReadError) as err:
        extract_document(FIXTURES / "clean-table.pdf", "scan")
    assert err.value.message == f"page 1 has no text layer; {INSTALL}"


def test_without_the_extra_the_text_pages_still_read(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    mixed = extract_document(FIXTURES / "mixed.pdf", "mixed")
    assert [(t.page, t.status, t.reader) for t in mixed.tables] == \
        [(1, "extracted", "pdf"), (3, "extracted", "pdf")]
    assert f"page 2 has no text layer, so any table there is not read; {INSTALL}" in mixed.warnings


def test_without_the_extra_reading_by_ocr_on_request_is_an_error(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(ReadError) as err:
        extract_document(SIFAJU, "sifaju", ocr=True)
    assert err.value.message == f"reading it by OCR needs the engine; {INSTALL}"


# --------------------------------------------------------------- the proof, on its own


def as_if_read_by_ocr(extraction: Extraction, title: str) -> dict[int, dict[str, list[dict]]]:
    """Mark the table titled `title` as read by OCR; its rows, as extract.py passes them."""
    [table] = [t for t in extraction.tables if t.title == title]
    table.reader = "ocr"
    return {id(table): {name: [r for r in rows if r["source_table"] == title]
                        for name, rows in extraction.rows.items()}}


def text_extraction(tmp_path) -> Extraction:
    """Tables 1, 2 and 4 of 普陀区司法局 read from their text layer (no engine needed)."""
    return extract_document(pdf_pages(tmp_path, SIFAJU, [10, 11, 14]), "sifaju")


def test_a_table_its_identities_prove_stays_published(tmp_path):
    extraction = text_extraction(tmp_path)
    before = {name: list(rows) for name, rows in extraction.rows.items()}
    withhold_unproven(extraction, as_if_read_by_ocr(extraction, "2026年部门收入预算总表"))
    assert [t.status for t in extraction.tables] == ["extracted"] * 3
    assert extraction.rows == before


def test_an_amount_that_breaks_an_identity_withholds_its_table_alone(tmp_path):
    """One amount of table 2 off by 1 万元 (2040601 行政运行's appropriation): the column no
    longer adds up to the total, nor 20406 to its lines, so table 2 is withheld with the
    failing comparisons named; tables 1 and 4 (read from the text layer) stay."""
    extraction = text_extraction(tmp_path)
    title = "2026年部门收入预算总表"
    by_ocr = as_if_read_by_ocr(extraction, title)
    line = next(r for r in extraction.rows["income_by_source"]
                if r["function_code"] == "2040601")
    line["appropriation"] += 10000
    withhold_unproven(extraction, by_ocr)
    assert [t.status for t in extraction.tables] == ["extracted", "not_extracted", "extracted"]
    reason = extraction.tables[1].reason
    assert reason.startswith("OCR: identities fail at ")
    assert "lines_sum_to_total: income_by_source appropriation (expected 96292213.44, read " \
           "96282213.44)" in reason
    assert "code_hierarchy: income_by_source[] 20406 appropriation" in reason
    assert extraction.tables[1].rows == 0 and not extraction.rows.get("income_by_source")
    assert extraction.rows["income_expenditure_summary"]


def test_a_publishers_error_read_with_its_acknowledged_figures_is_published(tmp_path):
    """The same table as above, as if the publisher had printed that amount off by 1 万元:
    source.yml acknowledges the failures the checks report, with their figures. Read by OCR
    with exactly those figures, the error is the publisher's read right, and the table is
    published; acknowledged without figures, or with other ones, it is still withheld."""
    def misprinted() -> tuple[Extraction, dict]:
        extraction = text_extraction(tmp_path)
        by_ocr = as_if_read_by_ocr(extraction, "2026年部门收入预算总表")
        next(r for r in extraction.rows["income_by_source"]
             if r["function_code"] == "2040601")["appropriation"] += 10000
        return extraction, by_ocr

    extraction, by_ocr = misprinted()
    failing = [r for r in run_checks("sifaju", extraction) if r["status"] == "fail"]
    assert {r["rule"] for r in failing} >= {"lines_sum_to_total", "code_hierarchy"}

    def acknowledged(figures: bool, off: int = 0) -> list[Acknowledgement]:
        return [Acknowledgement(rule=r["rule"], subject=r["subject"], explanation="印错一个数",
                                **({"expected": r["expected"], "actual": r["actual"] + off}
                                   if figures else {})) for r in failing]

    withhold_unproven(extraction, by_ocr, acknowledged(figures=True))
    assert [t.status for t in extraction.tables] == ["extracted"] * 3
    assert len(extraction.rows["income_by_source"]) == extraction.tables[1].rows > 0
    for acks in (acknowledged(figures=False), acknowledged(figures=True, off=1)):
        extraction, by_ocr = misprinted()
        withhold_unproven(extraction, by_ocr, acks)
        assert [t.status for t in extraction.tables] == \
            ["extracted", "not_extracted", "extracted"]


def test_table_4_alone_is_proven_by_its_own_lines_and_totals(tmp_path):
    """Table 4 read by OCR with no other table: its balance (收入总计 = 支出总计) and its
    lines adding up to them prove it, so it stays published."""
    extraction = extract_document(pdf_pages(tmp_path, SIFAJU, [14]), "sifaju")
    [table] = extraction.tables
    withhold_unproven(extraction, as_if_read_by_ocr(extraction, table.title))
    assert (table.status, table.reason) == ("extracted", None)
    total = next(r for r in extraction.rows["appropriation_summary"]
                 if r["item_code"] == "expenditure_total")
    assert total["total"] == Decimal("96282213.44")


def test_a_table_no_identity_covers_is_withheld_as_unproven(tmp_path):
    """Table 4 (财政拨款收支总表) alone, read by OCR, as if it printed no 总计 lines: its
    lines have no total to add up to, and table 5, its classes' other witness, is absent,
    so no rule proves an amount of it."""
    extraction = extract_document(pdf_pages(tmp_path, SIFAJU, [14]), "sifaju")
    [table] = extraction.tables
    rows = extraction.rows["appropriation_summary"]
    rows[:] = [r for r in rows if r["item_code"] not in ("income_total", "expenditure_total")]
    withhold_unproven(extraction, as_if_read_by_ocr(extraction, table.title))
    assert (table.status, table.reason) == ("not_extracted", "OCR: no identity proves its amounts")


# --------------------------------------------------------------- the pieces


def test_the_recognizers_look_alikes_are_undone():
    from pipeline.read.ocr.grid import clean_text, correct, lexicon
    assert [clean_text(t) for t in ("5, 417. 80", "1，234。56", "1O.81", "O", "OCR", "0.00",
                                    "13656.34_万元")] == \
        ["5,417.80", "1,234.56", "10.81", "0", "OCR", "0.00", "13656.34万元"]
    words = lexicon("budget")  # the words of pipeline/families/budget.yml
    assert [correct(t, words) for t in ("本年收人", "事业收人", "人员经费", "个人", "投入")] == \
        ["本年收入", "事业收入", "人员经费", "个人", "投入"]


@needs_ocr_engine
def test_a_page_turned_a_few_degrees_is_measured_and_its_rules_found():
    """A drawn grid of 4 columns and 6 rows with text-sized marks in its cells, turned 2
    degrees: straightened within a tenth of a degree, its 7 row rules and 5 column rules
    found, and no mark taken for a rule."""
    import cv2
    import numpy as np

    from pipeline.read.ocr.image import PageImage, straighten, strokes
    from pipeline.read.ocr.settings import OcrSettings
    pixels = np.full((1400, 1000), 255, np.uint8)
    for y in range(200, 1401 - 200, 160):
        cv2.line(pixels, (100, y), (900, y), 0, 2)
    for x in range(100, 901, 200):
        cv2.line(pixels, (x, 200), (x, 1160), 0, 2)
    for y in range(240, 1160, 160):
        for x in range(130, 900, 200):
            cv2.putText(pixels, "1,234.5", (x, y + 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    turned = cv2.warpAffine(pixels, cv2.getRotationMatrix2D((500, 700), -2.0, 1.0), (1000, 1400),
                            borderValue=255)
    settings = OcrSettings()
    image = straighten(PageImage(turned, 200), settings)
    assert abs(image.turned - 2.0) <= 0.1
    horizontal, vertical = strokes(image, settings)
    assert (len(horizontal), len(vertical)) == (7, 5)


@needs_ocr_engine
def test_a_box_is_widened_over_ink_on_its_line_not_the_next_lines():
    """Ink beside a box at the height of its text (the 一 of 一、, black or rendered pale
    grey) widens it; the top strokes of the line below, in the box's lower margin, do not
    (费 of a name wrapped onto a second line, read as a comma before the first), nor a
    pale column a pixel or two wide (the edge of a wiped rule)."""
    import numpy as np

    from pipeline.read.ocr.image import PageImage, widened
    pixels = np.full((100, 400), 255, np.uint8)
    pixels[18:32, 110:190] = 0  # the box's text
    box = (100, 10, 200, 40)
    below = pixels.copy()
    below[36:41, 70:95] = 0  # the next line's top strokes, in the box's margin
    assert widened(PageImage(below, 200), box, []) is None
    beside = pixels.copy()
    beside[24:27, 70:90] = 0  # 一, on the line
    assert widened(PageImage(beside, 200), box, []) == (70, 10, 201, 41)
    pale = pixels.copy()
    pale[24:26, 80:98] = 170  # 一 at 200 dpi, two rows of grey
    assert widened(PageImage(pale, 200), box, []) == (72, 10, 201, 41)
    edge = pixels.copy()
    edge[:, 84:86] = 170
    assert widened(PageImage(edge, 200), box, []) is None



def test_a_box_over_the_line_another_box_reads_is_cut_back_to_its_own():
    """A box cut from a line-finder box over two lines of a header cell (公务用车运行 over
    维护费, the second line read by its own box) is cut back to its line, so the two lines'
    characters are not taken for one line; a box whose second line nobody else reads, or a
    box of one line, keeps its rows."""
    import numpy as np

    from pipeline.read.ocr.image import PageImage, own_rows
    pixels = np.full((120, 400), 255, np.uint8)
    pixels[20:40, 100:300] = 0  # 公务用车运行
    pixels[50:70, 150:250] = 0  # 维护费, below it
    image = PageImage(pixels, 200)
    tall, second = (90, 10, 310, 75), (140, 45, 260, 78)
    assert own_rows(image, tall, [second]) == (20.0, 40.0)
    assert own_rows(image, tall, []) is None
    assert own_rows(image, second, [tall]) is None  # one band of ink: nothing to cut
    assert own_rows(image, (90, 15, 310, 45), [second]) is None


def test_the_strokes_of_a_large_titles_characters_are_no_rules():
    """A large title's horizontal strokes, joined with the next character's (款基 of
    财政拨款基本支出预算表: one run half an inch long), are crossed by the characters'
    vertical strokes all along: no rule, so not wiped from the title (it read 财政拨款：木支出…).
    The rules of a table under it, crossed only where its column rules run, are rules."""
    import numpy as np

    from pipeline.read.ocr.image import PageImage, strokes
    from pipeline.read.ocr.settings import OcrSettings
    pixels = np.full((700, 1000), 255, np.uint8)
    pixels[100:104, 300:400] = 0  # the title's joined strokes, 0.5 inch at 200 dpi
    pixels[130:134, 300:400] = 0
    for x in range(305, 400, 12):  # the characters' strokes across them
        pixels[92:142, x:x + 5] = 0
    for y in (300, 400, 500, 600):  # a table: 4 row rules, 5 column rules
        pixels[y:y + 2, 100:900] = 0
    for x in range(100, 901, 200):
        pixels[300:602, x:x + 2] = 0
    horizontal, vertical = strokes(PageImage(pixels, 200), OcrSettings())
    assert sorted(round(s.pos) for s in horizontal) == [301, 401, 501, 601]
    assert sorted(round(s.pos) for s in vertical) == [101, 301, 501, 701, 901]


def test_a_large_titles_one_boxed_apart_is_read_with_its_line(monkeypatch):
    """The line finder boxes a large title's 一 apart, and the box of the rest of the line
    takes in its tail as '-' (一-般公共预算支出预算表 named no table): the two are read again
    as one box."""
    import numpy as np

    seen = []

    def read_again(pixels, box, detect_side=1280):
        seen.append(box)
        return engine.TextBox("一般公共预算支出预算表", *box, 0.99)

    monkeypatch.setattr(engine, "read_line", read_again)
    pixels = np.full((500, 1400), 255, np.uint8)
    one = engine.TextBox("一", 442, 371, 487, 397, 0.87)
    rest = engine.TextBox("-般公共预算支出预算表", 465, 356, 1258, 414, 0.98)
    [whole] = engine._joined(pixels, [rest, one], 1280)
    assert whole.text == "一般公共预算支出预算表" and (whole.x0, whole.x1) == (442, 1258)
    # a box of one line beside the taller box of two lines of a cell stays apart
    top_line = engine.TextBox("公务用车运行", 442, 371, 700, 397, 0.99)
    assert len(engine._joined(pixels, [rest, top_line], 1280)) == 2
