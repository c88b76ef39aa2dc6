"""The reader's tuning: distances and shares, in points, ems or fractions, as one frozen value."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderSettings:
    """How the PDF reader tells rules, columns, rows and scans apart (cf. pdfplumber's
    TableSettings). The defaults are the ones the published package is built with."""

    snap: float = 3.0  # pt: rules this close are one rule; pieces of a rule this close are joined
    thin: float = 2.5  # pt: a filled rectangle at most this thick is drawn as a rule
    word_gap: float = 0.2  # em: a wider gap between two Latin/digit chars is a space
    field_gap: float = 0.9  # em: outside tables, a wider gap between any two chars is a space
    body_gap: float = 1.5  # em: the widest gap between rows of an unruled table body
    scan_cover: float = 0.5  # a page whose images cover this share of it, with hardly any text,
    scan_stray_chars: int = 12  # (at most this many chars: a page number, a stamp) is a scan
    # A text page with an image (images that touch are one) covering this share of it, at
    # most scan_stray_chars chars over it, prints a table as that image (read by OCR,
    # read/ocr/). A quarter of a page holds a table of a dozen rows; the logos, seals and
    # charts of these documents cover less (a pie chart in a narrative: at most a fifth).
    image_table_cover: float = 0.25
    column_gap: float = 1.0  # em: in a table drawn without rules, a wider gap on a line parts two columns
    header_lines: int = 8  # at most this many text lines above an unruled body are its header
    size_change: float = 0.15  # a line set this much larger or smaller is not part of the table
    prose_width: float = 0.5  # a run of text wider than this share of the page's text is prose
    amount_gap: float = 0.05  # em: an amount this far from a label beside it is in another column
    use_rules: bool = True  # False leaves the drawn rules out: every table is found from its text
