"""Limits on one document, so a hostile or broken contribution cannot exhaust a build."""
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ReadError


@dataclass(frozen=True)
class Limits:
    """What one document may take; `LIMITS` holds the defaults every build uses."""

    document_bytes: int = 50 * 1024 * 1024  # departmental budget PDFs are rarely over 10 MB
    pages: int = 400  # the longest consolidated disclosures run to a few hundred pages
    seconds: float = 300.0  # wall time to read one document; a hung parse is stopped after this
    worker_memory: int = 2 * 1024**3  # bytes of address space per worker: stops decompression bombs


LIMITS = Limits()


def check_size(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a file over `limits.document_bytes` before anything reads it, hashing included."""
    size = path.stat().st_size
    if size > limits.document_bytes:
        raise ReadError(path, f"{size / 2**20:.0f} MiB is over the limit of "
                              f"{limits.document_bytes // 2**20} MiB per document")
