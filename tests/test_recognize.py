"""Reading transcripts and recognizing tables, on small documents written out here."""
from pathlib import Path

import pytest

from pipeline.errors import ReadError, RecognitionError
from pipeline.extract import extract_document
from pipeline.model import Cell, Grid, TextBlock
from pipeline.recognize.tables import header_paths, recognize, same_header
from pipeline.read.transcript import read_transcript

EXPENDITURE_HEADER = (
    "科目编码\t\t\t单位代码\t单位（科目名称）\t合计\t基本支出\t\t\t\t\t项目支出\t\t\n"
    "\t\t\t\t\t\t小计\t人员经费\t\t公用经费\t\t小计\t其他运转类\t特定目标类\n"
    "类\t款\t项\t\t\t\t\t工资福利支 出\t对个人和家 庭的补助\t商品和服务 支出\t资本性支出\n"
)


def write(tmp_path: Path, text: str, name="doc.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_transcript_forms_become_the_same_grids(tmp_path):
    tab = read_transcript(write(tmp_path, "标题\n\n项目\t金额\n合计\t1.00\n", "a.txt"))
    pipe = read_transcript(write(tmp_path, "标题\n\n| 项目 | 金额 |\n|---|---|\n| 合计 | 1.00 |\n",
                                 "b.txt"))
    for doc in (tab, pipe):
        items = doc.pages[0].items
        assert isinstance(items[0], TextBlock) and items[0].text == "标题"
        assert isinstance(items[1], Grid) and items[1].rows() == [["项目", "金额"], ["合计", "1.00"]]


def test_header_paths_fill_merged_cells_and_follow_spans():
    grid = read_transcript_grid(EXPENDITURE_HEADER + "201\t03\t01\t\t行政运行\t1.00\t1.00\t1.00\n")
    paths = header_paths(grid, 3)
    assert paths[1] == ["科目编码", "款"]
    assert paths[8] == ["基本支出", "人员经费", "对个人和家庭的补助"]
    assert paths[13] == ["项目支出", "特定目标类"]
    spanned = Grid([Cell(0, 0, "收入", colspan=2), Cell(1, 0, "项目"), Cell(1, 1, "金额")], 2, 2)
    assert header_paths(spanned, 2) == [["收入", "项目"], ["收入", "金额"]]


def read_transcript_grid(text: str) -> Grid:
    return Grid.from_rows([line.split("\t") for line in text.strip("\n").split("\n")])


def test_continued_table_merges_drops_repeated_header_and_joins_split_cell(tmp_path):
    head = "| 科目编码 | | 科目名称 | 合计 | 人员经费 | 公用经费 |\n| 类 | 款 | | | | |\n"
    text = ("2024年一般公共预算基本支出表\n单位：万元\n\n" + head +
            "| 301 | 12 | 其他社会保障缴 | 1.00 | 1.00 | |\n\n"
            "2024年一般公共预算基本支出表\n单位：万元\n\n" + head +
            "| | | 费 | | | |\n| 302 | 01 | 办公费 | 2.00 | | 2.00 |\n")
    doc = read_transcript(write(tmp_path, text))
    (table,) = recognize(doc).tables
    assert table.parts == 2
    assert [r[2] for _, r in table.body()] == ["其他社会保障缴费", "办公费"]
    rows = extract_document(doc.path, "t").rows["basic_expenditure_by_economic"]
    assert [(r["department_economic_code"], r["department_economic_name"]) for r in rows] == \
        [("30112", "其他社会保障缴费"), ("30201", "办公费")]


def test_blank_line_inside_a_table_continues_it(tmp_path):
    text = ("2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计\n"
            "其他运转类\t甲\t某局\t1.00\n\n其他运转类\t乙\t某局\t2.00\n")
    rows = extract_document(write(tmp_path, text), "t").rows["projects"]
    assert [(r["project_name"], str(r["total"])) for r in rows] == [("甲", "10000.00"), ("乙", "20000.00")]


def test_unknown_table_is_reported_not_dropped(tmp_path):
    text = ("2024年部门收支总体情况表\n单位：万元\n收入\t\t支出\t\n项目\t金额\t项目\t金额\n"
            "收入总计\t1.00\t支出总计\t1.00\n\n"
            "2024年部门车辆购置情况表\n车型\t数量\n轿车\t2\n")
    result = recognize(read_transcript(write(tmp_path, text)))
    assert [t.kind.id for t in result.tables] == ["income_expenditure_summary"]
    (unplaced,) = result.unplaced
    assert unplaced.title == "2024年部门车辆购置情况表" and unplaced.line == 8
    extraction = extract_document(tmp_path / "doc.txt", "t")
    assert extraction.unplaced == ["2024年部门车辆购置情况表 (line 8): title not recognized as a "
                                   "standard table"]


def test_empty_table_with_note_is_present_and_empty(tmp_path):
    text = ("2024年政府性基金预算支出情况表\n单位：万元\n" + EXPENDITURE_HEADER +
            "\t\t\t\t合计\t\t\t\t\t\t\t\t\t\n\n注：此表为空表。\n")
    extraction = extract_document(write(tmp_path, text), "t")
    (table,) = extraction.tables
    assert (table.kind, table.rows, table.empty) == ("government_fund_expenditure", 0, True)
    assert table.notes == ["注:此表为空表。"]


def test_column_with_amounts_under_an_unknown_header_is_an_error(tmp_path):
    text = ("2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计\t神秘资金\n"
            "其他运转类\t甲\t某局\t1.00\t1.00\n")
    with pytest.raises(RecognitionError, match=r"2024年项目支出表.*column 5 \(神秘资金\) holds"):
        extract_document(write(tmp_path, text), "t")


def test_stray_characters_in_an_amount_name_table_and_line(tmp_path):
    text = "2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计\n其他运转类\t甲\t某局\t1.0O\n"
    with pytest.raises(RecognitionError, match=r"table '2024年项目支出表'.*not an amount: '1.0O'.*line"):
        extract_document(write(tmp_path, text), "t")


def test_document_without_standard_tables(tmp_path):
    with pytest.raises(RecognitionError, match="none of the standard budget tables"):
        extract_document(write(tmp_path, "一份会议通知\n\n时间\t地点\n上午\t三楼\n"), "t")


def test_transcript_in_wrong_encoding(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("2024年部门收支总体情况表".encode("gbk"))
    with pytest.raises(ReadError, match=r"gbk.txt: transcript is not UTF-8"):
        read_transcript(path)


def test_unit_in_header_label_and_yuan_tables(tmp_path):
    text = ("2024年项目支出表\n部门名称：某局\n单位：元\n类型\t项目名称\t项目单位\t合计\n"
            "其他运转类\t甲\t某局\t1,234.56\n")
    (row,) = extract_document(write(tmp_path, text), "t").rows["projects"]
    assert str(row["total"]) == "1234.56" and row["source_unit"] == "元"


def test_table_with_unknown_title_is_identified_by_its_header_signature(tmp_path):
    text = ("2024年部门公务支出控制表\n单位：万元\n"
            "合计\t因公出国（境）费\t公务用车购置及运行费\t\t\t公务接待费\n"
            "\t\t小计\t公务用车购置费\t公务用车运行费\t\n"
            "2.60\t\t2.10\t\t2.10\t0.50\n")
    extraction = extract_document(write(tmp_path, text), "t")
    (row,) = extraction.rows["three_public_expenses"]
    assert (str(row["total"]), str(row["reception"])) == ("26000.00", "5000.00")
    assert "identified by its header as three_public_expenses" in extraction.warnings[0]


def test_title_whose_header_does_not_fit_is_flagged(tmp_path):
    text = "2024年项目支出表\n单位：万元\n名称\t金额\n甲\t1.00\n"
    extraction = extract_document(write(tmp_path, text), "t")
    assert "does not look like a projects table" in extraction.warnings[0]
    assert "column 1 (名称) is not published; it holds ['甲']" in extraction.warnings[1]


# --- issue 12: classes of layout seen in real disclosures ------------------------------------

SANGONG_GRID = ("合计\t因公出国（境）费\t公务用车购置及运行费\t\t\t公务接待费\n"
                "\t\t小计\t公务用车购置费\t公务用车运行费\t\n"
                "2.60\t\t2.10\t\t2.10\t0.50\n")
FUND_GRID = "功能科目编码\t功能科目名称\t金额\n\t合计\t\n"


def test_title_wrapped_over_two_lines_is_read_whole(tmp_path):
    # the second line alone (支出预算表) names another table
    text = ("公开09表：一般公共预算“三公”经费、会议费、培训费\n支出预算表\n单位：万元\n"
            + SANGONG_GRID)
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert table.kind.id == "three_public_expenses"
    assert table.title == "公开09表:一般公共预算“三公”经费、会议费、培训费支出预算表"


def test_note_above_a_title_is_not_part_of_it(tmp_path):
    text = ("2024年三公经费支出表\n单位：万元\n" + SANGONG_GRID +
            "注：本表反映部门本年度“三公”经费支出情况。\n"
            "2024年政府性基金预算支出表\n单位：万元\n" + FUND_GRID)
    tables = recognize(read_transcript(write(tmp_path, text))).tables
    assert [(t.kind.id, t.title) for t in tables] == [
        ("three_public_expenses", "2024年三公经费支出表"),
        ("government_fund_expenditure", "2024年政府性基金预算支出表")]
    assert tables[0].notes == ["注:本表反映部门本年度“三公”经费支出情况。"]


def test_two_tables_run_together_in_one_grid_are_split_at_the_title_row(tmp_path):
    text = ("2024年一般公共预算“三公”经费支出表\n单位：万元\n" + SANGONG_GRID.rstrip("\n") + "\n"
            "2024年政府性基金预算支出表\t\t\t\t\t\n单位：万元\t\t\t\t\t\n" + FUND_GRID)
    doc = read_transcript(write(tmp_path, text))
    assert sum(isinstance(i, Grid) for i in doc.pages[0].items) == 1  # one grid as read
    result = recognize(doc)
    assert [t.kind.id for t in result.tables] == ["three_public_expenses",
                                                   "government_fund_expenditure"]
    sangong, fund = result.tables
    assert sangong.grid.n_rows == 3 and sangong.body()[0][1][0] == "2.60"
    assert fund.title == "2024年政府性基金预算支出表" and fund.unit == "万元"
    assert fund.header_rows() == [["功能科目编码", "功能科目名称", "金额", "", "", ""]]


BASIC_HEAD = "科目编码\t\t科目名称\t合计\t人员经费\t公用经费\n类\t款\t\t\t\t\n"


def test_cell_text_wrapped_onto_its_own_line_joins_the_row_above(tmp_path):
    text = ("2024年一般公共预算基本支出表\n单位：万元\n" + BASIC_HEAD +
            "301\t08\t机关事业单位基本养老保险\t1.00\t1.00\t\n"
            "\t\t缴费\t\t\t\n"
            "302\t01\t办公费\t2.00\t\t2.00\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert [r[2] for _, r in table.body()] == ["机关事业单位基本养老保险缴费", "办公费"]
    assert table.grid.n_rows == 4


def test_a_line_without_figures_in_a_table_without_codes_is_kept(tmp_path):
    # rows without figures are ordinary here (zero lines), so a bare row is not a remainder
    text = ("2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计\n"
            "其他运转类\t甲\t某局\t1.00\n\t乙\t\t\n其他运转类\t丙\t某局\t2.00\n"
            "其他运转类\t丁\t某局\t\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert [r[1] for _, r in table.body()] == ["甲", "乙", "丙", "丁"]


def test_wrapped_text_in_a_table_whose_lines_all_carry_figures(tmp_path):
    text = ("2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计\n"
            "其他运转类\t信息化运行\t某局\t1.00\n\t维护经费\t\t\n其他运转类\t丙\t某局\t2.00\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert [r[1] for _, r in table.body()] == ["信息化运行维护经费", "丙"]


PROCUREMENT = ("2017年政府采购预算表\n单位：万元\n"
               "采购品目大类\t专项名称\t经济科目\t采购物品名称\t采购组织形式\t总计\n"
               "合计\t\t\t\t\t75.00\n"
               "三、服务C\t\t\t\t\t75.00\n"
               "\t商品和服务支出\t培训费\t\t\t25.00\n"
               "\t\t\t会议服务\t政府集中采购\t25.00\n"
               "\t\t会议费\t\t\t50.00\n"  # a new 经济科目 under the same 专项
               "\t\t\t会议服务\t政府集中采购\t30.00\n"
               "\t\t\t\t分散自行组织\t20.00\n")  # the same item, merged over two rows


def test_procurement_subheadings_are_carried_down(tmp_path):
    from pipeline.normalize.common import Context
    from pipeline.normalize.layouts import normalize_lines
    from pipeline.metadata.registry import BY_NAME
    doc = read_transcript(write(tmp_path, PROCUREMENT))
    (table,) = recognize(doc).tables
    rows = normalize_lines(table, Context("t", doc.path))
    items = [(r["level"], r["project_name"], r["economic_name"], r["item"], r["organization"])
             for r in rows if r["line_type"] != "total"]
    assert items == [
        ("category", None, None, None, None),
        ("programme", "商品和服务支出", "培训费", None, None),
        ("item", "商品和服务支出", "培训费", "会议服务", "政府集中采购"),
        ("programme", "商品和服务支出", "会议费", None, None),
        ("item", "商品和服务支出", "会议费", "会议服务", "政府集中采购"),
        ("item", "商品和服务支出", "会议费", "会议服务", "分散自行组织")]
    keys = [tuple(r.get(k) for k in BY_NAME["government_procurement"].primary_key[1:])
            for r in rows]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("note", [
    "注：此表为空表。",  # the table says it is empty
    "该表无数据",
    "此表无内容",
    "本年度无此项",
    "说明：本部门无相关收支项目。",
    "不涉及",
    "注：本表本年无发生额。",
    "本单位无政府性基金预算支出",  # no such spending, in the department's words
    "备注：本部门2025年没有使用国有资本经营预算拨款安排的支出。",
    "本单位未安排政府性基金预算",
])
def test_empty_table_notes_in_many_wordings(tmp_path, note):
    from pipeline import families
    text = ("2024年政府性基金预算支出表\n单位：万元\n" + FUND_GRID + note + "\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert len(table.notes) == 1
    tpl = families.load()
    assert tpl.pattern("empty_table_note").search(table.notes[0])
    assert not tpl.pattern("conditional_empty_note").search(table.notes[0])


@pytest.mark.parametrize("note", [
    "注：本表反映部门本年度一般公共预算财政拨款支出情况。",
    "注：1.采购组织形式为：集中采购、部门集中采购和分散采购。",
    "注：本套报表金额单位转换时可能存在尾数误差。",
    "注：本部门无下属单位。",
    "注：本表数据因四舍五入无法相加一致。",
    "注：无。",  # 广州: "no notes", printed under tables with data
])
def test_ordinary_notes_do_not_say_empty(note):
    from pipeline import families
    assert not families.load().pattern("empty_table_note").search(note)


def test_only_notes_right_below_a_table_are_its_own(tmp_path):
    # the narrative after the tables says 无…支出 too: it is not the table's note
    text = ("2024年政府性基金预算支出表\n单位：万元\n" + FUND_GRID +
            "注：本单位无政府性基金预算支出。\n2.本表金额单位为万元。\n"
            "第三部分 情况说明\n本单位2024年度没有使用国有资本经营预算拨款安排的支出。\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert table.notes == ["注:本单位无政府性基金预算支出。", "2.本表金额单位为万元。"]


def test_note_printed_inside_an_empty_grid_is_the_tables_note(tmp_path):
    text = "2024年政府性基金预算支出表\n单位：万元\n" + FUND_GRID + "此表为空\t\t\n"
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert table.notes == ["此表为空"]


def test_header_begun_at_the_foot_of_a_page_is_finished_on_the_next(tmp_path):
    # the first page holds only 收入 | 支出, read with two columns; the next page the rest
    text = ("2018年财政拨款收支预算总表\n单位：万元\n收入\t支出\n\n"
            "项目名称\t金额\t支出用途\t\n\t\t项目名称\t金额\n"
            "一、一般公共预算\t33,172.15\t一、基本支出\t18,570.82\n"
            "收入合计\t33,172.15\t支出合计\t33,172.15\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert (table.parts, table.n_header) == (2, 3)
    assert header_paths(table.grid, table.n_header) == [
        ["收入", "项目名称"], ["收入", "金额"], ["支出", "支出用途", "项目名称"], ["支出", "金额"]]


def test_kuan_printed_without_its_leading_zero(tmp_path):
    # as 上海 万里街道 2024 prints 301 | 2 津贴补贴: the code is 30102, not 3012
    text = ("2024年一般公共预算基本支出表\n单位：万元\n" + BASIC_HEAD +
            "301\t\t工资福利支出\t3.00\t3.00\t\n301\t2\t津贴补贴\t3.00\t3.00\t\n")
    rows = extract_document(write(tmp_path, text), "t").rows["basic_expenditure_by_economic"]
    assert [r["department_economic_code"] for r in rows] == ["301", "30102"]


def test_zero_line_of_a_numbered_list_split_over_a_page_break(tmp_path):
    # 十七、国土海洋气象等支 | (page break) | 出, between 十七 and 十八: one line, no figures
    head = "收入\t\t支出\t\n项目\t金额\t项目\t金额\n"
    text = ("2018年收支预算总表\n单位：万元\n" + head +
            "一、一般公共预算\t10.00\t十六、金融支出\t\n\t\t十七、国土海洋气象等支\t\n\n"
            "\t\t出\t\n\t\t十八、住房保障支出\t10.00\n收入合计\t10.00\t支出合计\t10.00\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert [r[2] for _, r in table.body()] == [
        "十六、金融支出", "十七、国土海洋气象等支出", "十八、住房保障支出", "支出合计"]


def test_wrapped_line_of_a_numbered_list_within_a_page(tmp_path):
    head = "收入\t\t支出\t\n项目\t金额\t项目\t金额\n"
    text = ("2018年收支预算总表\n单位：万元\n" + head +
            "一、一般公共预算\t10.00\t九、医疗卫生与计划生育\t\n\t\t支出\t\n"
            "\t\t十、节能环保支出\t10.00\n\t\t上年结转\t\n收入合计\t10.00\t支出合计\t10.00\n")
    (table,) = recognize(read_transcript(write(tmp_path, text))).tables
    assert [r[2] for _, r in table.body()] == [
        "九、医疗卫生与计划生育支出", "十、节能环保支出", "上年结转", "支出合计"]


def test_a_header_repeated_on_the_next_page_is_one_though_ocr_misreads_a_label():
    """烟台市民政局's 收入总体情况表 repeats its header on page 9; read by OCR, page 8 gave
    财政专户管理理资金收入 (the wrapped label's join read twice) and page 9 the label as
    printed: the header is still dropped, not read as rows (its 合计 in an amount column
    failed the table). Labels with digits, or far apart, are not taken for one."""
    page_8 = ["科目编码", "科目名称", "合计", "财政专户管理理资金收入", "上年结转"]
    page_9 = ["科目编码", "科目名称", "合计", "财政专户管理资金收入", "上年结转"]
    assert same_header(page_8, page_9)
    assert not same_header(["2024年预算数", "合计"], ["2025年预算数", "合计"])
    assert not same_header(page_9, ["科目编码", "科目名称", "合计", "事业收入", "上年结转"])
    assert not same_header(page_9, page_9[:-1])
