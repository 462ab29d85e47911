"""The computed result: per-KPI figures, rollups and history at one as-of date.

Produced by :func:`kpisheets.calc.compute`; consumed by the report, the writers
and the exports. ``Result.to_dict()`` is exactly the ``status --format json`` object
(docs/exports.md, "CSV and JSON"), and ``Result.to_frame()`` one row per KPI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpisheets.formatting import finite
from kpisheets.model import Aggregation, Direction, Frequency, Problem, Status, Trend

if TYPE_CHECKING:
    import pandas as pd

    from kpisheets.reviews import Since


@dataclass(frozen=True)
class Period:
    """A KPI's current period: inclusive ``start``..``end``, a label such as
    ``"Nov 2026"``, ``"Q3 FY2026"``, ``"Week of 2026-11-23"`` or ``"2026-01-01 – 2026-06-30"``,
    and the elapsed fraction f at the as-of date."""

    start: dt.date
    end: dt.date
    label: str
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "elapsed": finite(self.elapsed),
        }


@dataclass(frozen=True)
class HistoryPoint:
    """One past (or the current) period of a KPI: its value A and target T."""

    start: dt.date
    end: dt.date
    label: str
    value: float | None
    target: float | None

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "value": finite(self.value),
            "target": finite(self.target),
        }


@dataclass
class KpiResult:
    """Every figure of docs/arithmetic.md for one KPI at the as-of date."""

    id: str
    name: str
    category: str
    owner: str
    unit: str
    number_format: str  # the Excel number format to show A, T, E and forecast with
    direction: Direction
    aggregation: Aggregation
    frequency: Frequency
    period: Period
    actual: float | None
    target: float | None
    expected: float | None
    achievement: float | None  # % of target, as a fraction
    score: float | None
    status: Status
    forecast: float | None = None
    forecast_achievement: float | None = None
    previous: float | None = None
    change: float | None = None
    trend: Trend | None = None
    last_entry: dt.date | None = None
    stale: bool = False
    note: str | None = None
    history: list[HistoryPoint] = field(default_factory=list)
    weight: float = 1.0
    tolerance: float | None = None
    baseline: float | None = None
    green_at: float = 1.0
    amber_at: float = 0.9
    description: str = ""
    source: str = ""
    row: int | None = None  # Excel row in KPIs

    def to_dict(self) -> dict[str, Any]:
        """The KPI as in ``status --format json``."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "owner": self.owner,
            "unit": self.unit,
            "format": self.number_format,
            "direction": self.direction.value,
            "aggregation": self.aggregation.value,
            "frequency": self.frequency.value,
            "period": self.period.to_dict(),
            "actual": finite(self.actual),
            "target": finite(self.target),
            "expected": finite(self.expected),
            "achievement": finite(self.achievement),
            "score": finite(self.score),
            "status": self.status.value,
            "forecast": finite(self.forecast),
            "forecast_achievement": finite(self.forecast_achievement),
            "previous": finite(self.previous),
            "change": finite(self.change),
            "trend": self.trend.value if self.trend else None,
            "last_entry": self.last_entry.isoformat() if self.last_entry else None,
            "stale": self.stale,
            "note": self.note,
            "weight": finite(self.weight),
            "green_at": finite(self.green_at),
            "amber_at": finite(self.amber_at),
            "description": self.description,
            "source": self.source,
            "history": [h.to_dict() for h in self.history],
        }


@dataclass
class Rollup:
    """Status counts and the weighted score Σ w·min(s, 1.5) / Σ w of a group of KPIs."""

    name: str
    counts: dict[Status, int]
    score: float | None
    kpi_count: int

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "name": self.name,
            "kpis": self.kpi_count,
            "score": finite(self.score),
            "counts": {s.value: self.counts.get(s, 0) for s in Status},
        }


@dataclass
class Result:
    """The whole computation at one as-of date."""

    title: str
    as_of: dt.date
    kpis: list[KpiResult]
    categories: list[Rollup]
    overall: Rollup
    problems: list[Problem]
    entry_count: int = 0  # data rows in Entries as read (Tracker.entry_count)
    # Entries left out of the figures, by the problem code that left them out
    # ({"bad-date": 3, "future-date": 120}); see docs/workbook.md, "Counted rows".
    left_out: dict[str, int] = field(default_factory=dict)
    source: str | None = None
    # Copied from the Tracker: where Entries lives (for the "changed since" formula).
    entries_sheet: str = "Entries"
    entries_date_column: str = "A"
    entries_header_row: int = 1
    # What changed since the last review (kpisheets.reviews); None until compared.
    since: Since | None = None

    @property
    def left_out_count(self) -> int:
        """How many entries problems left out of the figures, all codes together."""
        return sum(self.left_out.values())

    @property
    def has_errors(self) -> bool:
        """Whether any problem is an error (warnings do not count)."""
        return any(p.severity == "error" for p in self.problems)

    def kpi(self, kpi_id: str) -> KpiResult:
        """The result for one KPI ID (case-insensitive); KeyError when absent."""
        for k in self.kpis:
            if k.id.lower() == kpi_id.lower():
                return k
        raise KeyError(kpi_id)

    def to_dict(self) -> dict[str, Any]:
        """The ``status --format json`` object (docs/exports.md, "CSV and JSON")."""
        return {
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "kpis": [k.to_dict() for k in self.kpis],
            "categories": [c.to_dict() for c in self.categories],
            "overall": self.overall.to_dict(),
            "left_out": dict(self.left_out),
            "problems": [p.to_dict() for p in self.problems],
            "since": self.since.to_dict() if self.since is not None else None,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI with the flat figures (no history), indexed by ID."""
        import pandas as pd

        rows = []
        for k in self.kpis:
            d = k.to_dict()
            period = d.pop("period")
            d.pop("history")
            d["period_start"] = k.period.start
            d["period_end"] = k.period.end
            d["period_label"] = period["label"]
            d["elapsed"] = period["elapsed"]
            d["last_entry"] = k.last_entry
            rows.append(d)
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.set_index("id")
        return frame
