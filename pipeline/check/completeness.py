"""Completeness: what the document says it prints is delivered.

A document's table of contents (目录) and the numbers it prints on its tables (预算01表,
公开表一, 表1) say which tables it prints (read by recognize/contents.py with the words of
its family). A table they name that the document neither delivered (read, or printed
empty) nor reported as not read (a gap, `tables_read`) is a failure, never an absence: its
page may be damaged, or its title misread. So is an untitled table opening the page after
a blank one (a page that gave nothing) where no table was read: its start, with its title,
is lost (a table read there, or running into the blank page, fails alone: recognize/blank_pages.cut_off).
Registered by `@rule` under its own name as id.
"""
from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from typing import Iterator

from pipeline.check.engine import Comparison, Doc, rule
from pipeline.extract import TableReport
from pipeline.recognize.blank_pages import blank_pages, page_body
from pipeline.model import Grid, page_ranges
from pipeline.recognize.contents import TableNumber, contents_titles, match_contents, table_numbers


def _flag(subject: str, delivered: bool) -> Comparison:
    return Comparison(subject, Decimal(1), Decimal(int(delivered)), Decimal(0), "", "flag")


@rule("contents_complete", "目录所列、表号所示之表均已交付（已提取、空表，或列为未提取），"
      "且无表格始于空白页之后",
      "Every table the document's contents (目录) list or its table numbers (公开01表 …) "
      "show is delivered: read, printed empty, or listed as not read; and no table's rows "
      "open the page after a blank one with no table read there (its start is lost)",
      ("document_tables",), tolerance="exact")
def contents_complete(doc: Doc) -> Iterator[Comparison]:
    document = doc.extraction.document
    if document is None:  # a slim extraction: checked before its document was dropped
        return
    tables = doc.extraction.tables  # every table recognized: read, empty, or not read
    listed = contents_titles(document)
    if listed:
        missing, _ = match_contents(listed, [t.title for t in tables], [t.kind for t in tables])
        for title in missing:
            yield _flag(f"contents: {title}", False)
        if not missing:
            yield _flag("contents: every table listed", True)
    numbers = table_numbers(document)
    for _, scheme in groupby(numbers, key=lambda n: n.scheme):
        yield from _numbered(list(scheme), tables)
    starts = {t.page for t in tables}
    for _, page, after in blank_pages(document):  # a table's start lost with its title
        body = page_body(after) if after else []
        if body and isinstance(body[0], Grid) and after.number not in starts:
            yield _flag(f"page {page.number}: blank, before an untitled table on page "
                        f"{after.number}", False)


def _numbered(numbers: list[TableNumber], tables: list[TableReport]) -> Iterator[Comparison]:
    """One scheme's numbers (in order): each from 1 to the last is printed, and on a page
    printing it a table was recognized (or, for none there, on the next page: a title at a
    page's foot)."""
    free = [t for t in tables if t.page is not None]
    found: set[int] = set()
    for after in (0, 1):
        for n in numbers:
            table = None if n.number in found else \
                next((t for p in n.pages for t in free if t.page == p + after), None)
            if table is not None:
                found.add(n.number)
                free.remove(table)
    printed = {n.number: n for n in numbers}
    ok = True
    for k in range(1, numbers[-1].number + 1):
        n = printed.get(k)
        if n is None:
            ok = False
            yield _flag(f"numbering: {numbers[0].named(k)} (not printed)", False)
        elif n.pages and k not in found:  # (a transcript has no pages to find it on)
            ok = False
            yield _flag(f"numbering: {n.label} ({page_ranges(n.pages)})", False)
    if ok:
        yield _flag(f"numbering: {numbers[0].label} to {numbers[-1].label}", True)
