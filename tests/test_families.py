"""A family file (pipeline/families/budget.yml, final_accounts.yml) is checked when loaded,
and names only tables, fields and layouts the code has; every document kind has one."""
import copy
import typing

import pytest
import yaml

from pipeline import families
from pipeline.extract import LAYOUTS
from pipeline.families.knowledge import FAMILY_FILE
from pipeline.families.schema import FamilyFileError, validate
from pipeline.metadata.registry import BY_NAME, PHASES
from pipeline.normalize.layouts import COLUMN_ROLES
from pipeline.sources import DOCUMENT_KINDS, SourceMeta

RAW = yaml.safe_load(FAMILY_FILE.read_text(encoding="utf-8"))
FAMILY = families.load()
KINDS = typing.get_args(SourceMeta.model_fields["kind"].annotation)  # what source.yml accepts
ALL = [families.load(kind) for kind in KINDS]  # each as loaded: merged over what it extends
each_family = pytest.mark.parametrize("family", ALL, ids=lambda f: f.name)


def test_every_document_kind_has_a_family_whose_phases_are_published_ones():
    assert KINDS == DOCUMENT_KINDS == ("budget", "final_accounts")  # `add` tries each
    for family in ALL:
        assert family.phase in family.phases
        assert set(family.phases) <= set(PHASES)


def test_a_family_extending_another_keeps_its_own_kinds_and_adds_its_words():
    final = families.load("final_accounts")
    assert {k.id for k in final.kinds}.isdisjoint({"projects", "project_performance"})
    assert final.raw["empty_table_note"] == RAW["empty_table_note"]  # inherited
    assert final.vocabulary.fields["income_by_source"]["current_total"] == {"flow": "income"}
    assert FAMILY.vocabulary.fields["income_by_source"]["current_total"] == {"period": "current"}


def fields_of(resource):
    return set(BY_NAME[resource].field_names())


def test_the_budget_family_file_has_the_expected_shape():
    spec = validate(RAW, FAMILY_FILE)
    assert list(spec.kinds) == [k.id for k in FAMILY.kinds]
    assert "expenditure" in spec.kinds and spec.kinds["expenditure"].layout == "lines"


@pytest.mark.parametrize("kind", [k for f in ALL for k in f.kinds],
                         ids=lambda k: k.id)
def test_every_kind_fills_a_published_table_with_a_known_layout(kind):
    assert kind.resource in BY_NAME
    assert kind.layout in LAYOUTS


@each_family
def test_every_column_is_a_published_field_or_a_role_the_normalizer_knows(family):
    RAW = family.raw
    sections = {**RAW["columns"], **RAW["form_row"],
                **{r: s for r, s in RAW["label_lists"].items() if isinstance(s, list)}}
    for resource, specs in sections.items():
        for spec in specs:
            assert spec["key"] in fields_of(resource) | COLUMN_ROLES, (resource, spec["key"])


@each_family
def test_every_amount_the_vocabulary_reads_is_published_or_proves_an_identity(family):
    """A field the registry lacks may be read only to prove a row identity (e.g. a project's
    财政拨款 = 一般公共预算 + 政府性基金), never silently dropped."""
    RAW = family.raw
    for resource, fields in RAW["fields"].items():
        if resource == "summary":  # the summary layout's own amount columns
            continue
        proving = {name.strip("!") for whole, parts in RAW["row_identities"].get(resource, [])
                   for name in [whole, *parts]}
        amounts = {f.name for f in BY_NAME[resource].fields if f.amount}
        for name in fields:
            assert name in amounts or name in proving, (resource, name)


@each_family
def test_every_row_identity_names_amounts_of_its_table(family):
    RAW = family.raw
    for resource, identities in RAW["row_identities"].items():
        known = fields_of(resource) | set(RAW["fields"].get(resource, {}))
        for whole, parts in identities:
            for name in [whole, *parts]:
                assert name.lstrip("!-") in known, (resource, name)


def test_a_misspelt_key_fails_at_load_naming_its_path():
    raw = copy.deepcopy(RAW)
    kind = next(iter(raw["kinds"]))
    raw["kinds"][kind]["titels"] = raw["kinds"][kind].pop("titles")
    with pytest.raises(FamilyFileError) as e:
        validate(raw, "budget.yml")
    assert f"kinds.{kind}.titels" in str(e.value) and f"kinds.{kind}.titles" in str(e.value)
    assert str(e.value).startswith("budget.yml: ")


def test_a_pattern_that_does_not_compile_fails_at_load():
    raw = copy.deepcopy(RAW)
    raw["total_labels"] = "^(合计|总计"
    with pytest.raises(FamilyFileError, match="total_labels: .*not a regular expression"):
        validate(raw, "budget.yml")


def test_a_field_must_be_composed_of_known_words():
    raw = copy.deepcopy(RAW)
    raw["fields"]["projects"]["general_public_budget"] = {"fund": "general_public_budgett"}
    with pytest.raises(FamilyFileError, match="'general_public_budgett' is not a word of "
                                              "dimension 'fund'"):
        validate(raw, "budget.yml")
    raw["fields"]["projects"]["general_public_budget"] = {"funds": "general_public_budget"}
    with pytest.raises(FamilyFileError, match="'funds' is not a dimension"):
        validate(raw, "budget.yml")
