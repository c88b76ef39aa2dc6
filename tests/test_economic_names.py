"""Economic classes printed by name only (Shenzhen's 基本支出总表) are coded through the
national classification (pipeline/metadata/reference/economic_classes.csv), or their table fails."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.metadata.classifications import economic_class_reference, economic_codes
from pipeline.values import label, looks_like_data

ROOT = Path(__file__).resolve().parents[1]


def test_a_class_then_its_items_take_their_codes():
    names = ["工资福利支出", "基本工资", "其他工资福利支出", "资本性支出", "办公设备购置"]
    assert economic_codes(names, economic_class_reference()["department"]) == \
        ["301", "30101", "30199", "310", "31002"]


def test_an_item_name_is_read_under_the_class_above_it():
    # 办公设备购置 is 30902 under 309 and 31002 under 310
    names = ["资本性支出（基本建设）", "办公设备购置"]
    assert economic_codes(names, economic_class_reference()["department"]) == ["309", "30902"]


def test_a_name_no_class_bears_is_refused_with_the_reason():
    why = economic_codes(["工资福利支出", "加班费"], economic_class_reference()["department"])
    assert why == "'加班费' names no class under 301"


def test_the_system_is_the_one_every_name_fits():
    names = ["对个人和家庭的补助", "退休费"]  # both systems have the 类; only one has 退休费
    ref = economic_class_reference()
    assert economic_codes(names, ref["department"]) == ["303", "30302"]
    assert isinstance(economic_codes(names, ref["government"]), str)


def test_the_reference_agrees_with_codes_the_corpus_prints():
    """Every 类/款 code a document printed with its name, that the reference holds, bears
    the same name there (the published economic_classes, names as printed)."""
    printed = ROOT / "datapackage" / "data" / "economic_classes.csv"
    if not printed.exists():
        pytest.skip("no built package")
    ref = {r["code"]: label(r["name"]) for r in
           csv.DictReader(open(ROOT / "pipeline/metadata/reference/economic_classes.csv", encoding="utf-8"))}
    same = [r for r in csv.DictReader(open(printed, encoding="utf-8"))
            if r["economic_code"] in ref and r["name"]]
    differ = [(r["economic_code"], r["name"]) for r in same  # 资本金注入(基本建设) is 资本金注入
              if label(r["name"]) not in ref[r["economic_code"]]
              and ref[r["economic_code"]] not in label(r["name"])]
    assert len(same) > 100
    assert differ == []


def test_a_year_label_with_words_is_a_header_not_an_amount():
    assert not looks_like_data("2026年预算")
    assert not looks_like_data("2026年")
    assert looks_like_data("12.3万")
