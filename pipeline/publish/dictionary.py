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
             "there, not zero. Every row names its document, table and page.", ""]
    for table in TABLES:
        lines += [f"## `{table.name}` — {table.title}", "", table.description, ""]
        if table.standard_tables:
            lines += [f"From: {table.standard_tables}.", ""]
        lines += [f"Primary key: {', '.join(table.primary_key)}.", "",
                  "| field | 名称 | type | description |", "|---|---|---|---|"]
        lines += [f"| `{f.name}` | {f.title} | {f.type} | {f.description} |" for f in table.fields]
        lines.append("")
    return "\n".join(lines)
