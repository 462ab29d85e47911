"""Data flows one way: no two parts of kpisheets import each other, directly or round
a loop, not even lazily inside a function (where a cycle hides until it bites).

A part is a top-level module or subpackage (``kpisheets.validate``, ``kpisheets.cli``);
imports inside one part, and imports only for type annotations (``if TYPE_CHECKING:``),
do not count. ``__main__`` modules are entry points that nothing imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "kpisheets"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The kpisheets modules ``module`` imports at run time (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only |= {id(n) for statement in node.body for n in ast.walk(statement)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            submodules = {f"{base}.{a.name}" for a in node.names} & set(known)
            names |= submodules if len(submodules) == len(node.names) else {base} | submodules
    out = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name.startswith("kpisheets"):
            out.add(name)
    return out


def part(module: str) -> str:
    return ".".join(module.split(".")[:2])


def part_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {part(m): set() for m in known}
    for module, path in known.items():
        if module.endswith(".__main__"):
            continue
        for target in imported(module, path, known):
            if part(target) != part(module):
                graph[part(module)].add(part(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The loops of ``graph``: each one once, as a path that returns to its start."""
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start and frozenset(path) not in seen:
                seen.add(frozenset(path))
                found.append([*path, start])
            elif nxt not in path and nxt > start:  # each loop from its smallest member
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_the_checker_finds_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_checker_sees_lazy_imports_and_ignores_type_only_ones() -> None:
    known = modules()
    # refresh imports the report inside a function; terminal imports the result for typing only
    assert "kpisheets.report" in imported("kpisheets.refresh", known["kpisheets.refresh"], known)
    assert "kpisheets.result" not in imported(
        "kpisheets.terminal", known["kpisheets.terminal"], known
    )


def test_no_part_of_kpisheets_imports_itself_round_a_loop() -> None:
    loops = [" → ".join(loop) for loop in cycles(part_graph())]
    assert loops == [], "make the data flow one way: " + "; ".join(loops)
