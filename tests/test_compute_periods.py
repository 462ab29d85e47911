"""Periods (docs/arithmetic.md, "Periods"): weeks with a week start, months, fiscal quarters and
years, Start/End windows, the elapsed fraction and "one period before"."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from kpisheets.calc import compute
from kpisheets.calc.periods import (
    Calendar,
    Window,
    elapsed_fraction,
    one_period_before,
)
from kpisheets.model import Frequency
from tests.builders import kpi, tracker

D = dt.date


def current(freq: Frequency, day: dt.date, **kw: int) -> tuple[dt.date, dt.date, str]:
    c = Calendar(freq, **kw)
    i = c.index_of(day)
    return (*c.bounds(i), c.label(i))


@pytest.mark.parametrize(
    ("week_start", "start"),
    [(0, D(2026, 11, 16)), (6, D(2026, 11, 15)), (2, D(2026, 11, 18)), (4, D(2026, 11, 20))],
)
def test_week_follows_week_start(week_start: int, start: dt.date) -> None:
    got = current(Frequency.WEEK, D(2026, 11, 20), week_start=week_start)  # a Friday
    assert got == (start, start + dt.timedelta(days=6), f"Week of {start.isoformat()}")


def test_month_label_and_bounds() -> None:
    assert current(Frequency.MONTH, D(2026, 2, 14)) == (D(2026, 2, 1), D(2026, 2, 28), "Feb 2026")
    assert current(Frequency.MONTH, D(2028, 2, 29))[1] == D(2028, 2, 29)


def test_calendar_quarter_and_year() -> None:
    assert current(Frequency.QUARTER, D(2026, 11, 20)) == (
        D(2026, 10, 1),
        D(2026, 12, 31),
        "Q4 2026",
    )
    assert current(Frequency.YEAR, D(2026, 11, 20)) == (D(2026, 1, 1), D(2026, 12, 31), "2026")


def test_fiscal_quarter_and_year_named_after_the_year_they_end() -> None:
    april = {"fiscal_year_start": 4}
    assert current(Frequency.QUARTER, D(2026, 11, 20), **april) == (
        D(2026, 10, 1),
        D(2026, 12, 31),
        "Q3 FY2027",
    )
    assert current(Frequency.QUARTER, D(2027, 2, 1), **april)[2] == "Q4 FY2027"
    assert current(Frequency.QUARTER, D(2027, 4, 1), **april)[2] == "Q1 FY2028"
    assert current(Frequency.YEAR, D(2026, 11, 20), **april) == (
        D(2026, 4, 1),
        D(2027, 3, 31),
        "FY2027",
    )
    # A fiscal year starting in November: Nov 2026 – Oct 2027 is FY2027, Q1 = Nov–Jan.
    nov = {"fiscal_year_start": 11}
    assert current(Frequency.QUARTER, D(2027, 1, 31), **nov) == (
        D(2026, 11, 1),
        D(2027, 1, 31),
        "Q1 FY2027",
    )


def test_index_is_vectorised_and_agrees_with_index_of() -> None:
    days = np.arange(19000, 21000)
    for freq in Frequency:
        for ws, fy in ((0, 1), (6, 7)):
            c = Calendar(freq, ws, fy)
            idx = c.index(days)
            for d, i in zip(days[::37], idx[::37], strict=True):
                date = D(1970, 1, 1) + dt.timedelta(days=int(d))
                start, end = c.bounds(int(i))
                assert start <= date <= end
                assert c.index_of(date) == i


def test_window_periods_go_back_in_equal_lengths() -> None:
    w = Window(D(2026, 1, 1), D(2026, 1, 10))
    assert w.bounds(0) == (D(2026, 1, 1), D(2026, 1, 10))
    assert w.bounds(-1) == (D(2025, 12, 22), D(2025, 12, 31))
    assert w.index_of(D(2025, 12, 22)) == -1
    assert w.label(0) == "2026-01-01 – 2026-01-10"


def test_elapsed_fraction_counts_both_days_and_is_clamped() -> None:
    nov = (D(2026, 11, 1), D(2026, 11, 30))
    assert elapsed_fraction(*nov, D(2026, 11, 1)) == pytest.approx(1 / 30)
    assert elapsed_fraction(*nov, D(2026, 11, 30)) == 1
    assert elapsed_fraction(*nov, D(2026, 12, 5)) == 1
    assert elapsed_fraction(*nov, D(2026, 10, 5)) == 0


def test_one_period_before_clamps_month_ends() -> None:
    assert one_period_before(Calendar(Frequency.MONTH), D(2026, 3, 31)) == D(2026, 2, 28)
    assert one_period_before(Calendar(Frequency.QUARTER), D(2026, 5, 31)) == D(2026, 2, 28)
    assert one_period_before(Calendar(Frequency.YEAR), D(2028, 2, 29)) == D(2027, 2, 28)
    assert one_period_before(Calendar(Frequency.WEEK), D(2026, 11, 20)) == D(2026, 11, 13)
    assert one_period_before(Window(D(2026, 1, 1), D(2026, 1, 10)), D(2026, 1, 15)) == D(2026, 1, 5)


def test_compute_uses_settings_period_week_start_and_fiscal_year() -> None:
    t = tracker(
        [
            kpi("A", target=1),
            kpi("B", target=1, frequency="quarter"),
            kpi("C", target=1, frequency="week"),
        ],
        as_of=D(2026, 11, 20),
        period=Frequency.YEAR,
        fiscal_year_start=7,
        week_start=6,
    )
    r = compute(t)
    assert r.kpi("A").period.label == "FY2027"
    assert r.kpi("A").frequency is Frequency.YEAR
    assert r.kpi("B").period.label == "Q2 FY2027"
    assert r.kpi("C").period.start == D(2026, 11, 15)


def test_start_end_window_replaces_the_calendar_period() -> None:
    k = kpi("W", target=100, start=D(2026, 10, 1), end=D(2027, 3, 31), frequency="month")
    r = compute(
        tracker([k], [("2026-09-30", "W", 5), ("2026-10-01", "W", 7)], as_of=D(2026, 11, 20))
    )
    w = r.kpi("W")
    assert (w.period.start, w.period.end) == (D(2026, 10, 1), D(2027, 3, 31))
    assert w.period.elapsed == pytest.approx(51 / 182)
    assert w.actual == 7


def test_as_of_defaults_to_settings_then_today() -> None:
    assert compute(tracker([kpi("A")], as_of=D(2026, 5, 5))).as_of == D(2026, 5, 5)
    assert compute(tracker([kpi("A")])).as_of == dt.date.today()
    assert compute(tracker([kpi("A")], as_of=D(2026, 5, 5)), D(2026, 6, 1)).as_of == D(2026, 6, 1)


@pytest.mark.parametrize("as_of", [D(1, 1, 3), D(9999, 12, 30)])
def test_as_of_at_the_edges_of_the_calendar_does_not_crash(as_of: dt.date) -> None:
    kpis = [kpi(f"K{f}", frequency=f, target=1) for f in ("week", "month", "quarter", "year")]
    r = compute(tracker(kpis, [("2026-11-02", "Kweek", 1.0)], as_of=as_of))
    assert all(len(k.history) == 12 for k in r.kpis)
    assert r.kpi("Kweek").actual is None


@pytest.mark.parametrize("as_of", [D(1, 1, 1), D(1, 1, 3), D(1, 1, 8), D(9999, 12, 31)])
@pytest.mark.parametrize(("week_start", "fiscal_year_start"), [(0, 1), (6, 4), (3, 12)])
def test_entries_and_targets_on_the_first_and_last_days_of_the_calendar(
    as_of: dt.date, week_start: int, fiscal_year_start: int
) -> None:
    # Year 1's first week begins before 0001-01-01 and "one period before" it does not
    # exist; 9999-12-31 is the last date Excel holds (past pandas' nanosecond bound).
    freqs = ("week", "month", "quarter", "year")
    kpis = [kpi(f"K{f}", frequency=f, target=1) for f in freqs] + [
        kpi("ALL", target=1, start=D(1, 1, 1), end=D(9999, 12, 31)),
        kpi("DAY", target=1, start=as_of, end=as_of),
    ]
    ids = [k.id for k in kpis]
    r = compute(
        tracker(
            kpis,
            [(as_of, i, 2.0) for i in ids],
            [("Kweek", D(9999, 12, 31), 5.0)] + [(i, as_of, 4.0) for i in ids],
            as_of=as_of,
            week_start=week_start,
            fiscal_year_start=fiscal_year_start,
        )
    )
    for k in r.kpis:
        assert (k.actual, k.target, k.last_entry, k.stale) == (2, 4, as_of, False), k.id
        assert len(k.history) == 12 and k.history[-1].value == 2
    r.to_dict()


def test_window_not_started_and_window_over() -> None:
    ahead = kpi("A", target=100, start=D(2027, 1, 1), end=D(2027, 3, 31))
    over = kpi("O", target=100, start=D(2026, 1, 1), end=D(2026, 6, 30))
    entries = [("2026-11-02", "A", 5), ("2026-06-30", "O", 60), ("2026-07-01", "O", 1000)]
    r = compute(tracker([ahead, over], entries, as_of=D(2026, 11, 20)))
    a, o = r.kpi("A"), r.kpi("O")
    assert (a.period.elapsed, a.actual, a.forecast, a.expected) == (0, None, None, 0)
    assert (o.period.elapsed, o.actual, o.expected, o.score) == (1, 60, 100, 0.6)
    assert o.forecast == 60  # the window is over: the run rate is the final value
