"""政府购买服务明细表 (Beijing's 预算11表 财政拨款政府购买服务明细表): a line per service of the
guiding catalogue (指导性目录 一级 > 二级 > 三级), published as government_purchased_services."""
from decimal import Decimal

from conftest import SOURCES, read_source
from pipeline import families
from pipeline.check.engine import run_checks
from pipeline.contribute.corpus import measure
from pipeline.extract import extract_document
from pipeline.normalize.layouts import catalogue_code_and_name

YIBAOJU = "bj-city-yibaoju-2026-budget"
SHENJIJU = "bj-city-shenjiju-2026-budget"
JUNMINRONGHE = "bj-city-junminronghe-2026-budget"


def _read(document_id: str):
    extraction, checks = read_source(document_id)
    report = next(t for t in extraction.tables if t.resource == "government_purchased_services")
    return extraction.rows.get("government_purchased_services", []), report, checks


def test_catalogue_entries_split_into_code_and_name():
    assert catalogue_code_and_name("02-政府履职辅助性服务") == ("02", "政府履职辅助性服务")
    assert catalogue_code_and_name("0207-评审、评估和评价服务") == ("0207", "评审、评估和评价服务")
    assert catalogue_code_and_name("测绘测量服务") == ("", "测绘测量服务")
    assert catalogue_code_and_name("合 计") == ("", "合计")


def test_title_names_the_appropriation_table_only():
    tpl = families.load()
    kind = tpl.kind_for_title("预算11表 财政拨款政府购买服务明细表")
    assert (kind.id, kind.resource, kind.attrs) == (
        "purchased_services_appropriation", "government_purchased_services",
        {"fund": "appropriation"})
    assert tpl.kind_for_title("预算10表 政府采购预算明细表").resource == "government_procurement"


def test_lines_over_a_page_break_sum_to_the_total():
    rows, report, checks = _read(YIBAOJU)
    assert (report.status, report.page, report.parts, report.rows) == ("extracted", 13, 2, 31)
    total = [r for r in rows if r["line_type"] == "total"]
    items = [r for r in rows if r["line_type"] == "item"]
    assert [r["amount"] for r in total] == [Decimal("29987421.13")]  # 2,998.742113 万元, p13
    assert sum(r["amount"] for r in items) == Decimal("29987421.13")
    row = next(r for r in items if r["catalogue_level3"] == "数据处理服务")  # page 14
    assert (row["catalogue_level1_code"], row["catalogue_level1"], row["catalogue_level2_code"],
            row["catalogue_level2"], row["amount"], row["source_page"]) == \
        ("02", "政府履职辅助性服务", "0210", "信息化服务", Decimal("695557"), 14)
    # a service bought four times: four lines, numbered, none dropped or merged
    again = [(r["repeat"], r["amount"]) for r in items if r["catalogue_level3"] == "监督检查辅助服务"]
    assert again == [(None, Decimal("3108400")), ("2", Decimal("259200")),
                     ("3", Decimal("2914049")), ("4", Decimal("812300"))]
    sums = [c for c in checks if c["rule"] == "lines_sum_to_total"
            and c["subject"].startswith("government_purchased_services")]
    assert [c["status"] for c in sums] == ["pass"]


def test_six_decimal_amounts_are_not_flagged_when_the_table_prints_six():
    """Most of the table's amounts are round (52.600000), yet it prints 万元 to the fen:
    3,756.180280 万元 is exact, not a stray decimal."""
    rows, report, checks = _read(SHENJIJU)
    assert report.decimals == 6
    assert next(r for r in rows if r["line_type"] == "total")["amount"] == Decimal("37561802.80")
    assert not [c for c in checks if c["rule"] == "amount_precision" and c["status"] == "fail"]


def test_a_table_printing_only_its_total():
    rows, report, checks = _read(JUNMINRONGHE)
    assert [(r["line_type"], r["amount"]) for r in rows] == [("total", Decimal("7789300"))]
    assert report.status == "extracted"
    assert not [c for c in checks if c["rule"] == "lines_sum_to_total"
                and c["subject"].startswith("government_purchased_services")]


def test_contents_entries_worded_otherwise_find_their_tables():
    """The 目录 of 军民融合办 says 支出总表, 财政拨款收支总表, 政府性基金预算支出表 where its pages
    print 支出预算总表, 财政拨款收支预算总表, 政府性基金预算财政拨款支出表: the same tables."""
    figures = measure("source", SOURCES / JUNMINRONGHE)
    assert figures.printed == 13
    assert not {"支出总表", "财政拨款收支总表", "政府性基金预算支出表",
                "财政拨款政府购买服务明细表"} & set(figures.not_recognized)


EMPTY = ("2026年财政拨款政府购买服务明细表\n单位：万元\n"
         "指导性目录\t\t\t预算金额\n"
         "一级\t二级\t三级\t\n"
         "合计\t\t\t\n"
         "注：本部门2026年无财政拨款安排的政府购买服务预算，故此表为空。\n")


def test_a_table_printed_empty_with_its_note(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text(EMPTY, encoding="utf-8")
    extraction = extract_document(path, "t")
    (report,) = extraction.tables
    assert (report.kind, report.status, report.rows) == \
        ("purchased_services_appropriation", "empty", 0)
    assert report.notes == ["注:本部门2026年无财政拨款安排的政府购买服务预算,故此表为空。"]  # NFKC
    notes = [c for c in run_checks("t", extraction, []) if c["rule"] == "empty_table_note"]
    assert [c["status"] for c in notes] == ["pass"]
