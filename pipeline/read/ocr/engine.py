"""The OCR engine: rapidocr-onnxruntime, whose wheel carries the PP-OCRv4 text detection and
recognition models (Chinese with digits and Latin) and runs them with onnxruntime on the
CPU, offline. It is the `ocr` extra; everything here works out whether it is installed
before importing it, and loads the models once per process, on first use."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
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
    the image scaled to `detect_side` pixels at most, and read at full size."""
    result, _ = _engine(detect_side)(pixels)
    boxes = []
    for quad, text, score in result or ():
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        if text.strip():
            boxes.append(TextBox(text, min(xs), min(ys), max(xs), max(ys), float(score)))
    return boxes


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
