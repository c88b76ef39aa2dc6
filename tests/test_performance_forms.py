"""A project's own 绩效目标表 printed as a form, without a project code (Fujian): keyed by
the project's name, from its 项目名称 line or else from its title."""
from pathlib import Path

import pytest

from pipeline import families
from pipeline.model import Cell, Grid
from pipeline.normalize.common import Context, TableError
from pipeline.normalize.performance_targets import normalize_projects
from pipeline.recognize.tables import Table

FORM = [
    ["项目名称", "警务辅助人员经费", "", "", ""],
    ["主管部门", "福州市公安局", "", "实施单位", "福州市公安局巡特警支队"],
    ["专项资金情况（万元）", "资金总额", "", "97.84", ""],
    ["", "财政拨款", "", "97.84", ""],
    ["", "其他资金", "", "0.00", ""],
    ["年度目标", "特警22人，工资3406元/人.月。", "", "", ""],
    ["绩效目标指标", "一级指标", "二级指标", "三级指标", "指标值"],
    ["", "成本指标", "经济成本指标", "年人均经费保障标准", "≤4.4472万元"],
    ["", "产出指标", "数量指标", "聘用人员数量", "≥20人"],
    ["", "", "质量指标", "工资发放零差错率", "≥95%"],
    ["备注", "", "", "", ""],
]


def _table(rows: list[list[str]], title: str) -> Table:
    cells = [Cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row) if text]
    grid = Grid(cells, len(rows), len(rows[0]), page=25, row_pages=[25] * len(rows))
    kind = next(k for k in families.load().kinds if k.id == "project_performance")
    return Table(kind, title, grid, 25, None)


def _ctx() -> Context:
    return Context("fj-test", Path("document.pdf"))


def test_form_with_name_line():
    out = normalize_projects(_table(FORM, "警务辅助人员经费项目绩效目标表"), _ctx())
    [budget] = out["performance_budgets"]
    assert (budget["name"], budget["project_code"]) == ("警务辅助人员经费", None)
    assert (budget["total"], budget["appropriation"], budget["other_funds"]) == (978400, 978400, 0)
    assert budget["source_unit"] == "万元"
    targets = out["performance_targets"]
    assert [(t["level1"], t["level2"], t["level3"], t["value"]) for t in targets] == [
        ("成本指标", "经济成本指标", "年人均经费保障标准", "≤4.4472万元"),
        ("产出指标", "数量指标", "聘用人员数量", "≥20人"),
        ("产出指标", "质量指标", "工资发放零差错率", "≥95%"),  # 一级指标 carried down
    ]
    assert {t["project_name"] for t in targets} == {"警务辅助人员经费"}
    assert targets[0]["operator"] == "≤" and float(targets[0]["value_number"]) == 4.4472


def test_form_named_by_its_title():
    rows = [r for r in FORM if r[0] not in ("项目名称", "主管部门")]
    rows = [[c.replace("指标值", "目标值") for c in r] for r in rows]  # Quanzhou's label
    out = normalize_projects(_table(rows, "“泉州政务”新媒体号运营资金项目绩效目标表"), _ctx())
    assert out["performance_budgets"][0]["name"] == "“泉州政务”新媒体号运营资金"
    assert len(out["performance_targets"]) == 3


def test_form_without_a_name_fails_alone():
    rows = [r for r in FORM if r[0] != "项目名称"]
    with pytest.raises(TableError, match="names no project"):
        normalize_projects(_table(rows, "绩效目标表"), _ctx())


def test_unknown_funds_line_fails_alone():
    rows = FORM[:5] + [["", "单位自筹", "", "5.00", ""]] + FORM[5:]
    with pytest.raises(TableError, match="not recognized"):
        normalize_projects(_table(rows, "警务辅助人员经费项目绩效目标表"), _ctx())


def test_a_project_without_its_name_line_fails_alone():
    second = [["主管部门", "福州市公安局", "", "实施单位", "福州市公安局巡特警支队"],
              ["专项资金情况（万元）", "资金总额", "", "50.00", ""]]
    with pytest.raises(TableError, match="without its 项目名称 line"):
        normalize_projects(_table(FORM + second, "警务辅助人员经费项目绩效目标表"), _ctx())


LEVELS = [  # Beijing's 项目支出绩效目标表: levels in columns, the value over three cells
    ["项目名称", "项目总额", "其中：", "", "绩效目标", "一级指标", "二级指标", "三级指标",
     "绩效指标性质", "本年绩效指标值", "绩效度量单位"],
    ["", "", "财政资金", "其他资金", "", "", "", "", "", "", ""],
    ["11000021Y000000390849-办公设备购置类", "29.359500", "29.359500", "", "提高效率",
     "产出指标", "时效指标", "支出进度指标", "定性", "有", ""],
    ["", "", "", "", "", "成本指标", "经济成本指标", "空调设备采购成本", "≤", "6.8595", "万元"],
    ["项目", "", "", "", "", "产出指标", "数量指标", "采购数量", "≥", "18", "台/套"],
]


def test_levels_in_columns_and_a_name_split_over_a_page():
    table = _table(LEVELS, "预算表12项目支出绩效目标表")
    table.grid.row_pages = [13, 13, 13, 13, 14]  # the name's last word on the next page
    table.n_header, table.unit = 2, "万元"
    out = normalize_projects(table, _ctx())
    [budget] = out["performance_budgets"]
    assert (budget["project_code"], budget["name"]) == ("11000021Y000000390849", "办公设备购置类项目")
    assert (budget["total"], budget["appropriation"], budget["other_funds"]) == (293595, 293595, None)
    assert [(t["level1"], t["level2"], t["level3"], t["value"], t["operator"]) for t in
            out["performance_targets"]] == [
        ("产出指标", "时效指标", "支出进度指标", "有", None),  # 定性: a word, no operator
        ("成本指标", "经济成本指标", "空调设备采购成本", "≤6.8595万元", "≤"),
        ("产出指标", "数量指标", "采购数量", "≥18台/套", "≥"),
    ]


def test_a_code_whose_hyphen_a_scan_lost_is_still_split_from_its_name():
    """OCR may drop the hyphen after the code (11000024T000002851554“老兵…”活动): a name that
    cannot continue the code (not a digit or letter) still separates from it."""
    rows = [list(r) for r in LEVELS]
    rows[2][0] = rows[2][0].replace("-", "")
    table = _table(rows, "预算表12项目支出绩效目标表")
    table.grid.row_pages = [13, 13, 13, 13, 14]
    table.n_header, table.unit = 2, "万元"
    [budget] = normalize_projects(table, _ctx())["performance_budgets"]
    assert (budget["project_code"], budget["name"]) == ("11000021Y000000390849", "办公设备购置类项目")


def test_a_project_name_without_a_code_fails_alone():
    rows = [list(r) for r in LEVELS]
    rows[2][0] = "办公设备购置类"
    table = _table(rows, "预算表12项目支出绩效目标表")
    table.n_header = 2
    with pytest.raises(TableError, match="has no code"):
        normalize_projects(table, _ctx())



def test_forms_are_checked_against_the_project_line_of_their_name_and_amount():
    """A name the 项目支出表 lists twice (实施公车统管费用 5.00 and 1.00 万元, once per unit):
    each form takes the line of its own amount; a form whose name is not there fails."""
    from decimal import Decimal

    from pipeline.check.engine import RULES, Doc
    from pipeline.extract import Extraction, TableReport

    def project(name, wan):
        return {"line_type": "item", "project_name": name, "total": Decimal(wan) * 10000,
                "source_unit": "万元"}

    def form(name, unit, wan):
        return {"scope": "project", "line_type": "item", "unit_code": None, "project_code": None,
                "name": name, "project_unit": unit, "total": Decimal(wan) * 10000,
                "source_unit": "万元"}

    extraction = Extraction("t", None, rows={
        "projects": [project("实施公车统管费用", 5), project("实施公车统管费用", 1)],
        "performance_budgets": [form("实施公车统管费用", "甲中心", 1), form("实施公车统管费用", "乙局", 5),
                                form("调研经费", "乙局", 2)]},
        tables=[TableReport("projects", "projects", "项目支出表", 1, 1, "万元", "printed", 2,
                            False, [])])
    [rule] = [r for r in RULES if r.id == "performance_matches_projects"]
    rows = {c.subject: (c.status, c.expected, c.actual) for c in rule.check(Doc(extraction))}
    assert rows == {
        "performance_budgets[project] 实施公车统管费用 甲中心": ("pass", 10000, 10000),
        "performance_budgets[project] 实施公车统管费用 乙局": ("pass", 50000, 50000),
        "performance_budgets[project] 调研经费 乙局": ("fail", None, 20000),
    }


def test_a_project_printed_in_two_forms_is_published_twice_numbered():
    """Yantai prints one project (same name and 实施单位) in several forms with other funds:
    each form is published as printed, the second numbered repeat 2, funds and indicators."""
    second = [[c.replace("97.84", "50.00").replace("≥20人", "≥10人") for c in r] for r in FORM]
    out = normalize_projects(_table(FORM + second, "政策和项目预算绩效目标表"), _ctx())
    assert [(b["name"], b["project_unit"], b["repeat"], b["total"]) for b in
            out["performance_budgets"]] == [
        ("警务辅助人员经费", "福州市公安局巡特警支队", None, 978400),
        ("警务辅助人员经费", "福州市公安局巡特警支队", "2", 500000)]
    assert [(t["level3"], t["value"], t["repeat"]) for t in out["performance_targets"]
            if t["level3"] == "聘用人员数量"] == [("聘用人员数量", "≥20人", None),
                                                 ("聘用人员数量", "≥10人", "2")]


def _forms_against_projects(projects: list[tuple[str, int]], forms: list[tuple[str, str, str | None, int]]):
    """performance_matches_projects on table 11's (name, 万元) lines and forms' (name, unit,
    repeat, 万元): {subject: (status, expected, actual)}."""
    from decimal import Decimal

    from pipeline.check.engine import RULES, Doc
    from pipeline.extract import Extraction, TableReport

    extraction = Extraction("t", None, rows={
        "projects": [{"line_type": "item", "project_name": name, "total": Decimal(wan) * 10000,
                      "source_unit": "万元"} for name, wan in projects],
        "performance_budgets": [
            {"scope": "project", "line_type": "item", "unit_code": None, "project_code": None,
             "name": name, "project_unit": unit, "repeat": repeat,
             "total": Decimal(wan) * 10000, "source_unit": "万元"}
            for name, unit, repeat, wan in forms]},
        tables=[TableReport("projects", "projects", "项目支出表", 1, 1, "万元", "printed", 2,
                            False, [])])
    [rule] = [r for r in RULES if r.id == "performance_matches_projects"]
    return {c.subject: (c.status, c.expected, c.actual) for c in rule.check(Doc(extraction))}


def test_a_project_in_several_forms_matches_where_one_form_equals_its_line():
    """城建工作标准和导则编制 printed in three forms (100.00, 105.34, 150.00 万元), table 11
    150.00: the third form matches, and the project is compared on it alone."""
    rows = _forms_against_projects(
        [("城建工作标准和导则编制", 150)],
        [("城建工作标准和导则编制", "住建局", None, 100), ("城建工作标准和导则编制", "住建局", "2", 105),
         ("城建工作标准和导则编制", "住建局", "3", 150)])
    assert rows == {"performance_budgets[project] 城建工作标准和导则编制 住建局 3": ("pass", 1500000, 1500000)}


def test_a_project_in_several_forms_none_equal_to_its_line_fails_on_each():
    """Neither form equals table 11's line: each form is compared with it, and fails."""
    rows = _forms_against_projects(
        [("重点工程经费", 160)],
        [("重点工程经费", "中心", None, 0), ("重点工程经费", "中心", "2", 150)])
    assert rows == {"performance_budgets[project] 重点工程经费 中心": ("fail", 1600000, 0),
                    "performance_budgets[project] 重点工程经费 中心 2": ("fail", 1600000, 1500000)}


def test_projects_of_one_name_in_several_forms_each_take_the_line_of_their_amount():
    """Two units' 实施公车统管 (table 11: 12.00 and 35.00, no unit), one unit printing a
    second form: the line of 12.00 goes to the unit one of whose forms prints it, even
    where its other form (2.00) comes first."""
    rows = _forms_against_projects(
        [("实施公车统管", 35), ("实施公车统管", 12)],
        [("实施公车统管", "监督站", None, 35), ("实施公车统管", "局", None, 2),
         ("实施公车统管", "局", "2", 12)])
    assert rows == {"performance_budgets[project] 实施公车统管 监督站": ("pass", 350000, 350000),
                    "performance_budgets[project] 实施公车统管 局 2": ("pass", 120000, 120000)}
