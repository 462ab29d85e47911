"""The shared reader of rows on sheets kpisheets owns (Imported, Snapshots): from a file
and from a live workbook (the xlwings test engine), only from marked sheets."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import xlsxwriter

from kpisheets.read.owned import owned_table, table_from_rows
from kpisheets.report_model import Report
from kpisheets.sources.imported import (
    IMPORTED_COLUMNS,
    ImportedRow,
    imported_sheet,
    replace_source,
    rows_from_table,
)
from kpisheets.write.package import splice
from kpisheets.write.xlsx import render_to_bytes

STAMP = dt.datetime(2026, 11, 28, 9, 30)


def sample_rows() -> list[ImportedRow]:
    return [
        ImportedRow(dt.date(2026, 11, d), "WON", 100.0 * d + 0.25, seg, "hubspot", STAMP)
        for d in (1, 2, 3)
        for seg in ("", "Renewals", '=HYPERLINK("x")')
    ] + [ImportedRow(dt.date(2026, 11, 4), "SESSIONS", 5e-7, "Mobile", "ga4", STAMP)]


def user_workbook(path: Path, sheet: str = "Data") -> Path:
    book = xlsxwriter.Workbook(path)
    book.add_worksheet(sheet).write_string(0, 0, "Date")
    book.close()
    return path


def test_rows_round_trip_through_the_file(tmp_path: Path) -> None:
    path = user_workbook(tmp_path / "t.xlsx")
    rows = sample_rows()
    scratch = render_to_bytes(Report(sheets=[imported_sheet(rows)]))
    splice(path, scratch, generated=True)
    table = owned_table(path, "imported", "Date")
    assert table is not None
    assert table.headers == list(IMPORTED_COLUMNS)
    assert table.row_numbers[0] == table.header_row + 1 == 4
    back = rows_from_table(table)
    assert [r.row for r in back] == list(range(4, 4 + len(rows)))  # Excel rows, in order
    plain = [replace(r, row=None) for r in back]
    assert sorted(plain, key=repr) == sorted(rows, key=repr)  # text stays text, floats exact


def test_a_users_own_sheet_of_that_name_is_not_read(tmp_path: Path) -> None:
    path = user_workbook(tmp_path / "t.xlsx", sheet="Imported")
    assert owned_table(path, "Imported", "Date") is None


def test_replace_source_touches_only_that_source() -> None:
    rows = sample_rows()
    new = [ImportedRow(dt.date(2026, 12, 1), "WON", 1.0, "", "HubSpot", STAMP)]
    merged = replace_source(rows, "HUBSPOT", new)
    assert [r for r in merged if r.source == "ga4"] == [r for r in rows if r.source == "ga4"]
    assert [r for r in merged if r.source.lower() == "hubspot"] == new


def test_header_found_below_a_banner_and_trailing_blanks_dropped() -> None:
    rows = [
        ["Generated…", None],
        [None, None],
        ["Date", "KPI", None],
        [dt.date(2026, 1, 1), "A"],
        [None, None, None],
    ]
    table = table_from_rows("Imported", rows, 3, 2, "date")
    assert table is not None
    assert table.headers == ["Date", "KPI"] and table.letters == ["B", "C"]
    assert table.row_numbers == [6] and table.rows == [[dt.date(2026, 1, 1), "A"]]
    assert table_from_rows("Imported", rows, 1, 1, "Snapshot") is None


def test_imported_rows_for_a_kpi_gone_are_warned_and_counted_as_left_out() -> None:
    from kpisheets.sources.imported import attach_imported, ordered
    from tests.builders import kpi, tracker

    t = tracker([kpi("WON", target=10)], entries=[(dt.date(2026, 11, 2), "WON", 1.0)])
    rows = ordered(sample_rows())  # WON and SESSIONS; SESSIONS is not a KPI here
    problems = attach_imported(t, rows)
    assert [(p.code, p.severity, p.cell, p.kpi) for p in problems] == [
        ("unknown-kpi", "warning", "Imported!B4", "SESSIONS")
    ]
    assert t.left_out["unknown-kpi"] == 1
    columns = t.entry_columns()
    assert len(columns["kpi"]) == 1 + 9  # the typed entry and WON's imported rows
    assert columns["source"][0] is None and set(columns["source"][1:]) == {"hubspot"}
    assert (columns["row"][1:] > 2_000_000).all()
