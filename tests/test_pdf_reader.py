"""pipeline.pdf_reader on the two real PDFs, on small PDFs drawn here, and on broken files."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import ReadError
from pipeline.model import Cell, Grid, TextBlock
from pipeline.pdf_reader import read_pdf

SOURCES = Path(__file__).resolve().parent.parent / "sources"
SH_PDF = SOURCES / "sh-putuo-sifaju-2026-budget" / "document.pdf"
JS_PDF = SOURCES / "js-renda-bangongting-2017-budget" / "document.pdf"


@pytest.fixture(scope="module")
def sh():
    return read_pdf(SH_PDF)


@pytest.fixture(scope="module")
def js():
    return read_pdf(JS_PDF)


def grids(doc, page: int) -> list[Grid]:
    return [i for i in doc.pages[page - 1].items if isinstance(i, Grid)]


def texts(doc, page: int) -> list[str]:
    return [i.text for i in doc.pages[page - 1].items if isinstance(i, TextBlock)]


def kinds(doc, page: int) -> list[str]:
    return ["grid" if isinstance(i, Grid) else "text" for i in doc.pages[page - 1].items]


def cell(grid: Grid, text: str) -> Cell:
    """The first cell (in reading order) holding exactly this text."""
    return next(c for c in grid.cells if c.text == text)


# ---------------------------------------------------------------- Shanghai (landscape, WPS)


def test_sh_pages_numbered_from_one_and_blank_page_is_empty(sh):
    assert sh.format == "pdf" and sh.path == SH_PDF
    assert [p.number for p in sh.pages] == list(range(1, 24))
    assert sh.pages[2].items == []


def test_sh_financial_summary_title_unit_then_grid(sh):
    items = sh.pages[9].items
    assert kinds(sh, 10) == ["text", "text", "grid"]
    assert items[0].text == "2026年部门财务收支预算总表"
    assert items[1].text == "编制部门：上海市普陀区司法局 单位：元"
    grid = items[2]
    assert (grid.n_rows, grid.n_cols, grid.page) == (16, 4, 10)
    assert grid.row_pages == [10] * 16
    rows = grid.rows()
    assert rows[1] == ["项目", "预算数", "项目", "预算数"]
    assert ["一、财政拨款收入", "96,282,213.44", "一、公共安全支出", "87,267,272.44"] in rows
    assert ["二、事业收入", "0.00", "", ""] in rows
    assert rows[-1] == ["收入总计", "96,282,213.44", "支出总计", "96,282,213.44"]
    assert cell(grid, "本年收入") == Cell(0, 0, "本年收入", rowspan=1, colspan=2)
    assert cell(grid, "本年支出") == Cell(0, 2, "本年支出", rowspan=1, colspan=2)


def test_sh_income_codes_in_three_columns_and_merged_headers(sh):
    (grid,) = grids(sh, 11)
    rows = grid.rows()
    assert ["204", "06", "01", "行政运行", "16726725.44", "16726725.44", "0.00", "0.00",
            "0.00"] in rows
    assert ["204", "", "", "公共安全支出", "87267272.44", "87267272.44", "0.00", "0.00",
            "0.00"] in rows
    assert rows[2][:3] == ["类", "款", "项"]
    assert cell(grid, "项目") == Cell(0, 0, "项目", colspan=4)
    assert cell(grid, "功能分类科目编码") == Cell(1, 0, "功能分类科目编码", colspan=3)
    assert cell(grid, "功能分类科目名称") == Cell(1, 3, "功能分类科目名称", rowspan=2)
    assert cell(grid, "事业单位经营收入") == Cell(1, 7, "事业单位经营收入", rowspan=2)
    assert cell(grid, "合计") == Cell(1, 4, "合计", rowspan=2)
    assert grid.cells[-6] == Cell(24, 0, "合计", colspan=4)


def test_sh_table_continued_on_next_page_has_rows_only(sh):
    (grid,) = grids(sh, 13)
    assert kinds(sh, 13) == ["grid"]
    assert grid.rows()[0] == ["208", "05", "06", "机关事业单位职业年金缴费支出", "919739.00",
                              "919739.00", "0.00"]
    assert grid.rows()[-1] == ["合计", "", "", "", "96282213.44", "25741666.44", "70540547.00"]


def test_sh_empty_table_note_comes_after_grid(sh):
    assert kinds(sh, 17) == ["text", "text", "grid", "text"]
    assert texts(sh, 17)[-1] == "注:本部门2026年无政府性基金预算财政拨款安排的预算，故本表为空表。"
    (grid,) = grids(sh, 17)
    assert grid.rows()[3][0] == "无"


def test_sh_sangong_table_in_wan_yuan(sh):
    assert texts(sh, 21) == ["2026年部门“三公”经费和机关运行经费预算表",
                             "编制部门：上海市普陀区司法局 单位:万元"]
    (grid,) = grids(sh, 21)
    assert cell(grid, "“三公”经费预算数") == Cell(0, 0, "“三公”经费预算数", colspan=6)
    assert cell(grid, "机关运行经费预算数") == Cell(0, 6, "机关运行经费预算数", rowspan=3)
    assert cell(grid, "公务用车购置及运行费") == Cell(1, 3, "公务用车购置及运行费", colspan=3)
    assert grid.rows()[2][3:6] == ["小计", "购置费", "运行费"]
    assert grid.rows()[3] == ["10.81", "0", "0.83", "9.98", "0", "9.98", "217.83"]


def test_sh_narrative_pages_are_text_only(sh):
    for page in [1, 2, 4, 5, 6, 7, 8, 9, 22, 23]:
        assert set(kinds(sh, page)) == {"text"}, page
    assert texts(sh, 4)[0] == "上海市普陀区司法局主要职能"
    assert texts(sh, 23)[0] == "人民调解项目经费情况说明"


def test_sh_text_clipped_off_a_page_is_not_read_twice(sh):
    # WPS draws the whole section on pages 4 and 5 and clips each to its own part.
    assert texts(sh, 4)[-1] == "负责本区律师、法律援助、司法鉴定、公证和基层法律服务等管理工作。"
    assert texts(sh, 5)[0].startswith("（八）负责本系统警车管理工作")
    assert sh.text().count("（八）负责本系统警车管理工作") == 1


# ------------------------------------------------------------ Jiangsu (portrait, narrow columns)


def test_js_pages_without_text_are_empty_and_chart_page_is_text(js):
    assert len(js.pages) == 31
    assert js.pages[30].items == []
    assert set(kinds(js, 25)) == {"text"}
    assert texts(js, 25)[0] == "图：支出预算图"


def test_js_summary_three_blocks_side_by_side(js):
    assert texts(js, 7) == ["收支预算总表", "部门： 江苏省人大常委会办公厅 单位：万元"]
    (grid,) = grids(js, 7)
    rows = grid.rows()
    assert rows[2] == ["", "", "功能科目名称", "金额", "项目名称", "金额"]
    assert rows[3] == ["一、财政拨款", "13,649.07", "一、一般公共服务支出", "10,528.33",
                       "一、基本支出", "7,666.68"]
    assert rows[5] == ["2.政府性基金预算", "", "三、国防支出", "", "三、单位预留机动经费",
                       "128.43"]
    assert cell(grid, "项目名称") == Cell(1, 0, "项目名称", rowspan=2)
    assert cell(grid, "支出") == Cell(0, 2, "支出", colspan=4)


def test_js_table_over_page_breaks_keeps_its_columns(js):
    assert kinds(js, 8) == ["grid"]
    assert grids(js, 8)[0].rows()[0] == ["", "", "业支出", "", "", ""]
    # Page 9 draws only 4 of the 6 column rules: its cells span the missing ones.
    end = grids(js, 9)[0]
    assert (end.n_cols, end.page, end.row_pages) == (6, 9, [9, 9, 9])
    assert end.rows()[-1] == ["收入合计", "13,649.07", "支出合计", "", "", "13,649.07"]
    assert cell(end, "支出合计") == Cell(2, 2, "支出合计", colspan=3)


def test_js_character_wrapped_headers_are_joined(js):
    expenditure = grids(js, 10)[1]
    assert expenditure.rows() == [
        ["合计", "基本支出", "项目支出", "单位预留机动经费", "结转下年资金"],
        ["13,649.07", "7,666.68", "5,853.96", "128.43", ""],
    ]
    income = grids(js, 9)[1]
    assert cell(income, "一般公共预算资金") == Cell(2, 0, "一般公共预算资金", rowspan=3)
    assert ["", "公共财政拨款(补助)资金", "13,649.07"] in income.rows()


def test_js_function_codes_in_one_column(js):
    (grid,) = grids(js, 11)
    assert grid.rows()[0] == ["功能科目代码", "功能科目名称", "金额"]
    assert ["2010101", "行政运行", "4,545.94"] in grid.rows()
    # Text WPS leaves below the page edge (the next page's tables) is not read.
    assert texts(js, 11) == ["财政拨款支出预算表", "部门： 江苏省人大常委会办公厅 单位：万元"]


def test_js_several_tables_on_one_page_in_reading_order(js):
    assert kinds(js, 15) == ["grid", "text", "text", "grid", "text"]
    assert grids(js, 15)[0].rows() == [["30312", "提租补贴", "1,018.01"]]
    assert texts(js, 15) == ["财政拨款政府性基金支出预算表",
                             "部门： 江苏省人大常委会办公厅 单位：万元", "(无政府性基金支出）"]


def test_js_sangong_row_amounts_in_distinct_cells(js):
    assert kinds(js, 20) == ["text", "text", "text", "grid", "text", "text", "grid"]
    assert texts(js, 20)[3] == "2017年政府采购预算表"
    sangong, procurement = grids(js, 20)
    assert sangong.rows()[-1] == ["2,542.60", "833.60", "222.50", "183.60", "0", "183.60",
                                  "427.50", "1,305.25", "403.75"]
    assert cell(sangong, "合计") == Cell(0, 0, "合计", rowspan=3)
    assert cell(sangong, "“三公”经费") == Cell(0, 1, "“三公”经费", colspan=6)
    assert cell(sangong, "因公出国（境）费") == Cell(1, 2, "因公出国（境）费", rowspan=2)
    assert cell(sangong, "公务用车购置及运行维护费") == Cell(1, 3, "公务用车购置及运行维护费",
                                                          colspan=3)
    assert sangong.rows()[2][3:6] == ["小计", "公务用车购置费", "公务用车运行维护费"]
    assert procurement.rows()[0] == ["采购品目大类", "专项名称", "经济科目", "采购物品名称",
                                     "采购组织形式", "总计"]


def test_js_narrative_pages_are_text_only(js):
    for page in [1, 2, 3, 4, 5, 6, 24, 26, 27, 28, 29, 30]:
        assert set(kinds(js, page)) == {"text"}, page
    assert texts(js, 1)[:2] == ["江苏省人大常委会办公厅", "2017年度部门预算"]


# ---------------------------------------------------------------- tables drawn here

HEADER = [(55, 62, "Code"), (125, 62, "Name"), (255, 62, "Amount")]
BODY = [(55, 82, "201"), (125, 82, "General services"), (300, 82, "10.50"),
        (55, 102, "20101"), (125, 102, "Congress"), (305, 102, "9.25"),
        (125, 122, "Total"), (300, 122, "19.75")]
AROUND = [(50, 30, "Table 1 Expenditure"), (50, 150, "Note: none")]
COLUMNS = [50, 120, 250, 350]
ROWS = [58, 78, 98, 118, 138]
EXPECTED = [["Code", "Name", "Amount"], ["201", "General services", "10.50"],
            ["20101", "Congress", "9.25"], ["", "Total", "19.75"]]
GREY_SQUARE = "q 100 0 0 100 50 50 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x80\x40\x40\x80 EI Q"


def pdf_bytes(pages: list[tuple], size=(400, 300)) -> bytes:
    """A minimal PDF in Helvetica 10pt.

    Each page is (texts, rules[, raw content]): texts are (x, top, string), rules are
    (x0, top0, x1, top1).
    """
    width, height = size
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for words, rules, *raw in pages:
        ops = raw + ["0.5 w"] + [f"{x0} {height - t0} m {x1} {height - t1} l S"
                                 for x0, t0, x1, t1 in rules]
        ops += [f"BT /F1 10 Tf {x} {height - top - 8} Td ({s}) Tj ET" for x, top, s in words]
        stream = "\n".join(ops)
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def read_drawn(tmp_path: Path, words: list, rules: list):
    path = tmp_path / "drawn.pdf"
    path.write_bytes(pdf_bytes([(words, rules)]))
    return read_pdf(path).pages[0].items


def h_rules(ys, x0=50, x1=350):
    return [(x0, y, x1, y) for y in ys]


def v_rules(xs, top=58, bottom=138):
    return [(x, top, x, bottom) for x in xs]


@pytest.mark.parametrize("rules", [
    pytest.param(h_rules(ROWS) + v_rules(COLUMNS), id="fully ruled"),
    pytest.param(h_rules(ROWS[1:-1]) + v_rules(COLUMNS[1:-1]), id="no outer border"),
    pytest.param(h_rules(ROWS) + v_rules(COLUMNS, 58, 78) + v_rules([50, 350]),
                 id="column rules only in header"),
    pytest.param(h_rules(ROWS[:2]) + v_rules(COLUMNS, 58, 78), id="only header ruled"),
    pytest.param(h_rules([58, 78, 138]) + v_rules(COLUMNS), id="no row rules in body"),
])
def test_missing_rules_fall_back_to_text_alignment(tmp_path, rules):
    items = read_drawn(tmp_path, HEADER + BODY + AROUND, rules)
    assert [type(i).__name__ for i in items] == ["TextBlock", "Grid", "TextBlock"]
    assert items[0].text == "Table 1 Expenditure"
    assert items[1].rows() == EXPECTED
    assert items[2].text == "Note: none"


def test_merged_header_and_wrapped_latin_text(tmp_path):
    words = [(130, 62, "Budget"), (55, 82, "Office"), (55, 94, "supplies"),
             (255, 82, "12"), (255, 94, "34")]
    rules = h_rules([58, 78, 118], 50, 350) + v_rules([50, 350], 58, 118) + v_rules([250], 78, 118)
    (grid,) = read_drawn(tmp_path, words, rules)
    assert grid.cells == [Cell(0, 0, "Budget", colspan=2), Cell(1, 0, "Office supplies"),
                          Cell(1, 1, "1234")]


@pytest.mark.parametrize("clip, shown", [
    ("0 150 400 150 re W n", ["Shown"]),
    ("q 0 150 400 150 re W n Q", ["Shown", "Also shown"]),
])
def test_text_clipped_away_is_not_read(tmp_path, clip, shown):
    path = tmp_path / "clipped.pdf"
    path.write_bytes(pdf_bytes([([(50, 50, "Shown"), (50, 200, "Also shown")], [], clip)]))
    assert [b.text for b in read_pdf(path).items()] == shown


def test_table_running_past_the_clip_keeps_its_visible_rows(tmp_path):
    path = tmp_path / "clipped.pdf"
    rules = h_rules(ROWS + [178]) + v_rules(COLUMNS, 58, 178)
    hidden = [(55, 150, "30101"), (300, 150, "1.00")]
    path.write_bytes(pdf_bytes([(HEADER + BODY + hidden, rules, "0 160 400 140 re W n")]))
    (grid,) = read_pdf(path).pages[0].items
    assert grid.rows() == EXPECTED


def test_a_lone_box_is_not_a_table(tmp_path):
    items = read_drawn(tmp_path, [(60, 62, "Framed remark")],
                       h_rules([58, 78], 50, 350) + v_rules([50, 350], 58, 78))
    assert items == [TextBlock("Framed remark", page=1)]


# ---------------------------------------------------------------- files that cannot be read


def read_error(path: Path) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_pdf(path)
    assert info.value.path == path and path.name in str(info.value)
    return info.value


def test_not_a_pdf(tmp_path):
    path = tmp_path / "page.pdf"
    path.write_text("<html><body>404 Not Found</body></html>")
    assert read_error(path).message.startswith("not a PDF")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert read_error(empty).message == "not a PDF: the file is empty"


def test_truncated_pdf(tmp_path):
    data = SH_PDF.read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert read_error(path).message.startswith("truncated or corrupt PDF")


def test_pdf_without_pages(tmp_path):
    path = tmp_path / "zero.pdf"
    path.write_bytes(pdf_bytes([]))
    assert read_error(path).message == "PDF has no pages"


def test_image_page_among_text_pages_is_an_empty_page(tmp_path):
    path = tmp_path / "chart.pdf"
    path.write_bytes(pdf_bytes([([(50, 50, "Narrative")], []), ([], [], GREY_SQUARE)]))
    doc = read_pdf(path)
    assert [p.items for p in doc.pages] == [[TextBlock("Narrative", page=1)], []]


def test_pdf_without_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    page = Image.new("L", (200, 280), 200)
    page.save(path, save_all=True, append_images=[page, page])
    assert read_error(path).message == (
        "no text layer on pages 1-3; contribute a transcript or an OCR'd PDF")


FULL_PAGE_SCAN = GREY_SQUARE.replace("100 0 0 100 50 50 cm", "380 0 0 280 10 10 cm")


def test_scanned_pages_among_text_pages_are_named(tmp_path):
    """A text cover before scanned pages (one with only its page number as text) is still
    a scan: the error names the pages without a text layer."""
    from pipeline.extract import extract_document
    path = tmp_path / "mostly-scanned.pdf"
    path.write_bytes(pdf_bytes([([(50, 50, "Budget 2024")], []), ([], [], GREY_SQUARE),
                                ([(190, 285, "3")], [], FULL_PAGE_SCAN)]))
    assert read_pdf(path).image_pages == [2, 3]
    with pytest.raises(ReadError) as err:
        extract_document(path, "mostly-scanned")
    assert err.value.message == ("no text layer on pages 2-3; contribute a transcript or an "
                                 "OCR'd PDF")


def test_a_scanned_page_in_a_disclosure_is_a_warning(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from pipeline.extract import extract_document
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(pdf_bytes([([], [], FULL_PAGE_SCAN)]))
    writer = pypdf.PdfWriter(clone_from=SH_PDF)
    writer.append(str(scan))
    path = tmp_path / "with-scan.pdf"
    writer.write(path)
    out = extract_document(path, "with-scan")
    assert len(out.tables) == 9 and out.pages == 24
    assert "no text layer on page 24 (scanned images): any table there is not read; " \
           "contribute a transcript or an OCR'd PDF" in out.warnings


def encrypted_copy(tmp_path: Path, **encrypt) -> Path:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=SH_PDF)
    writer.encrypt(**encrypt)
    path = tmp_path / "encrypted.pdf"
    writer.write(path)
    return path


def test_pdf_needing_a_user_password(tmp_path):
    path = encrypted_copy(tmp_path, user_password="secret", owner_password="owner")
    assert "encrypted with a user password" in read_error(path).message


def test_pdf_with_only_permission_restrictions_is_read(tmp_path):
    path = encrypted_copy(tmp_path, user_password="", owner_password="owner",
                          permissions_flag=-3904, algorithm="AES-128")
    doc = read_pdf(path)
    assert ["一、财政拨款收入", "96,282,213.44", "一、公共安全支出",
            "87,267,272.44"] in grids(doc, 10)[0].rows()
