"""The OCR engine: rapidocr-onnxruntime, whose wheel carries the PP-OCRv4 text detection and
recognition models (Chinese with digits and Latin) and runs them with onnxruntime on the
CPU, offline. It is the `ocr` extra; everything here works out whether it is installed
before importing it, and loads the models once per process, on first use."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import metadata
from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PACKAGE = "rapidocr-onnxruntime"
INSTALL = "pip install -e '.[ocr]'"


@dataclass(frozen=True)
class TextBox:
    """One line of text as the engine read it: its box on the image (pixels, upright) and
    the engine's confidence (0-1)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    score: float


def version() -> str | None:
    """The engine as '<package> <version>', or None when the `ocr` extra is not installed;
    a build's cache keeps outcomes apart by it."""
    try:
        found = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    return f"{PACKAGE} {found}" if find_spec("rapidocr_onnxruntime") else None


def available() -> bool:
    """Whether pages without a text layer can be read here."""
    return version() is not None


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _few_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena, 64 MiB of address space each:
    with the engine's threads those spend half the address space a build worker may use
    (limits.worker_memory) for nothing. Two are enough; elsewhere than glibc, nothing to do."""
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass


@lru_cache(maxsize=1)
def _engine(detect_side: int):
    from rapidocr_onnxruntime import RapidOCR

    _few_malloc_arenas()

    # no angle classifier: pages are upright once straightened, and it can turn a short
    # amount such as 0.00 upside down
    return RapidOCR(use_cls=False, det_limit_type="max", det_limit_side_len=detect_side,
                    det_box_thresh=0.3,  # a single character alone in a cell (项) is kept
                    max_side_len=100_000)  # the page is read at full size


def read_text(pixels: np.ndarray, detect_side: int = 1280) -> list[TextBox]:
    """The lines of text on a grayscale page image, each with its box. Lines are found on
    the image scaled to `detect_side` pixels at most, and read at full size. Each box is
    fitted to its ink (the line finder's margins would put the text off its place: 支 of a
    header spaced out over two columns drawn across the rule between them); a mark read at
    an end of a line where the box holds no ink (a comma in a blank indent) is read again
    from the ink; and boxes of one line whose ink overlaps (a number the line finder broke
    in two, 8,316. and 350430) are read again as one."""
    from pipeline.read.ocr.image import ink_level, ink_span

    result, _ = _engine(detect_side)(pixels)
    level = ink_level(pixels)
    boxes = []
    for quad, text, score in result or ():
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        if text.strip():
            box = TextBox(text, min(xs), min(ys), max(xs), max(ys), float(score))
            span = ink_span(pixels, (box.x0, box.top, box.x1, box.bottom), level)
            boxes.append(_fitted(pixels, box, span, detect_side) if span else box)
    return _joined(pixels, boxes, detect_side)


MARKS = "，,。.、；;"  # marks the recognizer may read in a blank margin


def _fitted(pixels: np.ndarray, box: TextBox, span: tuple[int, int],
            detect_side: int) -> TextBox:
    """The box narrowed to the columns its ink spans; read again from that ink when its
    text begins or ends with a mark (MARKS) where the box is blank for half a line's height
    or more."""
    fitted = replace(box, x0=max(box.x0, span[0]), x1=min(box.x1, span[1]))
    blank = (box.bottom - box.top) / 2
    text = box.text.strip()
    if (text[0] in MARKS and fitted.x0 - box.x0 >= blank) or \
            (text[-1] in MARKS and box.x1 - fitted.x1 >= blank):
        again = read_line(pixels, _padded(pixels, fitted), detect_side)
        if again is not None:
            return replace(fitted, text=again.text, score=again.score)
    return fitted


def _padded(pixels: np.ndarray, box: TextBox) -> tuple[int, int, int, int]:
    """A box fitted to its ink with a quarter of its height of paper each side, to be read."""
    pad = (box.bottom - box.top) / 4
    h, w = pixels.shape[:2]
    return (max(0, int(box.x0 - pad)), max(0, int(box.top)), min(w, int(box.x1 + pad) + 1),
            min(h, int(box.bottom) + 1))


def _joined(pixels: np.ndarray, boxes: list[TextBox], detect_side: int) -> list[TextBox]:
    """Boxes of one line whose ink overlaps (each fitted to its ink, one starts before the
    other ends, their tops and bottoms within a quarter of their height: the line finder
    broke a line in two) read again as one box; left as they are when that reading is not
    sure. A box taller than its neighbour (over two lines of a cell) is no part of its line,
    but for a lone stroke (一) inside its height: the line finder boxes a large 一 apart, and
    the box of the rest of its line takes in its tail as '-'."""

    def one_line(a: TextBox, b: TextBox) -> bool:
        near = min(a.bottom - a.top, b.bottom - b.top) / 4
        if a.x0 <= b.x0 < a.x1 and _stroke(a) and a.top >= b.top and a.bottom <= b.bottom:
            return True  # a large title's 一 boxed alone, the box of the rest over its tail
        return a.x0 <= b.x0 < a.x1 and abs(a.top - b.top) <= near and \
            abs(a.bottom - b.bottom) <= near

    out: list[TextBox] = []
    for box in sorted(boxes, key=lambda b: (b.x0, b.top)):
        run = next((o for o in out if one_line(o, box)), None)
        if run is None:
            out.append(box)
            continue
        whole = TextBox("", run.x0, min(run.top, box.top), max(run.x1, box.x1),
                        max(run.bottom, box.bottom), 0.0)
        again = read_line(pixels, _padded(pixels, whole), detect_side)
        if again is None:
            out.append(box)
        else:
            out[out.index(run)] = replace(whole, text=again.text, score=again.score)
    return out


def _stroke(box: TextBox) -> bool:
    """Whether a box reads as one horizontal stroke: 一, or a dash."""
    return box.text.strip() in ("一", "-", "—", "－", "_")


def read_line(pixels: np.ndarray, box: tuple[int, int, int, int],
              detect_side: int = 1280) -> TextBox | None:
    """The text in one box (x0, top, x1, bottom) of the image, read as one line without
    looking for lines first: for ink the line finder passed over (a lone 0 in a cell). None
    when the recognizer is not sure of it (below its usual score)."""
    x0, top, x1, bottom = box
    engine = _engine(detect_side)
    result, _ = engine(pixels[top:bottom, x0:x1], use_det=False, use_cls=False, use_rec=True)
    if not result:
        return None
    text, score = result[0][0], float(result[0][1])
    if not text.strip() or score < engine.text_score:
        return None
    return TextBox(text, x0, top, x1, bottom, score)
