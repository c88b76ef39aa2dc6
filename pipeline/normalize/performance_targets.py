"""The performance tables: 部门（单位）整体绩效目标表 (12) and 项目绩效目标表 (13).

Table 12 is a form, not a grid of columns: goal text, main tasks, the budget, then a block
of indicators (一级/二级/三级指标, 指标值, 指标值说明) whose merged level cells are printed
once. Table 13 lists projects, each followed by rows of (三级指标, 指标值) pairs under the
category (成本/产出/效益/满意度指标) of their column.
"""
from __future__ import annotations

import re

from pipeline import families
from pipeline.normalize.layouts import Context, _amount, _provenance, table_error, table_unit, _unit_kind
from pipeline.recognize.tables import Table, header_paths
from pipeline.values import clean, digits, label, looks_numeric, parse_indicator_value

VALUE_MAX_LENGTH = 12  # longer cells in the value position are explanations, not values


def _indicator(scope: str, level1, level2, level3, value, note, **extra) -> dict:
    op, n1, n2, unit = parse_indicator_value(value or "")
    return {"scope": scope, **extra, "level1": level1 or None, "level2": level2 or None,
            "level3": level3, "value": value or None, "operator": op, "value_number": n1,
            "value_number_max": n2, "value_unit": unit, "value_note": note or None}


def _is_value_like(text: str) -> bool:
    return len(text) <= VALUE_MAX_LENGTH and not re.search(r"[，。；;=]", text)


def _has_number(text: str) -> bool:
    return parse_indicator_value(text)[1] is not None


def _split_indicator_row(cells: list[str], width: int) -> tuple[str, str, str, str, str]:
    """(level1, level2, level3, value, note) from a row's non-empty cells. A full row is
    read by position; others from the right, since merged level cells are printed once and
    short rows lose their leading blanks."""
    cells = list(cells)
    if len(cells) == width == 5:
        return tuple(cells)  # type: ignore[return-value]
    note = ""
    if cells and (not _is_value_like(cells[-1]) or len(cells) >= 2 and _has_number(cells[-2])
                  and not _has_number(cells[-1])):
        note = cells.pop()
    value = cells.pop() if cells else ""
    level3 = cells.pop() if cells else ""
    level1 = level2 = ""
    if len(cells) >= 2:
        level1, level2 = cells[-2], cells[-1]
    elif cells:
        if cells[0].endswith("指标"):
            level1 = cells[0]
        else:
            level2 = cells[0]
    return level1, level2, level3, value, note


def normalize_department(table: Table, ctx: Context) -> dict[str, list[dict]]:
    """Table 12 -> performance_goals, performance_budgets and performance_targets rows."""
    tpl = families.load()
    perf = tpl.raw["performance"]
    goal_rx, tasks_rx, task_header = (re.compile(perf[k]) for k in ("goal", "tasks", "task_header"))
    budget_rx = {k: re.compile(v) for k, v in perf["budget"].items()}
    goals: list[dict] = []
    budget: dict = {}
    targets: list[dict] = []
    section = ""
    budget_row = None
    unit = table.unit or ""
    level1 = level2 = ""
    width = 0
    for i, row in enumerate(table.grid.rows()):
        cells = [clean(c) for c in row if clean(c)]
        if not cells:
            continue
        first = label(cells[0])
        if tpl.pattern("department_line").match(cells[0]):
            continue
        if "一级指标" in map(label, cells) or "三级指标" in map(label, cells):
            section, width = "indicators", len(cells)
            continue
        if goal_rx.match(first):
            section = "goal"
            cells = cells[1:]
        elif tasks_rx.match(first):
            section = "tasks"
            cells = cells[1:]
        elif first == "预算情况":
            section = "budget"
            cells = cells[1:]
        if not cells:
            continue
        if section == "goal":
            text = "\n".join(cells)
            if goals and goals[-1]["kind"] == "goal":
                goals[-1]["content"] += "\n" + text
            else:
                goals.append({"kind": "goal", "name": None, "content": text,
                              **_provenance(table, ctx, i, unit or "万元")})
        elif section == "tasks":
            if task_header.match(label(cells[0])):
                continue
            goals.append({"kind": "task", "name": cells[0], "content": cells[-1] if len(cells) > 1 else "",
                          **_provenance(table, ctx, i, unit or "万元")})
        elif section == "budget":
            text = "".join(c for c in cells if not looks_numeric(c))
            m = tpl.pattern("unit_in_text").search(text.replace("(", "（").replace(")", "）"))
            if m:
                unit = m.group("unit")
            key = next((k for k, rx in budget_rx.items() if rx.search(label(text))), None)
            numbers = [c for c in cells if looks_numeric(c)]
            if key is None:
                if numbers:
                    raise table_error(ctx, table, f"budget line {text!r} not recognized", i)
                continue
            budget_row = i if budget_row is None else budget_row
            budget[key] = numbers[-1] if numbers else ""
        elif section == "indicators":
            l1, l2, l3, value, note = _split_indicator_row(cells, width)
            if l1:
                level1, level2 = l1, ""
            if l2:
                level2 = l2
            if not l3:
                raise table_error(ctx, table, f"indicator row without a 三级指标: {cells}", i)
            targets.append(_indicator("department", level1, level2, l3, value, note,
                                      project_code=None, project_name=None,
                                      **_provenance(table, ctx, i, unit or "万元")))
    _backfill_level1(targets)
    budgets = []
    if budget:
        if not unit:
            unit = table_unit(table, ctx)
        record = {"scope": "department", "line_type": "total", "unit_code": None,
                  "project_code": None, "name": None}
        record.update({k: _amount(table, ctx, v, unit, budget_row) for k, v in budget.items()})
        record.update(_provenance(table, ctx, budget_row, unit))
        budgets.append(record)
    for r in goals + targets:
        r["source_unit"] = unit or None
    return {"performance_goals": goals, "performance_budgets": budgets,
            "performance_targets": targets}


def _backfill_level1(targets: list[dict]) -> None:
    """A merged 一级指标 cell is printed mid-block, so the rows above its label have none:
    give them the first label below."""
    first = next((t["level1"] for t in targets if t["level1"]), None)
    for t in targets:
        if t["level1"]:
            break
        t["level1"] = first


def normalize_projects(table: Table, ctx: Context) -> dict[str, list[dict]]:
    """Table 13 -> performance_budgets (one row per unit/project) and performance_targets."""
    tpl = families.load()
    perf = tpl.raw["performance"]
    categories = re.compile(perf["categories"])
    paths = header_paths(table.grid, table.n_header)
    specs = tpl.specs("performance", "project_columns")
    columns: dict[int, tuple[str, str | None]] = {}
    for c, path in enumerate(paths):
        spec = next((s for s in specs if s.matches(path)), None)
        if spec is None:
            continue
        category = next((p for p in path if categories.search(p)), None)
        columns[c] = (spec.key, category)
    if not any(k == "code" for k, _ in columns.values()):
        raise table_error(ctx, table, f"no project code column in header {paths}")
    unit = table_unit(table, ctx)
    budgets: list[dict] = []
    targets: list[dict] = []
    project: dict | None = None
    current_unit = None
    for i, row in table.body():
        get = {}
        pairs: dict[str, dict] = {}
        for c, (key, category) in columns.items():
            text = clean(row[c]) if c < len(row) else ""
            if key in ("indicator", "value"):
                pairs.setdefault(category or "", {})[key] = text
            else:
                get[key] = text
        code = digits(get.get("code"))
        if code:
            amounts = {k: _amount(table, ctx, get.get(k, ""), unit, i)
                       for k in ("total", "government_budget", "special_account", "unit_funds")}
            is_project = len(code) > 9
            kind = "item" if is_project else _unit_kind(code, ctx)
            if not is_project:
                current_unit = code
            project = {"code": code, "name": get.get("name") or None} if is_project else None
            budgets.append({"scope": "project", "line_type": kind,
                            "unit_code": current_unit if is_project else code,
                            "project_code": code if is_project else None,
                            "name": get.get("name") or None, **amounts,
                            **_provenance(table, ctx, i, unit)})
        elif get.get("code"):
            raise table_error(ctx, table, f"project code {get['code']!r} is not a code", i)
        for category, pair in pairs.items():
            if not pair.get("indicator") and not pair.get("value"):
                continue
            if project is None:
                raise table_error(ctx, table, "indicator printed before any project", i)
            if not pair.get("indicator"):
                raise table_error(ctx, table, f"value {pair.get('value')!r} has no 三级指标", i)
            targets.append(_indicator("project", category, None, pair["indicator"],
                                      pair.get("value"), None, project_code=project["code"],
                                      project_name=project["name"],
                                      **_provenance(table, ctx, i, unit)))
    return {"performance_budgets": budgets, "performance_targets": targets}
