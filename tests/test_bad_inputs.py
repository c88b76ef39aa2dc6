"""Hostile and broken inputs: each gets a clear error naming the file, the rest of the batch
still builds, and no worker may exhaust the machine. (More cases: test_build.py for bad
source.yml and bad PDFs, test_pdf_reader.py for encrypted and scanned PDFs,
test_recognize.py for bad tables and encodings.)"""
import hashlib
import zlib

import pytest
import yaml

from conftest import GOOD, add_pdf, read_table
from pipeline.build import build
from pipeline.errors import SourceError
from pipeline.sources import parse_meta


def raw_pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


PAGE = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Contents 4 0 R >>"]


def decompression_bomb(gib: float) -> bytes:
    """A page whose content stream inflates from ~1 MB to `gib` GiB of spaces."""
    z = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(z.compress(chunk) for _ in range(int(gib * 1024))) + z.flush()
    return raw_pdf(PAGE + [f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
                           + data + b"\nendstream"])


def test_decompression_bomb_is_stopped_by_the_memory_limit(sources, tmp_path):
    add_pdf(sources, "bomb", decompression_bomb(2.5))
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert "needs more than the 2048 MiB a document may use" in result.failed["bomb"]


def test_deeply_nested_objects(sources, tmp_path):
    nested = b"[" * 100000 + b"]" * 100000
    content = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /Deep 5 0 R >>"] + PAGE[1:2]
                      + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Deep 5 0 R >>",
                         b"<< >>", nested])
    add_pdf(sources, "nested", content)
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD]
    assert "nested/document.pdf: no text layer on page 1" in result.failed["nested"]


def test_disclosure_missing_some_standard_tables_still_builds(sources, tmp_path):
    """Tables a template (or a publisher) leaves out are absent, and their checks are not
    applicable rather than passed."""
    folder = sources / GOOD
    text = (folder / "transcript.txt").read_text(encoding="utf-8")
    start = text.index("2024年支出经济分类汇总表")
    end = text.index("2024年一般公共预算“三公”经费支出情况表")
    (folder / "transcript.txt").write_text(text[:start] + text[end:], encoding="utf-8")
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    meta["sha256"] = hashlib.sha256((folder / "transcript.txt").read_bytes()).hexdigest()
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.ok
    assert read_table(tmp_path / "out", "expenditure_by_economic") == []
    assert len(read_table(tmp_path / "out", "document_tables")) == 11


@pytest.mark.parametrize("text, message", [
    ("a: &x [1, 2]\nb: *x\n", "YAML aliases"),
    ("title: x\n" + "# padding\n" * 10000, "over 64 KiB"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    ("title: !!python/object:os.system ls\n", "not valid YAML"),
])
def test_hostile_source_yml(tmp_path, text, message):
    path = tmp_path / "source.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        parse_meta(path)
