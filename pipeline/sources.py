"""`sources/<document_id>/source.yml`: what a disclosure is and where it came from.

The file is validated strictly (unknown fields, wrong types, bad codes are errors) and the
sha256 of every file of the disclosure is checked, so a contribution cannot change a document
silently. A disclosure is one file (`file:` + `sha256:`) or several published together
(`files:`, a list of `{file, sha256}`: e.g. the narrative 情况说明 and the tables as two PDFs).
"""
from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import SourceError
from pipeline.limits import LIMITS, Limits, check_size

SOURCE_FILE = "source.yml"
MAX_SOURCE_YML_BYTES = 64 * 1024
MAX_SOURCE_YML_DEPTH = 8  # lists and mappings inside each other: source.yml uses three
DOCUMENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,99}")  # the whole name: use fullmatch


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
    subject: Optional[str] = Field(None, description="The failing check's subject, exactly as "
                                   "`check` prints it (spaces aside), to acknowledge only "
                                   "that failure "
                                   "(default: all of the rule's)")
    explanation: str = Field(min_length=5, description="Why the publisher's numbers differ")
    expected: Optional[Decimal] = Field(None, description="The failing check's expected figure, "
                                        "as the `checks` table gives it; with `actual`: the "
                                        "failure as printed")
    actual: Optional[Decimal] = Field(None, description="The failing check's actual figure, "
                                      "as the `checks` table gives it")

    @property
    def has_figures(self) -> bool:
        """Whether it names the failure's figures: then it holds only while the document reads
        exactly these (a blank one: no figure), and a table read by OCR that reproduces them
        is the publisher's error read right, not a misread (pipeline/check/ocr.py)."""
        return self.expected is not None or self.actual is not None

    def covers(self, rule: str, subject: str, expected: Decimal | None,
               actual: Decimal | None) -> bool:
        """Whether it acknowledges this failing check (rule, subject and figures). Subjects
        are compared without their spaces: a narrative's phrase keeps the spaces of its
        lines (增长1312.56 %), which a page read by OCR may not."""
        return self.rule == rule and (not self.subject or _unspaced(self.subject) ==
                                      _unspaced(subject)) and (
            not self.has_figures or (self.expected, self.actual) == (expected, actual))


def _unspaced(text: str) -> str:
    return "".join(text.split())


def _check_file_name(v: str) -> str:
    if "/" in v or "\\" in v or v.startswith(".") or not v.strip():
        raise ValueError("must be a plain file name inside the document's folder")
    if ";" in v:
        raise ValueError("must not contain ';' (the documents table joins the names of a "
                         "disclosure's files with '; ')")
    return v


class SourceFile(_Strict):
    """One file of a disclosure published as several files."""

    file: str = Field(description="File name inside the document's folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, v: str) -> str:
        return _check_file_name(v)


DOCUMENT_KINDS = ("budget", "final_accounts")  # each read by its family (pipeline/families/)


class SourceMeta(_Strict):
    """The contents of source.yml."""

    title: str = Field(min_length=2)
    department: Department
    division: Division
    fiscal_year: int = Field(ge=1990, le=date.today().year + 1)
    kind: Literal[DOCUMENT_KINDS]
    consolidated: bool = False
    level: Literal["department", "unit"] = Field(
        "department", description="department (部门预算) or the budget of one of its budget "
                                  "units (单位预算)")
    file: Optional[str] = None
    format: Literal["pdf", "transcript"]
    sha256: Optional[str] = Field(None, pattern=r"^[0-9a-f]{64}$")
    files: Optional[list[SourceFile]] = Field(
        None, min_length=1, description="All files of a disclosure published as several "
                                        "(narrative and tables), in reading order")
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
            elif isinstance(node, list):  # acknowledged: each item's fields
                for i, v in enumerate(node):
                    yield from todos(v, f"{path}[{i}]")
            elif isinstance(node, str) and "TODO" in node:
                yield path
        left = list(todos(data)) if isinstance(data, dict) else []
        if left:
            raise ValueError(f"fill in the TODO fields: {', '.join(left)}")
        return data

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, v: str | None) -> str | None:
        return v if v is None else _check_file_name(v)

    @model_validator(mode="after")
    def _one_way_to_name_files(self):
        if self.files is not None:
            if self.file is not None or self.sha256 is not None:
                raise ValueError("give either file + sha256 (one file) or files (several), "
                                 "not both")
            names = [f.file for f in self.files]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"files: {', '.join(twice)} listed twice")
            sums = [f.sha256 for f in self.files]
            if len(set(sums)) < len(sums):
                raise ValueError("files: the same file (sha256) listed twice")
        elif self.file is None or self.sha256 is None:
            raise ValueError("give file + sha256 (the document's file and its checksum), or "
                             "files: a list of {file, sha256} for a disclosure in several files")
        return self

    @property
    def file_list(self) -> list[SourceFile]:
        """Every file of the disclosure with its checksum, in reading order."""
        if self.files is not None:
            return list(self.files)
        return [SourceFile(file=self.file, sha256=self.sha256)]

    @property
    def file_names(self) -> str:
        """The file names as the documents table writes them: joined by "; "."""
        return "; ".join(f.file for f in self.file_list)


class Source:
    """One disclosure folder: its id, metadata and document path(s)."""

    def __init__(self, folder: Path, meta: SourceMeta):
        self.folder = folder
        self.id = folder.name
        self.meta = meta

    @property
    def documents(self) -> list[Path]:
        """Every file of the disclosure, in reading order."""
        return [self.folder / f.file for f in self.meta.file_list]

    @property
    def document(self) -> Path:
        """The file, or for a disclosure of several files the first (for messages, use
        `where`)."""
        return self.documents[0]

    @property
    def where(self) -> Path:
        """How messages name the disclosure: its file, or its files joined by " + "."""
        names = [p.name for p in self.documents]
        return self.document if len(names) == 1 else self.folder / " + ".join(names)


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
        _check_yaml_shape(path, text)
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


def _check_yaml_shape(path: Path, text: str) -> None:
    """Refuse aliases and deep nesting from the parser's events, before anything builds
    the data: YAML's parser slows down with depth, and building nests Python calls (a
    small file of nested lists would take a minute, then overflow the stack)."""
    depth = 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.AliasEvent):
            raise SourceError(path, "YAML aliases (*name) are not allowed in source.yml")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_SOURCE_YML_DEPTH:
                raise SourceError(path, f"lists or mappings nested over {MAX_SOURCE_YML_DEPTH} "
                                        "deep: source.yml holds a few fields, not data")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _shown(name: str) -> str:
    """A file or folder name as messages print it: control characters (a newline, a tab)
    escaped, so that a name cannot hide them or break a message in two."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def check_document_id(folder: Path) -> None:
    """A document's id is its folder's name: it must be a document id from start to end
    (lowercase letters, digits and hyphens), else the folder is refused by name."""
    name = folder.name
    if DOCUMENT_ID.fullmatch(name):
        return
    where = folder.parent / _shown(name)
    if name.startswith("."):
        why = ("is a hidden folder (its name starts with '.'); sources/ holds only document "
               "folders, none is skipped: rename it to its document id or move it out")
    elif not name.isprintable():
        why = ("folder name holds a control character (a newline, a tab, ...: shown "
               "escaped); a document id is lowercase letters, digits and hyphens only")
    else:
        why = ("folder name must be a document id: 3 to 100 lowercase letters, digits and "
               "hyphens, not starting with a hyphen")
    raise SourceError(where, why)


def load_source(folder: Path, limits: Limits = LIMITS) -> Source:
    """Validate a source folder: its id, source.yml, the document file, its size and its
    checksum."""
    check_document_id(folder)
    refuse_links(folder)
    meta = parse_meta(folder / SOURCE_FILE)
    source = Source(folder, meta)
    for entry, doc in zip(meta.file_list, source.documents):
        if not doc.is_file():
            raise SourceError(doc, f"document named in {SOURCE_FILE} is missing")
        check_size(doc, limits)
        actual = sha256_of(doc)
        if actual != entry.sha256:
            raise SourceError(doc, f"sha256 mismatch: file has {actual}, {SOURCE_FILE} says "
                                   f"{entry.sha256}; if the document really changed, update "
                                   "both")
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
    """Every folder under sources/, sorted so builds are deterministic. None is skipped:
    symbolic links and folders whose name is not a document id (a hidden folder, a name
    ending in a newline) are listed too, so that `load_source` refuses them by name."""
    return sorted(p for p in root.iterdir() if p.is_dir() or p.is_symlink())
