"""The national classifications of function (功能分类) and economic (经济分类) codes.

The reference tables under reference/ (names and aliases of function classes, economic
classes per system) that normalization codes printed names by, and `Classifications`, which
gathers the codes a build has seen into the published function_classes and economic_classes
tables.
"""
from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from pipeline.metadata.registry import BY_NAME
from pipeline.values import label

REFERENCE_DIR = Path(__file__).resolve().with_name("reference")


@lru_cache(maxsize=1)
def _function_class_rows() -> tuple[dict, ...]:
    with open(REFERENCE_DIR / "function_classes.csv", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def function_class_reference() -> dict[str, str]:
    """National function classes (类): 3-digit code -> name."""
    return {row["code"]: row["name"] for row in _function_class_rows()}


@lru_cache(maxsize=1)
def function_class_names() -> dict[str, str]:
    """Normalized name or alias of a function class (类) -> its 3-digit code."""
    names: dict[str, str] = {}
    for row in _function_class_rows():
        for name in [row["name"]] + [a for a in row["aliases"].split("|") if a]:
            names[class_key(name)] = row["code"]
    return names


def class_key(name: str) -> str:
    return re.sub(r"(支出)?$", "", label(name))


@lru_cache(maxsize=1)
def economic_class_reference() -> dict[str, dict[str, tuple[str, ...]]]:
    """National economic classes (reference/economic_classes.csv), per system (department,
    government): normalized name -> the codes (类 3 digits, 款 5) bearing it."""
    names: dict[str, dict[str, list[str]]] = {}
    with open(REFERENCE_DIR / "economic_classes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names.setdefault(row["system"], {}).setdefault(label(row["name"]), []).append(row["code"])
    return {system: {n: tuple(c) for n, c in by_name.items()} for system, by_name in names.items()}


def economic_codes(names: list[str], classes: dict[str, tuple[str, ...]]) -> list[str] | str:
    """The code of each name, in printed order, in one system: a 类 bearing the name, or a
    款 bearing it under the 类 line above; exactly one must fit. Else why not."""
    codes: list[str] = []
    parent = ""
    for name in names:
        fits = [c for c in classes.get(label(name), ())
                if len(c) == 3 or (parent and len(c) == 5 and c.startswith(parent))]
        if len(fits) != 1:
            under = f" under {parent}" if parent else ""
            return f"{name!r} names {'no' if not fits else 'more than one'} class{under}"
        codes.append(fits[0])
        parent = fits[0] if len(fits[0]) == 3 else parent
    return codes


class Classifications:
    """Function and economic codes seen, with their printed names, and their parents."""

    def __init__(self):
        self.names: dict[str, dict[str, Counter]] = {"function": defaultdict(Counter),
                                                     "economic": defaultdict(Counter)}

    def see(self, resource: str, row: dict) -> None:
        pairs = [(c.system, row.get(c.field), row.get(c.name) if c.name else None)
                 for c in BY_NAME[resource].codes if c.system in self.names]
        for system, code, name in pairs:
            if code:
                counter = self.names[system][code]
                if name:
                    counter[name] += 1

    def rows(self, system: str) -> list[dict]:
        names = self.names[system]
        codes = set(names)
        for code in list(codes):  # add every ancestor: 2010301 -> 20103 -> 201
            while len(code) > 3:
                code = code[:-2]
                codes.add(code)
        reference_names = function_class_reference() if system == "function" else {}
        out = []
        for code in sorted(codes):
            seen = names.get(code)
            name = min(seen, key=lambda n: (-seen[n], n)) if seen else reference_names.get(code)
            level = {3: "类", 5: "款", 7: "项"}[len(code)]
            row = {"level": level, "name": name, "parent_code": code[:-2] if len(code) > 3 else None}
            if system == "function":
                out.append({"function_code": code, **row})
            else:
                out.append({"economic_code": code,
                            "system": "department" if code.startswith("3") else "government",
                            **row})
        return out
