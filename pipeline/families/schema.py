"""The shape of a family file (budget.yml), checked when it is loaded.

A misspelt key, a pattern that does not compile, or a dimension the vocabulary does not
declare fails at load with the key's path, not late or silently. That every table and field
the file names exists in the registry, and every layout has a normalizer, is tested
(tests/test_families.py).
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator

def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


Pattern = Annotated[str, AfterValidator(_compiles)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindSpec(_Strict):
    resource: str
    layout: str  # a key of extract.LAYOUTS (tested)
    titles: list[Pattern]
    header: list[Pattern] = []
    attrs: dict[str, str] = {}
    fixes: dict[str, str] = {}


class ColumnSpecModel(_Strict):
    key: str
    leaf: Pattern
    within: Pattern | None = None


class VocabularySpec(_Strict):
    dimensions: dict[str, dict[str, list[Pattern]]]
    implies: dict[str, dict[str, dict[str, str]]] = {}
    optional: dict[str, str] = {}
    parts: dict[str, dict[str, list[str]]] = {}
    nested: dict[str, dict[str, str]] = {}
    year: Pattern
    filler: list[Pattern]

    @model_validator(mode="after")
    def _known_dimensions(self):
        for section in ("implies", "optional", "parts", "nested"):
            for dim in getattr(self, section):
                if dim not in self.dimensions:
                    raise ValueError(f"{section}: '{dim}' is not a dimension")
        for by_value in self.implies.values():
            for meaning in by_value.values():
                for dim in meaning:
                    if dim not in self.dimensions:
                        raise ValueError(f"implies: '{dim}' is not a dimension")
        return self


class SummarySide(_Strict):
    side: str
    label: Pattern


class SummarySpec(_Strict):
    sides: list[SummarySide]
    item: Pattern
    groups: dict[str, list[str]] = {}
    prefixed: list[str] = []
    items: dict[str, dict[str, Pattern]]


class ProjectForm(_Strict):
    name: Pattern
    scopes: dict[str, Pattern] = {}
    unit: Pattern
    title_name: Pattern
    lines: dict[str, Pattern]


class PerformanceSpec(_Strict):
    levels: dict[str, Pattern]
    goal: Pattern
    tasks: Pattern
    task_header: Pattern
    budget: dict[str, Pattern]
    project_columns: list[ColumnSpecModel]
    categories: Pattern
    project_form: ProjectForm | None = None
    qualitative: Pattern | None = None
    code_and_name: Pattern | None = None
    activity_columns: dict[str, Pattern] = {}
    activity_budget: list[ColumnSpecModel] = []
    other_notes: Pattern | None = None
    level_names: dict[str, list[str]] = {}


class NarrativeSpec(_Strict):
    figures: dict[str, Pattern]
    procurement_categories: dict[str, Pattern] = {}
    figure: Pattern
    figure_label: Pattern
    changes: dict[str, Pattern]
    decrease: list[str]
    share: Pattern
    within_public: Pattern | None = None  # a figure at most the basic table's 公用经费
    identity: list[Pattern] = []  # where a document names its department and year

    @model_validator(mode="after")
    def _identity_names_something(self):
        for pattern in self.identity:
            if not {"name", "year"} & set(re.compile(pattern).groupindex):
                raise ValueError(f"identity: {pattern!r} names no group 'name' or 'year'")
        return self


class ExecutionSpec(_Strict):
    """The narrative's statements of budget and execution (final_accounts.yml `execution`):
    each pattern must name the groups normalize/execution.py reads."""

    heads: list[Pattern]
    sections: dict[str, list[Pattern]]
    item: Pattern
    levels: Pattern
    budget: Pattern
    final: Pattern
    rate: Pattern
    bases: dict[str, Pattern]
    comparisons: dict[str, Pattern]
    reason: Pattern
    subject: Pattern

    @model_validator(mode="after")
    def _groups_read(self):
        needs = {"item": {"number", "name"}, "levels": {"name"}, "budget": {"basis", "v", "unit"},
                 "final": {"v", "unit"}, "rate": {"basis", "v"}, "reason": {"reason"},
                 "subject": {"name"}}
        for key, groups in needs.items():
            missing = groups - set(re.compile(getattr(self, key)).groupindex)
            if missing:
                raise ValueError(f"{key}: no group {', '.join(sorted(missing))}")
        return self


class ContentsSpec(_Strict):
    heading: Pattern
    part: Pattern
    entry: Pattern
    number: Pattern


class ForeignTitle(_Strict):
    pattern: Pattern
    reason: str


class FamilySpec(_Strict):
    """Everything a family file may hold; see the comments in budget.yml for each part."""

    kinds: dict[str, KindSpec]
    phase: str = "approved"  # the phase of a document's own amounts (registry.PHASES)
    phases: list[str] = ["approved"]  # the phases its tables may print and publish
    title_noise: list[Pattern]
    foreign_titles: list[ForeignTitle] = []
    department_line: Pattern
    unit_line: Pattern
    unit_in_text: Pattern
    note_line: Pattern
    empty_table_note: Pattern
    conditional_empty_note: Pattern
    note_subjects: list[str]
    total_labels: Pattern
    numbering_labels: Pattern
    none_labels: Pattern
    untotalled: list[str] = []
    contents: ContentsSpec
    columns: dict[str, list[ColumnSpecModel]]
    vocabulary: VocabularySpec
    fields: dict[str, dict[str, dict[str, str]]]
    summary: SummarySpec
    form_row: dict[str, list[ColumnSpecModel]] = {}
    label_lists: dict[str, Pattern | list[ColumnSpecModel]] = {}
    performance: PerformanceSpec
    row_identities: dict[str, list[tuple[str, list[str]]]] = {}
    narrative: NarrativeSpec
    execution: ExecutionSpec | None = None  # final accounts: budget_execution

    @model_validator(mode="after")
    def _fields_use_known_words(self):
        dims = self.vocabulary.dimensions
        for resource, fields in self.fields.items():
            for key, meaning in fields.items():
                for dim, value in meaning.items():
                    if dim not in dims:
                        raise ValueError(f"fields.{resource}.{key}: '{dim}' is not a dimension")
                    if value not in dims[dim] and \
                            value not in self.vocabulary.nested.get(dim, {}).values():
                        raise ValueError(f"fields.{resource}.{key}: '{value}' is not a word "
                                         f"of dimension '{dim}'")
        for kind_id, kind in self.kinds.items():
            for dim in kind.fixes:
                if dim not in dims:
                    raise ValueError(f"kinds.{kind_id}.fixes: '{dim}' is not a dimension")
        return self


class FamilyFileError(Exception):
    """A family file that does not have the expected shape: the code's data is wrong, so no
    document can be read (not one source's error)."""


def validate(raw: object, path) -> FamilySpec:
    """The family file's content, checked; FamilyFileError naming the file and key if not."""
    try:
        return FamilySpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise FamilyFileError(f"{path}: {problems}") from None
