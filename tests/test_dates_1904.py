"""Workbooks in the 1904 date system (old Mac workbooks, some Excel for Mac files):
every date kpisheets writes into them is in their system, read back as the same day.

A date is stored as a serial number of days; 0 is 1900-01-00 in the default system
and 1904-01-01 in the other, 1,462 days apart. Written in the wrong system, every
as-of date, entry date and period would show four years and a day late.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter

import kpisheets
from kpisheets.errors import KpisheetsError
from kpisheets.init import init_workbook, input_sheets_package
from kpisheets.model import Status
from kpisheets.refresh import refresh_workbook
from kpisheets.write.package import splice
from tests.conftest import CORPUS, requires_corpus

AS_OF = dt.date(2026, 11, 20)
EPOCH_1904 = dt.date(1904, 1, 1)
LAST_YEAR, PERIOD_END = dt.date(2025, 1, 1), dt.date(2026, 12, 31)


def mac_workbook(path: Path) -> Path:
    """A user's workbook that counts dates from 1904, with a date of its own."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": True})
    sheet = book.add_worksheet("Budget")
    sheet.write_datetime(
        "A1", dt.datetime(2026, 1, 15), book.add_format({"num_format": "d mmm yyyy"})
    )
    book.close()
    return path


def serials(path: Path, sheet_part_hint: str, cell: str) -> float:
    """The raw serial number stored in ``cell`` of the sheet whose part name ends with
    ``sheet_part_hint``."""
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(sheet_part_hint))
        xml = z.read(name).decode()
    m = re.search(rf'<c r="{cell}"[^>]*>(?:<f>[^<]*</f>)?<v>([^<]*)</v>', xml)
    assert m, f"{cell} has no value in {name}"
    return float(m.group(1))


def test_init_writes_example_dates_in_the_workbooks_own_system(tmp_path: Path) -> None:
    path = mac_workbook(tmp_path / "mac.xlsx")
    init_workbook(path, template="sales", reference=AS_OF)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    entries = book.get_sheet_by_name("Entries").to_python()
    dates = [r[0] for r in entries[1:] if isinstance(r[0], dt.date)]
    assert dates, "the sales template has example entries"
    # The examples are this month and the previous month or quarter, never later.
    assert all(dt.date(2026, 6, 1) <= d <= AS_OF for d in dates), dates
    # The user's own date is untouched and still reads as the same day.
    assert book.get_sheet_by_name("Budget").to_python()[0][0] == dt.date(2026, 1, 15)
    result = kpisheets.status(path, AS_OF)
    assert not [p for p in result.problems if p.code == "future-date"]
    assert sum(result.overall.counts.get(s, 0) for s in Status if s != Status.NO_DATA) > 0


def test_refresh_writes_the_as_of_date_in_the_workbooks_own_system(tmp_path: Path) -> None:
    path = mac_workbook(tmp_path / "mac.xlsx")
    init_workbook(path, template="sales", reference=AS_OF)
    result = refresh_workbook(path, as_of=AS_OF)
    summary = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Summary")
    cells = [v for row in summary.to_python()[:6] for v in row]
    assert AS_OF in cells or dt.datetime.combine(AS_OF, dt.time()) in cells, cells
    # Every date shown is the as-of date, an entry's or a period's: none four years late.
    shown = {v if not isinstance(v, dt.datetime) else v.date() for v in _all_values(path)}
    dates = {v for v in shown if isinstance(v, dt.date)}
    assert dates and all(LAST_YEAR <= d <= PERIOD_END for d in dates), sorted(dates)
    last_entries = {k.last_entry for k in result.kpis if k.last_entry}
    assert last_entries <= dates


def _all_values(path: Path) -> list[object]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    out: list[object] = []
    for name in ("Summary", "History", "Problems"):
        out += [v for row in book.get_sheet_by_name(name).to_python() for v in row]
    return out


def test_the_serial_numbers_themselves_count_from_1904(tmp_path: Path) -> None:
    """Independent of any reader: the number stored for the as-of date is the number
    of days since 1904-01-01."""
    path = mac_workbook(tmp_path / "mac.xlsx")
    init_workbook(path, template="blank", reference=AS_OF)
    refresh_workbook(path, as_of=AS_OF)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Summary").to_python()
    where = next(
        (r, c)
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if v in (AS_OF, dt.datetime.combine(AS_OF, dt.time()))
    )
    cell = f"{chr(ord('A') + where[1])}{where[0] + 1}"
    sheet_index = book.sheet_names.index("Summary") + 1
    expected = (AS_OF - EPOCH_1904).days
    assert serials(path, f"sheet{sheet_index}.xml", cell) == expected


def test_a_scratch_in_the_other_date_system_is_refused(tmp_path: Path) -> None:
    path = mac_workbook(tmp_path / "mac.xlsx")
    before = path.read_bytes()
    with pytest.raises(KpisheetsError, match="wrong date system.*counts dates from 1904"):
        splice(path, input_sheets_package("sales", AS_OF, date1904=False), generated=False)
    assert path.read_bytes() == before


@requires_corpus
def test_an_excel_made_1904_workbook(tmp_path: Path) -> None:
    path = tmp_path / "date_1904_02.xlsx"
    shutil.copy(CORPUS / "excel" / "date_1904_02.xlsx", path)
    init_workbook(path, template="sales", reference=AS_OF)
    refresh_workbook(path, as_of=AS_OF)
    dates = {v if not isinstance(v, dt.datetime) else v.date() for v in _all_values(path)}
    dates = {d for d in dates if isinstance(d, dt.date)}
    assert dates and all(LAST_YEAR <= d <= PERIOD_END for d in dates), sorted(dates)


# ---------------------------------------------------------------------------
# Inside Excel (xlwings): dates are handed to Excel as dates, and Excel stores them in
# its own system. The test engine models that: a number in a date-formatted cell reads
# back as the day it means in the book's system, so a serial number written in the
# wrong system would read back four years late.


def test_the_test_engine_reads_serials_in_the_books_own_system() -> None:
    from tests.xlwings_engine import book_from_sheets

    book = book_from_sheets({"Sheet1": [["x"]]})
    book.api.date1904 = True
    cell = book.sheets["Sheet1"].range("A2")
    cell.number_format = "yyyy-mm-dd"
    cell.value = 46346.0  # 2026-11-20 in the 1900 system
    assert cell.value == dt.datetime(2030, 11, 21)
    cell.value = dt.datetime(2026, 11, 20)  # a date is that day in either system
    assert cell.value == dt.datetime(2026, 11, 20)
    assert book.api.serial("Sheet1", "A2") == (AS_OF - EPOCH_1904).days


def test_a_refresh_inside_excel_writes_dates_excel_stores_in_its_own_system(
    tmp_path: Path,
) -> None:
    from kpisheets import xl
    from tests.builders import simple_tracker_sheets, write_workbook
    from tests.xlwings_engine import open_book

    path = write_workbook(tmp_path / "mac.xlsx", simple_tracker_sheets(), True, date1904=True)
    book = open_book(path)
    assert book.api.date1904
    result = xl.refresh(book, as_of=AS_OF)
    rows = book.sheets["Summary"].used_range.value
    where = next(
        (r, c)
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if v == dt.datetime.combine(AS_OF, dt.time())
    )
    origin = book.sheets["Summary"].used_range.row, book.sheets["Summary"].used_range.column
    a1 = f"{chr(ord('A') + origin[1] - 1 + where[1])}{origin[0] + where[0]}"
    assert book.api.serial("Summary", a1) == (AS_OF - EPOCH_1904).days
    shown = {
        v.date()
        for name in ("Summary", "History")
        for row in book.sheets[name].used_range.value
        for v in row
        if isinstance(v, dt.datetime)
    }
    assert shown and all(LAST_YEAR <= d <= PERIOD_END for d in shown), sorted(shown)
    assert {k.last_entry for k in result.kpis if k.last_entry} <= shown


@pytest.mark.parametrize("flavour", ["windows", "mac"])
@pytest.mark.parametrize("date1904", [False, True])
def test_a_serial_number_read_inside_excel_counts_in_the_books_own_system(
    tmp_path: Path, flavour: str, date1904: bool
) -> None:
    """A serial number typed in a General Date cell means the same day read live as
    read from the file: the open book's date system comes through ``book.api``."""
    from kpisheets.read import read_workbook
    from kpisheets.read.xlwings_reader import read_book, uses_1904_dates
    from kpisheets.validate import validate
    from tests.builders import simple_tracker_sheets, write_workbook
    from tests.xlwings_engine import open_book

    day = dt.date(2026, 11, 3)
    epoch = EPOCH_1904 if date1904 else dt.date(1899, 12, 30)
    sheets = simple_tracker_sheets()
    sheets["Entries"][1][0] = float((day - epoch).days)  # General, not a date cell
    path = write_workbook(tmp_path / "t.xlsx", sheets, date1904=date1904)
    book = open_book(path, flavour)
    assert uses_1904_dates(book) is date1904
    live, filed = validate(read_book(book)), validate(read_workbook(path))
    assert live.entries.iloc[0]["date"] == filed.entries.iloc[0]["date"]
    assert filed.entries.iloc[0]["date"].date() == day
