"""The figures as CSV (one row per KPI) and JSON (the ``status --format json`` schema).

CSV is what people open in a spreadsheet, so text a user typed is neutralised
against formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading apostrophe (OWASP's advice). Numbers are
written as plain numbers — a negative figure stays ``-12.5``, never ``'-12.5``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from typing import Any

from kpisheets.result import KpiResult, Result

# The columns of the CSV, in order; the names are the JSON keys where there is one.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "category",
    "owner",
    "unit",
    "direction",
    "aggregation",
    "frequency",
    "period_label",
    "period_start",
    "period_end",
    "elapsed",
    "actual",
    "target",
    "expected",
    "achievement",
    "score",
    "status",
    "forecast",
    "forecast_achievement",
    "previous",
    "change",
    "trend",
    "last_entry",
    "stale",
    "note",
)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    >>> neutralise("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise("Good week")
    'Good week'
    """
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _cell(value: Any) -> str:
    """One CSV cell: numbers as numbers, dates ISO, booleans lower case, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        x = float(value)
        if math.isnan(x) or math.isinf(x):
            return ""
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def _row(k: KpiResult) -> list[str]:
    values: dict[str, Any] = {
        "id": k.id,
        "name": k.name,
        "category": k.category,
        "owner": k.owner,
        "unit": k.unit,
        "direction": k.direction.value,
        "aggregation": k.aggregation.value,
        "frequency": k.frequency.value,
        "period_label": k.period.label,
        "period_start": k.period.start,
        "period_end": k.period.end,
        "elapsed": k.period.elapsed,
        "actual": k.actual,
        "target": k.target,
        "expected": k.expected,
        "achievement": k.achievement,
        "score": k.score,
        "status": k.status.value,
        "forecast": k.forecast,
        "forecast_achievement": k.forecast_achievement,
        "previous": k.previous,
        "change": k.change,
        "trend": k.trend.value if k.trend else None,
        "last_entry": k.last_entry,
        "stale": k.stale,
        "note": k.note,
    }
    return [_cell(values[c]) for c in CSV_COLUMNS]


def result_csv(result: Result) -> str:
    """One header row and one row per KPI with the flat figures (no history).

    Used by ``status --format csv`` and the ``.csv`` export. Lines end with ``\\n``;
    the export adds a UTF-8 byte-order mark so Excel reads non-ASCII text right.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for k in result.kpis:
        writer.writerow(_row(k))
    return buffer.getvalue()


def result_json(result: Result) -> str:
    """``result.to_dict()`` as indented JSON: exactly ``status --format json``."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
