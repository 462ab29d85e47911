"""Packaging: one source for the version, openpyxl only for the tests, classifiers."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import tomllib

import kpisheets
from tests.conftest import ROOT


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("kpisheets") == kpisheets.__version__


def test_openpyxl_is_a_test_dependency_only() -> None:
    requires = metadata.requires("kpisheets") or []
    openpyxl = [r for r in requires if r.lower().startswith("openpyxl")]
    assert openpyxl and all('extra == "test"' in r for r in openpyxl)
    for path in (ROOT / "kpisheets").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "openpyxl" for n in names), path


def test_classifiers_describe_the_package() -> None:
    classifiers = metadata.metadata("kpisheets").get_all("Classifier") or []
    assert "Topic :: Office/Business :: Financial :: Spreadsheet" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers


def test_docs_refer_only_to_the_repositorys_own_files() -> None:
    """The docs, the README, the changelog, the package's and benchmarks' docstrings point
    at docs/… in the repository, never at the team's spec or a machine's paths; every
    docs/….md they name exists."""
    import re

    texts = [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")]
    texts += [*(ROOT / "kpisheets").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    outside = re.compile(r"\bSPEC\b|SPEC\.md|ARCHITECTURE\.md|STYLE\.md|§\s?\d|/work/")
    for path in texts:
        text = path.read_text(encoding="utf-8")
        assert not outside.search(text), (path, outside.search(text))
        for name in re.findall(r"docs/([\w-]+\.md)", text):
            assert (ROOT / "docs" / name).is_file(), (path, name)
