"""Build the repository's whole package from scratch and time it (issue 13: under 5 minutes
on 2 cores).

    python benchmarks/sources_build.py [--workers 2]

Builds every folder of sources/ into a temporary package with no extraction cache, then the
site's database from it, and prints the documents built, the wall time of each step and
the seconds per PDF page. Prints figures; it asserts nothing (a benchmark, not a test).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipeline.publish.build import build
from pipeline.publish.site import build_site

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "datapackage"
        start = time.perf_counter()
        result = build(ROOT / "sources", out, progress=False, workers=args.workers)
        built = time.perf_counter() - start
        start = time.perf_counter()
        build_site(out, Path(tmp) / "site")
        site = time.perf_counter() - start
        pages = sum(int(r) for r in _column(result.package, "documents", "pages") if r)
    print(f"documents built: {len(result.built)}, failed: {len(result.failed)}")
    print(f"build from scratch, {args.workers} workers: {built:.1f} s "
          f"({pages} PDF pages, {built / pages:.3f} s per page)")
    print(f"site database: {site:.1f} s")
    print(f"total: {built + site:.1f} s (target: under 300 s)")


def _column(package: Path | None, table: str, name: str) -> list[str]:
    import csv
    if package is None:
        return []
    with open(package / "data" / f"{table}.csv", encoding="utf-8", newline="") as f:
        return [row[name] for row in csv.DictReader(f)]


if __name__ == "__main__":
    main()
