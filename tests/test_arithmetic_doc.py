"""Runs every ```python block of docs/arithmetic.md, so the worked examples there
cannot drift from the code. The first block sets the scene for the others."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "arithmetic.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    """(nearest heading, code) for every python block, in order; the code is padded
    with blank lines so a failing assert is reported at its line in the doc."""
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer(text):
        headings = re.findall(r"^## (.+)$", text[: m.start()], re.M)
        padding = "\n" * text[: m.start(1)].count("\n")
        out.append((headings[-1] if headings else "setup", padding + m.group(1)))
    return out


SETUP, *EXAMPLES = blocks()


def test_the_doc_has_examples_for_every_rule() -> None:
    headings = {h for h, _ in EXAMPLES}
    for rule in (
        "Periods",
        "Elapsed fraction f",
        "Period value A: the aggregations",
        "NPS",
        "Formula KPIs",
        "Target T",
        "Expected by now E",
        "Achievement",
        "Within range",
        "Score, status and thresholds",
        "Forecast",
        "Trend",
        "History",
        "Rollups",
        "Freshness and the latest note",
        "Segments",
        "Drivers: Sum and Count",
        "Drivers: rates and mix",
        "Funnels",
        "Actions",
    ):
        assert rule in headings
    assert sum(code.count("assert ") for _, code in EXAMPLES) > 60


@pytest.mark.parametrize(
    "code", [c for _, c in EXAMPLES], ids=[f"{i:02d}-{h}" for i, (h, _) in enumerate(EXAMPLES)]
)
def test_example(code: str) -> None:
    namespace: dict[str, object] = {"__name__": "arithmetic_doc"}
    exec(compile(SETUP[1], f"{DOC}:setup", "exec"), namespace)  # noqa: S102
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102
