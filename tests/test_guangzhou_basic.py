"""Guangzhou's 部门预算基本支出预算表: basic spending by economic class (named, not coded) per
budget unit, each unit's line named without a code among the classes. The sums decide which
lines are units (a unit's line = its classes; the units = the total), the unit's name goes to
its class lines (unit_name), and only the class lines are coded by the national
classification."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import families
from pipeline.extract import extract_document
from pipeline.model import Grid
from pipeline.normalize.common import Context, TableError
from pipeline.normalize.layouts import code_economic_names, find_unit_lines
from pipeline.recognize.tables import Table

SOURCES = Path(__file__).resolve().parent.parent / "sources"
CENT = Decimal(100)  # 0.01 万元 in yuan
CTX = Context("gd-test", Path("document.pdf"))


def _table() -> Table:
    kind = next(k for k in families.load().kinds if k.id == "basic_by_economic_funds")
    return Table(kind, "部门预算基本支出预算表", Grid.from_rows([["合计", "1"]], 3), 3, None)


def _rows(total: str, *lines: tuple[str, str]) -> list[dict]:
    """A total and named lines, amounts in 万元 as printed (rows hold yuan)."""
    yuan = 10000
    return [{"line_type": "total", "total": Decimal(total) * yuan}] + \
        [{"line_type": "item", "class_name": n, "unit_name": None, "total": Decimal(a) * yuan}
         for n, a in lines]


def _read(rows: list[dict]) -> list[dict]:
    table = _table()
    find_unit_lines(rows, table, CTX, CENT)
    code_economic_names(rows, table, CTX)
    return rows


def test_unit_lines_are_decided_by_sums_and_only_the_classes_are_coded():
    rows = _read(_rows("8401.67", ("广州市统计局（本级）", "5673.23"), ("工资福利支出", "5175.44"),
                       ("商品和服务支出", "497.79"), ("广州市统计普查中心", "2728.44"),
                       ("工资福利支出", "2724.44"), ("资本性支出", "4.00")))
    assert [r["line_type"] for r in rows] == ["total", "unit", "item", "item", "unit", "item", "item"]
    assert [r.get("department_economic_code") for r in rows] == [None, None, "301", "302", None,
                                                                 "301", "310"]
    assert [r["unit_name"] for r in rows[1:]] == ["广州市统计局（本级）"] * 3 + ["广州市统计普查中心"] * 3
    assert rows[5]["department_economic_name"] == "工资福利支出"
    assert all("class_name" not in r for r in rows)


def test_one_unit_equal_to_the_total_is_the_departments_line():
    rows = _read(_rows("2929.77", ("广州市信访局（本级）", "2929.77"), ("工资福利支出", "2577.42"),
                       ("对个人和家庭的补助", "352.35")))
    assert [r["line_type"] for r in rows] == ["total", "department", "item", "item"]
    assert [r.get("department_economic_code") for r in rows[2:]] == ["301", "303"]


def test_a_unit_line_its_classes_do_not_add_up_to_fails_with_the_reason():
    rows = _rows("8401.67", ("广州市统计局（本级）", "5673.23"), ("工资福利支出", "5175.44"),
                 ("商品和服务支出", "397.79"), ("广州市统计普查中心", "2728.44"),
                 ("工资福利支出", "2728.44"))
    with pytest.raises(TableError, match="neither an item of the total nor the sum"):
        find_unit_lines(rows, _table(), CTX, CENT)


def test_the_xinfangju_table_is_read_from_the_page():
    """Page 18 of 广州市信访局's 2026 budget, read by eye: 合计 3,204.78; 广州市信访局（本级）
    3,204.78; 工资福利支出 2,577.42, 商品和服务支出 272.21, 对个人和家庭的补助 352.35,
    资本性支出 2.80; 财政专户拨款 and 其他资金 0.00 throughout."""
    doc = "gd-guangzhou-xinfangju-2026-budget"
    extraction = extract_document(SOURCES / doc / "document.pdf", doc)
    report = next(t for t in extraction.tables if t.kind == "basic_by_economic_funds")
    assert (report.status, report.page, report.rows) == ("extracted", 18, 6)
    rows = [r for r in extraction.rows["expenditure_by_economic"] if r["scope"] == "basic"]
    total, head, *classes = rows
    assert (total["line_type"], total["total"], total["other_funds"]) == ("total", Decimal("32047800"), 0)
    assert (head["line_type"], head["unit_name"], head["total"]) == \
        ("department", "广州市信访局(本级)", Decimal("32047800"))
    assert [(r["department_economic_code"], r["department_economic_name"], r["total"])
            for r in classes] == [("301", "工资福利支出", Decimal("25774200")),
                                  ("302", "商品和服务支出", Decimal("2722100")),
                                  ("303", "对个人和家庭的补助", Decimal("3523500")),
                                  ("310", "资本性支出", Decimal("28000"))]
    assert {r["unit_name"] for r in classes} == {"广州市信访局(本级)"}
    assert all(r["special_account"] == 0 and r["appropriation"] == r["total"] for r in rows)
