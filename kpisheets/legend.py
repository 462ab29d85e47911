"""The legend under the KPI table: what Expected by now, Score, % of target, Trend and
the category and overall scores mean, in plain words. The Summary sheet and every
export (PDF, HTML, Markdown, slides, ``status``) show the same two lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpisheets.result import Result

__all__ = ["legend_lines"]


def legend_lines(result: Result) -> list[str]:
    """Two sentences-long lines explaining the figures of ``result``.

    The thresholds are named when every KPI uses the same ones; the trend line says
    which day of the period totals are compared up to.
    """
    thresholds = {(k.green_at, k.amber_at) for k in result.kpis}
    if len(thresholds) == 1:
        green, amber = next(iter(thresholds))
        levels = f"On track from {_pct(green)}, At risk from {_pct(amber)}, else Off track"
    else:
        levels = "On track from the KPI's Green at, At risk from its Amber at, else Off track"
    first = (
        "Expected by now: where a KPI should be today (totals: the Target times the share "
        "of the period gone; with a Baseline, the glide path from it; otherwise the Target). "
        f"Score: Actual against Expected by now; Status: {levels}. "
        "% of target: Actual against the period's Target, tinted by the same thresholds."
    )
    second = (
        "Trend: ▲ up, ▼ down, ▶ flat (under 1%) against the previous period (totals up to "
        f"the same day of it{_days(result)}; other KPIs its whole value), green when good "
        "for the KPI's Direction, red when bad. Category and Overall score: the weighted "
        "average of the KPIs' scores, each capped at 150%."
    )
    return [first, second]


def _pct(x: float) -> str:
    text = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _days(result: Result) -> str:
    """``: day 20 of Nov 2026`` for the periods of the totals, as of the result's date."""
    days: list[str] = []
    for k in result.kpis:
        if not k.aggregation.is_paced:
            continue
        day = (min(result.as_of, k.period.end) - k.period.start).days + 1
        text = f"day {day} of {k.period.label}"
        if text not in days:
            days.append(text)
    if not days:
        return ""
    if len(days) > 3:
        return f": {', '.join(days[:3])} …"
    return f": {', '.join(days)}"
