"""The OCR route against the text route, table by table, on image-only copies of sources/.

Each source's files are rendered page by page (pypdfium2, --scan-dpi, grayscale) into a
PDF of images with no text layer, as a scanner would give; that copy is extracted (every
page read by OCR) and compared with the extraction of the original (its text layer):

- cells: of the amount cells the text route publishes (rows of its tables read, every
  amount field with a value), how many the OCR route publishes identical (also counted
  over the tables whose identities hold as printed, `prov.`: a table whose printed figures
  do not add up is withheld when OCR reads it, however well it reads, unless source.yml
  acknowledges those failures with their figures), under the same
  row key (the published table's primary key; the title as printed is left out of it, since
  OCR may misread a title but the table is the same); `wrong` counts the cells the OCR
  route publishes with another value (the figure that must stay at 0);
- tables: of the tables recognized in the OCR route, how many are published (extracted,
  or empty) and withheld (not_extracted: the identities fail, none proves it, or not read);
- checks failing (not counting tables not read or missing from the contents) in each
  route: a failure in the OCR route that the text route does not have is a table published
  with an identity failing;
- seconds per page of the OCR route (the whole extraction).

Run from the repository root, with the `ocr` extra installed, under `nice` on a shared
machine:

    nice -n 19 python benchmarks/ocr.py [SOURCE_ID ...] [--minutes 25] [--json FILE]
                                        [--engine-cache FILE]

Sources run smallest first until --minutes have passed (the one running then finishes).
`--engine-cache` keeps what the engine read from each image (by its pixels) in a file, so
a run after a change to the steps that follow the engine (grids, normalization, checks)
costs minutes, not the hour of the whole corpus; a change to the images read misses it.
`--fixtures` instead writes the image-only PDFs of tests/fixtures/ocr/ (see its README).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import shelve
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import families  # noqa: E402
from pipeline.read.ocr import engine  # noqa: E402
from pipeline.check.engine import GAP_RULE, run_checks  # noqa: E402
from pipeline.check.ocr import withhold_unproven  # noqa: E402
from pipeline.extract import Extraction, extract_document  # noqa: E402
from pipeline.metadata.registry import BY_NAME  # noqa: E402
from pipeline.read.ocr import available  # noqa: E402
from pipeline.sources import discover, load_source  # noqa: E402

DELIVERY = {GAP_RULE, "contents_complete"}


def image_pdf(src: Path, dest: Path, dpi: int, pages: list[int] | None = None,
              turn: float = 0.0, quality: int = 75) -> None:
    """Write `dest`: the pages of `src` (all, or these numbers) as grayscale images at
    `dpi`, turned `turn` degrees (counter-clockwise) as a scan fed askew, JPEG-compressed,
    with no text layer."""
    pdf = pdfium.PdfDocument(src)
    try:
        numbers = pages or list(range(1, len(pdf) + 1))
        images = []
        for n in numbers:
            image = pdf[n - 1].render(scale=dpi / 72, grayscale=True).to_pil()
            if turn:
                image = image.rotate(turn, resample=Image.BICUBIC, expand=False, fillcolor=255)
            images.append(image)
    finally:
        pdf.close()
    images[0].save(dest, "PDF", resolution=dpi, save_all=True, append_images=images[1:],
                   quality=quality)


def amount_cells(extraction: Extraction, titles: set[str] | None = None) -> dict[tuple, object]:
    """The published amount cells of a route (of the tables with these titles, or all):
    (resource, row key, field) -> value."""
    cells = {}
    for resource, rows in extraction.rows.items():
        spec = BY_NAME[resource]
        key_fields = [k for k in spec.primary_key if k != "source_table"]
        for row in rows:
            if titles is not None and row["source_table"] not in titles:
                continue
            key = tuple(row.get(k) for k in key_fields)
            for name in spec.amount_fields():
                if row.get(name) is not None:
                    cells[(resource, key, name)] = row[name]
    return cells


def provable(extraction: Extraction, kind: str, acknowledged: list) -> set[str]:
    """The titles of the tables of a text-route extraction that would be published if OCR
    had read them exactly: their identities hold (the printed document adds up), or fail
    only as source.yml acknowledges with the figures."""
    proof = copy.deepcopy(extraction)
    by_ocr = {}
    for t in proof.tables:
        if t.status == "extracted":
            t.reader = "ocr"
            by_ocr[id(t)] = {name: [r for r in rows if r["source_table"] == t.title]
                             for name, rows in proof.rows.items()}
    with families.use(kind):
        withhold_unproven(proof, by_ocr, acknowledged)
    return {t.title for t in proof.tables if t.status == "extracted"}


def failing(checks: list[dict]) -> set[tuple[str, str]]:
    """The failing checks of what was read, by rule and subject (without its spaces, which
    a narrative's phrase keeps from the text layer's lines)."""
    return {(c["rule"], "".join(c["subject"].split())) for c in checks
            if c["status"] == "fail" and c["rule"] not in DELIVERY}


def compare(folder: Path, scan_dpi: int, work: Path) -> dict:
    """Both routes on one source; the figures of the comparison."""
    source = load_source(folder)
    text = extract_document(source.documents, source.id, source.meta)
    images = []
    for path in source.documents:
        image_pdf(path, work / path.name, scan_dpi)
        images.append(work / path.name)
    start = time.perf_counter()
    ocr = extract_document(images, source.id, source.meta)
    seconds = time.perf_counter() - start
    expected, got = amount_cells(text), amount_cells(ocr)
    same = sum(1 for k, v in expected.items() if got.get(k) == v)
    fair = amount_cells(text, provable(text, source.meta.kind, source.meta.acknowledged))
    fair_same = sum(1 for k, v in fair.items() if got.get(k) == v)
    wrong = sum(1 for k, v in got.items() if k in expected and expected[k] != v) + \
        sum(1 for k in got if k not in expected and any(k[:2] == e[:2] for e in expected))
    statuses = Counter(t.status for t in ocr.tables)
    text_fail, ocr_fail = failing(run_checks(source.id, text)), failing(run_checks(source.id, ocr))
    return {"source": source.id, "pages": ocr.pages, "seconds": round(seconds, 1),
            "seconds_per_page": round(seconds / max(ocr.pages or 1, 1), 2),
            "cells": len(expected), "identical": same, "wrong": wrong,
            "provable_cells": len(fair), "provable_identical": fair_same,
            "tables_text": sum(t.read for t in text.tables),
            "published": statuses["extracted"] + statuses["empty"],
            "withheld": statuses["not_extracted"],
            "withheld_by": dict(sorted(Counter(
                "identities fail" if "identities fail" in (t.reason or "") else
                "unproven" if "no identity proves" in (t.reason or "") else "not read"
                for t in ocr.tables if t.status == "not_extracted").items())),
            "checks_failing_text": len(text_fail), "checks_failing_ocr": len(ocr_fail),
            "new_failures_ocr": sorted(f"{r}: {s}" for r, s in ocr_fail - text_fail),
            "withheld_tables": [f"{t.title} (page {t.page}): {t.reason}"
                                for t in ocr.tables if t.status == "not_extracted"]}


def page_count(folder: Path) -> int:
    """The pages of a source's PDFs (0 for a transcript: nothing to scan)."""
    source = load_source(folder)
    if source.meta.format != "pdf":
        return 0
    total = 0
    for path in source.documents:
        pdf = pdfium.PdfDocument(path)
        total += len(pdf)
        pdf.close()
    return total


class CachedEngine:
    """The engine, with what it read from each image (pixels and options) kept in `store`."""

    def __init__(self, real, store: shelve.Shelf):
        self.real, self.store = real, store

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __call__(self, pixels, **options):
        key = hashlib.sha256(pickle.dumps((pixels.shape, sorted(options.items()))) +
                             pixels.tobytes()).hexdigest()
        if key not in self.store:
            self.store[key] = self.real(pixels, **options)
        return self.store[key]


def cache_engine(path: Path) -> None:
    """Read through `CachedEngine` with the store at `path` for the rest of the run."""
    store = shelve.open(str(path))
    real = engine._engine
    engine._engine = lambda detect_side: CachedEngine(real(detect_side), store)


FIXTURES = ROOT / "tests" / "fixtures" / "ocr"


def write_fixtures() -> None:
    """The image-only PDFs the tests read (tests/fixtures/ocr/README.md says what each is)."""
    src = ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf"
    image_pdf(src, FIXTURES / "clean-table.pdf", 150, [11])
    image_pdf(src, FIXTURES / "skewed-table.pdf", 150, [11], turn=2.5)
    with tempfile.TemporaryDirectory() as tmp:
        scan = Path(tmp) / "scan.pdf"
        image_pdf(src, scan, 150, [21])
        out = pdfium.PdfDocument.new()
        original, scanned = pdfium.PdfDocument(src), pdfium.PdfDocument(scan)
        out.import_pages(original, [9])  # page 1: table 1, text
        out.import_pages(scanned, [0])  # page 2: the 三公 table, scanned
        out.import_pages(original, [13])  # page 3: table 4, text
        with open(FIXTURES / "mixed.pdf", "wb") as f:
            out.save(f)
        for pdf in (out, original, scanned):
            pdf.close()
    image_pdf(ROOT / "sources" / "bj-city-junminronghe-2026-budget" / "tables.pdf",
              FIXTURES / "split-number.pdf", 200, [3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="source ids (default: every source)")
    parser.add_argument("--scan-dpi", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--fixtures", action="store_true", help="write the test fixtures")
    parser.add_argument("--engine-cache", type=Path,
                        help="keep what the engine read here, and read it back")
    args = parser.parse_args()
    if args.fixtures:
        write_fixtures()
        return
    if not available():
        sys.exit("the OCR extra is not installed: pip install -e '.[ocr]'")
    if args.engine_cache:
        cache_engine(args.engine_cache)
    folders = discover(ROOT / "sources")
    if args.sources:
        folders = [f for f in folders if f.name in args.sources]
    pages = {folder: page_count(folder) for folder in folders}
    folders = sorted((f for f in folders if pages[f]), key=lambda f: (pages[f], f.name))
    deadline = time.monotonic() + 60 * args.minutes
    results = []
    print(f"{'source':44} {'pages':>5} {'s/page':>6} {'cells':>6} {'same':>6} {'agree%':>7} "
          f"{'prov.':>6} {'same':>6} {'agree%':>7} {'wrong':>5} {'tables':>6} {'publ':>5} "
          f"{'withh':>5} {'fail t/o':>8}")
    for folder in folders:
        if time.monotonic() > deadline:
            break
        with tempfile.TemporaryDirectory() as tmp:
            r = compare(folder, args.scan_dpi, Path(tmp))
        results.append(r)
        agree = 100 * r["identical"] / r["cells"] if r["cells"] else 100.0
        fair = 100 * r["provable_identical"] / r["provable_cells"] if r["provable_cells"] else 100.0
        print(f"{r['source']:44} {r['pages']:>5} {r['seconds_per_page']:>6} {r['cells']:>6} "
              f"{r['identical']:>6} {agree:>7.2f} {r['provable_cells']:>6} "
              f"{r['provable_identical']:>6} {fair:>7.2f} {r['wrong']:>5} {r['tables_text']:>6} "
              f"{r['published']:>5} {r['withheld']:>5} "
              f"{r['checks_failing_text']:>3}/{r['checks_failing_ocr']:<4}", flush=True)
        for line in r["withheld_tables"]:
            print(f"    withheld: {line}")
        for line in r["new_failures_ocr"]:
            print(f"    fails only in the OCR route: {line}")
    cells = sum(r["cells"] for r in results)
    same = sum(r["identical"] for r in results)
    pages = sum(r["pages"] or 0 for r in results)
    seconds = sum(r["seconds"] for r in results)
    fair = sum(r["provable_cells"] for r in results)
    fair_same = sum(r["provable_identical"] for r in results)
    print(f"\n{len(results)} documents, {pages} pages: {same}/{cells} amount cells identical "
          f"({100 * same / max(cells, 1):.2f}%); in the tables whose identities hold as "
          f"printed or as acknowledged {fair_same}/{fair} ({100 * fair_same / max(fair, 1):.2f}%); "
          f"{sum(r['wrong'] for r in results)} published "
          f"with another value; tables published {sum(r['published'] for r in results)}, "
          f"withheld {sum(r['withheld'] for r in results)} (text route read "
          f"{sum(r['tables_text'] for r in results)}); "
          f"{seconds / max(pages, 1):.1f} s per page" +
          (" (with the engine cache: only what it did not hold was read)"
           if args.engine_cache else ""))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
