"""The Datasette site: the data package as one SQLite database, with metadata, canned
queries, Chinese full-text search and charts.

`build_site` reads `datapackage/` (CSV + datapackage.json) and writes, with sqlite-utils:

- `site/budgets.db`: every published table with the column types, primary keys and foreign
  keys of its Table Schema; `departments` and `department_names` (one stable id per
  department across years and renames); indexes for the columns the views and queries
  filter and join on; FTS5 indexes of project, indicator and department names whose text is
  pre-segmented into character bigrams so that Chinese substrings are found; and the views
  of `site/views.yml` (those marked `materialize` stored as tables).
- `site/metadata.json`: Datasette metadata generated from `pipeline/registry.py` (the same
  registry the schemas come from) plus `site/site.yml` and the canned queries of
  `site/queries.yml`. The build fails if any table, view or column lacks a description.

`serve_args`, `publish_args` and `make_datasette` give Datasette the same options whether it
runs here (`python -m pipeline serve`), in the tests, or in a published image.

Primary-key columns are NOT NULL in SQL (as a primary key should be), so a key column the
document left blank (e.g. `unit_code` of a total line) holds '' here where the CSV is
empty; every other blank cell is NULL.
"""
from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
import yaml

from pipeline.metadata.registry import BY_NAME, Table

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = ROOT / "site"
PACKAGE_DIR = ROOT / "datapackage"
PLUGINS_DIR = SITE_DIR / "plugins"
TEMPLATES_DIR = SITE_DIR / "templates"
STATIC_DIR = SITE_DIR / "static"
PLUGIN_NAME = "budget-site"
# GB/T 2260 divisions (code,name,level,parent_code): the names of the provinces and cities
# the site groups departments by.
DIVISIONS_CSV = ROOT / "pipeline" / "reference" / "divisions.csv"

# A number column is declared NUMERIC (created as REAL, then renamed in the SQL, which
# sqlite-utils cannot declare): SQLite stores a whole value as an integer and one with a
# fraction as a real, so an amount of 460510100 yuan is 460510100 in the JSON, not
# 460510100.0, and sums of whole amounts stay exact.
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER",
             "year": "INTEGER", "date": "TEXT", "datetime": "TEXT"}
TRUE_VALUES = {"true", "True", "TRUE", "1"}
FTS_SHADOW = re.compile(r"_(data|idx|content|docsize|config)$")  # FTS5's own tables


class SiteError(Exception):
    """The site cannot be built as configured (reported without a traceback)."""


@dataclass
class SiteBuild:
    database: Path
    metadata: Path
    tables: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def site_config(site_dir: Path = SITE_DIR) -> dict:
    config = _yaml(site_dir / "site.yml")
    config["views"] = _yaml(site_dir / "views.yml")
    config["queries"] = _yaml(site_dir / "queries.yml")
    return config


def plugin_module():
    """The site plugin (site/plugins/budget_site.py): its tokenizer segments the index."""
    path = PLUGINS_DIR / "budget_site.py"
    spec = importlib.util.spec_from_file_location("budget_site_tokenizer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the plugin gives Datasette, on a plain connection."""
    plugin = plugin_module()
    conn.create_function("cjk_match", 1, plugin.fts_query, deterministic=True)
    conn.create_function("cjk_terms", 1, plugin.index_terms, deterministic=True)


# --------------------------------------------------------------------------------------
# The database


def read_descriptor(package_dir: Path) -> dict:
    path = package_dir / "datapackage.json"
    if not path.is_file():
        raise SiteError(f"{path} not found: build the data package first "
                        f"(python -m pipeline build)")
    return json.loads(path.read_text(encoding="utf-8"))


def _registry_table(resource: dict) -> Table:
    table = BY_NAME.get(resource["name"])
    if table is None:
        raise SiteError(f"table {resource['name']!r} of the package is not in "
                        f"pipeline/registry.py: it has no description")
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


# --------------------------------------------------------------------------------------
# Provinces and cities: the landing page and the charts group departments by them.

_PROVINCE_RE = re.compile(r"^(北京市|天津市|上海市|重庆市|.+?(?:省|自治区|特别行政区))")
_CITY_RE = re.compile(r"^(.+?(?:自治州|市|盟|地区|州(?!市)))")


@dataclass(frozen=True)
class Division:
    name: str
    level: str = ""
    parent_code: str = ""


def read_divisions(path: Path | None = DIVISIONS_CSV) -> dict[str, Division]:
    """code -> Division from a GB/T 2260 table (columns code, name, level, parent_code);
    empty if there is no such file (names then come from the documents' division_name)."""
    if path is None or not Path(path).is_file():
        return {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not {"code", "name"} <= set(reader.fieldnames or ()):
            raise SiteError(f"{path}: expected the columns code,name,level,parent_code")
        return {r["code"].strip(): Division(r["name"].strip(), (r.get("level") or "").strip(),
                                            (r.get("parent_code") or "").strip())
                for r in reader if r.get("code") and r.get("name")}


def region(code: str | None, division_name: str | None,
           divisions: dict[str, Division]) -> dict:
    """The province and city of a division: codes code[:2]+'0000' and code[:4]+'00', named
    from `divisions`, else read off the division's own name (河南省新乡市红旗区 -> 河南省,
    新乡市). A province-level department's city is the province itself (江苏省本级); the
    districts of a municipality are grouped as 上海市（市辖区）; a county-level city the
    province governs directly (济源市, 419001) is its own city."""
    name = (division_name or "").strip()
    m = _PROVINCE_RE.match(name)
    province_guess = m.group(1) if m else None
    c = _CITY_RE.match(name[m.end():] if m else name)
    city_guess = c.group(1) if c else None
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}", code) or code.startswith("00"):
        province = province_guess or name or "未知 unknown"
        if not name:
            return {"province_code": "", "province_name": province, "city_code": "",
                    "city_name": province}
        if province_guess and not city_guess and province.endswith("市") and name != province:
            city_guess = f"{province}（市辖区）"
        return {"province_code": "", "province_name": province, "city_code": "",
                "city_name": city_guess or (f"{province}本级" if province == name else name)}
    province_code, city_code = code[:2] + "0000", code[:4] + "00"
    known = divisions.get(province_code)
    province = known.name if known else (province_guess or name or province_code)
    if city_code == province_code:
        return {"province_code": province_code, "province_name": province,
                "city_code": province_code, "city_name": f"{province}本级"}
    city = divisions.get(city_code)
    own = divisions.get(code)
    if city and city.name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        city_name = city.name
    elif province.endswith("市"):  # a municipality (北京市, 上海市 …): its districts
        city_name = f"{province}（市辖区）"
    elif own and own.parent_code == province_code:  # a city the province governs directly
        city_code, city_name = code, own.name
    else:
        city_name = city_guess or name or city_code
    return {"province_code": province_code, "province_name": province,
            "city_code": city_code, "city_name": city_name}


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
        _registry_table(resource)
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


def _create_views(db: sqlite_utils.Database, views: dict) -> None:
    """The views of views.yml, in order; a view marked `materialize` is stored as a table
    (the database is immutable once built), so the queries over every document need not
    recompute it on each request."""
    for name, view in views.items():
        if view.get("materialize"):
            db.execute(f'create table "{name}" as {view["sql"]}')
        else:
            db.create_view(name, view["sql"])


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


# --------------------------------------------------------------------------------------
# The metadata


def repository_url(explicit: str | None, config: dict) -> str | None:
    if explicit or config.get("repository_url"):
        return explicit or config["repository_url"]
    if os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{os.environ['GITHUB_REPOSITORY']}"
    try:
        url = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"^git@([^:]+):(.+?)(\.git)?$", url)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    return re.sub(r"\.git$", "", url) if url.startswith("https://") else None


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
            else dt.datetime.now(dt.timezone.utc))
    return when.date().isoformat()


def _column_description(table: Table, name: str) -> str:
    f = next(f for f in table.fields if f.name == name)
    text = f"{f.title} · {f.description}"
    if name in table.primary_key and f.type == "string" and not f.required:
        text += " (Part of the primary key: blank is stored as an empty string here.)"
    return text


def _table_metadata(table: Table, presentation: dict) -> dict:
    description = table.description
    if table.standard_tables:
        description += f" From: {table.standard_tables}."
    description += f" Primary key: {', '.join(table.primary_key)}."
    meta = {"title": f"{table.title} ({table.name})", "description": description,
            "columns": {f.name: _column_description(table, f.name) for f in table.fields}}
    units = {f.name: "yuan" for f in table.fields if f.amount}
    if units:
        meta["units"] = units
    meta.update(presentation)
    if "fts_table" in meta:
        meta["fts_pk"] = "rowid"
    return meta


def _view_metadata(name: str, view: dict) -> dict:
    meta = {"title": view.get("title"), "description": view.get("description"),
            "columns": dict(view.get("columns") or {})}
    units = {}
    inherit = [BY_NAME[t] for t in view.get("inherit", [])]
    for column in view.get("_columns", []):
        if column in meta["columns"]:
            continue
        source = next((t for t in inherit if column in t.field_names()), None)
        if source is not None:
            meta["columns"][column] = _column_description(source, column)
            if next(f for f in source.fields if f.name == column).amount:
                units[column] = "yuan"
    units.update({c: "yuan" for c in view.get("amounts", [])})
    if units:
        meta["units"] = units
    for key in ("facets", "sort", "sort_desc", "label_column", "fts_table"):
        if key in view:
            meta[key] = view[key]
    if "fts_table" in meta:
        meta["fts_pk"] = "rowid"
    return meta


def build_metadata(package_dir: Path, db_path: Path, config: dict,
                   repository: str | None = None) -> dict:
    descriptor = read_descriptor(package_dir)
    db = sqlite_utils.Database(db_path)
    database = config["database"]
    tables_meta: dict[str, dict] = {}
    presentation = config.get("tables") or {}
    for resource in descriptor["resources"]:
        table = _registry_table(resource)
        tables_meta[table.name] = _table_metadata(table, presentation.get(table.name, {}))
    for name, derived in (config.get("derived_tables") or {}).items():
        meta = {k: v for k, v in derived.items()}
        if "fts_table" in meta:
            meta["fts_pk"] = "rowid"
        tables_meta[name] = meta
    for name, view in (config.get("views") or {}).items():
        view = dict(view, _columns=db[name].columns_dict.keys())
        tables_meta[name] = _view_metadata(name, view)
    for table, columns in (config.get("fts") or {}).items():
        title = tables_meta[table]["title"]
        tables_meta[f"{table}_fts"] = {
            "hidden": True, "title": f"全文索引 · full-text index of {table}",
            "description": f"FTS5 index of {title}: the text of each column segmented into "
                           f"character bigrams (rowid = {table}.rowid). Query it with "
                           f"MATCH cjk_match('热线').",
            "columns": {c: f"{c} of {table}, as search terms (cjk_terms)" for c in columns}}
    _check_metadata(db, tables_meta)
    db.close()

    licence = (descriptor.get("licenses") or [{}])[0]
    documents = _documents_facts(db_path)
    repo = repository
    queries = _queries_metadata(db_path, config.get("queries") or {}, tables_meta,
                                config.get("views") or {})
    plugin = {
        "database": database,
        "package_name": descriptor.get("name"), "package_title": descriptor.get("title"),
        "package_version": descriptor.get("version"), "built": _build_date(),
        "repository_url": repo,
        "downloads": [{"name": r["name"], "title": r.get("title"),
                       "path": f"/datapackage/{r['path']}",
                       "rows": _count(db_path, r["name"])} for r in descriptor["resources"]],
        "queries": [{"name": n, "title": q.get("title", n)} for n, q in queries.items()],
        "views": [{"name": n, "title": v.get("title", n)}
                  for n, v in (config.get("views") or {}).items()],
        # columns holding yuan, shown with at most 2 decimals wherever they appear
        "amount_columns": sorted({c for m in list(tables_meta.values()) + list(queries.values())
                                  for c, unit in (m.get("units") or {}).items()
                                  if unit == "yuan"}),
        **documents,
    }
    source = "部门预算公开 · the departments' own disclosures, extracted by the project"
    meta = {
        "title": config["title"], "description": config["description"],
        "license": licence.get("name"), "license_url": licence.get("path"),
        "source": source,
        "about": f"Data package {descriptor.get('name')} {descriptor.get('version')}",
        "about_url": "/datapackage/datapackage.json",
        "custom_units": config.get("custom_units", []),
        "extra_css_urls": ["/assets/site.css"],
        "plugins": {PLUGIN_NAME: plugin},
        "databases": {database: {
            "title": config["title"],
            "description": config["description"],
            "license": licence.get("name"), "license_url": licence.get("path"),
            "source": source,
            "tables": tables_meta, "queries": queries}},
    }
    if repo:
        meta["source_url"] = repo
        meta["databases"][database]["source_url"] = repo
    return meta


def _queries_metadata(db_path: Path, queries: dict, tables_meta: dict, views: dict) -> dict:
    """The canned queries as Datasette metadata, each with a description of every column it
    returns (`columns`, shown as the column headers) and its amount columns (`units`):
    the query's own `columns` in queries.yml, else those of the views and tables it reads,
    where a column of the same name means the same. The build fails on a column nobody
    describes."""
    described: dict[str, str] = {}
    amounts: set[str] = set()
    for name in list(views) + [n for n in tables_meta if n not in views]:
        meta = tables_meta.get(name) or {}
        if meta.get("hidden"):
            continue
        for column, text in (meta.get("columns") or {}).items():
            described.setdefault(column, text)
        amounts |= {c for c, unit in (meta.get("units") or {}).items() if unit == "yuan"}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    register_functions(conn)
    out, missing = {}, []
    try:
        for name, query in queries.items():
            params = {p: "" for p in re.findall(r":(\w+)", query["sql"])}
            params.update(query.get("example") or {})
            columns = [d[0] for d in conn.execute(query["sql"], params).description]
            own = dict(query.get("columns") or {})
            amount_columns = set(query.get("amounts") or [])
            for source in query.get("inherit") or []:
                if source not in tables_meta:
                    raise SiteError(f"queries.yml {name}: inherit names no table or view "
                                    f"{source!r}")
                for column, text in (tables_meta[source].get("columns") or {}).items():
                    own.setdefault(column, text)
                for column, unit in (tables_meta[source].get("units") or {}).items():
                    if unit == "yuan" and column not in (query.get("columns") or {}):
                        amount_columns.add(column)
            meta = {k: v for k, v in query.items()
                    if k not in ("example", "columns", "amounts", "inherit")}
            meta["columns"] = {}
            for column in columns:
                text = own.get(column) or described.get(column)
                if text:
                    text = text.split(" (Part of the primary key")[0]
                if not text:
                    missing.append(f"{name}.{column}")
                meta["columns"][column] = text or ""
            units = {c: "yuan" for c in columns
                     if c in amount_columns or (c in amounts and c not in own)}
            if units:
                meta["units"] = units
            out[name] = meta
    finally:
        conn.close()
    if missing:
        raise SiteError("canned query columns without a description (queries.yml columns): "
                        + ", ".join(missing))
    return out


def _count(db_path: Path, table: str) -> int:
    db = sqlite_utils.Database(db_path)
    try:
        return db[table].count
    finally:
        db.close()


def _documents_facts(db_path: Path) -> dict:
    db = sqlite_utils.Database(db_path)
    try:
        row = db.execute("select count(*), min(fiscal_year), max(fiscal_year), "
                         "max(published_date), count(distinct department_id), "
                         "count(distinct division_code) from documents").fetchone()
        regions = db.execute("select count(distinct province_name), "
                             "count(distinct province_name || '/' || city_name) "
                             "from departments").fetchone()
    finally:
        db.close()
    return {"documents": row[0], "first_year": row[1], "last_year": row[2],
            "latest_published": row[3], "departments": row[4], "divisions": row[5],
            "provinces": regions[0], "cities": regions[1]}


def _check_metadata(db: sqlite_utils.Database, tables_meta: dict) -> None:
    """Every table, view and column has a description; configured columns exist."""
    missing = []
    names = [t.name for t in db.tables] + [v.name for v in db.views]
    for name in names:
        shadow = FTS_SHADOW.search(name)
        if name.startswith("sqlite_") or (shadow and name[:shadow.start()] in names):
            continue
        meta = tables_meta.get(name)
        if not meta or not meta.get("description") or not meta.get("title"):
            missing.append(f"table {name}")
            continue
        columns = db[name].columns_dict
        for column in columns:
            if not (meta.get("columns") or {}).get(column):
                missing.append(f"column {name}.{column}")
        for key in ("sort", "sort_desc", "label_column"):
            if meta.get(key) and meta[key] not in columns:
                missing.append(f"{name}: {key} {meta[key]!r} is not a column")
        for facet in meta.get("facets", []):
            if facet not in columns:
                missing.append(f"{name}: facet {facet!r} is not a column")
    if missing:
        raise SiteError("the site metadata lacks descriptions or names unknown columns: "
                        + "; ".join(missing))


def build_site(package_dir: Path = PACKAGE_DIR, out_dir: Path = SITE_DIR,
               repository: str | None = None, site_dir: Path = SITE_DIR,
               divisions: Path | None = DIVISIONS_CSV) -> SiteBuild:
    """Build `<out_dir>/<database>.db` and `<out_dir>/metadata.json` from the package.
    `divisions`: the GB/T 2260 table naming provinces and cities (pipeline/reference)."""
    config = site_config(site_dir)
    db_path = out_dir / f"{config['database']}.db"
    counts = build_database(package_dir, db_path, config, read_divisions(divisions))
    repo = repository_url(repository, config)
    result = SiteBuild(db_path, out_dir / "metadata.json", counts)
    if not repo:
        result.warnings.append("no repository URL (site.yml repository_url, --repository-url "
                               "or a git remote): the site links to the data package only")
    meta = build_metadata(package_dir, db_path, config, repo)
    tmp = result.metadata.with_name("metadata.json.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, result.metadata)
    return result


# --------------------------------------------------------------------------------------
# Serving and publishing: one set of options everywhere


def _settings(config: dict) -> list[str]:
    args = []
    for key, value in (config.get("settings") or {}).items():
        args += ["--setting", key, str(value).lower() if isinstance(value, bool) else str(value)]
    return args


def _assets(package_dir: Path) -> list[str]:
    return ["--plugins-dir", str(PLUGINS_DIR), "--template-dir", str(TEMPLATES_DIR),
            "--static", f"assets:{STATIC_DIR}", "--static", f"datapackage:{package_dir}"]


def serve_args(db_path: Path, metadata: Path, package_dir: Path = PACKAGE_DIR,
               host: str = "127.0.0.1", port: int = 8001, config: dict | None = None) -> list[str]:
    """`datasette serve` arguments: the database immutable (read-only), with the SQL time
    limit and other settings of site.yml."""
    config = config or site_config()
    return (["serve", "-i", str(db_path), "--metadata", str(metadata), "--host", host,
             "--port", str(port)] + _assets(package_dir) + _settings(config))


def publish_args(target: str, db_path: Path, metadata: Path, package_dir: Path = PACKAGE_DIR,
                 extra: tuple[str, ...] = (), config: dict | None = None) -> list[str]:
    """`datasette package` (target 'package': a Docker image) or `datasette publish TARGET`
    arguments. The image serves the database immutable, with the same settings, plugin,
    templates and static files, on the pinned Datasette."""
    config = config or site_config()
    meta = json.loads(metadata.read_text(encoding="utf-8"))
    version = meta["plugins"][PLUGIN_NAME].get("package_version")
    head = ["package"] if target == "package" else ["publish", target]
    args = head + [str(db_path), "--metadata", str(metadata)] + _assets(package_dir)
    for requirement in config.get("install", []):
        args += ["--install", requirement]
    args += ["--extra-options", " ".join(_settings(config))]
    if version:
        args += ["--version-note", f"data package {version}"]
    return args + list(extra)


def make_datasette(db_path: Path, metadata: Path, package_dir: Path = PACKAGE_DIR,
                   config: dict | None = None):
    """A Datasette instance configured exactly as `serve_args` (for tests and scripts)."""
    from datasette.app import Datasette

    config = config or site_config()
    return Datasette(
        immutables=[str(db_path)],
        metadata=json.loads(metadata.read_text(encoding="utf-8")),
        plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR),
        static_mounts=[("assets", str(STATIC_DIR)), ("datapackage", str(package_dir))],
        settings=dict(config.get("settings") or {}),
    )
