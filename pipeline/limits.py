"""Limits on one document, so a hostile or broken contribution cannot exhaust a build."""
from pathlib import Path

from pipeline.errors import ReadError

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # departmental budget PDFs are rarely over 10 MB
MAX_PAGES = 400  # the longest consolidated disclosures run to a few hundred pages
MAX_SECONDS = 300.0  # wall time to read one document; a hung parse is stopped after this
MAX_WORKER_MEMORY = 2 * 1024**3  # bytes of address space per worker: stops decompression bombs


def check_size(path: Path) -> None:
    """Refuse a file over MAX_DOCUMENT_BYTES before anything reads it, hashing included."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise ReadError(path, f"{size / 2**20:.0f} MiB is over the limit of "
                              f"{MAX_DOCUMENT_BYTES // 2**20} MiB per document")
