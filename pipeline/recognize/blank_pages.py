"""Pages that gave nothing (no text, no rule, no image: their content lost or damaged, or
printed blank), and the tables such a page cuts: a table read up to the page before it, or
opening the page after it, has lost its rows there and fails alone (extract.py); a table's
start lost with its title is counted by check/completeness.py."""
from __future__ import annotations

from pipeline.model import Document, Grid, Page, TextBlock
from pipeline.recognize.tables import Table
from pipeline.values import clean, is_page_number


def blank_pages(doc: Document) -> list[tuple[Page | None, Page, Page | None]]:
    """Each page of a PDF that gave nothing (no text, no rule, no image: its content is lost
    or damaged, or it was printed blank), with the pages before and after it in its file
    (None at the file's ends)."""
    out = []
    for i, page in enumerate(doc.pages):
        if page.items or page.number is None or page.number in doc.image_pages:
            continue
        before = doc.pages[i - 1] if i and doc.pages[i - 1].file == page.file else None
        after = doc.pages[i + 1] if i + 1 < len(doc.pages) \
            and doc.pages[i + 1].file == page.file else None
        out.append((before, page, after))
    return out


def page_body(page: Page) -> list:
    """A page's items without its printed page number."""
    return [i for i in page.items
            if not (isinstance(i, TextBlock) and is_page_number(clean(i.text)))]


def cut_off(doc: Document, tables: list[Table]) -> dict[int, str]:
    """The tables (by id) a blank page cuts, with why they fail: one ending a page with its
    grid (nothing below but the page number) before a blank page would continue there; one
    whose rows open the page after a blank page (no title above them) began there. Either
    way its rows on the blank page are lost."""
    out: dict[int, str] = {}
    for before, page, after in blank_pages(doc):
        body = page_body(before) if before else []
        if body and isinstance(body[-1], Grid):
            table = next((t for t in reversed(tables)
                          if t.grid.page_of_row(t.grid.n_rows - 1) == before.number), None)
            if table is not None:
                out.setdefault(id(table), f"page {page.number} is blank (nothing on it could "
                               f"be read), where the table, printed to the foot of page "
                               f"{before.number}, would continue: its rows there are lost")
        body = page_body(after) if after else []
        if body and isinstance(body[0], Grid):
            table = next((t for t in tables if t.grid.page_of_row(0) == after.number), None)
            if table is not None:
                out.setdefault(id(table), f"page {page.number} is blank (nothing on it could "
                               f"be read), just before the table's rows opening page "
                               f"{after.number}: its rows printed there are lost")
    return out
