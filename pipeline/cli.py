"""Command line: a thin layer over build.py and extract.py."""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import click

from .build import build as build_package, extract_source
from .checks import report as check_report, run_checks, unacknowledged_failures
from .errors import PipelineError
from .extract import Extraction, extract_document
from .package import cell, write_schemas
from .registry import BY_NAME
from .sources import discover, load_source, parse_meta



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Turn Chinese departmental budget disclosures (部门预算公开) into open data."""


@cli.command()
@click.option("--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("sources"), show_default=True, help="Folder of document folders.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("datapackage"), show_default=True, help="Where to publish.")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("schemas"), show_default=True,
              help="Where to write the Table Schemas generated from the registry.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build(sources_dir: Path, out_dir: Path, schemas_dir: Path, quiet: bool):
    """Extract every document in SOURCES and publish the validated data package to OUT.

    A document that fails (bad source.yml, checksum mismatch, unreadable file, no standard
    tables) is reported and left out; the others are still published. Exits with status 1
    if any document failed or the package did not validate (the old package is then kept).
    """
    if not sources_dir.is_dir():
        raise click.UsageError(f"{sources_dir} is not a folder of sources")
    result = build_package(sources_dir, out_dir, schemas_dir, progress=not quiet)
    for doc_id in result.built:
        click.echo(f"ok      {doc_id}")
        for w in result.warnings.get(doc_id, []):
            click.echo(f"        warning: {w}")
    click.echo("\nAccounting checks:")
    for text in result.check_reports.values():
        click.echo(text)
    for doc_id, message in result.failed.items():
        click.echo(f"FAILED  {doc_id}: {message}", err=True)
    for e in result.validation_errors:
        click.echo(f"INVALID {e}", err=True)
    if result.package:
        click.echo(f"published {len(result.built)} documents to {result.package}")
    sys.exit(0 if result.ok else 1)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def report_text(path: Path, extraction: Extraction) -> str:
    """A short human report of what was recognized in one document."""
    lines = [f"# Extraction report: {path.name}", "",
             f"{len(extraction.tables)} standard tables recognized:", "",
             "| table | printed title | page | unit | rows | notes |",
             "|---|---|---|---|---|---|"]
    for t in extraction.tables:
        page = t.page if t.page is not None else "-"
        unit = f"{t.unit or '?'}" + (" (assumed)" if t.unit_source == "assumed" else "")
        rows = f"{t.rows}" + (" (empty table)" if t.empty else "")
        note = (t.notes[-1][:40] + "…") if t.notes else ""
        lines.append(f"| {t.kind} | {t.title} | {page} | {unit} | {rows} | {note} |")
    lines += ["", "Rows per published table:", ""]
    lines += [f"- {name}: {len(rows)}" for name, rows in sorted(extraction.rows.items())]
    if extraction.unplaced:
        lines += ["", "Tables not recognized (please check, or add their titles to "
                      "pipeline/templates.yml):", ""]
        lines += [f"- {u}" for u in extraction.unplaced]
    if extraction.warnings:
        lines += ["", "Needs attention:", ""] + [f"- {w}" for w in extraction.warnings]
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The document's source.yml (gives department code and name).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder for the CSVs and report.md.")
def extract(file: Path, metadata: Path | None, out_dir: Path):
    """Extract one document (PDF or transcript) to CSVs in OUT, with a report.

    For contributors to preview what the pipeline reads before opening a pull request.
    """
    meta = parse_meta(metadata) if metadata else None
    doc_id = metadata.parent.name if metadata else _slug(file.stem)
    try:
        extraction = extract_document(file, doc_id, meta)
    except PipelineError as exc:
        raise click.ClickException(str(exc))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in sorted(extraction.rows.items()):
        names = BY_NAME[name].field_names()
        with open(out_dir / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(names)
            writer.writerows([cell(r.get(n)) for n in names] for r in rows)
    report = report_text(file, extraction)
    (out_dir / "report.md").write_text(report, encoding="utf-8")
    click.echo(report)


@cli.command()
@click.argument("documents", nargs=-1)
@click.option("--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("sources"), show_default=True, help="Folder of document folders.")
def check(documents: tuple[str, ...], sources_dir: Path):
    """Run the accounting checks on DOCUMENTS (ids; default: every source) and report.

    Exits with status 1 if a check fails that source.yml does not acknowledge.
    """
    folders = [sources_dir / d for d in documents] if documents else discover(sources_dir)
    failed = False
    for folder in folders:
        try:
            source = load_source(folder)
            rows = run_checks(source.id, extract_source(source), source.meta.acknowledged)
        except PipelineError as exc:
            click.echo(f"FAILED  {folder.name}: {exc}", err=True)
            failed = True
            continue
        click.echo(check_report(source.id, rows))
        failed = failed or bool(unacknowledged_failures(rows))
    sys.exit(1 if failed else 0)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("schemas"), show_default=True)
def schemas(out_dir: Path):
    """Write the Frictionless Table Schemas of every published table from the registry."""
    write_schemas(out_dir)
    click.echo(f"wrote {len(BY_NAME)} schemas to {out_dir}")


def main():
    cli()
