"""Targets, expected-by-now, achievement, score, status, forecast, trend, history,
rollups, freshness and notes (docs/arithmetic.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from kpisheets.calc import (
    achievement,
    compute,
    expected_by_now,
    range_score,
    range_status,
    score_status,
)
from kpisheets.model import Direction, Status, Trend
from kpisheets.result import Result
from tests.builders import kpi, tracker

D = dt.date
AS_OF = D(2026, 11, 15)  # f = 15/30 = 0.5 for November


def run(
    kpis: list[Any], entries: Sequence[tuple[Any, ...]] = (), targets: Any = (), **kw: Any
) -> Result:
    kw.setdefault("as_of", AS_OF)
    return compute(tracker(kpis, entries, targets, **kw))


# --- achievement --------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "r", "direction", "baseline", "a"),
    [
        (90, 100, "higher", None, 0.9),
        (110, 100, "higher", None, 1.1),
        (90, 100, "lower", None, 1.1),
        (110, 100, "lower", None, 0.9),
        (-80, -100, "higher", None, 1.2),  # less negative is higher
        (-120, -100, "higher", None, 0.8),
        (-80, -100, "lower", None, 0.8),
        (0, 0, "higher", None, 1.0),
        (5, 0, "higher", None, 1.0),
        (-5, 0, "higher", None, 0.0),
        (-5, 0, "lower", None, 1.0),
        (5, 0, "lower", None, 0.0),
        (30, 50, "higher", 10, 0.5),
        (30, 10, "lower", 50, 0.5),  # from 50 down to 10: 30 is half way
        (50, 10, "lower", 50, 0.0),
        (100, 100, "higher", 100, 1.0),  # B = r: the plain formula
    ],
)
def test_achievement(x: float, r: float, direction: str, baseline: float | None, a: float) -> None:
    assert achievement(x, r, direction, baseline) == pytest.approx(a)


def test_achievement_blank_inputs_and_bad_direction() -> None:
    assert achievement(None, 1) is None
    assert achievement(1, None) is None
    assert achievement(float("nan"), 1) is None
    assert achievement(1, 2, Direction.LOWER) == 1.5
    assert achievement(1, 2, "Lower is better") == 1.5
    with pytest.raises(ValueError, match="sideways"):
        achievement(1, 2, "sideways")


def test_range_score_and_status() -> None:
    assert range_score(103, 100, 5) == 1.0
    assert range_score(110, 100, 5) == pytest.approx(0.95)
    assert range_score(300, 100, 5) == 0.0
    assert range_score(1, 0, 0.5) == 0.0 and range_score(0.5, 0, 0.5) == 1.0
    assert range_score(101, 100, None) == pytest.approx(0.99)
    assert [range_status(x, 100, 5) for x in (105, 95, 110, 89.9)] == [
        Status.ON_TRACK,
        Status.ON_TRACK,
        Status.AT_RISK,
        Status.OFF_TRACK,
    ]
    assert range_status(None, 100, 5) is Status.NO_DATA
    assert range_status(1, None, 5) is Status.NO_TARGET


def test_score_status_thresholds_are_inclusive() -> None:
    assert score_status(1.0) is Status.ON_TRACK
    assert score_status(0.9) is Status.AT_RISK
    assert score_status(1 - 0.1) is Status.AT_RISK  # binary noise of a decimal 0.9
    assert score_status(1 - 0.1 - 1e-12) is Status.OFF_TRACK  # a real miss, however small
    assert score_status(0.8999) is Status.OFF_TRACK
    assert score_status(None) is Status.NO_DATA
    assert score_status(0.85, green_at=0.95, amber_at=0.8) is Status.AT_RISK
    assert score_status(0.85, None, None) is Status.OFF_TRACK


def test_status_boundaries_are_exact_on_the_decimal_values() -> None:
    # Each of these was decided with an absolute slack of 1e-9 (issue 10).
    assert score_status(0.8999999995) is Status.OFF_TRACK  # against Amber at 0.9
    assert range_status(1e9 + 6, 1e9, 5) is Status.AT_RISK  # 6 away, tolerance 5
    assert range_status(1e12 + 900, 1e12, 0) is Status.OFF_TRACK
    assert range_score(1e9 + 6, 1e9, 5) == pytest.approx(1 - 1e-9)
    # Exactly on a threshold reaches it, whatever the binary rounding of the figures.
    assert range_status(0.1 + 0.2, 0.2, 0.1) is Status.ON_TRACK
    assert score_status(achievement(0.1 + 0.2, 0.3, "lower")) is Status.ON_TRACK


def test_status_through_compute_is_exact() -> None:
    kpis = [
        kpi("AMBER", aggregation="last", target=1),
        kpi("RANGE", aggregation="last", direction="range", target=1e9, tolerance=5),
        kpi("WIDE", aggregation="last", direction="range", target=1e12, tolerance=0),
        kpi("SUM", direction="lower", target=0.3, start=D(2026, 11, 1), end=D(2026, 11, 29)),
        kpi("PACED", target=30),  # 29 days of 30: E = 29, not 29.000000000000004
        kpi("ON", aggregation="last", target=1, amber_at=0.7, green_at=0.7),
    ]
    entries = [
        ("2026-11-02", "AMBER", 0.8999999995),
        ("2026-11-02", "RANGE", 1e9 + 6),
        ("2026-11-02", "WIDE", 1e12 + 900),
        ("2026-11-02", "SUM", 0.1),
        ("2026-11-03", "SUM", 0.2),
        ("2026-11-02", "PACED", 29),
        ("2026-11-02", "ON", 0.7),
    ]
    r = run(kpis, entries, as_of=D(2026, 11, 29))
    got = {k.id: k.status for k in r.kpis}
    assert got == {
        "AMBER": Status.OFF_TRACK,
        "RANGE": Status.AT_RISK,
        "WIDE": Status.OFF_TRACK,
        "SUM": Status.ON_TRACK,
        "PACED": Status.ON_TRACK,
        "ON": Status.ON_TRACK,
    }
    assert r.kpi("PACED").score == 1.0 and r.kpi("SUM").score == 1.0


def test_a_sum_beyond_the_largest_float_is_number_too_large_without_status() -> None:
    kpis = [
        kpi("HUGE", target=1, category="A"),
        kpi("OK", target=1, category="A"),
        kpi("F", aggregation="formula", formula="OK * 1e308 * 10", target=1, category="A"),
    ]
    entries = [
        ("2026-11-02", "HUGE", 1.7e308),
        ("2026-11-03", "HUGE", 1.7e308),
        ("2026-10-03", "HUGE", 1.7e308),
        ("2026-10-04", "HUGE", 1.7e308),
        ("2026-11-02", "OK", 2),
    ]
    r = run(kpis, entries, history_periods=3)
    huge = r.kpi("HUGE")
    assert (huge.actual, huge.score, huge.status) == (None, None, Status.NO_DATA)
    assert huge.previous is None and [h.value for h in huge.history] == [None, None, None]
    assert r.kpi("F").actual is None and r.kpi("F").status is Status.NO_DATA
    problems = {p.kpi: p for p in r.problems if p.code == "number-too-large"}
    assert set(problems) == {"HUGE", "F"}
    p = problems["HUGE"]
    assert (p.severity, p.sheet, p.row, p.column) == ("error", "KPIs", 2, "ID")
    assert "Nov 2026" in p.message and "Oct 2026" in p.message
    # No weight in the rollups: only OK (score 2 → capped at 1.5) counts.
    assert r.overall.score == 1.5 and r.categories[0].score == 1.5
    assert r.overall.counts[Status.NO_DATA] == 2


def test_expected_by_now() -> None:
    assert expected_by_now(1000, 0.25, paced=True) == 250
    assert expected_by_now(40, 0.25, paced=False, baseline=20, glide=True) == 25
    assert expected_by_now(40, 0.25, paced=False, baseline=20, glide=False) == 40
    assert expected_by_now(None, 0.25, paced=True) is None


# --- through compute -------------------------------------------------------------


def test_sum_pacing_score_forecast() -> None:
    r = run([kpi("S", target=1000)], [("2026-11-03", "S", 300), ("2026-11-12", "S", 150)])
    s = r.kpi("S")
    assert s.period.elapsed == 0.5
    assert (s.actual, s.target, s.expected) == (450, 1000, 500)
    assert s.achievement == pytest.approx(0.45)
    assert s.score == pytest.approx(0.9)
    assert s.status is Status.AT_RISK
    assert s.forecast == pytest.approx(900)
    assert s.forecast_achievement == pytest.approx(0.9)


def test_count_is_paced_too_and_others_are_not() -> None:
    entries = [("2026-11-03", "C", None), ("2026-11-04", "C", None), ("2026-11-03", "A", 9)]
    r = run(
        [kpi("C", aggregation="count", target=4), kpi("A", aggregation="average", target=10)],
        entries,
    )
    assert (r.kpi("C").expected, r.kpi("C").score, r.kpi("C").forecast) == (2, 1.0, 4)
    assert (r.kpi("A").expected, r.kpi("A").score, r.kpi("A").forecast) == (10, 0.9, None)


def test_glide_path_needs_baseline_start_and_end() -> None:
    window = {"start": D(2026, 11, 1), "end": D(2026, 11, 30)}
    kpis = [
        kpi("G", aggregation="last", target=40, baseline=20, **window),
        kpi("N", aggregation="last", target=40, baseline=20),
    ]
    r = run(kpis, [("2026-11-10", "G", 28), ("2026-11-10", "N", 28)])
    g, n = r.kpi("G"), r.kpi("N")
    assert g.expected == pytest.approx(30)  # 20 + (40 − 20) × 0.5
    assert g.score == pytest.approx((28 - 20) / (30 - 20))
    assert g.achievement == pytest.approx((28 - 20) / (40 - 20))
    assert n.expected == 40


def test_time_phased_targets_override_the_kpi_target_in_their_period() -> None:
    targets = [("S", D(2026, 11, 30), 2000), ("S", D(2026, 10, 1), 800), ("S", D(2027, 1, 1), 5)]
    r = run([kpi("S", target=1000)], [("2026-11-02", "S", 1000)], targets)
    s = r.kpi("S")
    assert s.target == 2000
    assert [h.target for h in s.history[-3:]] == [1000, 800, 2000]


def test_targets_sheet_alone_is_enough_and_lower_row_wins() -> None:
    targets = [("S", D(2026, 11, 1), 10), ("s", D(2026, 11, 20), 20)]
    r = run([kpi("S")], [("2026-11-02", "S", 10)], targets)
    assert r.kpi("S").target == 20
    assert not [p for p in r.problems if p.code == "missing-target"]


def test_missing_target_is_a_warning_and_status_no_target() -> None:
    r = run([kpi("S")], [("2026-11-02", "S", 10)])
    assert r.kpi("S").status is Status.NO_TARGET
    assert r.kpi("S").score is None
    (p,) = r.problems
    assert (p.code, p.severity, p.column, p.row, p.kpi) == (
        "missing-target",
        "warning",
        "Target",
        2,
        "S",
    )


def test_no_data_takes_precedence_over_no_target() -> None:
    r = run([kpi("S")])
    assert r.kpi("S").status is Status.NO_DATA
    assert [p.code for p in r.problems] == ["missing-target"]


def test_per_kpi_thresholds_override_settings() -> None:
    entries = [("2026-11-02", "A", 85), ("2026-11-02", "B", 85)]
    kpis = [
        kpi("A", aggregation="last", target=100),
        kpi("B", aggregation="last", target=100, green_at=0.85, amber_at=0.7),
    ]
    r = run(kpis, entries, green_at=0.95, amber_at=0.8)
    assert r.kpi("A").status is Status.AT_RISK
    assert (r.kpi("A").green_at, r.kpi("A").amber_at) == (0.95, 0.8)
    assert r.kpi("B").status is Status.ON_TRACK


def test_lower_is_better_and_within_range_statuses() -> None:
    entries = [("2026-11-02", "L", 0.06), ("2026-11-02", "R", 108)]
    kpis = [
        kpi("L", aggregation="average", direction="lower", target=0.05),
        kpi("R", aggregation="average", direction="range", target=100, tolerance=5),
    ]
    r = run(kpis, entries)
    assert r.kpi("L").achievement == pytest.approx(0.8)
    assert r.kpi("L").status is Status.OFF_TRACK
    assert r.kpi("R").score == pytest.approx(0.97)
    assert r.kpi("R").status is Status.AT_RISK


def test_trend_sum_compares_with_previous_period_up_to_the_same_day() -> None:
    entries = [
        ("2026-10-05", "S", 100),
        ("2026-10-15", "S", 100),
        ("2026-10-16", "S", 10_000),  # after the same elapsed day: not counted
        ("2026-11-02", "S", 250),
    ]
    s = run([kpi("S", target=1000)], entries).kpi("S")
    assert (s.previous, s.change, s.trend) == (200, 0.25, Trend.IMPROVING)
    assert s.history[-2].value == 10_200  # history shows the full previous period


def test_trend_same_elapsed_day_is_capped_at_a_short_previous_month() -> None:
    entries = [("2026-02-28", "S", 100), ("2026-03-31", "S", 100)]
    s = run([kpi("S", target=1)], entries, as_of=D(2026, 3, 31)).kpi("S")
    assert (s.previous, s.trend) == (100, Trend.FLAT)


def test_trend_others_use_the_full_previous_value_and_direction() -> None:
    entries = [
        ("2026-10-30", "L", 0.10),
        ("2026-11-02", "L", 0.08),
        ("2026-10-30", "H", 10),
        ("2026-11-02", "H", 10.05),
    ]
    kpis = [
        kpi("L", aggregation="last", direction="lower", target=0.05),
        kpi("H", aggregation="last", target=1),
    ]
    r = run(kpis, entries)
    assert r.kpi("L").previous == 0.10
    assert r.kpi("L").change == pytest.approx(-0.2)
    assert r.kpi("L").trend is Trend.IMPROVING
    assert r.kpi("H").trend is Trend.FLAT  # +0.5% is under 1%


def test_trend_within_range_is_judged_by_distance_to_target() -> None:
    entries = [("2026-10-30", "R", 120), ("2026-11-02", "R", 95)]
    r = run([kpi("R", aggregation="last", direction="range", target=100, tolerance=2)], entries)
    assert r.kpi("R").trend is Trend.IMPROVING


def test_trend_without_previous_or_zero_previous() -> None:
    r = run([kpi("S", target=1)], [("2026-11-02", "S", 5)])
    assert (r.kpi("S").previous, r.kpi("S").trend) == (None, None)
    r = run(
        [kpi("S", aggregation="last", target=1)], [("2026-10-02", "S", 0), ("2026-11-02", "S", 5)]
    )
    assert (r.kpi("S").change, r.kpi("S").trend) == (None, Trend.IMPROVING)


def test_history_oldest_first_with_settings_length() -> None:
    entries = [(D(2026, m, 3), "S", m) for m in range(1, 12)]
    s = run([kpi("S", target=7)], entries, history_periods=4).kpi("S")
    assert [h.label for h in s.history] == ["Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026"]
    assert [h.value for h in s.history] == [8, 9, 10, 11]
    assert [h.target for h in s.history] == [7, 7, 7, 7]
    assert s.history[0].start == D(2026, 8, 1) and s.history[0].end == D(2026, 8, 31)
    assert run([kpi("S")], entries, history_periods=0).kpi("S").history == []
    assert len(run([kpi("S")], entries, history_periods=1).kpi("S").history) == 1


def test_window_previous_is_the_equal_length_window_before_start() -> None:
    k = kpi("W", target=100, start=D(2026, 11, 1), end=D(2026, 11, 10))
    entries = [("2026-10-22", "W", 40), ("2026-10-27", "W", 40), ("2026-11-03", "W", 50)]
    w = run([k], entries, as_of=D(2026, 11, 5), history_periods=2).kpi("W")
    assert w.previous == 40  # 2026-10-22 .. 2026-10-26, same 5 elapsed days
    assert [h.label for h in w.history] == ["2026-10-22 – 2026-10-31", "2026-11-01 – 2026-11-10"]
    assert [h.value for h in w.history] == [80, 50]


def test_rollups_weighted_and_capped() -> None:
    entries = [("2026-11-02", "A", 200), ("2026-11-02", "B", 50), ("2026-11-02", "C", 95)]
    kpis = [
        kpi("A", aggregation="last", target=100, category="X", weight=1),  # s = 2.0 → 1.5
        kpi("B", aggregation="last", target=100, category="X", weight=3),  # s = 0.5
        kpi("C", aggregation="last", target=100, category="Y"),  # s = 0.95
        kpi("D", aggregation="last", target=100, category="Y"),  # no data: not scored
    ]
    r = run(kpis, entries)
    x, y = r.categories
    assert (x.name, x.kpi_count, x.score) == ("X", 2, pytest.approx((1.5 + 1.5) / 4))
    assert x.counts[Status.ON_TRACK] == 1 and x.counts[Status.OFF_TRACK] == 1
    assert (y.score, y.counts[Status.AT_RISK], y.counts[Status.NO_DATA]) == (
        pytest.approx(0.95),
        1,
        1,
    )
    assert r.overall.score == pytest.approx((1.5 + 1.5 + 0.95) / 5)
    assert r.overall.kpi_count == 4 and r.overall.name == "Overall"
    assert sum(r.overall.counts.values()) == 4


def test_uncategorised_default() -> None:
    assert run([kpi("A", category="")]).categories[0].name == "Uncategorised"


def test_freshness_and_staleness() -> None:
    entries = [("2026-10-15", "A", 1), ("2026-10-14", "B", 1), ("2026-12-01", "A", 1)]
    r = run([kpi("A", target=1), kpi("B", target=1), kpi("C", target=1)], entries)
    assert (r.kpi("A").last_entry, r.kpi("A").stale) == (D(2026, 10, 15), False)
    assert (r.kpi("B").last_entry, r.kpi("B").stale) == (D(2026, 10, 14), True)
    assert (r.kpi("C").last_entry, r.kpi("C").stale) == (None, True)


def test_latest_note_is_the_most_recent_non_blank_one() -> None:
    entries = [
        ("2026-11-05", "A", 1, "same day, upper row"),
        ("2026-11-05", "A", 1, "same day, lower row"),
        ("2026-11-06", "A", 1, "   "),
        ("2026-11-07", "A", 1, None),
        ("2026-11-02", "A", 1, "older"),
        ("2026-11-30", "A", 1, "future"),
        ("2026-09-01", "B", 1, "months ago"),
    ]
    r = run([kpi("A", target=1), kpi("B", target=1)], entries)
    assert r.kpi("A").note == "same day, lower row"
    assert r.kpi("B").note == "months ago"


def test_to_dict_has_the_spec_fields() -> None:
    d = run([kpi("S", target=10)], [("2026-11-02", "S", 1)]).to_dict()
    assert set(d) >= {"title", "as_of", "kpis", "categories", "overall", "problems"}
    fields = {
        "id",
        "name",
        "category",
        "owner",
        "unit",
        "direction",
        "aggregation",
        "frequency",
        "period",
        "actual",
        "target",
        "expected",
        "achievement",
        "score",
        "status",
        "forecast",
        "previous",
        "change",
        "trend",
        "last_entry",
        "stale",
        "note",
        "history",
    }
    assert set(d["kpis"][0]) >= fields
    assert d["kpis"][0]["period"]["label"] == "Nov 2026"


def test_missing_target_names_the_target_cell_when_column_letters_are_known() -> None:
    t = tracker([kpi("S"), kpi("T", target=1)], [("2026-11-02", "S", 10)], as_of=AS_OF)
    t.kpi_columns = {"target": "I"}
    (p,) = compute(t).problems
    assert (p.cell, p.kpi) == ("KPIs!I2", "S")


def test_latest_note_skips_several_blank_notes_and_all_blank_gives_none() -> None:
    entries = [
        ("2026-11-01", "A", 1, "first"),
        ("2026-11-03", "A", 1, " "),
        ("2026-11-04", "A", 1, ""),
        ("2026-11-04", "B", 1, "b latest"),
        ("2026-11-02", "C", 1, "  "),
    ]
    r = run([kpi("A", target=1), kpi("B", target=1), kpi("C", target=1)], entries)
    assert [k.note for k in r.kpis] == ["first", "b latest", None]
