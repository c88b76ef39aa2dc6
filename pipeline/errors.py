"""Errors that name the file (and page/table where known) so a contributor can act on them."""
from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Something wrong with one source; the rest of the batch still builds."""

    def __init__(self, path: Path | str | None, message: str, *, page: int | None = None,
                 table: str | None = None):
        self.path = Path(path) if path is not None else None
        self.message = message
        self.page = page
        self.table = table
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [str(self.path)] if self.path else []
        if self.table:
            where.append(f"table {self.table!r}")
        if self.page is not None:
            where.append(f"page {self.page}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SourceError(PipelineError):
    """source.yml missing or invalid, checksum mismatch, document file missing."""


class ReadError(PipelineError):
    """The document cannot be read: not a PDF, truncated, encrypted, no text layer, bad encoding."""


class RecognitionError(PipelineError):
    """The document was read but holds none of the standard tables, or a table cannot be parsed."""
