"""The Import button (kpisheets.xl.import_sources) on a live workbook, through the
in-memory xlwings engine of tests/xlwings_engine.py: the same Imported rows as the
file import, a failed source keeps its rows (read back from the live sheet), the
user's sheets untouched, and the template's second button."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlwings as xw
from click.testing import CliRunner

import kpisheets
from kpisheets import xl
from kpisheets.cli import cli
from kpisheets.read.owned import owned_table, owned_table_live
from kpisheets.sources.imported import rows_from_table
from kpisheets.templates import IMPORT_COMMAND, new_tracker
from tests.builders import write_workbook
from tests.xlwings_engine import open_book

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _no_mock_caller() -> Iterator[None]:
    yield
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def tracker(tmp_path: Path) -> Path:
    lines = ["day,amount,region"]
    for n in range(60):
        day = dt.date(2026, 10, 1) + dt.timedelta(days=n % 50)
        lines.append(f"{day.isoformat()},{n * 1.5},{['EMEA', 'AMER'][n % 2]}")
    (tmp_path / "sales.csv").write_text("\n".join(lines) + "\n")
    return write_workbook(
        tmp_path / "t.xlsx",
        {
            "KPIs": [["ID", "KPI", "Aggregation", "Target"], ["SALES", "Sales", "Sum", 500]],
            "Entries": [["Date", "KPI", "Value"], [dt.date(2026, 11, 2), "SALES", 10]],
            "Settings": [["Setting", "Value"], ["As of", AS_OF]],
            "Sources": [
                ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment"],
                ["sales-csv", "SALES", "csv", "sales.csv", "day", "amount", "region"],
            ],
        },
        as_tables=True,
    )


def test_live_import_matches_the_file_import(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    book = open_book(path)
    before = {s.name: s.api.snapshot() for s in book.sheets}
    book.set_mock_caller()
    xl.import_main()
    assert "Imported" in book.sheet_names and "Summary" in book.sheet_names
    live = rows_from_table(owned_table_live(book, "Imported", "Date"))
    assert {s.name: s.api.snapshot() for s in book.sheets if s.name in before} == before

    assert CliRunner().invoke(cli, ["refresh", str(path), "--import"]).exit_code == 0
    on_file = rows_from_table(owned_table(path, "Imported", "Date"))
    key = [(r.date, r.kpi, r.value, r.segment, r.source, r.row) for r in on_file]
    assert len(key) == 50  # 50 days, one region each
    assert [(r.date, r.kpi, r.value, r.segment, r.source, r.row) for r in live] == key
    assert book.app.impl.status_bar_value.endswith(
        f"imported {len(live)} daily rows from 1 source(s)"
    )
    file_result = kpisheets.status(path)
    live_result = xl.refresh(book)
    assert live_result.kpi("SALES").actual == file_result.kpi("SALES").actual


def test_live_failed_source_keeps_its_rows(tmp_path: Path) -> None:
    path = tracker(tmp_path)
    book = open_book(path)
    xl.import_sources(book, as_of=AS_OF)
    first = rows_from_table(owned_table_live(book, "Imported", "Date"))
    (tmp_path / "sales.csv").unlink()
    result = xl.import_sources(book, as_of=AS_OF)
    assert [p.code for p in result.problems if p.code.startswith("source-")] == ["source-missing"]
    again = rows_from_table(owned_table_live(book, "Imported", "Date"))
    assert [(r.date, r.value, r.segment) for r in again] == [
        (r.date, r.value, r.segment) for r in first
    ]
    assert result.kpi("SALES").actual == pytest.approx(
        10 + sum(r.value for r in first if r.date.month == 11 and r.date <= AS_OF)
    )


def test_the_xlsm_template_has_an_import_button(tmp_path: Path) -> None:
    book_path, module = new_tracker(tmp_path / "team.xlsm", template="marketing")
    with zipfile.ZipFile(book_path) as z:
        vml = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/vmlDrawing")
        )
    macros = re.findall(r"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", vml)
    assert macros == ["[0]!SampleCall", f"[0]!'RunPython \"{IMPORT_COMMAND}\"'"]
    assert "Import" in vml
    assert "def import_sources()" in module.read_text()
    # The command the button runs names a real function.
    assert callable(xl.import_main)
