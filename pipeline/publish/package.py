"""Write the data package: one CSV per published table plus datapackage.json and its
data dictionary (validation is validate.py's, the dictionary dictionary.py's).

Rows are written as each document is done (`PackageWriter.add`), so memory does not grow
with the corpus; the classification tables are gathered on the way (metadata/
classifications.py). Every primary key starts with the document id (or belongs to a table
written in one piece), so the writer checks key uniqueness one document at a time and
frictionless validates the rest in a stream, one resource per process. Output is
deterministic: same sources, byte-identical files. The package is written to a temporary
folder and swapped in only when complete, so a failed build leaves the old one intact.
"""
from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import yaml

from pipeline.check.engine import rule_rows
from pipeline.extract import Extraction
from pipeline.metadata.classifications import Classifications
from pipeline.publish.dictionary import data_dictionary
from pipeline.metadata.registry import BY_NAME, TABLES, PublishedTable
from pipeline.sources import Source, sha256_of
from pipeline.values import format_decimal

PACKAGE_META = Path(__file__).with_name("package.yml")
DATA_DIR = "data"


def csv_value(value) -> str:
    """A value as the package's CSVs write it: blank for none, true/false, exact decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def csv_row(table: PublishedTable, row: dict) -> list[str]:
    """A row's cells in the order of its table's fields."""
    return [csv_value(row.get(n)) for n in table.field_names()]


def write_table(path: Path, table: PublishedTable, rows: list[dict]) -> None:
    """One published table's rows as a CSV of its own, written as the package writes it."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(table.field_names())
        writer.writerows(csv_row(table, r) for r in rows)


def write_schemas(folder: Path) -> list[str]:
    """schemas/<table>.json for every published table, from the registry; their names."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        (folder / f"{table.name}.json").write_text(
            json.dumps(table.schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [table.name for table in TABLES]


def document_row(source: Source, extraction: Extraction) -> dict:
    m = source.meta
    return {
        "document_id": source.id, "title": m.title, "department_name": m.department.name,
        "department_code": m.department.code,
        "department_id": f"{m.division.code}-{m.department.code}" if m.department.code else None,
        "division_name": m.division.name, "division_code": m.division.code,
        "fiscal_year": m.fiscal_year, "kind": m.kind, "consolidated": m.consolidated,
        "level": m.level,
        "source_url": m.published.url, "retrieved_from": m.retrieved_from,
        "published_date": m.published.date,
        "source_format": m.format, "source_file": m.file_names,  # several files: "a; b"
        "sha256": "; ".join(f.sha256 for f in m.file_list),
        "licence": m.licence, "pages": extraction.pages,
        "tables_found": sum(t.read for t in extraction.tables),
    }


def table_rows(document_id: str, extraction: Extraction) -> list[dict]:
    return [{"document_id": document_id, "table_kind": t.kind, "resource": t.resource,
             "source_table": t.title, "source_page": t.page, "pages": t.parts,
             "source_unit": t.unit, "unit_source": t.unit_source or None, "rows": t.rows,
             "empty": t.empty, "notes": "\n".join(t.notes) or None,
             "status": t.status, "reason": t.reason, "reader": t.reader}
            for t in extraction.tables]


class PackageWriter:
    """Streams rows into CSVs under a temporary folder; `finish` writes datapackage.json and
    swaps the folder in."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.tmp = out_dir.with_name(out_dir.name + ".tmp")
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        (self.tmp / DATA_DIR).mkdir(parents=True)
        self.files = {}
        self.writers = {}
        for table in TABLES:
            f = open(self.tmp / DATA_DIR / f"{table.name}.csv", "w", encoding="utf-8", newline="")
            w = csv.writer(f, lineterminator="\n")
            w.writerow(table.field_names())
            self.files[table.name], self.writers[table.name] = f, w
        self.classes = Classifications()
        self.sources: list[dict] = []
        self.document_ids: set[str] = set()
        self.key_errors: list[str] = []

    def _write(self, table: PublishedTable, rows: list[dict]) -> None:
        """Write rows that are all of one document (or the whole table), checking that no
        two share a primary key: with document ids unique, that makes keys unique."""
        names = table.field_names()
        positions = [names.index(k) for k in table.primary_key]
        writer = self.writers[table.name]
        keys: set[tuple] = set()
        for row in rows:
            cells = csv_row(table, row)
            key = tuple(cells[i] for i in positions)
            if key in keys:
                self.key_errors.append(f"{table.name}: two rows with the primary key "
                                       f"{dict(zip(table.primary_key, key))}")
            keys.add(key)
            writer.writerow(cells)

    def add(self, source: Source, extraction: Extraction, checks: list[dict]) -> None:
        """Append one document's rows and check results (call in document_id order)."""
        if source.id in self.document_ids:
            self.key_errors.append(f"documents: document {source.id} added twice")
        self.document_ids.add(source.id)
        self._write(BY_NAME["documents"], [document_row(source, extraction)])
        self._write(BY_NAME["checks"], checks)
        self._write(BY_NAME["document_tables"], table_rows(source.id, extraction))
        for resource in sorted(extraction.rows):
            rows = extraction.rows[resource]
            for row in rows:
                self.classes.see(resource, row)
            self._write(BY_NAME[resource], rows)
        m = source.meta
        several = len(m.file_list) > 1  # a disclosure in several files: a source per file
        for f in m.file_list:
            self.sources.append({
                "title": f"{m.title} ({source.id}{': ' + f.file if several else ''})",
                "path": m.published.url or f"sources/{source.id}/{f.file}"})

    def finish(self) -> Path:
        self._write(BY_NAME["check_rules"], rule_rows())
        self._write(BY_NAME["function_classes"], self.classes.rows("function"))
        self._write(BY_NAME["economic_classes"], self.classes.rows("economic"))
        for f in self.files.values():
            f.close()
        descriptor = package_descriptor(self.tmp, self.sources)
        (self.tmp / "datapackage.json").write_text(
            json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (self.tmp / "README.md").write_text(data_dictionary(package_meta()), encoding="utf-8")
        return self.tmp

    def publish(self) -> Path:
        """Replace the published folder with the finished one. The two renames are not one
        step: a crash between them leaves only <out>.old, which `recover` puts back."""
        old = self.out_dir.with_name(self.out_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if self.out_dir.exists():
            self.out_dir.rename(old)
        self.tmp.rename(self.out_dir)
        if old.exists():
            shutil.rmtree(old)
        return self.out_dir

    def abandon(self) -> None:
        for f in self.files.values():
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def recover(out_dir: Path) -> None:
    """Put the published package back if a publish stopped after moving it to <out>.old."""
    old = out_dir.with_name(out_dir.name + ".old")
    if old.is_dir() and not out_dir.exists():
        old.rename(out_dir)


def package_meta() -> dict:
    return yaml.safe_load(PACKAGE_META.read_text(encoding="utf-8"))


def package_descriptor(folder: Path, sources: list[dict]) -> dict:
    meta = package_meta()
    resources = []
    for table in TABLES:
        path = folder / DATA_DIR / f"{table.name}.csv"
        resources.append({
            "name": table.name, "path": f"{DATA_DIR}/{table.name}.csv",
            "profile": "tabular-data-resource", "title": table.title,
            "description": table.description, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "bytes": path.stat().st_size,
            "hash": "sha256:" + sha256_of(path),
            "schema": table.schema(),
        })
    descriptor = {"profile": "tabular-data-package"}
    descriptor.update({k: meta[k] for k in ("name", "title", "description", "version",
                                            "homepage", "keywords") if meta.get(k)})
    descriptor.update({"licenses": meta["licenses"], "contributors": meta["contributors"],
                       "sources": sources, "resources": resources})
    return descriptor
