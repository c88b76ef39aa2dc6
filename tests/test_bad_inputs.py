"""The bad-input corpus (README's table): each bad document, built beside a good one, gets
its own clear error naming its file, the rest of the batch still builds, and no worker may
exhaust the machine."""
import hashlib
import re
import shutil
import zlib
from pathlib import Path

import pytest
import yaml

from conftest import GOOD, SOURCES, add_pdf, read_table
from pipeline.publish.build import build
from test_build import bad_pdfs, edit_meta

BAD = "zz-bad"  # sorts after GOOD: a copy of GOOD is the second of the same file
XUCHANG = "xuchang-city-zwfw-2024-budget"


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


def test_disclosure_missing_some_standard_tables_still_builds(sources, tmp_path):
    """Tables a template (or a publisher) leaves out are absent, and their checks are not
    applicable rather than passed."""
    folder = sources / GOOD
    text = (folder / "transcript.txt").read_text(encoding="utf-8")
    start = text.index("2024年支出经济分类汇总表")
    end = text.index("2024年一般公共预算“三公”经费支出情况表")
    text = text[:start] + text[end:]
    # a template that does not print the table does not list it in its contents (目录)
    assert text.count("\n七、支出经济分类汇总表\n") == 1
    (folder / "transcript.txt").write_text(text.replace("\n七、支出经济分类汇总表\n", "\n"),
                                           encoding="utf-8")
    meta = yaml.safe_load((folder / "source.yml").read_text(encoding="utf-8"))
    meta["sha256"] = hashlib.sha256((folder / "transcript.txt").read_bytes()).hexdigest()
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    result = build(sources, tmp_path / "out", progress=False)
    assert result.ok
    assert read_table(tmp_path / "out", "expenditure_by_economic") == []
    assert len(read_table(tmp_path / "out", "document_tables")) == 11


def seed_copy(sources: Path, seed: str = XUCHANG) -> Path:
    folder = sources / BAD
    shutil.copytree(SOURCES / seed, folder)
    return folder


def with_transcript(sources: Path, content: bytes) -> None:
    """GOOD's source.yml beside `content` as its transcript, checksum updated."""
    folder = seed_copy(sources, GOOD)
    (folder / "transcript.txt").write_bytes(content)
    edit_meta(folder, sha256=hashlib.sha256(content).hexdigest())


def with_source_yml(sources: Path, text: str) -> None:
    (seed_copy(sources) / "source.yml").write_text(text, encoding="utf-8")


def without_column(sources: Path) -> None:
    """GOOD with the 公务接待费 column left out of its 三公 table."""
    text = (SOURCES / GOOD / "transcript.txt").read_text(encoding="utf-8")
    header = "“三公”经费合计\t因公出国（境）费\t公务用车购置及运行费\t\t\t公务接待费\n" \
             "\t\t小计\t公务用车购置费\t公务用车运行费\t\n2.60\t\t2.10\t\t2.10\t0.50\n"
    assert header in text
    dropped = "“三公”经费合计\t因公出国（境）费\t公务用车购置及运行费\t\t\n" \
              "\t\t小计\t公务用车购置费\t公务用车运行费\n2.60\t\t2.10\t\t2.10\n"
    with_transcript(sources, text.replace(header, dropped).encode())


def linked(sources: Path, outside: Path, name: str) -> None:
    """XUCHANG with `name` (a file, or "" for the folder) moved outside sources/ and
    linked back: without the refusal it would build."""
    folder = seed_copy(sources)
    target = outside / (name or BAD)
    shutil.move(folder / name, target)
    (folder / name).symlink_to(target)


def encrypted(outside: Path) -> bytes:
    from test_pdf_reader import encrypted_copy
    return encrypted_copy(outside, user_password="secret", owner_password="owner").read_bytes()


def cover_then_scans() -> bytes:
    """A text cover, a scanned page, and a scan with only its page number as text."""
    from test_pdf_reader import FULL_PAGE_SCAN, GREY_SQUARE, pdf_bytes
    return pdf_bytes([([(50, 50, "Budget 2024")], []), ([], [], GREY_SQUARE),
                      ([(190, 285, "3")], [], FULL_PAGE_SCAN)])


def deeply_nested() -> bytes:
    nested = b"[" * 100000 + b"]" * 100000
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /Deep 5 0 R >>"] + PAGE[1:2]
                   + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Deep 5 0 R >>",
                      b"<< >>", nested])


PROJECTS = "2024年项目支出表\n单位：万元\n类型\t项目名称\t项目单位\t合计"
YML = (SOURCES / XUCHANG / "source.yml").read_text(encoding="utf-8")

# name: (make the bad folder from (sources, a folder outside sources), the file the error
# names relative to the bad folder, the expected error)
CORPUS = {
    **{f"pdf {name}": (lambda s, o, c=content: add_pdf(s, BAD, c), "document.pdf", message)
       for name, (content, message) in bad_pdfs().items()},
    "pdf with a user password": (lambda s, o: add_pdf(s, BAD, encrypted(o)), "document.pdf",
                                 "PDF is encrypted with a user password"),
    "pdf text cover then scans": (lambda s, o: add_pdf(s, BAD, cover_then_scans()),
                                  "document.pdf", "pages 2-3 have no text layer"),
    "decompression bomb": (lambda s, o: add_pdf(s, BAD, decompression_bomb(2.5)),
                           "document.pdf", "needs more than the 2048 MiB a document may use"),
    "deeply nested objects": (lambda s, o: add_pdf(s, BAD, deeply_nested()), "document.pdf",
                              "no text layer on page 1"),
    "extra column": (lambda s, o: with_transcript(
        s, f"{PROJECTS}\t神秘资金\n其他运转类\t甲\t某局\t1.00\t1.00\n".encode()),
        "transcript.txt", "table '2024年项目支出表': column 5 (神秘资金) holds '1.00' but its "
                          "header is not understood"),
    "missing column": (lambda s, o: without_column(s), "transcript.txt",
                       "1 accounting checks fail and are not acknowledged in source.yml "
                       "(row_parts: three_public_expenses[] total total)"),
    "stray characters": (lambda s, o: with_transcript(
        s, f"{PROJECTS}\n其他运转类\t甲\t某局\t1.0O\n".encode()),
        "transcript.txt", "table '2024年项目支出表': not an amount: '1.0O' (transcript line ≈4)"),
    "transcript in GBK": (lambda s, o: with_transcript(s, PROJECTS.encode("gbk")),
                          "transcript.txt", "transcript is not UTF-8 text (byte 4)"),
    "checksum mismatch": (lambda s, o: (seed_copy(s) / "transcript.txt").write_text("changed"),
                          "transcript.txt", "sha256 mismatch"),
    "same file under two ids": (lambda s, o: seed_copy(s, GOOD), "transcript.txt",
                                f"the same file as document {GOOD}"),
    "source.yml missing": (lambda s, o: (seed_copy(s) / "source.yml").unlink(), "source.yml",
                           "missing: every document needs a source.yml"),
    "source.yml wrong type": (lambda s, o: edit_meta(seed_copy(s), fiscal_year="twenty"),
                              "source.yml", "invalid: fiscal_year: Input should be a valid "
                                            "integer"),
    "source.yml unknown field": (lambda s, o: edit_meta(seed_copy(s), colour="red"),
                                 "source.yml", "invalid: colour: Extra inputs are not permitted"),
    "source.yml path traversal": (
        lambda s, o: edit_meta(seed_copy(s), file="../xinxiang-city-zwfw-2024-budget/x.txt"),
        "source.yml", "file: Value error, must be a plain file name"),
    "source.yml TODO left": (lambda s, o: edit_meta(seed_copy(s), notes="TODO"), "source.yml",
                             "fill in the TODO fields: notes"),
    "source.yml alias": (lambda s, o: with_source_yml(s, YML + "x: &a [1]\ny: *a\n"),
                         "source.yml", "YAML aliases (*name) are not allowed"),
    "source.yml over 64 KiB": (lambda s, o: with_source_yml(s, YML + "# padding\n" * 7000),
                               "source.yml", "over 64 KiB"),
    "source.yml not a mapping": (lambda s, o: with_source_yml(s, "- just\n- a list\n"),
                                 "source.yml", "must be a YAML mapping of fields"),
    "source.yml python tag": (
        lambda s, o: with_source_yml(s, "title: !!python/object/apply:os.system [ls]\n"),
        "source.yml", "not valid YAML"),
    "document is a link": (lambda s, o: linked(s, o, "transcript.txt"), "transcript.txt",
                           "is a symbolic link"),
    "source.yml is a link": (lambda s, o: linked(s, o, "source.yml"), "source.yml",
                             "is a symbolic link"),
    "folder is a link": (lambda s, o: linked(s, o, ""), "", "is a symbolic link"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_input_fails_with_its_error_and_the_batch_builds(sources, tmp_path, case):
    make, file, message = CORPUS[case]
    outside = tmp_path / "outside"
    outside.mkdir()
    make(sources, outside)
    result = build(sources, tmp_path / "out", progress=False)
    assert result.built == [GOOD] and list(result.failed) == [BAD], result.failed
    error = result.failed[BAD]
    assert re.match(re.escape(str(sources / BAD / file)) + "[:,] ", error), error
    assert message in error, error
    assert [r["document_id"] for r in read_table(tmp_path / "out", "documents")] == [GOOD]
