"""A document family's knowledge (budget.yml, final_accounts.yml): table kinds and titles,
the vocabulary of column headers, row identities, narrative phrasings; and matching titles and
headers with it.

A document's `kind` (source.yml) chooses its family: `use(kind)` makes it the current one
while that document is read and checked, and `current()` is what recognition, normalization
and the checks consult. A family file may extend another (`extends: budget`): it then holds
its own `kinds` and whatever it adds to or overrides of the other's knowledge.
"""
from __future__ import annotations

import contextvars
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import yaml

from pipeline.families.schema import FamilyFileError, validate
from pipeline.values import label

FAMILIES = Path(__file__).parent
FAMILY_FILE = FAMILIES / "budget.yml"
DEFAULT = "budget"  # the family of a document whose kind is not known


@dataclass(frozen=True)
class Kind:
    """One recognizable standard table: where its rows go and how it is laid out."""

    id: str
    resource: str
    layout: str
    titles: tuple[re.Pattern, ...]
    header: tuple[re.Pattern, ...] = ()
    attrs: dict = field(default_factory=dict, hash=False)
    fixes: dict = field(default_factory=dict, hash=False)  # dimensions the table itself fixes

    def fits_header(self, labels: str) -> bool:
        """Whether the header labels (joined) carry this kind's signature."""
        return all(p.search(labels) for p in self.header)


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    leaf: re.Pattern
    within: re.Pattern | None = None

    def matches(self, path: list[str]) -> bool:
        if not path or not self.leaf.search(path[-1]):
            return False
        return self.within is None or any(self.within.search(p) for p in path[:-1])


def _specs(items: list[dict]) -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(i["key"], re.compile(i["leaf"]),
                            re.compile(i["within"]) if i.get("within") else None) for i in items)


Meaning = dict  # dimension -> value, e.g. {"fund": "general_public_budget", "spending": "basic"}


@dataclass(frozen=True)
class Vocabulary:
    """Words of column headers by dimension (families/budget.yml `vocabulary`), and the amount
    fields of each table as combinations of them (`fields`)."""

    words: tuple[tuple[str, str, re.Pattern], ...]  # (dimension, value, pattern), in order
    implies: dict = field(hash=False)
    optional: dict = field(hash=False)
    parts: dict = field(hash=False)
    nested: dict = field(hash=False)
    year: re.Pattern
    filler: re.Pattern
    fields: dict = field(hash=False)

    def read_part(self, text: str, years: tuple[int, ...] = ()) -> Meaning | None:
        """What one header label names, or None when a word of it is not known."""
        rest, meaning = label(text), {}
        for m in self.year.finditer(rest):
            year = int(m.group("year"))
            meaning["period"] = "current" if not years or year >= max(years) else "previous"
        rest = self.year.sub(" ", rest)
        for dim, value, pattern in self.words:
            if dim not in meaning and pattern.search(rest):
                meaning[dim] = value
                rest = pattern.sub(" ", rest, count=1)
        if self.filler.sub("", rest):
            return None
        for dim, value in list(meaning.items()):
            for d, v in self.implies.get(dim, {}).get(value, {}).items():
                meaning.setdefault(d, v)
        return meaning

    def read_path(self, path: list[str], years: tuple[int, ...] = ()) -> Meaning | None:
        """What a column's header path names: its parts' meanings, a deeper part refining an
        upper one; None when a part is not understood."""
        meaning: Meaning = {}
        for part in path:
            got = self.read_part(part, years)
            if got is None:
                return None
            for dim, value in got.items():
                upper = meaning.get(dim)
                meaning[dim] = self.nested.get(dim, {}).get(f"{upper}>{value}", value)
        return meaning

    def field_for(self, resource: str, meaning: Meaning, fixes: dict) -> str | None:
        """The amount field of `resource` a column of this meaning holds, in a table that
        fixes `fixes` (e.g. fund: general_public_budget); None when no field is meant."""
        meaning = dict(meaning)
        for dim, fixed in fixes.items():
            if dim not in meaning or meaning[dim] in self.parts.get(dim, {}).get(fixed, ()):
                continue  # a part of what the table fixes is told apart
            if fixed != "any" and meaning[dim] != fixed:
                return None
            del meaning[dim]
        fields = {key: {d: v for d, v in want.items() if fixes.get(d) not in ("any", v)}
                  for key, want in self.fields.get(resource, {}).items()}
        for key, want in fields.items():
            if meaning == want:
                return key
        loose = {d: v for d, v in meaning.items() if self.optional.get(d) != v}
        return next((key for key, want in fields.items() if loose == want), None)


def _vocabulary(raw: dict) -> Vocabulary:
    voc = raw["vocabulary"]
    words = tuple((dim, value, re.compile("|".join(f"(?:{p})" for p in patterns)))
                  for dim, values in voc["dimensions"].items()
                  for value, patterns in values.items())
    filler = re.compile("|".join(f"(?:{p})" for p in voc["filler"]))
    return Vocabulary(words, voc.get("implies", {}), voc.get("optional", {}),
                      voc.get("parts", {}), voc.get("nested", {}), re.compile(voc["year"]), filler,
                      raw["fields"])


@dataclass(frozen=True)
class Family:
    name: str
    raw: dict = field(hash=False)
    kinds: tuple[Kind, ...]
    title_noise: re.Pattern
    vocabulary: Vocabulary

    @property
    def phase(self) -> str:
        """The phase of the family's own amounts (approved for budgets, executed for final
        accounts; registry.PHASES)."""
        return self.raw["phase"]

    @property
    def phases(self) -> list[str]:
        """The phases its columns may name and publish."""
        return self.raw["phases"]

    def pattern(self, name: str) -> re.Pattern:
        return _compiled(self.raw[name])

    def pattern_at(self, *path: str) -> re.Pattern:
        """The pattern at a path of keys: pattern_at("narrative", "figures", "basic")."""
        node = self.raw
        for p in path:
            node = node[p]
        return _compiled(node)

    def columns(self, resource: str) -> tuple[ColumnSpec, ...]:
        return _specs(self.raw["columns"][resource])

    def specs(self, *path: str) -> tuple[ColumnSpec, ...]:
        node = self.raw
        for p in path:
            node = node[p]
        return _specs(node)

    def normalize_title(self, text: str) -> str:
        t = label(text)
        t = re.sub(r"^(附件|附表)?[:：]?([\d一二三四五六七八九十]+[、.:：])?", "", t)
        t = re.sub(r"\d{4}年(度)?", "", t)
        t = re.sub(r"^(公开)?\d+表?", "", t)
        return self.title_noise.sub("", t)

    def kind_for_title(self, text: str, header: str | None = None) -> Kind | None:
        """The standard table a printed title names, or None. With the table's `header`
        labels, a title several kinds share names the kind whose header signature fits
        with the most patterns (the most specific), the first of those; with none fitting,
        or no header, the first kind the title names."""
        t = self.normalize_title(text)
        if not t.endswith("表") and not t.endswith("预算") or self.foreign(text):
            return None
        # a bracket naming the classification counts: 一般公共预算支出表（按经济分类）
        if re.search(r"[(（][^)）]*分类[^)）]*[)）]", text):
            t = self.normalize_title(re.sub(r"[()（）]", "", text))
        named = [kind for kind in self.kinds if any(p.search(t) for p in kind.titles)]
        fitting = [kind for kind in named if header is not None and kind.fits_header(header)]
        return (sorted(fitting, key=lambda k: -len(k.header)) or named or [None])[0]


    def foreign(self, title: str) -> str | None:
        """Why a title belongs to another family's documents (a 决算 table in a budget), or
        None: such a table is never read as one of this family's."""
        t = self.normalize_title(title)
        return next((f["reason"] for f in self.raw.get("foreign_titles", [])
                     if re.search(f["pattern"], t)), None)

    def kind_for_header(self, labels: str) -> Kind | None:
        """The one kind whose header signature fits, or None (none or ambiguous)."""
        fits = {k.resource + k.layout: k for k in self.kinds if k.header and k.fits_header(labels)}
        return next(iter(fits.values())) if len(fits) == 1 else None


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


# What a family that extends another replaces whole rather than merges: its table kinds,
# and the meaning of each amount field.
_WHOLE = (("kinds",), ("fields", "*", "*"))


def _merged(base: dict, own: dict, path: tuple[str, ...] = ()) -> dict:
    """`own` laid over `base`: maps merged key by key (but the parts in `_WHOLE`), anything
    else replaced; keys only `own` has come first (a family's own words are tried before
    those of the family it extends)."""
    out = {key: value for key, value in own.items() if key not in base}
    for key, value in base.items():
        mine = own.get(key, value)
        at = path + (key,)
        whole = any(len(w) == len(at) and all(x in ("*", y) for x, y in zip(w, at))
                    for w in _WHOLE)
        out[key] = _merged(value, mine, at) if key in own and not whole and \
            isinstance(value, dict) and isinstance(mine, dict) else mine
    return out


def _raw(name: str, seen: tuple[str, ...] = ()) -> dict:
    path = FAMILIES / f"{name}.yml"
    if not path.is_file():
        raise FamilyFileError(f"{path}: no such family (a document kind names its family file)")
    if name in seen:
        raise FamilyFileError(f"{path}: extends itself ({' > '.join(seen + (name,))})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(raw, dict) and "extends" in raw:
        own = {k: v for k, v in raw.items() if k != "extends"}
        raw = _merged(_raw(raw["extends"], seen + (name,)), own)
    return raw


@lru_cache(maxsize=None)
def load(name: str = DEFAULT) -> Family:
    """The family `name` (a document kind: budget, final_accounts), checked at load."""
    raw = _raw(name)
    validate(raw, FAMILIES / f"{name}.yml")
    kinds = tuple(
        Kind(k, v["resource"], v["layout"], tuple(re.compile(t) for t in v["titles"]),
             tuple(re.compile(h) for h in v.get("header", [])), dict(v.get("attrs", {})),
             {**({"fund": v["attrs"]["fund"]} if "fund" in v.get("attrs", {}) else {}),
              **v.get("fixes", {})})
        for k, v in raw["kinds"].items()
    )
    noise = re.compile("|".join(raw["title_noise"]))
    return Family(name, raw, kinds, noise, _vocabulary(raw))


_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("family", default=DEFAULT)


@contextmanager
def use(kind: str) -> Iterator[Family]:
    """Make the family of documents of `kind` the current one inside the block."""
    family = load(kind)
    token = _CURRENT.set(kind)
    try:
        yield family
    finally:
        _CURRENT.reset(token)


def current() -> Family:
    """The family of the document being read or checked (budget outside any `use`)."""
    return load(_CURRENT.get())
