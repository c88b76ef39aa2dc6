"""Assemble a release: datapackage.zip (the CSVs, datapackage.json and README), parquet.zip
(every table as Parquet), the SQLite database when built, release notes (the diff against
the previous release) and SHA256SUMS of every other file. The archives have sorted entries
with fixed dates and modes, so rebuilding a tagged version gives byte-identical files."""
from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline.publish.diff import diff_markdown, diff_packages
from pipeline.sources import sha256_of

DECIMAL = pa.decimal128(38, 6)  # exact: amounts are decimals, never floats
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": DECIMAL,
               "boolean": pa.bool_()}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks in
SUMS = "SHA256SUMS"


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


def write_zip(folder: Path, archive: Path, prefix: str) -> None:
    """Every file under `folder` into `archive` as `prefix/<relative path>`: entries sorted,
    dated ZIP_DATE, mode 644, made on "Unix" whatever the platform, so equal files give an
    equal archive."""
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w") as z:
        for name, path in files:
            info = zipfile.ZipInfo(f"{prefix}/{name}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.file_size = path.stat().st_size  # lets zipfile choose ZIP64 for big files
            with path.open("rb") as src, z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst)


def build_release(package: Path, out: Path, database: Path | None = None,
                  previous: Path | None = None) -> Path:
    """Write the release files for `package` into `out` (replaced if it exists): exactly the
    files to upload, SHA256SUMS covering all the others."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_zip(package, out / "datapackage.zip", "datapackage")
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for resource in descriptor["resources"]:
            to_parquet(package / resource["path"], resource["schema"],
                       Path(tmp) / f"{resource['name']}.parquet")
        write_zip(Path(tmp), out / "parquet.zip", "parquet")
    if database is not None and database.exists():
        shutil.copyfile(database, out / database.name)
    notes = [f"# {descriptor['title']} {descriptor['version']}", ""]
    if previous is not None and (previous / "datapackage.json").exists():
        notes.append(diff_markdown(diff_packages(previous, package)))
    else:
        notes.append("First release.")
    (out / "RELEASE_NOTES.md").write_text("\n".join(notes) + "\n", encoding="utf-8")
    sums = [f"{sha256_of(p)}  {p.name}" for p in sorted(out.iterdir()) if p.name != SUMS]
    (out / SUMS).write_text("\n".join(sums) + "\n", encoding="utf-8")
    return out
