"""Guangzhou's 部门预算 tables: unit lines named among projects (decided by sums), a table not
continued across a gap of pages, the footer's page number, and the header that tells the
基本支出预算表 (economic classes per unit) from the project table."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import families
from pipeline.model import Grid
from pipeline.normalize.common import Context, TableError
from pipeline.normalize.layouts import find_unit_lines
from pipeline.read.pdf import read_pdf
from pipeline.recognize.tables import Table, runs_on, header_text
from pipeline.values import is_page_number

SOURCES = Path(__file__).resolve().parent.parent / "sources"
CENT = Decimal(100)  # 0.01 万元 in yuan


def _kind(kind_id: str):
    return next(k for k in families.load().kinds if k.id == kind_id)


def _table(kind_id: str = "projects", page: int | None = 3, rows=(["合计", "1"],)) -> Table:
    return Table(_kind(kind_id), "部门预算项目支出及其他支出预算表", Grid.from_rows(list(rows), page),
                 page, None)


def _rows(total: int, *lines: tuple[str, int]) -> list[dict]:
    return [{"line_type": "total", "total": Decimal(total)}] + \
        [{"line_type": "item", "project_name": n, "project_unit": None, "total": Decimal(a)}
         for n, a in lines]


CTX = Context("gd-test", Path("document.pdf"))


def test_lines_adding_up_to_the_total_are_all_projects():
    rows = _rows(30000, ("物业管理费", 10000), ("云客服服务外包项目", 20000))
    find_unit_lines(rows, _table(), CTX, CENT)
    assert [r["line_type"] for r in rows] == ["total", "item", "item"]
    assert [r["project_unit"] for r in rows[1:]] == [None, None]


def test_unit_lines_are_decided_by_their_sums_and_name_their_projects():
    rows = _rows(35000, ("广州市工业和信息化局", 30000), ("其他运行经费", 10000),
                 ("综合工作经费", 20000), ("广州市无线电监测站", 5000), ("业务用房物业管理费", 5000))
    find_unit_lines(rows, _table(), CTX, CENT)
    assert [r["line_type"] for r in rows] == ["total", "unit", "item", "item", "unit", "item"]
    assert [r["project_unit"] for r in rows[1:]] == [
        "广州市工业和信息化局", "广州市工业和信息化局", "广州市工业和信息化局",
        "广州市无线电监测站", "广州市无线电监测站"]
    assert rows[1]["project_name"] is None and rows[2]["project_name"] == "其他运行经费"


def test_one_unit_equal_to_the_total_is_the_departments_line():
    rows = _rows(73930, ("广州市信访局", 73930), ("物业管理费", 9900), ("社工服务外包项目", 64030))
    find_unit_lines(rows, _table(), CTX, CENT)
    assert rows[1]["line_type"] == "department" and rows[1]["project_unit"] == "广州市信访局"
    assert [r["project_unit"] for r in rows[2:]] == ["广州市信访局", "广州市信访局"]


def test_a_line_neither_item_nor_sum_fails_the_table_alone():
    rows = _rows(30000, ("广州市工业和信息化局", 30000), ("其他运行经费", 10000), ("综合工作经费", 15000))
    with pytest.raises(TableError, match="neither an item of the total nor the sum"):
        find_unit_lines(rows, _table(), CTX, CENT)


def test_units_not_adding_up_to_the_total_fail_the_table_alone():
    rows = _rows(40000, ("广州市工业和信息化局", 30000), ("其他运行经费", 10000),
                 ("综合工作经费", 20000), ("广州市无线电监测站", 5000), ("业务用房物业管理费", 5000))
    with pytest.raises(TableError, match="do not add up to the total"):
        find_unit_lines(rows, _table(), CTX, CENT)


@pytest.mark.parametrize("page,continues", [(3, True), (4, True), (5, False), (None, True)])
def test_a_table_continues_on_its_page_or_the_next_only(page, continues):
    assert runs_on(_table(page=3), Grid.from_rows([["物业管理费", "99.00"]], page)) is continues


@pytest.mark.parametrize("text,expected", [
    ("- 22 -", True), ("－ 3 －", True), ("22", True), ("第3页 共9页", True), ("第 12 页", True),
    ("2,577.42", False), ("22.00", False), ("2026年", False), ("- 22 - 合计", False)])
def test_page_number(text, expected):
    assert is_page_number(text) is expected


def test_the_footer_is_not_read_as_a_row_of_the_table_above_it():
    """工信局 page 24: a project table whose body runs down to the footer '- 22 -'."""
    doc = read_pdf(SOURCES / "gd-guangzhou-gongxinju-2026-budget" / "document.pdf")
    page = doc.pages[23]
    grid, = [i for i in page.items if isinstance(i, Grid)]
    assert grid.rows()[-1][:3] == ["其他工业和信息化产业发展经费", "10.00", "10.00"]
    assert not any(is_page_number(c) for row in grid.rows() for c in row)
    assert "- 22 -" in [i.text.strip() for i in page.items if not isinstance(i, Grid)]


BASIC_HEADER = [["支出项目类别（资金使用单位）", "总计", "财政拨款", "", "", "", "财政专户拨款", "其他资金"],
                ["", "", "合计", "一般公共预算", "政府性基金预算", "国有资本经营预算", "", ""]]
PROJECT_HEADER = [row[:8] + [t] for row, t in zip(BASIC_HEADER, ("绩效目标", ""))]


def test_economic_classes_per_unit_are_not_taken_for_projects():
    tpl = families.load()
    basic, projects = (header_text(Grid.from_rows(h + [["合计"] + ["1.00"] * (len(h[0]) - 1)]))
                       for h in (BASIC_HEADER, PROJECT_HEADER))
    assert not _kind("projects").fits_header(basic)
    assert _kind("projects").fits_header(projects)
    assert tpl.kind_for_title("部门预算基本支出预算表", basic).id == "basic_by_economic_funds"
    assert tpl.kind_for_title("部门预算项目支出及其他支出预算表", projects).id == "projects"
