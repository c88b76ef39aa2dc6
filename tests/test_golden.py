"""Golden values of the real disclosures in sources/, read off the PDFs by eye.

Each `tests/golden/<document_id>.yml` lists the standard tables the document prints
(`printed_tables`, from its 目录 or its titles) and figures read off its page images
(`values`: a published table, a `where` selecting exactly one row, the expected fields in
yuan). The package built from sources/ must hold every printed table and every figure. An
entry marked `pending` (a table no kind recognizes yet, or a gap acknowledged in source.yml)
is expected to fail, strictly: once the pipeline delivers it, the test says to drop the mark.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import read_table
from pipeline.values import label

GOLDEN = Path(__file__).with_name("golden")


def _golden() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob("*.yml"))]


def _param(document_id: str, entry: dict, name: str):
    marks = [pytest.mark.xfail(strict=True, reason=entry["pending"])] if "pending" in entry else []
    return pytest.param(document_id, entry, id=f"{document_id}-{name}", marks=marks)


def _values():
    for doc in _golden():
        for n, v in enumerate(doc.get("values", [])):
            yield _param(doc["document_id"], v, f"{n}-{v['resource']}")


def _printed():
    for doc in _golden():
        for t in doc.get("printed_tables", []):
            yield _param(doc["document_id"], t, t["title"])


def _same(a: str | None, b) -> bool:
    if a is None:
        return False
    try:
        return Decimal(a) == Decimal(str(b))
    except ArithmeticError:
        return a == str(b)


@pytest.mark.parametrize("document_id,value", list(_values()))
def test_golden_value(package, document_id, value):
    where = {k: str(v) for k, v in value["where"].items()}
    rows = [r for r in read_table(package, value["resource"], document_id=document_id)
            if all(r[k] == v for k, v in where.items())]
    assert len(rows) == 1, f"{len(rows)} rows of {value['resource']} where {where}"
    row = rows[0]
    wrong = {k: (row.get(k), v) for k, v in value["expect"].items() if not _same(row.get(k), v)}
    assert not wrong, f"page {value.get('page')}: (published, printed) {wrong}"


@pytest.mark.parametrize("document_id,printed", list(_printed()))
def test_printed_table_is_published(package, document_id, printed):
    """Every standard table a document prints is delivered: extracted, or printed empty."""
    tables = read_table(package, "document_tables", document_id=document_id)
    want = label(printed["title"])
    found = [t for t in tables if label(t["source_table"]) == want
             or (want in label(t["source_table"]) or label(t["source_table"]) in want)
             and str(printed.get("page")) == t["source_page"]]
    assert found, f"{printed['title']} (page {printed.get('page')}) not in document_tables: " \
                  f"{[t['source_table'] for t in tables]}"
    assert all(t.get("status", "extracted") != "not_extracted" for t in found), found
