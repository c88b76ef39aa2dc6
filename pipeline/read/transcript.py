"""Read a transcript (UTF-8 text) into the intermediate form.

Transcripts hold a disclosure written out by hand or by a converter: narrative lines, and
tables as tab-separated rows or markdown pipe tables. A transcript has no pages, so it
becomes one page numbered None. A blank line ends a grid: the recognizer decides whether
the next grid continues the same table, exactly as it does for a PDF page break.
"""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import ReadError
from pipeline.model import Document, Grid, Page, TextBlock

_PIPE_SEPARATOR = re.compile(r"^\|?[\s:|-]*-[\s:|-]*\|?$")  # |---|:--| | -- | …


def _row_kind(line: str) -> str | None:
    if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
        return "pipe"
    if "\t" in line:
        return "tab"
    return None


def _split(line: str, kind: str) -> list[str]:
    if kind == "pipe":
        return [c.strip() for c in line.strip()[1:-1].split("|")]
    return [c.strip() for c in line.rstrip("\r\n").split("\t")]


def read_transcript(path: Path) -> Document:
    """Parse a transcript file into a one-page Document of TextBlocks and Grids."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(path, f"transcript is not UTF-8 text (byte {exc.start}); "
                              "save it as UTF-8") from None
    if "\x00" in text:
        raise ReadError(path, "transcript contains NUL bytes; is it a binary file?")
    page = Page(None)
    rows: list[list[str]] = []
    grid_kind: str | None = None
    start = 0

    def flush() -> None:
        nonlocal rows, grid_kind
        if rows and any(any(c for c in r) for r in rows):
            page.items.append(Grid.from_rows(rows, None, start))
        rows, grid_kind = [], None

    for number, line in enumerate(text.splitlines(), start=1):
        kind = _row_kind(line)
        if kind is None:
            flush()
            if line.strip():
                page.items.append(TextBlock(line.strip(), None, number))
            continue
        if kind != grid_kind:
            flush()
            grid_kind, start = kind, number
        if kind == "pipe" and _PIPE_SEPARATOR.match(line.strip()):
            continue
        rows.append(_split(line, kind))
    flush()
    if not page.items:
        raise ReadError(path, "transcript is empty")
    return Document(path, "transcript", [page])
