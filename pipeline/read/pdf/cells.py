"""Grids from lattices: each slot gets the chars centred in it, and slots no rule parts merge
into one cell (rowspan/colspan)."""
from __future__ import annotations

from bisect import bisect_right

from pipeline.model import Cell, Grid
from pipeline.read.pdf.lattice import Lattice
from pipeline.read.pdf.text import cell_text, centre, line_crosses, lines


def grid(lattice: Lattice, chars: list[dict], number: int) -> Grid:
    """Fill the lattice with chars and merge slots into cells."""
    n_rows, n_cols = len(lattice.ys) - 1, len(lattice.xs) - 1
    slots: dict[tuple[int, int], list[dict]] = {}
    for c in chars:
        x, y = centre(c)
        r = min(max(bisect_right(lattice.ys, y) - 1, 0), n_rows - 1)
        k = min(max(bisect_right(lattice.xs, x) - 1, 0), n_cols - 1)
        slots.setdefault((r, k), []).append(c)
    cells = []
    for rows, cols in _merged_regions(lattice, slots):
        members = [c for r in rows for k in cols for c in slots.get((r, k), ())]
        cells.append(Cell(rows.start, cols.start, cell_text(members, lattice.settings),
                          rowspan=len(rows), colspan=len(cols)))
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return Grid(cells, n_rows, n_cols, page=number, row_pages=[number] * n_rows)


def _merged_regions(lattice: Lattice, slots: dict) -> list[tuple[range, range]]:
    """Rectangles of slots forming one cell each, covering the whole lattice."""
    n_rows, n_cols = len(lattice.ys) - 1, len(lattice.xs) - 1
    owner = {(r, k): (r, k) for r in range(n_rows) for k in range(n_cols)}

    def find(slot):
        while owner[slot] != slot:
            slot = owner[slot]
        return slot

    def join(a, b):
        owner[find(a)] = find(b)

    for r in range(n_rows):
        for k in _open_column_edges(lattice, slots, r):
            join((r, k - 1), (r, k))
    for k in range(n_cols):
        for r in range(1, n_rows):
            if not lattice.h_ruled(r, k):
                join((r - 1, k), (r, k))
    return _rectangles({slot: find(slot) for slot in owner})


def _open_column_edges(lattice: Lattice, slots: dict, row: int) -> list[int]:
    """Column edges inside `row` that do not separate cells.

    An unruled run of slots is one merged cell, unless its text sits in two or more of the
    slots without running over their edges: then the rule is missing and the slots stay
    apart, at the column edges the rest of the table draws. In rows found from text only
    text running over an edge joins slots.
    """
    n_cols = len(lattice.xs) - 1
    open_edges = []
    start = 0
    for k in range(1, n_cols + 1):
        if k < n_cols and not lattice.v_ruled(k, row):
            continue
        run = range(start, k)
        line_chars = [c for i in run for c in slots.get((row, i), ())]
        text_lines = lines(line_chars)
        crossed = [e for e in run[1:]
                   if any(line_crosses(ln, lattice.xs[e], lattice.settings) for ln in text_lines)]
        texts = sum(1 for i in run if slots.get((row, i)) and i not in crossed)
        merge_all = texts <= 1 and not lattice.text_row(row)
        open_edges.extend(run[1:] if merge_all else crossed)
        start = k
    return open_edges


def _rectangles(roots: dict) -> list[tuple[range, range]]:
    """Turn slot groups into rectangles: a group that is not one absorbs its bounding box."""
    members: dict = {}
    for slot, root in roots.items():
        members.setdefault(root, []).append(slot)
    owner = dict(roots)
    boxes = {root: _bounding_box(slots) for root, slots in members.items()}
    pending = list(boxes)
    while pending:
        root = pending.pop()
        if root not in boxes:
            continue
        rows, cols = boxes[root]
        others = {owner[(r, k)] for r in rows for k in cols} - {root}
        for other in others:
            del boxes[other]
            for slot in members.pop(other):
                owner[slot] = root
                members[root].append(slot)
        if others:
            boxes[root] = _bounding_box(members[root])
            pending.append(root)
    return list(boxes.values())


def _bounding_box(slots: list[tuple[int, int]]) -> tuple[range, range]:
    rows = [r for r, _ in slots]
    cols = [k for _, k in slots]
    return range(min(rows), max(rows) + 1), range(min(cols), max(cols) + 1)
