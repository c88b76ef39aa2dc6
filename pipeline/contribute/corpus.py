"""Measure a corpus: per document, the standard tables it prints, how many of them were
delivered (read: extracted, or printed empty) and which failed, with the reason, the
accounting checks' counts, and how long reading took.

`measure_corpus` reads the documents in worker processes with the build's limits (time,
memory), so fifty documents take about a minute on two cores; `text_report`,
`markdown_report` and `json_report` format the result (`python -m pipeline corpus`).

"Tables printed" is counted from the document itself, independently of what the pipeline
recognizes: the table entries of its table of contents (目录) where it prints one, less those
whose title the document never prints, plus the tables recognized that it prints without
listing them; otherwise the standard tables recognized plus the titled grids that were not
placed (see `printed`).
"""
from __future__ import annotations

import json
import os
import re
import time
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from pebble import ProcessExpired, ProcessPool

from pipeline import families
from pipeline.publish.build import extract_files, extract_source, limit_memory
from pipeline.check.engine import GAP_RULE, gap_subject, run_checks
from pipeline.errors import PipelineError, RecognitionError
from pipeline.extract import read_document
from pipeline.limits import LIMITS
from pipeline.model import Document
from pipeline.recognize.contents import body_prints, contents_titles, match_contents
from pipeline.sources import SOURCE_FILE, discover, load_source


@dataclass
class FailedTable:
    title: str
    page: int | None
    reason: str
    acknowledged: bool = False  # in source.yml (rule tables_read)


@dataclass
class DocumentFigures:
    """What one document gives. `printed_from` says where `printed` was counted:
    "contents" (its 目录) or "titles" (tables recognized + unplaced titled grids)."""

    name: str  # the document id (its sources/ folder), or the file name
    path: str
    printed: int | None = None
    printed_from: str = ""
    recognized: int = 0
    delivered: int = 0
    failed: list[FailedTable] = field(default_factory=list)
    not_recognized: list[str] = field(default_factory=list)  # in the contents, no table matches
    not_printed: list[str] = field(default_factory=list)  # in the contents, not in the document
    unlisted: list[str] = field(default_factory=list)  # recognized, not in the contents
    checks: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0,
                                                             "acknowledged": 0})
    pages: int | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def seconds_per_page(self) -> float | None:
        return self.seconds / self.pages if self.pages else None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["seconds_per_page"] = (round(self.seconds_per_page, 4)
                                 if self.seconds_per_page is not None else None)
        return d


@dataclass
class CorpusFigures:
    documents: list[DocumentFigures]

    def total(self) -> dict:
        docs = self.documents
        pages = sum(d.pages or 0 for d in docs)
        seconds = sum(d.seconds for d in docs)
        paged = sum(d.seconds for d in docs if d.pages)
        return {
            "documents": len(docs),
            "documents_failed": sum(d.error is not None for d in docs),
            "printed": sum(d.printed or 0 for d in docs),
            "recognized": sum(d.recognized for d in docs),
            "delivered": sum(d.delivered for d in docs),
            "failed": sum(len(d.failed) for d in docs),
            "checks": {k: sum(d.checks[k] for d in docs) for k in ("pass", "fail", "acknowledged")},
            "pages": pages,
            "seconds": round(seconds, 3),
            "seconds_per_page": round(paged / pages, 4) if pages else None,
        }


# --- what the document prints ------------------------------------------------------------

_UNPLACED = re.compile(r"^(?P<title>.*) \((?:page|line) \d+\): ")


class Printed(NamedTuple):
    """How many standard tables a document prints, counted from its "contents" (the entries
    it prints, and the tables recognized that it prints without listing them) or, without
    contents, from its "titles"."""

    count: int | None
    source: str
    not_recognized: list[str]  # entries no recognized table answers
    not_printed: list[str]  # entries whose title the document never prints
    unlisted: list[str]  # tables recognized that no entry lists


def printed(doc: Document | None, recognized: list[str], unplaced: list[str],
            kinds: list[str] | None = None) -> Printed:
    """Count the tables `doc` prints (`recognized`: the titles of its tables recognized,
    `kinds` their kinds). An entry counts as not printed only where every page has a text
    layer (a scanned page may print it unread)."""
    listed = contents_titles(doc) if doc is not None else None
    if listed:
        left, unlisted = match_contents(listed, recognized, kinds)
        absent = [] if doc.image_pages else [t for t in left if not body_prints(doc, t)]
        return Printed(len(listed) - len(absent) + len(unlisted), "contents",
                       [t for t in left if t not in absent], absent, unlisted)
    titled = {m.group("title") for m in map(_UNPLACED.match, unplaced)
              if m and m.group("title") != "(no title)"}
    return Printed(len(recognized) + len(titled), "titles", [], [], [])


# --- measuring one document (in a worker) -----------------------------------------------

def measure(kind: str, path: Path) -> DocumentFigures:
    """Read and check one document: `kind` "source" (a sources/ folder with its source.yml,
    read as the build reads it) or "file" (a loose file, no metadata)."""
    start = time.perf_counter()
    fig = DocumentFigures(path.name, str(path))
    try:
        if kind == "source":
            source = load_source(path)
            fig.name = source.id
            extraction = extract_source(source)
            acknowledged = source.meta.acknowledged
        else:
            extraction = extract_files([path], path.stem)
            acknowledged = []
        rows = run_checks(fig.name, extraction, acknowledged)
    except PipelineError as exc:
        fig.error = str(exc)
        if isinstance(exc, RecognitionError):  # read, but no table: count what it prints
            try:
                source = load_source(path) if kind == "source" else None
                with families.use(source.meta.kind if source else families.DEFAULT):
                    count = printed(read_document(source.documents if source else [path]), [], [])
                fig.printed, fig.printed_from, fig.not_printed = (count.count, count.source,
                                                                  count.not_printed)
            except PipelineError:
                pass
        fig.seconds = time.perf_counter() - start
        return fig
    except MemoryError:
        fig.error = (f"{path}: reading it needs more than the {LIMITS.worker_memory // 2**20} MiB "
                     "a document may use")
        return fig
    fig.seconds = time.perf_counter() - start
    fig.pages = extraction.pages
    fig.recognized = len(extraction.tables)
    fig.delivered = sum(t.read for t in extraction.tables)
    gap_acks = {r["subject"] for r in rows if r["rule"] == GAP_RULE and r["acknowledged"]}
    fig.failed = [FailedTable(t.title, t.page, t.reason or "", gap_subject(t) in gap_acks)
                  for t in extraction.tables if not t.read]
    for r in rows:
        if r["rule"] == GAP_RULE or r["status"] == "not_applicable":
            continue  # gaps are counted as tables failed
        key = "acknowledged" if r["status"] == "fail" and r["acknowledged"] else r["status"]
        fig.checks[key] = fig.checks.get(key, 0) + 1
    with families.use(extraction.family):
        count = printed(extraction.document, [t.title for t in extraction.tables],
                        extraction.unplaced, [t.kind for t in extraction.tables])
    fig.printed, fig.printed_from = count.count, count.source
    fig.not_recognized, fig.not_printed, fig.unlisted = (count.not_recognized,
                                                         count.not_printed, count.unlisted)
    return fig


def _measure(job: tuple[str, Path]) -> DocumentFigures:
    return measure(*job)


# --- a corpus -----------------------------------------------------------------------------

def documents_in(paths: Iterable[Path] = (), sources_dir: Path | None = None
                 ) -> list[tuple[str, Path]]:
    """The documents to measure: each path is a sources/ folder (with source.yml), a loose
    file (a PDF or transcript), or a folder of those (its source folders and its PDFs);
    `sources_dir` adds every folder of a sources/ directory."""
    jobs: list[tuple[str, Path]] = []
    if sources_dir is not None:
        jobs += [("source", f) for f in discover(sources_dir)]
    for p in paths:
        if p.is_file():
            jobs.append(("file", p))
        elif (p / SOURCE_FILE).exists():
            jobs.append(("source", p))
        elif p.is_dir():
            jobs += [("source", f) for f in discover(p) if (f / SOURCE_FILE).exists()]
            jobs += [("file", f) for f in sorted(p.iterdir())
                     if f.is_file() and f.suffix.lower() == ".pdf"]
    return jobs


def measure_corpus(jobs: list[tuple[str, Path]], workers: int | None = None,
                   timeout: float = LIMITS.seconds,
                   progress: Callable[[Iterator], Iterator] | None = None) -> CorpusFigures:
    """Measure every document in worker processes (each within the build's time and memory
    limits); results are in the order of `jobs`. `progress` wraps the iterator of results
    (e.g. a tqdm bar)."""
    results = _results(jobs, workers or os.cpu_count() or 1, timeout)
    return CorpusFigures(list(progress(results) if progress else results))


def _results(jobs: list[tuple[str, Path]], workers: int, timeout: float
             ) -> Iterator[DocumentFigures]:
    with ProcessPool(max_workers=min(workers, max(1, len(jobs))), initializer=limit_memory,
                     initargs=(LIMITS.worker_memory,)) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append((job, pool.schedule(_measure, (job,), timeout=timeout)))
            if len(pending) >= 4 * workers:
                yield _collect(*pending.popleft(), timeout)
        while pending:
            yield _collect(*pending.popleft(), timeout)


def _collect(job: tuple[str, Path], future, timeout: float) -> DocumentFigures:
    kind, path = job
    try:
        return future.result()
    except (FutureTimeout, TimeoutError):
        error = f"{path}: extraction took longer than {timeout:g} s and was stopped"
    except ProcessExpired as exc:
        error = f"{path}: the worker died while reading it ({exc})"
    except Exception as exc:  # a bug in the pipeline: report it, measure the rest
        error = f"{path}: internal error {exc!r}; please report it"
    return DocumentFigures(path.name, str(path), error=error)


# --- reports ------------------------------------------------------------------------------

def _where(t: FailedTable) -> str:
    return f" (page {t.page})" if t.page is not None else ""


def _rate(fig) -> str:
    spp = fig.seconds_per_page if isinstance(fig, DocumentFigures) else fig["seconds_per_page"]
    return f"{spp:.3f} s/page" if spp is not None else "-"


def _printed(fig: DocumentFigures) -> str:
    if fig.printed is None:
        return "?"
    return f"{fig.printed} ({'contents' if fig.printed_from == 'contents' else 'titles'})"


def text_report(corpus: CorpusFigures) -> str:
    """One line per document, its failed tables under it, and the total."""
    lines = []
    for d in corpus.documents:
        if d.error:
            lines.append(f"{d.name}: printed {_printed(d)}, FAILED: {d.error}")
            continue
        c = d.checks
        lines.append(
            f"{d.name}: printed {_printed(d)}, delivered {d.delivered}, failed {len(d.failed)}; "
            f"checks {c['pass']} pass, {c['fail']} fail, {c['acknowledged']} acknowledged; "
            f"{d.pages or '-'} pages, {d.seconds:.1f} s, {_rate(d)}")
        for t in d.failed:
            ack = " [acknowledged]" if t.acknowledged else ""
            lines.append(f"    not read{ack}: {t.title}{_where(t)}: {t.reason}")
        for title in d.not_recognized:
            lines.append(f"    listed in its contents, not recognized: {title}")
        for title in d.not_printed:
            lines.append(f"    listed in its contents, not printed in the document: {title}")
        for title in d.unlisted:
            lines.append(f"    printed, not listed in its contents: {title}")
    t = corpus.total()
    c = t["checks"]
    lines.append(
        f"TOTAL {t['documents']} documents ({t['documents_failed']} failed): printed "
        f"{t['printed']}, delivered {t['delivered']}, failed {t['failed']}; checks {c['pass']} "
        f"pass, {c['fail']} fail, {c['acknowledged']} acknowledged; {t['pages']} pages, "
        f"{t['seconds']:.1f} s, {_rate(t)}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(corpus: CorpusFigures) -> str:
    """A markdown table (one row per document and a total), then the tables not read."""
    lines = ["| document | printed | delivered | failed | checks pass / fail / ack. | pages "
             "| s/page |", "|---|---:|---:|---:|---|---:|---:|"]
    for d in corpus.documents:
        if d.error:
            lines.append(f"| {d.name} | {_printed(d)} | – | – | failed: {_md(d.error)} | – | – |")
            continue
        c = d.checks
        spp = f"{d.seconds_per_page:.3f}" if d.seconds_per_page is not None else "–"
        lines.append(f"| {d.name} | {_printed(d)} | {d.delivered} | {len(d.failed)} | "
                     f"{c['pass']} / {c['fail']} / {c['acknowledged']} | {d.pages or '–'} | "
                     f"{spp} |")
    t = corpus.total()
    c = t["checks"]
    spp = f"{t['seconds_per_page']:.3f}" if t["seconds_per_page"] is not None else "–"
    lines.append(f"| **total: {t['documents']} documents, {t['documents_failed']} failed** | "
                 f"{t['printed']} | {t['delivered']} | {t['failed']} | {c['pass']} / {c['fail']} "
                 f"/ {c['acknowledged']} | {t['pages']} | {spp} |")
    failed = [(d, f) for d in corpus.documents for f in d.failed]
    if failed:
        lines += ["", "Tables not read:", ""]
        lines += [f"- {d.name}: {f.title}{_where(f)}: {_md(f.reason)}"
                  + (" (acknowledged)" if f.acknowledged else "") for d, f in failed]
    missing = [(d, t) for d in corpus.documents for t in d.not_recognized]
    if missing:
        lines += ["", "Listed in a document's contents, not recognized:", ""]
        lines += [f"- {d.name}: {t}" for d, t in missing]
    absent = [(d, t) for d in corpus.documents for t in d.not_printed]
    if absent:
        lines += ["", "Listed in a document's contents, not printed in it (not counted as "
                      "printed):", ""]
        lines += [f"- {d.name}: {t}" for d, t in absent]
    unlisted = [(d, t) for d in corpus.documents for t in d.unlisted]
    if unlisted:
        lines += ["", "Printed, not listed in the document's contents (counted as printed):", ""]
        lines += [f"- {d.name}: {t}" for d, t in unlisted]
    lines += ["", "printed: counted from the document's contents (目录), or, without one, "
                  "from the tables recognized and the unplaced titled grids (titles)."]
    return "\n".join(lines) + "\n"


def json_report(corpus: CorpusFigures) -> str:
    return json.dumps({"documents": [d.as_dict() for d in corpus.documents],
                       "total": corpus.total()}, ensure_ascii=False, indent=2) + "\n"
