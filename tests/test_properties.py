"""Hypothesis properties of the arithmetic (docs/arithmetic.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpisheets.calc import achievement, compute, nps, score_status
from kpisheets.calc.periods import Calendar
from kpisheets.model import Frequency, Status, column_index, column_letter
from tests.builders import kpi, tracker

FAST = settings(max_examples=40, deadline=None)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
nonzero = finite.filter(lambda r: abs(r) > 1e-3)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@FAST
@given(x=finite, r=nonzero)
def test_swapping_direction_mirrors_achievement_around_1(x: float, r: float) -> None:
    higher = achievement(x, r, "higher")
    lower = achievement(x, r, "lower")
    assert higher is not None and lower is not None
    assert higher + lower == pytest.approx(2, rel=1e-9, abs=1e-9)


@FAST
@given(x=finite, r=nonzero, b=finite)
def test_with_a_baseline_both_directions_agree(x: float, r: float, b: float) -> None:
    if abs(r - b) < 1e-3:
        return
    assert achievement(x, r, "higher", b) == achievement(x, r, "lower", b)


@FAST
@given(x=finite, r=nonzero)
def test_meeting_the_reference_is_exactly_100_percent(x: float, r: float) -> None:
    assert achievement(r, r, "higher") == 1 and achievement(r, r, "lower") == 1
    assert score_status(achievement(r, r, "higher")) is Status.ON_TRACK


@FAST
@given(
    values=st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=1, max_size=8),
    target=st.floats(min_value=1, max_value=1e6, allow_nan=False),
    aggregation=st.sampled_from(["sum", "count", "average", "last", "max"]),
    direction=st.sampled_from(["higher", "lower"]),
    freq=st.sampled_from(["week", "month", "quarter", "year"]),
)
def test_at_f_1_score_equals_percent_of_target(
    values: list[float], target: float, aggregation: str, direction: str, freq: str
) -> None:
    calendar = Calendar(Frequency(freq))
    as_of = calendar.bounds(calendar.index_of(dt.date(2026, 12, 20)))[1]  # the period's last day
    entries = [(as_of - dt.timedelta(days=i % 7), "K", v) for i, v in enumerate(values)]
    k = kpi("K", aggregation=aggregation, direction=direction, frequency=freq, target=target)
    r = compute(tracker([k], entries, as_of=as_of)).kpi("K")
    assert r.period.elapsed == 1
    assert r.score == pytest.approx(r.achievement)
    assert r.expected == pytest.approx(target)


@FAST
@given(
    day=dates,
    span=st.integers(min_value=1, max_value=120),
    values=st.lists(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=30),
)
def test_sum_of_a_period_is_the_sum_of_its_tiling_weeks(
    day: dt.date, span: int, values: list[int]
) -> None:
    # A window of whole weeks starting on a Monday is tiled by its calendar weeks.
    start = day - dt.timedelta(days=day.weekday())
    weeks = max(1, span // 7)
    end = start + dt.timedelta(days=7 * weeks - 1)
    entries = [
        (start + dt.timedelta(days=(i * 37) % (7 * weeks)), "S", v) for i, v in enumerate(values)
    ]
    k = kpi("S", start=start, end=end, target=1)
    w = kpi("S", frequency="week", target=1)
    whole = compute(tracker([k], entries, as_of=end)).kpi("S").actual
    weekly = compute(tracker([w], entries, as_of=end, history_periods=weeks)).kpi("S").history
    assert [h.start for h in weekly][0] == start
    assert whole == sum(h.value or 0 for h in weekly)


@FAST
@given(
    values=st.lists(st.integers(min_value=-100, max_value=100), min_size=1, max_size=40),
    as_of=dates,
)
def test_month_sum_equals_sum_of_entries_in_it(values: list[int], as_of: dt.date) -> None:
    entries = [(as_of - dt.timedelta(days=(i * 13) % 70), "S", v) for i, v in enumerate(values)]
    r = compute(tracker([kpi("S", target=1)], entries, as_of=as_of)).kpi("S")
    inside = [v for d, _, v in entries if d.year == as_of.year and d.month == as_of.month]
    assert r.actual == (sum(inside) if inside else None)


@FAST
@given(st.lists(st.integers(min_value=0, max_value=10), max_size=50))
def test_nps_stays_within_bounds(scores: list[int]) -> None:
    got = nps(scores)
    if not scores:
        assert got is None
    else:
        assert got is not None and -100 <= got <= 100


@FAST
@given(
    day=dates, freq=st.sampled_from(list(Frequency)), ws=st.integers(0, 6), fy=st.integers(1, 12)
)
def test_periods_tile_the_calendar(day: dt.date, freq: Frequency, ws: int, fy: int) -> None:
    c = Calendar(freq, ws, fy)
    i = c.index_of(day)
    start, end = c.bounds(i)
    assert start <= day <= end
    assert c.bounds(i + 1)[0] == end + dt.timedelta(days=1)
    assert c.index_of(start) == c.index_of(end) == i


@FAST
@given(
    scores=st.lists(
        st.tuples(st.floats(-1, 3, allow_nan=False), st.floats(0.1, 5, allow_nan=False)),
        min_size=1,
        max_size=6,
    )
)
def test_rollup_score_is_a_capped_weighted_mean(scores: list[tuple[float, float]]) -> None:
    kpis = [
        kpi(f"K{i}", aggregation="last", target=100, weight=w) for i, (_, w) in enumerate(scores)
    ]
    entries = [(dt.date(2026, 11, 2), f"K{i}", 100 * s) for i, (s, _) in enumerate(scores)]
    r = compute(tracker(kpis, entries, as_of=dt.date(2026, 11, 5)))
    expected = sum(w * min(s, 1.5) for s, w in scores) / sum(w for _, w in scores)
    assert r.overall.score == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert r.overall.score is not None and r.overall.score <= 1.5 + 1e-12


@FAST
@given(x1=finite, x2=finite, r=nonzero, direction=st.sampled_from(["higher", "lower"]))
def test_achievement_moves_with_the_direction(
    x1: float, x2: float, r: float, direction: str
) -> None:
    lo, hi = sorted((x1, x2))
    a_lo, a_hi = achievement(lo, r, direction), achievement(hi, r, direction)
    assert a_lo is not None and a_hi is not None
    if direction == "higher":
        assert a_lo <= a_hi
    else:
        assert a_lo >= a_hi


ENTRY = st.tuples(
    st.dates(min_value=dt.date(2025, 6, 1), max_value=dt.date(2026, 12, 31)),
    st.sampled_from(["S", "L", "N", "M"]),
    st.integers(min_value=0, max_value=10),
    st.sampled_from([None, "", "note a", "note b"]),
)


@settings(max_examples=25, deadline=None)
@given(entries=st.lists(ENTRY, max_size=40), seed=st.randoms(use_true_random=False))
def test_figures_do_not_depend_on_the_order_rows_are_stored_in(
    entries: list[tuple[dt.date, str, int, str | None]], seed: object
) -> None:
    kpis = [
        kpi("S", target=50, frequency="week"),
        kpi("L", aggregation="last", target=5),
        kpi("N", aggregation="nps", target=10, frequency="quarter"),
        kpi(
            "M", aggregation="min", target=3, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)
        ),
        kpi("F", aggregation="formula", formula="S / (L + 1)", target=1),
    ]
    t = tracker(kpis, entries, as_of=dt.date(2026, 11, 20))
    expected = compute(t).to_dict()
    t.entries = t.entries.sample(frac=1, random_state=seed.randint(0, 10**6))  # type: ignore[attr-defined]
    assert compute(t).to_dict() == expected


@given(st.integers(min_value=0, max_value=16383))
def test_column_letters_and_indexes_round_trip(index: int) -> None:
    assert column_index(column_letter(index)) == index
    assert column_index(column_letter(index).lower()) == index
