"""Build the data package from every source folder; one bad document never stops the rest.

Each document is extracted and checked in a worker process with a wall-time limit (a hung
parse is killed and reported), and results are written in document-id order whatever the
order they finish in, so the output is the same for any number of workers. Nothing
already published is lost: the package is replaced only when the new one validates and no
document that was published before now fails (a regression).
"""
from __future__ import annotations

import csv
import os
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pebble import ProcessExpired, ProcessPool
from tqdm import tqdm

from .checks import report, run_checks, unacknowledged_failures
from .errors import PipelineError, SourceError
from .extract import Extraction, extract_document
from .limits import MAX_SECONDS
from .package import PackageWriter, validate_package, write_schemas
from .sources import Source, discover, load_source


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    validation_errors: list[str] = field(default_factory=list)
    check_reports: dict[str, str] = field(default_factory=dict)
    package: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.validation_errors


@dataclass
class Outcome:
    """What one document gives the build: its rows and checks, or the error."""

    name: str
    source: Source | None = None
    extraction: Extraction | None = None
    checks: list[dict] = field(default_factory=list)
    error: str | None = None


def extract_source(source: Source) -> Extraction:
    """Extract one validated source, checking the document is what source.yml says."""
    extraction = extract_document(source.document, source.id, source.meta)
    if extraction.format != source.meta.format:
        raise SourceError(source.folder / "source.yml",
                          f"format: says {source.meta.format!r} but {source.meta.file} is a "
                          f"{extraction.format}")
    return extraction


def process(folder: Path) -> Outcome:
    """Validate, extract and check one source folder (runs in a worker process)."""
    try:
        source = load_source(folder)
        extraction = extract_source(source)
    except PipelineError as exc:
        return Outcome(folder.name, error=str(exc))
    checks = run_checks(source.id, extraction, source.meta.acknowledged)
    return Outcome(folder.name, source, extraction.slim(), checks)


def outcomes(folders: list[Path], workers: int, timeout: float) -> Iterator[Outcome]:
    """Process folders in worker processes, yielding outcomes in the folders' order. At most
    a few documents per worker run ahead, so memory does not grow with the corpus."""
    with ProcessPool(max_workers=workers) as pool:
        pending: deque = deque()
        queue = iter(folders)
        for folder in queue:
            pending.append((folder, pool.schedule(process, (folder,), timeout=timeout)))
            if len(pending) >= 4 * workers:
                yield _result(*pending.popleft(), timeout)
        while pending:
            yield _result(*pending.popleft(), timeout)


def _result(folder: Path, future, timeout: float) -> Outcome:
    try:
        return future.result()
    except FutureTimeout:
        return Outcome(folder.name, error=f"{folder}: extraction took longer than {timeout:g} s "
                                          "and was stopped")
    except ProcessExpired as exc:
        return Outcome(folder.name, error=f"{folder}: the worker died while reading it ({exc}); "
                                          "the document may be too large or malformed")
    except Exception as exc:  # a bug in the pipeline: report it, keep building the rest
        return Outcome(folder.name, error=f"{folder}: internal error {exc!r}; please report it")


def published_documents(package: Path) -> set[str]:
    path = package / "data" / "documents.csv"
    if not path.exists():
        return set()
    with open(path, encoding="utf-8", newline="") as f:
        return {row["document_id"] for row in csv.DictReader(f)}


def build(sources_dir: Path, out_dir: Path, schemas_dir: Path | None = None,
          progress: bool = True, workers: int | None = None,
          timeout: float = MAX_SECONDS) -> BuildResult:
    """Extract and check every document under `sources_dir`; publish the package to `out_dir`.

    Documents that fail (unreadable, invalid, over a limit, or with accounting checks
    failing that source.yml does not acknowledge) are reported and left out. The package is
    replaced only if it validates and no previously published document fails now."""
    result = BuildResult()
    if schemas_dir is not None:
        write_schemas(schemas_dir)
    folders = discover(sources_dir)
    before = published_documents(out_dir)
    seen: dict[str, str] = {}  # sha256 -> document id: the same file twice is an error
    writer = PackageWriter(out_dir)
    try:
        for outcome in tqdm(outcomes(folders, workers or os.cpu_count() or 1, timeout),
                            total=len(folders), desc="extracting", unit="doc",
                            disable=not progress):
            _take(outcome, writer, result, seen)
        finished = writer.finish()
        result.validation_errors = validate_package(finished / "datapackage.json")
    except BaseException:
        writer.abandon()
        raise
    result.regressions = sorted(d for d in result.failed if d in before)
    if result.validation_errors or result.regressions:
        writer.abandon()
        return result
    result.package = writer.publish()
    return result


def _take(outcome: Outcome, writer: PackageWriter, result: BuildResult, seen: dict) -> None:
    if outcome.error:
        result.failed[outcome.name] = outcome.error
        return
    source, extraction = outcome.source, outcome.extraction
    result.check_reports[source.id] = report(source.id, outcome.checks)
    if source.meta.sha256 in seen:
        result.failed[source.id] = (f"{source.document}: the same file as document "
                                    f"{seen[source.meta.sha256]} (sha256 {source.meta.sha256})")
        return
    seen[source.meta.sha256] = source.id
    failing = unacknowledged_failures(outcome.checks)
    if failing:
        result.failed[source.id] = (
            f"{len(failing)} accounting checks fail and are not acknowledged in source.yml "
            "(fix the extraction, or acknowledge a publisher error)")
        return
    writer.add(source, extraction, outcome.checks)
    result.built.append(source.id)
    result.warnings[source.id] = extraction.warnings + [
        f"unplaced table: {u}" for u in extraction.unplaced]
