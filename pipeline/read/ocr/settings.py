"""The OCR reader's tuning, as one frozen value (like the PDF reader's ReaderSettings)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrSettings:
    """How a page image is made and read. Lengths are in inches of the page (so they hold
    at any resolution) unless named otherwise."""

    dpi: int = 200  # the page is rendered at this resolution
    max_pixels: int = 16_000_000  # a larger page (a poster, a hostile page box) is rendered coarser
    detect_side: int = 1280  # pixels: text lines are found on the page scaled to this, read at dpi
    max_skew: float = 5.0  # degrees: a scan turned further than this is not straightened
    skew_step: float = 0.05  # degrees: how finely the skew is measured
    min_skew: float = 0.15  # degrees: a page turned less than this is left as it is
    rule_length: float = 0.4  # a straight run of ink this long, and thin, is a ruling line
    short_rule: float = 0.1  # a shorter one is, from one ruling line to another across it
    rule_width: float = 0.04  # a rule is at most this thick (thicker is a filled area)
    rule_gap: float = 0.02  # breaks this short in a scanned rule are closed
    rule_contrast: int = 24  # a rule is this much darker (of 255) than the paper around it
    crossed: float = 0.15  # a stroke ink crosses along more of its length is a character's
    text_height: float = 5.0  # points: ink at least this tall (and at most thrice) can be text
    word_gap: float = 0.03  # ink this close together (inches) is one word, when read alone
    line_height: float = 1.15  # a text box's height over the size of its text (ems)
    same_size: float = 0.25  # boxes within this share of the page's usual height share its size
    narrow: float = 0.5  # ems a digit, Latin letter or ASCII sign takes; a CJK char takes 1
