"""The data dictionary (datapackage/README.md): every published table and field, written
from the registry.
"""
from __future__ import annotations

from pipeline.metadata.registry import TABLES


def data_dictionary(meta: dict) -> str:
    """datapackage/README.md: what each published table and field holds, from the registry."""
    lines = [f"# {meta['title']}", "", f"Version {meta['version']}. {meta['description']}", "",
             "Amounts are in yuan (元) whatever the document printed; `source_unit` says what it "
             "printed (万元 = 10,000 yuan). A blank cell means the document printed nothing "
             "there, not zero. Every row names its document, table and page.", "",
             "## Budgets and final accounts: the phase of every amount", "",
             "Budgets (部门预算, `documents.kind` = budget) and final accounts (部门决算, "
             "final_accounts) publish into the same tables: a final account's 支出决算表 goes to "
             "`expenditure_by_function` like a budget's 支出预算总表, with the same codes and keys. "
             "Every table of amounts carries `phase` (the Fiscal Data Package's phases), in its "
             "primary key: `approved` for a budget's amounts, `executed` for what a final account "
             "says was spent, `adjusted` for the year's budget as a final account restates it "
             "beside (the 三公 table's 预算数 next to its 决算数: one row per phase). So budget and "
             "final figures of one department and year compare in one query, joined on "
             "`documents.department_id` and `fiscal_year` and the line's code; and a sum over "
             "documents must pick one phase, or it adds a budget to what was spent of it. "
             "Columns only final accounts print (年初结转和结余, 本年收入, 年末结转和结余) are "
             "fields of their own; what a final account's narrative states of each item's budget "
             "and execution is `budget_execution`.", ""]
    for table in TABLES:
        lines += [f"## `{table.name}` — {table.title}", "", table.description, ""]
        if table.standard_tables:
            lines += [f"From: {table.standard_tables}.", ""]
        lines += [f"Primary key: {', '.join(table.primary_key)}.", "",
                  "| field | 名称 | type | description |", "|---|---|---|---|"]
        lines += [f"| `{f.name}` | {f.title} | {f.type} | {f.description} |" for f in table.fields]
        lines.append("")
    return "\n".join(lines)
