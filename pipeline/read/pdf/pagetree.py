"""A PDF's pages in the order its page tree gives them: the order a viewer renders them in,
which is what a page's number means.

pdfminer walks the page tree skipping any node it has already seen and any node that is not
typed /Pages or /Page, so a tree that loops back on itself, lists a page twice or leaves a
page untyped loses pages without a word and shifts the number of every page after them.
`check_page_order` walks the tree as a viewer does (a node with /Kids holds pages, any
other node is a page) and refuses, naming the object, a tree that loops or lists a node
twice, or whose pages pdfminer would read in another order or number.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdftypes import PDFObjRef, resolve1

from pipeline.errors import ReadError


def page_tree(path: Path, document: PDFDocument) -> Iterator[int | None]:
    """The object number of each page the tree holds, in order (None for a page written
    directly in its parent's /Kids); ReadError on a loop, a node listed twice or a node
    that is not a dictionary."""
    root = document.catalog.get("Pages")
    if root is None:
        raise ReadError(path, "no page tree (/Pages): the order of its pages is not known")
    seen: set[int] = set()
    above: list[int | None] = []  # the /Pages nodes from the root down to the current one
    stack: list[Iterator[Any]] = [iter([root])]
    while stack:
        kid = next(stack[-1], _END)
        if kid is _END:
            stack.pop()
            if above:
                above.pop()
            continue
        objid = kid.objid if isinstance(kid, PDFObjRef) else None
        if objid is not None:
            if objid in above:
                raise ReadError(path, f"the page tree loops: object {objid} holds itself, so "
                                      "its pages have no order a viewer can render")
            if objid in seen:
                raise ReadError(path, f"the page tree lists object {objid} twice")
            seen.add(objid)
        node = resolve1(kid)
        if not isinstance(node, dict):
            raise ReadError(path, f"truncated or corrupt PDF (page tree: object {objid} is "
                                  "not a dictionary)")
        kids = resolve1(node.get("Kids"))
        if kids is None:
            yield objid
        elif isinstance(kids, (list, tuple)):
            above.append(objid)
            stack.append(iter(kids))
        else:
            raise ReadError(path, f"truncated or corrupt PDF (page tree: /Kids of object "
                                  f"{objid} is not an array)")


_END = object()


def check_page_order(path: Path, document: PDFDocument, read: list[int]) -> None:
    """Refuse a PDF whose pages as read (`read`: their object numbers, as pdfminer gives
    them) are not the pages of its page tree in order: a page's number would not be the
    one a viewer shows."""
    try:
        tree = list(page_tree(path, document))
    except ReadError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged object
        raise ReadError(path, f"truncated or corrupt PDF (page tree: {type(exc).__name__})") \
            from exc
    for number, (shown, got) in enumerate(zip(tree, read), start=1):
        if shown != got:
            raise ReadError(path, f"page {number} of the page tree (object {shown}) cannot be "
                                  "read as a page, so the pages after it would be misnumbered")
    if len(tree) != len(read):
        raise ReadError(path, f"the page tree holds {len(tree)} pages, of which "
                              f"{len(read)} can be read as pages")
