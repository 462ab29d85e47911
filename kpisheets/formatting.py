"""Figures and notes as every output shows them: the Excel format a KPI's Unit
implies, a figure rendered with its Excel number format (:func:`format_value`, built
on :mod:`kpisheets.numfmt`), the status palette, and notes cut to one line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from kpisheets.model import Direction, Status, Trend
from kpisheets.numfmt import more_decimals, render, shown_number
from kpisheets.palette import STATUS_COLOURS, STATUS_TINT

if TYPE_CHECKING:
    from kpisheets.result import KpiResult

__all__ = [
    "ACHIEVEMENT_FORMAT",
    "STATUS_COLOURS",
    "STATUS_TINT",
    "FigureFormats",
    "achievement_band",
    "default_number_format",
    "figure_formats",
    "finite",
    "format_value",
    "input_number_format",
    "percent",
    "shorten",
    "trend_arrow",
]

CURRENCY_UNITS = {"$": "$", "€": "€", "£": "£"}


def default_number_format(unit: str, format_override: str = "", whole: bool = False) -> str:
    """The Excel number format for a KPI: Format when given, else from Unit.

    >>> default_number_format("$")
    '"$"#,##0'
    >>> default_number_format("%")
    '0.0%'
    >>> default_number_format("visits")
    '#,##0 "visits"'
    >>> default_number_format(""), default_number_format("", whole=True)
    ('#,##0.0#', '#,##0')

    Without a unit, a KPI whose figures are all whole numbers (``whole``: a Count, a
    Sum of whole entries, whole targets) reads as whole numbers, as the General format
    of the cells they were typed into shows them; otherwise the figures keep one or
    two decimals (an NPS of 39.66, an average of 12.5). ``#,##0.##`` is no way out:
    Excel shows a whole number in it with a bare trailing point (``40.``).
    """
    if format_override.strip():
        return format_override.strip()
    unit = (unit or "").strip()
    if unit in CURRENCY_UNITS:
        return f'"{unit}"#,##0'
    if unit == "%":
        return "0.0%"
    if unit:
        safe = unit.replace('"', "")
        return f'#,##0 "{safe}"'
    return "#,##0" if whole else "#,##0.0#"


def input_number_format(unit: str, format_override: str = "") -> str:
    """The number format of the cells people type a KPI's values into (Entries and
    Targets values, KPIs' Target): the KPI's format, but General without Unit and
    Format, so a typed 9 shows as 9.

    >>> input_number_format(""), input_number_format("$")
    ('General', '"$"#,##0')
    """
    if not format_override.strip() and not (unit or "").strip():
        return "General"
    return default_number_format(unit, format_override)


def format_value(value: float | None, num_format: str = "", blank: str = "—") -> str:
    """A figure as Excel shows it with ``num_format``: the one function every output
    that is not Excel (terminal, PDF, HTML, Markdown, slides) uses for figures.

    Rendering is :func:`kpisheets.numfmt.render` (sections, currency, scaling commas,
    percent, scientific, fractions, dates and times; docs/number-formats.md); the
    padding spaces Excel uses to line up columns (``_)``) are trimmed, and a missing,
    NaN or infinite figure shows ``blank``.

    >>> format_value(1234.5, '"$"#,##0')
    '$1,235'
    >>> format_value(651000, '$#,##0.0,,"M"')
    '$0.7M'
    >>> format_value(0.256, "0.0%")
    '25.6%'
    >>> format_value(None)
    '—'
    """
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return blank
    return render(value, num_format or "General").strip()


# % of target is shown in whole percent unless that would contradict the status.
ACHIEVEMENT_FORMAT = "0%"
MAX_EXTRA_DECIMALS = 6


@dataclass(frozen=True)
class FigureFormats:
    """The Excel number formats a KPI's figures are shown with — on the Summary sheet
    and in every export — so that rounding never contradicts the status
    (docs/number-formats.md, "Rounding never contradicts the status")."""

    actual: str
    target: str
    expected: str
    forecast: str
    achievement: str


def figure_formats(k: KpiResult) -> FigureFormats:
    """The KPI's number format, with as many more decimals on a figure as it takes for
    the figure not to seem to reach a value it does not reach (or to miss one it
    reaches): Actual against Target and Expected by now (reaching means at or above
    for Higher is better, at or below for Lower is better) and against the edges of a
    Within-range band; Target and Expected by now against Actual; % of target against
    100% and, where it is the score, against Green at and Amber at.

    Voluntary attrition at 10.03% against a 10.0% target (lower is better) shows
    ``10.03%`` and ``99.7%``, not ``10.0%`` and ``100%`` beside "At risk"; uptime at
    100.4% of target may show ``100%``, since it does reach it.
    """
    base = k.number_format or "General"
    actual_limits: list[tuple[float | None, int]] = []
    if k.direction is Direction.RANGE:
        if k.target is not None:
            tolerance = k.tolerance or 0.0
            for m in (1, 2):
                actual_limits += [(k.target - m * tolerance, 1), (k.target + m * tolerance, -1)]
    else:
        sense = 1 if k.direction is Direction.HIGHER else -1
        actual_limits += [(k.target, sense), (k.expected, sense)]
    score_limits: list[tuple[float | None, int]] = [(1.0, 1)]
    if (
        k.achievement is not None
        and k.score is not None
        and abs(k.achievement - k.score) < 1e-12
        and k.direction is not Direction.RANGE
    ):
        score_limits += [(k.green_at, 1), (k.amber_at, 1)]
    forecast_sense = -1 if k.direction is Direction.LOWER else 1
    # Target and Expected by now get decimals too where they would round onto the
    # actual (a count of 12 against 12.4 expected by now reads "12" and "12" in #,##0).
    reference_limits: list[tuple[float | None, int]] = []
    if k.direction is not Direction.RANGE:
        reference_limits = [(k.actual, -1 if k.direction is Direction.HIGHER else 1)]
    return FigureFormats(
        actual=distinct_format(k.actual, base, actual_limits),
        target=distinct_format(k.target, base, reference_limits),
        expected=distinct_format(k.expected, base, reference_limits),
        forecast=distinct_format(k.forecast, base, [(k.target, forecast_sense)]),
        achievement=distinct_format(k.achievement, ACHIEVEMENT_FORMAT, score_limits),
    )


def distinct_format(
    value: float | None, base: str, limits: Sequence[tuple[float | None, int]]
) -> str:
    """``base`` with the fewest extra decimals (at most six) under which ``value``
    reaches each limit exactly when it is shown to. A limit is ``(level, sense)``:
    sense 1 means "at or above reaches it", -1 "at or below".

    >>> distinct_format(0.997, "0%", [(1.0, 1)])
    '0.0%'
    >>> distinct_format(0.1003, "0.0%", [(0.1, -1)])
    '0.00%'
    >>> distinct_format(1.004, "0%", [(1.0, 1)])
    '0%'
    """
    if value is None or not math.isfinite(value):
        return base
    exact = _decimal(value)
    known = [
        (_decimal(level), sense)
        for level, sense in limits
        if level is not None and math.isfinite(level)
    ]
    for extra in range(MAX_EXTRA_DECIMALS + 1):
        candidate = more_decimals(base, extra)
        shown = shown_number(value, candidate)
        if shown is None:
            return base
        if all(_reaches(shown, c, sense) == _reaches(exact, c, sense) for c, sense in known):
            return candidate
    return more_decimals(base, MAX_EXTRA_DECIMALS)


def _decimal(x: float) -> Decimal:
    """``x`` as the 15-digit decimal Excel works with (so 0.1 + 0.2 equals 0.3)."""
    return Decimal(f"{x:.15g}")


def _reaches(x: Decimal, level: Decimal, sense: int) -> bool:
    return x >= level if sense > 0 else x <= level


def trend_arrow(k: KpiResult) -> str:
    """Which way the value moved since the previous period: ▲ up, ▼ down, ▶ flat
    (under 1%), blank without a previous value. Whether that is good is the trend's
    colour (:data:`kpisheets.palette.TREND_COLOURS`), judged by the KPI's Direction.

    >>> # a Lower-is-better KPI that fell: "▼", coloured as improving
    """
    if k.trend is Trend.FLAT:
        return "▶"
    if k.actual is None or k.previous is None:
        return ""
    if k.actual > k.previous:
        return "▲"
    if k.actual < k.previous:
        return "▼"
    return "▶"


def achievement_band(k: KpiResult) -> Status | None:
    """The colour band % of target falls in on its own — Green at and above, Amber at
    and above, below — which tints the % of target figure in the exports (the Status
    column compares with Expected by now instead). None without a figure.
    """
    if k.achievement is None or not math.isfinite(k.achievement):
        return None
    if k.achievement >= k.green_at:
        return Status.ON_TRACK
    if k.achievement >= k.amber_at:
        return Status.AT_RISK
    return Status.OFF_TRACK


def percent(value: float | None, decimals: int = 0, blank: str = "—") -> str:
    """A fraction as a percentage: ``0.934`` → ``'93%'``; beyond a trillion percent
    in scientific notation, as Excel's General shows it, not 300 digits.

    >>> percent(0.934), percent(-6.7e299)
    ('93%', '-6.7E+301%')
    """
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return blank
    if abs(value) >= 1e13:  # x 100 would reach 1e15 (or overflow near the float limit)
        mantissa, exponent = f"{value:.2E}".split("E")
        return f"{float(mantissa):G}E{int(exponent) + 2:+03d}%"
    return f"{value * 100:.{decimals}f}%"


def shorten(text: str | None, limit: int) -> str:
    """One line of at most ``limit`` characters, an ellipsis when cut.

    >>> shorten("first line\\nsecond   line", 14)
    'first line se…'
    """
    if not text:
        return ""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"


def finite(x: float | None) -> float | None:
    """``x`` as a float, or None when it is missing, NaN or infinite: what JSON and a
    blank cell can show.

    >>> finite(3), finite(float("nan")), finite(None)
    (3.0, None, None)
    """
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None
