"""The Datasette site: the data package as one SQLite database, with metadata, canned
queries, Chinese full-text search and charts.

`build_site` reads `datapackage/` (CSV + datapackage.json) and writes, with sqlite-utils:

- `site/budgets.db`: every published table with the column types, primary keys and foreign
  keys of its Table Schema; `departments` and `department_names` (one stable id per
  department across years and renames); indexes for the columns the views and queries
  filter and join on; FTS5 indexes of project, indicator and department names whose text is
  pre-segmented into character bigrams so that Chinese substrings are found; and the views
  of `site/views.yml` (those marked `materialize` stored as tables).
- `site/metadata.json`: Datasette metadata generated from `pipeline/metadata/registry.py` (the same
  registry the schemas come from) plus `site/site.yml` and the canned queries of
  `site/queries.yml`. The build fails if any table, view or column lacks a description.

`serve_args`, `publish_args` and `make_datasette` give Datasette the same options whether it
runs here (`python -m pipeline serve`), in the tests, or in a published image.

The modules: `config` (paths, site.yml, the plugin's SQL functions, SiteError), `database`
(the SQLite database), `metadata` (metadata.json), `serve` (Datasette's options); here,
`build_site`, which runs the two builds.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.metadata.divisions import DIVISIONS_CSV
from pipeline.publish.site.config import (PACKAGE_DIR, PLUGIN_NAME, SITE_DIR, SiteError,
                                          plugin_module, register_functions, site_config)
from pipeline.publish.site.database import build_database, site_divisions
from pipeline.publish.site.metadata import build_metadata, repository_url
from pipeline.publish.site.serve import make_datasette, publish_args, serve_args

__all__ = ["PACKAGE_DIR", "PLUGIN_NAME", "SITE_DIR", "SiteBuild", "SiteError", "build_database",
           "build_metadata", "build_site", "make_datasette", "plugin_module", "publish_args",
           "register_functions", "serve_args", "site_config"]


@dataclass
class SiteBuild:
    database: Path
    metadata: Path
    tables: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def build_site(package_dir: Path = PACKAGE_DIR, out_dir: Path = SITE_DIR,
               repository: str | None = None, site_dir: Path = SITE_DIR,
               divisions: Path | None = DIVISIONS_CSV) -> SiteBuild:
    """Build `<out_dir>/<database>.db` and `<out_dir>/metadata.json` from the package.
    `divisions`: the GB/T 2260 table naming provinces and cities (pipeline/metadata/reference)."""
    config = site_config(site_dir)
    db_path = out_dir / f"{config['database']}.db"
    counts = build_database(package_dir, db_path, config, site_divisions(divisions))
    repo = repository_url(repository, config)
    result = SiteBuild(db_path, out_dir / "metadata.json", counts)
    meta = build_metadata(package_dir, db_path, config, repo)
    tmp = result.metadata.with_name("metadata.json.tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, result.metadata)
    return result
