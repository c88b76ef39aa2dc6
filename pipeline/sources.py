"""`sources/<document_id>/source.yml`: what a disclosure is and where it came from.

The file is validated strictly (unknown fields, wrong types, bad codes are errors) and the
document's sha256 is checked, so a contribution cannot change a document silently.
"""
from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import SourceError
from .limits import check_size

SOURCE_FILE = "source.yml"
MAX_SOURCE_YML_BYTES = 64 * 1024
DOCUMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,99}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Strict):
    name: str = Field(min_length=2, description="Publishing department, as printed")
    code: Optional[str] = Field(None, pattern=r"^\d{1,9}$",
                                description="Department code in the local budget system")


class Division(_Strict):
    name: str = Field(min_length=2, description="Administrative division, e.g. 河南省新乡市")
    code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code, e.g. 410700")


class Published(_Strict):
    url: Optional[str] = Field(None, pattern=r"^https?://\S+$")
    date: Optional[str] = Field(None, pattern=r"^\d{4}(-\d{2}){0,2}$",
                                description="YYYY, YYYY-MM or YYYY-MM-DD")


class Acknowledgement(_Strict):
    """A publisher's error, acknowledged so the build passes while the numbers stay as printed."""

    rule: str = Field(min_length=1, description="Id of the accounting check that fails")
    subject: Optional[str] = Field(None, description="Part of the failing check's subject, to "
                                   "acknowledge only that failure (default: all of the rule's)")
    explanation: str = Field(min_length=5, description="Why the publisher's numbers differ")


class SourceMeta(_Strict):
    """The contents of source.yml."""

    title: str = Field(min_length=2)
    department: Department
    division: Division
    fiscal_year: int = Field(ge=1990, le=date.today().year + 1)
    kind: Literal["budget", "final_accounts"]
    consolidated: bool = False
    file: str
    format: Literal["pdf", "transcript"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    published: Published = Published()
    retrieved_from: Optional[str] = Field(None, pattern=r"^https?://\S+$",
                                          description="Where the project got the file, if not "
                                                      "from the publisher")
    licence: str = Field(min_length=2)
    notes: Optional[str] = None
    acknowledged: list[Acknowledgement] = []

    @model_validator(mode="before")
    @classmethod
    def _no_todo_left(cls, data):
        def todos(node, path=""):
            if isinstance(node, dict):
                for k, v in node.items():
                    yield from todos(v, f"{path}.{k}" if path else str(k))
            elif isinstance(node, str) and "TODO" in node:
                yield path
        left = list(todos(data)) if isinstance(data, dict) else []
        if left:
            raise ValueError(f"fill in the TODO fields: {', '.join(left)}")
        return data

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, v: str) -> str:
        if "/" in v or "\\" in v or v.startswith(".") or not v.strip():
            raise ValueError("must be a plain file name inside the document's folder")
        return v


class Source:
    """One disclosure folder: its id, metadata and document path."""

    def __init__(self, folder: Path, meta: SourceMeta):
        self.folder = folder
        self.id = folder.name
        self.meta = meta

    @property
    def document(self) -> Path:
        return self.folder / self.meta.file


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_meta(path: Path) -> SourceMeta:
    """Read and validate a source.yml file, with errors that name the file and field."""
    if not path.is_file():
        raise SourceError(path, "missing: every document needs a source.yml beside it")
    if path.stat().st_size > MAX_SOURCE_YML_BYTES:
        raise SourceError(path, f"over {MAX_SOURCE_YML_BYTES // 1024} KiB: source.yml holds a "
                                "few fields, not data")
    try:
        text = path.read_text(encoding="utf-8")
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text)):
            raise SourceError(path, "YAML aliases (*name) are not allowed in source.yml")
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(path, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SourceError(path, "must be a YAML mapping of fields")
    try:
        return SourceMeta.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise SourceError(path, f"invalid: {problems}") from None


def load_source(folder: Path) -> Source:
    """Validate a source folder: its id, source.yml, the document file, its size and its
    checksum."""
    if not DOCUMENT_ID.match(folder.name):
        raise SourceError(folder, "folder name must be a document id: lowercase letters, "
                                  "digits and hyphens")
    refuse_links(folder)
    meta = parse_meta(folder / SOURCE_FILE)
    source = Source(folder, meta)
    doc = source.document
    if not doc.is_file():
        raise SourceError(doc, f"document named in {SOURCE_FILE} is missing")
    check_size(doc)
    actual = sha256_of(doc)
    if actual != meta.sha256:
        raise SourceError(doc, f"sha256 mismatch: file has {actual}, {SOURCE_FILE} says "
                               f"{meta.sha256}; if the document really changed, update both")
    return source


def links_in(folder: Path) -> list[Path]:
    """The folder itself if it is a symbolic link, else the links inside it."""
    if folder.is_symlink():
        return [folder]
    return sorted(Path(e.path) for e in os.scandir(folder) if e.is_symlink())


def refuse_links(folder: Path) -> None:
    """A source folder and its files must be real, not links that could lead anywhere."""
    links = links_in(folder)
    if links:
        raise SourceError(links[0], "is a symbolic link; sources/ may hold only real folders "
                                    "and files (a link could lead anywhere)")


def discover(root: Path) -> list[Path]:
    """Every document folder under sources/, sorted so builds are deterministic. Symbolic
    links are listed too, so that `load_source` refuses them by name."""
    return sorted(p for p in root.iterdir()
                  if (p.is_dir() or p.is_symlink()) and not p.name.startswith("."))
