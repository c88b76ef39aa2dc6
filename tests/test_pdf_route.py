"""The PDF route against the transcript route, on PDFs rendered by tests/pdfgen.py.

The seed transcripts rendered as PDFs (tests/fixtures/generated/<seed>.pdf) must give the
same published tables as the transcripts themselves, apart from the page numbers. Then each
hard case of real PDFs is checked on a minimal PDF (case-*.pdf, made from case-*.txt beside
it): the right amounts in the right rows and columns, and the same rows as its transcript.
Regenerate the files with `python tests/pdfgen.py`; the tests only read them.

"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import pdfgen
from conftest import SOURCES
from pipeline.extract import Extraction, extract_document
from pipeline.model import Grid, TextBlock
from pipeline.publish.package import table_rows
from pipeline.read.pdf import read_pdf
from pipeline.sources import load_source

GENERATED = Path(__file__).parent / "fixtures" / "generated"
SEEDS = ["xinxiang-city-zwfw-2024-budget", "xinxiang-hongqi-zwfw-2022-budget",
         "xuchang-city-zwfw-2024-budget"]

def wan(text: str) -> Decimal:
    """An amount printed in 万元, in yuan as published."""
    return Decimal(text.replace(",", "")) * 10000


def without_pages(extraction: Extraction) -> dict[str, list[dict]]:
    return {resource: [{k: v for k, v in row.items() if k != "source_page"} for row in rows]
            for resource, rows in extraction.rows.items()}


def inventory(extraction: Extraction) -> list[dict]:
    """document_tables as published, less where the tables are printed and what read them."""
    return [{k: v for k, v in row.items() if k not in ("source_page", "pages", "reader")}
            for row in table_rows(extraction.document_id, extraction)]


def case(name: str) -> tuple[Extraction, Extraction]:
    """A minimal PDF and its transcript, extracted."""
    return (extract_document(GENERATED / f"case-{name}.pdf", name),
            extract_document(GENERATED / f"case-{name}.txt", name))


def rows(extraction: Extraction, resource: str, **where) -> list[dict]:
    return [r for r in extraction.rows[resource] if all(r[k] == v for k, v in where.items())]


def one(extraction: Extraction, resource: str, **where) -> dict:
    (row,) = rows(extraction, resource, **where)
    return row


def grids(path: Path, page: int = 1) -> list[Grid]:
    return [i for i in read_pdf(path).pages[page - 1].items if isinstance(i, Grid)]


# ---------------------------------------------------------------- the seeds


@pytest.fixture(scope="module")
def seed_extractions():
    cache = {}

    def get(seed: str) -> tuple[Extraction, Extraction]:
        if seed not in cache:
            meta = load_source(SOURCES / seed).meta
            cache[seed] = (extract_document(GENERATED / f"{seed}.pdf", seed, meta),
                           extract_document(SOURCES / seed / "transcript.txt", seed, meta))
        return cache[seed]
    return get


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_pdf_gives_the_same_published_tables_as_its_transcript(seed, seed_extractions):
    pdf, transcript = seed_extractions(seed)
    assert all(r["source_page"] is None for rs in transcript.rows.values() for r in rs)
    assert all(isinstance(r["source_page"], int) for rs in pdf.rows.values() for r in rs)
    assert without_pages(pdf) == without_pages(transcript)


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_pdf_lists_the_same_tables_as_its_transcript(seed, seed_extractions):
    pdf, transcript = seed_extractions(seed)
    assert inventory(pdf) == inventory(transcript)


# ---------------------------------------------------------------- hard cases, one PDF each


def test_merged_header_cells_span_rows_and_columns():
    pdf, transcript = case("merged-header")
    (grid,) = grids(GENERATED / "case-merged-header.pdf")
    spans = {c.text: (c.row, c.col, c.rowspan, c.colspan) for c in grid.cells if c.row < 3}
    assert spans["科目编码"] == (0, 0, 2, 3)
    assert spans["基本支出"] == (0, 6, 1, 5) and spans["项目支出"] == (0, 11, 1, 3)
    assert spans["合计"] == (0, 5, 3, 1) and spans["人员经费"] == (1, 7, 1, 2)
    row = one(pdf, "expenditure_by_function", function_code="2010301")
    assert (row["name"], row["total"], row["basic"], row["basic_wages"], row["basic_family"],
            row["basic_goods_services"], row["project"]) == \
        ("行政运行", wan("600"), wan("600"), wan("450"), wan("50"), wan("100"), None)
    row = one(pdf, "expenditure_by_function", function_code="2010302")
    assert (row["total"], row["basic"], row["project"], row["project_operating"],
            row["project_specific"]) == (wan("400"), None, wan("400"), wan("150"), wan("250"))
    assert one(pdf, "expenditure_by_function", line_type="total")["total"] == wan("1,000.00")
    assert without_pages(pdf) == without_pages(transcript)


def test_header_wrapped_character_by_character_in_narrow_columns():
    pdf, transcript = case("narrow-header")
    (grid,) = grids(GENERATED / "case-narrow-header.pdf")
    assert grid.rows()[0][4:7] == ["政府性基金", "国有资本经营预算", "事业收入"]
    row = one(pdf, "income_by_source", unit_code="709")
    assert (row["total"], row["general_public_budget"], row["government_fund"],
            row["state_capital"], row["business_income"], row["carryover_total"]) == \
        (wan("47,172.53"), wan("6,655.15"), wan("8"), None, wan("9"), wan("40,500.38"))
    assert without_pages(pdf) == without_pages(transcript)


def test_body_cells_wrapped_over_two_and_three_lines():
    pdf, transcript = case("wrapped-body")
    row = one(pdf, "expenditure_by_function", function_code="2080505")
    assert row["name"] == "机关事业单位基本养老保险缴费支出"
    assert (row["total"], row["basic"], row["basic_wages"]) == (wan("84.85"),) * 3
    row = one(pdf, "expenditure_by_function", function_code="2290402")
    assert row["name"] == "其他地方自行试点项目收益专项债券收入安排的支出"
    assert (row["total"], row["project"], row["project_specific"], row["basic"]) == \
        (wan("40,517.38"), wan("40,517.38"), wan("40,517.38"), None)
    assert len(pdf.rows["expenditure_by_function"]) == 3
    assert without_pages(pdf) == without_pages(transcript)


def test_two_cells_of_a_row_wrapped_to_the_same_number_of_lines():
    pdf, transcript = case("wrapped-two-cells")
    row = one(pdf, "projects", project_name="新乡市12345政务服务便民热线平台经费")
    assert row["project_unit"] == "示例市政务服务和大数据管理局"
    assert row["total"] == row["general_public_budget"] == wan("70.40")
    assert len(pdf.rows["projects"]) == 2
    assert without_pages(pdf) == without_pages(transcript)


@pytest.mark.parametrize("name", ["long-table", "long-table-no-repeat"])
def test_table_over_three_pages(name):
    pdf, transcript = case(name)
    (report,) = pdf.tables
    assert report.parts == 3 and report.page == 1
    items = rows(pdf, "expenditure_by_function", line_type="item")
    expected = pdfgen.long_rows(110)
    assert len(items) == len(expected)
    for row, (c1, c2, c3, name_, total, wages, project) in zip(items, expected):
        assert (row["function_code"], row["name"]) == (c1 + c2 + c3, name_)
        assert (row["total"], row["basic"], row["basic_wages"], row["project"],
                row["project_operating"]) == \
            (wan(total), wan(wages), wan(wages), wan(project), wan(project))
    assert {row["source_page"] for row in items} == {1, 2, 3}
    assert without_pages(pdf) == without_pages(transcript)


@pytest.mark.parametrize("name", ["split-cell", "split-cell-no-repeat"])
def test_cell_split_across_the_page_break(name):
    pdf, transcript = case(name)
    body = pdf.rows["basic_expenditure_by_economic"]
    split = one(pdf, "basic_expenditure_by_economic", department_economic_code="30112")
    assert split["department_economic_name"] == "其他社会保障缴费"
    assert (split["total"], split["personnel"], split["public"]) == (wan("0.54"), wan("0.54"), None)
    assert split["source_page"] == 1
    after = one(pdf, "basic_expenditure_by_economic", department_economic_code="30113")
    assert after["source_page"] == 2 and after["total"] == wan("37.87")
    assert not [r for r in body if r["department_economic_name"] == "费"]
    assert without_pages(pdf) == without_pages(transcript)


def test_landscape_table():
    pdf, transcript = case("landscape")
    import pdfplumber
    with pdfplumber.open(GENERATED / "case-landscape.pdf") as doc:
        assert doc.pages[0].width > doc.pages[0].height
    row = one(pdf, "income_by_source", unit_code="709001")
    assert (row["total"], row["current_total"], row["general_public_budget"],
            row["general_public_budget_appropriation"], row["carryover_total"],
            row["carryover_government_fund"], row["carryover_general_public_budget"]) == \
        (wan("47,172.53"), wan("6,655.15"), wan("6,655.15"), wan("6,655.15"), wan("40,517.38"),
         wan("40,517.38"), None)
    assert one(pdf, "income_by_source", line_type="total")["total"] == wan("47,172.53")
    assert without_pages(pdf) == without_pages(transcript)


def test_table_with_its_inner_row_rules_missing():
    pdf, transcript = case("missing-rules")
    got = {r["department_economic_code"]: (r["government_economic_code"], r["total"],
                                           r["personnel"], r["public"])
           for r in pdf.rows["basic_expenditure_by_economic"]}
    assert got == {
        None: (None, wan("276.33"), wan("270.18"), wan("6.15")),
        "30101": ("50101", wan("112.79"), wan("112.79"), None),
        "30102": ("50101", wan("75.30"), wan("75.30"), None),
        "30201": ("50201", wan("6.16"), None, wan("6.16")),
        "30103": ("50101", wan("82.09"), wan("82.09"), None),
    }
    assert without_pages(pdf) == without_pages(transcript)


def test_empty_table_with_its_note():
    pdf, transcript = case("empty-table")
    (report,) = pdf.tables
    assert (report.kind, report.empty, report.rows) == ("government_fund_expenditure", True, 0)
    assert report.notes == ["注:此表为空表。"]
    assert pdf.rows == {"expenditure_by_function": []}
    assert inventory(pdf) == inventory(transcript)


def test_two_tables_on_one_page():
    pdf, transcript = case("two-tables")
    assert [(t.kind, t.page) for t in pdf.tables] == [
        ("three_public_expenses", 1), ("government_fund_expenditure", 1)]
    row = one(pdf, "three_public_expenses", line_type="total")
    assert (row["total"], row["travel_abroad"], row["vehicles"], row["vehicle_purchase"],
            row["vehicle_operation"], row["reception"]) == \
        (wan("2.60"), None, wan("2.10"), None, wan("2.10"), wan("0.50"))
    empty = pdf.tables[1]
    assert empty.empty and empty.notes == ["注:我单位没有政府性基金支出,故此表无数据。"]
    assert without_pages(pdf) == without_pages(transcript)


def test_note_wrapped_over_lines_is_kept_whole():
    pdf, transcript = case("two-tables")
    assert pdf.tables[0].notes == transcript.tables[0].notes
    assert pdf.tables[0].notes[0].endswith("燃料费、维修费等支出。")


def test_narrative_page():
    pdf, transcript = case("narrative")
    first = read_pdf(GENERATED / "case-narrative.pdf").pages[0]
    assert first.items and all(isinstance(i, TextBlock) for i in first.items)
    text = "".join(i.text for i in first.items)
    assert "（十三）完成市委、市政府交办的其他任务。" in text
    assert pdf.rows.keys() == {"three_public_expenses"}  # the narrative's figures are not rows
    assert [t.page for t in pdf.tables] == [2]
    assert one(pdf, "three_public_expenses", line_type="total")["total"] == wan("2.60")
    assert "收入总计47172.53万元" in pdf.document.text().replace("\n", "")
    assert without_pages(pdf) == without_pages(transcript)


def test_header_label_wrapped_beside_merged_header_cells():
    pdf, transcript = case("header-wrapped-rowspan")
    row = one(pdf, "appropriation_summary", side="expenditure", item="本年支出")
    assert (row["total"], row["general_public_budget"], row["general_public_budget_appropriation"],
            row["government_fund"]) == \
        (wan("47,172.53"), wan("6,655.15"), wan("6,655.15"), wan("40,517.38"))
    assert without_pages(pdf) == without_pages(transcript)


def test_performance_table_continued_without_repeated_header():
    pdf, transcript = case("performance-no-repeat")
    targets = rows(pdf, "performance_targets", project_code="410700240000000006031")
    assert len(targets) == len(rows(transcript, "performance_targets",
                                    project_code="410700240000000006031"))
    assert without_pages(pdf) == without_pages(transcript)


# ---------------------------------------------------------------- the generator


def test_generated_files_are_up_to_date(tmp_path):
    """Regenerating gives the committed files byte for byte (needs the same font and
    reportlab as made them)."""
    if not pdfgen.same_tools():
        pytest.skip("needs reportlab " + pdfgen.REPORTLAB_VERSION + " and the font file "
                    f"{pdfgen.FONT_FILE} (fonts-wqy-microhei) the committed PDFs were made with")
    pdfgen.generate(tmp_path, quiet=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in GENERATED.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (GENERATED / name).read_bytes(), name
