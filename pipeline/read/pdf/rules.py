"""Ruling lines: visibly inked strokes and thin filled bars or polygons, merged where they touch."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.read.pdf.clip import box, intersection
from pipeline.read.pdf.settings import ReaderSettings


@dataclass
class Seg:
    """A ruling line: `pos` is y for a horizontal rule, x for a vertical one."""

    pos: float
    start: float
    end: float


def _inked(color) -> bool:
    """False only for a colour that is (near) white; unknown colour spaces count as ink."""
    if color is None:
        return True
    values = color if isinstance(color, (tuple, list)) else (color,)
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return True
    if len(values) == 4:  # CMYK: white is no ink at all
        return max(values) > 0.05
    return min(values) < 0.95


def ruling_lines(lines, rects, curves, page_box: tuple,
                 settings: ReaderSettings) -> tuple[list[Seg], list[Seg]]:
    """The visible axis-aligned rules of a page, merged: (horizontal, vertical)."""
    h: list[Seg] = []
    v: list[Seg] = []

    def add(x0, y0, x1, y1, obj):
        """Add one stroke, cut to the page and to the object's (clipped) box."""
        box_ = intersection(page_box, box(obj))
        x0, x1 = max(min(x0, x1), box_[0]), min(max(x0, x1), box_[2])
        y0, y1 = max(min(y0, y1), box_[1]), min(max(y0, y1), box_[3])
        if 0 <= y1 - y0 <= settings.thin and x1 - x0 > settings.thin:
            h.append(Seg((y0 + y1) / 2, x0, x1))
        elif 0 <= x1 - x0 <= settings.thin and y1 - y0 > settings.thin:
            v.append(Seg((x0 + x1) / 2, y0, y1))

    for obj in lines:
        if obj.get("stroke", True) and _inked(obj.get("stroking_color")):
            add(*box(obj), obj)
    for obj in rects:
        x0, top, x1, bottom = box(obj)
        if obj.get("stroke") and _inked(obj.get("stroking_color")):
            for edge in ((x0, top, x1, top), (x0, bottom, x1, bottom),
                         (x0, top, x0, bottom), (x1, top, x1, bottom)):
                add(*edge, obj)
        elif obj.get("fill") and _inked(obj.get("non_stroking_color")):
            add(x0, top, x1, bottom, obj)  # a thin filled bar; a wide fill is shading
    for obj in curves:
        if obj.get("stroke") and _inked(obj.get("stroking_color")):
            pts = obj["pts"]
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                add(ax, ay, bx, by, obj)
        elif obj.get("fill") and _inked(obj.get("non_stroking_color")):
            add(*box(obj), obj)  # a thin filled polygon is a rule, as a thin filled bar is
    return _merge(h, settings), _merge(v, settings)


def _merge(segs: list[Seg], settings: ReaderSettings) -> list[Seg]:
    """Snap rules at (nearly) the same position together and join their touching pieces."""
    merged: list[Seg] = []
    for group in clusters(sorted(segs, key=lambda s: s.pos), lambda s: s.pos, settings):
        pos = sum(s.pos for s in group) / len(group)
        for s in sorted(group, key=lambda s: s.start):
            last = merged[-1] if merged and merged[-1].pos == pos else None
            if last and s.start <= last.end + settings.snap:
                last.end = max(last.end, s.end)
            else:
                merged.append(Seg(pos, s.start, s.end))
    return merged


def clusters(items: list, key, settings: ReaderSettings) -> list[list]:
    """Split items sorted by key into runs whose neighbours lie within `snap` of each other."""
    groups: list[list] = []
    for item in items:
        if groups and key(item) - key(groups[-1][-1]) <= settings.snap:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups
