"""Building the package: bad input is reported by file, the rest still builds, output is
deterministic and valid."""
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import GOOD, ROOT, SEEDS, add_pdf, copy_seed, read_table
from pipeline.publish.build import build
from pipeline.errors import SourceError
from pipeline.limits import Limits
from pipeline.metadata.registry import TABLES
from pipeline.sources import load_source


def edit_meta(folder: Path, **changes) -> None:
    path = folder / "source.yml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta.update(changes)
    path.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


def test_package_validates_and_lists_every_table(package):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == [t.name for t in TABLES]
    for key in ("name", "title", "version", "licenses", "sources", "contributors"):
        assert descriptor[key]
    for resource in descriptor["resources"]:
        data = (package / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
    from frictionless import Package
    assert Package(str(package / "datapackage.json")).validate().valid


def test_build_twice_gives_byte_identical_output(tmp_path, core_sources, core_package):
    again = tmp_path / "again"
    assert build(core_sources, again, progress=False).ok
    for path in sorted(core_package.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(core_package)).read_bytes() == path.read_bytes(), path


def test_committed_schemas_match_the_registry(tmp_path):
    from pipeline.publish.package import write_schemas
    write_schemas(tmp_path)
    for table in TABLES:
        assert (ROOT / "schemas" / f"{table.name}.json").read_text(encoding="utf-8") == \
            (tmp_path / f"{table.name}.json").read_text(encoding="utf-8"), table.name


def test_every_field_has_chinese_title_and_english_description():
    for table in TABLES:
        schema = table.schema()
        assert schema["primaryKey"], table.name
        for field, spec in zip(schema["fields"], table.fields):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in field["title"]), field["name"]
            assert field["description"], field["name"]
            if spec.amount:
                assert (field["currency"], field["factor"]) == ("CNY", 1)
                assert "phase" in field


def test_published_rows_carry_provenance(package):
    documents = {r["document_id"]: r for r in read_table(package, "documents")}
    assert set(SEEDS) < set(documents)
    for table in TABLES:
        if "source_table" in table.field_names():
            for row in read_table(package, table.name):
                assert row["source_table"] and row["source_unit"] in ("万元", "元", "")
                from_pdf = documents[row["document_id"]]["source_format"] == "pdf"
                assert bool(row["source_page"]) == from_pdf, (table.name, row)


@pytest.mark.parametrize("breakage, message", [
    (lambda f: (f / "source.yml").unlink(), r"source.yml: missing"),
    (lambda f: edit_meta(f, fiscal_year="twenty"), r"source.yml: invalid: fiscal_year"),
    (lambda f: edit_meta(f, colour="red"), r"source.yml: invalid: colour: Extra inputs"),
    (lambda f: edit_meta(f, file="../other/transcript.txt"), r"file: Value error, must be a plain"),
    (lambda f: edit_meta(f, division={"name": "新乡", "code": "4107"}), r"division.code"),
    (lambda f: (f / "source.yml").write_text("title: [unclosed", encoding="utf-8"),
     r"not valid YAML"),
    (lambda f: (f / "transcript.txt").write_text("changed", encoding="utf-8"),
     r"transcript.txt: sha256 mismatch"),
    (lambda f: (f / "transcript.txt").unlink(), r"transcript.txt: document named in source.yml is missing"),
])
def test_bad_source_is_reported_and_the_rest_builds(sources, tmp_path, breakage, message):
    bad = copy_seed("xinxiang-hongqi-zwfw-2022-budget", sources)
    breakage(bad)
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert list(result.failed) == [bad.name]
    assert pytest.importorskip("re").search(message, result.failed[bad.name]), result.failed
    assert read_table(tmp_path / "out", "documents")[0]["document_id"] == GOOD


def test_unreadable_and_non_budget_documents(sources, tmp_path):
    import hashlib as h
    for name, content in [("binary-doc", b"\x00\x01\x02garbage\xff\xfe"),
                          ("meeting-notice", "会议通知\n\n时间\t地点\n上午\t三楼\n".encode())]:
        folder = sources / name
        folder.mkdir()
        (folder / "transcript.txt").write_bytes(content)
        meta = yaml.safe_load((sources / GOOD / "source.yml").read_text(encoding="utf-8"))
        meta["sha256"] = h.sha256(content).hexdigest()
        (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert "not UTF-8" in result.failed["binary-doc"] or "NUL" in result.failed["binary-doc"]
    assert "none of the standard budget tables" in result.failed["meeting-notice"]


def test_invalid_folder_name(sources):
    bad = sources / "Bad Name"
    bad.mkdir()
    with pytest.raises(SourceError, match="folder name must be a document id"):
        load_source(bad)


def test_failed_validation_keeps_the_old_package(sources, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(sources, out, progress=False).ok
    before = (out / "datapackage.json").read_bytes()
    monkeypatch.setattr("pipeline.publish.build.validate_package", lambda path, **options: ["broken"])
    result = build(sources, out, progress=False)
    assert result.validation_errors == ["broken"] and result.package is None
    assert (out / "datapackage.json").read_bytes() == before
    assert not (tmp_path / "out.tmp").exists()


def test_committed_package_is_what_the_sources_build(package):
    """datapackage/ on main is reproducible: rebuilding from sources/ changes no byte."""
    committed = ROOT / "datapackage"
    built = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file())
    assert built == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    for rel in built:
        assert (committed / rel).read_bytes() == (package / rel).read_bytes(), rel


def bad_pdfs() -> dict[str, tuple[bytes, str]]:
    from test_pdf_reader import EXPECTED, GREY_SQUARE, pdf_bytes
    real = (ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf").read_bytes()
    words = [(60 + 100 * c, 60 + 20 * r, text) for r, row in enumerate(EXPECTED)
             for c, text in enumerate(row)]
    return {
        "truncated": (real[: len(real) // 2], "truncated or corrupt PDF"),
        "not-a-pdf": (b"<html>not a pdf</html>", "not a PDF"),
        "zero-pages": (pdf_bytes([]), "no pages"),
        "scanned": (pdf_bytes([([], [], GREY_SQUARE)]), "page 1 has no text layer"),
        "meeting-minutes": (pdf_bytes([(words, [])]), "none of the standard budget tables"),
        "too-many-pages": (pdf_bytes([([], [])] * 401), "401 pages is over the limit of 400"),
    }


@pytest.mark.parametrize("name", sorted(bad_pdfs()))
def test_bad_pdf_gets_a_specific_error_and_the_batch_goes_on(sources, tmp_path, name):
    content, message = bad_pdfs()[name]
    folder = add_pdf(sources, f"bad-{name}", content)
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert f"bad-{name}/document.pdf" in result.failed[folder.name]
    assert message in result.failed[folder.name]


def test_oversized_document_is_refused_before_reading(sources, tmp_path):
    result = build(sources, tmp_path / "out", progress=False, limits=Limits(document_bytes=1000))
    assert "MiB is over the limit" in result.failed[GOOD]


def test_size_is_checked_before_the_file_is_hashed(sources, tmp_path, monkeypatch):
    def hash_anyway(path):
        raise AssertionError(f"hashed {path} before checking its size")
    monkeypatch.setattr("pipeline.sources.sha256_of", hash_anyway)
    result = build(sources, tmp_path / "out", progress=False, limits=Limits(document_bytes=1000))
    assert result.failed == {GOOD: f"{sources / GOOD / 'transcript.txt'}: 0 MiB is over the "
                                   "limit of 0 MiB per document"}


def test_a_hung_parse_is_stopped_and_the_batch_goes_on(sources, tmp_path, monkeypatch):
    import time
    from pipeline.publish import build as build_module
    slow = copy_seed("xuchang-city-zwfw-2024-budget", sources)
    real = build_module.extract_source

    def hang_on_xuchang(source, *args, **kwargs):
        if source.id == slow.name:
            time.sleep(60)
        return real(source, *args, **kwargs)
    monkeypatch.setattr(build_module, "extract_source", hang_on_xuchang)
    start = time.monotonic()
    result = build(sources, tmp_path / "out", progress=False, timeout=2)
    assert time.monotonic() - start < 30
    assert result.built == [GOOD]
    assert "took longer than 2 s and was stopped" in result.failed[slow.name]


def test_same_file_under_two_ids_is_refused(sources, tmp_path):
    import shutil
    shutil.copytree(sources / GOOD, sources / "zz-copy-of-xinxiang")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert f"the same file as document {GOOD}" in result.failed["zz-copy-of-xinxiang"]


def test_a_published_document_that_now_fails_keeps_the_old_package(sources, tmp_path):
    copy_seed("xuchang-city-zwfw-2024-budget", sources)
    out = tmp_path / "out"
    assert build(sources, out, progress=False).ok
    before = {p.name: p.read_bytes() for p in (out / "data").iterdir()}
    edit_meta(sources / "xuchang-city-zwfw-2024-budget", sha256="0" * 64)
    result = build(sources, out, progress=False)
    assert result.regressions == ["xuchang-city-zwfw-2024-budget"] and result.package is None
    assert {p.name: p.read_bytes() for p in (out / "data").iterdir()} == before


def test_output_is_the_same_for_any_number_of_workers(tmp_path, core_sources):
    one, two = tmp_path / "one", tmp_path / "two"
    assert build(core_sources, one, progress=False, workers=1).ok
    assert build(core_sources, two, progress=False, workers=2).ok
    for path in sorted(one.rglob("*")):
        if path.is_file():
            assert (two / path.relative_to(one)).read_bytes() == path.read_bytes(), path


def test_incremental_build_re_extracts_only_what_changed(sources, tmp_path, monkeypatch):
    import os
    from pipeline.publish.cache import Cache
    copy_seed("xuchang-city-zwfw-2024-budget", sources)
    cache, out = tmp_path / "cache", tmp_path / "out"
    extracted = []  # documents whose outcome had to be computed (and was then cached)
    real_put = Cache.put
    monkeypatch.setattr(Cache, "put", lambda self, name, key, outcome:
                        extracted.append(name) or real_put(self, name, key, outcome))
    first = build(sources, out, progress=False, cache_dir=cache)
    assert first.ok and sorted(extracted) == [GOOD, "xuchang-city-zwfw-2024-budget"]
    extracted.clear()
    again = build(sources, out, progress=False, cache_dir=cache)
    assert extracted == [] and again.built == first.built and again.check_reports == first.check_reports
    doc = sources / GOOD / "transcript.txt"
    os.utime(doc, ns=(doc.stat().st_atime_ns, doc.stat().st_mtime_ns + 10**9))
    third = build(sources, out, progress=False, cache_dir=cache)
    assert third.ok and extracted == [GOOD]
    extracted.clear()
    monkeypatch.setattr("pipeline.publish.cache.code_fingerprint", lambda: "a new pipeline version")
    assert build(sources, out, progress=False, cache_dir=cache).ok
    assert sorted(extracted) == [GOOD, "xuchang-city-zwfw-2024-budget"]


def test_dask_local_cluster_with_two_workers_gives_the_same_package(tmp_path, core_sources,
                                                                   core_package):
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = build(core_sources, tmp_path / "dask", progress=False,
                       scheduler=cluster.scheduler_address)
    assert result.ok and len(result.built) == 5
    for path in sorted(core_package.rglob("*")):
        if path.is_file():
            assert (tmp_path / "dask" / path.relative_to(core_package)).read_bytes() == \
                path.read_bytes()


def test_two_rows_with_one_primary_key_fail_validation(tmp_path):
    """The writer checks keys document by document (frictionless then validates without
    holding every key in memory): a duplicated row is still caught, named by its key."""
    from pipeline.publish.build import extract_source
    from pipeline.publish.package import PackageWriter
    from pipeline.publish.validate import validate_package
    source = load_source(ROOT / "sources" / GOOD)
    extraction = extract_source(source)
    projects = extraction.rows["projects"]
    projects.append(dict(projects[-1]))
    writer = PackageWriter(tmp_path / "out")
    writer.add(source, extraction, [])
    writer.add(source, extraction, [])
    finished = writer.finish()
    last = projects[-1]
    duplicate = ("projects: two rows with the primary key {'document_id': '" + GOOD + "', "
                 f"'phase': 'approved', 'line_type': 'item', 'unit_code': '{last['unit_code'] or ''}', "
                 f"'project_unit': '{last['project_unit'] or ''}', "
                 f"'project_type': '{last['project_type'] or ''}', "
                 f"'project_name': '{last['project_name']}', 'repeat': ''}}")
    assert writer.key_errors == [duplicate, f"documents: document {GOOD} added twice", duplicate]
    assert validate_package(finished / "datapackage.json", keys_checked=True) == []
    streamed_past = validate_package(finished / "datapackage.json")
    assert any(e.startswith("projects: row") and "primary-key" in e for e in streamed_past)
    writer.abandon()


def test_a_renamed_department_keeps_its_id_from_source_yml(sources, tmp_path):
    """documents.department_id is division code + department code from source.yml, so a
    department's disclosure under a new name the next year has the same id."""
    renamed = sources / "xinxiang-city-xzsp-2025-budget"
    shutil.copytree(sources / GOOD, renamed)
    transcript = renamed / "transcript.txt"
    transcript.write_bytes(transcript.read_bytes() + b"\n")
    edit_meta(renamed, fiscal_year=2025, title="2025年新乡市行政审批和政务信息管理局部门预算公开",
              department={"name": "新乡市行政审批和政务信息管理局", "code": "709"},
              sha256=hashlib.sha256(transcript.read_bytes()).hexdigest())
    out = tmp_path / "out"
    assert build(sources, out, progress=False).ok
    documents = {r["document_id"]: r for r in read_table(out, "documents")}
    assert {(d["fiscal_year"], d["department_name"], d["department_id"])
            for d in documents.values()} == {
        ("2024", "新乡市政务服务和大数据管理局", "410700-709"),
        ("2025", "新乡市行政审批和政务信息管理局", "410700-709")}


def test_a_file_replaced_by_a_link_is_refused_whatever_the_cache_holds(sources, tmp_path):
    """The cache key sees a file's size and time, which a link to a copy can share."""
    import shutil
    cache, out = tmp_path / "cache", tmp_path / "out"
    folder = copy_seed("xuchang-city-zwfw-2024-budget", sources)
    assert build(sources, out, progress=False, cache_dir=cache).ok
    outside = shutil.copy2(folder / "transcript.txt", tmp_path / "elsewhere.txt")
    (folder / "transcript.txt").unlink()
    (folder / "transcript.txt").symlink_to(outside)
    result = build(sources, out, progress=False, cache_dir=cache)
    assert result.regressions == [folder.name]
    assert result.failed == {folder.name: f"{folder / 'transcript.txt'}: is a symbolic link; "
                             "sources/ may hold only real folders and files (a link could lead "
                             "anywhere)"}


def test_a_published_document_gone_from_sources_is_a_regression_unless_allowed(sources,
                                                                              tmp_path):
    import shutil
    from click.testing import CliRunner
    from pipeline.cli import cli
    gone = copy_seed("xuchang-city-zwfw-2024-budget", sources)
    out = tmp_path / "out"
    run = ["build", "--sources", str(sources), "--out", str(out), "--no-cache", "--quiet",
           "--schemas", str(tmp_path / "schemas")]
    assert CliRunner().invoke(cli, run).exit_code == 0
    before = {p.name: p.read_bytes() for p in (out / "data").iterdir()}
    shutil.rmtree(gone)
    refused = CliRunner().invoke(cli, run)
    assert refused.exit_code == 1
    assert (f"REGRESSION: document {gone.name} is in the published package but no longer in "
            f"{sources}/. The package in {out} was left as it was; if the document is meant "
            f"to go, build with --allow-removal {gone.name}.") in refused.output
    assert {p.name: p.read_bytes() for p in (out / "data").iterdir()} == before
    assert "--allow-removal ID" in CliRunner().invoke(cli, ["build", "--help"]).output
    allowed = CliRunner().invoke(cli, run + ["--allow-removal", gone.name])
    assert allowed.exit_code == 0, allowed.output
    assert [r["document_id"] for r in read_table(out, "documents")] == [GOOD]


def test_a_publish_stopped_between_its_renames_is_recovered_by_the_next_build(
        sources, tmp_path, monkeypatch):
    import pathlib
    import shutil
    out = tmp_path / "out"
    assert build(sources, out, progress=False).ok
    before = {p.name: p.read_bytes() for p in (out / "data").iterdir()}
    rename = pathlib.Path.rename

    def stop_before_the_new_one(path, target):
        if path.name == "out.tmp":
            raise KeyboardInterrupt  # the process dies between the two renames
        return rename(path, target)
    monkeypatch.setattr(pathlib.Path, "rename", stop_before_the_new_one)
    with pytest.raises(KeyboardInterrupt):
        build(sources, out, progress=False)
    monkeypatch.undo()
    assert not out.exists() and (tmp_path / "out.old").is_dir()
    shutil.rmtree(sources / GOOD)  # seen as a regression only if the old package is back
    result = build(sources, out, progress=False)
    assert result.removed == [GOOD] and result.package is None
    assert {p.name: p.read_bytes() for p in (out / "data").iterdir()} == before
    assert not (tmp_path / "out.old").exists()


def test_a_version_bump_rewrites_the_package_without_re_extracting(sources, tmp_path,
                                                                   monkeypatch):
    from pipeline.publish.cache import Cache
    from pipeline.publish.package import PACKAGE_META
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert build(sources, out, progress=False, cache_dir=cache).ok
    extracted = []
    real_put = Cache.put
    monkeypatch.setattr(Cache, "put", lambda self, name, key, outcome:
                        extracted.append(name) or real_put(self, name, key, outcome))
    bumped = tmp_path / "package.yml"
    bumped.write_text(re.sub(r"^version: .*$", "version: 9.9.9",
                             PACKAGE_META.read_text(encoding="utf-8"), flags=re.M),
                      encoding="utf-8")
    for module in ("pipeline.publish.package", "pipeline.publish.build"):
        monkeypatch.setattr(f"{module}.PACKAGE_META", bumped)
    assert build(sources, out, progress=False, cache_dir=cache).ok
    assert extracted == []
    assert json.loads((out / "datapackage.json").read_text(encoding="utf-8"))["version"] == "9.9.9"


def test_the_code_fingerprint_ignores_only_the_package_metadata(tmp_path, monkeypatch):
    from pipeline.publish import cache
    code = tmp_path / "pipeline"
    shutil.copytree(cache.CODE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "CODE", code)

    def fingerprint():
        cache.code_fingerprint.cache_clear()
        return cache.code_fingerprint()

    before = fingerprint()
    (code / "publish" / "package.yml").write_text("version: 9.9.9\n", encoding="utf-8")
    assert fingerprint() == before
    with open(code / "families" / "budget.yml", "a", encoding="utf-8") as f:
        f.write("\n# a new title variant\n")
    assert fingerprint() != before
    cache.code_fingerprint.cache_clear()


# --- one disclosure in several files; department and unit budgets -------------------------

SEED_PDF = ROOT / "tests" / "fixtures" / "generated" / f"{GOOD}.pdf"
NARRATIVE_PAGES = 3  # pages 1-3 of the seed PDF are narrative only; its tables start on page 4


def split_seed_pdf(folder: Path) -> tuple[Path, Path]:
    """The seed PDF published the Jiangsu way: narrative.pdf (the 情况说明, no tables) and
    tables.pdf (the rest)."""
    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(SEED_PDF)
    out = []
    for name, pages in (("narrative.pdf", range(NARRATIVE_PAGES)),
                        ("tables.pdf", range(NARRATIVE_PAGES, len(reader.pages)))):
        writer = PdfWriter()
        for i in pages:
            writer.add_page(reader.pages[i])
        with open(folder / name, "wb") as f:
            writer.write(f)
        out.append(folder / name)
    return out[0], out[1]


def add_two_file_disclosure(sources: Path, name: str = "xinxiang-two-files") -> Path:
    """A source folder listing tables.pdf then narrative.pdf under `files:`."""
    folder = sources / name
    folder.mkdir()
    narrative, tables = split_seed_pdf(folder)
    meta = yaml.safe_load((sources / GOOD / "source.yml").read_text(encoding="utf-8")
                          if (sources / GOOD).exists() else
                          (ROOT / "sources" / GOOD / "source.yml").read_text(encoding="utf-8"))
    del meta["file"], meta["sha256"]
    meta.update(format="pdf", files=[
        {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in (tables, narrative)])
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def two_file_build(tmp_path_factory):
    """The seed PDF as two files, built alone (its transcript twin is not beside it: the
    same department and year twice would be another test's business)."""
    root = tmp_path_factory.mktemp("two-files")
    sources = root / "sources"
    sources.mkdir()
    folder = add_two_file_disclosure(sources)
    result = build(sources, root / "out", progress=False)
    assert result.ok, (result.failed, result.validation_errors)
    return folder, root / "out"


def test_a_disclosure_in_two_files_is_one_document_listing_both(two_file_build):
    folder, out = two_file_build
    [doc] = read_table(out, "documents")
    sums = [hashlib.sha256((folder / n).read_bytes()).hexdigest()
            for n in ("tables.pdf", "narrative.pdf")]
    assert doc["source_file"] == "tables.pdf; narrative.pdf"
    assert doc["sha256"] == "; ".join(sums)
    assert doc["pages"] == "20" and doc["level"] == "department"
    # rows keep the page number within their own file: the tables file starts at page 1
    [row] = read_table(out, "expenditure_by_function", fund="all", function_code="2010301")
    whole = read_table(ROOT / "datapackage", "expenditure_by_function", fund="all",
                       function_code="2010301", document_id=GOOD)
    assert row["total"] == whole[0]["total"]
    tables = {t["table_kind"]: t for t in read_table(out, "document_tables")}
    assert tables["income_expenditure_summary"]["source_page"] == "1"
    assert tables["expenditure"]["source_page"] == "3"


def test_the_narrative_checks_read_the_narrative_file(two_file_build, tmp_path):
    folder, out = two_file_build
    stated = {r["subject"].split(":")[0]: r["status"]
              for r in read_table(out, "checks", rule="narrative_figures")}
    assert stated["income_total"] == stated["three_public"] == "pass", stated
    # the tables file alone states nothing: the same checks have no narrative to read
    alone = tmp_path / "sources"
    alone.mkdir()
    single = alone / "xinxiang-tables-only"
    single.mkdir()
    shutil.copy(folder / "tables.pdf", single / "tables.pdf")
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    meta.update(file="tables.pdf", sha256=meta.pop("files")[0]["sha256"])
    (single / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                       encoding="utf-8")
    assert build(alone, tmp_path / "out", progress=False).ok
    assert not [r for r in read_table(tmp_path / "out", "checks", rule="narrative_figures")
                if r["status"] == "pass"]


def test_a_wrong_checksum_on_the_second_file_names_it(sources, tmp_path):
    folder = add_two_file_disclosure(sources)
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    meta["files"][1]["sha256"] = "0" * 64
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                       encoding="utf-8")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert re.search(r"narrative\.pdf: sha256 mismatch: file has [0-9a-f]{64}, source.yml "
                     r"says 0{64}", result.failed[folder.name]), result.failed


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(files=[{"file": "transcript.txt", "sha256": m["sha256"]}]),
     "either file \\+ sha256 .* or files"),
    (lambda m: (m.pop("sha256"), m.pop("file")), "give file \\+ sha256"),
    (lambda m: m.pop("sha256"), "give file \\+ sha256"),
    (lambda m: (m.pop("file"), m.pop("sha256"), m.update(files=[])), "files: List should have"),
    (lambda m: (m.pop("file"), m.update(files=[{"file": "transcript.txt", "sha256": m["sha256"]},
                                                {"file": "transcript.txt", "sha256": m.pop("sha256")}])),
     "transcript.txt listed twice"),
    (lambda m: (m.pop("file"), m.update(files=[{"file": "../x.pdf", "sha256": m.pop("sha256")}])),
     "files.0.file: Value error, must be a plain file name"),
    (lambda m: (m.pop("file"), m.update(files=[{"file": "a.pdf", "sha256": m.pop("sha256"),
                                                "size": 3}])), "files.0.size: Extra inputs"),
    (lambda m: m.update(level="province"), "level: Input should be 'department' or 'unit'"),
])
def test_source_yml_names_its_files_one_way(sources, change, message):
    folder = sources / GOOD
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    change(meta)
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                       encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        load_source(folder)


def test_one_file_in_files_is_the_same_document(sources, tmp_path):
    meta = yaml.safe_load((sources / GOOD / "source.yml").read_text(encoding="utf-8"))
    single = build(sources, tmp_path / "single", progress=False)
    meta["files"] = [{"file": meta.pop("file"), "sha256": meta.pop("sha256")}]
    (sources / GOOD / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                               encoding="utf-8")
    listed = build(sources, tmp_path / "listed", progress=False)
    assert single.ok and listed.ok
    for path in sorted((tmp_path / "single").rglob("*.csv")):
        assert (tmp_path / "listed" / path.relative_to(tmp_path / "single")).read_bytes() == \
            path.read_bytes(), path


def test_a_narrative_file_alone_is_a_clear_error(sources, tmp_path):
    folder = add_two_file_disclosure(sources)
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    meta.update(file="narrative.pdf", sha256=meta.pop("files")[1]["sha256"])
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True),
                                       encoding="utf-8")
    (folder / "tables.pdf").unlink()
    message = build(sources, tmp_path / "out", progress=False).failed[folder.name]
    assert "narrative.pdf: none of the standard budget tables found" in message
    assert "give both: `files:` in source.yml" in message


def test_the_level_of_a_document_is_published(sources, tmp_path):
    copy_seed("xuchang-city-zwfw-2024-budget", sources)
    edit_meta(sources / "xuchang-city-zwfw-2024-budget", level="unit")
    assert build(sources, tmp_path / "out", progress=False).ok
    levels = {r["document_id"]: r["level"] for r in read_table(tmp_path / "out", "documents")}
    assert levels == {GOOD: "department", "xuchang-city-zwfw-2024-budget": "unit"}


def test_no_table_continues_from_one_file_into_the_next(tmp_path):
    """A grid at the top of the second file, with no title before it, is not the rest of the
    first file's last table (as it would be after a page break)."""
    from pipeline.extract import read_document
    from pipeline.recognize.tables import recognize
    text = (SEEDS[GOOD]).read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text("附表\n\n甲\t乙\n1\t2\n", encoding="utf-8")
    one = recognize(read_document(tmp_path / "a.txt"))
    both_doc = read_document([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert both_doc.files == ["a.txt", "b.txt"] and both_doc.format == "transcript"
    both = recognize(both_doc)
    assert [(t.kind.id, t.grid.n_rows) for t in both.tables] == \
        [(t.kind.id, t.grid.n_rows) for t in one.tables]
    assert len(both.unplaced) == len(one.unplaced) + 1


def test_the_files_of_one_disclosure_share_a_format(tmp_path):
    from pipeline.errors import ReadError
    from pipeline.extract import read_document
    with pytest.raises(ReadError, match=r"b.txt: is a transcript but a.pdf is a pdf"):
        read_document([_copy(SEED_PDF, tmp_path / "a.pdf"), _copy(SEEDS[GOOD], tmp_path / "b.txt")])


def _copy(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    return dest


def test_a_changed_second_file_is_seen_by_the_cached_build(tmp_path):
    """The cache key covers every file of a disclosure, not only the first."""
    sources = tmp_path / "sources"
    sources.mkdir()
    folder = add_two_file_disclosure(sources)
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert build(sources, out, progress=False, cache_dir=cache).ok
    with open(folder / "narrative.pdf", "ab") as f:
        f.write(b"\n% appended\n")
    result = build(sources, out, progress=False, cache_dir=cache)
    assert "narrative.pdf: sha256 mismatch" in result.failed[folder.name]


def test_the_review_finds_a_published_file_inside_a_disclosure_of_several(tmp_path):
    """A reviewed document whose file is one of a published disclosure's files (or the
    other way round) is the same file twice."""
    from pipeline.contribute.review import published_twice
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    for name, rows in (("published", [("two-files", f"{a}; {b}"), ("other", c)]),
                       ("reviewed", [("new-one", b), ("new-two", f"{c}; {'d' * 64}"),
                                     ("fresh", "e" * 64)])):
        (tmp_path / name / "data").mkdir(parents=True)
        (tmp_path / name / "data" / "documents.csv").write_text(
            "document_id,sha256\n" + "".join(f"{d},{s}\n" for d, s in rows), encoding="utf-8")
    assert published_twice(tmp_path / "published", tmp_path / "reviewed", []) == \
        {"new-one": "two-files", "new-two": "other"}
    assert published_twice(tmp_path / "published", tmp_path / "reviewed", ["two-files"]) == \
        {"new-two": "other"}
