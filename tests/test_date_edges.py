"""Dates at the edges (issue 14): every date Excel can hold, 1900-01-01 … 9999-12-31,
in the 1900 and the 1904 date system, read, computed and written back; as-of dates
outside that range (year 1) computed and exported without an invalid file."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from kpisheets.calc import compute
from kpisheets.cli import cli
from kpisheets.export import export_result
from tests.builders import kpi, simple_tracker_sheets, tracker, write_workbook

D = dt.date


def _summary_rows(path: Path) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name("Summary").to_python()


@pytest.mark.parametrize("date1904", [False, True])
def test_refresh_writes_dates_in_the_workbooks_date_system(tmp_path: Path, date1904: bool) -> None:
    # A 1904 workbook showed every Summary date 4 years and a day late (2030-11-21).
    book = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), date1904=date1904)
    run = CliRunner().invoke(cli, ["refresh", str(book), "-q"])
    assert run.exit_code == 0, run.output
    cells = [c for row in _summary_rows(book) for c in row]
    assert D(2026, 11, 20) in cells
    assert not [c for c in cells if isinstance(c, dt.date) and c.year >= 2029]


def test_as_of_in_year_one_exports_a_valid_workbook(tmp_path: Path) -> None:
    as_of = D(1, 1, 1)
    result = compute(tracker([kpi("S", target=1, frequency="week")], [(as_of, "S", 1)]), as_of)
    out = export_result(result, tmp_path / "s.xlsx")
    with zipfile.ZipFile(out) as package:
        core = package.read("docProps/core.xml").decode()
    created = re.search(r"<dcterms:created[^>]*>([^<]*)<", core)
    assert created and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created.group(1))
    cells = [c for row in _summary_rows(out) for c in row]
    assert "0001-01-01" in cells  # a date cell cannot hold it: its ISO text
    assert not [c for c in cells if isinstance(c, dt.date) and c.year < 1900]


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-01-03"])
def test_as_of_in_year_one_works_on_the_command_line(tmp_path: Path, as_of: str) -> None:
    # The "Since" review looks a week back from the as-of date: in year 1's first
    # week that is before the first day a date can be, and every command but check
    # failed "unexpectedly (OverflowError)".
    book = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    runner = CliRunner()
    out = [tmp_path / f"s.{suffix}" for suffix in ("pdf", "pptx", "md", "xlsx")]
    for command in (
        ["status", "--format", "json"],
        ["export", *(a for o in out for a in ("-o", str(o)))],
        ["refresh", "-q"],
        ["refresh", "-q"],  # again, with the first refresh's snapshot to look back to
    ):
        run = runner.invoke(cli, [command[0], str(book), "--as-of", as_of, *command[1:]])
        assert run.exit_code == 0, (command, run.output)
    assert all(o.stat().st_size > 0 for o in out)


@pytest.mark.parametrize("date1904", [False, True])
def test_every_date_excel_holds_reads_computes_and_writes(tmp_path: Path, date1904: bool) -> None:
    # Targets after 2262-04-11 made every command fail (pandas' nanosecond bound),
    # and Entries dates after it became wrong dates silently.
    first = D(1904, 1, 1) if date1904 else D(1900, 1, 1)
    last = D(9999, 12, 31)
    sheets = simple_tracker_sheets()
    sheets["KPIs"][0] = [*sheets["KPIs"][0], "Start", "End"]  # a copy: the header is shared
    sheets["KPIs"].append(["ALL", "All time", "", "", "", "Higher", "Sum", "", 10, first, last])
    sheets["Entries"] += [
        [first, "ALL", 1],
        [D(1904, 2, 29) if date1904 else D(1900, 3, 1), "ALL", 2],
        [D(2262, 4, 12), "ALL", 3],
        [last, "ALL", 4],
        [last, "SALES", 5],
    ]
    sheets["Targets"] += [["SALES", last, 99], ["ALL", first, 7]]
    sheets["Settings"][2] = ["As of", last]
    book = write_workbook(tmp_path / "t.xlsx", sheets, date1904=date1904)
    runner = CliRunner()
    status = runner.invoke(cli, ["status", str(book), "--format", "json"])
    assert status.exit_code == 0, status.output
    import json

    got = json.loads(status.stdout)
    by_id = {k["id"]: k for k in got["kpis"]}
    assert got["as_of"] == "9999-12-31"
    assert by_id["ALL"]["actual"] == 1 + 2 + 3 + 4 and by_id["ALL"]["last_entry"] == "9999-12-31"
    assert (by_id["SALES"]["actual"], by_id["SALES"]["target"]) == (5, 99)
    for command in (["check"], ["refresh", "-q"], ["export", "-o", str(tmp_path / "s.pdf")]):
        run = runner.invoke(cli, [command[0], str(book), *command[1:]])
        assert run.exit_code == 0, (command, run.output)
    cells = [c for row in _summary_rows(book) for c in row]
    assert last in cells


@pytest.mark.parametrize("as_table", [False, True])
def test_cells_beyond_what_the_reader_converts_are_problems_with_their_cell(
    tmp_path: Path, as_table: bool
) -> None:
    # A [h]:mm:ss cell of 1.5E+9 days overflows Python's timedelta and a date cell
    # of -1.07E+11 makes python-calamine panic: check failed "unexpectedly" for the
    # whole workbook. Such a row is read from the sheet XML as plain numbers instead.
    import xlsxwriter

    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    duration = book.add_format({"num_format": "[h]:mm:ss"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    book.add_worksheet("KPIs").write_row(0, 0, ["ID", "KPI", "Target"])
    book.get_worksheet_by_name("KPIs").write_row(1, 0, ["SALES", "Sales", 10])
    sheet = book.add_worksheet("Entries")
    sheet.write_row(0, 0, ["Date", "KPI", "Value", "Note"])
    sheet.write_datetime(1, 0, D(2026, 11, 3), date)
    sheet.write_row(1, 1, ["SALES", 5, "fine"])
    sheet.write_datetime(2, 0, D(2026, 11, 4), date)
    sheet.write_string(2, 1, "SALES")
    sheet.write_number(2, 2, 1.5e9, duration)  # a duration of 1.5E+9 days
    sheet.write_string(2, 3, "a long wait")
    sheet.write_number(3, 0, 1.5e9, duration)
    sheet.write_row(3, 1, ["SALES", 1])
    sheet.write_number(4, 0, -1.07e11, date)
    sheet.write_row(4, 1, ["SALES", 1])
    if as_table:
        sheet.add_table(0, 0, 4, 3, {"name": "Entries", "header_row": True,
                                     "columns": [{"header": h} for h in
                                                 ("Date", "KPI", "Value", "Note")]})  # fmt: skip
    settings = book.add_worksheet("Settings")
    settings.write_row(0, 0, ["Setting", "Value"])
    settings.write_row(1, 0, ["As of", "2026-11-20"])
    book.close()
    runner = CliRunner()
    check = runner.invoke(cli, ["check", str(path), "--format", "json"])
    assert check.exit_code == 1, check.output
    import json

    problems = json.loads(check.stdout)
    assert {(p["code"], p["cell"]) for p in problems} == {
        ("bad-date", "Entries!A4"),
        ("bad-date", "Entries!A5"),
    }
    status = runner.invoke(cli, ["status", str(path), "--format", "json", "--as-of", "2026-11-20"])
    assert status.exit_code == 0, status.output
    (sales,) = json.loads(status.stdout)["kpis"]
    assert sales["actual"] == 5 + 1.5e9 and sales["note"] == "a long wait"


def test_a_refreshed_workbook_with_huge_figures_in_a_duration_format_reads_again(
    tmp_path: Path,
) -> None:
    # Found by the fuzz test: the Snapshots sheet keeps each KPI's figures in its
    # Format; 1.7E+308 as [h]:mm made the next read of the workbook panic.
    sheets = simple_tracker_sheets()
    sheets["KPIs"][0] = [*sheets["KPIs"][0], "Format"]
    sheets["KPIs"].append(["WAIT", "Wait", "", "", "", "Lower", "Last", "Month", 1e308, "[h]:mm"])
    sheets["Entries"].append([D(2026, 11, 5), "WAIT", 1.7e308])
    book = write_workbook(tmp_path / "t.xlsx", sheets)
    runner = CliRunner()
    for command in (["refresh", str(book)], ["check", str(book)], ["refresh", str(book)]):
        run = runner.invoke(cli, command)
        assert (
            run.exit_code in (0, 1)
            and run.exception is None
            or isinstance(run.exception, SystemExit)
        ), (command, run.output)
        assert "unexpectedly" not in run.output
    status = runner.invoke(cli, ["status", str(book), "--format", "json"])
    assert status.exit_code == 0, status.output
