"""The site's configuration: its paths (site/, datapackage/, the plugin, templates and static
files), site.yml with views.yml and queries.yml (`site_config`), the plugin module whose SQL
functions segment the full-text index (`plugin_module`, `register_functions`), and `SiteError`.
"""
from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
SITE_DIR = ROOT / "site"
PACKAGE_DIR = ROOT / "datapackage"
PLUGINS_DIR = SITE_DIR / "plugins"
TEMPLATES_DIR = SITE_DIR / "templates"
STATIC_DIR = SITE_DIR / "static"
PLUGIN_NAME = "budget-site"


class SiteError(Exception):
    """The site cannot be built as configured (reported without a traceback)."""


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
