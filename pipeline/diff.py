"""Compare two data packages: documents added or removed, rows added, removed or changed.

Rows are matched on each table's primary key, so a changed amount shows as a change of
that row, with the old and new values. Used for release notes and to show a pull request's
effect on the published data.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TableDiff:
    name: str
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict[str, tuple[str, str]]]] = field(default_factory=list)
    schema_changed: list[str] = field(default_factory=list)

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

    @property
    def empty(self) -> bool:
        return not (self.documents_added or self.documents_removed) and \
            all(t.empty for t in self.tables)


def _resources(folder: Path) -> tuple[dict, dict[str, dict]]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return descriptor, {r["name"]: r for r in descriptor["resources"]}


def _rows(folder: Path, resource: dict) -> dict[tuple, dict]:
    key = resource["schema"].get("primaryKey") or []
    with open(folder / resource["path"], encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {tuple(r.get(k, "") for k in key) if key else (i,): r for i, r in enumerate(rows)}


def diff_packages(old: Path, new: Path) -> PackageDiff:
    """What changed from the package in folder `old` to the one in folder `new`."""
    old_desc, old_res = _resources(old)
    new_desc, new_res = _resources(new)
    tables = []
    for name in sorted(set(old_res) | set(new_res)):
        t = TableDiff(name)
        if name not in old_res or name not in new_res:
            t.schema_changed.append("table added" if name in new_res else "table removed")
        else:
            old_fields = [f["name"] for f in old_res[name]["schema"]["fields"]]
            new_fields = [f["name"] for f in new_res[name]["schema"]["fields"]]
            t.schema_changed += [f"field added: {f}" for f in new_fields if f not in old_fields]
            t.schema_changed += [f"field removed: {f}" for f in old_fields if f not in new_fields]
        before = _rows(old, old_res[name]) if name in old_res else {}
        after = _rows(new, new_res[name]) if name in new_res else {}
        t.added = [after[k] for k in after if k not in before]
        t.removed = [before[k] for k in before if k not in after]
        for k in after:
            if k in before:
                changes = {f: (before[k].get(f, ""), v) for f, v in after[k].items()
                           if before[k].get(f, "") != v}
                if changes:
                    t.changed.append((after[k], changes))
        tables.append(t)
    docs = next(t for t in tables if t.name == "documents") if "documents" in new_res else None
    return PackageDiff(
        old_desc.get("version"), new_desc.get("version"),
        sorted(r["document_id"] for r in docs.added) if docs else [],
        sorted(r["document_id"] for r in docs.removed) if docs else [],
        tables)


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
