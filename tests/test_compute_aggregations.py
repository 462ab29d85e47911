"""Period values (docs/arithmetic.md, "Period value A"): the eight aggregations, entries after the
as-of date, entries outside the period, inactive and invalid KPIs."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import pytest

from kpisheets.calc import compute, nps
from kpisheets.model import Status
from kpisheets.result import Result
from tests.builders import kpi, tracker

D = dt.date
AS_OF = D(2026, 11, 20)


def run(kpis: list[Any], entries: list[tuple[Any, ...]], **kw: Any) -> Result:
    kw.setdefault("as_of", AS_OF)
    return compute(tracker(kpis, entries, **kw))


NOV = [("2026-11-02", "X", 4.0), ("2026-11-10", "X", 10.0), ("2026-11-05", "X", 1.0)]
OCT = [("2026-10-31", "X", 1000.0)]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("sum", 15.0), ("average", 5.0), ("min", 1.0), ("max", 10.0), ("count", 3.0), ("last", 10.0)],
)
def test_aggregations_over_the_current_period_only(aggregation: str, expected: float) -> None:
    r = run([kpi("X", aggregation=aggregation, target=1)], NOV + OCT)
    assert r.kpi("X").actual == expected


def test_last_takes_the_latest_date_not_the_lowest_row() -> None:
    entries = [("2026-11-12", "X", 7.0), ("2026-11-03", "X", 99.0)]
    assert run([kpi("X", aggregation="last", target=1)], entries).kpi("X").actual == 7.0


def test_last_on_the_same_date_the_lower_row_wins() -> None:
    entries = [("2026-11-12", "X", 7.0), ("2026-11-12", "X", 8.0), ("2026-11-01", "X", 1.0)]
    assert run([kpi("X", aggregation="last", target=1)], entries).kpi("X").actual == 8.0


def test_count_counts_rows_including_blank_values() -> None:
    entries = [("2026-11-02", "X", None), ("2026-11-03", "X", None), ("2026-11-04", "X", 5.0)]
    assert run([kpi("X", aggregation="count", target=1)], entries).kpi("X").actual == 3


def test_nps_is_promoters_minus_detractors_share() -> None:
    scores = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]  # 5 promoters, 3 detractors of 10
    entries = [(D(2026, 11, 1 + i), "X", s) for i, s in enumerate(scores)]
    got = run([kpi("X", aggregation="nps", target=40)], entries).kpi("X").actual
    assert got == pytest.approx(20.0)
    assert nps(scores) == pytest.approx(20.0)
    assert nps([]) is None
    assert nps([None, float("nan")]) is None
    assert nps([8, 7]) == 0
    assert nps([10]) == 100 and nps([0]) == -100


def test_no_entries_gives_blank_actual_and_no_data() -> None:
    r = run([kpi("X", target=10)], OCT)
    assert r.kpi("X").actual is None
    assert r.kpi("X").status is Status.NO_DATA
    assert r.kpi("X").score is None


def test_entries_after_as_of_are_ignored_with_one_warning_per_row() -> None:
    entries = [("2026-11-02", "X", 4.0), ("2026-11-21", "X", 50.0), ("2027-01-01", "Y", 1.0)]
    r = run([kpi("X", target=10), kpi("Y", target=1)], entries)
    assert r.kpi("X").actual == 4.0
    future = [p for p in r.problems if p.code == "future-date"]
    assert [(p.cell, p.row, p.kpi, p.severity, p.column) for p in future] == [
        ("Entries!A3", 3, "X", "warning", "Date"),
        ("Entries!A4", 4, "Y", "warning", "Date"),
    ]
    assert "2026-11-21" in future[0].message and "2026-11-20" in future[0].message


def test_future_date_cell_uses_where_entries_live() -> None:
    t = tracker([kpi("X", target=1)], [("2026-12-02", "X", 1.0)], as_of=AS_OF)
    t.entries_sheet, t.entries_date_column = "My Entries", "C"
    assert compute(t).problems[0].cell == "'My Entries'!C2"


def test_entries_on_the_as_of_date_count() -> None:
    assert run([kpi("X", target=1)], [("2026-11-20", "X", 3.0)]).kpi("X").actual == 3.0


def test_kpi_ids_match_case_insensitively() -> None:
    assert run([kpi("Sales", target=1)], [("2026-11-02", "SALES", 3.0)]).kpi("sales").actual == 3


def test_inactive_kpis_are_left_out_of_results_and_rollups() -> None:
    r = run([kpi("A", target=1), kpi("B", target=1, active=False)], [("2026-11-02", "B", 1.0)])
    assert [k.id for k in r.kpis] == ["A"]
    assert r.overall.kpi_count == 1


def test_inactive_kpis_still_feed_formulas_and_get_future_date_warnings() -> None:
    kpis = [kpi("B", active=False), kpi("F", aggregation="formula", formula="B * 2", target=1)]
    r = run(kpis, [("2026-11-02", "B", 3.0), ("2026-12-02", "B", 3.0)])
    assert r.kpi("F").actual == 6
    assert [p.code for p in r.problems] == ["future-date"]


def test_invalid_kpis_appear_with_no_data_and_no_figures() -> None:
    r = run([kpi("A", target=10, valid=False)], [("2026-11-02", "A", 30.0)])
    a = r.kpi("A")
    assert a.status is Status.NO_DATA
    assert (a.actual, a.target, a.score, a.history) == (None, None, None, [])
    assert r.overall.counts[Status.NO_DATA] == 1
    assert not [p for p in r.problems if p.code == "missing-target"]


def test_result_carries_tracker_fields_and_its_problems_first() -> None:
    from kpisheets.model import Problem

    t = tracker([kpi("A")], [("2026-12-01", "A", 1.0)], as_of=AS_OF, title="Team")
    t.problems.append(Problem("bad-number", "error", "m", "h"))
    t.path, t.entry_count, t.entries_header_row = "x.xlsx", 7, 3
    r = compute(t)
    assert [p.code for p in r.problems] == ["bad-number", "future-date", "missing-target"]
    assert (r.source, r.entry_count, r.entries_header_row, r.title) == ("x.xlsx", 7, 3, "Team")


def test_number_format_follows_unit_and_format() -> None:
    r = run([kpi("A", unit="$"), kpi("B", unit="%", number_format="0%"), kpi("C", unit="%")], [])
    assert [k.number_format for k in r.kpis] == ['"$"#,##0', "0%", "0.0%"]


def test_empty_tracker() -> None:
    r = run([], [])
    assert r.kpis == [] and r.overall.score is None and r.categories == []


def test_offsets_without_the_lookup_table_give_the_same_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kpisheets.calc import engine

    kpis = [
        kpi("S", target=10, frequency="week"),
        kpi("Q", aggregation="max", target=10, frequency="quarter"),
        kpi("W", target=10, start=D(2026, 10, 3), end=D(2026, 12, 1)),
        kpi("F", aggregation="formula", formula="S + Q", frequency="year", target=1),
    ]
    entries = [
        (D(2026, 11, 20) - dt.timedelta(days=d), k, d) for d in range(0, 900, 7) for k in "SQW"
    ]
    with_table = run(kpis, entries).to_dict()
    monkeypatch.setattr(engine, "TABLE_LIMIT", 0)
    assert run(kpis, entries).to_dict() == with_table


def test_a_window_ending_in_9999_does_not_overflow() -> None:
    k = kpi("W", target=10, start=D(2020, 1, 1), end=D(9999, 12, 31))
    r = run([k], [("2026-11-02", "W", 3.0)])
    assert r.kpi("W").actual == 3.0
    assert r.kpi("W").history[0].start == dt.date.min


def test_library_api_kpisheets_compute_stays_callable_after_importing_the_subpackage() -> None:
    import kpisheets
    import kpisheets.calc

    t = tracker([kpi("S", target=10)], [("2026-11-02", "S", 4.0)])
    assert kpisheets.compute(t, "2026-11-15").kpi("S").actual == 4.0
    package = sys.modules["kpisheets.calc"]
    assert package.compute(t, D(2026, 11, 15)).as_of == D(2026, 11, 15)
