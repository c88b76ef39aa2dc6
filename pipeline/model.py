"""The intermediate form every reader produces: document -> pages -> text blocks and grids.

Readers (transcripts, PDFs) only ever build these objects; recognition and normalization
only ever read them, so they never care where a grid came from. Modelled on pdfplumber's
object model: plain data, positions kept, no parsing logic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union


@dataclass
class Cell:
    """One cell of a grid. A merged cell has rowspan/colspan > 1 and is stored once."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Grid:
    """A table grid as drawn on the page (header and body rows alike).

    `row_pages` gives the page of each row: a grid merged from a table continued over
    several pages keeps where each of its rows came from.
    """

    cells: list[Cell]
    n_rows: int
    n_cols: int
    page: int | None = None
    row_pages: list[int | None] = field(default_factory=list)
    line: int | None = None  # first line in a transcript, for error messages

    def rows(self) -> list[list[str]]:
        """The grid as a rectangle of strings; a merged cell's text sits in its top-left slot."""
        out = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for cell in self.cells:
            out[cell.row][cell.col] = cell.text
        return out

    def span_owner(self) -> dict[tuple[int, int], Cell]:
        """Map every (row, col) slot covered by a merged cell to the cell covering it."""
        owner: dict[tuple[int, int], Cell] = {}
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    owner[(r, c)] = cell
        return owner

    def page_of_row(self, row: int) -> int | None:
        if self.row_pages and row < len(self.row_pages):
            return self.row_pages[row]
        return self.page

    @classmethod
    def from_rows(cls, rows: list[list[str]], page: int | None = None,
                  line: int | None = None) -> "Grid":
        """Build a grid of unmerged cells from a list of rows (ragged rows are padded)."""
        width = max((len(r) for r in rows), default=0)
        cells = [Cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)]
        return cls(cells, len(rows), width, page, [page] * len(rows), line)


@dataclass
class TextBlock:
    """A run of text outside any grid: a title, a `部门名称`/`单位` line, a note, narrative."""

    text: str
    page: int | None = None
    line: int | None = None


Item = Union[TextBlock, Grid]


@dataclass
class Page:
    """One page in reading order. Transcripts, which have no pages, are one page numbered None.
    `number` counts pages within `file`, the file the page comes from (a disclosure may be
    published as several files: the narrative and the tables)."""

    number: int | None
    items: list[Item] = field(default_factory=list)
    file: str | None = None
    # a text page that prints a table as an image: the images' boxes (x0, top, x1, bottom,
    # in points from the top left), read by OCR (read/ocr/); the page is in image_pages
    table_images: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class Document:
    """A whole disclosure as read from its file, or from its several files one after the
    other (then `path` names them all, for messages, and each page its own file)."""

    path: Path
    format: str  # "pdf" or "transcript"
    pages: list[Page] = field(default_factory=list)
    image_pages: list[int] = field(default_factory=list)  # scanned: an image, no text layer
    ocr_pages: list[int] = field(default_factory=list)  # read from their image by OCR (read/ocr/)

    @property
    def files(self) -> list[str]:
        """The names of the files the pages come from, in reading order."""
        return list(dict.fromkeys(p.file for p in self.pages if p.file is not None))

    def items(self) -> Iterator[Item]:
        for page in self.pages:
            yield from page.items

    def text(self) -> str:
        """All text outside grids, in reading order (the narrative)."""
        return "\n".join(i.text for i in self.items() if isinstance(i, TextBlock))


def place(page: int | None, line: int | None) -> str:
    """Where a table is in its document, as messages name it: 'page 4' in a PDF, 'line 120'
    (its first line) in a transcript."""
    return f"page {page}" if page is not None else f"line {line}"


def page_ranges(numbers) -> str:
    """Page numbers as a reader writes them: [1, 2, 3, 7] -> 'pages 1-3, 7'; [4] -> 'page 4';
    none -> ''."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    if not runs:
        return ""
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"page {text}" if len(runs) == 1 and len(runs[0]) == 1 else f"pages {text}"
