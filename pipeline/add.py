"""Scaffold a new source folder from a document: copy it, write source.yml with what the
document itself says, and mark what the contributor must fill in."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .extract import Extraction, extract_document
from .sources import SOURCE_FILE, sha256_of
from .values import clean

TODO = "TODO"
LICENCE = ("Public government information published by the department under the Regulations "
           "on Open Government Information (政府信息公开条例).")


@dataclass
class Guess:
    """What could be read off the document for source.yml (None: not found)."""

    title: str | None
    department: str | None
    department_code: str | None
    division_code: str | None
    fiscal_year: int | None
    kind: str
    consolidated: bool


def guess_metadata(extraction: Extraction) -> Guess:
    """Department, year, kind and division as the document prints them."""
    texts = [clean(b) for b in extraction.document.text().split("\n")[:40] if clean(b)]
    head = " ".join(texts)
    years = re.findall(r"(20\d{2})\s*年", head)
    departments = Counter(extraction.department_names)
    dept_rows = [r for rows in extraction.rows.values() for r in rows
                 if r.get("line_type") == "department" and r.get("unit_code")]
    codes = Counter(r["project_code"][:6] for r in extraction.rows.get("performance_budgets", [])
                    if r.get("project_code"))
    end = next((i for i, t in enumerate(texts) if "预算" in t or "决算" in t), 0)
    title = "".join(texts[max(0, end - 2):end + 1]) if texts else None  # a cover title wraps
    return Guess(
        title=title,
        department=departments.most_common(1)[0][0] if departments else None,
        department_code=dept_rows[0]["unit_code"] if dept_rows else None,
        division_code=codes.most_common(1)[0][0] if codes else None,
        fiscal_year=int(Counter(years).most_common(1)[0][0]) if years else None,
        kind="final_accounts" if title and "决算" in title else "budget",
        consolidated=bool(re.search(r"[(（]汇总[)）]", head)),
    )


def _q(value) -> str:
    return f'"{value}"' if value is not None else f'"{TODO}"'


def source_yml(guess: Guess, file: str, fmt: str, sha256: str) -> str:
    """source.yml text: values read from the document, TODO where a person must look."""
    return f"""# Written by `python -m pipeline add`. Check every value against the document and
# replace each TODO; the build rejects this file until they are filled in.
title: {_q(guess.title)}
department:
  name: {_q(guess.department)}
  code: {_q(guess.department_code) if guess.department_code else 'null  # the department code, if printed (e.g. "709")'}
division:
  name: "{TODO}"   # e.g. 河南省新乡市
  code: {_q(guess.division_code)}   # GB/T 2260 six-digit code{' (from project codes)' if guess.division_code else ''}
fiscal_year: {guess.fiscal_year or TODO}
kind: {guess.kind}   # budget or final_accounts
consolidated: {'true' if guess.consolidated else 'false'}   # true for a 汇总 department
file: {file}
format: {fmt}
sha256: {sha256}
published:
  url: "{TODO}"   # the page on the department's site where the document is published
  date: "{TODO}"   # the publication date as shown there: YYYY-MM-DD (or YYYY-MM); null if none
licence: "{LICENCE}"
"""


def add_document(file: Path, sources_dir: Path, document_id: str | None = None) -> tuple[Path, Extraction]:
    """Copy `file` into a new sources/<id>/ folder with a scaffolded source.yml."""
    extraction = extract_document(file, document_id or "new-document")
    guess = guess_metadata(extraction)
    sha = sha256_of(file)
    document_id = document_id or "-".join(
        str(p) for p in (guess.division_code or "000000", guess.fiscal_year or "year",
                         guess.kind.replace("_", "-"), sha[:8]))
    folder = sources_dir / document_id
    if folder.exists():
        raise SourceError(folder, "already exists; choose another --id")
    fmt = extraction.document.format
    name = "document.pdf" if fmt == "pdf" else "transcript.txt"
    folder.mkdir(parents=True)
    shutil.copyfile(file, folder / name)
    (folder / SOURCE_FILE).write_text(source_yml(guess, name, fmt, sha), encoding="utf-8")
    return folder, extraction
