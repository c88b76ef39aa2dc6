"""The three seed disclosures, end to end: golden values read off the documents, and
every amount cell of every table accounted for in the published package."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from conftest import SEEDS, read_table, yuan
from pipeline.metadata.registry import BY_NAME

XINXIANG = "xinxiang-city-zwfw-2024-budget"
HONGQI = "xinxiang-hongqi-zwfw-2022-budget"
XUCHANG = "xuchang-city-zwfw-2024-budget"


def test_every_standard_table_of_each_seed_is_recognized(package):
    kinds = {doc: sorted(r["table_kind"] for r in read_table(package, "document_tables",
                                                             document_id=doc))
             for doc in SEEDS}
    assert kinds[XINXIANG] == sorted([
        "income_expenditure_summary", "income_by_source", "expenditure",
        "appropriation_summary", "general_budget_expenditure", "basic_by_economic",
        "expenditure_by_economic", "three_public_expenses", "government_fund_expenditure",
        "projects", "department_performance", "project_performance"])
    # 红旗区 2022 prints no 收入总体情况表 and no 支出经济分类汇总表
    assert len(kinds[HONGQI]) == 10
    assert "income_by_source" not in kinds[HONGQI]
    # 许昌 (汇总) prints all 13, including 国有资本经营预算支出情况表
    assert len(kinds[XUCHANG]) == 13
    assert "state_capital_expenditure" in kinds[XUCHANG]


def test_xinxiang_headline_totals(package):
    summary = {r["item"]: r["amount"] for r in read_table(
        package, "income_expenditure_summary", document_id=XINXIANG)}
    assert summary["收入总计"] == yuan("47,172.53")
    assert summary["支出总计"] == yuan("47,172.53")
    assert summary["本年收入合计"] == yuan("6,655.15")
    assert summary["上年结转结余"] == yuan("40,517.38")
    assert summary["其他支出"] == yuan("40,517.38")
    assert summary["外交"] == ""  # blank stays blank, not zero


def test_xinxiang_nine_projects_sum_to_project_spending(package):
    projects = read_table(package, "projects", document_id=XINXIANG, line_type="item")
    assert len(projects) == 9
    assert sum(Decimal(p["total"]) for p in projects) == Decimal(yuan("46,051.01"))
    hotline = [p for p in projects if p["project_name"] == "新乡市12345政务服务便民热线平台经费"]
    assert hotline[0]["project_type"] == "其他运转类"
    assert hotline[0]["total"] == hotline[0]["general_public_budget"] == yuan("70.40")


def test_xinxiang_expenditure_row_lands_in_the_right_columns(package):
    (row,) = read_table(package, "expenditure_by_function", document_id=XINXIANG, fund="all",
                        function_code="2010301")
    assert row["name"] == "行政运行" and row["unit_code"] == "709"
    assert (row["total"], row["basic"], row["basic_wages"], row["basic_goods_services"]) == \
        (yuan("401.87"), yuan("401.87"), yuan("353.85"), yuan("48.02"))
    assert row["basic_family"] == row["project"] == row["basic_capital"] == ""
    (wrapped,) = read_table(package, "expenditure_by_function", document_id=XINXIANG,
                            fund="all", function_code="2080505")
    assert wrapped["name"] == "机关事业单位基本养老保险缴费支出"  # wrapped cell joined


def test_xuchang_two_units(package):
    units = {r["unit_code"]: r for r in read_table(package, "income_by_source",
                                                   document_id=XUCHANG, line_type="unit")}
    assert set(units) == {"070001", "070002"}
    assert units["070001"]["total"] == yuan("4,111.48")
    assert units["070002"]["total"] == yuan("347.48")
    assert units["070002"]["name"] == "许昌市政务大数据中心"
    (dept,) = read_table(package, "income_by_source", document_id=XUCHANG, line_type="department")
    assert dept["unit_code"] == "070" and dept["total"] == yuan("4458.96")


def test_xuchang_rows_that_lost_an_empty_cell_are_realigned(package):
    """The transcript drops the always-empty 资本性支出 cell from its data rows; the layout
    under which 合计 = 基本支出 + 项目支出 holds is chosen, and the repair is reported."""
    (row,) = read_table(package, "expenditure_by_function", document_id=XUCHANG, fund="all",
                        function_code="2010302")
    assert (row["total"], row["project"], row["project_operating"], row["project_specific"]) \
        == (yuan("3595.68"), yuan("3595.68"), yuan("595.68"), yuan("3000"))
    assert row["basic_capital"] == ""


def test_hongqi_three_public_expenses_table_present_and_empty(package):
    assert read_table(package, "three_public_expenses", document_id=HONGQI) == []
    (table,) = read_table(package, "document_tables", document_id=HONGQI,
                          table_kind="three_public_expenses")
    assert table["empty"] == "true" and table["rows"] == "0"
    assert "我单位没有三公经费支出" in table["notes"]


def test_three_public_expenses_rows(package):
    (x,) = read_table(package, "three_public_expenses", document_id=XINXIANG)
    assert (x["total"], x["vehicles"], x["vehicle_operation"], x["reception"]) == \
        (yuan("2.60"), yuan("2.10"), yuan("2.10"), yuan("0.50"))
    assert x["travel_abroad"] == x["vehicle_purchase"] == ""
    (c,) = read_table(package, "three_public_expenses", document_id=XUCHANG)
    assert c["total"] == yuan("8.5")


def test_hongqi_stray_precision_and_blank_subtotal_kept_as_printed(package):
    (total,) = read_table(package, "expenditure_by_function", document_id=HONGQI,
                          fund="general_public_budget", line_type="total")
    assert total["basic_goods_services"] == "115680"  # printed 11.568 万元
    (row,) = read_table(package, "expenditure_by_function", document_id=HONGQI, fund="all",
                        function_code="2010301")
    assert row["basic"] == ""  # 部门支出预算表 leaves 行政运行's 基本支出 小计 blank
    assert row["basic_wages"] == yuan("150.05")


def test_appropriation_summary_keeps_the_two_identical_lines_apart(package):
    rows = read_table(package, "appropriation_summary", document_id=XINXIANG, side="income",
                      item="政府性基金预算拨款")
    assert {r["parent_item"]: r["total"] for r in rows} == {"本年收入": "", "上年结转": yuan("40,517.38")}


def test_economic_codes_in_both_systems(package):
    rows = read_table(package, "basic_expenditure_by_economic", document_id=XINXIANG,
                      department_economic_code="30102")
    assert {r["government_economic_code"]: r["total"] for r in rows} == \
        {"50101": yuan("75.30"), "50501": yuan("27.45")}
    classes = {r["economic_code"]: r for r in read_table(package, "economic_classes")}
    assert classes["30102"]["name"] == "津贴补贴" and classes["30102"]["parent_code"] == "301"
    assert classes["50501"]["system"] == "government"


def test_function_classes_have_parents_and_names(package):
    classes = {r["function_code"]: r for r in read_table(package, "function_classes")}
    assert classes["2010301"] == {"function_code": "2010301", "level": "项", "name": "行政运行",
                                  "parent_code": "20103"}
    assert classes["20103"]["parent_code"] == "201"
    assert classes["201"]["name"] == "一般公共服务支出"


def test_performance_targets_parse_values(package):
    rows = read_table(package, "performance_targets", document_id=XINXIANG, scope="project",
                      project_code="410700240000000005617")
    by_name = {r["level3"]: r for r in rows}
    cost = by_name["24年12345热线平台经费预算"]
    assert (cost["level1"], cost["value"], cost["operator"], cost["value_number"],
            cost["value_unit"]) == ("成本指标", "≤70.4万元", "≤", "70.4", "万元")
    assert by_name["接通群众来电数量"]["value_number"] == "500000"
    dept = read_table(package, "performance_targets", document_id=XINXIANG, scope="department")
    first = dept[0]
    assert (first["level1"], first["level2"], first["level3"], first["value"]) == \
        ("投入管理指标", "工作目标管理", "年度履职目标相关性", "相关")


def test_performance_budgets_and_goals(package):
    (dept,) = read_table(package, "performance_budgets", document_id=XINXIANG, scope="department")
    assert (dept["total"], dept["basic"], dept["project"]) == \
        (yuan("47,172.53"), yuan("1,121.52"), yuan("46,051.01"))
    projects = read_table(package, "performance_budgets", document_id=XUCHANG, scope="project",
                          line_type="item")
    assert len(projects) == 7
    assert sum(Decimal(p["total"]) for p in projects) == Decimal(yuan("3595.68"))
    goals = read_table(package, "performance_goals", document_id=XUCHANG, kind="goal")
    assert len(goals) == 1 and goals[0]["content"].count("\n") == 1  # two paragraphs


# --- every amount in the transcripts is published, in the row it belongs to -------------

_AMOUNT = re.compile(r"^-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
_NUMBERING = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）])|^其中[:：]|[:：]$")
_TOTAL_LINE = re.compile(r"^(合计|总计)$")


def _transcript_lines(path):
    """Each line of a transcript: its cells if it is a table row, else None."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            yield line, [c.strip() for c in line.strip().strip("|").split("|")]
        elif "\t" in line:
            yield line, [c.strip() for c in line.split("\t")]
        else:
            yield line, None


def _compact(text: str) -> str:
    import unicodedata
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _published_rows(package, doc) -> dict[str, list[tuple]]:
    """The document's published rows by the title of the table they came from: (resource,
    the row's non-blank amounts in field order, its text fields joined, the row)."""
    by_title: dict[str, list[tuple]] = {}
    for table in BY_NAME.values():
        if "source_table" not in table.field_names() or table.name == "document_tables":
            continue
        amounts = [f.name for f in table.fields if f.amount]
        texts = [f.name for f in table.fields
                 if not f.amount and f.type == "string" and f.name != "source_table"]
        for r in read_table(package, table.name, document_id=doc):
            by_title.setdefault(_compact(r["source_table"]), []).append(
                (table.name, [r[f] for f in amounts if r[f]],
                 " ".join(_compact(r[f]) for f in texts if r[f]), r))
    return by_title


def _code_cells(cells: list[str]) -> set[int]:
    """Indices of code cells: digits only, and either at the start of the row before any
    text, or followed directly by a name or by another code (301 | 02 | 津贴补贴)."""
    codes: set[int] = set()
    for i in range(len(cells) - 1, -1, -1):
        text = cells[i]
        if not text.isdigit() or i > 5:  # identifying columns come first
            continue
        nxt = cells[i + 1] if i + 1 < len(cells) else ""
        leading = not any(c and not c.isdigit() for c in cells[:i])
        if (leading and i <= 3) or (nxt and not _AMOUNT.match(nxt)) or (i + 1) in codes:
            codes.add(i)
    return codes


def _segments(cells: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """A table row as (name, codes, amounts) segments: two-sided tables (收入 | 支出) print
    two items on one line, each its name followed by its amounts."""
    code_cells = _code_cells(cells)
    segments: list[tuple[str, list[str], list[str]]] = []
    current, codes = None, []
    for i, text in enumerate(cells):
        if not text:
            continue
        if i in code_cells:
            codes.append(text)
        elif _AMOUNT.match(text):
            if current is None:
                current = ("", list(codes), [])
                segments.append(current)
            current[2].append(text)
        else:
            if current is not None and current[2]:
                codes = []
            current = (_NUMBERING.sub("", _compact(text)), list(codes), [])
            segments.append(current)
    return [s for s in segments if s[2]]


def _names_row(name: str, codes: list[str], resource: str, texts: str, row: dict) -> bool:
    """The published row is the one the printed line names: by its name, or as the total
    line, a department/unit line by its code, or a field of a form (绩效目标表's labels)."""
    if not name or name in texts:
        return True
    if _TOTAL_LINE.match(name):
        return row.get("line_type") == "total"
    if row.get("line_type") in ("department", "unit"):
        return row.get("unit_code") in codes
    return resource == "performance_budgets" and row["scope"] == "department"


def _in_order(values: list[str], amounts: list[str]) -> bool:
    """`values` appear among `amounts` in the same order (the columns kept their order)."""
    rest = iter(amounts)
    return all(any(v == a for a in rest) for v in values)


@pytest.mark.parametrize("doc", sorted(SEEDS))
def test_every_amount_cell_is_published_in_its_row(package, doc):
    """An oracle independent of the pipeline's header logic: each amount cell of the
    transcript must be an amount of a published row that came from the same table (by
    its printed title), carries the row's codes (类/款/项 joined, or a unit/project code)
    and the name to the left of the amounts, and holds the row's amounts in the order
    printed (or, for an indicator printed as a bare number, its value as printed)."""
    published = _published_rows(package, doc)
    missing = []
    checked = 0
    table = None
    for line, cells in _transcript_lines(SEEDS[doc]):
        if cells is None:
            table = _compact(line) if _compact(line) in published else table
            continue
        for name, codes, amounts in _segments(cells):
            checked += len(amounts)
            values = [yuan(a) for a in amounts]
            if not any(all(code in texts for code in codes)
                       and _names_row(name, codes, resource, texts, row)
                       and (_in_order(values, row_amounts) or amounts == [row.get("value")])
                       for resource, row_amounts, texts, row in published.get(table, [])):
                missing.append((table, name, codes, amounts))
    assert checked > 150
    assert missing == []
