"""Seconds per page: read_pdf and whole-document extraction (read, recognize, normalize) vs
pdfplumber's extract_words() and extract_tables() on every page.

Run from the repository root: python benchmarks/pdf_extraction.py [PDF ...]
(default: the two real PDFs in sources/). Each figure is the best of
--repeat runs, each run opening the file afresh so no parse is cached.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import extract_document  # noqa: E402
from pipeline.read.pdf import read_pdf  # noqa: E402

DEFAULT_PDFS = [ROOT / "sources" / "sh-putuo-sifaju-2026-budget" / "document.pdf",
                ROOT / "sources" / "js-renda-bangongting-2017-budget" / "document.pdf"]


def every_page(method: str):
    """A function that opens a PDF and calls `method` on each of its pages."""
    def run(path: Path) -> None:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                getattr(page, method)()
    return run


def best_time(fn, path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    methods = {"read_pdf": read_pdf,
               "extract_document": lambda path: extract_document(path, path.parent.name),
               "extract_words": every_page("extract_words"),
               "extract_tables": every_page("extract_tables")}
    print(f"{'file':40} {'pages':>5} " + " ".join(f"{m + ' s/page':>23}" for m in methods)
          + f" {'read/words':>10} {'extract/words':>13} {'extract/tables':>14}")
    for path in args.pdfs:
        with pdfplumber.open(path) as pdf:
            n_pages = len(pdf.pages)
        per_page = {m: best_time(fn, path, args.repeat) / n_pages for m, fn in methods.items()}
        print(f"{path.parent.name + '/' + path.name:40} {n_pages:>5} "
              + " ".join(f"{per_page[m]:>23.4f}" for m in methods)
              + f" {per_page['read_pdf'] / per_page['extract_words']:>10.2f}"
              + f" {per_page['extract_document'] / per_page['extract_words']:>13.2f}"
              + f" {per_page['extract_document'] / per_page['extract_tables']:>14.2f}")


if __name__ == "__main__":
    main()
