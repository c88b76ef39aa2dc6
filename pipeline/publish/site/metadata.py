"""The site metadata (metadata.json): Datasette titles and descriptions of every table, view,
column and canned query, from pipeline/metadata/registry.py plus site.yml, views.yml and
queries.yml, and the facts the plugin's pages show (`build_metadata`): counts and examples
taken from the data, never written by hand. The build fails if anything lacks a description.
"""
from __future__ import annotations

import datetime as dt
import html
import os
import re
import sqlite3
import string
import subprocess
from pathlib import Path

import sqlite_utils

from pipeline.metadata.registry import BY_NAME, PublishedTable
from pipeline.publish.site.config import PLUGIN_NAME, ROOT, SiteError, register_functions
from pipeline.publish.site.database import read_descriptor, registry_table, view_amounts

FTS_SHADOW = re.compile(r"_(data|idx|content|docsize|config)$")  # FTS5's own tables


def repository_url(explicit: str | None, config: dict, root: Path = ROOT) -> str | None:
    """The project's repository, to link from the site: given, in site.yml, CI's, or the
    git remote of the checkout `root` (of the repository it was cloned from, for a clone of a
    local path); None if none is known."""
    if explicit or config.get("repository_url"):
        return explicit or config["repository_url"]
    if os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{os.environ['GITHUB_REPOSITORY']}"
    here = root
    for _ in range(5):  # a clone of a local path: that repository's remote, and so on
        try:
            url = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=here,
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if not url or not (here / url.removeprefix("file://")).is_dir():
            break
        here = here / url.removeprefix("file://")
    m = re.match(r"^git@([^:]+):(.+?)(\.git)?$", url)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    return re.sub(r"\.git$", "", url) if url.startswith("https://") else None


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
            else dt.datetime.now(dt.timezone.utc))
    return when.date().isoformat()


def _column_description(table: PublishedTable, name: str) -> str:
    f = next(f for f in table.fields if f.name == name)
    text = f"{f.title} · {f.description}"
    if name in table.primary_key and f.type == "string" and not f.required:
        text += " (Part of the primary key: blank is stored as an empty string here.)"
    return text


def _table_metadata(table: PublishedTable, presentation: dict) -> dict:
    description = table.description
    if table.standard_tables:
        description += f" From: {table.standard_tables}."
    description += f" Primary key: {', '.join(table.primary_key)}."
    meta = {"title": f"{table.title} ({table.name})", "description": description,
            "columns": {f.name: _column_description(table, f.name) for f in table.fields}}
    units = {name: "yuan" for name in table.amount_fields()}
    if units:
        meta["units"] = units
    meta.update(presentation)
    if "fts_table" in meta:
        meta["fts_pk"] = "rowid"
    return meta


def _view_metadata(name: str, view: dict) -> dict:
    meta = {"title": view.get("title"), "description": view.get("description"),
            "columns": dict(view.get("columns") or {})}
    inherit = [BY_NAME[t] for t in view.get("inherit", [])]
    for column in view.get("_columns", []):
        if column in meta["columns"]:
            continue
        source = next((t for t in inherit if column in t.field_names()), None)
        if source is not None:
            meta["columns"][column] = _column_description(source, column)
    amounts = view_amounts(view, view.get("_columns", []))
    if amounts:
        meta["units"] = {c: "yuan" for c in sorted(amounts)}
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
        table = registry_table(resource)
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
    queries, examples = _queries_metadata(db_path, config.get("queries") or {}, tables_meta,
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
        # per query and parameter, the examples of queries.yml that find rows in the data
        "examples": examples,
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


def _queries_metadata(db_path: Path, queries: dict, tables_meta: dict, views: dict
                      ) -> tuple[dict, dict]:
    """The canned queries as Datasette metadata, each with a description of every column it
    returns (`columns`, shown as the column headers) and its amount columns (`units`):
    the query's own `columns` in queries.yml, else those of the views and tables it reads,
    where a column of the same name means the same. The build fails on a column nobody
    describes. Also the examples each query's text may name (`examples`), only those that
    find rows in the data (see `_examples`): (metadata, {query: {parameter: [values]}})."""
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
    out, missing, found = {}, [], {}
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
            found[name] = _examples(conn, query, params)
            meta = {k: v for k, v in query.items()
                    if k not in ("example", "examples", "columns", "amounts", "inherit")}
            for key, quote in (("description", str), ("description_html", html.escape)):
                if key in meta:
                    meta[key] = string.Template(meta[key]).safe_substitute(
                        {p: quote(", ".join(v) or "…") for p, v in found[name].items()})
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
    return out, found


def _examples(conn: sqlite3.Connection, query: dict, params: dict) -> dict[str, list[str]]:
    """The values of the query's `examples` (queries.yml: parameter -> candidates) with which
    it returns rows here, the other parameters as in its `example`: what its description
    (`${parameter}`) and the site's search boxes may name, so that no text names what the
    data does not hold."""
    found = {}
    for param, candidates in (query.get("examples") or {}).items():
        found[param] = [str(c) for c in candidates if conn.execute(
            query["sql"], dict(params, **{param: str(c)})).fetchone() is not None]
    return found


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
        checks = db.execute("select count(*) filter (where status = 'pass'), "
                            "count(*) filter (where status = 'fail'), count(distinct "
                            "case when status = 'fail' then document_id end) from checks"
                            ).fetchone() if db["checks"].exists() else (0, 0, 0)
    finally:
        db.close()
    return {"documents": row[0], "first_year": row[1], "last_year": row[2],
            "latest_published": row[3], "departments": row[4], "divisions": row[5],
            "provinces": regions[0], "cities": regions[1], "checks_passed": checks[0],
            "checks_failed": checks[1], "documents_failing": checks[2]}


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
