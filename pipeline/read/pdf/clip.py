"""What part of the page shows: pdfminer run with the clipping path applied, and box geometry."""
from __future__ import annotations

from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.utils import apply_matrix_pt
from pdfplumber.page import Page as PlumberPage
from pdfplumber.page import PDFPageAggregatorWithMarkedContent


class _ClipTracker(PDFPageInterpreter):
    """A pdfminer interpreter that follows the clipping path, as a device-space box.

    pdfminer ignores clipping. Producers such as WPS draw a whole sheet or section on
    every page and clip it to that page's part, so without this the text of neighbouring
    pages shows up again, invisibly, on each page.
    """

    inherited_clip: tuple | None = None

    def init_state(self, ctm) -> None:
        super().init_state(ctm)
        self._set_clip(self.inherited_clip)

    def get_current_state(self):
        return (*super().get_current_state(), self.clip)

    def set_current_state(self, state) -> None:
        *base, clip = state
        super().set_current_state(tuple(base))
        self._set_clip(clip)

    def do_W(self) -> None:
        points = [apply_matrix_pt(self.ctm, seg[i:i + 2])
                  for seg in self.curpath for i in range(1, len(seg) - 1, 2)]
        if points:
            box = (min(p[0] for p in points), min(p[1] for p in points),
                   max(p[0] for p in points), max(p[1] for p in points))
            self._set_clip(box if self.clip is None else intersection(self.clip, box))

    do_W_a = do_W

    def subinterp(self) -> PDFPageInterpreter:
        interp = super().subinterp()
        interp.inherited_clip = self.clip
        return interp

    def do_Do(self, xobjid_arg) -> None:
        super().do_Do(xobjid_arg)
        self.device.clip = self.clip

    def _set_clip(self, clip: tuple | None) -> None:
        self.clip = self.device.clip = clip


class _ClippingDevice(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, leaving out what the current clip box hides."""

    clip: tuple | None = None

    def render_char(self, *args, **kwargs) -> float:
        adv = super().render_char(*args, **kwargs)
        objs = self.cur_item._objs
        if self.clip is not None and not centre_in(objs[-1].bbox, self.clip):
            objs.pop()
        return adv

    def paint_path(self, *args, **kwargs) -> None:
        """Keep the visible part of each line or rectangle (a rule may run on past the clip)."""
        start = len(self.cur_item._objs)
        super().paint_path(*args, **kwargs)
        if self.clip is None:
            return
        kept = []
        for obj in self.cur_item._objs[start:]:
            box = intersection(obj.bbox, self.clip)
            if box[0] <= box[2] and box[1] <= box[3]:
                obj.set_bbox(box)
                kept.append(obj)
        self.cur_item._objs[start:] = kept


def lay_out(page: PlumberPage) -> None:
    """Run pdfminer over the page with clipping applied, in place of pdfplumber's layout."""
    device = _ClippingDevice(page.pdf.rsrcmgr, pageno=page.page_number,
                             laparams=page.pdf.laparams)
    _ClipTracker(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()


def box(obj: dict) -> tuple:
    return obj["x0"], obj["top"], obj["x1"], obj["bottom"]


def intersection(a: tuple, b: tuple) -> tuple:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def centre_in(bbox: tuple, box: tuple) -> bool:
    x, y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
