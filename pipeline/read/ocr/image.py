"""Page images for OCR: rendered from the PDF (pypdfium2), straightened, and their ruling
lines found and wiped (OpenCV morphology), so the text between them reads cleanly."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium

from pipeline.read.ocr.settings import OcrSettings


INK = 128  # a pixel darker than this (of 255) is ink
FAINT = 208  # one darker than this is no blank paper (a thin stroke may render this pale)


@dataclass
class PageImage:
    """A page as a grayscale image (0 ink .. 255 paper) at `dpi`, and how far it was turned
    to straighten it (degrees, counter-clockwise)."""

    pixels: np.ndarray
    dpi: int
    turned: float = 0.0

    @property
    def points(self) -> float:
        """Points (1/72 inch, the PDF's unit) per pixel."""
        return 72 / self.dpi


def render(pdf: pdfium.PdfDocument, index: int, settings: OcrSettings) -> PageImage:
    """Page `index` (from 0) of an open PDF as a grayscale image at `settings.dpi`, upright
    (the page's /Rotate applied), the way a viewer shows it; a page too large for that many
    pixels (`settings.max_pixels`) at a lower resolution."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        dpi = min(settings.dpi, int(72 * (settings.max_pixels / max(width * height, 1.0)) ** 0.5))
        bitmap = page.render(scale=max(dpi, 1) / 72, grayscale=True)
        pixels = bitmap.to_numpy().copy()
        bitmap.close()
    finally:
        page.close()
    return PageImage(pixels, max(dpi, 1))


def ink(pixels: np.ndarray) -> np.ndarray:
    """The inked pixels (255) of a grayscale image, the threshold chosen by Otsu's method."""
    return cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]


def lines_of_ink(pixels: np.ndarray, dpi: int, settings: OcrSettings) -> np.ndarray:
    """The pixels darker than the paper right around them by `rule_contrast` (255): thin
    lines however light their ink (a grey rule, on white or on a shaded header), where a
    threshold on the whole page loses them (black-hat transform)."""
    size = round(settings.rule_width * dpi) * 2 + 1
    hat = cv2.morphologyEx(pixels, cv2.MORPH_BLACKHAT,
                           cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return cv2.threshold(hat, settings.rule_contrast, 255, cv2.THRESH_BINARY)[1]


def _rotate(pixels: np.ndarray, degrees: float, fill: int, linear: bool) -> np.ndarray:
    h, w = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(pixels, matrix, (w, h), borderValue=fill,
                          flags=cv2.INTER_LINEAR if linear else cv2.INTER_NEAREST)


def _sharpness(binary: np.ndarray, degrees: float) -> float:
    """How sharply rows of ink and rows of paper alternate once the image is turned by
    `degrees`: lines of text and ruling lines lie along rows when the page is straight."""
    profile = _rotate(binary, degrees, 0, False).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(profile)).sum())


def skew(pixels: np.ndarray, settings: OcrSettings) -> float:
    """The turn (degrees, counter-clockwise) that straightens the page: the one whose rows
    of ink are sharpest, searched coarsely on a quarter-size image, then finely on the
    whole."""
    binary = ink(pixels)
    quarter = cv2.resize(binary, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    coarse = np.arange(-settings.max_skew, settings.max_skew + 1e-9, 0.5)
    best = max(coarse, key=lambda a: _sharpness(quarter, a))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, settings.skew_step)
    return float(max(fine, key=lambda a: _sharpness(binary, a)))


def straighten(image: PageImage, settings: OcrSettings) -> PageImage:
    """The page turned upright when it was scanned a few degrees askew."""
    if not (ink(image.pixels) > 0).any():
        return image
    degrees = skew(image.pixels, settings)
    if abs(degrees) < settings.min_skew:
        return image
    return PageImage(_rotate(image.pixels, degrees, 255, True), image.dpi, degrees)


@dataclass(frozen=True)
class Stroke:
    """A straight thin run of ink, in pixels: `pos` is y for a horizontal one, x for a
    vertical one (as the PDF reader's rules.Seg)."""

    pos: float
    start: float
    end: float
    width: float


def strokes(image: PageImage, settings: OcrSettings) -> tuple[list[Stroke], list[Stroke]]:
    """The ruling lines of the page, (horizontal, vertical): straight thin runs of ink at
    least `rule_length` long (longer than any stroke of a character, a title's included),
    and shorter ones, down to `short_rule`, that run from one such rule to another across
    them (a header's cell closed by rules on both sides). A band thicker than `rule_width`
    is a shaded area, not a rule, and one that ink crosses all along (`_crossed`) is a
    character's."""
    binary = lines_of_ink(image.pixels, image.dpi, settings)
    short = max(3, round(settings.short_rule * image.dpi))
    long = max(short, round(settings.rule_length * image.dpi))
    gap = max(1, round(settings.rule_gap * image.dpi))
    widest = max(2, round(settings.rule_width * image.dpi))
    found = []
    for horizontal in (True, False):
        shape = (short, 1) if horizontal else (1, short)
        closing = (gap, 1) if horizontal else (1, gap)
        mask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, closing))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        runs = []
        for x, y, w, h, _ in stats[1:count]:
            along, across = (w, h) if horizontal else (h, w)
            if along >= short and across <= widest:
                runs.append(Stroke(y + h / 2, x, x + w, h) if horizontal
                            else Stroke(x + w / 2, y, y + h, w))
        found.append([r for r in runs if not _crossed(image.pixels, r, horizontal, settings)])
    long_h = [s for s in found[0] if s.end - s.start >= long]
    long_v = [s for s in found[1] if s.end - s.start >= long]

    def closed(s: Stroke, across: list[Stroke]) -> bool:
        """Both ends of `s` on a rule across it: a piece of rule runs into the rules that
        close it (a character's stroke stops short of them)."""
        return all(any(abs(a.pos - end) <= a.width / 2 + gap and
                       a.start - gap <= s.pos <= a.end + gap for a in across)
                   for end in (s.start, s.end))

    return ([s for s in found[0] if s.end - s.start >= long or closed(s, long_v)],
            [s for s in found[1] if s.end - s.start >= long or closed(s, long_h)])


def _crossed(pixels: np.ndarray, s: Stroke, horizontal: bool, settings: OcrSettings) -> bool:
    """Whether ink crosses the stroke along more than `settings.crossed` of its length (ink
    right beside it on both sides): the strokes of a character, joined with its neighbour's
    (基本 of a large title: 款基 read as one run 0.5 inch long), not a rule, which only the
    rules across it cross."""
    near = s.width / 2 + 2
    a, b = int(s.pos - near) - 1, int(np.ceil(s.pos + near)) + 1
    lo, hi = int(s.start), int(s.end)
    if a < 0 or b >= (pixels.shape[0] if horizontal else pixels.shape[1]):
        return False
    if horizontal:
        before, after = pixels[a:a + 2, lo:hi], pixels[b - 1:b + 1, lo:hi]
        across = 0
    else:
        before, after = pixels[lo:hi, a:a + 2], pixels[lo:hi, b - 1:b + 1]
        across = 1
    both = (before < INK).any(axis=across) & (after < INK).any(axis=across)
    return bool(both.size) and both.mean() > settings.crossed


def wipe(image: PageImage, horizontal: list[Stroke], vertical: list[Stroke]) -> PageImage:
    """The image with these strokes painted over in the paper's colour (a pixel of margin
    each side), so no ruling line is read as a character beside the text it frames."""
    pixels = image.pixels.copy()
    h, w = pixels.shape
    for s in horizontal:
        half = s.width / 2 + 1
        pixels[max(0, int(s.pos - half)):min(h, int(np.ceil(s.pos + half)) + 1),
               max(0, int(s.start) - 1):min(w, int(s.end) + 1)] = 255
    for s in vertical:
        half = s.width / 2 + 1
        pixels[max(0, int(s.start) - 1):min(h, int(s.end) + 1),
               max(0, int(s.pos - half)):min(w, int(np.ceil(s.pos + half)) + 1)] = 255
    return PageImage(pixels, image.dpi, image.turned)


def ink_span(pixels: np.ndarray, box: tuple[float, float, float, float],
             level: float) -> tuple[int, int] | None:
    """The first and last columns (pixels) of a box (x0, top, x1, bottom) of the image that
    hold ink (darker than `level`), or None when it holds none."""
    x0, top, x1, bottom = (int(v) for v in box)
    h, w = pixels.shape
    x0, x1 = max(0, x0), min(w, x1 + 1)
    columns = np.flatnonzero((pixels[max(0, top):min(h, bottom + 1), x0:x1] < level).any(axis=0))
    return (x0 + int(columns[0]), x0 + int(columns[-1]) + 1) if len(columns) else None


def ink_level(pixels: np.ndarray) -> float:
    """The grey below which a pixel is not blank paper: FAINT, or Otsu's threshold (as
    `ink`) where that is lighter; a thin stroke rendered grey (the 一 of 一般, two rows of
    pale grey at 200 dpi) counts."""
    return max(float(cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[0]),
               FAINT)


def inked(image: PageImage, box: tuple[int, int, int, int]) -> bool:
    """Whether a box (x0, top, x1, bottom) of the image holds any ink (dark pixels)."""
    x0, top, x1, bottom = box
    return bool((image.pixels[top:bottom, x0:x1] < INK).any())


def widened(image: PageImage, box: tuple[float, float, float, float],
            stops: list[float]) -> tuple[int, int, int, int] | None:
    """The box (x0, top, x1, bottom) widened over ink right beside it on its line, up to the
    nearest stop (a rule, another box; a line's height at most): the leading 一 of 一、 that
    the line finder leaves out. Ink counts in the middle half of the line's height only
    (the box's margins reach the strokes of the lines above and below); a pale one (FAINT:
    a thin 一 rendered grey) where it runs a quarter of the line's height at least (the
    edge of a wiped rule does not). None when there is no such ink."""
    x0, top, x1, bottom = box
    reach, middle = bottom - top, (x0 + x1) / 2
    left = max([s for s in stops if s < middle] + [x0 - reach])  # past x0: it overlaps
    right = min([s for s in stops if s > middle] + [x1 + reach])
    h, w = image.pixels.shape
    band = image.pixels[max(0, int(top + reach / 4)):min(h, int(bottom - reach / 4) + 1)]

    def beside(level: int, least: float) -> tuple[np.ndarray, np.ndarray]:
        columns = np.flatnonzero((band < level).any(axis=0))
        before = columns[(columns > left + 1) & (columns < x0)]
        after = columns[(columns > x1) & (columns < right - 1)]
        return (before if len(before) >= least else before[:0],
                after if len(after) >= least else after[:0])

    before, after = beside(INK, 1)
    if not len(before) and not len(after):
        before, after = beside(FAINT, reach / 4)
    if not len(before) and not len(after):
        return None
    pad = reach / 4
    return (int(max(left, before.min() - pad) if len(before) else x0), int(top),
            int(min(right, after.max() + pad) if len(after) else x1) + 1, int(bottom) + 1)


def own_rows(image: PageImage, box: tuple[float, float, float, float],
             others: list[tuple[float, float, float, float]]) -> tuple[float, float] | None:
    """The top and bottom of a box (x0, top, x1, bottom) cut back to its own bands of ink
    rows, where it reaches over ink that another box beside it reads (a box cut from a
    line-finder box over two lines of a header cell reaches the cell's second line, which
    its own box reads: 公务用车运行 over 维护费). None when it needs no cut."""
    x0, top, x1, bottom = (int(v) for v in box)
    h, w = image.pixels.shape
    top, bottom, x0, x1 = max(0, top), min(h, bottom + 1), max(0, x0), min(w, x1 + 1)
    rows = np.flatnonzero((image.pixels[top:bottom, x0:x1] < FAINT).any(axis=1))
    if not len(rows):
        return None
    breaks = np.flatnonzero(np.diff(rows) > 2)  # two blank rows part bands
    bands = [(top + int(rows[a]), top + int(rows[b]) + 1) for a, b in
             zip([0, *(breaks + 1)], [*breaks, len(rows) - 1])]
    if len(bands) < 2:
        return None

    def theirs(band: tuple[int, int]) -> bool:
        mid = (band[0] + band[1]) / 2
        return any(o[0] < x1 and o[2] > x0 and o[1] <= mid <= o[3] and
                   not (o[1] <= top + 1 and o[3] >= bottom - 1) for o in others)

    own = [b for b in bands if not theirs(b)]
    if not own or len(own) == len(bands):
        return None
    return float(own[0][0]), float(own[-1][1])


def unread_ink(image: PageImage, read: list[tuple[float, float, float, float]],
               settings: OcrSettings) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, top, x1, bottom, pixels, with a margin) around ink that no box in `read`
    covers and that is the size of a line of text: characters the line finder passed over.
    Specks and anything taller than a line are left out."""
    binary = ink(image.pixels)
    h, w = binary.shape
    for x0, top, x1, bottom in read:
        binary[max(0, int(top)):min(h, int(bottom) + 1), max(0, int(x0)):min(w, int(x1) + 1)] = 0
    join = max(1, round(settings.word_gap * image.dpi))
    joined = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, (join, 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    lowest, highest = settings.text_height * image.dpi / 72, 3 * settings.text_height * image.dpi / 72
    out = []
    for x, y, bw, bh, area in stats[1:count]:
        if lowest <= bh <= highest and area >= 0.3 * lowest * lowest:
            pad = round(bh / 2)
            out.append((max(0, x - pad), max(0, y - pad // 2), min(w, x + bw + pad),
                        min(h, y + bh + pad // 2)))
    return out
