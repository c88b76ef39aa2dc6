"""The library API: each thing the command line does, as a function to call from Python.
`cli.py` only parses arguments, calls these and prints what they return.

    from pipeline import api
    result = api.build(Path("sources"), Path("datapackage"))
    extraction, report = api.extract([Path("budget.pdf")], Path("out"))
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

from pipeline.contribute.add import add_document
from pipeline.contribute.corpus import (documents_in, json_report, markdown_report,
                                        measure_corpus, text_report)
from pipeline.contribute.reports import extraction_report, gap_lines
from pipeline.contribute.review import changed_files, review
from pipeline.check.engine import unacknowledged_failures
from pipeline.check.report import report as check_report
from pipeline.extract import Extraction
from pipeline.errors import PipelineError
from pipeline.limits import LIMITS, Limits
from pipeline.metadata.registry import BY_NAME
from pipeline.publish.build import (BuildResult, Outcome, build, extract_outcome, outcomes,
                                    run_limited)
from pipeline.publish.diff import diff_markdown, diff_packages
from pipeline.publish.package import table_rows, write_schemas, write_table
from pipeline.publish.release import build_release
from pipeline.publish.site import (SiteError, build_site, publish_args, serve_args,
                                   site_config)
from pipeline.publish.site.metadata import repository_url
from pipeline.sources import discover, parse_meta

__all__ = [
    "BuildResult", "Extraction", "Outcome", "SiteError", "add_document", "build",
    "build_release", "build_site", "changed_files", "check", "check_text", "diff_markdown",
    "diff_packages", "discover", "documents_in", "extract", "extraction_report",
    "json_report", "markdown_report", "measure_corpus", "publish_args", "repository_url", "review",
    "serve_args", "site_config", "text_report", "write_schemas",
]


def document_id_for(file: Path, metadata: Path | None) -> str:
    """The id a loose file is extracted under: its source folder's name, else its name."""
    if metadata:
        return metadata.parent.name
    return re.sub(r"[^a-z0-9]+", "-", file.stem.lower()).strip("-") or "document"


def extract(files: list[Path], out_dir: Path, metadata: Path | None = None,
            limits: Limits = LIMITS, ocr: bool = False) -> tuple[Extraction, str]:
    """Read one document (its file, or the files of one disclosure, in reading order) and
    write to `out_dir` one CSV per published table it gives, document_tables.csv and
    report.md; returns the extraction and the report. The reading runs in a worker process
    under the limits `build` gives each document (size, pages, memory, time); a document
    over one, or unreadable, raises PipelineError. `ocr` reads every page by OCR."""
    document_id = document_id_for(files[0], metadata)
    meta = parse_meta(metadata) if metadata else None
    outcome = run_limited(extract_outcome, (list(files), document_id, meta, limits, ocr),
                          files[0], limits)
    if outcome.error:
        raise PipelineError(None, outcome.error)
    extraction = outcome.extraction
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = dict(extraction.rows, document_tables=table_rows(document_id, extraction))
    for name, rows in sorted(tables.items()):
        write_table(out_dir / f"{name}.csv", BY_NAME[name], rows)
    report = extraction_report(files, extraction)
    (out_dir / "report.md").write_text(report, encoding="utf-8")
    return extraction, report


def check(folders: list[Path], workers: int | None = None,
          timeout: float = LIMITS.seconds) -> Iterator[Outcome]:
    """Validate, extract and check each source folder as the build does (worker processes,
    the same limits and error reports), yielding each one's outcome in order."""
    yield from outcomes(folders, workers or os.cpu_count() or 1, timeout)


def check_text(outcome: Outcome) -> tuple[str, bool]:
    """An outcome's check report with its unread tables, and whether it passes (no failure
    or gap that source.yml leaves unacknowledged)."""
    if outcome.error:
        return f"FAILED  {outcome.name}: {outcome.error}", False
    text = check_report(outcome.source.id, outcome.checks) + gap_lines(outcome.extraction,
                                                                       outcome.checks)
    return text, not unacknowledged_failures(outcome.checks)
