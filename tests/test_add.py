"""`add`: the department, year, title and division read off a document's cover, the division
resolved to its GB/T 2260 code; what is guessed is marked; a file is never added twice."""
import csv

import pytest
import yaml
from click.testing import CliRunner

from conftest import SOURCES
from pipeline.contribute.add import (CHECK, add_document, division_name, divisions, find_division,
                                     read_cover)
from pipeline.cli import cli
from pipeline.errors import SourceError
from pipeline.metadata.divisions import DIVISIONS_CSV
from pipeline.sources import load_source, sha256_of

XINXIANG = SOURCES / "xinxiang-city-zwfw-2024-budget" / "transcript.txt"
XUCHANG = SOURCES / "xuchang-city-zwfw-2024-budget" / "transcript.txt"


FINAL = "sh-putuo-shehuigongzuobu-2024-final-accounts"


def test_the_divisions_table_holds_every_level_with_its_parents():
    with open(DIVISIONS_CSV, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["code", "name", "level", "parent_code"]
    table = divisions()
    levels = {}
    for r in rows:
        levels[r["level"]] = levels.get(r["level"], 0) + 1
        assert len(r["code"]) == 6 and r["code"].isdigit()
        assert (r["parent_code"] == "") == (r["level"] == "province")
        if r["parent_code"]:
            assert table[r["parent_code"]].level in ({"province"} if r["level"] == "city"
                                                     else {"province", "city"})
    assert levels["province"] == 34 and levels["city"] > 300 and levels["county"] > 2800
    assert table["350102"].name == "鼓楼区" and table["350102"].parent_code == "350100"
    assert division_name("350102") == "福建省福州市鼓楼区"
    assert division_name("110000") == "北京市" and division_name("310107") == "上海市普陀区"
    assert division_name("410700") == "河南省新乡市" and division_name("419001") == "河南省济源市"


COVERS = [
    # cover lines as printed → department, year, division code, division name
    (["上海市普陀区2026年区级部门预算（上海市普陀区司法局）"],
     "上海市普陀区司法局", 2026, "310107", "上海市普陀区"),
    (["上海市普陀区2026年区级部门预算", "预算主管部门：上海市普陀区司法局"],
     "上海市普陀区司法局", 2026, "310107", "上海市普陀区"),
    (["上海市普陀区2026年区级单位预算", "预算单位：上海市普陀区司法局"],
     "上海市普陀区司法局", 2026, "310107", "上海市普陀区"),
    (["中共上海市普陀区委", "社会工作部 2024 年度", "部门决算"],
     "中共上海市普陀区委社会工作部", 2024, "310107", "上海市普陀区"),
    (["北京市审计局2026年度部门预算"], "北京市审计局", 2026, "110000", "北京市"),
    (["北京市信访办公室部门 2026 年度部门预算", "信息公开"], "北京市信访办公室", 2026, "110000", "北京市"),
    (["中共北京市委军民融合发展委员会办公室", "2026 年部门预算信息公开"],
     "中共北京市委军民融合发展委员会办公室", 2026, "110000", "北京市"),
    (["2026年度福州市鼓楼生态环境局单位预算"], "福州市鼓楼生态环境局", 2026, "350102", "福建省福州市鼓楼区"),
    (["2026 年度", "福州市公安局巡特警支队", "单位预算"], "福州市公安局巡特警支队", 2026, "350100", "福建省福州市"),
    (["2026 年度", "泉州市人民政府办公室", "（本级）", "单位预算"],
     "泉州市人民政府办公室（本级）", 2026, "350500", "福建省泉州市"),
    (["江苏省人大常委会办公厅2017年度部门预算"], "江苏省人大常委会办公厅", 2017, "320000", "江苏省"),
    (["江苏省人民检察院", "年部门预算", "2017"], "江苏省人民检察院", 2017, "320000", "江苏省"),
    (["2018 年度江苏省高级", "人民法院预算公开", "2018 年 2 月 24 日"], "江苏省高级人民法院", 2018, "320000", "江苏省"),
    (["2026 年深圳市医疗保障局（本级）部", "门预算"], "深圳市医疗保障局（本级）", 2026, "440300", "广东省深圳市"),
    (["2026 年深圳市统计局（本级）部门预", "算"], "深圳市统计局（本级）", 2026, "440300", "广东省深圳市"),
    (["2026 年深圳市规划和自然资源局盐田", "管理局部门预算"],
     "深圳市规划和自然资源局盐田管理局", 2026, "440300", "广东省深圳市"),
    (["2026年", "中国共产党广州市委员会宣传部部门预算"], "中国共产党广州市委员会宣传部", 2026, "440100", "广东省广州市"),
    (["2026年烟台市住房和城乡建设局", "部门预算"], "烟台市住房和城乡建设局", 2026, "370600", "山东省烟台市"),
    (["新乡市红旗区政务服务和大数据管理局", "2022 年度部门预算", "二〇二二年五月"],
     "新乡市红旗区政务服务和大数据管理局", 2022, "410702", "河南省新乡市红旗区"),
    (["某某县财政局二〇二六年部门预算"], "某某县财政局", 2026, None, None),
]


@pytest.mark.parametrize("lines, department, year, code, name", COVERS, ids=[c[1] for c in COVERS])
def test_the_cover_gives_department_year_and_division(lines, department, year, code, name):
    cover = read_cover(lines)
    assert (cover.department, cover.fiscal_year) == (department, year)
    assert "预算" in cover.title or "决算" in cover.title
    match = find_division(f"{cover.department} {cover.title}")
    assert (match.code, match.name) == (code, name)


def test_a_cover_title_keeps_its_lines_and_drops_dates_and_page_numbers():
    cover = read_cover(["2018 年度江苏省高级", "人民法院预算公开", "2018 年 2 月 24 日"])
    assert cover.title == "2018年度江苏省高级人民法院预算公开" and cover.date == "2018-02-24"
    cover = read_cover(["许昌市政务服务和大数据管理局", "(汇总)", "2024年度部门预算", "二〇二四年四月"])
    assert cover.title == "许昌市政务服务和大数据管理局（汇总）2024年度部门预算"
    assert cover.department == "许昌市政务服务和大数据管理局" and cover.date == "2024-04"
    cover = read_cover(["上海市普陀区2026年区级部门预算", "预算主管部门：上海市普陀区司法局"])
    assert cover.title == "上海市普陀区2026年区级部门预算（上海市普陀区司法局）"
    assert read_cover(["江苏省人大常委会办公厅2018年度部门", "预算公开", "1"]).title == \
        "江苏省人大常委会办公厅2018年度部门预算公开"


@pytest.mark.parametrize("lines", [
    ["预算01表收支总表", "金额单位：万元"],  # Beijing's tables file: no cover
    ["收支预算总表", "公开表一", "部门： 江苏省人大常委会办公厅 单位：万元"],
    ["一、部门收支总体情况表", "单位：万元"],
])
def test_a_tables_first_page_is_no_cover(lines):
    cover = read_cover(lines)
    assert cover.title is None and cover.fiscal_year is None


def test_a_repeated_division_name_needs_its_parent():
    assert find_division("上海市普陀区司法局").code == "310107"
    assert find_division("舟山市普陀区财政局").code == "330903"
    alone = find_division("鼓楼区财政局")
    assert alone.code is None and alone.candidates == ["320106", "320302", "350102", "410204"]
    assert find_division("福州市鼓楼区财政局").code == "350102"
    assert find_division("福州市鼓楼生态环境局").code == "350102"
    assert find_division("南京市鼓楼区人民政府").code == "320106"
    # a short county name only right after its parent's name; two-character names only there
    assert find_division("深圳市规划和自然资源局宝安管理局").code == "440300"
    assert find_division("城区管理局").code is None
    assert find_division("北京城市副中心工程建设管理办公室").code == "110000"


def test_add_fills_in_what_the_shanghai_cover_prints(tmp_path):
    published = load_source(SOURCES / "sh-putuo-sifaju-2026-budget").meta
    folder, _ = add_document(SOURCES / "sh-putuo-sifaju-2026-budget" / "document.pdf", tmp_path)
    assert folder.name == f"310107-2026-budget-{published.sha256[:8]}"
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert data["title"] == published.title == "上海市普陀区2026年区级部门预算（上海市普陀区司法局）"
    assert data["department"]["name"] == published.department.name
    assert data["division"] == {"name": "上海市普陀区", "code": "310107"}
    assert data["fiscal_year"] == 2026 and data["kind"] == "budget"
    with pytest.raises(SourceError, match=r"fill in the TODO fields: published.url, published.date$"):
        load_source(folder)


def test_add_reads_a_final_account_by_its_own_family(tmp_path):
    """Its tables are refused as a budget's (决算 titles), so `add` reads it as the final
    account it is: every table delivered, the kind filled in."""
    published = load_source(SOURCES / FINAL).meta
    folder, extraction = add_document(SOURCES / FINAL / "document.pdf", tmp_path)
    assert folder.name == f"310107-2024-final-accounts-{published.sha256[:8]}"
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert data["kind"] == "final_accounts" and data["fiscal_year"] == 2024
    assert data["department"]["name"] == "中共上海市普陀区委社会工作部"
    assert extraction.family == "final_accounts"
    assert [t.status for t in extraction.tables].count("not_extracted") == 0
    assert len(extraction.tables) == 9


def test_add_fills_in_what_the_jiangsu_cover_prints(tmp_path):
    folder, _ = add_document(SOURCES / "js-renda-bangongting-2017-budget" / "document.pdf", tmp_path)
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert folder.name.startswith("320000-2017-budget-")
    assert data["title"] == "江苏省人大常委会办公厅2017年度部门预算"
    assert data["department"]["name"] == "江苏省人大常委会办公厅"
    assert data["division"] == {"name": "江苏省", "code": "320000"}
    assert data["fiscal_year"] == 2017


def test_add_reads_a_transcripts_cover_and_marks_the_date_it_guessed(tmp_path):
    folder, _ = add_document(SOURCES / "xinxiang-hongqi-zwfw-2022-budget" / "transcript.txt", tmp_path)
    assert folder.name.startswith("410702-2022-budget-")
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert data["division"] == {"name": "河南省新乡市红旗区", "code": "410702"}
    assert data["department"] == {"name": "新乡市红旗区政务服务和大数据管理局", "code": "028"}
    assert data["published"]["date"] == f"{CHECK}2022-05"  # the cover's date: checked by a person
    with pytest.raises(SourceError, match="published.url, published.date"):
        load_source(folder)


def _without_cover(text: str) -> str:
    """The transcript from its first table on: no cover, no table of contents."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if "\t" in line)
    start = max(i for i in range(first) if "表" in lines[i] and "目" not in lines[i])
    return "\n".join(lines[start:])


def test_without_a_cover_the_title_is_todo_and_guesses_are_marked(tmp_path):
    """Issue 17: the title was the first table's, unmarked; the id began 000000 when the
    division was not found."""
    tables_only = tmp_path / "tables.txt"
    text = _without_cover(XINXIANG.read_text(encoding="utf-8"))
    tables_only.write_text(text.replace("新乡市", "").replace("410700", "990700"), encoding="utf-8")
    folder, _ = add_document(tables_only, tmp_path / "sources")
    # neither division nor year was read: the id is made of what is known, never 000000
    assert folder.name == f"budget-{sha256_of(tables_only)[:8]}"
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert data["title"] == "TODO"
    assert data["division"] == {"name": "TODO", "code": "TODO"}
    assert str(data["fiscal_year"]).startswith(CHECK)  # the year printed most often: guessed
    assert data["department"]["name"] == "政务服务和大数据管理局"  # 部门名称： over the tables
    assert "rename the folder" in (folder / "source.yml").read_text(encoding="utf-8")
    with pytest.raises(SourceError, match="title, division.name, division.code, fiscal_year"):
        load_source(folder)


def test_a_division_only_in_the_project_codes_is_a_guess(tmp_path):
    tables_only = tmp_path / "tables.txt"
    tables_only.write_text(_without_cover(XINXIANG.read_text(encoding="utf-8"))
                           .replace("新乡市", ""), encoding="utf-8")
    folder, _ = add_document(tables_only, tmp_path / "sources")
    data = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    assert data["division"] == {"name": f"{CHECK}河南省新乡市", "code": f"{CHECK}410700"}
    assert not folder.name.startswith("410700")  # the id holds only what was read


def test_add_refuses_a_file_already_added_under_any_id(tmp_path):
    """Issue 17: `add --id` on a file already added made a second folder silently."""
    first, _ = add_document(XUCHANG, tmp_path, "xuchang-first")
    with pytest.raises(SourceError, match=r"xuchang-first.*already holds this file"):
        add_document(XUCHANG, tmp_path, "xuchang-again")
    with pytest.raises(SourceError, match=r"xuchang-first.*already holds this file"):
        add_document(XUCHANG, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xuchang-first"]
    result = CliRunner().invoke(cli, ["add", str(XUCHANG), "--sources", str(tmp_path),
                                      "--id", "xuchang-third"])
    assert result.exit_code != 0 and "xuchang-first" in result.output
    assert "already holds this file" in result.output
    # the published seed itself is found by its source.yml's sha256
    with pytest.raises(SourceError, match="xuchang-city-zwfw-2024-budget"):
        add_document(XUCHANG, SOURCES, "xuchang-copy")
    assert not (SOURCES / "xuchang-copy").exists()


def test_add_refuses_an_id_taken_by_another_document(tmp_path):
    add_document(XUCHANG, tmp_path, "taken")
    with pytest.raises(SourceError, match="taken: already exists; choose another --id"):
        add_document(XINXIANG, tmp_path, "taken")


def test_a_department_named_differently_over_the_tables_is_a_guess():
    from pathlib import Path

    from pipeline.contribute.add import guess_metadata
    from pipeline.extract import Extraction
    from pipeline.model import Document, Page, TextBlock
    document = Document(Path("tables.pdf"), "pdf", [Page(1, [
        TextBlock("一、2025年部门收支总体情况表", 1), TextBlock("单位：万元", 1)])])
    several = Extraction("x", document, department_names=["烟台市民政局", "烟台市民政局", "烟台市救助站"])
    guess = guess_metadata(several)
    assert guess.title.value is None  # a table's title is no document title
    assert (guess.department.value, guess.department.guessed) == ("烟台市民政局", True)
    assert (guess.division_code.value, guess.division_code.guessed) == ("370600", True)
    assert (guess.fiscal_year.value, guess.fiscal_year.guessed) == (2025, True)
    one = guess_metadata(Extraction("x", document, department_names=["烟台市民政局"] * 3))
    assert (one.department.value, one.department.guessed) == ("烟台市民政局", False)
    assert (one.division_code.value, one.division_code.guessed) == ("370600", False)
