"""The Sources sheet's rows: what a valid row becomes, and each problem with its cell."""

from __future__ import annotations

from typing import Any

from kpisheets.model import Aggregation, KpiDefinition, RawTable, column_letter
from kpisheets.sources.sheet import read_sources

HEADERS = ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment", "Filter", "Notes"]
KPIS = {
    "won": KpiDefinition(id="WON", name="Won revenue"),
    "sessions": KpiDefinition(id="SESSIONS", name="Sessions"),
    "conv": KpiDefinition(id="CONV", name="Conversion", aggregation=Aggregation.FORMULA),
}


def table(*rows: list[Any]) -> RawTable:
    return RawTable(
        sheet="Sources",
        headers=HEADERS,
        letters=[column_letter(i) for i in range(len(HEADERS))],
        rows=[list(r) + [None] * (len(HEADERS) - len(r)) for r in rows],
        row_numbers=list(range(2, 2 + len(rows))),
    )


def test_a_valid_row_becomes_a_spec() -> None:
    specs, problems = read_sources(
        table(
            [
                "hubspot-won",
                "won",
                "HubSpot",
                "exports/deals.csv",
                "Close Date",
                "Amount",
                "Pipeline",
                "Deal Stage = Closed Won",
                "ignored",
            ],
            [None] * 9,
            ["ga4", "SESSIONS", "ga4", "ga4/*.csv", "Date", "Sessions"],
        ),
        KPIS,
    )
    assert problems == []
    assert [(s.name, s.kpi, s.kind, s.row) for s in specs] == [
        ("hubspot-won", "WON", "hubspot", 2),
        ("ga4", "SESSIONS", "ga4", 4),
    ]
    assert specs[0].filter is not None and specs[0].filter.columns == ["Deal Stage"]
    assert specs[1].value == "Sessions" and specs[1].segment is None
    assert specs[0].cell("Location") == "Sources!D2"


def test_each_problem_names_its_cell() -> None:
    specs, problems = read_sources(
        table(
            ["a", "WONN", "csv", "a.csv", "date"],
            ["b", "WON", "excel", "b.csv", "date"],
            ["c", "WON", "csv", None, "date"],
            ["d", "WON", "csv", "d.csv", None],
            ["e", "WON", "csv", "e.csv", "date", None, None, "stage = 'won"],
            ["e", "WON", "csv", "e2.csv", "date"],
            [None, "WON", "csv", "f.csv", "date"],
            ["g", "CONV", "csv", "g.csv", "date"],
            ["ok", "won", "csv", "ok.csv", "date"],
        ),
        KPIS,
    )
    assert [(p.code, p.cell) for p in problems] == [
        ("unknown-kpi", "Sources!B2"),
        ("bad-kind", "Sources!C3"),
        ("source-missing", "Sources!D4"),
        ("source-column", "Sources!E5"),
        ("source-filter", "Sources!H6"),
        ("duplicate-source", "Sources!A7"),
        ("duplicate-source", "Sources!A8"),
        ("entry-for-formula-kpi", "Sources!B9"),
    ]
    assert "Did you mean WON?" in problems[0].hint
    assert all(p.severity == "error" for p in problems)
    assert [s.name for s in specs] == ["ok"]


def test_missing_columns_stop_the_sheet() -> None:
    raw = RawTable("Sources", ["Source", "KPI"], ["A", "B"], [["a", "WON"]], [2])
    specs, problems = read_sources(raw, KPIS)
    assert specs == [] and [p.code for p in problems] == ["missing-column"]
    assert "Kind, Location, Date" in problems[0].message
