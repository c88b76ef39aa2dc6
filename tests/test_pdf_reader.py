"""pipeline.read.pdf on the two real PDFs, on small PDFs drawn here, and on broken files."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import ReadError, RecognitionError
from pipeline.model import Cell, Grid, TextBlock
from pipeline.read.pdf import ReaderSettings, read_pdf
from pipeline.read.pdf.unruled import AMOUNT
from pipeline.recognize.tables import count_header_rows, header_paths, recognize

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
    pytest.param([], id="no rules at all"),
])
def test_missing_rules_fall_back_to_text_alignment(tmp_path, rules):
    items = read_drawn(tmp_path, HEADER + BODY + AROUND, rules)
    assert [type(i).__name__ for i in items] == ["TextBlock", "Grid", "TextBlock"]
    assert items[0].text == "Table 1 Expenditure"
    assert items[1].rows() == EXPECTED
    assert items[2].text == "Note: none"


def filled_bars(rules: list, height: int = 300, thick: float = 0.75) -> str:
    """Rules drawn as thin filled polygons, the way Guangzhou's PDFs draw every table rule."""
    ops = []
    for x0, t0, x1, t1 in rules:
        if t0 == t1:
            x0, y0, x1, y1 = x0, height - t0 - thick / 2, x1, height - t0 + thick / 2
        else:
            x0, y0, x1, y1 = x0 - thick / 2, height - t1, x0 + thick / 2, height - t0
        ops.append(f"{x0} {y0} m {x1} {y0} l {x1} {y1} l {x0} {y1} l {x0} {y0} l h f")
    return "\n".join(ops)


def test_rules_drawn_as_thin_filled_polygons(tmp_path):
    path = tmp_path / "filled.pdf"
    raw = filled_bars(h_rules(ROWS) + v_rules(COLUMNS))
    path.write_bytes(pdf_bytes([(HEADER + BODY + AROUND, [], raw)]))
    items = read_pdf(path).pages[0].items
    assert [type(i).__name__ for i in items] == ["TextBlock", "Grid", "TextBlock"]
    assert items[1].rows() == EXPECTED


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


# ---------------------------------------------------------------- tables drawn without rules

UNRULED = Path(__file__).parent / "fixtures" / "unruled-table.pdf"


def draw_unruled(path: Path) -> None:
    """tests/fixtures/unruled-table.pdf: a 收入总体情况表 printed without any rule, the way
    Excel prints a sheet without borders: title, unit line, a two-level header (本年收入
    centred over three columns, 上年结转结余 wrapped), amounts right-aligned, a remark set
    right after the last amount, a unit's name wrapped around its row, a note."""
    import pdfgen
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas
    if pdfgen.FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(pdfgen.FONT, str(pdfgen.FONT_FILE), subfontIndex=0))
    height = 300
    canvas = Canvas(str(path), pagesize=(680, height), invariant=1)

    def text(x, top, s, size=9, align="left"):
        canvas.setFont(pdfgen.FONT, size)
        draw = {"left": canvas.drawString, "right": canvas.drawRightString,
                "centre": canvas.drawCentredString}[align]
        draw(x, height - top, s)

    text(340, 40, "收入总体情况表", 14, "centre")
    text(40, 62, "单位名称：示例局")
    text(640, 62, "单位：万元", align="right")
    for x, top, label in [(100, 92, "单位名称"), (200, 92, "合计"), (360, 82, "本年收入"),
                          (280, 100, "小计"), (360, 100, "一般公共预算"),
                          (440, 100, "政府性基金"), (520, 87, "上年结转"), (520, 98, "结余"),
                          (600, 92, "备注")]:
        text(x, top, label, align="centre")
    top = 122
    for row in UNRULED_BODY:
        if len(row[0]) > 5:  # wrapped, centred on its row
            text(40, top - 6, row[0][:5])
            text(40, top + 6, row[0][5:])
        else:
            text(40, top, row[0])
        for x, amount in zip((236, 316, 396, 476, 556), row[1:6]):
            text(x, top, amount, align="right")
        text(557.5, top, row[6])
        top += 22
    text(40, top, "注：本表为示例。")
    canvas.showPage()
    canvas.save()


UNRULED_BODY = [["合计", "9,616.338314", "9,412.58", "9,400.00", "12.58", "203.76", ""],
                ["示例局本级", "8,000.00", "7,900.00", "7,900.00", "0.00", "100.00", "含结转"],
                ["示例局执法保障中心", "1,616.34", "1,512.58", "1,500.00", "12.58", "103.76", ""]]


def test_unruled_table_read_from_text_alignment():
    items = read_pdf(UNRULED).pages[0].items
    assert [type(i).__name__ for i in items] == ["TextBlock", "TextBlock", "Grid", "TextBlock"]
    assert [items[0].text, items[1].text, items[3].text] == [
        "收入总体情况表", "单位名称：示例局 单位：万元", "注：本表为示例。"]
    grid = items[2]
    assert (grid.n_rows, grid.n_cols) == (5, 7)
    assert grid.rows()[2:] == UNRULED_BODY
    assert grid.rows()[1][2:5] == ["小计", "一般公共预算", "政府性基金"]
    assert [c for c in grid.cells if c.rowspan > 1 or c.colspan > 1] == [
        Cell(0, 0, "单位名称", rowspan=2), Cell(0, 1, "合计", rowspan=2),
        Cell(0, 2, "本年收入", colspan=3), Cell(0, 5, "上年结转结余", rowspan=2),
        Cell(0, 6, "备注", rowspan=2)]


def test_unruled_table_is_recognized_with_its_header_paths():
    (table,) = recognize(read_pdf(UNRULED)).tables
    assert (table.kind.id, table.unit, table.n_header) == ("income_by_source", "万元", 2)
    assert header_paths(table.grid, table.n_header) == [
        ["单位名称"], ["合计"], ["本年收入", "小计"], ["本年收入", "一般公共预算"],
        ["本年收入", "政府性基金"], ["上年结转结余"], ["备注"]]


def test_unruled_fixture_is_up_to_date(tmp_path):
    import pdfgen
    if not pdfgen.same_tools():
        pytest.skip("needs the reportlab and font the fixture was made with")
    draw_unruled(tmp_path / "unruled.pdf")
    assert (tmp_path / "unruled.pdf").read_bytes() == UNRULED.read_bytes()


def test_justified_prose_with_amounts_at_the_margin_is_not_a_table(tmp_path):
    words = []
    for top, amount in [(60, "2,570.71"), (75, "950.05"), (90, "419.35"), (105, "3.97")]:
        words += [(50, top, "and the spending on these services in the year was"),
                  (350 - 5.56 * len(amount), top, amount)]
    words += [(50, 120, "ten thousand yuan, as the tables show in full.")]
    items = read_drawn(tmp_path, words, [])
    assert {type(i).__name__ for i in items} == {"TextBlock"}


def test_table_of_contents_is_not_a_table(tmp_path):
    words = [(50, 60 + 15 * i, f"{i + 1}. Table {i + 1}") for i in range(5)]
    words += [(340, 60 + 15 * i, str(3 + i)) for i in range(5)]
    items = read_drawn(tmp_path, words, [])
    assert {type(i).__name__ for i in items} == {"TextBlock"}


# ---------------------------------------------------------------- a real Guangzhou disclosure

GZ_XINFANG_SHA256 = "58417d10a0e4fbf56917301e6f5b74793426d67e6e05c5b6a4fbb159c57602b7"


def source_pdf(sha256: str) -> Path:
    """The PDF in sources/ with this content (its folder's name is not fixed yet)."""
    for meta in sorted(SOURCES.glob("*/source.yml")):
        if f"sha256: {sha256}" in meta.read_text(encoding="utf-8"):
            return meta.parent / "document.pdf"
    pytest.skip("广州市信访局 2026 (gd-guangzhou-01) is not in sources/")


def test_gz_rules_drawn_as_filled_polygons_give_the_tables():
    """广州市信访局 2026 部门预算: every rule a thin filled polygon; amounts read off the page
    images."""
    doc = read_pdf(source_pdf(GZ_XINFANG_SHA256))
    (summary_end,) = grids(doc, 6)
    assert summary_end.rows()[-1] == ["收入总计", "3,944.08", "支出总计", "3,944.08"]
    (income,) = grids(doc, 7)
    assert texts(doc, 7)[:3] == ["表2", "收入总体情况表", "单位名称：广州市信访局 单位：万元"]
    assert cell(income, "财政拨款收入") == Cell(0, 2, "财政拨款收入", colspan=3)
    assert income.rows()[1][2:5] == ["一般公共预算", "政府性基金预算", "国有资本经营预算"]
    assert income.rows()[2] == ["合计", "3,944.08", "3,944.08"] + ["0.00"] * 10
    (expenditure,) = grids(doc, 8)
    assert expenditure.rows()[5] == ["2014001", "行政运行", "1,859.41", "1,831.41", "28.00",
                                     "0.00", "0.00", "0.00"]


def test_gz_pages_read_without_their_rules_give_the_same_rows():
    """The unruled route on a real layout: the same pages with their rules left out give the
    same amount rows, and the same header paths (labels wrapped in narrow columns, merged
    labels centred over two, three and four columns)."""
    path = source_pdf(GZ_XINFANG_SHA256)
    ruled = read_pdf(path)
    bare = read_pdf(path, ReaderSettings(use_rules=False))

    def amount_rows(doc, page):
        return [row for grid in grids(doc, page) for row in grid.rows()
                if any(AMOUNT.match(text) for text in row)]

    for page in [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18]:
        assert amount_rows(bare, page) == amount_rows(ruled, page), page
    for page in [5, 7, 8, 11, 12, 15, 18, 19]:
        ((a, n), (b, m)) = [(g, count_header_rows(g)) for g in grids(ruled, page) + grids(bare, page)]
        assert header_paths(b, m) == header_paths(a, n), page


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
    assert read_pdf(path).image_pages == [1, 2, 3]  # scans: read by OCR (tests/test_ocr.py)


FULL_PAGE_SCAN = GREY_SQUARE.replace("100 0 0 100 50 50 cm", "380 0 0 280 10 10 cm")


def test_scanned_pages_among_text_pages_are_named(tmp_path):
    """A text cover before scanned pages (one with only its page number as text) is still
    a scan: the error names the pages without a text layer."""
    from pipeline.extract import extract_document
    path = tmp_path / "mostly-scanned.pdf"
    path.write_bytes(pdf_bytes([([(50, 50, "Budget 2024")], []), ([], [], GREY_SQUARE),
                                ([(190, 285, "3")], [], FULL_PAGE_SCAN)]))
    assert read_pdf(path).image_pages == [2, 3]
    with pytest.raises((ReadError, RecognitionError)) as err:  # unread, or read by OCR
        extract_document(path, "mostly-scanned")
    assert "pages 2-3 have no text layer" in err.value.message


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
    assert any(w.startswith("page 24 has no text layer") for w in out.warnings)


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
