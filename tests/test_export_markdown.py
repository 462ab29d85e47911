"""The Markdown export: one table per category, symbols, escaping."""

from __future__ import annotations

import re

from kpisheets.export.markdown import escape, result_markdown
from kpisheets.export.meeting import kpi_row
from tests.export_results import hostile_result, sample_result


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]


def test_every_kpi_is_a_row_with_its_symbol_and_figures() -> None:
    result = sample_result()
    text = result_markdown(result)
    rows = [r for r in _table_rows(text) if not r.startswith("| Status")]
    assert len(rows) == len(result.kpis)
    for k in result.kpis:
        row = next(r for r in rows if f"({k.id})" in r)
        assert k.name in row
        figures = kpi_row(k)
        assert figures.actual in row and figures.target in row and figures.achievement in row
    assert "🟢 On track" in next(r for r in rows if "(SALES)" in r)
    assert "🔴 Off track" in next(r for r in rows if "(CHURN)" in r)
    assert "⚪ No data" in next(r for r in rows if "(ENPS)" in r)
    assert "## Customers" in text
    assert "As of **2026-11-20**" in text
    # every row has the same number of cells as the header
    header = _table_rows(text)[0]
    assert all(r.count(" | ") == header.count(" | ") for r in rows)


def test_user_text_cannot_break_the_table_or_inject_markup() -> None:
    text = result_markdown(hostile_result())
    rows = [r for r in _table_rows(text) if not r.startswith("| Status")]
    assert len(rows) == 3
    header = _table_rows(text)[0]
    for r in rows:
        assert r.replace("\\|", "").count("|") == header.count("|")
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert not re.search(r"(?<!\\)\]\(", text)  # no live link: \[link\](…)
    assert "\\[link\\]" in text
    assert "Ops line" in text  # newline in a category became a space


def test_escape() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("x\ny") == "x y"
    assert escape("**bold** & <b>") == "\\*\\*bold\\*\\* &amp; \\<b\\>"
    assert escape(None) == ""
