"""Figures and notes as every output shows them: the Excel format a KPI's Unit
implies, a figure rendered with its Excel number format (:func:`format_value`, built
on :mod:`kpisheets.numfmt`), the status palette, and notes cut to one line.
"""

from __future__ import annotations

import math

from kpisheets.model import Status
from kpisheets.numfmt import render

# One palette wherever a status is shown — the Summary sheet, the Instructions legend,
# PDF, HTML and slides — so a colour means the same thing in the meeting room and in
# the workbook. (fill, text); amber carries dark text for contrast.
STATUS_COLOURS: dict[Status, tuple[str, str]] = {
    Status.ON_TRACK: ("#2E7D32", "#FFFFFF"),
    Status.AT_RISK: ("#F2B100", "#3D2C00"),
    Status.OFF_TRACK: ("#C62828", "#FFFFFF"),
    Status.NO_DATA: ("#8C8C8C", "#FFFFFF"),
    Status.NO_TARGET: ("#5B7083", "#FFFFFF"),
}
# A light tint of each status, for backgrounds behind dark text.
STATUS_TINT: dict[Status, str] = {
    Status.ON_TRACK: "#E8F5E9",
    Status.AT_RISK: "#FFF8E1",
    Status.OFF_TRACK: "#FFEBEE",
    Status.NO_DATA: "#F2F2F2",
    Status.NO_TARGET: "#EEF1F4",
}

CURRENCY_UNITS = {"$": "$", "€": "€", "£": "£"}


def default_number_format(unit: str, format_override: str = "") -> str:
    """The Excel number format for a KPI: Format when given, else from Unit.

    >>> default_number_format("$")
    '"$"#,##0'
    >>> default_number_format("%")
    '0.0%'
    >>> default_number_format("visits")
    '#,##0 "visits"'
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
    return "#,##0.##"


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


def percent(value: float | None, decimals: int = 0, blank: str = "—") -> str:
    """A fraction as a percentage: ``0.934`` → ``'93%'``."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return blank
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
