"""The command line, as a contributor uses it."""
import csv
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT, SOURCES, copy_seed
from pipeline.cli import cli


@pytest.mark.parametrize("command", [[]] + [[name] for name in sorted(cli.commands)])
def test_help_on_every_command(command):
    result = CliRunner().invoke(cli, command + ["--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_extract_previews_one_document(tmp_path):
    folder = SOURCES / "xuchang-city-zwfw-2024-budget"
    result = CliRunner().invoke(cli, ["extract", str(folder / "transcript.txt"), "--metadata",
                                      str(folder / "source.yml"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "13 standard tables recognized" in result.output
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# Extraction report")
    with open(tmp_path / "expenditure_by_function.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    row = next(r for r in rows if r["function_code"] == "2010301" and r["fund"] == "all")
    assert (row["name"], row["total"]) == ("行政运行", "4190000")


def test_extract_reports_bad_input_clearly(tmp_path):
    bad = tmp_path / "notice.txt"
    bad.write_text("会议通知\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "notice.txt" in result.output and "none of the standard budget tables" in result.output


def test_python_dash_m_build_exits_nonzero_when_a_document_fails(tmp_path):
    sources = tmp_path / "sources"
    (sources / "broken-doc").mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "pipeline", "build", "--sources", str(sources),
                           "--out", str(tmp_path / "dp"), "--schemas", str(tmp_path / "s"),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "FAILED  broken-doc" in proc.stderr and "source.yml: missing" in proc.stderr


def test_extract_takes_the_files_of_one_disclosure_together(tmp_path):
    from test_build import split_seed_pdf
    narrative, tables = split_seed_pdf(tmp_path)
    result = CliRunner().invoke(cli, ["extract", str(tables), str(narrative),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Extraction report: tables.pdf + narrative.pdf")
    assert "- tables.pdf (17 pages)" in report and "- narrative.pdf (3 pages)" in report
    with open(tmp_path / "out" / "three_public_expenses.csv", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["source_page"] == "9"  # the page within tables.pdf (page 12 of the whole PDF)


def test_extract_of_a_narrative_alone_says_to_give_its_tables_file(tmp_path):
    from test_build import split_seed_pdf
    narrative, _ = split_seed_pdf(tmp_path)
    result = CliRunner().invoke(cli, ["extract", str(narrative), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "narrative.pdf: none of the standard budget tables found" in result.output
    assert "or both files to `extract`" in result.output


def test_extract_writes_document_tables_and_reports_the_table_not_read(tmp_path):
    from test_corpus import SANGONG, XINXIANG, make_gap
    folder = make_gap(copy_seed(XINXIANG, tmp_path))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["extract", str(folder / "transcript.txt"), "--metadata",
                                      str(folder / "source.yml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "document_tables.csv", encoding="utf-8") as f:
        tables = {r["source_table"]: r for r in csv.DictReader(f)}
    assert len(tables) == 12
    gap = tables.pop(SANGONG)
    assert (gap["status"], gap["rows"], gap["document_id"]) == ("not_extracted", "0", XINXIANG)
    assert gap["reason"] == ("column 6 (公务宴请费) holds '0.50' but its header is not "
                             "understood (transcript line ≈428)")
    assert {r["status"] for r in tables.values()} <= {"extracted", "empty"}
    assert all(r["reason"] == "" for r in tables.values())
    assert not (out / "three_public_expenses.csv").exists()  # none of its rows published
    assert (out / "projects.csv").exists()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report == result.output.rstrip("\n") + "\n"
    assert "12 standard tables recognized (1 not read):" in report
    assert f"| three_public_expenses | {SANGONG} | - | 万元 | not read |" in report
    assert f"- {SANGONG}: column 6 (公务宴请费) holds '0.50'" in report
    assert f'    subject: "{SANGONG}"' in report and "  - rule: tables_read" in report


def test_extract_of_a_document_read_whole_lists_every_table(tmp_path):
    folder = SOURCES / "xinxiang-hongqi-zwfw-2022-budget"
    CliRunner().invoke(cli, ["extract", str(folder / "transcript.txt"), "--out", str(tmp_path)])
    with open(tmp_path / "document_tables.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows].count("extracted") == 8
    assert [r["status"] for r in rows].count("empty") == 2  # 三公 and 政府性基金: printed empty
    assert "not read" not in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_check_shows_the_tables_not_read_until_acknowledged(tmp_path):
    from test_corpus import SANGONG, XINXIANG, make_gap
    sources = tmp_path / "sources"
    sources.mkdir()
    folder = make_gap(copy_seed(XINXIANG, sources))
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--sources", str(sources)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (f"  TABLE NOT READ: {SANGONG}: column 6 (公务宴请费) holds '0.50' but its header "
            "is not understood (transcript line ≈428)") in lines
    start = lines.index("    acknowledged:   # already there? add only the items below it")
    meta = folder / "source.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\n".join(
        line[4:] for line in lines[start:start + 4]) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["check", "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    assert f"  TABLE NOT READ (acknowledged): {SANGONG}: column 6 (公务宴请费)" in result.output
    assert "to acknowledge" not in result.output
