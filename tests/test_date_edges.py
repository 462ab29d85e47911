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
