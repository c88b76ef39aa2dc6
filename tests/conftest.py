"""Shared fixtures: the package built once from the repository's sources/."""
from __future__ import annotations

import csv
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml

from pipeline.publish.build import build
from pipeline.read import ocr

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
SEEDS = {
    "xinxiang-city-zwfw-2024-budget": SOURCES / "xinxiang-city-zwfw-2024-budget" / "transcript.txt",
    "xinxiang-hongqi-zwfw-2022-budget": SOURCES / "xinxiang-hongqi-zwfw-2022-budget" / "transcript.txt",
    "xuchang-city-zwfw-2024-budget": SOURCES / "xuchang-city-zwfw-2024-budget" / "transcript.txt",
}


# The five documents the project began with (three templates, transcripts and PDFs): enough
# for tests of the build's machinery (determinism, workers, Dask), which need not read all.
CORE = tuple(SEEDS) + ("js-renda-bangongting-2017-budget", "sh-putuo-sifaju-2026-budget")


# tests that run the OCR engine (the `ocr` extra, which the `test` extra installs)
needs_ocr_engine = pytest.mark.skipif(not ocr.available(),
                                      reason="the OCR extra is not installed: pip install -e '.[ocr]'")


def pdf_pages(tmp_path: Path, source: Path, numbers: list[int]) -> Path:
    """These pages (from 1) of a PDF, as they are, as a PDF of their own in tmp_path."""
    out, src = pdfium.PdfDocument.new(), pdfium.PdfDocument(source)
    out.import_pages(src, [n - 1 for n in numbers])
    path = tmp_path / f"{source.stem}-{'-'.join(map(str, numbers))}.pdf"
    with open(path, "wb") as f:
        out.save(f)
    out.close()
    src.close()
    return path


@pytest.fixture(scope="session")
def core_sources(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("core") / "sources"
    for name in CORE:
        shutil.copytree(SOURCES / name, root / name)
    return root


@pytest.fixture(scope="session")
def core_package(tmp_path_factory, core_sources) -> Path:
    out = tmp_path_factory.mktemp("core-build") / "datapackage"
    result = build(core_sources, out, progress=False)
    assert result.ok, (result.failed, result.validation_errors)
    return out


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "datapackage"
    result = build(SOURCES, out, progress=False)
    assert result.ok, (result.failed, result.validation_errors)
    return out


def read_source(document_id: str):
    """One source folder read and checked as the build reads it: (extraction, checks)."""
    from pipeline.publish.build import process
    outcome = process(SOURCES / document_id)
    assert outcome.error is None, outcome.error
    return outcome.extraction, outcome.checks


def read_table(package: Path, name: str, **where) -> list[dict]:
    """Rows of a published CSV, optionally filtered by column values."""
    with open(package / "data" / f"{name}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def yuan(wan: str) -> str:
    """'6,655.15' (万元) -> '66551500' as published."""
    value = Decimal(wan.replace(",", "")) * 10000
    text = format(value.normalize(), "f")
    return text


def copy_seed(seed: str, dest: Path) -> Path:
    folder = dest / seed
    shutil.copytree(SOURCES / seed, folder)
    return folder


GOOD = "xinxiang-city-zwfw-2024-budget"


@pytest.fixture
def sources(tmp_path) -> Path:
    """A sources/ folder holding one good seed, to add broken documents beside."""
    root = tmp_path / "sources"
    root.mkdir()
    copy_seed(GOOD, root)
    return root


def add_pdf(sources: Path, name: str, content: bytes) -> Path:
    """A source folder for `content` as document.pdf, with a valid source.yml."""
    folder = sources / name
    folder.mkdir()
    (folder / "document.pdf").write_bytes(content)
    meta = yaml.safe_load((SOURCES / GOOD / "source.yml").read_text(encoding="utf-8"))
    meta.update(file="document.pdf", format="pdf", sha256=hashlib.sha256(content).hexdigest())
    (folder / "source.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return folder
