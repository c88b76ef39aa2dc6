"""The PDF header, checked in one place: how a file says it is a PDF."""
from __future__ import annotations

HEADER_SCAN = 1024  # bytes: the PDF header may follow a little junk


def is_pdf(head: bytes) -> bool:
    """Does this start of a file (its first HEADER_SCAN bytes or more) carry the PDF header?"""
    return b"%PDF-" in head[:HEADER_SCAN]
