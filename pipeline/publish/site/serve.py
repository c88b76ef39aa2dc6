"""Serving and publishing: one set of Datasette options whether it runs here (`python -m
pipeline serve`), in the tests (`make_datasette`) or in a published image (`publish_args`).
"""
from __future__ import annotations

import json
from pathlib import Path

from pipeline.publish.site.config import (PACKAGE_DIR, PLUGIN_NAME, PLUGINS_DIR, STATIC_DIR,
                                          TEMPLATES_DIR, plugin_module, site_config)


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
    limit and other settings of site.yml (the plugin adds the memory and size limits)."""
    config = config or site_config()
    return (["serve", "-i", str(db_path), "--metadata", str(metadata), "--host", host,
             "--port", str(port)] + _assets(package_dir) + _settings(config))


def publish_args(target: str, db_path: Path, metadata: Path, package_dir: Path = PACKAGE_DIR,
                 extra: tuple[str, ...] = (), config: dict | None = None) -> list[str]:
    """`datasette package` (target 'package': a Docker image) or `datasette publish TARGET`
    arguments. The image serves the database immutable, with the same settings, plugin,
    templates and static files, on the pinned Datasette. The plugin limits the serving
    process's memory wherever it runs; Cloud Run is given that much memory (unless EXTRA
    says `--memory`), so that the limit, not the platform, stops a request wanting more."""
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
    if target == "cloudrun" and not any(a.split("=")[0] == "--memory" for a in extra):
        args += ["--memory", f"{plugin_module().MEMORY_LIMIT_MB}Mi"]
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
