"""The Sources sheet as validation reads it from a workbook: what a valid row becomes,
each problem at its cell, and Settings › Database."""

from __future__ import annotations

from pathlib import Path

from kpisheets.read import read_workbook
from kpisheets.validate import validate
from tests.builders import KPI_HEADER, simple_tracker_sheets, write_workbook

HEADERS = ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment", "Filter", "Notes"]


def tracker_with_sources(tmp_path: Path, *rows: list[object], settings: list[list[object]] = ()):  # type: ignore[no-untyped-def]
    sheets = simple_tracker_sheets()
    sheets["KPIs"].append(
        ["CONV", "Conversion", "Revenue", "Ana", "%", "Higher", "Formula", "Month", 0.1]
    )
    assert KPI_HEADER[6] == "Aggregation"
    sheets["Sources"] = [HEADERS, *[list(r) for r in rows]]
    sheets["Settings"] += [list(r) for r in settings]
    return validate(read_workbook(write_workbook(tmp_path / "t.xlsx", sheets, as_tables=True)))


def test_a_valid_row_becomes_a_spec(tmp_path: Path) -> None:
    tracker = tracker_with_sources(
        tmp_path,
        [
            "hubspot-won",
            "sales",
            "HubSpot",
            "exports/deals.csv",
            "Close Date",
            "Amount",
            "Pipeline",
            "Deal Stage = Closed Won",
            "ignored",
        ],  # fmt: skip
        [None] * 9,
        ["nps-survey", "NPS", "csv", "nps/*.csv", "Date", "Score"],
        settings=[["Database", "KPI_DATABASE_URL"]],
    )
    assert [p for p in tracker.problems if p.sheet == "Sources"] == []
    specs = tracker.sources
    assert [(s.name, s.kpi, s.kind, s.row) for s in specs] == [
        ("hubspot-won", "SALES", "hubspot", 2),
        ("nps-survey", "NPS", "csv", 4),
    ]
    assert specs[0].filter is not None and specs[0].filter.columns == ["Deal Stage"]
    assert specs[1].value == "Score" and specs[1].segment is None
    assert specs[0].cell("Location") == "Sources!D2"
    assert tracker.source_names == ["hubspot-won", "nps-survey"]
    assert tracker.settings.database == "KPI_DATABASE_URL"


def test_each_problem_names_its_cell(tmp_path: Path) -> None:
    tracker = tracker_with_sources(
        tmp_path,
        ["a", "SALEZ", "csv", "a.csv", "date"],
        ["b", "SALES", "excel", "b.csv", "date"],
        ["c", "SALES", "csv", None, "date"],
        ["d", "SALES", "csv", "d.csv", None],
        ["e", "SALES", "csv", "e.csv", "date", None, None, "stage = 'won"],
        ["e", "SALES", "csv", "e2.csv", "date"],
        [None, "SALES", "csv", "f.csv", "date"],
        ["g", "CONV", "csv", "g.csv", "date"],
        ["ok", "sales", "csv", "ok.csv", "date"],
    )
    problems = [p for p in tracker.problems if p.sheet == "Sources"]
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
    assert "Did you mean SALES?" in problems[0].hint
    assert all(p.severity == "error" for p in problems)
    assert [s.name for s in tracker.sources] == ["ok"]
    assert tracker.source_names == ["a", "b", "c", "d", "e", "e", "g", "ok"]


def test_a_url_in_settings_database_is_refused_without_repeating_it(tmp_path: Path) -> None:
    secret = "postgresql://kpi:Hunter2Secret@db.example.com/sales"
    tracker = tracker_with_sources(tmp_path, settings=[["Database", secret]])
    (problem,) = [p for p in tracker.problems if p.code == "bad-database"]
    assert problem.cell == "Settings!B4" and problem.severity == "warning"
    assert "Hunter2Secret" not in problem.message + problem.hint
    assert "db.example.com" not in problem.message + problem.hint
    assert tracker.settings.database is None


def test_missing_columns(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    sheets["Sources"] = [["Source", "KPI"], ["a", "SALES"]]
    tracker = validate(read_workbook(write_workbook(tmp_path / "t.xlsx", sheets)))
    missing = [p for p in tracker.problems if p.sheet == "Sources"]
    assert [p.code for p in missing] == ["missing-column"] * 3
    assert tracker.sources == []
