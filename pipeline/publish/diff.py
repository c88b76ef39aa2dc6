"""Compare two data packages: documents added or removed, schema changes, rows added,
removed or changed.

Rows are matched on each table's primary key, so a changed amount shows as a change of
that row, with the old and new values. Used for release notes, to show a pull request's
effect on the published data, and to derive the next version: major for a schema change
that breaks users, minor for documents, tables or fields added, patch for the rest.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TableDiff:
    name: str
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict[str, tuple[str, str]]]] = field(default_factory=list)
    # schema changes: a table or field removed, a type or the key changed (breaking); a
    # table or field added (extended); titles, descriptions, constraints, order (revised)
    breaking: list[str] = field(default_factory=list)
    extended: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)

    @property
    def schema_changed(self) -> list[str]:
        return self.breaking + self.extended + self.revised

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.schema_changed)


@dataclass
class PackageDiff:
    old_version: str | None
    new_version: str | None
    documents_added: list[str]
    documents_removed: list[str]
    tables: list[TableDiff]
    metadata: list[str] = field(default_factory=list)  # package properties changed

    @property
    def empty(self) -> bool:
        return not (self.documents_added or self.documents_removed or self.metadata) and \
            all(t.empty for t in self.tables)

    @property
    def bump(self) -> str | None:
        """The part of the version this change bumps (None: nothing changed)."""
        if any(t.breaking for t in self.tables):
            return "major"
        if self.documents_added or any(t.extended for t in self.tables):
            return "minor"
        return None if self.empty else "patch"

    def next_version(self) -> str | None:
        """The version to release the new package as: the old version bumped as the change
        requires, or the new package's own version if set higher (a maintainer's choice);
        None if nothing changed and the version was not raised."""
        old, declared = _semver(self.old_version), _semver(self.new_version)
        bumped = {"major": (old[0] + 1, 0, 0), "minor": (old[0], old[1] + 1, 0),
                  "patch": (old[0], old[1], old[2] + 1), None: old}[self.bump]
        version = max(bumped, declared)
        return ".".join(map(str, version)) if version > old else None


BUMPS = {"major": "a schema change that breaks users",
         "minor": "documents, tables or fields added",
         "patch": "values corrected, documents changed or withdrawn, package properties "
                  "(licences, title…) changed"}


def _semver(version: str | None) -> tuple[int, int, int]:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version or "")
    if not m:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    return int(m[1]), int(m[2]), int(m[3])


def _resources(folder: Path) -> tuple[dict, dict[str, dict]]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return descriptor, {r["name"]: r for r in descriptor["resources"]}


def _rows(folder: Path, resource: dict) -> dict[tuple, dict]:
    key = resource["schema"].get("primaryKey") or []
    with open(folder / resource["path"], encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {tuple(r.get(k, "") for k in key) if key else (i,): r for i, r in enumerate(rows)}


def _schema_changes(t: TableDiff, old: dict, new: dict) -> None:
    """Sort the differences of two Table Schemas into breaking, extending and revising."""
    before = {f["name"]: f for f in old["fields"]}
    after = {f["name"]: f for f in new["fields"]}
    t.extended += [f"field added: {f}" for f in after if f not in before]
    t.breaking += [f"field removed: {f}" for f in before if f not in after]
    t.breaking += [f"type changed: {f} {before[f]['type']} → {after[f]['type']}"
                   for f in after if f in before and before[f]["type"] != after[f]["type"]]
    if old.get("primaryKey") != new.get("primaryKey"):
        t.breaking.append(f"primary key changed: {old.get('primaryKey')} → {new.get('primaryKey')}")
    common = [f for f in after if f in before]
    t.revised += [f"field details changed: {f}" for f in common
                  if before[f] != after[f] and before[f]["type"] == after[f]["type"]]
    if [f for f in before if f in after] != common:
        t.revised.append("field order changed")
    t.revised += [f"{k} changed" for k in sorted(set(old) | set(new))
                  if k not in ("fields", "primaryKey") and old.get(k) != new.get(k)]


def diff_packages(old: Path, new: Path) -> PackageDiff:
    """What changed from the package in folder `old` to the one in folder `new`."""
    old_desc, old_res = _resources(old)
    new_desc, new_res = _resources(new)
    tables = []
    for name in sorted(set(old_res) | set(new_res)):
        t = TableDiff(name)
        if name not in old_res:
            t.extended.append("table added")
        elif name not in new_res:
            t.breaking.append("table removed")
        else:
            _schema_changes(t, old_res[name]["schema"], new_res[name]["schema"])
        before = _rows(old, old_res[name]) if name in old_res else {}
        after = _rows(new, new_res[name]) if name in new_res else {}
        t.added = [after[k] for k in after if k not in before]
        t.removed = [before[k] for k in before if k not in after]
        for k in after:
            if k in before:  # fields added or removed are schema changes, not value changes
                changes = {f: (before[k][f], v) for f, v in after[k].items()
                           if f in before[k] and before[k][f] != v}
                if changes:
                    t.changed.append((after[k], changes))
        tables.append(t)
    docs = next(t for t in tables if t.name == "documents") if "documents" in new_res else None
    return PackageDiff(
        old_desc.get("version"), new_desc.get("version"),
        sorted(r["document_id"] for r in docs.added) if docs else [],
        sorted(r["document_id"] for r in docs.removed) if docs else [],
        tables,
        [k for k in sorted(set(old_desc) | set(new_desc))
         if k not in ("resources", "version") and old_desc.get(k) != new_desc.get(k)])


def _key(row: dict) -> str:
    parts = [row.get("document_id", "")] + [v for k, v in row.items()
                                             if k.endswith(("_code", "item", "name", "rule"))
                                             and k != "document_id" and v][:3]
    return " / ".join(p for p in parts if p)


def diff_markdown(d: PackageDiff, limit: int = 50) -> str:
    """The diff as markdown, for release notes and pull-request comments."""
    lines = [f"## Data changes {d.old_version or '?'} → {d.new_version or '?'}", ""]
    if d.empty:
        return "\n".join(lines + ["No changes.", ""])
    if d.documents_added:
        lines.append("Documents added: " + ", ".join(d.documents_added))
    if d.documents_removed:
        lines.append("Documents removed: " + ", ".join(d.documents_removed))
    if d.metadata:
        lines.append("Package properties changed: " + ", ".join(d.metadata))
    lines.append(f"Version change: {d.bump} ({BUMPS[d.bump]})")
    lines += ["", "| table | added | removed | changed |", "|---|---|---|---|"]
    lines += [f"| {t.name} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |"
              for t in d.tables if not t.empty]
    for t in d.tables:
        if t.schema_changed:
            lines += ["", f"Schema of `{t.name}`: " + "; ".join(t.schema_changed)]
        if t.changed:
            lines += ["", f"### Changed values in `{t.name}`", ""]
            for row, changes in t.changed[:limit]:
                what = "; ".join(f"{f}: {a!r} → {b!r}" for f, (a, b) in changes.items())
                lines.append(f"- {_key(row)}: {what}")
            if len(t.changed) > limit:
                lines.append(f"- … and {len(t.changed) - limit} more")
    return "\n".join(lines) + "\n"
