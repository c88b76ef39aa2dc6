"""Command line: parses arguments, calls the library API (api.py) and prints its results."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
from tqdm import tqdm

from pipeline import api
from pipeline.errors import PipelineError
from pipeline.limits import LIMITS


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
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--timeout", type=click.FloatRange(1), default=LIMITS.seconds, show_default=True,
              help="Seconds allowed to read one document before it is stopped and reported.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".cache/build"), show_default=True,
              help="Cache of per-document results: only changed documents are re-extracted.")
@click.option("--no-cache", is_flag=True, help="Extract every document again.")
@click.option("--scheduler", help='Run extraction on Dask: "local" for a local cluster, or '
              "a scheduler address (tcp://host:8786) to use a real one.")
@click.option("--allow-removal", "allow_removal", metavar="ID", multiple=True,
              help="Publish without document ID although it is in the published package "
                   "and no longer in SOURCES (repeat for several).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--ocr", is_flag=True,
              help="Read every page by OCR, its text layer set aside (pages without one are "
                   "read so anyway, with the OCR extra installed).")
def build(sources_dir: Path, out_dir: Path, schemas_dir: Path, workers: int | None,
          timeout: float, cache_dir: Path, no_cache: bool, scheduler: str | None,
          allow_removal: tuple[str, ...], quiet: bool, ocr: bool):
    """Extract every document in SOURCES and publish the validated data package to OUT.

    A document that fails (bad source.yml, checksum mismatch, unreadable file, no standard
    tables, over a limit, unacknowledged failing checks) is reported and left out; the others
    are still published. If a document published before fails now or is no longer in
    SOURCES (unless --allow-removal names it), or the package does not validate, the old
    package is kept. Exits with status 1 if anything failed.
    """
    if not sources_dir.is_dir():
        raise click.UsageError(f"{sources_dir} is not a folder of sources")
    result = api.build(sources_dir, out_dir, schemas_dir, progress=not quiet,
                           workers=workers, timeout=timeout,
                           cache_dir=None if no_cache else cache_dir, scheduler=scheduler,
                           allow_removal=allow_removal, ocr=ocr)
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
    if result.regressions:
        click.echo(f"REGRESSION: published before, failing now: {', '.join(result.regressions)}. "
                   f"The package in {out_dir} was left as it was.", err=True)
    for doc_id in result.removed:
        click.echo(f"REGRESSION: document {doc_id} is in the published package but no longer "
                   f"in {sources_dir}/. The package in {out_dir} was left as it was; if the "
                   f"document is meant to go, build with --allow-removal {doc_id}.", err=True)
    if result.package:
        click.echo(f"published {len(result.built)} documents to {result.package}")
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The document's source.yml (gives department code and name).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder for the CSVs and report.md.")
@click.option("--ocr", is_flag=True,
              help="Read every page by OCR, its text layer set aside (pages without one are "
                   "read so anyway, with the OCR extra installed).")
def extract(files: tuple[Path, ...], metadata: Path | None, out_dir: Path, ocr: bool):
    """Extract one document (PDF or transcript) to CSVs in OUT, with a report.

    Writes one CSV per published table it gives, document_tables.csv (every standard table
    recognized, with its status: extracted, empty, or not_extracted and the reason) and
    report.md, which lists the tables not read. FILES is the document's file, or all files of a disclosure published as several (the
    narrative 情况说明 and the tables, in reading order): they are read as one document.
    For contributors to preview what the pipeline reads before opening a pull request.
    """
    if len(set(files)) < len(files):
        raise click.UsageError("a file is given twice")
    try:
        _, report = api.extract(list(files), out_dir, metadata, ocr=ocr)
    except PipelineError as exc:
        raise click.ClickException(str(exc))
    click.echo(report)


@cli.command()
@click.argument("documents", nargs=-1)
@click.option("--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("sources"), show_default=True, help="Folder of document folders.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--timeout", type=click.FloatRange(1), default=LIMITS.seconds, show_default=True,
              help="Seconds allowed to read one document before it is stopped and reported.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def check(documents: tuple[str, ...], sources_dir: Path, workers: int | None, timeout: float,
          quiet: bool):
    """Run the accounting checks on DOCUMENTS (ids; default: every source) and report,
    with the tables that could not be read (gaps) and why.

    Exits with status 1 if a check fails that source.yml does not acknowledge, or a table
    is not read and source.yml does not acknowledge the gap (rule tables_read).
    """
    folders = [sources_dir / d for d in documents] if documents else api.discover(sources_dir)
    passed = True
    for outcome in tqdm(api.check(folders, workers, timeout), total=len(folders),
                        desc="checking", unit="doc",
                        disable=quiet or len(folders) < 2 or not sys.stderr.isatty()):
        text, ok = api.check_text(outcome)
        tqdm.write(text, file=sys.stdout if outcome.source else sys.stderr)
        passed = passed and ok
    sys.exit(0 if passed else 1)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--sources", "sources_dir", type=click.Path(exists=True, file_okay=False,
                                                          path_type=Path),
              help="Measure every folder of this sources directory (the default, sources/, "
                   "when no PATHS are given).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--markdown", is_flag=True,
              help="A markdown table, for notes and pull-request reports.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--timeout", type=click.FloatRange(1), default=LIMITS.seconds, show_default=True,
              help="Seconds allowed to read one document before it is stopped and reported.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def corpus(paths: tuple[Path, ...], sources_dir: Path | None, as_json: bool, markdown: bool,
           workers: int | None, timeout: float, quiet: bool):
    """How well a corpus reads: per document, the standard tables it prints, delivered (read,
    or printed empty) and failed (with each one's title, page and reason), the accounting
    checks passed / failed / acknowledged, pages and seconds per page; then the total.

    PATHS are sources/ folders (read with their source.yml, as the build reads them), loose
    PDF or transcript files (no metadata, nothing acknowledged), or folders holding either.
    Tables printed are counted from the document's table of contents (目录) where it prints
    one (less the entries whose title it never prints, plus the tables recognized that it
    does not list; both are named), otherwise from the tables recognized plus the unplaced
    titled grids; the output says which ("contents" or "titles").
    """
    if as_json and markdown:
        raise click.UsageError("give --json or --markdown, not both")
    if not paths and sources_dir is None:
        sources_dir = Path("sources")
        if not sources_dir.is_dir():
            raise click.UsageError("no sources/ here: give PATHS or --sources DIR")
    jobs = api.documents_in(paths, sources_dir)
    if not jobs:
        raise click.UsageError("no documents found in the paths given")
    show = not quiet and len(jobs) > 1 and sys.stderr.isatty()
    figures = api.measure_corpus(
        jobs, workers, timeout,
        progress=lambda it: tqdm(it, total=len(jobs), desc="reading", unit="doc", disable=not show))
    report = api.json_report if as_json else api.markdown_report if markdown else api.text_report
    click.echo(report(figures), nl=False)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "document_id", help="Document id (folder name); default: "
              "<division code>-<year>-<kind>-<first 8 of sha256>.")
@click.option("--sources", "sources_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("sources"), show_default=True)
def add(file: Path, document_id: str | None, sources_dir: Path):
    """Add a disclosure: copy FILE into sources/<id>/ with a scaffolded source.yml.

    Reads the department, year, kind and division from the document itself, marks what you
    must fill in with TODO, runs the extraction and prints what was recognized.
    """
    try:
        folder, extraction = api.add_document(file, sources_dir, document_id)
    except PipelineError as exc:
        raise click.ClickException(str(exc))
    click.echo(api.extraction_report(file, extraction))
    click.echo(f"Created {folder}/. Next: fill in the TODO fields of {folder / 'source.yml'}, "
               f"then run: {_invocation()} check {folder.name}, and scripts/review-contribution")


def _invocation() -> str:
    """How to run this command line again from here: `python -m pipeline` in the active
    virtual environment, else the path of the interpreter that runs it (`.venv/bin/python`)."""
    if Path(sys.argv[0]).name == "budget-pipeline":  # the installed script
        return "budget-pipeline" if shutil.which("budget-pipeline") else sys.argv[0]
    if os.environ.get("VIRTUAL_ENV") and Path(os.environ["VIRTUAL_ENV"]) == Path(sys.prefix):
        return "python -m pipeline"
    python = Path(sys.executable)
    return f"{Path(os.path.relpath(python)) if python.is_relative_to(Path.cwd()) else python} -m pipeline"


@cli.command()
@click.argument("old", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--next-version", is_flag=True,
              help="Print only the version to release NEW as (nothing if nothing changed).")
def diff(old: Path, new: Path, next_version: bool):
    """Compare two data packages (folders with datapackage.json): documents added or removed,
    schema changes, rows added, removed or changed per table, with the changed values.

    With --next-version, print the version NEW is released as: OLD's version with the major
    part bumped for a schema change that breaks users (a table or field removed or renamed,
    a type or primary key changed), the minor part for documents, tables or fields added,
    the patch part for any other change; or NEW's own version if that is higher."""
    d = api.diff_packages(old, new)
    if next_version:
        click.echo(d.next_version() or "")
    else:
        click.echo(api.diff_markdown(d))


@cli.command()
@click.option("--package", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("datapackage"), show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dist"), show_default=True)
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite database to include (e.g. site/budgets.db).")
@click.option("--previous", type=click.Path(file_okay=False, path_type=Path),
              help="The previous release's data package, for the release notes.")
def release(package: Path, out_dir: Path, database: Path | None, previous: Path | None):
    """Assemble the files to upload as a release: datapackage.zip (CSVs, datapackage.json),
    parquet.zip (every table), the SQLite database, RELEASE_NOTES.md (the diff against
    PREVIOUS) and SHA256SUMS of them all. Byte-identical when rebuilt from the same package."""
    out = api.build_release(package, out_dir, database, previous)
    click.echo(f"release files in {out}")


@cli.command()
@click.option("--base", default="origin/main", show_default=True,
              help="Git ref the contribution is compared with.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the markdown report to this file.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="The checkout to review (CI reviews a pull request's checkout with the "
                   "base branch's code).")
def review(base: str, report_file: Path | None, root: Path):
    """Review a contribution the way the pull-request workflow does: only sources/ may
    change; the changed documents are built, validated, checked and diffed."""
    root = root.resolve()
    result = api.review(root, api.changed_files(base, root), Path("datapackage").resolve())
    click.echo(result.report)
    if report_file:
        report_file.write_text(result.report, encoding="utf-8")
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("schemas"), show_default=True)
def schemas(out_dir: Path):
    """Write the Frictionless Table Schemas of every published table from the registry."""
    names = api.write_schemas(out_dir)
    click.echo(f"wrote {len(names)} schemas to {out_dir}")


def main():
    cli()


# --------------------------------------------------------------------------------------
# The Datasette site (pipeline/publish/site/, site/README.md)

def _site_build(package_dir: Path, out_dir: Path, repository: str | None):
    try:
        result = api.build_site(package_dir, out_dir, repository)
    except api.SiteError as exc:
        raise click.ClickException(str(exc))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = sum(result.tables.values())
    click.echo(f"built {result.database} ({len(result.tables)} tables, {rows:,} rows) "
               f"and {result.metadata}")
    return result


_PACKAGE_OPTION = click.option(
    "--package", "package_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("datapackage"), show_default=True, help="The data package to build from.")
_SITE_OPTION = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"), show_default=True,
    help="Where the database (budgets.db) and metadata.json are written.")
_REPOSITORY_OPTION = click.option(
    "--repository-url", "repository", default=None,
    help="Link to the project repository (default: site.yml, $GITHUB_REPOSITORY, git remote).")


@cli.command("site")
@_PACKAGE_OPTION
@_SITE_OPTION
@_REPOSITORY_OPTION
def site_command(package_dir: Path, out_dir: Path, repository: str | None):
    """Build the Datasette site's database and metadata from the data package.

    Writes OUT/budgets.db (tables with their schema types and keys, departments, indexes,
    Chinese full-text search, views) and OUT/metadata.json (descriptions from the registry,
    facets, canned queries). Fails if any table or column lacks a description.
    """
    _site_build(package_dir, out_dir, repository)


def _site_files(package_dir: Path, out_dir: Path, rebuild: bool, repository: str | None):
    db = out_dir / f"{api.site_config()['database']}.db"
    metadata = out_dir / "metadata.json"
    if rebuild or not (db.is_file() and metadata.is_file()):
        if not rebuild:
            click.echo(f"{db} or {metadata} missing: building the site first")
        _site_build(package_dir, out_dir, repository)
    return db, metadata


@cli.command()
@_PACKAGE_OPTION
@_SITE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("-o", "--open", "open_browser", is_flag=True, help="Open it in a web browser.")
@click.option("--rebuild", is_flag=True, help="Rebuild the site from the package first.")
def serve(package_dir: Path, out_dir: Path, host: str, port: int, open_browser: bool,
          rebuild: bool):
    """Serve the site locally with Datasette (database immutable, i.e. read-only, with the
    SQL time limit of site/site.yml). Builds the site first if it is missing."""
    from datasette.cli import cli as datasette

    db, metadata = _site_files(package_dir, out_dir, rebuild, None)
    args = api.serve_args(db, metadata, package_dir.resolve(), host, port)
    if open_browser:
        args.append("--open")
    datasette.main(args=args, prog_name="datasette")


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("target", default="package")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
@_PACKAGE_OPTION
@_SITE_OPTION
@_REPOSITORY_OPTION
@click.option("--dry-run", is_flag=True, help="Print the datasette command, run nothing.")
def publish(target: str, extra: tuple[str, ...], package_dir: Path, out_dir: Path,
            repository: str | None, dry_run: bool):
    """Build a deployable image of the site, or publish it.

    TARGET `package` (default) runs `datasette package`: a Docker image serving the
    database immutable with the site's metadata, plugin, templates, downloads and settings,
    on the pinned Datasette. Any other TARGET runs `datasette publish TARGET` (cloudrun,
    heroku, or a provider plugin such as fly). EXTRA arguments go to datasette, e.g.
    `python -m pipeline publish package --tag budgets-site` or
    `python -m pipeline publish cloudrun --service budgets`. Rebuilds the site first.
    """
    import shlex

    if not api.repository_url(repository, api.site_config()):
        click.echo("warning: no repository URL (site.yml repository_url, --repository-url or "
                   "a git remote): the published site links to the data package only", err=True)
    if dry_run:
        db, metadata = _site_files(package_dir, out_dir, False, repository)
    else:
        db, metadata = _site_files(package_dir, out_dir, True, repository)
    args = api.publish_args(target, db, metadata, package_dir.resolve(), extra)
    click.echo("datasette " + " ".join(shlex.quote(a) for a in args))
    if dry_run:
        return
    from datasette.cli import cli as datasette

    datasette.main(args=args, prog_name="datasette")
