"""Build the data package from every source folder; one bad document never stops the rest.

Each document is extracted and checked in a worker process with a wall-time limit (a hung
parse is killed and reported), and results are written in document-id order whatever the
order they finish in, so the output is the same for any number of workers. Nothing
already published is lost: the package is replaced only when the new one validates and no
document that was published before now fails or is gone from sources/ (a regression), unless
its removal is allowed.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import resource
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from pebble import ProcessExpired, ProcessPool
from tqdm import tqdm

from pipeline.publish.cache import Cache
from pipeline.check.engine import GAP_RULE, gap_subject, run_checks, unacknowledged_failures
from pipeline.check.report import report
from pipeline.errors import PipelineError, RecognitionError, SourceError
from pipeline.extract import Extraction, extract_document
from pipeline.limits import LIMITS, Limits
from pipeline.publish.package import PACKAGE_META, PackageWriter, recover, write_schemas
from pipeline.publish.validate import validate_package
from pipeline.sources import Source, discover, links_in, load_source


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)  # published, failing now
    removed: list[str] = field(default_factory=list)  # published, gone from sources/, not allowed
    warnings: dict[str, list[str]] = field(default_factory=dict)
    validation_errors: list[str] = field(default_factory=list)
    check_reports: dict[str, str] = field(default_factory=dict)
    gaps: dict[str, list[str]] = field(default_factory=dict)  # tables not read, unacknowledged
    package: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.validation_errors and not self.removed


@dataclass
class Outcome:
    """What one document gives the build: its rows and checks, or the error."""

    name: str
    source: Source | None = None
    extraction: Extraction | None = None
    checks: list[dict] = field(default_factory=list)
    error: str | None = None


NO_TABLES = "none of the standard budget tables found"


def extract_files(paths: list[Path], document_id: str, meta=None,
                  limits: Limits = LIMITS, ocr: bool = False) -> Extraction:
    """`extract_document` on the files of one disclosure. A file with no tables is fine as
    the companion of a tables file (the narrative published apart); alone it is an error,
    which says how to give the two together."""
    try:
        return extract_document(paths[0] if len(paths) == 1 else paths, document_id, meta,
                                limits, ocr)
    except RecognitionError as exc:
        if len(paths) == 1 and exc.message.startswith(NO_TABLES):
            exc.message += ("; if this file is the narrative (情况说明) of a disclosure whose "
                            "tables are published as another file, give both: `files:` in "
                            "source.yml, or both files to `extract`")
            exc.args = (str(exc),)
        raise


def extract_source(source: Source, limits: Limits = LIMITS, ocr: bool = False) -> Extraction:
    """Extract one validated source (all its files, read as one document; with `ocr`, every
    page by OCR), checking the document is what source.yml says."""
    extraction = extract_files(source.documents, source.id, source.meta, limits, ocr)
    if extraction.format != source.meta.format:
        raise SourceError(source.folder / "source.yml",
                          f"format: says {source.meta.format!r} but "
                          f"{source.meta.file_names} is a {extraction.format}")
    return extraction


def limit_memory(limit: int) -> None:
    """Cap a worker's address space, so a decompression bomb fails instead of the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def too_big(where: Path, limits: Limits) -> str:
    """The error for a document that needs more memory than a worker may use."""
    return (f"{where}: reading it needs more than the {limits.worker_memory // 2**20} MiB a "
            "document may use (a decompression bomb, or a far larger document than any "
            "disclosure)")


def process(folder: Path, limits: Limits = LIMITS, ocr: bool = False) -> Outcome:
    """Validate, extract and check one source folder (runs in a worker process)."""
    source = None
    try:
        source = load_source(folder, limits)
        extraction = extract_source(source, limits, ocr)
    except PipelineError as exc:
        return Outcome(folder.name, error=str(exc))
    except MemoryError:
        return Outcome(folder.name, error=too_big(source.where if source else folder, limits))
    checks = run_checks(source.id, extraction, source.meta.acknowledged)
    return Outcome(folder.name, source, extraction.slim(), checks)


def extract_outcome(paths: list[Path], document_id: str, meta=None,
                    limits: Limits = LIMITS, ocr: bool = False) -> Outcome:
    """`extract_files` as a worker runs it: the extraction (document kept), or the error."""
    try:
        return Outcome(document_id, extraction=extract_files(paths, document_id, meta, limits,
                                                             ocr))
    except PipelineError as exc:
        return Outcome(document_id, error=str(exc))
    except MemoryError:
        return Outcome(document_id, error=too_big(paths[0], limits))


def run_limited(work, args: tuple, where: Path, limits: Limits = LIMITS) -> Outcome:
    """Run `work(*args)` (which returns an Outcome) in one worker process under the limits
    a build gives each document: its memory capped, stopped after `limits.seconds`. A
    worker that is stopped or dies gives an Outcome with the error naming `where`."""
    with ProcessPool(max_workers=1, initializer=limit_memory,
                     initargs=(limits.worker_memory,)) as pool:
        return _result(where, pool.schedule(work, args, timeout=limits.seconds),
                       limits.seconds, None, {})


def outcomes(folders: list[Path], workers: int, timeout: float, cache: Cache | None = None,
             keys: dict[str, str | None] | None = None, limits: Limits = LIMITS,
             ocr: bool = False) -> Iterator[Outcome]:
    """Process folders in worker processes, yielding outcomes in the folders' order; cached
    outcomes are reused. At most a few documents per worker run ahead, so memory does not
    grow with the corpus."""
    with ProcessPool(max_workers=workers, initializer=limit_memory,
                     initargs=(limits.worker_memory,)) as pool:
        yield from _windowed(folders, lambda folder: pool.schedule(process, (folder, limits, ocr),
                                                                   timeout=timeout),
                             4 * workers, timeout, cache, keys or {})


def dask_outcomes(folders: list[Path], scheduler: str, timeout: float, cache: Cache | None = None,
                  keys: dict[str, str | None] | None = None,
                  limits: Limits = LIMITS, ocr: bool = False) -> Iterator[Outcome]:
    """The same as `outcomes`, on a Dask distributed cluster: `scheduler` is the address of a
    running scheduler, or "local" for a local cluster of one worker process per core. The
    source folders must be reachable from the workers (a shared file system). A document
    over the time limit is reported, but Dask cannot stop a running task: it is abandoned
    and runs on in its worker until it ends. Memory is capped by Dask's worker memory limit
    (set here for "local"), not by `limit_memory`."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                               memory_limit=limits.worker_memory, dashboard_address=None)
    else:
        cluster = scheduler
    with Client(cluster) as client:
        window = 4 * max(1, len(client.scheduler_info()["workers"]))
        yield from _windowed(folders, lambda folder: client.submit(process, folder, limits, ocr,
                                                                  pure=False),
                             window, timeout, cache, keys or {})
    if scheduler == "local":
        cluster.close()


def _windowed(folders: list[Path], submit, window: int, timeout: float, cache: Cache | None,
              keys: dict) -> Iterator[Outcome]:
    """Submit each folder not cached, keeping at most `window` in flight; yield outcomes in
    the folders' order."""
    pending: deque = deque()
    for folder in folders:
        cached = cache.get(folder.name, keys.get(folder.name)) if cache else None
        pending.append((folder, cached or submit(folder)))
        if len(pending) >= window:
            yield _result(*pending.popleft(), timeout, cache, keys)
    while pending:
        yield _result(*pending.popleft(), timeout, cache, keys)


def _result(folder: Path, job, timeout: float, cache: Cache | None, keys: dict) -> Outcome:
    if isinstance(job, Outcome):
        return job
    try:
        outcome = job.result(timeout=timeout)
        if cache:
            cache.put(folder.name, keys.get(folder.name), outcome)
        return outcome
    except (FutureTimeout, TimeoutError):
        job.cancel()
        return Outcome(folder.name, error=f"{folder}: extraction took longer than {timeout:g} s "
                                          "and was stopped")
    except ProcessExpired as exc:
        return Outcome(folder.name, error=f"{folder}: the worker died while reading it ({exc}); "
                                          "the document may be too large or malformed")
    except Exception as exc:  # a bug in the pipeline: report it, keep building the rest
        return Outcome(folder.name, error=f"{folder}: internal error {exc!r}; please report it")


def published_documents(package: Path) -> dict[str, str]:
    """The documents of the package in `package` (none if there is none), with their
    files' sha256."""
    path = package / "data" / "documents.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {row["document_id"]: row["sha256"] for row in csv.DictReader(f)}


def build(sources_dir: Path, out_dir: Path, schemas_dir: Path | None = None,
          progress: bool = True, workers: int | None = None,
          timeout: float = LIMITS.seconds, cache_dir: Path | None = None,
          scheduler: str | None = None, allow_removal: Iterable[str] = (),
          limits: Limits = LIMITS, ocr: bool = False) -> BuildResult:
    """Extract and check every document under `sources_dir`; publish the package to `out_dir`.

    Documents that fail (unreadable, invalid, over a limit, or with accounting checks
    failing that source.yml does not acknowledge) are reported and left out. The package is
    replaced only if it validates, no previously published document fails now, and none is
    missing from `sources_dir` except those in `allow_removal`. With a
    `cache_dir`, unchanged documents are not extracted again, and a build where nothing
    changed returns at once. `scheduler` runs the extraction on Dask ("local" or the address
    of a cluster's scheduler) instead of local worker processes. `limits` caps each
    document's size, pages and worker memory; its time is capped by `timeout`. `ocr` reads
    every page of every PDF by OCR (pages without a text layer are read so anyway, when the
    OCR extra is installed)."""
    recover(out_dir)  # before anything looks at what is published
    if schemas_dir is not None:
        write_schemas(schemas_dir)
    folders = discover(sources_dir)
    cache = Cache(cache_dir) if cache_dir else None
    # no cache key for a folder holding links: a link replacing a file of the same size and
    # time must not reuse the file's outcome, so load_source sees and refuses it
    keys = {f.name: None if links_in(f) else cache.key(f, ocr) for f in folders} if cache else {}
    fingerprint = _fingerprint(keys, out_dir) if cache else None
    if cache and fingerprint:
        unchanged = _unchanged(cache, fingerprint, out_dir)
        if unchanged:
            return unchanged
    result = BuildResult()
    published = published_documents(out_dir)
    before = set(published)
    # sha256 -> document id: the same file twice is an error, blamed on the document that
    # was not published (whatever the order of their ids), so one added never fails one
    # published; a published document's files count from the start while it is in sources/
    present = {f.name for f in folders}
    seen: dict[str, str] = {sha: doc for doc, shas in sorted(published.items())
                            if doc in present for sha in shas.split("; ") if sha}
    writer = PackageWriter(out_dir)
    try:
        jobs = dask_outcomes(folders, scheduler, timeout, cache, keys, limits, ocr) if scheduler \
            else outcomes(folders, workers or os.cpu_count() or 1, timeout, cache, keys, limits, ocr)
        for outcome in tqdm(jobs,
                            total=len(folders), desc="extracting", unit="doc",
                            disable=None if progress else True):  # None: on a terminal only
            _take(outcome, writer, result, seen)
        finished = writer.finish()
        result.validation_errors = writer.key_errors + validate_package(
            finished / "datapackage.json", keys_checked=True, workers=workers)
    except BaseException:
        writer.abandon()
        raise
    result.regressions = sorted(d for d in result.failed if d in before)
    result.removed = sorted(before - {f.name for f in folders} - set(allow_removal))
    if result.validation_errors or result.regressions or result.removed:
        writer.abandon()
        return result
    result.package = writer.publish()
    if cache and fingerprint:
        cache.remember_build({"fingerprint": fingerprint, "package": _package_hash(out_dir),
                              "result": {k: v for k, v in asdict(result).items() if k != "package"}})
    return result


def _fingerprint(keys: dict[str, str | None], out_dir: Path) -> str | None:
    """Everything a build's output depends on, or None if a document has no cache key."""
    if any(k is None for k in keys.values()):
        return None
    digest = hashlib.sha256(json.dumps(sorted(keys.items())).encode())
    digest.update(str(out_dir.resolve()).encode())
    digest.update(PACKAGE_META.read_bytes())  # the version and licences datapackage.json states
    return digest.hexdigest()


def _package_hash(out_dir: Path) -> str | None:
    path = out_dir / "datapackage.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _unchanged(cache: Cache, fingerprint: str, out_dir: Path) -> BuildResult | None:
    """The last build's result, if it had exactly these inputs and its package is intact."""
    last = cache.last_build()
    if last.get("fingerprint") != fingerprint or last.get("package") != _package_hash(out_dir):
        return None
    try:
        return BuildResult(**last["result"], package=out_dir)
    except (KeyError, TypeError):  # a record of another shape: build again
        return None


def _take(outcome: Outcome, writer: PackageWriter, result: BuildResult, seen: dict) -> None:
    if outcome.error:
        result.failed[outcome.name] = outcome.error
        return
    source, extraction = outcome.source, outcome.extraction
    result.check_reports[source.id] = report(source.id, outcome.checks)
    for entry, path in zip(source.meta.file_list, source.documents):  # each of its files
        if seen.get(entry.sha256, source.id) != source.id:
            result.failed[source.id] = (f"{path}: the same file as document "
                                        f"{seen[entry.sha256]} (sha256 {entry.sha256})")
            return
    seen.update({entry.sha256: source.id for entry in source.meta.file_list})
    failing = unacknowledged_failures(outcome.checks, gaps=False)
    if failing:
        named = "; ".join(f"{r['rule']}: {r['subject']}" for r in failing[:3])
        more = f"; and {len(failing) - 3} more" if len(failing) > 3 else ""
        result.failed[source.id] = (
            f"{source.where}: {len(failing)} accounting checks fail and are not acknowledged "
            f"in source.yml ({named}{more}); fix the extraction, or acknowledge a publisher error")
        return
    writer.add(source, extraction, outcome.checks)
    result.built.append(source.id)
    open_gaps = {r["subject"] for r in unacknowledged_failures(outcome.checks)
                 if r["rule"] == GAP_RULE}
    gaps = [f"{gap_subject(t)}: {t.reason}" for t in extraction.tables
            if not t.read and gap_subject(t) in open_gaps]
    if gaps:  # published without them; a review refuses them until acknowledged
        result.gaps[source.id] = gaps
    result.warnings[source.id] = extraction.warnings + [
        f"unplaced table: {u}" for u in extraction.unplaced] + [
        f"table not read: {g}" for g in gaps]
