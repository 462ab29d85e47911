"""Number formats: the Excel format a KPI's Unit implies, and a text rendering of
the common Excel formats for places that are not Excel (terminal, PDF, HTML, Markdown),
and notes cut to one line of a given length.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

from kpisheets.model import Status

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


_QUOTED = re.compile(r'"([^"]*)"')


def format_value(value: float | None, num_format: str = "", blank: str = "—") -> str:
    """Render a number roughly as Excel would with ``num_format``.

    Supports what kpisheets' defaults and typical user formats use: literal text in
    quotes, thousands separators, a fixed number of decimals, percent, and an
    optional second decimal group with ``#``.

    >>> format_value(1234.5, '"$"#,##0')
    '$1,235'
    >>> format_value(0.256, "0.0%")
    '25.6%'
    >>> format_value(None)
    '—'
    """
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return blank
    fmt = (num_format or "#,##0.##").split(";")[0]
    if fmt.strip().lower() == "general":
        fmt = "#,##0.##"
    pieces = _QUOTED.split(fmt)  # even pieces: format code; odd pieces: literal text
    code = "".join(pieces[0::2])
    is_percent = "%" in code
    decimals = code.split(".", 1)[1] if "." in code else ""
    fixed = len(re.match(r"0*", decimals).group(0))  # type: ignore[union-attr]
    optional = len(re.match(r"[0#]*", decimals).group(0)) - fixed  # type: ignore[union-attr]
    quantum = Decimal(1).scaleb(-(fixed + optional))
    # Excel rounds half away from zero, Python's format half to even. The context is
    # wide enough for every float (up to 1.8e308, times 100 for percent) at these
    # decimals; the default 28 digits fails on a figure of 1e28 or more.
    wide = Context(prec=320 + fixed + optional)
    magnitude = Decimal(str(abs(value))).scaleb(2 if is_percent else 0)
    rounded = magnitude.quantize(quantum, rounding=ROUND_HALF_UP, context=wide)
    text = f"{rounded:{',' if ',' in code else ''}f}"
    if optional and "." in text:
        head, tail = text.split(".")
        tail = tail[:fixed] + tail[fixed:].rstrip("0")
        text = head + ("." + tail if tail else "")
    # Literal text (quoted, or spaces) keeps its place before or after the digits.
    before, after, seen_digits = "", "", False
    for i, piece in enumerate(pieces):
        if i % 2 == 1:
            if seen_digits:
                after += piece
            else:
                before += piece
            continue
        for ch in piece:
            if ch in "0#":
                seen_digits = True
            elif ch == " ":
                if seen_digits:
                    after += ch
                else:
                    before += ch
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return f"{sign}{before}{text}{'%' if is_percent else ''}{after}"


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
