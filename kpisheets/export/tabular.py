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
from collections.abc import Callable
from typing import Any

from kpisheets.explain import driver_sentence
from kpisheets.result import KpiResult, Result

# The columns of the CSV, in order, and how each is read from a KPI's result; the
# names are the JSON keys where there is one.
CSV_FIELDS: dict[str, Callable[[KpiResult], Any]] = {
    "id": lambda k: k.id,
    "name": lambda k: k.name,
    "category": lambda k: k.category,
    "owner": lambda k: k.owner,
    "unit": lambda k: k.unit,
    "direction": lambda k: k.direction.value,
    "aggregation": lambda k: k.aggregation.value,
    "frequency": lambda k: k.frequency.value,
    "period_label": lambda k: k.period.label,
    "period_start": lambda k: k.period.start,
    "period_end": lambda k: k.period.end,
    "elapsed": lambda k: k.period.elapsed,
    "actual": lambda k: k.actual,
    "target": lambda k: k.target,
    "expected": lambda k: k.expected,
    "achievement": lambda k: k.achievement,
    "score": lambda k: k.score,
    "status": lambda k: k.status.value,
    "forecast": lambda k: k.forecast,
    "forecast_achievement": lambda k: k.forecast_achievement,
    "previous": lambda k: k.previous,
    "change": lambda k: k.change,
    "trend": lambda k: k.trend.value if k.trend else None,
    "last_entry": lambda k: k.last_entry,
    "stale": lambda k: k.stale,
    "note": lambda k: k.note,
    # Where the gap comes from and what is done about it (docs/arithmetic.md).
    "top_driver": lambda k: k.drivers.top if k.drivers else None,
    "driver": lambda k: driver_sentence(k) or None,
    "open_actions": lambda k: len(k.open_actions),
    "overdue_actions": lambda k: sum(1 for a in k.open_actions if a.overdue),
    "no_action_planned": lambda k: k.no_action_planned,
}

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


# The last column: how many entries problems left out of these figures — the whole
# tracker's count, the same on every row, so that the sheet a CSV opens as says it
# (docs/workbook.md, "Counted rows").
LEFT_OUT_COLUMN = "entries_left_out"
CSV_COLUMNS: tuple[str, ...] = (*CSV_FIELDS, LEFT_OUT_COLUMN)


def _row(k: KpiResult, left_out: int) -> list[str]:
    return [_cell(field(k)) for field in CSV_FIELDS.values()] + [str(left_out)]


def result_csv(result: Result) -> str:
    """One header row and one row per KPI with the flat figures (no history), and
    the number of entries problems left out of the figures in every row.

    Used by ``status --format csv`` and the ``.csv`` export. Lines end with ``\\n``;
    the export adds a UTF-8 byte-order mark so Excel reads non-ASCII text right.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    left_out = result.left_out_count
    for k in result.kpis:
        writer.writerow(_row(k, left_out))
    return buffer.getvalue()


def result_json(result: Result) -> str:
    """``result.to_dict()`` as indented JSON: exactly ``status --format json``."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
