"""Limits on one document, so a hostile or broken contribution cannot exhaust a build."""

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # departmental budget PDFs are rarely over 10 MB
MAX_PAGES = 400  # the longest consolidated disclosures run to a few hundred pages
MAX_SECONDS = 300.0  # wall time to read one document; a hung parse is stopped after this
MAX_WORKER_MEMORY = 2 * 1024**3  # bytes of address space per worker: stops decompression bombs
