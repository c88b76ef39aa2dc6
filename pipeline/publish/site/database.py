"""The site database: every table of the data package with the types and keys of its Table
Schema, `departments` and `department_names` (with their provinces and cities), the views
of views.yml, indexes and the Chinese full-text indexes (`build_database`).

Primary-key columns are NOT NULL in SQL (as a primary key should be), so a key column the
document left blank (e.g. `unit_code` of a total line) holds '' here where the CSV is
empty; every other blank cell is NULL.
"""
from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
from pathlib import Path

import sqlite_utils

from pipeline.metadata.divisions import Division, read_divisions, region
from pipeline.metadata.registry import BY_NAME, PublishedTable
from pipeline.publish.site.config import SiteError, register_functions

# A number column is declared NUMERIC (created as REAL, then renamed in the SQL, which
# sqlite-utils cannot declare): SQLite stores a whole value as an integer and one with a
# fraction as a real, so an amount of 460510100 yuan is 460510100 in the JSON, not
# 460510100.0, and sums of whole amounts stay exact.
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER",
             "year": "INTEGER", "date": "TEXT", "datetime": "TEXT"}
TRUE_VALUES = {"true", "True", "TRUE", "1"}


def read_descriptor(package_dir: Path) -> dict:
    path = package_dir / "datapackage.json"
    if not path.is_file():
        raise SiteError(f"{path} not found: build the data package first "
                        f"(python -m pipeline build)")
    return json.loads(path.read_text(encoding="utf-8"))


def registry_table(resource: dict) -> PublishedTable:
    table = BY_NAME.get(resource["name"])
    if table is None:
        raise SiteError(f"table {resource['name']!r} of the package is not in "
                        f"pipeline/metadata/registry.py: it has no description")
    names = [f["name"] for f in resource["schema"]["fields"]]
    if names != table.field_names():
        raise SiteError(f"{resource['name']}: the package's fields {names} differ from the "
                        f"registry's {table.field_names()} (rebuild the package)")
    return table


def _converter(field: dict, key: bool):
    kind = field.get("type", "string")
    if kind in ("integer", "year"):
        return lambda v: int(v) if v != "" else None
    if kind == "number":
        return lambda v: float(v) if v != "" else None
    if kind == "boolean":
        return lambda v: (1 if v in TRUE_VALUES else 0) if v != "" else None
    if key:
        return lambda v: v
    return lambda v: v if v != "" else None


def _read_rows(package_dir: Path, resource: dict):
    """The resource's rows with typed values, streamed (memory does not grow with it)."""
    schema = resource["schema"]
    keys = set(schema.get("primaryKey", []))
    convert = {f["name"]: _converter(f, f["name"] in keys) for f in schema["fields"]}
    with open(package_dir / resource["path"], encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != list(convert):
            raise SiteError(f"{resource['path']}: header {reader.fieldnames} does not match "
                            f"its schema")
        for line, row in enumerate(reader, start=2):
            try:
                yield {k: convert[k](v) for k, v in row.items()}
            except ValueError as exc:
                raise SiteError(f"{resource['path']} line {line}: {exc}") from exc


def _create_table(db: sqlite_utils.Database, resource: dict) -> None:
    schema = resource["schema"]
    pk = schema.get("primaryKey", [])
    columns = {}
    for f in schema["fields"]:
        columns[f["name"]] = SQL_TYPES.get(f.get("type", "string"), "TEXT")
        if f["name"] in pk and columns[f["name"]] != "TEXT" and \
                not f.get("constraints", {}).get("required"):
            raise SiteError(f"{resource['name']}.{f['name']}: a primary-key column that may "
                            f"be blank must be a string")
    not_null = set(pk) | {f["name"] for f in schema["fields"]
                          if f.get("constraints", {}).get("required")}
    foreign_keys = []
    for fk in schema.get("foreignKeys", []):
        (own,), (ref,) = fk["fields"], fk["reference"]["fields"]
        foreign_keys.append((own, fk["reference"]["resource"] or resource["name"], ref))
    sql = db.create_table_sql(resource["name"], columns,
                              pk=tuple(pk) if len(pk) > 1 else pk[0],
                              not_null=not_null, foreign_keys=foreign_keys)
    for f in schema["fields"]:  # numbers: NUMERIC affinity (see SQL_TYPES)
        if f.get("type") == "number":
            sql, n = re.subn(rf'^(\s*"{re.escape(f["name"])}") REAL', r"\1 NUMERIC", sql,
                             flags=re.M)
            if n != 1:
                raise SiteError(f"{resource['name']}.{f['name']}: cannot declare it NUMERIC")
    db.execute(sql)


def site_divisions(path: Path | None) -> dict[str, Division]:
    """The GB/T 2260 table naming the departments' provinces and cities; empty if there is
    no such file (names then come from the documents' division_name)."""
    if path is None or not Path(path).is_file():
        return {}
    try:
        return read_divisions(path)
    except ValueError as exc:
        raise SiteError(str(exc)) from None


def _departments(documents: list[dict], divisions: dict[str, Division] | None = None
                 ) -> tuple[list[dict], list[dict]]:
    """departments and department_names from the documents (department_id filled in)."""
    by_id: dict[str, list[dict]] = {}
    for d in documents:
        by_id.setdefault(d["department_id"], []).append(d)
    departments, names = [], []
    for dep_id, docs in sorted(by_id.items()):
        docs = sorted(docs, key=lambda d: (d["fiscal_year"], d["document_id"]))
        latest = docs[-1]
        seen: dict[str, list[int]] = {}
        for d in docs:
            seen.setdefault(d["department_name"], []).append(d["fiscal_year"])
        ordered = sorted(seen, key=lambda n: max(seen[n]), reverse=True)
        departments.append({
            "department_id": dep_id, "department_name": latest["department_name"],
            "names": " / ".join(ordered), "division_code": latest["division_code"],
            "division_name": latest["division_name"],
            **region(latest["division_code"], latest["division_name"], divisions or {}),
            "first_year": docs[0]["fiscal_year"],
            "last_year": latest["fiscal_year"], "documents": len(docs),
            "years": " ".join(str(y) for y in sorted({d["fiscal_year"] for d in docs}))})
        names += [{"department_id": dep_id, "department_name": n, "first_year": min(seen[n]),
                   "last_year": max(seen[n])} for n in ordered]
    return departments, names


def _order(resources: list[dict]) -> list[dict]:
    """Referenced tables first."""
    done: list[str] = []
    by_name = {r["name"]: r for r in resources}

    def visit(name: str, path: tuple = ()):
        if name in done or name in path or name not in by_name:
            return
        for fk in by_name[name]["schema"].get("foreignKeys", []):
            visit(fk["reference"]["resource"] or name, path + (name,))
        done.append(name)

    for r in resources:
        visit(r["name"])
    return [by_name[n] for n in done]


def build_database(package_dir: Path, db_path: Path, config: dict,
                   divisions: dict[str, Division] | None = None) -> dict[str, int]:
    """Write the site database to `db_path` (atomically); returns rows per table.
    `divisions` (code -> name, GB/T 2260) names the departments' provinces and cities."""
    descriptor = read_descriptor(package_dir)
    resources = descriptor["resources"]
    for resource in resources:
        registry_table(resource)
    if "documents" not in {r["name"] for r in resources}:
        raise SiteError("the package has no documents table")
    tmp = db_path.with_name(db_path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(tmp)
    counts: dict[str, int] = {}
    try:
        by_name = {r["name"]: r for r in resources}
        documents = list(_read_rows(package_dir, by_name["documents"]))
        for d in documents:
            if not d["department_id"]:  # no department code: division code + name
                d["department_id"] = f"{d['division_code']}-{d['department_name']}"
        departments, names = _departments(documents, divisions)
        derived = config.get("derived_tables", {})
        db["departments"].create(
            {"department_id": "TEXT", "department_name": "TEXT", "names": "TEXT",
             "division_code": "TEXT", "division_name": "TEXT", "province_code": "TEXT",
             "province_name": "TEXT", "city_code": "TEXT", "city_name": "TEXT",
             "first_year": "INTEGER", "last_year": "INTEGER", "documents": "INTEGER",
             "years": "TEXT"},
            pk="department_id", not_null={"department_id", "department_name"})
        db["department_names"].create(
            {"department_id": "TEXT", "department_name": "TEXT", "first_year": "INTEGER",
             "last_year": "INTEGER"}, pk=("department_id", "department_name"),
            not_null={"department_id", "department_name"},
            foreign_keys=[("department_id", "departments", "department_id")])
        for resource in _order(resources):
            _create_table(db, resource)
        db["documents"].add_foreign_key("department_id", "departments", "department_id")
        db["departments"].insert_all(departments)
        db["department_names"].insert_all(names)
        for name in derived:
            if name not in ("departments", "department_names"):
                raise SiteError(f"site.yml derived_tables: {name} is not built by the site")
        with db.conn:
            for resource in _order(resources):
                rows = (documents if resource["name"] == "documents"
                        else _read_rows(package_dir, resource))
                db[resource["name"]].insert_all(rows, batch_size=500)
        for name in list(by_name) + ["departments", "department_names"]:
            counts[name] = db[name].count
        _check_foreign_keys(db)
        _create_views(db, config.get("views") or {})
        for table, indexes in (config.get("indexes") or {}).items():
            for columns in indexes:
                db[table].create_index(columns, if_not_exists=True)
        _build_fts(db, config.get("fts") or {})
        _check_queries(db, config.get("queries") or {})
        db.analyze()
        db.conn.commit()
        db.vacuum()
        db.close()
        os.replace(tmp, db_path)
    except BaseException:
        db.close()
        if tmp.exists():
            tmp.unlink()
        raise
    return counts


def view_amounts(view: dict, columns) -> set[str]:
    """The columns of a view (views.yml) holding yuan: those its `amounts` lists, and those
    it shows unchanged from the first table of its `inherit` that has them, where they are
    amounts there (a column the view describes itself is its own)."""
    own = view.get("columns") or {}
    inherit = [BY_NAME[t] for t in view.get("inherit", [])]
    amounts = set(view.get("amounts") or [])
    for column in columns:
        source = next((t for t in inherit if column in t.field_names()), None)
        if column not in own and source is not None and column in source.amount_fields():
            amounts.add(column)
    return amounts


def _create_views(db: sqlite_utils.Database, views: dict) -> None:
    """The views of views.yml, in order; a view marked `materialize` is stored as a table
    (the database is immutable once built), so the queries over every document need not
    recompute it on each request."""
    for name, view in views.items():
        if view.get("materialize"):
            _materialize(db, name, view)
        else:
            db.create_view(name, view["sql"])


def _materialize(db: sqlite_utils.Database, name: str, view: dict) -> None:
    """The view stored as a table, its rows in the view's order, with the declared types of
    the columns it shows, and its amounts exact: an amount column is NUMERIC and rounded to
    the fen, so a sum of amounts with fen is the decimal sum (not 0.30000000000000004) and a
    whole one an integer (460510100, not 460510100.0), in the JSON too."""
    db.execute(f'create temp view "materialize_{name}" as {view["sql"]}')
    info = db.execute(f'pragma temp.table_info("materialize_{name}")').fetchall()
    db.execute(f'drop view temp."materialize_{name}"')
    amounts = view_amounts(view, [column[1] for column in info])
    declared = ", ".join(f'"{c}" {"NUMERIC" if c in amounts else kind}'.rstrip()
                         for _, c, kind, *_ in info)
    db.execute(f'create table "{name}" ({declared})')
    with db.conn:
        db.execute(f'insert into "{name}" {view["sql"]}')
        for column in sorted(amounts):
            db.execute(f'update "{name}" set "{column}" = round("{column}", 2) '
                       f'where typeof("{column}") = \'real\'')


def _check_foreign_keys(db: sqlite_utils.Database) -> None:
    """Every non-blank foreign-key value must exist in the table it refers to."""
    problems = []
    for table in db.tables:
        for fk in table.foreign_keys:
            missing = db.execute(
                f'select distinct "{fk.column}" from "{table.name}" where "{fk.column}" != \'\''
                f' and "{fk.column}" not in (select "{fk.other_column}" from "{fk.other_table}")'
            ).fetchall()
            if missing:
                problems.append(f"{table.name}.{fk.column} -> {fk.other_table}: "
                                f"{', '.join(str(m[0]) for m in missing[:5])}")
    if problems:
        raise SiteError("foreign keys without a row to refer to: " + "; ".join(problems))


def _build_fts(db: sqlite_utils.Database, fts: dict) -> None:
    """One FTS5 index per table, filled by SQLite itself (cjk_terms segments each value),
    so no table is held in memory."""
    register_functions(db.conn)
    for table, columns in fts.items():
        name = f"{table}_fts"
        cols = ", ".join(f'"{c}"' for c in columns)
        terms = ", ".join(f'cjk_terms("{c}")' for c in columns)
        db.execute(f'create virtual table "{name}" using fts5({cols}, '
                   f"tokenize = 'unicode61')")
        with db.conn:
            db.execute(f'insert into "{name}" (rowid, {cols}) select rowid, {terms} from "{table}"')
            db.execute(f"insert into \"{name}\" (\"{name}\") values ('optimize')")


def _check_queries(db: sqlite_utils.Database, queries: dict) -> None:
    problems = []
    for name, query in queries.items():
        params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
        params.update(query.get("example") or {})
        try:
            db.execute(query["sql"], params).fetchall()
        except sqlite3.Error as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise SiteError("canned queries fail: " + "; ".join(problems))
