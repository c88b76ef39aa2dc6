"""The readable per-document report of the checks (`check` command, build log)."""
from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from pipeline.check.engine import GAP_RULE
from pipeline.values import format_decimal


def report(document_id: str, rows: list[dict]) -> str:
    """A readable per-document report of the checks."""
    counts = defaultdict(int)
    for r in rows:
        if r["status"] == "not_applicable":
            counts["uncompared" if r["subject"] else "not_applicable"] += 1
        elif r["acknowledged"]:
            counts["gaps" if r["rule"] == GAP_RULE else "acknowledged"] += 1
        else:
            counts[r["status"]] += 1
    lines = [f"{document_id}: {counts['pass']} passed, {counts['fail']} failed, "
             f"{counts['acknowledged']} acknowledged publisher errors, "
             f"{counts['not_applicable']} rules not applicable, "
             f"{counts['uncompared']} checks with nothing to compare"
             + (f", {counts['gaps']} acknowledged gaps (unread tables)" if counts["gaps"] else "")]
    for r in rows:
        if r["status"] == "not_applicable" and r["subject"]:
            lines.append(f"  NOT COMPARED {r['rule']}: {r['subject']}: " + (
                f"printed {_fmt(r['actual'])}, nothing to compare it with"
                if r["actual"] is not None else "both sides blank"))
        if r["status"] != "fail":
            continue
        tag = "ACKNOWLEDGED" if r["acknowledged"] else "FAIL"
        lines.append(f"  {tag} {r['rule']}: {r['subject']}: expected {_fmt(r['expected'])}, "
                     f"printed {_fmt(r['actual'])} (difference {_fmt(r['difference'])})")
        if r["acknowledged"]:
            what = "acknowledged gap" if r["rule"] == GAP_RULE else "publisher error"
            lines.append(f"      {what}: {r['acknowledged']}")
    na = sorted({r["rule"] for r in rows if r["status"] == "not_applicable" and not r["subject"]})
    if na:
        lines.append(f"  not applicable (tables or rows absent): {', '.join(na)}")
    errors = [r for r in rows if r["status"] == "fail" and not r["acknowledged"]
              and r["rule"] != GAP_RULE]
    if errors:
        lines += ["  if the PDF prints them so (the publisher's errors, not a misreading), "
                  "acknowledge them in source.yml, saying why:"]
        lines += ["    " + line for line in publisher_error_yaml(errors).splitlines()]
    return "\n".join(lines)


def publisher_error_yaml(failing: list[dict]) -> str:
    """The source.yml lines that acknowledge failing checks as the publisher's errors, with
    their figures (`Acknowledgement.has_figures`); the explanation is left to write."""
    lines = ["acknowledged:   # already there? add only the items below it"]
    for r in failing:
        lines += [f"  - rule: {r['rule']}",
                  f"    subject: {json.dumps(r['subject'], ensure_ascii=False)}"]
        lines += [f'    {name}: "{format_decimal(r[name])}"' for name in ("expected", "actual")
                  if r[name] is not None]
        lines += ['    explanation: "TODO: what the PDF prints, where, and why it differs"']
    return "\n".join(lines)


def _fmt(v: Decimal | None) -> str:
    return "blank" if v is None else format(v.normalize(), "f")
