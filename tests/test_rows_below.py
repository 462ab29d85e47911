"""Rows typed directly under an Excel Table are read as part of it, with an
``outside-table`` warning naming their range (docs/workbook.md, "Rows below a Table").

The rule is tested on workbooks XlsxWriter writes (a Table plus cells under it);
the users' cases on trackers made by ``kpisheets new`` and then edited by openpyxl
(``ws.append``) and by LibreOffice itself (a StarBasic macro types the rows,
tests/lo_macro.py) — neither extends the Table — through ``check``, ``status``,
``refresh`` (the Problems sheet, the left-out counts) and the live Excel reader.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import kpisheets
from kpisheets.read import read_workbook
from kpisheets.read.xlwings_reader import read_book
from kpisheets.validate import check_workbook, validate
from tests.builders import simple_tracker_sheets
from tests.libreoffice import soffice
from tests.lo_macro import Edit, edit_in_libreoffice
from tests.xlwings_engine import open_book

AS_OF = dt.date(2026, 11, 20)
ENTRY_HEADER = ["Date", "KPI", "Value", "Note", "By"]


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---------------------------------------------------------------------------
# The rule, on workbooks written by XlsxWriter


class NA:
    """An ``=NA()`` formula cell saved with its ``#N/A`` result."""


def _write(ws: Any, row: int, col: int, values: Sequence[Any], date: Any) -> None:
    for c, value in enumerate(values, start=col):
        if value is None:
            continue
        if isinstance(value, NA):
            ws.write_formula(row, c, "=NA()", None, "#N/A")
        elif isinstance(value, dt.date):
            ws.write_datetime(row, c, value, date)
        elif isinstance(value, str):
            ws.write_string(row, c, value)
        else:
            ws.write_number(row, c, value)


def entries_book(
    path: Path,
    *,
    below: Sequence[Sequence[Any]] = (),
    later: Sequence[Sequence[Any]] = (),
    beside: str | None = None,
    totals: bool = False,
    next_table: bool = False,
    origin: tuple[int, int] = (0, 0),
) -> Path:
    """The small tracker of tests/builders.py with Entries as an Excel Table at
    ``origin`` (0-based row, column), and under it: the ``below`` rows directly, a
    blank row and the ``later`` rows; ``beside``: a text in column G on the row
    directly under the Table; ``next_table``: another Table right under it."""
    sheets = simple_tracker_sheets()
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name in ("KPIs", "Settings"):
        ws = book.add_worksheet(name)
        for r, row in enumerate(sheets[name]):
            _write(ws, r, 0, row, date)
    ws = book.add_worksheet("Entries")
    top, left = origin
    rows = sheets["Entries"]
    for r, row in enumerate(rows):
        _write(ws, top + r, left, row, date)
    columns: list[dict[str, Any]] = [{"header": h} for h in ENTRY_HEADER]
    last = top + len(rows) - 1
    options: dict[str, Any] = {"name": "Entries", "columns": columns}
    if totals:
        columns[0]["total_string"] = "Total"
        columns[2]["total_function"] = "sum"
        options["total_row"] = True
        last += 1
    ws.add_table(top, left, last, left + len(ENTRY_HEADER) - 1, options)
    row = last + 1
    if beside is not None:
        ws.write_string(row, 6, beside)
        row += 1
    if next_table:
        ws.add_table(row, left, row + 1, left + 1, {"name": "Notes"})
        row += 2
    for values in below:
        _write(ws, row, left, values, date)
        row += 1
    row += 1
    for values in later:
        _write(ws, row, left, values, date)
        row += 1
    book.close()
    return path


TYPED = [
    [dt.date(2026, 11, 18), "SALES", 1000, "typed under the Table", "Ana"],
    [dt.date(2026, 11, 19), "SALES", 500, None, "Ana"],
]


def outside(problems: Sequence[kpisheets.Problem]) -> list[kpisheets.Problem]:
    return [p for p in problems if p.code == "outside-table"]


def sales(path: Path) -> float | None:
    result = kpisheets.status(path, as_of=AS_OF)
    return next(k.actual for k in result.kpis if k.id == "SALES")


def test_rows_typed_under_a_table_are_read_and_warned(tmp_path: Path) -> None:
    notes = [["Notes", "ask Ana about the November totals"]]
    path = entries_book(tmp_path / "t.xlsx", below=TYPED, later=notes)
    entries = read_workbook(path).tables["Entries"]
    assert entries.below == 2 and not entries.totals_row
    assert entries.row_numbers[-3:] == [9, 10, 11]  # the Table ends at row 9
    assert entries.rows[-2][3] == "typed under the Table" and entries.rows[-1][2] == 500
    problems = check_workbook(path, as_of=AS_OF)
    [warning] = outside(problems)
    assert (warning.severity, warning.sheet, warning.cell, warning.row) == (
        "warning",
        "Entries",
        "Entries!A10:E11",
        10,
    )
    assert warning.message.startswith("Entries!A10:E11 is typed directly under the Excel")
    assert "'Entries'" in warning.message and "these 2 rows" in warning.message
    assert "Table Design › Resize Table › $A$1:$E$11" in warning.hint
    assert "Data › Define Range › Entries" in warning.hint
    # The notes after the blank row are not entries: no problem names their row.
    assert not [p for p in problems if p.row == 13]
    assert sales(path) == 2500 + 2000 + 1500 + 1000 + 500


def test_a_row_blank_in_the_tables_columns_ends_the_rows(tmp_path: Path) -> None:
    """A note beside the Table (column G) on the row under it is not in its columns,
    so that row is blank for the Table and the entries after it are not read."""
    path = entries_book(tmp_path / "t.xlsx", beside="checked by Ben", below=TYPED)
    entries = read_workbook(path).tables["Entries"]
    assert entries.below == 0 and entries.row_numbers[-1] == 9
    assert outside(check_workbook(path, as_of=AS_OF)) == []
    assert sales(path) == 6000


def test_rows_under_a_totals_row_are_data_and_the_totals_row_is_not(tmp_path: Path) -> None:
    typed = [*TYPED, [dt.date(2026, 11, 19), "SALES", NA(), "from a lookup", "Ana"]]
    path = entries_book(tmp_path / "t.xlsx", below=typed, totals=True)
    entries = read_workbook(path).tables["Entries"]
    assert entries.totals_row and entries.below == 3
    assert entries.row_numbers[-4:] == [9, 11, 12, 13]  # row 10 is the totals row
    problems = check_workbook(path, as_of=AS_OF)
    [warning] = outside(problems)
    assert warning.cell == "Entries!A11:E13" and "above its totals row" in warning.hint
    assert "Resize" not in warning.hint
    assert not [p for p in problems if p.row == 10]  # "Total" is no entry
    # The #N/A under the Table is found in the sheet's XML like any error cell, and
    # its entry is counted as left out.
    [error] = [p for p in problems if p.code == "excel-error"]
    assert error.cell == "Entries!C13"
    result = kpisheets.status(path, as_of=AS_OF)
    assert result.left_out == {"excel-error": 1}
    assert next(k.actual for k in result.kpis if k.id == "SALES") == 7500


def test_another_table_directly_under_is_not_read(tmp_path: Path) -> None:
    path = entries_book(tmp_path / "t.xlsx", next_table=True, below=TYPED)
    entries = read_workbook(path).tables["Entries"]
    assert entries.below == 0 and entries.row_numbers[-1] == 9
    assert outside(check_workbook(path, as_of=AS_OF)) == []
    assert sales(path) == 6000


def test_a_table_away_from_a1_names_its_own_range(tmp_path: Path) -> None:
    path = entries_book(tmp_path / "t.xlsx", origin=(2, 1), below=TYPED[:1])
    entries = read_workbook(path).tables["Entries"]
    assert entries.below == 1 and entries.row_numbers[-1] == 12
    [warning] = outside(check_workbook(path, as_of=AS_OF))
    assert warning.cell == "Entries!B12:F12" and "counts this row" in warning.message
    assert "Resize Table › $B$3:$F$12;" in warning.hint
    assert sales(path) == 7000


def test_nothing_under_the_table_reads_as_before(tmp_path: Path) -> None:
    path = entries_book(tmp_path / "t.xlsx", later=TYPED)  # after a blank row only
    entries = read_workbook(path).tables["Entries"]
    assert entries.below == 0 and len(entries.rows) == 8
    assert outside(check_workbook(path, as_of=AS_OF)) == []
    assert sales(path) == 6000


# ---------------------------------------------------------------------------
# Trackers from `kpisheets new`, edited by openpyxl and by LibreOffice


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A sales tracker from `kpisheets new`, its figures before any edit, and where
    its Tables end."""
    folder = tmp_path_factory.mktemp("new")
    path = folder / "sales.xlsx"
    proc = cli("new", path, "--template", "sales")
    assert proc.returncode == 0, proc.stderr
    before = json.loads(cli("status", path, "--format", "json").stdout)
    wb = openpyxl.load_workbook(path)
    entries, kpis = wb["Entries"], wb["KPIs"]
    assert entries.tables["Entries"].ref == "A1:F29" and kpis.tables["KPIs"].ref == "A1:V10"
    revenue = [r for r in entries.iter_rows(min_row=2, values_only=True) if r[1] == "REVENUE"]
    return {
        "path": path,
        "as_of": before["as_of"],
        "actual": {k["id"]: k["actual"] for k in before["kpis"]},
        # Entries dated on the latest REVENUE day stay in its current period.
        "day": max(r[0] for r in revenue).date(),
        "kpi_columns": {c.value: c.column_letter for c in kpis[1]},
    }


@pytest.fixture(scope="module")
def appended(made: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracker with three rows added by openpyxl's ``ws.append``: two REVENUE
    entries and one for a KPI that does not exist."""
    path = tmp_path_factory.mktemp("openpyxl") / "appended.xlsx"
    wb = openpyxl.load_workbook(made["path"])
    ws = wb["Entries"]
    day = dt.datetime.combine(made["day"], dt.time())
    ws.append([day, "REVENUE", 5000, "appended by a script", "Tom"])
    ws.append([day, "REVENUE", 7000, None, "Tom"])
    ws.append([day, "REVENEU", 900, None, "Tom"])
    assert ws.tables["Entries"].ref == "A1:F29"  # openpyxl did not extend the Table
    wb.save(path)
    return path


def _typed_in_libreoffice(made: dict[str, Any]) -> list[tuple[str, str, str]]:
    day, kpi = made["day"].isoformat(), made["kpi_columns"]
    new_kpi = {
        "ID": "CALLS",
        "KPI": "Sales calls",
        "Category": "Pipeline",
        "Aggregation": "Sum",
        "Frequency": "Month",
        "Target": "50",
    }
    return [
        *((("KPIs", f"{kpi[h]}11", v)) for h, v in new_kpi.items()),
        ("Entries", "A30", day),
        ("Entries", "B30", "REVENUE"),
        ("Entries", "C30", "5000"),
        ("Entries", "D30", "typed in LibreOffice"),
        ("Entries", "A31", day),
        ("Entries", "B31", "REVENUE"),
        ("Entries", "C31", "7000"),
        ("Entries", "A32", day),
        ("Entries", "B32", "CALLS"),
        ("Entries", "C32", "40"),
    ]


@pytest.fixture(scope="module")
def libreoffice(made: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tracker edited in LibreOffice (one process): rows typed under KPIs and
    Entries and saved as .xlsx; and the same with the Tables then extended over them
    through Data › Define Range (the database ranges LibreOffice makes of Tables)."""
    if soffice() is None:
        pytest.fail("LibreOffice is required (CI installs libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("libreoffice")
    typed = _typed_in_libreoffice(made)
    out = {"typed": folder / "typed.xlsx", "extended": folder / "extended.xlsx"}
    edit_in_libreoffice(
        [
            Edit(made["path"], out["typed"], typed),
            Edit(made["path"], out["extended"], typed, [("Entries", 32), ("KPIs", 11)]),
        ]
    )
    return out


def _status(path: Path, as_of: str) -> dict[str, Any]:
    proc = cli("status", path, "--as-of", as_of, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_openpyxl_appended_rows_count_with_their_warning(
    made: dict[str, Any], appended: Path
) -> None:
    status = _status(appended, made["as_of"])
    revenue = next(k for k in status["kpis"] if k["id"] == "REVENUE")
    assert revenue["actual"] == made["actual"]["REVENUE"] + 5000 + 7000
    assert status["left_out"] == {"unknown-kpi": 1}  # the REVENEU row, under the Table
    [warning] = [p for p in status["problems"] if p["code"] == "outside-table"]
    assert warning["cell"] == "Entries!A30:F32"
    [unknown] = [p for p in status["problems"] if p["code"] == "unknown-kpi"]
    assert unknown["cell"] == "Entries!B32"
    check = cli("check", appended, "--as-of", made["as_of"])
    assert "Entries!A30:F32" in check.stdout and "outside-table" in check.stdout
    assert "no problems" not in check.stdout


def test_rows_typed_in_libreoffice_count_with_their_warning(
    made: dict[str, Any], libreoffice: dict[str, Path]
) -> None:
    status = _status(libreoffice["typed"], made["as_of"])
    actual = {k["id"]: k["actual"] for k in status["kpis"]}
    assert actual["REVENUE"] == made["actual"]["REVENUE"] + 12000
    assert actual["CALLS"] == 40  # a KPI typed under the KPIs Table, with its entry
    cells = sorted(p["cell"] for p in status["problems"] if p["code"] == "outside-table")
    assert cells == ["Entries!A30:F32", "KPIs!A11:V11"]
    assert status["left_out"] == {}


def test_extending_the_table_in_libreoffice_clears_the_warning_and_keeps_the_figures(
    made: dict[str, Any], libreoffice: dict[str, Path]
) -> None:
    typed = _status(libreoffice["typed"], made["as_of"])
    extended = _status(libreoffice["extended"], made["as_of"])
    assert not [p for p in extended["problems"] if p["code"] == "outside-table"]
    assert {k["id"]: k["actual"] for k in extended["kpis"]} == {
        k["id"]: k["actual"] for k in typed["kpis"]
    }


def _sheet_text(path: Path, sheet: str) -> str:
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name(sheet).to_python()
    return "\n".join(" | ".join(str(v) for v in row) for row in rows)


@pytest.mark.parametrize("producer", ["openpyxl", "libreoffice"])
def test_refresh_lists_the_rows_on_the_problems_sheet(
    producer: str,
    made: dict[str, Any],
    appended: Path,
    libreoffice: dict[str, Path],
    tmp_path: Path,
) -> None:
    source = appended if producer == "openpyxl" else libreoffice["typed"]
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    proc = cli("refresh", path, "--as-of", made["as_of"])
    assert proc.returncode == 0, proc.stderr
    assert "outside-table" in proc.stderr and "Entries!A30:F32" in proc.stderr
    problems = _sheet_text(path, "Problems")
    assert "outside-table" in problems and "Entries!A30:F32" in problems
    summary = _sheet_text(path, "Summary")
    if producer == "openpyxl":
        assert "1 entry is left out of these figures" in summary
    else:
        assert "KPIs!A11:V11" in problems and "left out" not in summary


def test_the_live_reader_reads_the_same_rows(made: dict[str, Any], appended: Path) -> None:
    """Excel open on the openpyxl-edited file (the test engine of
    tests/xlwings_engine.py): the same rows, the same warning."""
    book = open_book(appended)
    live = read_book(book)
    from_file = read_workbook(appended)
    for name in ("KPIs", "Entries", "Targets", "Settings", "Actions"):
        assert live.tables[name].below == from_file.tables[name].below, name
        assert live.tables[name].row_numbers == from_file.tables[name].row_numbers, name
    entries = live.tables["Entries"]
    assert entries.below == 3 and entries.rows[-1][1] == "REVENEU"
    [warning] = outside(validate(live).problems)
    assert warning.cell == "Entries!A30:F32"
