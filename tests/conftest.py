"""Shared fixtures: the package built once from the repository's sources/."""
from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.build import build

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
SEEDS = {
    "xinxiang-city-zwfw-2024-budget": SOURCES / "xinxiang-city-zwfw-2024-budget" / "transcript.txt",
    "xinxiang-hongqi-zwfw-2022-budget": SOURCES / "xinxiang-hongqi-zwfw-2022-budget" / "transcript.txt",
    "xuchang-city-zwfw-2024-budget": SOURCES / "xuchang-city-zwfw-2024-budget" / "transcript.txt",
}


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "datapackage"
    result = build(SOURCES, out, progress=False)
    assert result.ok, (result.failed, result.validation_errors)
    return out


def read_table(package: Path, name: str, **where) -> list[dict]:
    """Rows of a published CSV, optionally filtered by column values."""
    with open(package / "data" / f"{name}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def yuan(wan: str) -> str:
    """'6,655.15' (万元) -> '66551500' as published."""
    value = Decimal(wan.replace(",", "")) * 10000
    text = format(value.normalize(), "f")
    return text


def copy_seed(seed: str, dest: Path) -> Path:
    folder = dest / seed
    shutil.copytree(SOURCES / seed, folder)
    return folder
