"""Completeness is checked, not assumed (issue 18): a table the document's contents (目录) or
table numbers name and that was not delivered fails `contents_complete`; a line table that
lost its total line fails `lines_sum_to_total`; a table running on into a page that gave
nothing fails alone, naming the page; a page tree that loops is refused."""
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import SEEDS, SOURCES
from pipeline.check import completeness
from pipeline.check.engine import Doc, run_checks
from pipeline.contribute import corpus
from pipeline.errors import ReadError
from pipeline.extract import Extraction, TableReport, extract_document
from pipeline.model import Document, Grid, Page, TextBlock
from pipeline.read.pdf import read_pdf
from pipeline.recognize import contents
from pipeline.sources import load_source

pypdf = pytest.importorskip("pypdf")

PUTUO = "sh-putuo-sifaju-2026-budget"
GUANGZHOU = "gd-guangzhou-tongjiju-2026-budget"
XINXIANG = "xinxiang-city-zwfw-2024-budget"
FUNCTION_TABLE = "2026年部门一般公共预算支出功能分类预算表"  # pages 15-16 of 普陀区司法局 2026


def zeroed(source: str, pages: list[int], out: Path) -> Path:
    """A copy of a source's PDF with the content of `pages` (1-based) emptied."""
    writer = pypdf.PdfWriter(clone_from=SOURCES / source / "document.pdf")
    for number in pages:
        page = writer.pages[number - 1]
        page.replace_contents(pypdf.generic.ContentStream(None, page.pdf))
    writer.write(out)
    return out


def checked(source: str, path: Path | None = None) -> tuple[Extraction, list[dict]]:
    src = load_source(SOURCES / source)
    extraction = extract_document(path or src.documents, src.id, src.meta)
    return extraction, run_checks(src.id, extraction, src.meta.acknowledged)


def failing(rows: list[dict], rule: str) -> list[str]:
    return [r["subject"] for r in rows if r["rule"] == rule and r["status"] == "fail"]


def table(extraction: Extraction, title: str) -> TableReport:
    (found,) = [t for t in extraction.tables if t.title == title]
    return found


# --- a page that gave nothing -------------------------------------------------------------

def test_a_zeroed_continuation_page_fails_its_table_naming_the_page(tmp_path):
    whole, _ = checked(PUTUO)
    before = table(whole, FUNCTION_TABLE)
    assert (before.status, before.rows, before.parts) == ("extracted", 22, 2)
    # the general budget's 合计, printed on page 16
    assert {"total": Decimal("96282213.44"), "page": 16} in [
        {"total": r["total"], "page": r["source_page"]}
        for r in whole.rows["expenditure_by_function"] if r["line_type"] == "total"]

    extraction, rows = checked(PUTUO, zeroed(PUTUO, [16], tmp_path / "p16.pdf"))
    after = table(extraction, FUNCTION_TABLE)
    assert after.status == "not_extracted"
    assert after.reason == ("page 16 is blank (nothing on it could be read), where the table, "
                            "printed to the foot of page 15, would continue: its rows there are "
                            "lost")
    assert not [r for r in extraction.rows["expenditure_by_function"]
                if r["source_table"] == FUNCTION_TABLE]  # no row of it, not 14 of its 22
    assert failing(rows, "tables_read") == [f"{FUNCTION_TABLE} (page 15)"]
    # the other tables are all read as before
    assert [(t.title, t.status, t.rows) for t in extraction.tables if t is not after] == \
        [(t.title, t.status, t.rows) for t in whole.tables if t is not before]


def test_a_blank_page_after_text_is_no_loss():
    # page 3 of the same document is blank, after the narrative's text: nothing fails
    doc = read_pdf(SOURCES / PUTUO / "document.pdf")
    assert doc.pages[2].items == [] and doc.image_pages == []
    extraction, rows = checked(PUTUO)
    assert all(t.read for t in extraction.tables)
    assert failing(rows, "tables_read") == []


# --- contents and table numbers -----------------------------------------------------------

def test_a_table_whose_pages_are_lost_fails_by_the_contents_and_the_numbering(tmp_path):
    # 广州市统计局 2026 prints 表5, 一般公共预算支出情况表（按功能分类科目）, alone on page 13
    whole, rows = checked(GUANGZHOU)
    assert table(whole, "一般公共预算支出情况表(按功能分类科目)").page == 13
    assert [r["subject"] for r in rows if r["rule"] == "contents_complete"] == \
        ["contents: every table listed", "numbering: 表1 to 表12"]
    assert failing(rows, "contents_complete") == []

    extraction, rows = checked(GUANGZHOU, zeroed(GUANGZHOU, [13], tmp_path / "p13.pdf"))
    assert "一般公共预算支出情况表(按功能分类科目)" not in [t.title for t in extraction.tables]
    assert failing(rows, "contents_complete") == [
        "contents: 一般公共预算支出情况表(按功能分类科目)", "numbering: 表5 (not printed)"]


def test_a_contents_entry_the_document_does_not_print_fails():
    # 红旗区 2022 lists 部门收入预算表 and 支出经济分类汇总表 in its 目录 and prints neither;
    # its source.yml acknowledges both as the publisher's
    _, rows = checked("xinxiang-hongqi-zwfw-2022-budget")
    mine = [(r["subject"], r["status"], r["expected"], r["actual"], bool(r["acknowledged"]))
            for r in rows if r["rule"] == "contents_complete"]
    assert mine == [("contents: 2022年部门收入预算表", "fail", Decimal(1), Decimal(0), True),
                    ("contents: 2022年支出经济分类汇总表", "fail", Decimal(1), Decimal(0), True)]


def test_a_contents_entry_no_table_answers_fails_naming_it(tmp_path):
    text = SEEDS[XINXIANG].read_text(encoding="utf-8")
    assert text.count("\n2024年政府性基金预算支出情况表\n") == 1
    path = tmp_path / "t.txt"
    path.write_text(text.replace("\n2024年政府性基金预算支出情况表\n", "\n2024年其他情况表\n"),
                    encoding="utf-8")
    meta = load_source(SOURCES / XINXIANG).meta
    rows = run_checks(XINXIANG, extract_document(path, XINXIANG, meta))
    assert failing(rows, "contents_complete") == ["contents: 政府性基金预算支出情况表"]


def numbered(*pages: list[str], tables_on: tuple[int, ...]) -> Extraction:
    """A document whose page n prints the lines given, with a table recognized on each page
    of `tables_on`."""
    doc = Document(Path("x.pdf"), "pdf",
                   [Page(n, [TextBlock(line, page=n) for line in lines]
                         + [Grid.from_rows([["项目", "金额"]], page=n)])
                    for n, lines in enumerate(pages, start=1)])
    reports = [TableReport("k", "income_by_source", f"table on page {n}", n, 1, "万元", "printed",
                           1, False, []) for n in tables_on]
    return Extraction("x", doc, tables=reports)


def test_numbers_run_from_one_with_no_gap_and_each_has_its_table():
    pages = (["公开表1", "收支总表"], ["公开表2", "收入总表"], ["公开表3", "支出总表"])
    assert [c.subject for c in completeness.contents_complete(Doc(numbered(*pages, tables_on=(1, 2, 3))))] \
        == ["numbering: 公开表1 to 公开表3"]
    # page 2 prints 公开表2, but no table was recognized there
    found = list(completeness.contents_complete(Doc(numbered(*pages, tables_on=(1, 3)))))
    assert [(c.subject, c.status) for c in found] == [("numbering: 公开表2 (page 2)", "fail")]
    # 预算02表 is printed nowhere: the numbering skips it
    skipped = (["预算01表收支总表"], ["预算03表支出总表"])
    found = list(completeness.contents_complete(Doc(numbered(*skipped, tables_on=(1, 2)))))
    assert [(c.subject, c.status) for c in found] == [("numbering: 预算02表 (not printed)", "fail")]


def test_table_numbers_as_printed():
    doc = Document(Path("x.pdf"), "pdf", [
        Page(1, [TextBlock("表一 收支总表……2\n表十二 政府采购预算表……13")]),  # a list of tables
        Page(2, [TextBlock("表一\n收支总表")]),
        Page(3, [TextBlock("表十二"), TextBlock("（按“部门预算公开06表”口径，" + "说明" * 30 + "）")]),
        Page(4, [TextBlock("表一般公共预算支出情况")])])  # a title, not 表一
    assert [(n.label, n.number, n.pages) for n in contents.table_numbers(doc)] == \
        [("表一", 1, (1, 2)), ("表十二", 12, (1, 3))]
    assert contents.TableNumber("表一", "", 1).named(11) == "表十一"


def test_a_number_printed_on_a_list_of_tables_too_finds_its_table():
    pages = (["表1 收支总表", "表2 收入总表"], ["表1", "收支总表"], ["表2", "收入总表"])
    found = list(completeness.contents_complete(Doc(numbered(*pages, tables_on=(2, 3)))))
    assert [(c.subject, c.status) for c in found] == [("numbering: 表1 to 表2", "pass")]


def test_the_check_and_the_corpus_report_read_the_contents_alike():
    assert corpus.contents_titles is contents.contents_titles
    assert corpus.match_contents is contents.match_contents


# --- a line table without its total ---------------------------------------------------------

TABLE_5 = "\n2024年一般公共预算支出情况表\n"
TOTAL_LINES = ("\t\t\t\t合计\t6,655.15\t1,121.52\t1,012.49\t33.22\t75.81\t\t5,533.63\t405.75\t5,127.88\n"
               "\t\t\t709\t新乡市政务服务和大数据管理局\t6,655.15\t1,121.52\t1,012.49\t33.22\t75.81"
               "\t\t5,533.63\t405.75\t5,127.88\n")


def test_a_line_table_missing_its_total_fails(tmp_path):
    text = SEEDS[XINXIANG].read_text(encoding="utf-8")
    at = text.index(TABLE_5)
    assert text.index(TOTAL_LINES, at) < text.index("\n2024年一般公共预算基本支出表\n")
    meta = load_source(SOURCES / XINXIANG).meta
    rows = run_checks(XINXIANG, extract_document(SEEDS[XINXIANG], XINXIANG, meta))
    subject = "expenditure_by_function[general_public_budget] total line"
    assert subject not in [r["subject"] for r in rows]
    assert "expenditure_by_function[general_public_budget] total" in \
        [r["subject"] for r in rows if r["rule"] == "lines_sum_to_total" and r["status"] == "pass"]

    path = tmp_path / "t.txt"
    path.write_text(text[:at] + text[at:].replace(TOTAL_LINES, "", 1), encoding="utf-8")
    rows = run_checks(XINXIANG, extract_document(path, XINXIANG, meta))
    (row,) = [r for r in rows if r["rule"] == "lines_sum_to_total" and r["subject"] == subject]
    assert (row["status"], row["expected"], row["actual"], row["unit"]) == \
        ("fail", Decimal(1), Decimal(0), "flag")


def test_project_forms_print_no_total_and_do_not_fail():
    # 北京市信访办 2026's 预算12表 lists one form per project: no total line, by the template
    _, rows = checked("bj-city-xinfangban-2026-budget")
    assert "performance_budgets[project] total line" not in [r["subject"] for r in rows]
    assert failing(rows, "lines_sum_to_total") == []


# --- page numbers from the page tree ---------------------------------------------------------

def mutated_tree(tmp_path: Path, how: str) -> Path:
    writer = pypdf.PdfWriter(clone_from=SOURCES / PUTUO / "document.pdf")
    kids = writer.root_object["/Pages"]["/Kids"]
    if how == "loop":  # the root /Pages node listed among its own kids
        kids.insert(3, writer.root_object.raw_get("/Pages"))
    elif how == "twice":
        kids.insert(3, kids[1])
    else:  # a page without /Type /Page, which pdfminer skips
        del kids[2].get_object()[pypdf.generic.NameObject("/Type")]
    path = tmp_path / f"{how}.pdf"
    writer.write(path)
    return path


@pytest.mark.parametrize("how, message", [
    ("loop", r"the page tree loops: object \d+ holds itself, so its pages have no order a "
             r"viewer can render"),
    ("twice", r"the page tree lists object \d+ twice"),
    ("untyped", r"page 3 of the page tree \(object \d+\) cannot be read as a page, so the pages "
                r"after it would be misnumbered"),
])
def test_a_page_tree_that_would_misnumber_pages_is_refused(tmp_path, how, message):
    path = mutated_tree(tmp_path, how)
    with pytest.raises(ReadError, match=f"^{path}: {message}$"):
        read_pdf(path)


def test_pages_are_numbered_in_page_tree_order(tmp_path):
    # pages 15 and 16 swapped in the page tree (their objects stay where they were): the
    # numbers follow the tree, as a viewer shows the pages
    writer = pypdf.PdfWriter(clone_from=SOURCES / PUTUO / "document.pdf")
    kids = writer.root_object["/Pages"]["/Kids"]
    kids[14], kids[15] = kids[15], kids[14]
    path = tmp_path / "swapped.pdf"
    writer.write(path)
    titled = [p.number for p in read_pdf(path).pages for i in p.items
              if isinstance(i, TextBlock) and i.text.startswith(FUNCTION_TABLE)]
    assert titled == [16]
    assert [p.number for p in read_pdf(SOURCES / PUTUO / "document.pdf").pages for i in p.items
            if isinstance(i, TextBlock) and i.text.startswith(FUNCTION_TABLE)] == [15]
