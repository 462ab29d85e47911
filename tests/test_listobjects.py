"""Excel Tables located from the package's table parts agree with python-calamine's
own table reader, so the reader can skip ``get_table_by_name`` (which parses the
Table's whole sheet) and parse each sheet once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from kpisheets.read import read_workbook
from kpisheets.read.listobjects import list_objects
from kpisheets.read.package import open_package
from tests.builders import simple_tracker_sheets, write_workbook


def book_with_tables(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    plain = book.add_worksheet("My entries")
    plain.write_row(2, 1, ["Date", "KPI", "Value"])
    plain.write_row(3, 1, ["2026-11-02", "S", 5])
    plain.add_table(2, 1, 4, 3, {"name": "Log", "columns": [{"header": "Date"},
                    {"header": "KPI"}, {"header": "Value", "total_function": "sum"}],
                    "total_row": True})  # fmt: skip
    other = book.add_worksheet("Other")
    other.add_table("A1:B3", {"name": "Other_table"})
    other.add_table("D5:E9", {"name": "Second", "header_row": True})
    book.close()
    return path


def test_table_parts_say_what_python_calamine_says(tmp_path: Path) -> None:
    path = book_with_tables(tmp_path / "t.xlsx")
    listed = list_objects(path, open_package(path).sheet_parts)
    assert listed is not None
    book = CalamineWorkbook.from_path(str(path), load_tables=True)
    assert sorted(t.name for t in listed) == sorted(book.table_names)
    for table in listed:
        theirs = book.get_table_by_name(table.name)
        assert (table.sheet, table.start, table.end) == (theirs.sheet, theirs.start, theirs.end)
        assert table.columns == [str(c) for c in theirs.columns]
    log = next(t for t in listed if t.name == "Log")
    assert log.start == (3, 1) and log.end == (3, 3)  # the totals row is left out


def test_a_tracker_of_tables_reads_the_same_rows_as_plain_ranges(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    tables = read_workbook(write_workbook(tmp_path / "t.xlsx", sheets, as_tables=True))
    ranges = read_workbook(write_workbook(tmp_path / "r.xlsx", sheets))
    for name in ("KPIs", "Entries", "Targets", "Settings"):
        assert tables.tables[name].table_name == name
        assert tables.tables[name].rows == ranges.tables[name].rows
        assert tables.tables[name].row_numbers == ranges.tables[name].row_numbers
    assert tables.tables["Entries"].rows[0][0] == dt.date(2026, 11, 2)
