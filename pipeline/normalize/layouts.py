"""Turn recognized tables into tidy rows of the published tables (see registry.py).

One function per layout: `lines` (a row per code, unit or project), `summary` (tables 1
and 4: side-by-side blocks of line items), `form_row` (三公). The performance tables
(12, 13) live in performance_targets.py; what every layout shares, in common.py. Amounts become exact yuan; codes become one string.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import replace
from decimal import Decimal

from pipeline import families
from pipeline.normalize.common import (Context, TableError, amount_of, provenance, table_error,
                                       table_unit, unit_kind)
from pipeline.recognize.tables import Table, header_paths, numbering_columns
from pipeline.metadata.classifications import (class_key, economic_class_reference,
                                               economic_codes, function_class_names)
from pipeline.metadata.registry import BY_NAME
from pipeline.families import ColumnSpec
from pipeline.values import (AmountError, clean, digits, join_code, label, looks_like_data,
                     looks_numeric, parse_amount,
                     split_numbering, to_yuan)

# What a column can be besides a published field (families/budget.yml `columns`): a code, its
# name, or both printed together; parts of a code printed in columns of their own (类/款/项);
# an economic class named without a code; the unit a line belongs to; the year it is for.
COLUMN_ROLES = frozenset({"code", "name", "code_1", "code_2", "code_3", "unit_name", "year",
                          "dept_1", "dept_2", "dept_code", "dept_name",
                          "gov_1", "gov_2", "gov_code", "gov_name", "class_name"})


def map_columns(paths: list[list[str]], specs: tuple[ColumnSpec, ...]) -> dict[int, str]:
    """Column index -> field key, first matching spec per column; a key is used once."""
    mapping: dict[int, str] = {}
    for c, path in enumerate(paths):
        for spec in specs:
            if spec.key not in mapping.values() and spec.matches(path):
                mapping[c] = spec.key
                break
    return mapping


def header_years(paths: list[list[str]]) -> tuple[int, ...]:
    """The years printed in a header (2025年预算数, 2026年预算数), oldest first."""
    return tuple(sorted({int(y) for path in paths for part in path
                         for y in re.findall(r"(\d{4})年", label(part))}))


def amount_columns(paths: list[list[str]], kind, resource: str,
                   skip=(), phases: dict[int, str] | None = None) -> dict[int, str]:
    """Columns -> amount fields of `resource`, by what their header paths name (the family's
    `vocabulary` and `fields`). A column whose header is not understood, or names a field
    an earlier column took, is left out (and fails its table if it holds amounts). With
    `phases`, a layout that splits a row by phase (预算数 | 决算数 side by side) gets each
    column's phase there, and one field may be taken once per phase."""
    vocabulary = families.current().vocabulary
    years = header_years(paths)
    mapping: dict[int, str] = {}
    skip = set(skip) | numbering_columns(paths)
    for c, path in enumerate(paths):
        if c in skip or not path:
            continue
        meaning = vocabulary.read_path(path, years)
        phase = meaning.pop("phase", None) if phases is not None and meaning else None
        if phase is not None and phase not in families.current().phases:
            continue  # a phase this family does not publish (a budget's 决算数: last year's)
        key = vocabulary.field_for(resource, meaning, kind.fixes) if meaning is not None else None
        if key is not None and (key, phase) not in \
                {(k, (phases or {}).get(o)) for o, k in mapping.items()}:
            mapping[c] = key
            if phase is not None:
                phases[c] = phase
    return mapping


def _check_unmapped(table: Table, ctx: Context, paths, mapping, resource: str | None = None) -> None:
    """A column holding amounts that is not mapped fails the table, saying why: its header
    is not understood, or it means the same as another column. A column understood to
    hold something no field publishes (another year, a fund outside the table's) is only
    reported (see _warn_unpublished_columns)."""
    vocabulary = families.current().vocabulary
    years = header_years(paths)
    numbering = numbering_columns(paths)
    for i, row in table.body():
        for c, text in enumerate(row):
            if c in mapping or c in numbering or not clean(text) or not looks_numeric(text):
                continue
            path = paths[c] if c < len(paths) else []
            header = "/".join(path) if path else "(no header)"
            meaning = vocabulary.read_path(path, years) if path else None
            if meaning is None:
                raise table_error(ctx, table, f"column {c + 1} ({header}) holds {text!r} but "
                                  "its header is not understood", i)
            key = vocabulary.field_for(resource or table.kind.resource, meaning, table.kind.fixes)
            if key is not None:
                other = [k + 1 for k, v in mapping.items() if v == key]
                raise table_error(ctx, table, f"column {c + 1} ({header}) reads as {key}, " +
                                  (f"like column {other[0]}" if other else "but it is not placed "
                                   "beside an item column"), i)


def _is_total(text: str) -> bool:
    return bool(families.current().pattern("total_labels").match(label(text)))


def _is_none_marker(cells: list[str]) -> bool:
    filled = [label(c) for c in cells if clean(c)]
    return len(filled) == 1 and bool(families.current().pattern("none_labels").match(filled[0]))


AMOUNT_KEYS = {name for t in BY_NAME.values() for name in t.amount_fields()}
_CLASS_PREFIX = {"function_code": "2", "department_economic_code": "3",
                 "government_economic_code": "5"}


def _is_unit_code(code: str, name: str, field_name: str, ctx: Context) -> bool:
    """A code printed in a classification column that is really a department/unit code."""
    if label(name) in ctx.unit_names:
        return True
    if ctx.department_code and code.startswith(ctx.department_code):
        return True
    return not code.startswith(_CLASS_PREFIX[field_name])


_CODE_NAME = re.compile(r"^\s*(?:[\[【]\s*(?P<a>\d{3}(?:\d{2}){0,2})\s*[\]】]"
                        r"|(?P<b>\d{3}(?:\d{2}){0,2})(?:\s*[-—－]\s*|\s+|(?=[\u4e00-\u9fff])(?![万亿元年月日个人次])))"
                        r"\s*(?P<name>\S.*)$")


def code_and_name(text: str | None) -> tuple[str, str]:
    """A code printed in the name's cell: '[2014001]行政运行', '50101-工资奖金津补贴',
    '2010301 行政运行' or, its hyphen lost (a scan read by OCR), '30239其他交通费用' -> (code,
    name); otherwise ('', the name). A code is 3, 5 or 7 digits, and no count: '2024年…' and
    '100万元…' are names."""
    m = _CODE_NAME.match(unicodedata.normalize("NFKC", text or ""))
    if not m:
        return "", clean(text)
    return m.group("a") or m.group("b"), clean(m.group("name"))


_CATALOGUE = re.compile(r"^\s*(?P<code>\d{2,10})\s*[-—－]\s*(?P<name>\S.*)$")
CATALOGUE_LEVELS = ("catalogue_level1", "catalogue_level2", "catalogue_level3")


def catalogue_code_and_name(text: str | None) -> tuple[str, str]:
    """A catalogue entry printed with its code: '0201-法律服务' -> ('0201', '法律服务');
    otherwise ('', the entry)."""
    m = _CATALOGUE.match(unicodedata.normalize("NFKC", text or ""))
    return (m.group("code"), clean(m.group("name"))) if m else ("", clean(text))


def _named_unit(name: str) -> str:
    """The line type of a row named but not coded in a column of units: a unit (the
    department's own 本级 among them: with no codes, a consolidation cannot be told from
    a sibling), or '' (nothing names it: the table's total)."""
    return "" if not name or _is_total(name) else "unit"


def _lines_identity(resource: str, cells: dict[str, str], ctx: Context,
                    named_units: bool = False) -> dict:
    """The identifying columns of a line row, and its line_type."""
    out: dict = {}
    systems = BY_NAME[resource].code_systems()
    if systems == {"function"}:
        code = join_code([cells.get(k, "") for k in ("code_1", "code_2", "code_3")]) \
            or digits(cells.get("code"))
        name = clean(cells.get("name"))
        unit = digits(cells.get("unit_code"))
        if not code:
            code, name = code_and_name(cells.get("name"))
        if not code and not name:  # a unit's line: its name in the column of units
            name = clean(cells.get("unit_name"))
        if code and _is_unit_code(code, name, "function_code", ctx) and not unit:
            code, unit = "", code
        out.update(function_code=code or None, name=name or None, unit_code=unit or None)
        texts = [cells.get(k, "") for k in ("code_1", "code", "name", "unit_code", "unit_name")]
        kind = "item" if code else ("department_or_unit" if unit else
                                    _named_unit(name) if named_units else "")
    elif systems == {"economic"}:
        dept = join_code([cells.get("dept_1", ""), cells.get("dept_2", "")]) \
            or digits(cells.get("dept_code"))
        gov = join_code([cells.get("gov_1", ""), cells.get("gov_2", "")]) \
            or digits(cells.get("gov_code"))
        name, gov_name = clean(cells.get("dept_name")), clean(cells.get("gov_name"))
        if not dept:
            dept, name = code_and_name(cells.get("dept_name"))
        unit_name = "" if dept or gov or name else clean(cells.get("unit_name"))
        if not gov:
            gov, gov_name = code_and_name(cells.get("gov_name"))
        if dept.startswith("5") and (not gov or gov.startswith("3")) and \
                not _is_unit_code(dept, name, "government_economic_code", ctx):  # the systems
            dept, gov, name, gov_name = gov, dept, gov_name, name  # were told by position
        unit = ""
        if dept and not gov and _is_unit_code(dept, name, "department_economic_code", ctx):
            dept, unit = "", dept
        out.update(department_economic_code=dept or None, department_economic_name=None if unit else name or None,
                   government_economic_code=gov or None,
                   government_economic_name=gov_name or None,
                   unit_code=unit or None)
        texts = [cells.get(k, "") for k in ("dept_1", "dept_code", "dept_name", "gov_name",
                                            "unit_name")]
        kind = "item" if dept or gov else ("department_or_unit" if unit else
                                           _named_unit(unit_name) if named_units else "")
        uncoded = clean(cells.get("class_name"))  # a class named with no code or system
        if uncoded and kind != "item":  # coded by code_economic_names, or the department's line
            kind = "department" if label(uncoded) in ctx.unit_names else "item"
            out["class_name"] = uncoded if kind == "item" else None
            out["unit_name"] = None if kind == "item" else uncoded
        texts.append(cells.get("class_name", ""))
    elif systems == {"function", "economic"}:
        codes = {}
        for field_name, code_key, name_key in (("function", "code", "name"),
                                               ("government_economic", "gov_code", "gov_name"),
                                               ("department_economic", "dept_code", "dept_name")):
            code, name = digits(cells.get(code_key)), clean(cells.get(name_key))
            if not code:
                code, name = code_and_name(cells.get(name_key))
            out.update({f"{field_name}_code": code or None, f"{field_name}_name": name or None})
            codes[field_name] = code
        texts = [cells.get(k, "") for k in ("code", "name", "gov_name", "dept_name")]
        kind = "item" if any(codes.values()) else ""
    elif resource == "projects":
        name = clean(cells.get("project_name"))
        unit = digits(name)
        # the department's own line, named as on its 部门名称 line: a subtotal, not a project
        named_department = bool(name) and not unit and label(name) in ctx.unit_names
        out.update(project_type=clean(cells.get("project_type")) or None,
                   project_name=None if unit or named_department else name or None,
                   project_unit=(name if named_department else
                                 clean(cells.get("project_unit")) or None),
                   unit_code=unit or None)
        texts = [cells.get(k, "") for k in ("project_type", "project_name", "project_unit")]
        kind = "department_or_unit" if unit else \
            "department" if named_department else "item" if name else ""
    elif resource == "government_purchased_services":
        for k in CATALOGUE_LEVELS:
            code, name = catalogue_code_and_name(cells.get(k))
            out.update({f"{k}_code": code or None, k: name or None})
        texts = [cells.get(k, "") for k in CATALOGUE_LEVELS]
        kind = "item" if any(out.values()) else ""
    else:  # government_procurement
        keys = ("category", "project_name", "economic_name", "item", "organization")
        out.update({k: clean(cells.get(k)) or None for k in keys})
        texts = [cells.get(k, "") for k in keys]
        kind = "item" if any(out.values()) else ""
    if any(_is_total(t) for t in texts if clean(t)):
        kind = "total"
        for k in ("name", "function_name", "department_economic_name", "economic_name",
                  "class_name", "project_name", "category", "catalogue_level1"):
            if out.get(k) and _is_total(out[k]):
                out[k] = None
    elif kind == "department_or_unit":
        kind = unit_kind(out["unit_code"], ctx)
    elif not kind:
        kind = "total"  # a row with amounts but nothing naming it: the table's total
    out["line_type"] = kind
    return out


def line_columns(header: Table, ctx: Context, body: Table | None = None) -> dict[int, str]:
    """Map columns to fields from `header`'s header rows; TableError if a column of `body`
    (default: the same table) holds amounts under a header we do not know."""
    paths = header_paths(header.grid, header.n_header)
    resource = header.kind.resource
    mapping = map_columns(paths, families.current().columns(resource))
    mapping.update(amount_columns(paths, header.kind, resource, skip=mapping))
    _decide_by_identities(body or header, ctx, paths, mapping)
    _check_unmapped(body or header, ctx, paths, mapping)
    return mapping


def _decide_by_identities(table: Table, ctx: Context, paths, mapping: dict[int, str]) -> None:
    """A column holding amounts under a header that says nothing we know (blank, or words
    not in the vocabulary) takes the one field left whose row identities then hold on every
    line where it is not zero, on two lines at least (合计 = 基本支出 + 项目支出 names the
    blank column between them). Reported as a warning; with no such field, or several, the
    column stays unknown and fails its table."""
    vocabulary = families.current().vocabulary
    rules = families.current().raw.get("row_identities", {}).get(table.kind.resource, [])
    keys = {k.lstrip("!") for whole, parts in _choosing(rules) for k in [whole, *parts]}
    for c in range(table.grid.n_cols):
        path = paths[c] if c < len(paths) else []
        if c in mapping or (path and vocabulary.read_path(path) is not None) or not any(
                c < len(row) and looks_numeric(row[c]) for _, row in table.body()):
            continue
        fits = [key for key in sorted(keys - set(mapping.values()))
                if _identities_hold(table, {**mapping, c: key}, key)]
        if len(fits) == 1:
            mapping[c] = fits[0]
            header = "/".join(path) if path else "(no header)"
            ctx.warnings.append(f"{table.title} ({table.where}): column {c + 1} ({header}) "
                                f"read as {fits[0]}: the row identities hold only so")


def _identities_hold(table: Table, mapping: dict[int, str], key: str) -> bool:
    """Whether every row identity involving `key` holds wherever `key` is not zero, on two
    rows at least."""
    held = 0
    for values, keys, holds in _identity_outcomes(table, mapping):
        if key in keys and values.get(key):
            if not holds:
                return False
            held += 1
    return held >= 2


def _identity_outcomes(table: Table, mapping: dict[int, str]):
    """For each row identity (families/budget.yml `row_identities`, e.g. 合计 = 基本支出 + 项目支出)
    a body row can be read for with `mapping`: (the row's amounts, the identity's keys,
    whether it holds to 0.01 per summed term)."""
    rules = families.current().raw.get("row_identities", {}).get(table.kind.resource, [])
    for _, row in table.body():
        values = {key: _row_amount(row, c) for c, key in mapping.items()}
        for whole, marked in _choosing(rules):
            parts = [k.lstrip("!") for k in marked]
            total = values.get(whole)
            present = [values[p] for p in parts if values.get(p) is not None]
            if total is None or not present:
                continue
            yield values, (whole, *parts), \
                abs(total - sum(present)) <= Decimal("0.01") * len(present)


def _choosing(rules: list) -> list:
    """The row identities that may choose a column layout: not those with a bar ('-'), whose
    parts are whichever sources a table prints, so that one amount adds up under any of
    them and tells no column from another (they are the check's only)."""
    return [(whole, marked) for whole, marked in rules
            if not any(k.startswith("-") for k in marked)]


def _row_amount(row: list[str], c: int | None) -> Decimal | None:
    """The amount in column c of a row; None when blank, absent or not an amount."""
    try:
        return parse_amount(row[c]) if c is not None and c < len(row) else None
    except AmountError:
        return None


def is_empty(table: Table) -> bool:
    """No number anywhere in the body but zeros: the table is printed empty (often with a
    note, sometimes as a 合计 row of 0.00)."""
    return not any(looks_like_data(c) and not _is_zero(c) for _, row in table.body() for c in row)


def printed_decimals(table: Table) -> int | None:
    """How many decimals the table's amounts are commonly printed with (2; 6 where a
    template prints 万元 to the fen, 52.600000); None when none prints a decimal point."""
    counts = Counter(len(m.group(1)) for _, row in table.body() for c in row
                     if looks_numeric(c) and (m := re.search(r"\.(\d+)$", clean(c))))
    return max(counts, key=lambda d: (counts[d], d)) if counts else None


def _is_zero(text: str) -> bool:
    try:
        return parse_amount(text) == 0
    except AmountError:
        return False


def header_labels(table: Table) -> list[str]:
    """The non-empty header labels of a table, sorted (where they sit aside)."""
    return sorted(label(c) for row in table.header_rows() for c in row if clean(c))


def _identity_score(table: Table, mapping: dict[int, str]) -> int:
    """How many row identities hold minus how many fail, reading the body with `mapping`."""
    return sum(1 if holds else -1 for _, _, holds in _identity_outcomes(table, mapping))


def _without_column(mapping: dict[int, str], k: int) -> dict[int, str]:
    """The layout if the printed rows lost column k: the keys after it move left."""
    return {(c if c < k else c - 1): key for c, key in mapping.items() if c != k}


def choose_line_layout(table: Table, ctx: Context, siblings: list[Table]) -> dict[int, str]:
    """The column layout of a line table: from its header, or, when the header is garbled
    (labels misplaced, or an always-empty column dropped from the rows, as transcriptions
    do), the candidate layout under which the rows' accounting identities hold best.
    Candidates: the header's, those of sibling tables with the same labels (DOMAIN: tables
    3, 5, 9 and 10 share one layout), and, when the last column is empty throughout, each
    of these with the rows shifted left from one column. Repairs are reported as warnings."""
    candidates: list[tuple[str, dict[int, str]]] = []
    error: TableError | None = None
    for other in [table] + [s for s in siblings if s is not table]:
        if other is not table and (other.kind.resource != table.kind.resource
                                   or header_labels(other) != header_labels(table)):
            continue
        try:
            candidates.append((other.title, line_columns(other, ctx, table)))
        except TableError as exc:
            error = error or exc
    body = [row for _, row in table.body()]
    last = table.grid.n_cols - 1
    if not any(last < len(r) and clean(r[last]) for r in body):  # rows may have lost a cell
        for source, mapping in list(candidates):
            for k, key in mapping.items():
                if key in AMOUNT_KEYS:
                    candidates.append((f"{source}, shifted left from column {k + 1}",
                                       _without_column(mapping, k)))
    if not candidates:
        raise error  # type: ignore[misc]
    header = candidates[0][1]

    def merit(candidate):  # identities first, then the fewest changes to the header's layout
        mapping = candidate[1]
        return (_identity_score(table, mapping),
                sum(header.get(c) == key for c, key in mapping.items()))
    best_source, best = max(candidates, key=merit)
    if best_source != table.title:
        ctx.warnings.append(f"{table.title} ({table.where}): header does not match the rows; "
                            f"read with the layout of {best_source}")
    return best


def _warn_unpublished_columns(table: Table, ctx: Context, mapping: dict[int, str]) -> None:
    paths = header_paths(table.grid, table.n_header)
    for c in range(table.grid.n_cols):
        values = [clean(row[c]) for _, row in table.body() if c < len(row) and clean(row[c])]
        if c not in mapping and values:
            header = "/".join(paths[c]) if paths[c] else "(no header)"
            ctx.warnings.append(f"{table.title} ({table.where}): column {c + 1} ({header}) is "
                                f"not published; it holds {values[:3]}")


def side_by_side(table: Table) -> list[Table]:
    """The panels of a table printed as several side by side under the same header (a
    final account's 基本支出决算表: 人员经费 classes left, 公用经费 right, each 编码 | 名称 |
    决算数), each as a table of its own; [] when the header does not repeat."""
    paths = header_paths(table.grid, table.n_header)
    n = len(paths)
    for width in range(2, n // 2 + 1):
        if n % width or not any(paths[:width]) or \
                any(paths[c] != paths[c % width] for c in range(width, n)):
            continue
        panels = []
        for start in range(0, n, width):
            cells = [replace(cell, col=cell.col - start,
                             colspan=min(cell.col + cell.colspan, start + width) - cell.col)
                     for cell in table.grid.cells if start <= cell.col < start + width]
            grid = replace(table.grid, cells=cells, n_cols=width)
            panels.append(replace(table, grid=grid))
        return panels
    return []


def _panel_total_field(panel: Table) -> str | None:
    """The field a panel's total line holds where its label says what it totals (人员经费合计
    under the 人员经费 panel -> personnel), read with the vocabulary; None otherwise."""
    vocabulary = families.current().vocabulary
    for _, row in panel.body():
        for text in row:
            m = re.match(r"^(?P<what>.+?)(合计|小计)$", label(text))
            meaning = vocabulary.read_part(m.group("what")) if m else None
            key = vocabulary.field_for(panel.kind.resource, meaning, panel.kind.fixes) \
                if meaning else None
            if key not in (None, "total"):
                return key
    return None


def _read_panels(panels: list[Table], ctx: Context, siblings) -> list[dict]:
    """The panels' lines in order. A panel whose total line says what it totals (人员经费合计)
    holds that field, not the whole: its lines' amounts go to that field, and the panels'
    total lines become one total line of the table holding each panel's field (the table
    prints no grand total, so none is published)."""
    out, total = [], None
    for panel in panels:
        key = _panel_total_field(panel)
        for row in normalize_lines(panel, ctx, siblings):
            if key is not None:
                row[key] = row.pop("total", None)
            if row["line_type"] != "total" or key is None:
                out.append(row)
            elif total is None:
                total = row
                out.append(total)
            else:
                total[key] = row[key]
    return out


def normalize_lines(table: Table, ctx: Context, siblings: list[Table] = ()) -> list[dict]:
    """Line tables (a row per code, unit or project) -> rows of the table's resource."""
    resource = table.kind.resource
    if not any(looks_like_data(c) for _, row in table.body() for c in row):
        return []  # printed empty (a table of zeros is empty too, but its zeros are printed)
    panels = side_by_side(table)
    if panels:
        return _read_panels(panels, ctx, siblings)
    if _is_label_list(table):
        return normalize_label_list(table, ctx)
    mapping = choose_line_layout(table, ctx, list(siblings))
    _warn_unpublished_columns(table, ctx, mapping)
    unit = table_unit(table, ctx)
    amount_fields = set(BY_NAME[resource].amount_fields())
    out = []
    current_unit: str | None = None
    paths = header_paths(table.grid, table.n_header)
    named_units = "unit_name" in mapping.values() or any(
        "单位" in part for c, key in mapping.items() if key == "name" for part in paths[c])
    above: dict[str, str] = {}  # the code parts printed on the lines above
    for i, row in table.body():
        if not any(clean(c) for c in row) or _is_none_marker(row):
            continue
        cells = {key: row[c] if c < len(row) else "" for c, key in mapping.items()}
        _carry_code_parts(cells, above)
        record = dict(table.kind.attrs)
        record.update(_lines_identity(resource, cells, ctx, named_units))
        if record["line_type"] in ("department", "unit"):
            current_unit = record["unit_code"]
        elif record["line_type"] == "item" and current_unit and not record.get("unit_code"):
            record["unit_code"] = current_unit
        amounts = {k: amount_of(table, ctx, cells[k], unit, i) for k in cells if k in amount_fields}
        if record["line_type"] == "total" and all(v is None for v in amounts.values()):
            continue  # an empty table's lone 合计 row carries nothing
        record.update(amounts)
        record.update(provenance(table, ctx, i, unit))
        out.append(record)
    if resource == "government_procurement":
        _fill_procurement(out)
    if resource in _NAMED_UNIT_FIELDS:
        find_unit_lines(out, table, ctx, to_yuan(Decimal("0.01"), unit))
    if "class_name" in mapping.values():
        code_economic_names(out, table, ctx)
    return out


# Tables whose lines name units and items alike: the field naming an item, the field its
# unit's name goes to
_NAMED_UNIT_FIELDS = {"projects": ("project_name", "project_unit"),
                      "expenditure_by_economic": ("class_name", "unit_name")}


def find_unit_lines(rows: list[dict], table: Table, ctx: Context, cent: Decimal) -> None:
    """Items named, not coded, may be preceded by their unit's line, told apart on the page
    by indentation only (广州市信访局 over its projects or its economic classes). Where the lines do not add up to the
    table's total, the identities decide: a unit's line equals the sum of the lines after it
    up to the next unit's, and the units add up to the total (one unit equal to the total is
    the department's line). The unit's name is carried to its items. TableError when no
    such reading holds."""
    name_key, unit_key = _NAMED_UNIT_FIELDS[table.kind.resource]
    whole = next((r for r in rows if r["line_type"] == "total"), None)
    lines = [r for r in rows if r["line_type"] in ("item", "department") and not r.get("unit_code")
             and (r.get(name_key) or r.get(unit_key))]
    if whole is None or whole.get("total") is None or len(lines) < 2:
        return

    def amount(r):
        return r.get("total") or Decimal(0)
    if abs(sum(map(amount, lines)) - whole["total"]) <= cent * len(lines):
        return  # the lines alone add up: no unit lines
    units, i = [], 0
    while i < len(lines):
        head, j, acc = lines[i], i + 1, Decimal(0)
        name = head.get(name_key) or head.get(unit_key)
        while j < len(lines) and (acc < amount(head) - cent * (j - i) or amount(lines[j]) == 0):
            acc, j = acc + amount(lines[j]), j + 1
        if j == i + 1 or abs(acc - amount(head)) > cent * (j - i - 1):
            raise table_error(ctx, table, f"line {name!r} is neither an item of the total nor "
                              "the sum of the lines below it (a unit's line)")
        units.append((head, name))
        for r in lines[i + 1:j]:
            r[unit_key] = r.get(unit_key) or name
        i = j
    if abs(sum(amount(head) for head, _ in units) - whole["total"]) > cent * len(units):
        raise table_error(ctx, table, "the lines read as units' do not add up to the total")
    for head, name in units:
        head["line_type"] = "department" if len(units) == 1 else "unit"
        head[unit_key], head[name_key] = name, None


_CODE_PARTS = (("code_1", "code_2", "code_3"), ("dept_1", "dept_2"), ("gov_1", "gov_2"))


def _carry_code_parts(cells: dict[str, str], above: dict[str, str]) -> None:
    """A code split over 类/款/项 columns may print each level's part only on its own line
    (201 on the 类 line, then 08 alone on the 款 line): a line whose first parts are blank
    takes them from the lines above."""
    for parts in _CODE_PARTS:
        printed = [digits(cells.get(k)) for k in parts]
        level = next((n for n, d in enumerate(printed) if d), None)
        if level is None:
            continue
        if level > 0 and all(above.get(k) for k in parts[:level]):
            for k in parts[:level]:
                cells[k] = above[k]
        for n, k in enumerate(parts):
            if n >= level:
                above[k] = printed[n] if n == level else ""
            if n > level and printed[n]:
                above[k] = printed[n]


def _fill_procurement(rows: list[dict]) -> None:
    """Procurement rows are a hierarchy printed once: a category row (一、货物A), programme
    rows (专项 with its 经济科目), 经济科目 subheadings under a programme, then item rows.
    Carry each level down so that an item repeated under another 专项 or 经济科目 keeps its
    own context (and key): a 专项 starts over its 经济科目, a category starts over both. A
    subheading row (no item, no organization) is level `programme`; an item row that
    repeats its context (a page break repeating merged cells) stays an item. An item row
    with no item name but its own organization continues the item above (a merged cell)."""
    context: dict = {}
    last_item: str | None = None
    for r in rows:
        if r["line_type"] == "total":
            continue
        if r.get("category"):
            r["category"] = split_numbering(r["category"])[1]
            if r["category"] != context.get("category"):
                context, last_item = {"category": r["category"]}, None
        if r.get("project_name") and r["project_name"] != context.get("project_name"):
            context = {"category": context.get("category"), "project_name": r["project_name"]}
            last_item = None
        if r.get("economic_name") and r["economic_name"] != context.get("economic_name"):
            context["economic_name"], last_item = r["economic_name"], None
        if r.get("item") or r.get("organization"):
            r["level"] = "item"
            r["item"] = r.get("item") or last_item
            last_item = r["item"]
        elif r.get("project_name") or r.get("economic_name"):
            r["level"], last_item = "programme", None
        else:
            r["level"], last_item = "category", None
        for key, value in context.items():
            r[key] = r.get(key) or value


def _is_label_list(table: Table) -> bool:
    """A table printed as labelled amounts (项目名称 | 金额) rather than one column per field."""
    spec = families.current().raw["label_lists"]
    if table.kind.resource not in spec:
        return False
    leaves = [p[-1] for p in header_paths(table.grid, table.n_header) if p]
    return bool(leaves) and re.match(spec["amount"], leaves[-1]) is not None and \
        all(re.match(spec["item"], leaf) for leaf in leaves[:-1])


def normalize_label_list(table: Table, ctx: Context) -> list[dict]:
    """A label list -> the table's total row: each body row's labels (a merged category
    cell, then the item) name one field, its last cell holds the amount."""
    specs = families.current().specs("label_lists", table.kind.resource)
    unit = table_unit(table, ctx)
    owner = table.grid.span_owner()
    record: dict = {"line_type": "total"}
    first = None
    for i, row in table.body():
        labels = []
        for c in range(len(row) - 1):
            cell = owner.get((i, c))
            text = label(cell.text if cell is not None else row[c])
            if text and (not labels or labels[-1] != text):
                labels.append(text)
        if not labels:
            continue
        key = next((s.key for s in specs if s.matches(labels)), None)
        value = amount_of(table, ctx, row[-1], unit, i)
        if key is None:
            if value is not None:
                raise table_error(ctx, table, f"line {'/'.join(labels)!r} is not a known item; "
                                  "add it to label_lists in pipeline/families/budget.yml", i)
            ctx.warnings.append(f"{table.title} ({table.where}): line {'/'.join(labels)} not published (blank)")
            continue
        record[key] = value
        first = i if first is None else first
    record.update(provenance(table, ctx, first if first is not None else table.n_header, unit))
    return [record]


_ECONOMIC_SYSTEM_FIELDS = {"department": ("department_economic_code", "department_economic_name"),
                           "government": ("government_economic_code", "government_economic_name")}


def code_economic_names(rows: list[dict], table: Table, ctx: Context) -> None:
    """Lines naming an economic class without its code (Shenzhen's 基本支出总表) take the
    code of the national classification, in the one system where every line's name fits
    one code (a 类, or a 款 of the 类 above it). The sums (类 = Σ款, lines = the
    department's line) are checked like printed codes. TableError when no single system
    or code fits."""
    named = [r for r in rows if r.get("class_name")]
    names = [r["class_name"] for r in named]
    for r in rows:
        r.pop("class_name", None)
    if not named:
        return
    readings = {system: economic_codes(names, classes)
                for system, classes in sorted(economic_class_reference().items())}
    fit = {system: codes for system, codes in readings.items() if not isinstance(codes, str)}
    if len(fit) != 1:
        why = "; ".join(f"{s}: {v}" for s, v in readings.items()) if not fit else \
            "they fit both classifications"
        raise table_error(ctx, table, "economic classes printed by name only cannot be "
                                      f"coded by the national classification ({why})")
    (system, codes), = fit.items()
    code_key, name_key = _ECONOMIC_SYSTEM_FIELDS[system]
    for r, name, code in zip(named, names, codes):
        r[code_key], r[name_key] = code, name


def _join_spaced_labels(paths: list[list[str]], labels: list[re.Pattern]) -> list[list[str]]:
    """A label spaced out over a merged cell (收  入) may be read as one character per
    column (收 | 入): adjacent top labels of one character each that together make a known
    label are that label over both columns."""
    out = [list(p) for p in paths]
    for c in range(len(out) - 1):
        a, b = out[c], out[c + 1]
        if a and b and len(a[0]) == 1 and len(b[0]) == 1 and \
                any(rx.fullmatch(a[0] + b[0]) for rx in labels):
            a[0] = b[0] = a[0] + b[0]
    return out


def normalize_summary(table: Table, ctx: Context) -> list[dict]:
    """Tables 1 and 4: each side (income / expenditure / by use) is a block of an item
    column and one or more amount columns."""
    if not any(looks_like_data(c) for row in table.grid.rows() for c in row):
        return []  # printed with no figure at all (a template): nothing to place
    tpl = families.current()
    summary = tpl.raw["summary"]
    sides = [(s["side"], re.compile(s["label"])) for s in summary["sides"]]
    item_label = re.compile(summary["item"])
    paths = _join_spaced_labels(header_paths(table.grid, table.n_header),
                                [rx for _, rx in sides])
    years = header_years(paths)
    blocks: list[dict] = []  # {side, item: col, amounts: {col: key}}
    numbering = numbering_columns(paths)
    for c, path in enumerate(paths):
        side = next((s for s, rx in sides if any(rx.search(p) for p in path[:-1] or path)), None)
        if side is None or c in numbering:
            continue
        if not blocks or blocks[-1]["side"] != side or (path and item_label.search(path[-1])
                                                         and blocks[-1]["item"] is not None):
            blocks.append({"side": side, "item": None, "amounts": {}})
        block = blocks[-1]
        if path and item_label.search(path[-1]) and block["item"] is None:
            block["item"] = c
        else:
            side_free = [p for p in path if not any(rx.fullmatch(p) for _, rx in sides)]
            meaning = tpl.vocabulary.read_path(side_free, years)
            key = tpl.vocabulary.field_for("summary", meaning, table.kind.fixes) \
                if meaning is not None else None
            if key and key not in block["amounts"].values():
                block["amounts"][c] = key
    mapped = {b["item"] for b in blocks} | {c for b in blocks for c in b["amounts"]}
    _check_unmapped(table, ctx, paths, {c: "" for c in mapped if c is not None}, "summary")
    if not blocks or any(b["item"] is None for b in blocks):
        raise table_error(ctx, table, "cannot find the item/amount columns of this summary "
                          f"table (header: {paths})")
    unit = table_unit(table, ctx)
    owner = table.grid.span_owner()
    out = []
    whole_of = summary.get("groups", {})  # 财政拨款 -> its funds
    for n, block in enumerate(blocks):
        parents: list[tuple[int, str]] = []
        group: tuple[str, str | None, tuple] | None = None  # (line, its code, its parts)
        last_class: str | None = None
        for i, row in table.body():
            cell = owner.get((i, block["item"]))
            if cell is not None and cell.col < block["item"]:
                continue  # a label spanning from an earlier block: read there
            text = clean(row[block["item"]]) if block["item"] < len(row) else ""
            amounts = _block_amounts(table, ctx, blocks, n, i, row, unit, cell)
            if not text:
                if any(v is not None for v in amounts.values()):
                    raise table_error(ctx, table, "an amount with no item name beside it", i)
                continue
            level, item = split_numbering(text)
            item = label(item).rstrip(":：")
            while parents and level and parents[-1][0] >= level:
                parents.pop()
            parent = parents[-1][1] if parents and level else None
            if level and level != 9:
                parents.append((level, item))
            elif not level:
                parents = []
            record = {"side": block["side"], "parent_item": parent, "item": item,
                      **_summary_codes(block["side"], item, parent, level)}
            if group and not parent and record["item_code"] in group[2]:
                record["parent_item"] = group[0]  # 一般公共预算 under 财政拨款, unnumbered
                if group[1] in summary.get("prefixed", ()) and \
                        not record["item_code"].startswith(group[1]):
                    record["item_code"] = f"{group[1]}_{record['item_code']}"
            elif not parent:
                group = (item, record["item_code"], whole_of.get(record["item_code"], ()))
            if record["function_code"] or record["item_code"]:
                last_class = item if record["function_code"] else None
            elif last_class and not level and block["side"] == "expenditure":
                record["parent_item"] = last_class  # a 款 or 项 under its 类, by indent only
            if table.kind.resource == "income_expenditure_summary":
                record["amount"] = next(iter(amounts.values()), None)
            else:
                record.update(amounts)
            record.update(provenance(table, ctx, i, unit))
            out.append(record)
    return out


def _block_amounts(table, ctx, blocks, n, i, row, unit, cell) -> dict:
    """A block's amounts on row i. When the item label is a merged cell running over the
    next blocks (当年支出小计 across 功能分类 and 支出用途), its amount is printed in the last
    block it covers."""
    def read(block):
        return {key: amount_of(table, ctx, row[c] if c < len(row) else "", unit, i)
                for c, key in block["amounts"].items()}
    amounts = read(blocks[n])
    if cell is not None and all(v is None for v in amounts.values()):
        end = cell.col + cell.colspan
        for later in blocks[n + 1:]:
            if later["item"] < end:
                values = read(later)
                if any(v is not None for v in values.values()):
                    amounts = {k: values.get(k) for k in amounts} or values
    return amounts


def _summary_codes(side: str, item: str, parent: str | None, level: int) -> dict:
    """Standard identifiers of a summary line: item_code and, for a function class, its code."""
    patterns = families.current().raw["summary"]["items"]
    code = _item_code_of(item, patterns.get(side, {}))
    if code == "appropriation" and parent:  # 其中：财政拨款 under 一般公共预算
        code = f"{_item_code_of(parent, patterns[side]) or side}_appropriation"
    fc = function_class_names().get(class_key(item)) if side == "expenditure" and level else None
    return {"item_code": code or (f"function_class_{fc}" if fc else None), "function_code": fc}


def _item_code_of(item: str, patterns: dict) -> str | None:
    return next((k for k, rx in patterns.items() if re.search(rx, item)), None)


_LIST_NUMBERING = re.compile(r"^(其中[:：]?|[(（]?[一二三四五六七八九十\d]+[)）、.．]?\s*)+")


def _vertical_form(table: Table, ctx: Context, paths: list[list[str]]) -> list[dict] | None:
    """A form printed as a list (项目 | 金额): each row's label names the field, read with
    the vocabulary like a column header. The amount is the column that names no fund or
    period beyond the table's (合计, 预算数); other understood columns (a fund's share)
    are not published. None when the table is not such a list."""
    tpl = families.current()
    item = re.compile(tpl.raw["summary"]["item"])
    vocabulary = tpl.vocabulary
    if not paths or not paths[0] or not item.search(paths[0][-1]):
        return None
    meanings = {c: vocabulary.read_path(p) for c, p in enumerate(paths) if c and p}
    if any(m is None or "item" in m for m in meanings.values()):
        return None
    plain = [c for c, m in meanings.items() if not {d: v for d, v in m.items()
                                                    if vocabulary.optional.get(d) != v}]
    if not plain:
        return None
    column = plain[0]
    _warn_unpublished_columns(table, ctx, {0: "item", column: "amount"})
    unit = table_unit(table, ctx)
    record: dict = {"line_type": "total", "unit_code": None, "name": None}
    first = None
    for i, row in table.body():
        text = _LIST_NUMBERING.sub("", clean(row[0]))
        value = amount_of(table, ctx, row[column] if column < len(row) else "", unit, i)
        meaning = vocabulary.read_path([text]) if text else None
        key = vocabulary.field_for(table.kind.resource, meaning, table.kind.fixes) \
            if meaning is not None else None
        if key is None or key in record:
            if value is not None and (meaning is None or key in record):
                raise table_error(ctx, table, f"line {text!r} is not understood", i)
            if value is not None:
                ctx.warnings.append(f"{table.title} ({table.where}): line {text} is not published")
            continue
        record[key] = value
        first = i if first is None else first
    if "grand_total" in record and "total" not in record:
        record["total"] = record.pop("grand_total")
    record.update(provenance(table, ctx, first if first is not None else table.n_header, unit))
    return [record]


def _other_fund_columns(table: Table, paths, mapping: dict[int, str]) -> list[int]:
    """Columns printing an item's share of another fund beside a mapped column of the same
    item's first fund (总计/一般公共预算, 总计/政府性基金预算 …, in a table that fixes no
    fund): the mapped share is the item's whole where these print zero."""
    vocabulary = families.current().vocabulary
    years = header_years(paths)
    funded = {key: c for c, key in mapping.items()
              if "fund" in (vocabulary.read_path(paths[c], years) or {})}
    out = []
    for c, path in enumerate(paths):
        meaning = vocabulary.read_path(path, years) if c not in mapping and path else None
        if meaning and "fund" in meaning:
            key = vocabulary.field_for(table.kind.resource, meaning, table.kind.fixes)
            if key in funded:
                out.append(c)
    return out


def normalize_form_row(table: Table, ctx: Context) -> list[dict]:
    """三公-style tables: labelled columns, one row of values (or one per unit); or the
    same fields printed as a list, one per row."""
    tpl = families.current()
    paths = header_paths(table.grid, table.n_header)
    vertical = _vertical_form(table, ctx, paths)
    if vertical is not None:
        return vertical
    mapping = map_columns(paths, tpl.specs("form_row", table.kind.resource))
    phases: dict[int, str] = {}  # column -> the phase its header names, where it names one
    mapping.update(amount_columns(paths, table.kind, table.kind.resource, skip=mapping,
                                  phases=phases))
    other_funds = _other_fund_columns(table, paths, mapping)
    _check_unmapped(table, ctx, paths, {**mapping, **{c: "" for c in other_funds}})
    if "grand_total" in mapping.values() and "total" not in mapping.values():
        # a lone 合计 is the table's own total unless another column holds the 三公 total
        mapping = {c: "total" if k == "grand_total" else k for c, k in mapping.items()}
    unit = table_unit(table, ctx)
    years = [int(y) for _, row in table.body() for c, k in mapping.items() if k == "year"
             for y in re.findall(r"^(\d{4})年", clean(row[c]) if c < len(row) else "")]
    out = []
    for i, row in table.body():
        cells = {key: row[c] if c < len(row) else "" for c, key in mapping.items()}
        if years and not re.match(rf"^{max(years)}年", clean(cells.get("year"))):
            continue  # a row of last year's figures, or of the change: not this budget's
        for c in other_funds:  # a fund's share is the item's whole only beside zeros
            if amount_of(table, ctx, row[c] if c < len(row) else "", unit, i):
                raise table_error(ctx, table, f"column {c + 1} ({'/'.join(paths[c])}) holds "
                                  f"{row[c]!r}: an item split by fund with amounts in more "
                                  "than one fund has no published field", i)
        code, name = digits(cells.get("unit_code")), clean(cells.get("name"))
        kind = "total" if not code or _is_total(name) else unit_kind(code, ctx)
        for phase in sorted({phases.get(c, ctx.phase) for c in mapping}):  # a row per phase
            amounts = {key: amount_of(table, ctx, row[c] if c < len(row) else "", unit, i)
                       for c, key in mapping.items()
                       if key not in ("unit_code", "name", "year")
                       and phases.get(c, ctx.phase) == phase}
            if not any(v is not None for v in amounts.values()):
                continue
            record = {"line_type": kind, "unit_code": code or None,
                      "name": None if _is_total(name) else name or None, "phase": phase}
            record.update(amounts)
            record.update(provenance(table, ctx, i, unit))
            out.append(record)
    return out
