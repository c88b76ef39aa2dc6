"""A function table that prints one block of lines per budget unit without naming the unit
(Beijing's 预算05表) repeats codes; where its lines add up to the total in no column, the
order of its lines is the proof that a repeat is another unit's line: runs of ascending
codes, each restart a block printing the most repeated code again. A block printed twice,
a code printed again inside a run, or lines out of order are not counted as shares."""
from decimal import Decimal

from conftest import SEEDS, SOURCES
from pipeline.extract import extract_document
from pipeline.sources import load_source

XINXIANG = "xinxiang-city-zwfw-2024-budget"
TITLE = "2024年一般公共预算支出情况表"
# table 5's last line; its lines add up to its total 6,655.15 (tables 3 and 5 both print it)
LAST = "210\t11\t03\t\t公务员医疗补助\t39.12\t39.12\t39.12" + "\t" * 6 + "\n"
FIRST = "201\t03\t01\t\t行政运行\t401.87\t401.87\t353.85\t\t48.02" + "\t" * 4 + "\n"


def line(code: str, name: str, amount: str) -> str:
    """A line of basic personnel spending, 类/款/项 in three cells as the seed prints them."""
    return "\t".join([code[:3], code[3:5], code[5:], "", name, amount, amount, amount]) + \
        "\t" * 6 + "\n"


def table_five(tmp_path, after_last: str = "", after_first: str = ""):
    """The seed read with lines added to table 5 (below its title): after its last line, or
    after its first; its other tables as printed. Returns (its report, its lines)."""
    text = SEEDS[XINXIANG].read_text(encoding="utf-8")
    start = text.index(f"\n{TITLE}\n")
    for old, added in ((LAST, after_last), (FIRST, after_first)):
        at = text.index(old, start) + len(old)
        text = text[:at] + added + text[at:]
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    extraction = extract_document(path, XINXIANG, load_source(SOURCES / XINXIANG).meta)
    report = next(t for t in extraction.tables if t.title == TITLE)
    rows = [r for r in extraction.rows.get("expenditure_by_function", [])
            if r["fund"] == "general_public_budget" and r["line_type"] == "item"]
    return report, rows, extraction.warnings


def test_a_block_that_restarts_the_codes_is_counted(tmp_path):
    """Two more units' blocks, each ascending from 2010301: 2010301 is printed three times in
    three runs, so each line is published, numbered; the lines no longer add up to the total
    (which the checks report), but each is a printed line of its own."""
    blocks = line("2010301", "行政运行", "10.00") + line("2101103", "公务员医疗补助", "1.00") + \
        line("2010301", "行政运行", "20.00") + line("2080505", "机关事业单位基本养老保险缴费支出", "3.00")
    report, rows, _ = table_five(tmp_path, after_last=blocks)
    assert (report.status, report.rows) == ("extracted", 17)
    assert [(r["repeat"], r["total"]) for r in rows if r["function_code"] == "2010301"] == \
        [(None, Decimal("4018700")), ("2", Decimal("100000")), ("3", Decimal("200000"))]
    assert [(r["repeat"], r["total"]) for r in rows if r["function_code"] == "2101103"] == \
        [(None, Decimal("391200")), ("2", Decimal("10000"))]
    assert sum(r["total"] for r in rows) == Decimal("66551500") + Decimal("340000")


def test_a_block_printed_twice_with_the_same_figures_is_not_counted(tmp_path):
    """The table's first two lines printed again after its last (a page or block read twice):
    every line of the new run repeats an earlier one to the fen, so they are not shares; they
    are published once, as any line printed twice with the same figures."""
    first_two = FIRST + "201\t03\t02\t\t一般行政管理事务\t533.63\t\t\t\t\t\t533.63\t405.75\t127.88\n"
    report, rows, warnings = table_five(tmp_path, after_last=first_two)
    assert (report.status, report.rows) == ("extracted", 13)  # 11 lines, the unit, the total
    assert [r["repeat"] for r in rows if r["function_code"] in ("2010301", "2010302")] == \
        [None, None]
    assert sum("printed twice with the same figures" in w for w in warnings) == 2


def test_a_code_printed_again_inside_one_ascending_run_is_refused(tmp_path):
    """2010301 printed on the next line again, with other figures, and one more unit's block
    (2010302) after the last line: two runs, as many as the most printed codes' lines, but
    no block restarts at the second 2010301 (the codes do not go down there), so it is a line
    printed or read twice, not a share, and the table fails."""
    report, rows, _ = table_five(tmp_path, after_first=line("2010301", "行政运行", "10.00"),
                                 after_last=line("2010302", "一般行政管理事务", "2.00"))
    assert report.status == "not_extracted" and not rows
    assert "two rows with the same key" in report.reason and "2010301" in report.reason
    assert "not proven to be shares" in report.reason


def test_blocks_out_of_order_are_refused(tmp_path):
    """A repeat in a later run, but a restart that repeats nothing (2080505 then 2010301, the
    codes going down twice for one more 2010301): the runs are more than the most printed
    code's lines, so the lines are not in units' blocks, and the table fails."""
    unsorted = line("2080505", "机关事业单位基本养老保险缴费支出", "3.00") + \
        line("2010301", "行政运行", "10.00")
    report, rows, _ = table_five(tmp_path, after_last=unsorted)
    assert report.status == "not_extracted" and not rows
    assert "not proven to be shares" in report.reason


def test_a_code_printed_again_in_a_tree_is_refused(tmp_path):
    """Lines under a 类 line (208 社会保障和就业支出 over 2080505): in a 类/款/项 tree a code is
    printed once, so a restart with 2080505 again, though in a run of its own, is a misprint or
    a misread, not a unit's block, and the table fails."""
    tree = "208\t\t\t\t社会保障和就业支出\t3.00\t3.00\t3.00" + "\t" * 6 + "\n" + \
        line("2080505", "机关事业单位基本养老保险缴费支出", "3.00")
    report, rows, _ = table_five(tmp_path, after_last=tree)
    assert report.status == "not_extracted" and not rows
    assert "2080505" in report.reason and "not proven to be shares" in report.reason
