"""What every layout of normalize/ shares: the document `Context`, `TableError` and how
it names the row at fault, the unit a table prints amounts in, a printed amount in yuan,
the provenance fields of a published row, and whether a code is the department's or a
unit's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipeline import families
from pipeline.errors import RecognitionError
from pipeline.recognize.tables import Table
from pipeline.values import AmountError, clean, parse_amount, to_yuan

DEFAULT_UNIT = "万元"  # DOMAIN: amounts are in 万元 unless a table says otherwise


@dataclass
class Context:
    """What normalization needs to know about the document beyond the table itself."""

    document_id: str
    path: Path
    department_code: str | None = None
    unit_names: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    phase: str = "approved"  # of the document's amounts (its family's `phase`)


class TableError(RecognitionError):
    """A recognized table whose content cannot be normalized."""


def table_error(ctx: Context, table: Table, message: str, row: int | None = None) -> TableError:
    page = table.grid.page_of_row(row) if row is not None else table.page
    where = "" if page is not None or row is None or table.grid.line is None else \
        f" (transcript line ≈{table.grid.line + row})"
    return TableError(ctx.path, message + where, page=page, table=table.title)


def table_unit(table: Table, ctx: Context) -> str:
    """The unit amounts are printed in: the table's 单位 line, a unit in its header labels
    (项目金额（万元）), or 万元 by default (reported)."""
    if table.unit:
        return table.unit
    tpl = families.current()
    for row in table.header_rows():
        for text in row:
            m = tpl.pattern("unit_in_text").search(clean(text).replace("(", "（").replace(")", "）"))
            if m:
                table.unit, table.unit_source = m.group("unit"), "header"
                return table.unit
    ctx.warnings.append(f"{table.title} ({table.where}): no unit printed; assumed {DEFAULT_UNIT}")
    table.unit, table.unit_source = DEFAULT_UNIT, "assumed"
    return DEFAULT_UNIT


def amount_of(table: Table, ctx: Context, text: str, unit: str, row: int) -> Decimal | None:
    """A printed amount in yuan; a TableError naming the row when it is not an amount."""
    try:
        return to_yuan(parse_amount(text), unit)
    except AmountError as exc:
        raise table_error(ctx, table, str(exc), row) from None


def provenance(table: Table, ctx: Context, row: int, unit: str) -> dict:
    """The fields every published row carries to say where it was printed."""
    return {"document_id": ctx.document_id, "source_table": table.title,
            "source_page": table.grid.page_of_row(row), "source_unit": unit}


def unit_kind(code: str, ctx: Context) -> str:
    """The line type of a row coded with a department or unit code."""
    return "department" if code == ctx.department_code or len(code) <= 3 else "unit"
