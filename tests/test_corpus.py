"""`pipeline corpus`: per document, tables printed, delivered and failed, and the checks."""
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SOURCES, copy_seed
from pipeline.cli import cli
from pipeline.contribute.corpus import contents_titles, documents_in, measure_corpus
from pipeline.extract import read_document

XINXIANG = "xinxiang-city-zwfw-2024-budget"
SHANGHAI = "sh-putuo-sifaju-2026-budget"
JIANGSU = "js-renda-bangongting-2017-budget"
HONGQI = "xinxiang-hongqi-zwfw-2022-budget"
XUCHANG = "xuchang-city-zwfw-2024-budget"
SANGONG = "2024年一般公共预算“三公”经费支出情况表"
# the 三公 table's 公务接待费 column relabelled with a word the vocabulary lacks: that table
# cannot be read, the document's other eleven are
UNREADABLE = ("公务用车购置及运行费\t\t\t公务接待费", "公务用车购置及运行费\t\t\t公务宴请费")


def make_gap(folder: Path) -> Path:
    """Make the Xinxiang seed in `folder` print its 三公 table with an unknown column label,
    and update source.yml's sha256 as a contributor would."""
    path = folder / "transcript.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count(UNREADABLE[0]) == 1
    path.write_text(text.replace(*UNREADABLE), encoding="utf-8")
    meta = folder / "source.yml"
    old = hashlib.sha256(text.encode("utf-8")).hexdigest()
    new = hashlib.sha256(path.read_bytes()).hexdigest()
    meta.write_text(meta.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def repository_corpus():
    return {d.name: d for d in measure_corpus(documents_in(sources_dir=SOURCES), workers=2).documents}


@pytest.mark.parametrize("document, printed, source, delivered, acknowledged", [
    (SHANGHAI, 9, "contents", 9, 3),  # its 目录 lists 1.-9. under 五、部门预算表 (a heading)
    (JIANGSU, 12, "contents", 12, 0),  # 十一、…“三公”经费、会议费、培训费支 / 出预算表: one title
    (XINXIANG, 12, "contents", 12, 0),
    (XUCHANG, 13, "contents", 13, 0),  # listed as markdown bullets, ending in ；
    # its contents list 12 tables; the document prints 10 of them (contents_complete: the
    # two missing are acknowledged, with its five other publisher errors)
    (HONGQI, 10, "contents", 10, 7),
])
def test_corpus_figures_per_document(repository_corpus, document, printed, source, delivered,
                                     acknowledged):
    d = repository_corpus[document]
    assert d.error is None
    assert (d.printed, d.printed_from, d.delivered, d.failed) == (printed, source, delivered, [])
    assert d.checks["fail"] == 0 and d.checks["acknowledged"] == acknowledged
    assert d.checks["pass"] > 50
    assert d.not_recognized == []
    if document == HONGQI:
        assert d.not_printed == ["2022年部门收入预算表", "2022年支出经济分类汇总表"]
    else:
        assert d.not_printed == []
    if document in (SHANGHAI, JIANGSU):
        assert d.pages == {SHANGHAI: 23, JIANGSU: 31}[document]
        assert 0 < d.seconds_per_page < 5
    else:
        assert d.pages is None and d.seconds_per_page is None  # a transcript has no pages


def test_contents_titles_as_printed():
    jiangsu = contents_titles(read_document(SOURCES / JIANGSU / "document.pdf"))
    assert len(jiangsu) == 12 and jiangsu[0] == "收支预算总表"
    assert jiangsu[10] == "一般公共预算“三公”经费、会议费、培训费支出预算表"  # over two pages
    shanghai = contents_titles(read_document(SOURCES / SHANGHAI / "document.pdf"))
    assert shanghai[0] == "2026年部门财务收支预算总表" and "部门预算表" not in shanghai
    assert shanghai[3] == "2026年部门财政拨款收支预算总表"  # printed "4．2026年…"


def test_without_contents_printed_counts_the_titles(tmp_path):
    path = tmp_path / "transcript.txt"
    text = (SOURCES / XINXIANG / "transcript.txt").read_text(encoding="utf-8")
    path.write_text(text.replace("目 录", "").replace("目录", ""), encoding="utf-8")
    assert contents_titles(read_document(path)) is None
    [d] = measure_corpus(documents_in([path]), workers=1).documents
    assert (d.name, d.printed, d.printed_from, d.delivered) == ("transcript.txt", 12, "titles", 12)


def test_corpus_command_names_the_table_not_read(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    make_gap(copy_seed(XINXIANG, sources))
    copy_seed(XUCHANG, sources)
    runner = CliRunner()
    result = runner.invoke(cli, ["corpus", "--sources", str(sources), "--workers", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{XINXIANG}: printed 12 (contents), delivered 11, failed 1; "
                               "checks ")
    assert lines[1] == (f"    not read: {SANGONG}: column 6 (公务宴请费) holds '0.50' but its "
                        "header is not understood (transcript line ≈428)")
    assert lines[2].startswith(f"{XUCHANG}: printed 13 (contents), delivered 13, failed 0")
    assert lines[-1].startswith("TOTAL 2 documents (0 failed): printed 25, delivered 24, failed 1")

    result = runner.invoke(cli, ["corpus", "--json", str(sources / XINXIANG)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [doc] = data["documents"]
    assert (doc["name"], doc["printed"], doc["delivered"]) == (XINXIANG, 12, 11)
    assert doc["failed"] == [{"title": SANGONG, "page": None, "acknowledged": False,
                              "reason": "column 6 (公务宴请费) holds '0.50' but its header is "
                                        "not understood (transcript line ≈428)"}]
    assert data["total"]["failed"] == 1 and data["total"]["documents"] == 1

    result = runner.invoke(cli, ["corpus", "--markdown", "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("| document | printed | delivered | failed |")
    assert f"| {XINXIANG} | 12 (contents) | 11 | 1 |" in result.output
    assert f"- {XINXIANG}: {SANGONG}: column 6 (公务宴请费)" in result.output


def test_corpus_reads_loose_files_and_reports_a_document_that_fails(tmp_path):
    bad = tmp_path / "notice.pdf"
    bad.write_bytes(b"not a pdf at all")
    result = CliRunner().invoke(cli, ["corpus", str(SOURCES / SHANGHAI / "document.pdf"),
                                      str(bad), "--workers", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # no source.yml: nothing acknowledged, so the publisher's three errors fail
    assert lines[0].startswith("document.pdf: printed 9 (contents), delivered 9, failed 0; "
                               "checks ") and ", 3 fail, 0 acknowledged; 23 pages" in lines[0]
    assert lines[1].startswith("notice.pdf: printed ?, FAILED: ") and "not a PDF" in lines[1]
    assert lines[-1].startswith("TOTAL 2 documents (1 failed): printed 9, delivered 9")
