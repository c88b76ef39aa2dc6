"""Fuzz the reading of damaged PDFs: seeded mutants of real PDFs in sources/, each extracted
as `extract` does (a worker process under the build's limits), compared with the original's
output, and sorted into outcome classes.

    python benchmarks/fuzz.py [--documents ID ...] [--mutants 60] [--seed 0]
                              [--timeout 60] [--keep DIR] [--only ID:INDEX ...]

Mutations (the kind is the mutant's index modulo 4; each mutant is made from its own seed,
so `--only ID:INDEX` remakes exactly one):

- `flip`: 1 to 0.2 % of the bytes with one bit flipped;
- `truncate`: the file cut at 50-99.9 % of its length;
- `zero-stream`: one page's content stream overwritten with zero bytes (the page then reads
  as blank: the damage of issue 18's finding 2);
- `page-tree`: one /Kids array of the page tree changed by an incremental update (a page
  dropped, repeated, two swapped, a loop back to the node, a reference broken).

Outcome classes, worst first: `traceback` (an "internal error"), `crash` (the worker died),
`hang` (stopped at the time limit), `differs silently` (extract gives other rows and no
check or gap says so), `error, not one line`, `differs, gap reported` (a table not read,
which `review` refuses), `differs, check fails` (the build refuses the document), `same
rows, pages renumbered` (every row as before, on other pages: the damaged page tree renders
the pages so), `identical`, `error` (a one-line error naming the file). Nothing here asserts: it prints
the table and the cases that are not `identical` or `error`.
"""
from __future__ import annotations

import argparse
import io
import logging
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, resolve1

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.check.engine import run_checks, unacknowledged_failures  # noqa: E402
from pipeline.limits import LIMITS, Limits  # noqa: E402
from pipeline.metadata.registry import BY_NAME  # noqa: E402
from pipeline.publish.build import extract_outcome, run_limited  # noqa: E402
from pipeline.publish.package import csv_row, table_rows  # noqa: E402
from pipeline.sources import load_source  # noqa: E402

DEFAULT_DOCUMENTS = ["sh-putuo-sifaju-2026-budget", "js-renda-bangongting-2017-budget",
                     "gd-shenzhen-xinfangju-2026-budget", "gd-guangzhou-xinfangju-2026-budget"]
KINDS = ["flip", "truncate", "zero-stream", "page-tree"]
CLASSES = ["traceback", "crash", "hang", "differs silently", "error, not one line",
           "differs, gap reported", "differs, check fails", "same rows, pages renumbered",
           "identical", "error"]


# ---------------------------------------------------------------- where things are in a PDF


class Layout:
    """Byte positions in a PDF with a classic xref table: each page's content streams and
    each node of the page tree (objects in object streams are left out)."""

    def __init__(self, data: bytes):
        self.data = data
        self.doc = PDFDocument(PDFParser(io.BytesIO(data)))
        trailer = self.doc.xrefs[-1].get_trailer() if self.doc.xrefs else {}
        self.root = trailer.get("Root")
        self.size = trailer.get("Size")
        self.content_streams: list[list[tuple[int, int]]] = []
        for page in PDFPage.create_pages(self.doc):
            contents = page.attrs.get("Contents")
            refs = contents if isinstance(contents, list) else [contents]
            if isinstance(contents, PDFObjRef) and isinstance(resolve1(contents), list):
                refs = resolve1(contents)
            spans = [self.stream_data(r.objid) for r in refs if isinstance(r, PDFObjRef)]
            self.content_streams.append([s for s in spans if s])
        self.page_nodes: list[int] = []
        pages = self.doc.catalog.get("Pages")
        if isinstance(pages, PDFObjRef):
            self._walk(pages.objid, set())

    def _walk(self, objid: int, seen: set) -> None:
        node = resolve1(PDFObjRef(self.doc, objid))
        if objid in seen or not isinstance(node, dict) or "Kids" not in node:
            return
        seen.add(objid)
        if self.offset(objid) is not None:
            self.page_nodes.append(objid)
        for kid in resolve1(node["Kids"]) or []:
            if isinstance(kid, PDFObjRef):
                self._walk(kid.objid, seen)

    def offset(self, objid: int) -> int | None:
        """Where object `objid` starts in the file, if it is not in an object stream."""
        for xref in self.doc.xrefs:
            try:
                stream, pos, _ = xref.get_pos(objid)
            except KeyError:
                continue
            return pos if stream is None else None
        return None

    def stream_data(self, objid: int) -> tuple[int, int] | None:
        """The byte span of a stream object's data."""
        start = self.offset(objid)
        if start is None:
            return None
        m = re.compile(rb"stream\r?\n").search(self.data, start)
        end = self.data.find(b"endstream", m.end()) if m else -1
        return (m.end(), end) if m and end > m.end() else None

    def object_text(self, objid: int) -> bytes | None:
        """The body of object `objid` (between `obj` and `endobj`)."""
        start = self.offset(objid)
        if start is None:
            return None
        m = re.compile(rb"\d+\s+\d+\s+obj").match(self.data, start)
        end = self.data.find(b"endobj", start)
        return self.data[m.end():end] if m and end > 0 else None

    def updated(self, objid: int, body: bytes) -> bytes:
        """The file with object `objid` replaced by an incremental update, so every other
        offset stays valid."""
        prev = int(re.findall(rb"startxref\s+(\d+)", self.data)[-1])
        out = bytearray(self.data if self.data.endswith(b"\n") else self.data + b"\n")
        at = len(out)
        out += f"{objid} 0 obj".encode() + body + b"endobj\n"
        xref = len(out)
        out += f"xref\n0 1\n0000000000 65535 f \n{objid} 1\n{at:010d} 00000 n \n".encode()
        out += (f"trailer\n<< /Size {self.size} /Root {self.root.objid} 0 R /Prev {prev} >>\n"
                f"startxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)


# ---------------------------------------------------------------- mutations


def flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    out = bytearray(data)
    count = rng.choice([1, 3, 10, max(1, len(data) // 1000), max(1, len(data) // 500)])
    for _ in range(count):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out), f"{count} bits flipped"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    keep = rng.uniform(0.5, 0.999)
    return data[: int(len(data) * keep)], f"cut at {keep:.1%}"


def zero_stream(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    pages = [(n, spans) for n, spans in enumerate(Layout(data).content_streams, start=1)
             if spans]
    number, spans = rng.choice(pages)
    start, end = rng.choice(spans)
    out = bytearray(data)
    out[start:end] = bytes(end - start)
    return bytes(out), f"content stream of page {number} zeroed"


def page_tree(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    layout = Layout(data)
    node = rng.choice(layout.page_nodes)
    body = layout.object_text(node)
    m = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
    refs = re.findall(rb"\d+\s+\d+\s+R", m.group(1))
    how = rng.choice(["drop", "repeat", "swap", "loop", "break"] if len(refs) > 1
                     else ["repeat", "loop", "break"])
    i = rng.randrange(len(refs))
    if how == "drop":
        refs.pop(i)
    elif how == "repeat":
        refs.insert(i, refs[i])
    elif how == "swap":
        j = rng.choice([k for k in range(len(refs)) if k != i])
        refs[i], refs[j] = refs[j], refs[i]
    elif how == "loop":
        refs.insert(i, f"{node} 0 R".encode())
    else:
        refs[i] = refs[i][:-1] + b"Q"
    kids = b"/Kids [" + b" ".join(refs) + b"]"
    return layout.updated(node, body[:m.start()] + kids + body[m.end():]), \
        f"page tree node {node}: {how} kid {i + 1} of {len(m.group(1).split()) // 3}"


MUTATE = {"flip": flip, "truncate": truncate, "zero-stream": zero_stream, "page-tree": page_tree}


def mutant(data: bytes, document: str, index: int, seed: int) -> tuple[str, bytes, str]:
    """Mutant `index` of a document: its kind, bytes and what was done. A structural
    mutation the file does not allow (no plain page tree) falls back to flipping bits."""
    rng = random.Random(f"{seed}/{document}/{index}")
    kind = KINDS[index % len(KINDS)]
    try:
        out, what = MUTATE[kind](data, rng)
    except Exception as exc:  # no page tree or content stream outside object streams
        kind, (out, what) = "flip", flip(data, rng)
        what += f" ({KINDS[index % len(KINDS)]} not possible: {type(exc).__name__})"
    return kind, out, what


# ---------------------------------------------------------------- outcomes


def published(outcome, document_id: str) -> dict[str, list[list[str]]]:
    """What `extract` would write: each published table's CSV rows, and document_tables."""
    extraction = outcome.extraction
    tables = dict(extraction.rows, document_tables=table_rows(document_id, extraction))
    return {name: [csv_row(BY_NAME[name], r) for r in rows] for name, rows in tables.items()
            if rows}


def difference(before: dict, after: dict) -> str:
    parts = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name, []), after.get(name, [])
        if a != b:
            gone = len({tuple(r) for r in a} - {tuple(r) for r in b})
            new = len({tuple(r) for r in b} - {tuple(r) for r in a})
            parts.append(f"{name}: {len(a)}→{len(b)} rows ({gone} gone or changed, {new} new)")
    return "; ".join(parts)


def pageless(tables: dict[str, list[list[str]]]) -> dict[str, list[tuple]]:
    """Each table's rows without their page, in any order: a page tree dropping or swapping
    pages renders the same rows on other pages, which is no loss."""
    out = {}
    for name, rows in tables.items():
        at = BY_NAME[name].field_names().index("source_page")
        out[name] = sorted(tuple(r[:at] + r[at + 1:]) for r in rows)
    return out


def classify(outcome, original: dict, source) -> tuple[str, str]:
    if outcome.error:
        error = outcome.error
        if "internal error" in error:
            return "traceback", error
        if "the worker died" in error:
            return "crash", error
        if "took longer than" in error:
            return "hang", error
        return ("error" if "\n" not in error else "error, not one line"), error
    rows = published(outcome, source.id)
    if rows == original:
        return "identical", ""
    what = difference(original, rows)
    if pageless(rows) == pageless(original):
        return "same rows, pages renumbered", what
    checks = run_checks(source.id, outcome.extraction, source.meta.acknowledged)
    failing = unacknowledged_failures(checks, gaps=False)
    if failing:
        return "differs, check fails", f"{what} | {failing[0]['rule']}: {failing[0]['subject']}"
    gaps = unacknowledged_failures(checks)
    if gaps:
        return "differs, gap reported", f"{what} | {gaps[0]['subject']}"
    return "differs silently", what


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=Path, default=ROOT / "sources")
    ap.add_argument("--documents", nargs="+", default=DEFAULT_DOCUMENTS,
                    help="source ids (one PDF each)")
    ap.add_argument("--mutants", type=int, default=60, help="in all, shared among documents")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds per mutant before it counts as a hang")
    ap.add_argument("--memory", type=int, default=LIMITS.worker_memory // 2**20,
                    help="MiB of address space per worker")
    ap.add_argument("--keep", type=Path, help="write the mutants here")
    ap.add_argument("--only", nargs="+", metavar="ID:INDEX", help="remake just these mutants")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # pdfminer warns at length about damage
    limits = Limits(seconds=args.timeout, worker_memory=args.memory * 2**20)
    jobs = [(d, i) for i in range(args.mutants // len(args.documents) + 1)
            for d in args.documents][: args.mutants]
    if args.only:
        jobs = [(o.rsplit(":", 1)[0], int(o.rsplit(":", 1)[1])) for o in args.only]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    sources = {d: load_source(args.sources / d) for d in {d for d, _ in jobs}}
    originals = {}
    for d, source in sorted(sources.items()):
        outcome = run_limited(extract_outcome, (source.documents, d, source.meta, limits),
                              source.document, limits)
        assert outcome.error is None, outcome.error
        originals[d] = published(outcome, d)
    table: dict[str, Counter] = defaultdict(Counter)
    notable = []
    errors: Counter = Counter()
    start, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    for d, index in jobs:
        source = sources[d]
        kind, data, what = mutant(source.document.read_bytes(), d, index, args.seed)
        path = folder / f"{d}-{index:03d}-{kind}.pdf"
        path.write_bytes(data)
        outcome = run_limited(extract_outcome, ([path], d, source.meta, limits), path, limits)
        cls, detail = classify(outcome, originals[d], source)
        table[kind][cls] += 1
        print(f"{d}:{index} {kind} ({what}): {cls}", flush=True)
        if cls not in ("identical", "error"):
            notable.append(f"{cls}: {d}:{index} {kind} ({what}): {detail}")
        elif cls == "error":
            errors[re.sub(r"(\(\w+)[:)].*", r"\1 …)", detail.replace(str(path), "FILE"))] += 1
        if not args.keep:
            path.unlink()
    if not args.keep:
        folder.rmdir()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\n{len(jobs)} mutants of {len(sources)} documents, seed {args.seed}: "
          f"{time.monotonic() - start:.0f} s wall, "
          f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.0f} s CPU in workers\n")
    shown = [c for c in CLASSES if any(table[k][c] for k in table)]
    print("| mutation | " + " | ".join(shown) + " | all |")
    print("|---|" + "---|" * (len(shown) + 1))
    for kind in KINDS + ["all"]:
        counts = sum(table.values(), Counter()) if kind == "all" else table.get(kind)
        if counts:
            print(f"| {kind} | " + " | ".join(str(counts[c]) for c in shown)
                  + f" | {sum(counts.values())} |")
    print("\nOne-line errors, by message (the parser's reason cut after its type):")
    print("\n".join(f"- {n} × {e}" for e, n in errors.most_common()))
    if notable:
        print("\nNot identical and not a one-line error:")
        print("\n".join(f"- {n}" for n in sorted(notable, key=lambda n: CLASSES.index(
            n.split(":")[0]))))


if __name__ == "__main__":
    main()
