"""The summary-only workbook: the refresh's report without the input sheets, read
back through python-calamine with the same figures as ``status``."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from tests.export_results import HOSTILE, hostile_result, sample_result

pytest.importorskip("kpisheets.report", reason="the REPORT helper's build_report has not landed")
pytest.importorskip("kpisheets.write.xlsx", reason="the REPORT helper's writer has not landed")

from kpisheets.export import export_result  # noqa: E402


def _summary_rows(path: Path) -> tuple[list[str], list[list[object]]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Summary").to_python()
    header_at = next(i for i, row in enumerate(sheet) if row and row[0] == "KPI")
    return [str(h) for h in sheet[header_at]], sheet[header_at + 1 :]


def test_summary_only_workbook_has_the_status_figures(tmp_path: Path) -> None:
    result = sample_result()
    out = export_result(result, tmp_path / "summary.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert not {"KPIs", "Entries", "Targets", "Settings", "Actions"} & set(book.sheet_names)
    assert "Summary" in book.sheet_names
    header, rows = _summary_rows(out)
    by_name = {row[0]: row for row in rows}
    status = result.to_dict()["kpis"]
    columns = {"actual": "Actual", "target": "Target", "achievement": "% of target"}
    for k in status:
        row = by_name[k["name"]]
        for key, title in columns.items():
            cell = row[header.index(title)]
            if k[key] is None:
                assert cell in ("", None, "—"), (k["id"], key, cell)
            else:
                assert cell == pytest.approx(k[key]), (k["id"], key)
        assert row[header.index("Status")] == result.kpi(k["id"]).status.label


def test_no_formula_points_at_a_missing_entries_sheet(tmp_path: Path) -> None:
    out = export_result(sample_result(), tmp_path / "summary.xlsx")
    with zipfile.ZipFile(out) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                formulas = re.findall(r"<f>([^<]*)</f>", package.read(name).decode("utf-8"))
                assert not [f for f in formulas if "Entries" in f], name


def test_hostile_notes_are_text_in_the_workbook(tmp_path: Path) -> None:
    out = export_result(hostile_result(), tmp_path / "evil.xlsx")
    _, rows = _summary_rows(out)
    cells = [c for row in rows for c in row]
    assert HOSTILE[1] in cells  # the note, as typed, a string
    with zipfile.ZipFile(out) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "cmd|" not in "".join(
                    re.findall(r"<f>([^<]*)</f>", package.read(name).decode("utf-8"))
                )


def test_the_summary_workbook_banner_says_what_the_file_is(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    from kpisheets.report import BANNER_TEXT

    out = export_result(sample_result(), tmp_path / "summary.xlsx")
    with CalamineWorkbook.from_path(str(out)) as book:
        for name in book.sheet_names:
            first = book.get_sheet_by_name(name).to_python()[0][0]
            assert first.startswith("A copy of the figures") and "export again" in first
            assert first != BANNER_TEXT  # no "change the Entries sheet": it has none
