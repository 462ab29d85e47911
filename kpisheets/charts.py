"""What every history chart shows, decided once for the History sheet, the PDF and the
slides (each draws it with its own library).

* **One style per kind of KPI.** A total (Sum, Count) grows through its period, so its
  actual is drawn as columns; a level (Average, Last, NPS, Formula…) as a line with
  markers. The target is a dashed line in both.
* **The span** runs from the first period that has a value to the current one: a
  quarterly KPI with five quarters of data is not drawn over twelve (a target before
  the first entry is the KPI's standing target repeated, and says nothing). A KPI with
  no value yet shows the periods that have a target.
* **Short period labels** fit under a column: ``31 Aug`` for a week, ``Nov`` for a month
  (with the year on the first one and on January: ``Nov 2025 … Jan 2026``), ``Q4`` for a
  quarter (the year likewise), the year for a year, the start date for a goal window.

Nothing here imports an Excel or drawing library.
"""

from __future__ import annotations

from kpisheets.model import Frequency
from kpisheets.result import HistoryPoint, KpiResult

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def actual_as_columns(k: KpiResult) -> bool:
    """Whether the KPI's actual is drawn as columns (a total) rather than a line."""
    return k.aggregation.is_paced


def charted_points(k: KpiResult) -> list[HistoryPoint]:
    """The history periods a chart shows: from the first with a value on; without any
    value, from the first with a target (the current period always stays)."""
    history = list(k.history)
    for has in (lambda p: p.value is not None, lambda p: p.target is not None):
        for i, point in enumerate(history):
            if has(point):
                return history[i:]
    return history[-1:]


def short_labels(k: KpiResult, points: list[HistoryPoint]) -> list[str]:
    """The axis labels of ``points`` (see the module docstring).

    >>> import datetime as dt
    >>> from kpisheets.report import _example_kpi
    >>> k = _example_kpi(Frequency.MONTH)
    >>> pts = [HistoryPoint(dt.date(2025, m, 1), dt.date(2025, m, 28), "", 1, 1) for m in (11, 12)]
    >>> pts.append(HistoryPoint(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "", 1, 1))
    >>> short_labels(k, pts)
    ['Nov 2025', 'Dec', 'Jan 2026']
    """
    labels = []
    for i, point in enumerate(points):
        kind = _kind(k, point)
        start = point.start
        if kind is Frequency.WEEK:
            labels.append(f"{start.day} {MONTHS[start.month - 1]}")
        elif kind is Frequency.MONTH:
            year = f" {start.year}" if i == 0 or start.month == 1 else ""
            labels.append(MONTHS[start.month - 1] + year)
        elif kind is Frequency.QUARTER:
            quarter, _, year = point.label.partition(" ")  # "Q4 2026", "Q3 FY2027"
            first_quarter = quarter == "Q1"
            labels.append(point.label if i == 0 or first_quarter or not year else quarter)
        elif kind is Frequency.YEAR:
            labels.append(point.label)
        else:  # a goal window: its start
            labels.append(f"{start.day} {MONTHS[start.month - 1]} {start.year}")
    return labels


def _kind(k: KpiResult, point: HistoryPoint) -> Frequency | None:
    """The calendar period a history point is, or None for a Start/End goal window
    (told apart by its length, as the result does not say)."""
    length = (point.end - point.start).days + 1
    lengths = {
        Frequency.WEEK: range(7, 8),
        Frequency.MONTH: range(28, 32),
        Frequency.QUARTER: range(89, 93),
        Frequency.YEAR: range(365, 367),
    }
    return k.frequency if length in lengths[k.frequency] else None
