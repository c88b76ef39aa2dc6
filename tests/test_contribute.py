"""Contributing a disclosure and releasing versions: add, review, diff, release."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, SOURCES, copy_seed
from pipeline.contribute.add import add_document
from pipeline.publish.build import build
from pipeline.cli import cli
from pipeline.publish.diff import diff_markdown, diff_packages
from pipeline.errors import SourceError
from pipeline.publish.release import build_release
from pipeline.contribute.review import changed_files, review
from pipeline.sources import load_source

XINXIANG = "xinxiang-city-zwfw-2024-budget"


def test_add_scaffolds_a_source_folder_from_the_document(tmp_path):
    folder, extraction = add_document(SOURCES / XINXIANG / "transcript.txt", tmp_path)
    assert folder.name == "410700-2024-budget-b4e2df72"
    text = (folder / "source.yml").read_text(encoding="utf-8")
    assert 'name: "新乡市政务服务和大数据管理局"' in text and 'code: "709"' in text
    assert 'name: "河南省新乡市"' in text and 'code: "410700"' in text  # division from the cover
    assert "fiscal_year: 2024" in text and "format: transcript" in text
    assert 'title: "2024年新乡市政务服务和大数据管理局部门预算公开"' in text
    assert (folder / "transcript.txt").read_bytes() == (SOURCES / XINXIANG / "transcript.txt").read_bytes()
    with pytest.raises(SourceError, match="fill in the TODO fields: published.url, published.date$"):
        load_source(folder)
    filled = text.replace(
        'url: "TODO"', 'url: "https://example.gov.cn/budget.pdf"').replace(
        'date: "TODO"', 'date: "2024-02-06"')
    (folder / "source.yml").write_text(filled, encoding="utf-8")
    meta = load_source(folder).meta
    assert meta.division.name == "河南省新乡市" and meta.published.date == "2024-02-06"
    with pytest.raises(SourceError, match="already holds this file"):
        add_document(SOURCES / XINXIANG / "transcript.txt", tmp_path)


def test_add_command_prints_what_was_recognized(tmp_path):
    result = CliRunner().invoke(cli, ["add", str(SOURCES / "sh-putuo-sifaju-2026-budget" / "document.pdf"),
                                      "--sources", str(tmp_path), "--id", "sh-test"])
    assert result.exit_code == 0, result.output
    assert "9 standard tables recognized" in result.output
    assert "fill in the TODO fields" in result.output
    assert (tmp_path / "sh-test" / "document.pdf").exists()


@pytest.fixture
def two_packages(tmp_path, package):
    """The published package, and one rebuilt without one document and with one amount changed."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for doc in ("xinxiang-city-zwfw-2024-budget", "xuchang-city-zwfw-2024-budget"):
        copy_seed(doc, sources)
    new = tmp_path / "new"
    assert build(sources, new, progress=False).ok
    path = new / "data" / "three_public_expenses.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[1][rows[0].index("total")] = "27000"  # xinxiang's 三公 total, as if corrected
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return package, new


def test_diff_reports_documents_rows_and_changed_values(two_packages):
    old, new = two_packages
    d = diff_packages(old, new)
    assert "xinxiang-hongqi-zwfw-2022-budget" in d.documents_removed
    assert d.documents_added == []
    three = next(t for t in d.tables if t.name == "three_public_expenses")
    ((row, changes),) = three.changed
    assert row["document_id"] == XINXIANG and changes == {"total": ("26000", "27000")}
    text = diff_markdown(d)
    assert "Documents removed:" in text and "total: '26000' → '27000'" in text
    assert diff_packages(old, old).empty


def test_diff_command(two_packages):
    old, new = two_packages
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0 and "| three_public_expenses | 0 |" in result.output


def edited(package: Path, dest: Path, table: str, edit=None, version: str | None = None) -> Path:
    """A copy of `package` in `dest`; `edit(fields, rows)` changes `table`'s schema fields
    and rows in place (returning False drops the table), `version` sets the version."""
    shutil.copytree(package, dest)
    path = dest / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    if version:
        descriptor["version"] = version
    resource = next(r for r in descriptor["resources"] if r["name"] == table)
    csv_path = dest / resource["path"]
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if edit and edit(resource["schema"]["fields"], rows) is False:
        descriptor["resources"].remove(resource)
    names = [f["name"] for f in resource["schema"]["fields"]]
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, names, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return dest


def _remove_field(fields, rows):
    fields[:] = [f for f in fields if f["name"] != "reception"]


def _rename_field(fields, rows):
    next(f for f in fields if f["name"] == "reception")["name"] = "hospitality"
    for r in rows:
        r["hospitality"] = r.pop("reception")


def _change_type(fields, rows):
    next(f for f in fields if f["name"] == "source_page")["type"] = "string"


def _add_field(fields, rows):
    fields.append({"name": "remarks", "type": "string", "title": "备注", "description": "Notes"})


def _correct_value(fields, rows):
    next(r for r in rows if r["document_id"] == "js-renda-bangongting-2017-budget")["total"] = "8336001"


@pytest.mark.parametrize("edit, bump, says", [
    (_remove_field, "major", "field removed: reception"),
    (_rename_field, "major", "field removed: reception; field added: hospitality"),
    (_change_type, "major", "type changed: source_page integer → string"),
    (lambda fields, rows: False, "major", "table removed"),
    (_add_field, "minor", "field added: remarks"),
    (_correct_value, "patch", "total: '8336000' → '8336001'"),
])
def test_diff_reports_schema_changes_and_the_version_bump_they_need(
        tmp_path, package, edit, bump, says):
    released = edited(package, tmp_path / "released", "documents", version="1.4.2")
    new = edited(released, tmp_path / "new", "three_public_expenses", edit)
    d = diff_packages(released, new)
    assert d.bump == bump
    text = diff_markdown(d)
    assert says in text and f"Version change: {bump}" in text
    three = next(t for t in d.tables if t.name == "three_public_expenses")
    assert not three.changed or bump == "patch"  # a schema change is not a change of every row
    assert d.next_version() == {"major": "2.0.0", "minor": "1.5.0", "patch": "1.4.3"}[bump]


def test_documents_added_are_minor_and_removed_or_corrected_are_patch(two_packages):
    published, smaller = two_packages
    assert diff_packages(smaller, published).bump == "minor"  # hongqi added
    assert diff_packages(published, smaller).bump == "patch"  # hongqi withdrawn, a value fixed


def test_next_version_is_none_without_a_change_or_the_maintainers_if_higher(tmp_path, package):
    released = edited(package, tmp_path / "released", "documents", version="1.4.2")
    assert diff_packages(released, released).bump is None
    assert diff_packages(released, released).next_version() is None
    declared = edited(released, tmp_path / "declared", "documents", version="3.0.0")
    assert diff_packages(released, declared).next_version() == "3.0.0"
    fixed = edited(released, tmp_path / "fixed", "three_public_expenses", _correct_value,
                   version="1.7.0")
    assert diff_packages(released, fixed).next_version() == "1.7.0"
    result = CliRunner().invoke(cli, ["diff", str(released), str(fixed), "--next-version"])
    assert result.exit_code == 0 and result.output == "1.7.0\n"
    result = CliRunner().invoke(cli, ["diff", str(released), str(released), "--next-version"])
    assert result.exit_code == 0 and result.output == "\n"


def _release_twice(tmp_path: Path, package: Path, previous: Path) -> tuple[Path, Path]:
    """The release built twice, each time from its own copy of the package (files with
    different times) and its own site database, into different folders."""
    from pipeline.publish.site import build_site

    releases = []
    for n, when in ((1, 1_000_000_000), (2, 1_700_000_000)):
        copy = tmp_path / f"package{n}"
        shutil.copytree(package, copy)
        for p in copy.rglob("*"):
            os.utime(p, (when, when))
        site = build_site(copy, tmp_path / f"site{n}", "https://example.org/budgets")
        releases.append(build_release(copy, tmp_path / f"release{n}", site.database, previous))
    return releases[0], releases[1]


def test_release_is_byte_identical_when_rebuilt(tmp_path, two_packages):
    old, new = two_packages
    first, second = _release_twice(tmp_path, new, old)
    files = sorted(p.name for p in first.iterdir())
    assert files == ["RELEASE_NOTES.md", "SHA256SUMS", "budgets.db", "datapackage.zip",
                     "parquet.zip"]
    assert files == sorted(p.name for p in second.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_release_archives_hold_the_package_and_sha256sums_covers_every_file(tmp_path, two_packages):
    old, new = two_packages
    release = build_release(new, tmp_path / "release", previous=old)
    with zipfile.ZipFile(release / "datapackage.zip") as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert names == sorted(f"datapackage/{p.relative_to(new).as_posix()}"
                               for p in new.rglob("*") if p.is_file())
        for name in names:
            assert z.read(name) == (new / name.removeprefix("datapackage/")).read_bytes()
    with zipfile.ZipFile(release / "parquet.zip") as z:
        z.extract("parquet/three_public_expenses.parquet", tmp_path)
    table = pq.read_table(tmp_path / "parquet" / "three_public_expenses.parquet").to_pylist()
    assert table[0]["total"] == Decimal("27000")  # exact decimals, not floats
    assert "total: '26000' → '27000'" in (release / "RELEASE_NOTES.md").read_text(encoding="utf-8")
    sums = dict(reversed(line.split("  ")) for line in
                (release / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(p.name for p in release.iterdir() if p.name != "SHA256SUMS")
    for name, digest in sums.items():
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest, name


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="session")
def seed_package(tmp_path_factory) -> Path:
    """The package that sources/ of `repo` (one seed) builds, as published."""
    sources = tmp_path_factory.mktemp("seed") / "sources"
    copy_seed(XINXIANG, sources)
    out = sources.parent / "datapackage"
    assert build(sources, out, progress=False).ok
    return out


@pytest.fixture
def repo(tmp_path, seed_package):
    """A throwaway clone-like repository with a seed and its package, to review a
    contribution in."""
    root = tmp_path / "repo"
    (root / "sources").mkdir(parents=True)
    copy_seed(XINXIANG, root / "sources")
    shutil.copytree(seed_package, root / "datapackage")
    shutil.copy(ROOT / ".gitignore", root / ".gitignore")  # review-report.md is ignored
    _git(root, "init", "-q")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    return root


def test_review_builds_only_the_changed_documents(repo):
    copy_seed("xuchang-city-zwfw-2024-budget", repo / "sources")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "add xuchang")
    files = _git(repo, "diff", "--name-only", "HEAD~1...HEAD").split()
    result = review(repo, files, repo / "datapackage")
    assert result.ok and result.documents == ["xuchang-city-zwfw-2024-budget"]
    assert "## ✓ xuchang-city-zwfw-2024-budget" in result.report
    # what a merge publishes: the document, as the next minor version (not "0.1.0 → 0.1.0"),
    # and not the temporary package's list of sources as a change of the package
    version = json.loads((repo / "datapackage" / "datapackage.json").read_text())["version"]
    major, minor, _ = map(int, version.split("."))
    assert f"## Data changes {version} → {major}.{minor + 1}.0" in result.report
    assert "Documents added: xuchang-city-zwfw-2024-budget" in result.report
    assert "Package properties changed" not in result.report
    assert "200 passed" in result.report or "passed, 0 failed" in result.report
    assert "Result: ready for review" in result.report


def test_review_refuses_changes_outside_sources(repo):
    (repo / "pipeline").mkdir()
    (repo / "pipeline" / "evil.py").write_text("import os\n")
    result = review(repo, ["pipeline/evil.py"], repo / "datapackage")
    assert not result.ok
    assert "may only add or change files under `sources/`" in result.report
    assert "`pipeline/evil.py`" in result.report


def test_review_reports_a_checksum_mismatch_then_a_failing_check(repo):
    from pipeline.sources import sha256_of
    folder = repo / "sources" / XINXIANG
    path = folder / "transcript.txt"
    old_sha = sha256_of(path)
    path.write_text(path.read_text(encoding="utf-8").replace("支出总计\t47,172.53", "支出总计\t47,172.63"),
                    encoding="utf-8")
    files = [f"sources/{XINXIANG}/transcript.txt"]
    result = review(repo, files, repo / "datapackage")
    assert not result.ok and "sha256 mismatch" in result.report
    # the contributor's file is named, not the copy the build read; a contribution that
    # fails publishes nothing: no data changes, no version
    assert f"\nsources/{XINXIANG}/transcript.txt: sha256 mismatch" in result.report
    assert "/tmp" not in result.report and str(repo) not in result.report
    assert "Data changes" not in result.report and "Version change" not in result.report
    meta = folder / "source.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(old_sha, sha256_of(path)), encoding="utf-8")
    result = review(repo, files, repo / "datapackage")
    assert not result.ok and "## ✗ xinxiang-city-zwfw-2024-budget" in result.report
    assert "FAIL summary_balance" in result.report
    assert "Data changes" not in result.report and "Version change" not in result.report


def test_review_refuses_a_file_published_under_another_id(repo):
    """Built alone the copy passes; the build of every document after the merge would not."""
    shutil.copytree(repo / "sources" / XINXIANG, repo / "sources" / "xinxiang-copy")
    files = [f"sources/xinxiang-copy/{name}" for name in ("source.yml", "transcript.txt")]
    result = review(repo, files, repo / "datapackage")
    assert not result.ok and "## ✗ xinxiang-copy" in result.report
    assert f"the same file as published document {XINXIANG}" in result.report
    shutil.rmtree(repo / "sources" / XINXIANG)  # a rename: the old id goes
    result = review(repo, files + [f"sources/{XINXIANG}/source.yml"], repo / "datapackage")
    assert result.ok, result.report


def test_review_with_no_document_changed_is_not_ready(repo):
    result = review(repo, [], repo / "datapackage")
    assert not result.ok and "no documents changed" in result.report
    assert "ready for review" not in result.report
    result = review(repo, ["README.md"], repo / "datapackage")
    assert not result.ok and "`README.md`" in result.report and "no documents changed" in result.report


def test_local_review_sees_what_add_just_wrote(repo):
    """A contributor runs `add`, fills in source.yml and reviews before committing: the
    review sees the new folder; files written outside sources/ are not the contribution's."""
    (repo / "review-report.md").write_text("an earlier report\n")
    assert changed_files("HEAD", repo) == []
    runner = CliRunner()
    result = runner.invoke(cli, ["review", "--root", str(repo), "--base", "HEAD"])
    assert result.exit_code == 1 and "no documents changed" in result.output
    download = repo.parent / "transcript.txt"  # another file than the one published
    download.write_bytes((SOURCES / "xuchang-city-zwfw-2024-budget" / "transcript.txt")
                         .read_bytes() + b"\n")
    folder, _ = add_document(download, repo / "sources", "xuchang-new")
    assert changed_files("HEAD", repo) == ["sources/xuchang-new/source.yml",
                                           "sources/xuchang-new/transcript.txt"]
    result = runner.invoke(cli, ["review", "--root", str(repo), "--base", "HEAD"])
    assert result.exit_code == 1 and "fill in the TODO fields" in result.output
    meta = folder / "source.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("TODO check: ", "")  # confirmed
                    .replace('"TODO"', "null"), encoding="utf-8")
    result = runner.invoke(cli, ["review", "--root", str(repo), "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "## ✓ xuchang-new" in result.output and "Result: ready for review" in result.output
    _git(repo, "add", "sources")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "add xuchang")
    seed = repo / "sources" / XINXIANG / "source.yml"
    seed.write_text(seed.read_text(encoding="utf-8") + "notes: 已核对\n", encoding="utf-8")
    assert changed_files("HEAD~1", repo) == [f"sources/{XINXIANG}/source.yml",
                                             "sources/xuchang-new/source.yml",
                                             "sources/xuchang-new/transcript.txt"]


@pytest.mark.parametrize("change, contribution", [
    ({"sources/new-doc/source.yml": "title: x\n"}, True),
    ({"sources/new-doc/source.yml": "title: x\n", "pipeline/evil.py": "import os\n"}, False),
    ({"README.md": "changed\n"}, False),
    ({}, False),
])
def test_only_sources_changed_tells_a_contribution_from_other_changes(repo, change, contribution):
    """tests.yml rebuilds datapackage/ before the tests only for a contribution."""
    for name, text in change.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, "add", ".")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "change",
         "--allow-empty")
    script = ROOT / "scripts" / "only-sources-changed"
    proc = subprocess.run([str(script), "HEAD~1"], cwd=repo, capture_output=True, check=False)
    assert (proc.returncode == 0) == contribution, proc.stderr
    unknown_base = subprocess.run([str(script), "0" * 40], cwd=repo, capture_output=True,
                                  check=False)
    assert unknown_base.returncode != 0


def test_withdrawn_documents_are_the_deleted_source_folders(repo):
    """The workflows let a build drop exactly the documents deleted (or renamed) since
    datapackage/ was last committed, i.e. since the package as published."""
    script = ROOT / "scripts" / "withdrawn-documents"

    def withdrawn(*base: str) -> str:
        return subprocess.run([str(script), *base], cwd=repo, capture_output=True, text=True,
                              check=True).stdout

    def commit(message: str) -> None:
        _git(repo, "add", "-A")
        _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", message)

    copy_seed("xuchang-city-zwfw-2024-budget", repo / "sources")
    commit("add xuchang")
    assert withdrawn() == ""
    shutil.rmtree(repo / "sources" / XINXIANG)
    (repo / "sources" / "xuchang-city-zwfw-2024-budget" / "notes.txt").write_text("x\n")
    commit("withdraw")
    assert withdrawn() == withdrawn("HEAD~1") == f"--allow-removal {XINXIANG}\n"
    assert withdrawn("HEAD") == ""
    (repo / "datapackage" / "README.md").write_text("rebuilt\n")
    commit("publish")
    assert withdrawn() == ""
    _git(repo, "mv", "sources/xuchang-city-zwfw-2024-budget", "sources/xuchang-renamed")
    commit("rename")  # git sees a rename; the old id is gone all the same
    assert withdrawn() == "--allow-removal xuchang-city-zwfw-2024-budget\n"


@pytest.mark.parametrize("link", ["folder", "file"])
def test_review_refuses_symbolic_links_without_following_them(repo, tmp_path, link):
    """A contribution's link is copied as a link and refused, never followed to what it
    points at (a folder link to / would otherwise copy the runner's file system)."""
    outside = tmp_path / "outside"
    shutil.copytree(repo / "sources" / XINXIANG, outside)
    if link == "folder":
        (repo / "sources" / "linked-doc").symlink_to(outside, target_is_directory=True)
    else:
        folder = repo / "sources" / "linked-doc"
        folder.mkdir()
        shutil.copy(outside / "source.yml", folder / "source.yml")
        (folder / "transcript.txt").symlink_to(outside / "transcript.txt")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "a link")
    files = changed_files("HEAD~1", repo)
    assert files == (["sources/linked-doc"] if link == "folder" else
                     ["sources/linked-doc/source.yml", "sources/linked-doc/transcript.txt"])
    result = review(repo, files, repo / "datapackage")
    assert not result.ok and "## ✗ linked-doc" in result.report
    assert "is a symbolic link" in result.report


def test_review_refuses_a_loose_file_in_sources(repo):
    (repo / "sources" / "notes.py").write_text("import os\n")
    result = review(repo, ["sources/notes.py"], repo / "datapackage")
    assert not result.ok and "`sources/notes.py`" in result.report


def test_a_change_of_package_properties_is_a_patch(tmp_path, package):
    released = edited(package, tmp_path / "released", "documents", version="1.4.2")
    relicensed = edited(released, tmp_path / "relicensed", "documents")
    path = relicensed / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["licenses"] = [{"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}]
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    d = diff_packages(released, relicensed)
    assert d.metadata == ["licenses"] and d.bump == "patch" and d.next_version() == "1.4.3"
    assert "Package properties changed: licenses" in diff_markdown(d)


def test_review_fails_on_a_table_not_read_until_source_yml_acknowledges_it(repo):
    """The build on main would publish the document without its 三公 table; the review
    refuses the gap until the contributor acknowledges it, with the lines it prints."""
    from test_corpus import SANGONG, make_gap
    folder = make_gap(repo / "sources" / XINXIANG)
    files = [f"sources/{XINXIANG}/source.yml", f"sources/{XINXIANG}/transcript.txt"]
    result = review(repo, files, repo / "datapackage")
    assert not result.ok and "Result: needs changes" in result.report
    reason = "column 6 (公务宴请费) holds '0.50' but its header is not understood (transcript line ≈428)"
    assert result.gaps == {XINXIANG: [(SANGONG, reason)]}
    assert f"## ✗ {XINXIANG}: tables not read" in result.report
    assert f"- {SANGONG}: {reason}" in result.report
    assert "never a publisher error" in result.report
    yaml_block = result.report.split("```yaml\n")[1].split("\n```")[0]
    assert yaml_block.splitlines()[1:] == [
        "  - rule: tables_read", f'    subject: "{SANGONG}"',
        f'    explanation: "not read: {reason}"']
    meta = folder / "source.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + yaml_block + "\n", encoding="utf-8")
    result = review(repo, files, repo / "datapackage")
    assert result.ok, result.report
    assert f"## ✓ {XINXIANG}" in result.report and "ACKNOWLEDGED tables_read" in result.report
    assert "tables not read" not in result.report


def test_the_build_publishes_what_was_read_of_a_document_with_a_gap(repo, tmp_path):
    """On main, a gap nobody acknowledged does not keep the document out: the review is
    where it is refused."""
    from test_corpus import SANGONG, make_gap
    make_gap(repo / "sources" / XINXIANG)
    result = build(repo / "sources", tmp_path / "dp", progress=False)
    assert result.ok and result.built == [XINXIANG]
    assert [g.split(": ")[0] for g in result.gaps[XINXIANG]] == [SANGONG]
    rows = list(csv.DictReader((tmp_path / "dp" / "data" / "document_tables.csv").open(encoding="utf-8")))
    assert {r["status"] for r in rows if r["source_table"] == SANGONG} == {"not_extracted"}
    assert not list(csv.DictReader((tmp_path / "dp" / "data" / "three_public_expenses.csv")
                                   .open(encoding="utf-8")))


def test_review_sees_a_change_outside_sources_before_and_after_it_is_committed(repo):
    """A vocabulary edit left uncommitted is refused as it would be once committed: the
    local review and the pull request's agree."""
    vocabulary = repo / "pipeline" / "families" / "budget.yml"
    vocabulary.parent.mkdir(parents=True)
    vocabulary.write_text("titles: []\n", encoding="utf-8")
    _git(repo, "add", "pipeline")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "vocabulary")
    vocabulary.write_text("titles: [公务宴请费]\n", encoding="utf-8")
    (repo / "review-report.md").write_text("an earlier report\n")  # untracked: not the contribution's
    assert changed_files("HEAD", repo) == ["pipeline/families/budget.yml"]
    seed = repo / "sources" / XINXIANG / "source.yml"
    seed.write_text(seed.read_text(encoding="utf-8") + "notes: 已核对\n", encoding="utf-8")
    files = changed_files("HEAD", repo)
    assert files == ["pipeline/families/budget.yml", f"sources/{XINXIANG}/source.yml"]
    uncommitted = review(repo, files, repo / "datapackage")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "both")
    assert changed_files("HEAD~1", repo) == files
    committed = review(repo, changed_files("HEAD~1", repo), repo / "datapackage")
    for result in (uncommitted, committed):
        assert not result.ok and "`pipeline/families/budget.yml`" in result.report
        assert "is a separate pull request" in result.report


def test_review_sees_a_new_file_outside_sources_before_and_after_it_is_committed(repo):
    """A new test or vocabulary file not yet added is part of what a commit of everything
    would hold: refused before the commit as after it. What .gitignore leaves out is not."""
    seed = repo / "sources" / XINXIANG / "source.yml"
    seed.write_text(seed.read_text(encoding="utf-8") + "notes: 已核对\n", encoding="utf-8")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_words.py").write_text("def test_words(): pass\n")
    (repo / "review-report.md").write_text("an earlier report\n")  # in .gitignore
    files = changed_files("HEAD", repo)
    assert files == [f"sources/{XINXIANG}/source.yml", "tests/test_words.py"]
    uncommitted = review(repo, files, repo / "datapackage")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "both")
    assert changed_files("HEAD~1", repo) == files
    committed = review(repo, files, repo / "datapackage")
    for result in (uncommitted, committed):
        assert not result.ok and "- `tests/test_words.py`" in result.report


def test_review_names_datapackage_rewritten_by_build_once(repo):
    """`build` after `add` rewrites datapackage/: the review says a contributor does not
    commit it, and how to undo it, without listing every file."""
    seed = repo / "sources" / XINXIANG / "source.yml"
    seed.write_text(seed.read_text(encoding="utf-8") + "notes: 已核对\n", encoding="utf-8")
    for name in ("datapackage.json", "data/documents.csv", "data/checks.csv"):
        (repo / "datapackage" / name).write_text("rebuilt\n", encoding="utf-8")
    result = review(repo, changed_files("HEAD", repo), repo / "datapackage")
    assert not result.ok
    assert "- `datapackage/` (3 files): a contributor does not commit it" in result.report
    assert "`git restore datapackage`" in result.report
    assert "`datapackage/data/checks.csv`" not in result.report


def test_a_folder_add_named_without_division_or_year_is_renamed_before_review(repo, tmp_path):
    """Issue 17: the id kept 000000 after the division was filled in. `add` names the folder
    with what it read; once source.yml gives the year, the review asks for the full id."""
    lines = (SOURCES / XINXIANG / "transcript.txt").read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if "\t" in line)
    start = max(i for i in range(first) if "表" in lines[i] and "目" not in lines[i])
    tables_only = tmp_path / "tables.txt"  # no cover: the year is guessed, the division read
    tables_only.write_text("\n".join(lines[start:]), encoding="utf-8")
    folder, _ = add_document(tables_only, repo / "sources")
    sha8 = folder.name[-8:]
    assert folder.name == f"410700-budget-{sha8}"
    meta = folder / "source.yml"
    text = meta.read_text(encoding="utf-8")
    assert "lacks the year" in text and "rename the folder" in text
    meta.write_text(text.replace("TODO check: ", "").replace(
        'title: "TODO"', 'title: "2024年新乡市政务服务和大数据管理局部门预算公开"')
        .replace('"TODO"', "null"), encoding="utf-8")
    result = review(repo, changed_files("HEAD", repo), repo / "datapackage")
    assert not result.ok and f"## ✗ {folder.name}" in result.report
    assert f"rename it to `sources/410700-2024-budget-{sha8}/`" in result.report
    folder.rename(folder.with_name(f"410700-2024-budget-{sha8}"))
    result = review(repo, changed_files("HEAD", repo), repo / "datapackage")
    assert "rename it" not in result.report
    assert f"## ✓ 410700-2024-budget-{sha8}" in result.report or \
        f"## ✗ 410700-2024-budget-{sha8}: tables not read" in result.report


def _guide_commands() -> list[str]:
    """The shell blocks of CONTRIBUTING.md's step 2 (添加文件), as a contributor types them."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## 2. 添加文件")[1].split("## 3.")[0]
    return [block.split("\n```")[0] for block in section.split("```bash\n")[1:]]


def test_a_new_pdf_goes_from_add_to_ready_for_review_by_contributing_md_alone(tmp_path, seed_package):
    """Issue 17, done when: a new real disclosure, on a fresh clone, with the commands of
    CONTRIBUTING.md and no edit outside its sources/ folder, reaches "ready for review"."""
    upstream = tmp_path / "upstream"  # the project as published: a seed and its package
    copy_seed(XINXIANG, upstream / "sources")
    shutil.copytree(seed_package, upstream / "datapackage")
    for name in (".gitignore", "CONTRIBUTING.md", "scripts/review-contribution"):
        (upstream / name).parent.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, upstream / name)
    _git(upstream, "init", "-q", "-b", "main")
    _git(upstream, "add", ".")
    _git(upstream, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "published")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(upstream), str(clone))
    home = tmp_path / "home"  # the PDF, downloaded outside the clone as the guide says
    (home / "Downloads").mkdir(parents=True)
    pdf = SOURCES / "sh-putuo-quzhengfuban-2025-budget" / "document.pdf"  # not published upstream
    shutil.copy(pdf, home / "Downloads" / "下载的文件.pdf")
    python = Path(sys.executable)
    env = {**os.environ, "HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)

    def run(block: str) -> subprocess.CompletedProcess:
        """The block in the contributor's terminal, which stays activated once it is."""
        if "source .venv/bin/activate" in block:  # this test's environment is the project's
            env.update(VIRTUAL_ENV=sys.prefix, PATH=f"{python.parent}{os.pathsep}{env['PATH']}")
            block = block.replace("source .venv/bin/activate", ":")
        return subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=clone, env=env,
                              capture_output=True, text=True)

    add_block, review_block = _guide_commands()
    added = run(add_block)
    assert added.returncode == 0, added.stderr
    folder = next((clone / "sources").glob("310107-2025-budget-*"))
    assert f"Created sources/{folder.name}/" in added.stdout
    meta = folder / "source.yml"
    text = meta.read_text(encoding="utf-8")
    data = yaml.safe_load(text)  # read off the Shanghai cover
    assert data["title"] == "上海市普陀区2025年区级部门预算（上海市普陀区人民政府办公室）"
    assert data["department"]["name"] == "上海市普陀区人民政府办公室"
    assert (data["division"], data["fiscal_year"]) == ({"name": "上海市普陀区", "code": "310107"}, 2025)
    review_block = review_block.replace("<document_id>", folder.name)

    # step 2: what add could not read is TODO; the build refuses it until filled in
    reviewed = run(review_block)
    assert reviewed.returncode == 1 and "fill in the TODO fields: published.url, published.date" \
        in reviewed.stderr  # from `check`, which stops the block
    # the page is unknown and no copy named: a PDF that does not say where it came from
    meta.write_text(text.replace('url: "TODO"', "url: null").replace('date: "TODO"', "date: null"),
                    encoding="utf-8")
    reviewed = run(review_block.split("\n")[-1])  # the review alone
    assert reviewed.returncode == 1 and "where the file came from is missing" in reviewed.stdout
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        "retrieved_from: null", "retrieved_from: https://example.org/copy/budget.pdf"),
        encoding="utf-8")
    reviewed = run(review_block)
    assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
    assert len(re.findall(rf"{folder.name}: \d+ passed, 0 failed", reviewed.stdout)) == 2
    assert f"## ✓ {folder.name}" in reviewed.stdout
    assert "Data changes 0.1.0 → 0.2.0" in reviewed.stdout
    assert reviewed.stdout.rstrip().endswith("**Result: ready for review.**")
    # nothing changed outside the document's folder (the report file is ignored)
    status = _git(clone, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status == [f"?? sources/{folder.name}/{name}" for name in ("document.pdf", "source.yml")]
