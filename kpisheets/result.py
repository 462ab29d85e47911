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
from kpisheets.model import (
    ActionStatus,
    Aggregation,
    Direction,
    Frequency,
    Problem,
    Status,
    Trend,
)

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


def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


@dataclass
class SegmentResult:
    """One segment of a KPI (see docs/arithmetic.md, "Segments").

    ``actual`` A_g and ``previous`` P_g follow the KPI's own rules (P_g up to the
    same elapsed day for Sum and Count); ``share`` is A_g / A for Sum and Count;
    ``target``, ``expected``, ``score`` and ``status`` are set only where the Targets
    sheet has a row for this KPI, period and segment (``status`` is None without
    one). ``history`` holds the segment's value for each of the KPI's history
    periods, aligned with ``KpiResult.history``.
    """

    name: str
    actual: float | None
    previous: float | None = None
    change: float | None = None
    share: float | None = None
    target: float | None = None
    expected: float | None = None
    score: float | None = None
    status: Status | None = None
    history: list[float | None] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "name": self.name,
            "actual": finite(self.actual),
            "previous": finite(self.previous),
            "change": finite(self.change),
            "share": finite(self.share),
            "target": finite(self.target),
            "expected": finite(self.expected),
            "score": finite(self.score),
            "status": self.status.value if self.status else None,
            "history": [finite(v) for v in self.history],
        }


@dataclass(frozen=True)
class DriverPart:
    """What one segment contributed to a KPI's change from P to A.

    ``contribution`` is Δ_g = A_g − P_g for Sum and Count, and ``rate + mix`` for a
    ratio; ``share`` is the contribution over the whole change A − P. For a ratio
    ``weight``/``previous_weight`` are the segment's share w_g of the denominator and
    ``rate``/``previous_rate`` its own ratio r_g, now and before.
    """

    segment: str
    contribution: float
    share: float | None = None
    rate_effect: float | None = None
    mix_effect: float | None = None
    rate: float | None = None
    previous_rate: float | None = None
    weight: float | None = None
    previous_weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "segment": self.segment,
            "contribution": finite(self.contribution),
            "share": finite(self.share),
            "rate_effect": finite(self.rate_effect),
            "mix_effect": finite(self.mix_effect),
            "rate": finite(self.rate),
            "previous_rate": finite(self.previous_rate),
            "weight": finite(self.weight),
            "previous_weight": finite(self.previous_weight),
        }


@dataclass(frozen=True)
class Drivers:
    """Which segments explain a KPI's change from ``previous`` P to ``actual`` A.

    ``method`` is ``"delta"`` (Sum, Count: Δ_g and its share of A − P) or
    ``"rate_mix"`` (ratios and averages: the exact split into a rate effect and a mix
    effect, ``rate_effect + mix_effect == actual − previous``). ``parts`` are the
    segments; ``unsegmented`` is what entries without a Segment contributed (None
    when there are none), so the parts always add up to the change. ``top`` names
    the segment that moves the KPI most in the direction it moved; ``weight_of``
    names what the weights are shares of (``"Sessions"``, ``"entries"``).
    """

    method: str
    actual: float
    previous: float
    parts: list[DriverPart]
    unsegmented: DriverPart | None = None
    rate_effect: float | None = None
    mix_effect: float | None = None
    top: str | None = None
    weight_of: str = ""

    @property
    def change(self) -> float:
        """A − P."""
        return self.actual - self.previous

    def part(self, segment: str) -> DriverPart:
        """The part of one segment (case-insensitive); KeyError when absent."""
        for p in self.parts:
            if p.segment.lower() == segment.lower():
                return p
        raise KeyError(segment)

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "method": self.method,
            "actual": finite(self.actual),
            "previous": finite(self.previous),
            "change": finite(self.change),
            "rate_effect": finite(self.rate_effect),
            "mix_effect": finite(self.mix_effect),
            "top": self.top,
            "weight_of": self.weight_of or None,
            "parts": [p.to_dict() for p in self.parts],
            "unsegmented": self.unsegmented.to_dict() if self.unsegmented else None,
        }


@dataclass(frozen=True)
class ActionResult:
    """One course correction of a KPI as of the as-of date D.

    ``overdue``: still Open with Due before D. ``done_this_period``: Done, and due
    (without a Due date: logged) inside the KPI's current period.
    """

    action: str
    status: ActionStatus
    date: dt.date | None = None
    owner: str = ""
    due: dt.date | None = None
    result: str = ""
    row: int | None = None
    overdue: bool = False
    done_this_period: bool = False

    @property
    def is_open(self) -> bool:
        """Status Open."""
        return self.status is ActionStatus.OPEN

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "action": self.action,
            "status": self.status.value,
            "date": _iso(self.date),
            "owner": self.owner,
            "due": _iso(self.due),
            "result": self.result,
            "row": self.row,
            "overdue": self.overdue,
            "done_this_period": self.done_this_period,
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
    segments: list[SegmentResult] = field(default_factory=list)
    drivers: Drivers | None = None
    actions: list[ActionResult] = field(default_factory=list)

    @property
    def open_actions(self) -> list[ActionResult]:
        """The actions still Open, overdue ones first, then by Due date."""
        opened = [a for a in self.actions if a.is_open]
        return sorted(opened, key=lambda a: (not a.overdue, a.due or dt.date.max))

    @property
    def no_action_planned(self) -> bool:
        """At risk or Off track with no open action: the meeting should decide one."""
        return self.status in (Status.AT_RISK, Status.OFF_TRACK) and not self.open_actions

    def segment(self, name: str) -> SegmentResult:
        """The segment with this name (case-insensitive); KeyError when absent."""
        for s in self.segments:
            if s.name.lower() == name.lower():
                return s
        raise KeyError(name)

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
            "segments": [s.to_dict() for s in self.segments],
            "drivers": self.drivers.to_dict() if self.drivers else None,
            "actions": [a.to_dict() for a in self.actions],
            "no_action_planned": self.no_action_planned,
        }


@dataclass(frozen=True)
class FunnelStage:
    """One stage of a funnel: a Sum or Count KPI's A, P (same elapsed day) and T."""

    kpi: str
    name: str
    actual: float | None
    previous: float | None
    target: float | None
    number_format: str = ""

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "kpi": self.kpi,
            "name": self.name,
            "actual": finite(self.actual),
            "previous": finite(self.previous),
            "target": finite(self.target),
        }


@dataclass(frozen=True)
class FunnelStep:
    """The conversion between consecutive stages ``source`` → ``destination``.

    ``conversion`` c = A_next / A_this now, ``previous`` the same up to the same
    elapsed day of the previous period, ``target`` T_next / T_this. ``reference`` is
    what the step is judged against (``"target"``, else ``"previous"``, else None)
    and ``gap`` how far it is from it, relative (−0.25: a quarter below).
    """

    source: str
    destination: str
    conversion: float | None
    previous: float | None
    target: float | None
    reference: str | None = None
    gap: float | None = None
    bottleneck: bool = False

    @property
    def holds(self) -> bool:
        """At or above its reference (or nothing to judge it by)."""
        return self.gap is None or self.gap >= 0

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        return {
            "from": self.source,
            "to": self.destination,
            "conversion": finite(self.conversion),
            "previous": finite(self.previous),
            "target": finite(self.target),
            "reference": self.reference,
            "gap": finite(self.gap),
            "bottleneck": self.bottleneck,
        }


@dataclass
class FunnelResult:
    """A funnel: its stages in KPIs-sheet row order, the steps between them, and the
    bottleneck step (None when every step holds)."""

    name: str
    period: Period
    stages: list[FunnelStage]
    steps: list[FunnelStep]

    @property
    def bottleneck(self) -> FunnelStep | None:
        """The step marked as the bottleneck, if any."""
        return next((s for s in self.steps if s.bottleneck), None)

    @property
    def overall(self) -> float | None:
        """Last stage over first stage, now."""
        first, last = self.stages[0].actual, self.stages[-1].actual
        if first is None or last is None or first == 0:
            return None
        return last / first

    def to_dict(self) -> dict[str, Any]:
        """This part of the ``status --format json`` schema."""
        neck = self.bottleneck
        return {
            "name": self.name,
            "period": self.period.to_dict(),
            "stages": [s.to_dict() for s in self.stages],
            "steps": [s.to_dict() for s in self.steps],
            "overall": finite(self.overall),
            "bottleneck": {"from": neck.source, "to": neck.destination} if neck else None,
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
    funnels: list[FunnelResult] = field(default_factory=list)

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
            "funnels": [f.to_dict() for f in self.funnels],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI with the flat figures (no history), indexed by ID.

        Dates (``period_start``, ``period_end``, ``last_entry``) are ``datetime64``
        columns, missing numbers are NaN in ``float64`` columns, and a tracker without
        KPIs still gives every column (an empty frame with the same schema).
        """
        import pandas as pd

        rows = [_flat(k) for k in self.kpis]
        blank = _flat(blank_kpi())
        frame = pd.DataFrame(rows, columns=list(blank))
        for name, example in blank.items():
            if name in FRAME_DATES:
                frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
            elif name in FRAME_NUMBERS:
                frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
            elif isinstance(example, bool):
                frame[name] = frame[name].astype(bool)
            else:  # text: the dtype pandas gives text (object, or "str" from pandas 3)
                frame[name] = frame[name].astype(pd.Series(["text"]).dtype)
        return frame.set_index("id")

    def history_frame(self) -> pd.DataFrame:
        """One row per KPI and history period (oldest first): ``id``, ``name``,
        ``category``, ``period_start``, ``period_end`` (datetime64), ``period_label``,
        ``value`` and ``target`` (float64, NaN when missing) and ``current`` (the
        KPI's current period). Every column is there even without KPIs.

        >>> # result.history_frame().pivot(index="period_start", columns="id", values="value")
        """
        import pandas as pd

        rows = [
            {
                "id": k.id,
                "name": k.name,
                "category": k.category,
                "period_start": point.start,
                "period_end": point.end,
                "period_label": point.label,
                "value": point.value,
                "target": point.target,
                "current": point.start == k.period.start,
            }
            for k in self.kpis
            for point in k.history
        ]
        frame = pd.DataFrame(rows, columns=HISTORY_FRAME_COLUMNS)
        for name in ("period_start", "period_end"):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
        for name in ("value", "target"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        frame["current"] = frame["current"].astype(bool)
        text = pd.Series(["text"]).dtype  # as to_frame: object, or "str" from pandas 3
        for name in ("id", "name", "category", "period_label"):
            frame[name] = frame[name].astype(text)
        return frame


# The frames' schemas (Result.to_frame, Result.history_frame).
FRAME_DATES = ("period_start", "period_end", "last_entry")
FRAME_NUMBERS = (
    "actual",
    "target",
    "expected",
    "achievement",
    "score",
    "forecast",
    "forecast_achievement",
    "previous",
    "change",
    "elapsed",
    "weight",
    "green_at",
    "amber_at",
)
HISTORY_FRAME_COLUMNS = (
    "id",
    "name",
    "category",
    "period_start",
    "period_end",
    "period_label",
    "value",
    "target",
    "current",
)


def _flat(k: KpiResult) -> dict[str, Any]:
    """A KPI's row of :meth:`Result.to_frame`: its JSON fields without the nested ones,
    the period spread into columns and dates as dates."""
    d = k.to_dict()
    period = d.pop("period")
    nested = {"history", "segments", "drivers", "actions"}
    nested |= {key for key, value in d.items() if isinstance(value, list | dict)}
    for key in nested:
        d.pop(key, None)
    d["period_start"] = k.period.start
    d["period_end"] = k.period.end
    d["period_label"] = period["label"]
    d["elapsed"] = period["elapsed"]
    d["last_entry"] = k.last_entry
    return d


def blank_kpi() -> KpiResult:
    """A KPI with no figures (no ID, a Sum, monthly, No data): its row names the frame's
    columns for an empty tracker, and examples start from it (``dataclasses.replace``)."""
    day = dt.date(2000, 1, 1)
    return KpiResult(
        id="",
        name="",
        category="",
        owner="",
        unit="",
        number_format="",
        direction=Direction.HIGHER,
        aggregation=Aggregation.SUM,
        frequency=Frequency.MONTH,
        period=Period(day, day, "", 0.0),
        actual=None,
        target=None,
        expected=None,
        achievement=None,
        score=None,
        status=Status.NO_DATA,
    )
