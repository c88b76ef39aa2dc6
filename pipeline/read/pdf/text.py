"""Chars into text: visual lines, a line's text with its spaces, a cell's wrapped lines joined."""
from __future__ import annotations

from pipeline.read.pdf.settings import ReaderSettings


def centre(char: dict) -> tuple[float, float]:
    return (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2


def lines(chars: list[dict]) -> list[list[dict]]:
    """Group chars into visual lines (top to bottom), each sorted left to right."""
    lines: list[list[dict]] = []
    top = bottom = 0.0
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        if lines and top <= mid <= bottom:
            lines[-1].append(c)
            bottom = max(bottom, c["bottom"])
        else:
            lines.append([c])
            top, bottom = c["top"], c["bottom"]
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def wide(ch: str) -> bool:
    """CJK ideographs, CJK and full-width punctuation, and typographic quotes and dashes."""
    return ord(ch[0]) >= 0x2000


def line_text(line: list[dict], settings: ReaderSettings, field_gap: float | None = None) -> str:
    """One visual line as text.

    A space goes between Latin/digit chars set apart by a word gap, and, when `field_gap`
    is given, between any chars set apart by that many ems (separate fields on one line).
    """
    out = [line[0]["text"]]
    for a, b in zip(line, line[1:]):
        gap = b["x0"] - a["x1"]
        em = max(a["size"], b["size"])
        latin = not (wide(a["text"][-1]) or wide(b["text"]))
        if (latin and gap > settings.word_gap * em) or (field_gap is not None and gap > field_gap * em):
            out.append(" ")
        out.append(b["text"])
    return "".join(out)


def cell_text(chars: list[dict], settings: ReaderSettings) -> str:
    """The text of a cell, its wrapped lines joined (CJK without spaces)."""
    text = ""
    for line in lines(chars):
        piece = line_text(line, settings)
        if text and _needs_space(text[-1], piece[0]):
            text += " "
        text += piece
    return text


def _needs_space(a: str, b: str) -> bool:
    """Between two wrapped lines: a space only where two Latin words (not digits) meet."""
    latin = a.isascii() and a.isalnum() and b.isascii() and b.isalnum()
    return latin and not (a.isdigit() and b.isdigit())


def line_crosses(line: list[dict], x: float, settings: ReaderSettings) -> bool:
    """Does a word of this visual line run over position x?"""
    left = [c for c in line if centre(c)[0] < x]
    right = [c for c in line if centre(c)[0] >= x]
    if not (left and right):
        return False
    a = max(left, key=lambda c: c["x1"])
    b = min(right, key=lambda c: c["x0"])
    return b["x0"] - a["x1"] < settings.word_gap * max(a["size"], b["size"])
