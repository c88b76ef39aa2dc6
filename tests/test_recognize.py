"""Reading transcripts and recognizing tables, on small documents written out here."""
from pathlib import Path

import pytest

from pipeline.errors import ReadError, RecognitionError
from pipeline.extract import extract_document
from pipeline.model import Cell, Grid, TextBlock
from pipeline.recognize import header_paths, recognize
from pipeline.transcript import read_transcript

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
