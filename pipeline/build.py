"""Build the data package from every source folder; one bad document never stops the rest."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .checks import report, run_checks, unacknowledged_failures
from .errors import PipelineError, SourceError
from .extract import Extraction, extract_document
from .package import PackageWriter, validate_package, write_schemas
from .sources import Source, discover, load_source


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    validation_errors: list[str] = field(default_factory=list)
    check_reports: dict[str, str] = field(default_factory=dict)
    package: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.validation_errors


def extract_source(source: Source) -> Extraction:
    """Extract one validated source, checking the document is what source.yml says."""
    extraction = extract_document(source.document, source.id, source.meta)
    if extraction.document.format != source.meta.format:
        raise SourceError(source.folder / "source.yml",
                          f"format: says {source.meta.format!r} but {source.meta.file} is a "
                          f"{extraction.document.format}")
    return extraction


def build(sources_dir: Path, out_dir: Path, schemas_dir: Path | None = None,
          progress: bool = True) -> BuildResult:
    """Extract and check every document under `sources_dir`; publish the package to `out_dir`.

    Documents that fail (unreadable, invalid, or with accounting checks failing that
    source.yml does not acknowledge) are reported in the result and left out; the package is
    replaced only if it validates."""
    result = BuildResult()
    if schemas_dir is not None:
        write_schemas(schemas_dir)
    writer = PackageWriter(out_dir)
    try:
        for folder in tqdm(discover(sources_dir), desc="extracting", unit="doc",
                           disable=not progress):
            try:
                source = load_source(folder)
                extraction = extract_source(source)
            except PipelineError as exc:
                result.failed[folder.name] = str(exc)
                continue
            checks = run_checks(source.id, extraction, source.meta.acknowledged)
            result.check_reports[source.id] = report(source.id, checks)
            failing = unacknowledged_failures(checks)
            if failing:
                result.failed[source.id] = (
                    f"{len(failing)} accounting checks fail and are not acknowledged in "
                    f"source.yml (fix the extraction, or acknowledge a publisher error)")
                continue
            writer.add(source, extraction, checks)
            result.built.append(source.id)
            result.warnings[source.id] = extraction.warnings + [
                f"unplaced table: {u}" for u in extraction.unplaced]
        finished = writer.finish()
        result.validation_errors = validate_package(finished / "datapackage.json")
    except BaseException:
        writer.abandon()
        raise
    if result.validation_errors:
        writer.abandon()
        return result
    result.package = writer.publish()
    return result
