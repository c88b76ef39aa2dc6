"""What the PDF reader builds grids from, made from a page image: the ruling lines as rules
in points, and the recognized text as chars in points. The PDF reader's own steps then
build the page's grids and text blocks (`pipeline.read.pdf.page_items`): the lattice from
the rules, a cell's text from the chars centred in it, rows found from the text where rules
are missing, tables printed without rules from the text's alignment. Nothing is decided
twice."""
from __future__ import annotations

import re
import statistics
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline import families
from pipeline.read.ocr.settings import OcrSettings
from pipeline.read.pdf.rules import Seg, ruling_lines
from pipeline.read.pdf.settings import ReaderSettings
from pipeline.read.pdf.text import wide

if TYPE_CHECKING:
    from pipeline.read.ocr.engine import TextBox
    from pipeline.read.ocr.image import PageImage, Stroke

# an amount the engine wrote with a Chinese comma or stop, or a full-width dash: 1，234。56
_AMOUNT_MARKS = str.maketrans({"，": ",", "。": ".", "．": ".", "－": "-", "—": "-"})
_MISMARKED_AMOUNT = re.compile(r"[-－—]?\d{1,3}([,，]\d{3})*[.。．]\d+|[-－—]?\d+[.。．]\d+")
# characters the recognizer takes for others in these documents (收人 for 收入, 事冬 for 事务,
# 公务按待费 for 公务接待费)
CONFUSED = {"人": "入", "入": "人", "冬": "务", "按": "接"}
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_O_FOR_ZERO = re.compile(r"[-\d,.]*[Oo][-\dOo,.]*")  # 1O.81, a lone O: digits
_MARK_IN_NUMBER = re.compile(r"(?<=\d)[，。．](?=\d)")  # 91，016，775.35: a Chinese mark
_AMOUNT_MARKS_ONLY = {"，": ",", "。": ".", "．": "."}
_SPACE_IN_NUMBER = re.compile(r"(?<=\d[,，.。．])\s+(?=\d)|(?<=\d)\s+(?=[,，.。．]\d)")


def table_strokes(horizontal: list[Stroke], vertical: list[Stroke],
                  image: PageImage, settings: ReaderSettings) -> tuple[list[Stroke], list[Stroke]]:
    """The strokes that meet a stroke across them (within `settings.snap`): a table's rules.
    A stroke alone (an underline, a dash ―― printed in a cell) is left to be read as text."""
    snap = settings.snap / image.points

    def meets(a: Stroke, b: Stroke) -> bool:
        return a.start - snap <= b.pos <= a.end + snap and b.start - snap <= a.pos <= b.end + snap

    return ([h for h in horizontal if any(meets(h, v) for v in vertical)],
            [v for v in vertical if any(meets(v, h) for h in horizontal)])


def pieces(box: TextBox, vertical: list[Stroke]) -> list[tuple[int, int, int, int]]:
    """A box the line finder drew across a table's column rules (an amount run on into the
    label of the next column, or its margin over the rule) cut at the rules: the pieces
    (x0, top, x1, bottom); none when no rule runs through it."""
    mid = (box.top + box.bottom) / 2
    cuts = sorted(v.pos for v in vertical if v.start <= mid <= v.end and box.x0 < v.pos < box.x1)
    if not cuts:
        return []
    edges = [box.x0, *cuts, box.x1]
    return [(int(a), int(box.top), int(b) + 1, int(box.bottom) + 1)
            for a, b in zip(edges, edges[1:])]


def taken(piece: tuple[int, int, int, int], box: TextBox, others: list[TextBox]) -> bool:
    """Whether a piece of `box` lies mostly in another box: its ink is that box's (the last
    digit of the amount before, which this box's margin took in)."""
    x0, top, x1, bottom = piece
    mid = (top + bottom) / 2
    return any(o is not box and o.top < mid < o.bottom and
               min(x1, o.x1) - max(x0, o.x0) > (x1 - x0) / 2 for o in others)


def rules(horizontal: list[Stroke], vertical: list[Stroke], image: PageImage,
          settings: ReaderSettings) -> tuple[list[Seg], list[Seg]]:
    """Strokes as the PDF reader's ruling lines in points, (horizontal, vertical), merged
    by its own rules.ruling_lines as it merges a PDF's drawn lines."""
    k = image.points
    lines = [{"x0": s.start * k, "x1": s.end * k, "top": s.pos * k, "bottom": s.pos * k}
             for s in horizontal]
    lines += [{"x0": s.pos * k, "x1": s.pos * k, "top": s.start * k, "bottom": s.end * k}
              for s in vertical]
    h, w = image.pixels.shape
    return ruling_lines(lines, [], [], (0, 0, w * k, h * k), settings)


def clean_text(text: str) -> str:
    """The engine's text as printed: no space beside a number's comma or point (5, 417. 80
    is 5,417.80), a Chinese comma or stop between digits (the recognizer's look-alikes) is
    the ASCII one, the letter O among digits (or alone) is a 0, an amount written with a
    full-width dash gets its ASCII marks back, and an underscore (a line under the text,
    read as a mark: 13656.34_万元) is no text."""
    text = _SPACE_IN_NUMBER.sub("", text.replace("_", "").strip())
    text = _MARK_IN_NUMBER.sub(lambda m: _AMOUNT_MARKS_ONLY[m.group()], text)
    if _O_FOR_ZERO.fullmatch(text):
        text = text.replace("O", "0").replace("o", "0")
    return text.translate(_AMOUNT_MARKS) if _MISMARKED_AMOUNT.fullmatch(text) else text


@lru_cache(maxsize=4)
def lexicon(family: str) -> frozenset[str]:
    """The pairs of adjacent Chinese characters in the words of a family file (its titles,
    column headers, vocabulary, item names): what these documents print."""
    pairs: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, str):
            for run in _CJK_RUN.findall(node):
                pairs.update(run[i:i + 2] for i in range(len(run) - 1))
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(families.load(family).raw)
    return frozenset(pairs)


def correct(text: str, words: frozenset[str]) -> str:
    """Undo the recognizer's confusions (CONFUSED) where the documents' words tell: a
    character that makes no known pair with either neighbour, and whose look-alike makes
    one, is the look-alike (收人 is 收入; 人员 stays)."""
    out = list(text)
    for i, ch in enumerate(out):
        alt = CONFUSED.get(ch)
        if alt is None:
            continue
        before, after = (out[i - 1] if i else ""), (out[i + 1] if i + 1 < len(out) else "")

        def known(c: str) -> bool:
            return (before + c) in words or (c + after) in words

        if not known(ch) and known(alt):
            out[i] = alt
    return "".join(out)


def chars(boxes: list[TextBox], image: PageImage, settings: OcrSettings) -> list[dict]:
    """Each box's text as chars in points, in the form pdfplumber gives a PDF's chars
    (text, x0, x1, top, bottom, size): the box's width shared out by the chars' widths (a
    CJK char one em, a digit or Latin char `settings.narrow` of one), a space leaving its
    gap. Boxes about as tall as the page's usual line share one size, so lines of a table
    count as set in one size, as they were printed."""
    k = image.points
    words = lexicon(families.current().name)
    heights = [b.bottom - b.top for b in boxes]
    usual = statistics.median(heights) if heights else 0.0
    out = []
    for box, height in zip(boxes, heights):
        text = correct(clean_text(box.text), words)
        if not text:
            continue
        same = abs(height - usual) <= settings.same_size * usual
        size = (usual if same else height) * k / settings.line_height
        weights = [1.0 if wide(ch) else settings.narrow for ch in text]
        step = (box.x1 - box.x0) / sum(weights)
        x = box.x0
        for ch, weight in zip(text, weights):
            if not ch.isspace():
                out.append({"text": ch, "x0": x * k, "x1": (x + weight * step) * k,
                            "top": box.top * k, "bottom": box.bottom * k, "size": size})
            x += weight * step
    return out
