"""Assemble a release: the data package's CSVs and datapackage.json, Parquet files of every
table, the SQLite database when built, release notes (the diff against the previous
release) and SHA256SUMS. Rebuilding a tagged version gives byte-identical files."""
from __future__ import annotations

import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .diff import diff_markdown, diff_packages

DECIMAL = pa.decimal128(38, 6)  # exact: amounts are decimals, never floats
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": DECIMAL,
               "boolean": pa.bool_()}


def to_parquet(csv_path: Path, schema: dict, out: Path) -> None:
    """One table as Parquet with the column types of its Table Schema."""
    fields = [(f["name"], ARROW_TYPES.get(f["type"], pa.string())) for f in schema["fields"]]
    options = pacsv.ConvertOptions(
        column_types={n: (pa.string() if t == DECIMAL else t) for n, t in fields},
        strings_can_be_null=True, null_values=[""], true_values=["true"], false_values=["false"])
    table = pacsv.read_csv(csv_path, convert_options=options)
    columns = []
    for name, arrow_type in fields:
        column = table.column(name)
        if arrow_type == DECIMAL:
            column = pa.array([None if v is None else Decimal(v) for v in column.to_pylist()],
                              type=DECIMAL)
        columns.append(column)
    pq.write_table(pa.Table.from_arrays(columns, schema=pa.schema(fields)), out,
                   compression="zstd", write_statistics=True)


def build_release(package: Path, out: Path, database: Path | None = None,
                  previous: Path | None = None) -> Path:
    """Write the release files for `package` into `out` (replaced if it exists)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(package, out / "datapackage")
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    (out / "parquet").mkdir()
    for resource in descriptor["resources"]:
        to_parquet(package / resource["path"], resource["schema"],
                   out / "parquet" / f"{resource['name']}.parquet")
    if database is not None and database.exists():
        shutil.copyfile(database, out / database.name)
    notes = [f"# {descriptor['title']} {descriptor['version']}", ""]
    if previous is not None and (previous / "datapackage.json").exists():
        notes.append(diff_markdown(diff_packages(previous, package)))
    else:
        notes.append("First release.")
    (out / "RELEASE_NOTES.md").write_text("\n".join(notes) + "\n", encoding="utf-8")
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}"
            for p in sorted(out.rglob("*")) if p.is_file()]
    (out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return out
