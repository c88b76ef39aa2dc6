"""Validate a written data package with frictionless: schemas, keys, foreign keys and
hashes, one resource per process, streaming (see `validate_package`).
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def validate_package(descriptor: Path, keys_checked: bool = False,
                     workers: int | None = None) -> list[str]:
    """Frictionless validation of the package (schemas, keys, foreign keys, hashes), one
    resource per process on `workers` processes (default: all cores).

    frictionless checks a primary key by holding every key of the table in memory; with
    `keys_checked` (the keys of the tables keyed by document were checked as they were
    written, see `PackageWriter`), those tables are validated without it, so validation
    streams and memory stays flat however large the package."""
    from frictionless import FrictionlessException, Package

    try:
        names = [r.name for r in Package(str(descriptor)).resources]
    except FrictionlessException as exc:
        return [str(exc)]
    jobs = [(descriptor, name, keys_checked) for name in names]
    if not jobs:
        return []
    with ProcessPoolExecutor(max_workers=min(len(jobs), workers or os.cpu_count() or 1)) as pool:
        return [error for errors in pool.map(_validate_resource, jobs) for error in errors]


def _validate_resource(job: tuple[Path, str, bool]) -> list[str]:
    from frictionless import FrictionlessException, Package, system

    path, name, keys_checked = job
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    if keys_checked:
        for resource in descriptor["resources"]:
            if resource["schema"].get("primaryKey", [None])[0] == "document_id":
                del resource["schema"]["primaryKey"]
    try:
        with system.use_context(trusted=True):
            report = Package(descriptor, basepath=str(path.parent)).get_resource(name).validate()
    except FrictionlessException as exc:
        return [f"{name}: {exc}"]
    return [f"{name}: row {e.get('rowNumber', '-')}: {e.get('type')}: {e.get('note')}"
            for task in report.tasks for e in (err.to_dict() for err in task.errors)] + \
        [f"{name}: {e.message}" for e in report.errors]
