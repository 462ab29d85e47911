"""What every meeting export shows, decided once: status colours and symbols, the
displayed figures of a KPI row and the period line. Notes are cut to length with
:func:`kpisheets.formatting.shorten`, as on the Summary sheet.

The formats (PDF, HTML, Markdown, slides) only lay these out, so a KPI reads the
same in each of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kpisheets.formatting import STATUS_COLOURS, format_value, percent
from kpisheets.model import Status
from kpisheets.result import KpiResult, Result

# The shared status palette (kpisheets.formatting), split for the layouts' convenience.
STATUS_FILL: dict[Status, str] = {status: fill for status, (fill, _) in STATUS_COLOURS.items()}
STATUS_TEXT: dict[Status, str] = {status: text for status, (_, text) in STATUS_COLOURS.items()}
# Markdown symbols: coloured circles read at a glance in chat and wikis and need no
# image; "no data" and "no target" share the white circle and differ in the label.
STATUS_SYMBOL: dict[Status, str] = {
    Status.ON_TRACK: "🟢",
    Status.AT_RISK: "🟡",
    Status.OFF_TRACK: "🔴",
    Status.NO_DATA: "⚪",
    Status.NO_TARGET: "⚪",
}
TREND_COLOUR = {"improving": "#1E8E3E", "worsening": "#D93025", "flat": "#5F6368"}
ACTUAL_COLOUR = "#1A73E8"
TARGET_COLOUR = "#5F6368"


@dataclass(frozen=True)
class KpiRow:
    """The displayed text of one KPI in a summary table (no markup, not escaped)."""

    kpi: KpiResult
    actual: str
    target: str
    expected: str
    achievement: str
    forecast: str
    trend_arrow: str
    trend_label: str
    change: str


def kpi_row(k: KpiResult) -> KpiRow:
    """Format a KPI's figures with its own number format.

    >>> # kpi_row(result.kpis[0]).actual == "$6,000"
    """
    trend = k.trend.value if k.trend else ""
    return KpiRow(
        kpi=k,
        actual=format_value(k.actual, k.number_format),
        target=format_value(k.target, k.number_format),
        expected=format_value(k.expected, k.number_format),
        achievement=percent(k.achievement),
        forecast=format_value(k.forecast, k.number_format) if k.forecast is not None else "",
        trend_arrow=k.trend.arrow if k.trend else "",
        trend_label=trend,
        change=_signed_percent(k.change),
    )


def _signed_percent(change: float | None) -> str:
    """``+4%`` / ``-12%`` / ``""``."""
    text = percent(change, blank="")
    if text in ("-0%", "0%"):  # a change that rounds to nothing has no sign
        return "0%"
    if text and not text.startswith("-"):
        text = "+" + text
    return text


def by_category(result: Result) -> list[tuple[str, list[KpiResult]]]:
    """KPIs grouped by category, categories in the result's order (first seen)."""
    order = [c.name for c in result.categories]
    groups: dict[str, list[KpiResult]] = {name: [] for name in order}
    for k in result.kpis:
        groups.setdefault(k.category, []).append(k)
    return [(name, kpis) for name, kpis in groups.items() if kpis]


def period_line(result: Result) -> str:
    """The period(s) the summary covers: ``"Nov 2026"`` or ``"Nov 2026 · Q4 2026"``."""
    labels = _unique(k.period.label for k in result.kpis)
    if not labels:
        return ""
    if len(labels) > 3:
        return f"{labels[0]} and {len(labels) - 1} other periods"
    return " · ".join(labels)


def status_counts(result: Result) -> list[tuple[Status, int]]:
    """Every status with its count over all KPIs, in the Status order."""
    return [(s, result.overall.counts.get(s, 0)) for s in Status]


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen
