"""The layout of pipeline/ is what ARCHITECTURE.md says: every package has a README, every
module is placed in the architecture, and no module reaches into another's private names."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
PACKAGES = sorted(p.parent for p in PIPELINE.rglob("__init__.py") if p.parent != PIPELINE)
MODULES = sorted(p for p in PIPELINE.rglob("*.py")
                 if p.name != "__init__.py" and "reference" not in p.parts)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_package_says_what_it_holds(package):
    readme = package / "README.md"
    assert readme.is_file(), f"{package.relative_to(ROOT)} has no README.md"
    assert len(readme.read_text(encoding="utf-8").split()) >= 20


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_module_is_placed_in_the_architecture(module):
    path = module.relative_to(ROOT).as_posix()
    short = module.relative_to(module.parents[1]).as_posix()  # e.g. check/rules.py
    assert re.search(rf"(?<![\w/.])({re.escape(path)}|{re.escape(short)}|{re.escape(module.name)})"
                     rf"(?!\w)", ARCHITECTURE), f"ARCHITECTURE.md does not place {path}"


def test_the_architecture_names_no_module_that_is_gone():
    named = set(re.findall(r"(?<![\w/.])(?:pipeline/)?([a-z_/]+\.py)(?!\w)", ARCHITECTURE))
    existing = {m.relative_to(PIPELINE).as_posix() for m in MODULES} | \
        {m.relative_to(m.parents[1]).as_posix() for m in MODULES} | {m.name for m in MODULES}
    assert named <= existing, sorted(named - existing)


TESTS = sorted((ROOT / "tests").glob("*.py"))


@pytest.mark.parametrize("module", MODULES + TESTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_imports_a_private_name_of_another(module):
    """Nor does a test: what a test needs is public API."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    private = [f"{node.module}.{alias.name}" for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module
               and node.module.startswith("pipeline")
               for alias in node.names if alias.name.startswith("_")]
    assert not private, private
