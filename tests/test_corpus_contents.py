"""`pipeline corpus`: how a document's contents (目录) entries are matched with the tables it
prints, and which entries it lists without printing them."""
from pathlib import Path

import pytest

from conftest import SOURCES
from pipeline.contribute.corpus import body_prints, contents_titles, match_contents, measure, printed
from pipeline.model import Document, Grid, Page, TextBlock

CONTENTS = "目 录\n一、2022年部门收支预算表\n二、2022年部门收入预算表\n三、项目支出绩效目标表"
NARRATIVE = "第一部分 部门概况" + "本部门主要职责是依法履行……" * 5  # a long line ends the contents


def document(*items, image_pages=()) -> Document:
    return Document(Path("x.txt"), "transcript", [Page(None, list(items))],
                    image_pages=list(image_pages))


def test_an_entry_matches_the_table_of_the_kind_it_names():
    # the body adds the department's name and drops 支出: the same 政府采购 table
    assert match_contents(["收支预算总表", "政府采购支出预算表"],
                          ["一、2017年度江苏省高级人民法院部门收支预算总表",
                           "十二、2017年江苏省高级人民法院部门政府采购预算表"],
                          ["income_expenditure_summary", "government_procurement"]) == ([], [])
    # the body drops 财政拨款, and a 公开NN表 prefix; 收支预算总表 still takes table 01
    assert match_contents(["收支预算总表", "财政拨款收支预算总表", "政府性基金财政拨款支出预算表"],
                          ["公开01表:收支预算总表", "公开04表:财政拨款收支预算总表",
                           "公开10表:政府性基金支出预算表"],
                          ["income_expenditure_summary", "appropriation_summary",
                           "government_fund_expenditure"]) == ([], [])


def test_an_entry_naming_another_table_stays_unmatched():
    assert match_contents(["2022年部门收支预算表", "2022年部门收入预算表"],
                          ["2022年部门收支预算表", "警务辅助人员经费项目绩效目标表"],
                          ["income_expenditure_summary", "project_performance"]
                          ) == (["2022年部门收入预算表"], ["警务辅助人员经费项目绩效目标表"])


def test_body_prints_the_title_in_other_words_but_not_another_table():
    doc = document(TextBlock(CONTENTS), TextBlock(NARRATIVE), TextBlock("2022年部门收支预算表"),
                   Grid.from_rows([["项目", "金额"]]), TextBlock("预算表12 年度项目支出绩效表"),
                   Grid.from_rows([["项目名称", "三级指标"]]))
    assert body_prints(doc, "2022年部门收支预算表")
    assert body_prints(doc, "项目支出绩效目标表")  # worded differently, no other table named
    assert not body_prints(doc, "2022年部门收入预算表")  # 收支预算表 is another table
    count = printed(doc, ["2022年部门收支预算表"], [], ["income_expenditure_summary"])
    assert (count.count, count.source, count.unlisted) == (2, "contents", [])
    assert count.not_recognized == ["项目支出绩效目标表"]
    assert count.not_printed == ["2022年部门收入预算表"]


def test_a_scanned_page_may_print_what_the_text_lacks():
    doc = document(TextBlock(CONTENTS), TextBlock(NARRATIVE), TextBlock("2022年部门收支预算表"),
                   image_pages=[3])
    count = printed(doc, ["2022年部门收支预算表"], [], ["income_expenditure_summary"])
    assert count.count == 3 and count.not_printed == []
    assert count.not_recognized == ["2022年部门收入预算表", "项目支出绩效目标表"]


def test_entries_ending_in_a_bracket_and_tables_not_listed_count():
    doc = document(TextBlock("目录\n一、收支总体情况表\n二、一般公共预算支出情况表（按功能分类科目）"),
                   TextBlock(NARRATIVE))
    assert contents_titles(doc) == ["收支总体情况表", "一般公共预算支出情况表(按功能分类科目)"]
    count = printed(doc, ["收支总体情况表", "一般公共预算支出情况表(按功能分类科目)",
                          "特警队训练经费项目绩效目标表"], [],
                    ["income_expenditure_summary", "general_budget_expenditure",
                     "project_performance"])
    assert (count.count, count.unlisted) == (3, ["特警队训练经费项目绩效目标表"])


@pytest.mark.parametrize("document_id, printed_count, not_printed", [
    # 目录 十二、政府采购支出预算表; page 17 prints 十二、2017年江苏省高级人民法院部门政府采购预算表
    ("js-gaoyuan-2017-budget", 12, []),
    # 目录 十、政府性基金财政拨款支出预算表; page 19 prints 公开10表：政府性基金支出预算表 (此表为空)
    ("js-jianchayuan-2018-budget", 12, []),
    # its 目录 lists 12 tables; the document prints 10: no 收入 table, no 经济分类汇总 table
    ("xinxiang-hongqi-zwfw-2022-budget", 10, ["2022年部门收入预算表", "2022年支出经济分类汇总表"]),
])
def test_contents_entries_of_real_documents(document_id, printed_count, not_printed):
    d = measure("source", SOURCES / document_id)
    assert d.error is None and d.printed_from == "contents"
    assert (d.printed, d.recognized, d.not_recognized, d.not_printed, d.unlisted) == (
        printed_count, printed_count, [], not_printed, [])
