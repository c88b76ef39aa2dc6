"""Performance tables read from real sources: Beijing's 部门整体支出绩效目标表 (indicators per
活动, levels run together), Yantai's 政策和项目 / 专项资金 forms, and the safety net that a
recognized table holding amounts never passes as read with no rows."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from pipeline import extract

from pipeline import families
from pipeline.extract import extract_document, read_document
from pipeline.normalize.performance_targets import split_levels
from pipeline.recognize.tables import recognize

SOURCES = Path(__file__).resolve().parent.parent / "sources"


def _files(doc_id: str) -> list[Path]:
    meta = yaml.safe_load((SOURCES / doc_id / "source.yml").read_text(encoding="utf-8"))
    return [SOURCES / doc_id / f["file"] for f in meta.get("files", [])] or \
        [SOURCES / doc_id / "document.pdf"]


@lru_cache(maxsize=None)
def _extract(doc_id: str):
    return extract_document(_files(doc_id), doc_id)


def _report(ex, kind: str, page: int | None = None):
    return next(t for t in ex.tables if t.kind == kind and (page is None or t.page == page))


@pytest.mark.parametrize("text, expected", [
    ("产出指标质量指标来信扫描完成率", ("产出指标", "质量指标", "来信扫描完成率")),
    ("成本指标经济成本指标单个光荣牌成本", ("成本指标", "经济成本指标", "单个光荣牌成本")),
    ("满意度指标服务对象满意度指标退役军人活动满意度", ("满意度指标", "服务对象满意度指标", "退役军人活动满意度")),
    ("效益指标可持续影响指标推进国家和北京支付方式改革", ("效益指标", "可持续影响指标", "推进国家和北京支付方式改革")),
    ("产出指标质量指标", None),  # nothing left for the 三级指标
    ("投入管理指标预算执行率", None),  # not a level of the vocabulary
    ("产出指标经济效益指标X", None),  # an 二级 of another 一级
])
def test_split_levels(text, expected):
    names = families.load().raw["performance"]["level_names"]
    assert split_levels(text, names) == expected


def test_beijing_department_table_is_read():
    ex = _extract("bj-city-xinfangban-2026-budget")
    report = _report(ex, "department_performance")
    assert (report.status, report.page) == ("extracted", 17)
    budget, = [r for r in ex.rows["performance_budgets"] if r["scope"] == "department"]
    assert budget["total"] == budget["appropriation"] == Decimal("96267775.89")
    assert budget["other_funds"] is None and budget["basic"] is None  # 基本支出 by fund only
    targets = [r for r in ex.rows["performance_targets"] if r["scope"] == "department"]
    assert len(targets) == 10
    assert {t["activity"] for t in targets} == {"信访业务经费", "系统建设"}
    last = targets[-1]
    assert (last["level1"], last["level2"], last["level3"], last["value"], last["value_number"]) \
        == ("产出指标", "时效指标", "故障应急响应时间", "≤5分钟", Decimal("5"))
    goal, = [g for g in ex.rows["performance_goals"] if g["source_page"] == 17]
    assert goal["kind"] == "goal" and goal["content"].startswith("坚持以习近平新时代")


def test_beijing_department_funds_add_up():
    ex = _extract("bj-city-tuiyijunren-2026-budget")
    budget, = [r for r in ex.rows["performance_budgets"] if r["scope"] == "department"]
    assert budget["total"] == Decimal("10633717765.45")
    assert budget["appropriation"] + budget["other_funds"] == budget["total"]


def test_table_with_amounts_giving_no_rows_fails_alone(monkeypatch):
    monkeypatch.setitem(extract.LAYOUTS, "department_performance",
                        lambda table, ctx: {"performance_targets": []})
    ex = extract_document(_files("bj-city-xinfangban-2026-budget"), "bj-city-xinfangban-2026-budget")
    report = _report(ex, "department_performance")
    assert not report.empty and report.rows == 0
    assert report.status == "not_extracted"
    assert "department_performance" in report.reason and "no rows" in report.reason
    assert sum(t.read for t in ex.tables) == len(ex.tables) - 1


def test_yantai_form_repeating_the_first_name_is_a_project_not_a_header():
    ex = _extract("sd-yantai-shenjiju-2026-budget")
    assert _report(ex, "project_performance").status == "extracted"
    audit = {r["project_unit"]: r["total"] for r in ex.rows["performance_budgets"]
             if r["name"] == "审计业务经费"}
    assert audit["烟台市审计局"] == Decimal("310000")
    assert audit["烟台市审计局本级"] == Decimal("5390000")  # page 32, the name of page 30


def test_yantai_special_fund_form_is_its_own_scope():
    ex = _extract("sd-yantai-minzhengju-2026-budget")
    fund, = [r for r in ex.rows["performance_budgets"] if r["scope"] == "special_fund"]
    assert (fund["name"], fund["total"]) == ("惠民殡葬补助资金", Decimal("21490900"))
    targets = [t for t in ex.rows["performance_targets"] if t["scope"] == "special_fund"]
    assert len(targets) == 11 and all(t["project_name"] == "惠民殡葬补助资金" for t in targets)
    projects = [r for r in ex.rows["performance_budgets"] if r["scope"] == "project"]
    assert len(projects) == 20


def test_yantai_project_in_forms_of_different_funds_is_published_per_form():
    recognition = recognize(read_document(_files("sd-yantai-zhujianju-2026-budget")))
    forms = [t for t in recognition.tables if t.kind.id == "project_performance"]
    assert len(forms) == 1 and forms[0].grid.page_of_row(forms[0].grid.n_rows - 1) == 113
    assert not [u for u in recognition.unplaced if u.page == 97]  # a title drawn twice, read once
    ex = _extract("sd-yantai-zhujianju-2026-budget")
    assert _report(ex, "project_performance").status == "extracted"
    budgets = ex.rows["performance_budgets"]
    assert len(budgets) == 76  # one per form, pages 37-113 (page 75 continues page 74's)
    assert [(r["source_page"], r["repeat"], r["total"]) for r in budgets
            if r["name"] == "城建工作标准和导则编制"] == \
        [(41, None, Decimal("1000000")), (49, "2", Decimal("1053400")), (66, "3", Decimal("1500000"))]
    assert {t["repeat"] for t in ex.rows["performance_targets"]
            if t["project_name"] == "城建工作标准和导则编制" and t["source_page"] == 66} == {"3"}


def test_title_printed_again_apart_joins_its_table(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text(
        "收支总体情况表\n单位：万元\n收入\t金额\t支出\t金额\n一般公共预算\t10.00\t一般公共服务支出\t10.00\n"
        "收入总计\t10.00\t支出总计\t10.00\n\n"
        "一般公共预算“三公”经费支出情况表\n单位：万元\n合计\t因公出国（境）费\t公务接待费\n3.00\t1.00\t2.00\n\n"
        "收支总体情况表\n收入\t金额\t支出\t金额\n上年结转\t0.00\t结转下年\t0.00\n", encoding="utf-8")
    tables = recognize(read_document(path)).tables
    assert [(t.kind.id, t.parts) for t in tables] == [("income_expenditure_summary", 2),
                                                        ("three_public_expenses", 1)]
    assert tables[0].grid.rows()[1:] == [["一般公共预算", "10.00", "一般公共服务支出", "10.00"],
                                         ["收入总计", "10.00", "支出总计", "10.00"],
                                         ["上年结转", "0.00", "结转下年", "0.00"]]
