"""What every meeting export shows, decided once: status colours and symbols, the
displayed figures of a KPI row and the period line. Notes are cut to length with
:func:`kpisheets.formatting.shorten`, as on the Summary sheet.

The formats (PDF, HTML, Markdown, slides) only lay these out, so a KPI reads the
same in each of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import PurePath

from kpisheets.explain import (
    action_text,
    bottleneck_sentence,
    driver_sentence,
    needs_driver_sentence,
)
from kpisheets.formatting import (
    achievement_band,
    figure_formats,
    format_value,
    percent,
    shorten,
    trend_arrow,
)
from kpisheets.legend import legend_lines
from kpisheets.model import Status
from kpisheets.palette import (
    ACTUAL_COLOUR,
    MUTED,
    STATUS_COLOURS,
    STATUS_TINT,
    TARGET_COLOUR,
    TREND_COLOURS,
    WHITE,
)
from kpisheets.problems import left_out_line
from kpisheets.result import ActionResult, FunnelResult, KpiResult, Result

__all__ = [
    "ACTUAL_COLOUR",
    "STATUS_FILL",
    "STATUS_SYMBOL",
    "STATUS_TEXT",
    "TARGET_COLOUR",
    "TREND_COLOUR",
    "Attention",
    "FunnelLine",
    "KpiRow",
    "SegmentLine",
    "attention",
    "by_category",
    "compact_figure",
    "compact_row",
    "done_this_period",
    "funnel_lines",
    "kpi_row",
    "left_out_text",
    "legend_lines",
    "period_line",
    "segment_lines",
    "segments_left_over",
    "status_counts",
]

# The shared status palette (kpisheets.palette), split for the layouts' convenience.
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
TREND_COLOUR = TREND_COLOURS


@dataclass(frozen=True)
class KpiRow:
    """The displayed text of one KPI in a summary table (no markup, not escaped)."""

    kpi: KpiResult
    actual: str
    target: str
    expected: str
    achievement: str
    forecast: str
    trend_arrow: str  # which way the value moved: ▲ ▼ ▶
    trend_label: str  # improving, worsening, flat (by the KPI's Direction) or ""
    change: str
    trend_colour: str  # good green, bad red, flat grey
    achievement_tint: str  # the background of % of target: its own band's tint

    @property
    def trend(self) -> str:
        """Arrow and change as one cell: ``▼ -4%``."""
        return f"{self.trend_arrow} {self.change}".strip()


def kpi_row(k: KpiResult) -> KpiRow:
    """Format a KPI's figures with its own number format.

    >>> # kpi_row(result.kpis[0]).actual == "$6,000"
    """
    trend = k.trend.value if k.trend else ""
    formats = figure_formats(k)
    band = achievement_band(k)
    return KpiRow(
        kpi=k,
        actual=format_value(k.actual, formats.actual),
        target=format_value(k.target, formats.target),
        expected=format_value(k.expected, formats.expected),
        achievement=_achievement(k, formats.achievement),
        forecast=format_value(k.forecast, formats.forecast) if k.forecast is not None else "",
        trend_arrow=trend_arrow(k),
        trend_label=trend,
        change=_signed_percent(k.change),
        trend_colour=TREND_COLOURS.get(trend, MUTED),
        achievement_tint=STATUS_TINT[band] if band else WHITE,
    )


def _achievement(k: KpiResult, num_format: str) -> str:
    """% of target with the KPI's achievement format; beyond a trillion percent (an
    actual of 1E+300 against a target of 10) as :func:`percent` shows it
    (``1E+301%``), not a 300-digit figure that runs down the page or off the slide."""
    if k.achievement is not None and abs(k.achievement) >= 1e13:
        return percent(k.achievement)
    return format_value(k.achievement, num_format)


FIGURE_CHARS = 24  # a figure longer than this is compacted where space is fixed


def compact_figure(text: str, value: float | None, limit: int = FIGURE_CHARS) -> str:
    """A figure's text for a cell of fixed size: as formatted when it has at most
    ``limit`` characters; a huge or tiny number in scientific notation with three
    significant figures, its currency sign and unit kept around it (``$1E+300``,
    ``-1.7E+308``, ``1E+300 leads``, not 309 digits); otherwise cut with an ellipsis
    (a unit of a thousand characters).

    >>> compact_figure("170,000,000,000,000,000,000", 1.7e26), compact_figure("12 km", 12.0)
    ('1.7E+26', '12 km')
    >>> compact_figure("-$" + "1,000" * 10, -1e28), compact_figure("1" + "0" * 30 + "%", 1e28)
    ('-$1E+28', '1E+30%')
    """
    if len(text) <= limit:
        return text
    if value is not None and value != 0 and not 1e-6 <= abs(value) < 1e15:
        digits = _DIGITS.search(text)
        if digits is not None:
            before, after = text[: digits.start()], text[digits.end() :]
            # A % format shows a hundred times the value (without overflowing it).
            shown = _scientific(abs(value), 2 if "%" in after else 0)
            if "-" not in before and value < 0 and "(" not in before:
                before = "-" + before
            text = before + shown + after
        else:
            text = f"{value:.3G}"
    return shorten(text, limit)


_DIGITS = re.compile(r"\d[\d,.\u00a0\u202f ]*\d|\d")  # a figure's digits and separators


def _scientific(value: float, shift: int = 0) -> str:
    """``value`` × 10^``shift`` in three significant figures: ``1.7E+310`` for
    1.7E+308 shifted by 2, though that is beyond the largest float."""
    mantissa, _, exponent = f"{value:.3G}".partition("E")
    return f"{mantissa}E{int(exponent or 0) + shift:+d}" if exponent or shift else mantissa


def compact_row(row: KpiRow) -> KpiRow:
    """``row`` with its figures compacted as :func:`compact_figure` does: a table cell
    shows ``1.7E+308``, not a number of 309 digits that pushes every other column
    off the page or screen (HTML, Markdown, the terminal table, the slides).

    >>> from kpisheets.report import _example_kpi
    >>> from kpisheets.model import Frequency
    >>> k = _example_kpi(Frequency.MONTH)
    >>> k.actual, k.target, k.achievement = 1.7e308, 1.0, 1.7e308
    >>> row = compact_row(kpi_row(k))
    >>> row.actual, row.target, row.achievement
    ('1.7E+308', '1', '1.7E+310%')
    """
    k = row.kpi
    return replace(
        row,
        actual=compact_figure(row.actual, k.actual),
        target=compact_figure(row.target, k.target),
        expected=compact_figure(row.expected, k.expected),
        achievement=compact_figure(row.achievement, k.achievement),
        forecast=compact_figure(row.forecast, k.forecast),
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


def left_out_text(result: Result, where: str | None = None) -> str:
    """The left-out line of an export (``""`` when no entry was left out): how many
    entries problems left out of the figures, by code, and where to see why — the
    Problems sheet of the tracker the figures came from, unless ``where`` says
    (``""``: the line ends after the counts).

    >>> # left_out_text(result) == "3 entries are left out of these figures
    >>> #   (bad-date 2, unknown-kpi 1) — see the Problems sheet of tracker.xlsx"
    """
    if where is None:
        name = PurePath(result.source).name if result.source else ""
        where = f"see the Problems sheet of {name}" if name else "see the Problems sheet"
    return left_out_line(result.left_out, where)


# ---------------------------------------------------------------------------
# Where the gap comes from and what is done about it (segments, funnels, actions).


@dataclass(frozen=True)
class Attention:
    """An At risk or Off track KPI as the exports' attention list shows it: the
    driver sentence (for a KPI without segments that is the stage a funnel's
    bottleneck leads into, the bottleneck sentence; else ``""``), its open actions as
    lines (overdue first, each with ``overdue``), and whether no action is planned."""

    kpi: KpiResult
    driver: str
    actions: list[tuple[str, bool]]
    no_action_planned: bool


def attention(result: Result) -> list[Attention]:
    """The KPIs that need attention, Off track first, in table order within each."""
    order = {Status.OFF_TRACK: 0, Status.AT_RISK: 1}
    kpis = sorted((k for k in result.kpis if k.status in order), key=lambda k: order[k.status])
    # A stage without segments has no driver, but when a funnel's bottleneck leads
    # into it, that step is where its gap comes from.
    necks = {f.bottleneck.destination: f for f in result.funnels if f.bottleneck is not None}
    return [
        Attention(
            kpi=k,
            driver=(
                driver_sentence(k)
                if needs_driver_sentence(k)
                else bottleneck_sentence(necks[k.id])
                if k.id in necks
                else ""
            ),
            actions=[(action_text(a, result.as_of), a.overdue) for a in k.open_actions],
            no_action_planned=k.no_action_planned,
        )
        for k in kpis
    ]


def done_this_period(result: Result) -> list[tuple[KpiResult, ActionResult]]:
    """Actions done this period, with their KPI, in table order."""
    return [(k, a) for k in result.kpis for a in k.actions if a.done_this_period]


@dataclass(frozen=True)
class SegmentLine:
    """One segment of a KPI as text, in the KPI's own number format: its value now and
    in the previous period (for Sum and Count up to the same elapsed day), the change,
    its share of the KPI (Sum and Count only), and its own target and status where
    the Targets sheet has one (``""`` otherwise)."""

    name: str
    now: str
    before: str
    change: str
    share: str
    target: str
    status: str


SEGMENTS_LISTED = 5  # segments in a list before "and N more"


def segment_lines(k: KpiResult, limit: int = SEGMENTS_LISTED) -> list[SegmentLine]:
    """The KPI's segments, largest first, at most ``limit`` (see
    :func:`segments_left_over` for how many are left out)."""
    fmt = k.number_format
    return [
        SegmentLine(
            name=s.name,
            now=format_value(s.actual, fmt),
            before=format_value(s.previous, fmt),
            change=_signed_percent(s.change),
            share=percent(s.share, blank=""),
            target=format_value(s.target, fmt, blank="") if s.target is not None else "",
            status=s.status.label if s.status is not None else "",
        )
        for s in k.segments[:limit]
    ]


def segments_left_over(k: KpiResult, limit: int = SEGMENTS_LISTED) -> int:
    """How many of the KPI's segments :func:`segment_lines` leaves out."""
    return max(len(k.segments) - limit, 0)


@dataclass(frozen=True)
class FunnelLine:
    """One stage of a funnel as text: its figures, and the conversion into it from
    the stage before (blank for the first stage)."""

    stage: str
    now: str
    before: str
    target: str
    conversion: str
    conversion_before: str
    conversion_target: str
    bottleneck: bool
    value: float  # the stage's value now, for bars (0 when blank)


def funnel_lines(f: FunnelResult) -> list[FunnelLine]:
    """The stages of a funnel, top to bottom, with the conversion into each."""
    steps = {step.destination: step for step in f.steps}
    out = []
    for stage in f.stages:
        step = steps.get(stage.kpi)
        fmt = stage.number_format
        into = ("", "", "")
        if step is not None:
            into = (percent(step.conversion), percent(step.previous), percent(step.target))
        out.append(
            FunnelLine(
                stage=stage.name,
                now=format_value(stage.actual, fmt),
                before=format_value(stage.previous, fmt),
                target=format_value(stage.target, fmt),
                conversion=into[0],
                conversion_before=into[1],
                conversion_target=into[2],
                bottleneck=bool(step and step.bottleneck),
                value=max(stage.actual or 0.0, 0.0),
            )
        )
    return out


__all__ += ["bottleneck_sentence"]


def kpi_sentence(k: KpiResult) -> str:
    """A KPI's figures and latest note in sentences, for speaker notes and screen readers:
    ``Sales: $6,000 against a target of $10,000 (60% of target); $6,667 expected by
    now, so At risk. Up 8% on the previous period, improving. Latest note: “Slow week”.``
    """
    from kpisheets.formatting import shorten

    row = kpi_row(k)
    if k.actual is None:
        text = f"{k.name}: no figure yet for {k.period.label}"
        text += f" (target {row.target})." if k.target is not None else "."
    else:
        text = f"{k.name}: {row.actual} for {k.period.label}"
        if k.target is not None:
            text += f" against a target of {row.target} ({row.achievement} of target)"
        if k.expected is not None and k.expected != k.target:
            text += f"; {row.expected} expected by now"
        text += f", so {k.status.label}."
    if row.trend_label and row.change:
        direction = {"▲": "Up", "▼": "Down", "▶": "Flat,"}.get(row.trend_arrow, "Moved")
        change = row.change.lstrip("+-")
        if direction == "Flat,":  # "Flat on the previous period", not "…, flat."
            text += " Flat on the previous period."
        else:
            text += f" {direction} {change} on the previous period, {row.trend_label}."
    if k.note:
        text += f" Latest note: “{shorten(k.note, 200)}”."
    return text
