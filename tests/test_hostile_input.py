"""Hostile and damaged input (issue 18): ids that hide a newline or start with a dot, PDFs
whose damage used to surface as a traceback, a decompression bomb given to `extract`, a
source.yml of deeply nested lists, cache files truncated by a kill, and a new document that
duplicates a published one."""
import json
import os
import re
import shutil
import sys
import zlib
from pathlib import Path

import pytest

from conftest import GOOD, ROOT, SOURCES, add_pdf, read_table
from pipeline import api
from pipeline.errors import PipelineError, ReadError, SourceError
from pipeline.limits import Limits
from pipeline.publish import cache as cache_module
from pipeline.publish.build import build
from pipeline.read.pdf import read_pdf
from pipeline.sources import check_document_id, parse_meta
from test_bad_inputs import PAGE, raw_pdf

XUCHANG = "xuchang-city-zwfw-2024-budget"
FIXTURE = ROOT / "tests" / "fixtures" / "generated" / "case-landscape.pdf"  # one page


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("name", [f"{XUCHANG}\n", f"{XUCHANG}\t", f".{XUCHANG}", "Abc-2024",
                                  "-abc-2024", "ab"])
def test_a_name_that_is_not_a_document_id_from_end_to_end_is_refused(tmp_path, name):
    with pytest.raises(SourceError):
        check_document_id(tmp_path / name)


def test_a_newline_id_and_a_hidden_folder_are_refused_by_name(sources, tmp_path):
    """Both hold a valid document: one was published under an id ending in a newline, the
    other skipped without a word."""
    shutil.copytree(SOURCES / XUCHANG, sources / f"{XUCHANG}\n")
    shutil.copytree(SOURCES / XUCHANG, sources / f".{XUCHANG}")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert sorted(result.failed) == sorted([f"{XUCHANG}\n", f".{XUCHANG}"])
    newline = result.failed[f"{XUCHANG}\n"]
    assert newline.startswith(f"{sources / XUCHANG}\\n: folder name holds a control character")
    hidden = result.failed[f".{XUCHANG}"]
    assert hidden.startswith(f"{sources / ('.' + XUCHANG)}: is a hidden folder")
    assert "\n" not in newline + hidden
    assert [r["document_id"] for r in read_table(tmp_path / "out", "documents")] == [GOOD]


# ---------------------------------------------------------------- damaged PDFs


def damaged(how: str) -> bytes:
    """The one-page fixture with its page tree damaged: one flipped bit (a reference `3 0 R`
    becomes `3 0 Q`), or a name where a page should be. Reading the pages fails, and so
    did pdfplumber's close() after it, hiding the first error."""
    data = FIXTURE.read_bytes()
    kids = b"/Kids [ 3 0 R ]"
    assert data.count(kids) == 1
    broken = b"/Kids [ 3 0 Q ]" if how == "flipped bit" else b"/Kids [ /X 3 0 R ]"
    return data.replace(kids, broken)


@pytest.mark.parametrize("how, cause", [
    ("flipped bit", "PDFObjectNotFound: 0"),
    ("name in the page tree", "AttributeError: 'PSLiteral' object has no attribute 'objid'"),
])
def test_a_damaged_page_tree_gives_the_one_line_error(sources, tmp_path, how, cause):
    folder = add_pdf(sources, "zz-bad", damaged(how))
    with pytest.raises(ReadError) as raised:
        read_pdf(folder / "document.pdf")
    assert str(raised.value) == f"{folder / 'document.pdf'}: truncated or corrupt PDF ({cause})"
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert result.failed == {"zz-bad": str(raised.value)}  # not "internal error ..."


def test_a_long_parser_message_is_cut_to_one_short_line(tmp_path):
    """pdfminer quotes a damaged object whole: here a page of 2001 keys without values."""
    path = tmp_path / "long.pdf"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] " + b"/A\n" * 2001 + b">>"
    path.write_bytes(raw_pdf(PAGE[:2] + [page]))
    with pytest.raises(ReadError) as raised:
        read_pdf(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: truncated or corrupt PDF (PSSyntaxError: Invalid "
                              "dictionary construct: [/'Type', /'Page', ")
    assert message.endswith(", /'A', …)") and len(message) < len(str(path)) + 220, message


# ---------------------------------------------------------------- extract's limits


def address_space() -> int:
    """This process's virtual memory in bytes: a forked worker starts with as much."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024


def bomb(mib: int) -> bytes:
    """One page whose content stream inflates from a few hundred KB to `mib` MiB."""
    z = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(z.compress(chunk) for _ in range(mib)) + z.flush()
    return raw_pdf(PAGE + [f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
                           + data + b"\nendstream"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_extract_stops_a_decompression_bomb_at_its_memory_limit(tmp_path):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb(768))
    limit = address_space() + 256 * 2**20  # room to read a page, not to inflate the bomb
    with pytest.raises(PipelineError) as raised:
        api.extract([path], tmp_path / "out", limits=Limits(worker_memory=limit))
    assert str(raised.value) == (f"{path}: reading it needs more than the {limit // 2**20} MiB "
                                 "a document may use (a decompression bomb, or a far larger "
                                 "document than any disclosure)")
    assert not (tmp_path / "out").exists()


def test_extract_applies_the_page_limit_of_build(tmp_path):
    path = tmp_path / "one-page.pdf"
    path.write_bytes(FIXTURE.read_bytes())
    with pytest.raises(PipelineError, match=r"1 pages is over the limit of 0 pages"):
        api.extract([path], tmp_path / "out", limits=Limits(pages=0))


# ---------------------------------------------------------------- source.yml


@pytest.mark.parametrize("nesting", ["flow", "block"])
def test_a_deeply_nested_source_yml_is_refused_before_it_is_built(tmp_path, nesting):
    """60 KB of nested lists took 40 s and ended in RecursionError."""
    path = tmp_path / "source.yml"
    if nesting == "flow":
        body = "[" * 30000 + "]" * 30000
    else:
        body = "\n" + "".join("  " * i + "-\n" for i in range(1, 120))
    path.write_text(f"title: x\nnotes: {body}\n", encoding="utf-8")
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(SourceError, match="lists or mappings nested over 8 deep"):
        parse_meta(path)


def test_the_source_yml_of_a_disclosure_in_several_files_is_not_too_deep(tmp_path):
    meta = (SOURCES / GOOD / "source.yml").read_text(encoding="utf-8")
    path = tmp_path / "source.yml"
    path.write_text(meta + "acknowledged:\n- rule: r\n  explanation: printed so\n",
                    encoding="utf-8")
    assert parse_meta(path).acknowledged[0].rule == "r"


# ---------------------------------------------------------------- cache


def test_cache_files_truncated_by_a_kill_are_recomputed(sources, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    first = build(sources, out, progress=False, cache_dir=cache)
    assert first.built == [GOOD]
    last = cache / "last-build.json"
    entries = list(cache.glob("*.pickle"))
    assert len(entries) == 1
    for path in [last] + entries:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    again = build(sources, out, progress=False, cache_dir=cache)
    assert again.built == [GOOD] and again.ok
    assert json.loads(last.read_text(encoding="utf-8"))["result"]["built"] == [GOOD]
    assert build(sources, out, progress=False, cache_dir=cache).built == [GOOD]  # from cache


def test_a_cache_file_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "last-build.json"
    cache_module.write_atomically(path, b'{"old": 1}')

    def killed(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        cache_module.write_atomically(path, b'{"new": 2}')
    assert path.read_bytes() == b'{"old": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["last-build.json"]  # no temporary left


# ---------------------------------------------------------------- duplicates


def test_a_new_id_sorting_first_that_duplicates_a_published_file_is_the_one_blamed(
        sources, tmp_path):
    out = tmp_path / "out"
    assert build(sources, out, progress=False).built == [GOOD]
    shutil.copytree(sources / GOOD, sources / "aaa-copy-2024-budget")
    result = build(sources, out, progress=False)
    assert result.built == [GOOD] and result.regressions == []
    assert list(result.failed) == ["aaa-copy-2024-budget"]
    assert f"the same file as document {GOOD}" in result.failed["aaa-copy-2024-budget"]
    assert result.package == out
