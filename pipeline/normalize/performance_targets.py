"""The performance tables: 部门（单位）整体绩效目标表 (12) and 项目绩效目标表 (13).

Table 12 is a form, not a grid of columns: goal text, main tasks, the budget, then a block
of indicators (一级/二级/三级指标, 指标值, 指标值说明) whose merged level cells are printed
once. Table 13 lists projects, each followed by rows of (三级指标, 指标值) pairs under the
category (成本/产出/效益/满意度指标) of their column; some templates print its levels as
columns instead (Beijing), or one form per project without a code (Fujian).
"""
from __future__ import annotations

import re
from collections import Counter

from pipeline import families
from pipeline.normalize.common import (Context, amount_of, provenance, table_error, table_unit,
                                       unit_kind)
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
    """Table 12 -> performance_goals, performance_budgets and performance_targets rows. A
    table listing its indicators per 活动 goes to `normalize_department_activities`."""
    tpl = families.current()
    perf = tpl.raw["performance"]
    activity = _activity_columns(table, perf["activity_columns"])
    if activity is not None:
        return normalize_department_activities(table, ctx, *activity)
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
                              **provenance(table, ctx, i, unit or "万元")})
        elif section == "tasks":
            if task_header.match(label(cells[0])):
                continue
            goals.append({"kind": "task", "name": cells[0], "content": cells[-1] if len(cells) > 1 else "",
                          **provenance(table, ctx, i, unit or "万元")})
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
                                      **provenance(table, ctx, i, unit or "万元")))
    _backfill_level1(targets)
    budgets = []
    if budget:
        if not unit:
            unit = table_unit(table, ctx)
        record = {"scope": "department", "line_type": "total", "unit_code": None,
                  "project_code": None, "name": None}
        record.update({k: amount_of(table, ctx, v, unit, budget_row) for k, v in budget.items()})
        record.update(provenance(table, ctx, budget_row, unit))
        budgets.append(record)
    for r in goals + targets:
        r["source_unit"] = unit or None
    return {"performance_goals": goals, "performance_budgets": budgets,
            "performance_targets": targets}


def _activity_columns(table: Table, patterns: dict[str, str]) -> tuple[int, dict[str, int]] | None:
    """The row printing the 活动 | 绩效指标 … header, and its columns by key; None if none."""
    rxs = {k: re.compile(v) for k, v in patterns.items()}
    for i, row in enumerate(table.grid.rows()):
        columns = {k: next((c for c, text in enumerate(row) if rx.match(label(text))), None)
                   for k, rx in rxs.items()}
        if columns["activity"] is not None and columns["indicator"] is not None:
            return i, {k: c for k, c in columns.items() if c is not None}
    return None


def split_levels(text: str, names: dict[str, list[str]]) -> tuple[str, str, str] | None:
    """(一级, 二级, 三级指标) from a cell printing them run together
    (产出指标质量指标来信扫描完成率), by the names of the levels; None where the text does
    not start with an 一级指标 and one of its 二级指标, or nothing is left for the 三级."""
    for level1 in sorted(names, key=len, reverse=True):
        if text.startswith(level1):
            rest = text[len(level1):]
            level2 = next((n for n in sorted(names[level1], key=len, reverse=True)
                           if rest.startswith(n)), None)
            if level2 and rest[len(level2):]:
                return level1, level2, rest[len(level2):]
    return None


def normalize_department_activities(table: Table, ctx: Context, header: int,
                                    columns: dict[str, int]) -> dict[str, list[dict]]:
    """A department's 整体绩效目标表 listing indicators per 活动, each 绩效指标 cell running
    its levels together (Beijing) -> performance_goals (the goal), performance_budgets (its
    total, 财政拨款 and 其他资金, each fund's 合计 proven = 基本支出 + 项目支出) and
    performance_targets."""
    tpl = families.current()
    perf = tpl.raw["performance"]
    goal_rx, notes_rx = re.compile(perf["goal"]), re.compile(perf["other_notes"])
    qualitative, names = re.compile(perf["qualitative"]), perf["level_names"]
    unit = table_unit(table, ctx)
    paths = header_paths(table.grid, table.n_header)
    specs = tpl.specs("performance", "activity_budget")
    budget_cols = {s.key: c for s in specs for c, path in enumerate(paths) if s.matches(path)}
    rows = table.grid.rows()
    goals: list[dict] = []
    budgets: list[dict] = []
    targets: list[dict] = []
    for i, row in table.body():
        cells = [clean(c) for c in row]
        if i >= header:
            break
        texts = [c for c in cells if c]
        if any(goal_rx.match(label(c)) for c in texts):
            content = "\n".join(c for c in texts if not goal_rx.match(label(c)))
            if content:
                goals.append({"kind": "goal", "name": None, "content": content,
                              **provenance(table, ctx, i, unit)})
        elif any(notes_rx.match(label(c)) for c in texts):
            if [c for c in texts if not notes_rx.match(label(c))]:
                raise table_error(ctx, table, f"其他说明 {texts} is not read", i)
        elif any(looks_numeric(c) for c in texts):
            if budgets or len(budget_cols) != len(specs):
                raise table_error(ctx, table, f"funds {texts} under a header {paths} not read", i)
            got = {k: amount_of(table, ctx, cells[c] if c < len(cells) else "", unit, i)
                   for k, c in budget_cols.items()}
            for fund in ("appropriation", "other_funds"):
                parts = [got[f"{fund}_basic"], got[f"{fund}_project"]]
                if (got[fund] or 0) != sum(p or 0 for p in parts):
                    raise table_error(ctx, table, f"{fund} {got[fund]} is not 基本支出 + 项目支出 "
                                      f"{parts}: its columns are not proven", i)
            budgets.append({"scope": "department", "line_type": "total", "unit_code": None,
                            "project_code": None, "name": None, "total": got["total"],
                            "appropriation": got["appropriation"],
                            "other_funds": got["other_funds"], **provenance(table, ctx, i, unit)})
    for i, row in enumerate(rows[header + 1:], start=header + 1):
        get = {k: clean(row[c]) if c < len(row) else "" for k, c in columns.items()}
        if not any(get.values()):
            continue
        levels = split_levels(get["indicator"], names)
        if levels is None or not get["activity"]:
            raise table_error(ctx, table, f"indicator {get['indicator']!r} of activity "
                              f"{get['activity']!r}: not an 一级 and 二级指标 before a 三级", i)
        targets.append(_indicator("department", *levels, _value(get, qualitative), None,
                                  project_code=None, project_name=None, activity=get["activity"],
                                  **provenance(table, ctx, i, unit)))
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


def _is_project_form(table: Table, form: dict) -> bool:
    """A project's own table printed as a form: its rows are labelled (项目名称, 资金总额 …)."""
    labels = [re.compile(form["name"])] + [re.compile(v) for v in form["lines"].values()]
    return any(rx.match(label(c)) for row in table.grid.rows() for c in row for rx in labels)


def _after(cells: list[str], rx: re.Pattern) -> str | None:
    """The text printed right of the cell labelled `rx` (实施单位 | 福州市公安局巡特警支队)."""
    for c, text in enumerate(cells):
        if rx.match(label(text)):
            return next((t for t in cells[c + 1:] if t), None)
    return None


def normalize_project_form(table: Table, ctx: Context, form: dict) -> dict[str, list[dict]]:
    """Projects' 绩效目标表 printed as forms, without a project code (one per table in
    Fujian) -> a performance_budgets row and performance_targets per project, keyed by its
    name and 实施单位 as printed. A 项目名称 line starts a project (a 专项资金名称 line a
    special fund's, scope special_fund); a table with none is one project named by its title
    (警务辅助人员经费项目绩效目标表). A project printed in several forms (same name and unit)
    is published once per form, as printed, the 2nd, 3rd … numbered by `repeat` on its
    funds and its indicators alike."""
    tpl = families.current()
    levels = {k: re.compile(v) for k, v in tpl.raw["performance"]["levels"].items()}
    lines = {k: re.compile(v) for k, v in form["lines"].items()}
    name_rx, unit_rx = re.compile(form["name"]), re.compile(form["unit"])
    scopes = {k: re.compile(v) for k, v in form["scopes"].items()}
    projects: list[dict] = []
    project: dict | None = None
    columns: dict[str, int] | None = None
    for i, row in enumerate(table.grid.rows()):
        cells = [clean(c) for c in row]
        filled = [c for c in cells if c]
        if not filled:
            continue
        if name_rx.match(label(filled[0])):
            scope = next((k for k, rx in scopes.items() if rx.match(label(filled[0]))), "project")
            project, columns = {"name": _after(cells, name_rx), "row": i, "amounts": {},
                                "scope": scope, "targets": [], "carried": {}}, None
            projects.append(project)
            continue
        if project is None:  # a form without a 项目名称 line: the title names its project
            m = re.match(form["title_name"], label(table.title))
            if not m:
                raise table_error(ctx, table, "no 项目名称 line, and the title names no project", i)
            project = {"name": m.group("name"), "row": i, "amounts": {}, "targets": [],
                       "carried": {}}
            projects.append(project)
        heads = {k: next((c for c, text in enumerate(cells) if rx.match(label(text))), None)
                 for k, rx in levels.items()}
        is_header = heads["level3"] is not None and heads["value"] is not None
        key = next((k for k, rx in lines.items() for c in filled if rx.match(label(c))), None)
        if _after(cells, unit_rx) and "unit" in project or key in project["amounts"] or \
                is_header and columns is not None:
            raise table_error(ctx, table, f"{filled} printed again for {project['name']}: a "
                              "project without its 项目名称 line", i)
        if _after(cells, unit_rx):
            project["unit"] = _after(cells, unit_rx)
        if columns is None:
            if is_header:
                columns = {k: c for k, c in heads.items() if c is not None}
                continue
            m = tpl.pattern("unit_in_text").search(filled[0].replace("(", "（").replace(")", "）"))
            if m and not table.unit:  # 项目资金（万元）: the unit of the funds beside
                table.unit, table.unit_source = m.group("unit"), "header"
            numbers = [c for c in filled if looks_numeric(c)]
            if key is not None:
                project.setdefault("budget_row", i)
                project["amounts"][key] = numbers[-1] if numbers else ""
            elif numbers:
                raise table_error(ctx, table, f"form line {filled} not recognized", i)
            continue
        got = {k: cells[c] if c < len(cells) else "" for k, c in columns.items()}
        carried = project["carried"]
        for k in ("level1", "level2"):
            if got.get(k):
                carried[k] = got[k]
                if k == "level1":
                    carried.pop("level2", None)
        if not got["level3"]:
            if got["value"]:
                raise table_error(ctx, table, f"value {got['value']!r} has no 三级指标", i)
            continue
        printed = {k: got.get(k) for k in ("level3", "value", "value_note")}
        project["targets"].append((i, {**carried, **printed}))
    unit = table_unit(table, ctx)
    budgets: list[dict] = []
    targets: list[dict] = []
    forms: Counter[tuple] = Counter()
    for p in projects:
        if not p["name"]:
            raise table_error(ctx, table, "a 项目名称 line names no project", p["row"])
        if not p["targets"] and not p["amounts"]:
            raise table_error(ctx, table, f"no funds and no indicators for {p['name']}", p["row"])
        scope = p.get("scope", "project")
        # a project printed in another form (same name and unit): its 2nd, 3rd … printing,
        # its funds and indicators as printed; which one is its budget the table does not say
        forms[scope, p["name"], p.get("unit")] += 1
        n = forms[scope, p["name"], p.get("unit")]
        repeat = str(n) if n > 1 else None
        targets += [_indicator(scope, t.get("level1"), t.get("level2"), t["level3"],
                               t["value"], t.get("value_note"), project_code=None,
                               project_name=p["name"], project_unit=p.get("unit"), repeat=repeat,
                               **provenance(table, ctx, i, unit)) for i, t in p["targets"]]
        if p["amounts"]:
            row = p["budget_row"]
            budgets.append({"scope": scope, "line_type": "item",
                            "unit_code": None, "project_code": None, "name": p["name"],
                            "project_unit": p.get("unit"), "repeat": repeat,
                            **{k: amount_of(table, ctx, v, unit, row) for k, v in p["amounts"].items()},
                            **provenance(table, ctx, row, unit)})
    return {"performance_budgets": budgets, "performance_targets": targets}


def _value(cells: dict[str, str], qualitative: re.Pattern) -> str:
    """The value printed over 性质 | 值 | 单位 cells (≥ | 95 | %) as one text; a qualitative
    value (定性 | 优) is its word."""
    op = cells.get("operator", "")
    if qualitative.match(label(op)):
        op = ""
    return "".join((op, cells.get("value", ""), cells.get("value_unit", "")))


def normalize_project_levels(table: Table, ctx: Context, columns: dict[str, int]) -> dict[str, list[dict]]:
    """A project list whose indicators carry their 一级/二级/三级指标 in columns and whose
    project cell holds the code before the name (Beijing's 项目支出绩效目标表) ->
    performance_budgets and performance_targets. A name cell split over a page break
    continues on the next page's first row."""
    perf = families.current().raw["performance"]
    code_name, qualitative = re.compile(perf["code_and_name"]), re.compile(perf["qualitative"])
    unit = table_unit(table, ctx)
    projects: list[dict] = []
    for i, row in table.body():
        get = {k: clean(row[c]) if c < len(row) else "" for k, c in columns.items()}
        if get["name"]:
            m = code_name.match(get["name"])
            if m:
                projects.append({"code": m.group("code"), "name": m.group("name"), "row": i,
                                 "amounts": {k: get.get(k, "") for k in
                                             ("total", "appropriation", "other_funds")},
                                 "targets": []})
            elif projects and table.grid.page_of_row(i) != table.grid.page_of_row(i - 1):
                projects[-1]["name"] += get["name"]
            else:
                raise table_error(ctx, table, f"project {get['name']!r} has no code", i)
        if not get["indicator"]:
            if get.get("value") or get.get("level1"):
                raise table_error(ctx, table, f"indicator row without a 三级指标: {row}", i)
            continue
        if not projects:
            raise table_error(ctx, table, "indicator printed before any project", i)
        projects[-1]["targets"].append((i, get))
    budgets: list[dict] = []
    targets: list[dict] = []
    for p in projects:
        budgets.append({"scope": "project", "line_type": "item", "unit_code": None,
                        "project_code": p["code"], "name": p["name"],
                        **{k: amount_of(table, ctx, v, unit, p["row"]) for k, v in p["amounts"].items()},
                        **provenance(table, ctx, p["row"], unit)})
        targets += [_indicator("project", t["level1"], t.get("level2"), t["indicator"],
                               _value(t, qualitative), None, project_code=p["code"],
                               project_name=p["name"], **provenance(table, ctx, i, unit))
                    for i, t in p["targets"]]
    return {"performance_budgets": budgets, "performance_targets": targets}


def normalize_projects(table: Table, ctx: Context) -> dict[str, list[dict]]:
    """Table 13 -> performance_budgets (one row per unit/project) and performance_targets.
    Without a code column, a list with level columns goes to `normalize_project_levels`,
    projects' forms to `normalize_project_form`."""
    tpl = families.current()
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
    keys = {k for k, _ in columns.values()}
    if "code" not in keys:
        if {"name", "level1", "indicator"} <= keys:
            return normalize_project_levels(table, ctx, {k: c for c, (k, _) in columns.items()})
        if _is_project_form(table, perf["project_form"]):
            return normalize_project_form(table, ctx, perf["project_form"])
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
            amounts = {k: amount_of(table, ctx, get.get(k, ""), unit, i)
                       for k in ("total", "government_budget", "special_account", "unit_funds")}
            is_project = len(code) > 9
            kind = "item" if is_project else unit_kind(code, ctx)
            if not is_project:
                current_unit = code
            project = {"code": code, "name": get.get("name") or None} if is_project else None
            budgets.append({"scope": "project", "line_type": kind,
                            "unit_code": current_unit if is_project else code,
                            "project_code": code if is_project else None,
                            "name": get.get("name") or None, **amounts,
                            **provenance(table, ctx, i, unit)})
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
                                      **provenance(table, ctx, i, unit)))
    return {"performance_budgets": budgets, "performance_targets": targets}
