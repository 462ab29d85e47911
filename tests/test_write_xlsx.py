"""The XlsxWriter renderer (kpisheets.write.xlsx): the file it writes, read back by
python-calamine, openpyxl, the sheet XML itself and LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from kpisheets.calc import compute
from kpisheets.charts import actual_as_columns, charted_points
from kpisheets.model import column_letter
from kpisheets.report import COL, build_report
from kpisheets.report_model import Formula, Report, SheetReport, Style, SummaryLayout, cell_a1
from kpisheets.result import Result
from kpisheets.write.xlsx import render_report, render_to_bytes
from tests.builders import kpi, tracker
from tests.conftest import requires_libreoffice
from tests.libreoffice import convert, pdf_text
from tests.report_samples import AS_OF, DDE_NOTE, HOSTILE_NOTE, realistic_tracker

REFRESHED = dt.datetime(2026, 11, 20, 9, 15)


@pytest.fixture(scope="module")
def result() -> Result:
    return compute(realistic_tracker())


@pytest.fixture(scope="module")
def report(result: Result) -> Report:
    return build_report(result, refreshed_at=REFRESHED)


@pytest.fixture(scope="module")
def layout(report: Report) -> SummaryLayout:
    return report.summary_layout


@pytest.fixture(scope="module")
def rendered(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    render_report(report, path)
    return path


def sheet_xml(path: Path, index: int) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode()


def part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode()


def unescape(xml_text: str) -> str:
    return html.unescape(xml_text)


def test_workbook_holds_exactly_the_report_sheets(rendered: Path) -> None:
    book = CalamineWorkbook.from_path(str(rendered))
    assert book.sheet_names == ["Summary", "History", "Problems"]


def test_summary_figures_read_back_equal_the_result(
    result: Result, layout: SummaryLayout, rendered: Path
) -> None:
    rows = CalamineWorkbook.from_path(str(rendered)).get_sheet_by_name("Summary").to_python()
    by_name = {r[COL["kpi"]]: r for r in rows[layout.first_table_row :] if r[COL["status"]]}
    assert set(by_name) == {k.name for k in result.kpis}
    for k in result.kpis:
        row = by_name[k.name]

        def number(key: str, row: list = row) -> float | None:  # type: ignore[type-arg]
            value = row[COL[key]]
            return None if value == "" else value

        assert number("actual") == k.actual
        assert number("target") == k.target
        assert number("expected") == k.expected
        assert number("achievement") == k.achievement
        assert number("forecast") == k.forecast
        assert row[COL["status"]] == k.status.label
        assert row[COL["owner"]] == k.owner
        assert (row[COL["last_entry"]] or None) == k.last_entry
    assert rows[1][0] == result.title
    assert rows[2][0] == AS_OF


def test_hostile_notes_stay_text(rendered: Path) -> None:
    xml = sheet_xml(rendered, 1)
    strings = part(rendered, "xl/sharedStrings.xml")
    formulas = [unescape(f) for f in re.findall(r"<f>(.*?)</f>", xml)]
    assert len(formulas) == 1 and formulas[0].startswith("IF(COUNTA(Entries!A2:A1048576)<>")
    assert "HYPERLINK" not in "".join(formulas) and "cmd|" not in "".join(formulas)
    for note in (HOSTILE_NOTE, DDE_NOTE):
        escaped = note.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        assert f"<t>{escaped}</t>" in strings or f"<t>{note}</t>" in strings
    # The cells holding them are shared-string cells, never formula cells.
    rows = CalamineWorkbook.from_path(str(rendered)).get_sheet_by_name("Summary").to_python()
    notes = [r[COL["note"]] for r in rows]
    for note in (HOSTILE_NOTE, DDE_NOTE):
        ref = f"L{notes.index(note) + 1}"
        cell = re.search(rf'<c r="{ref}"([^>]*)>(.*?)</c>', xml)
        assert cell and 't="s"' in cell.group(1) and "<f>" not in cell.group(2)


def test_changed_since_formula_has_an_empty_cached_value(
    layout: SummaryLayout, rendered: Path
) -> None:
    assert layout.changed_row is not None
    xml = sheet_xml(rendered, 1)
    cell = re.search(rf'<c r="{cell_a1(layout.changed_row, 0)}"[^>]*>(.*?)</c>', xml)
    assert cell and "<f>IF(COUNTA(" in cell.group(1) and "<v></v>" in cell.group(1)
    rows = CalamineWorkbook.from_path(str(rendered)).get_sheet_by_name("Summary").to_python()
    assert rows[layout.changed_row][0] == ""


def test_standalone_render_has_no_formulas(result: Result, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    render_report(build_report(result, live_workbook=False, refreshed_at=REFRESHED), path)
    for i in (1, 2, 3):
        assert "<f>" not in sheet_xml(path, i)


def test_number_formats_in_styles(result: Result, rendered: Path) -> None:
    styles = part(rendered, "xl/styles.xml")
    codes = set(re.findall(r'formatCode="([^"]*)"', styles))
    unescape = {"&quot;": '"', "&amp;": "&"}
    decoded = set()
    for code in codes:
        for a, b in unescape.items():
            code = code.replace(a, b)
        decoded.add(code)
    for k in result.kpis:
        if k.number_format not in ("General", "0%", "0.00%"):  # built-in formats have no entry
            assert k.number_format in decoded, k.number_format
    assert "d mmm yyyy" in decoded


def test_conditional_formats_and_sparklines_in_sheet_xml(result: Result, rendered: Path) -> None:
    xml = unescape(sheet_xml(rendered, 1))
    assert xml.count('type="cellIs"') >= 5 + 3  # statuses and trend arrows
    for label in ("On track", "At risk", "Off track", "No data", "No target"):
        assert f'<formula>"{label}"</formula>' in xml
    assert "<dataBar" in xml
    assert xml.count('type="expression"') == len(result.kpis)  # stale dates, one per KPI
    assert "ISNUMBER(K" in xml and "DATE(" in xml
    assert xml.count("<x14:sparkline>") == len(result.kpis)
    assert "<xm:f>History!C" in xml
    # Every rule's format exists as a dxf.
    assert part(rendered, "xl/styles.xml").count("<dxf>") >= 9


def test_print_setup_freeze_and_print_titles(layout: SummaryLayout, rendered: Path) -> None:
    xml = sheet_xml(rendered, 1)
    assert re.search(r'<pageSetup[^>]*orientation="landscape"', xml)
    assert re.search(r'<pageSetup[^>]*fitToHeight="0"', xml)
    assert '<pageSetUpPr fitToPage="1"/>' in xml
    assert re.search(r'<pane [^>]*state="frozen"', xml)
    assert 'showGridLines="0"' in xml
    workbook = part(rendered, "xl/workbook.xml")
    header = (layout.header_row or 0) + 1  # the KPI table's headings, as Excel numbers rows
    assert (
        f'<definedName name="_xlnm.Print_Titles" localSheetId="0">Summary!${header}:${header}'
        in workbook
    )
    assert re.search(r'name="_xlnm.Print_Area" localSheetId="0">Summary!\$A\$1:\$M\$\d+', workbook)
    history = sheet_xml(rendered, 2)
    assert "<rowBreaks" in history


def test_history_charts_plot_actual_and_target(result: Result, rendered: Path) -> None:
    """One chart per KPI, in the shared style: a total's actual as columns combined with
    the dashed target line, a level's actual as a line; over the periods from the first
    with a value (a chart's ranges start there, not at the table's first column)."""
    with zipfile.ZipFile(rendered) as z:
        names = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        charts = [z.read(n).decode() for n in names]
    assert len(charts) == len(result.kpis)
    by_title = {re.search(r"<a:t>([^<]*)</a:t>", c)[1]: c for c in charts}  # type: ignore[index]
    kinds = set()
    for k in result.kpis:
        chart = by_title[html.escape(k.name, quote=False)]
        columns = actual_as_columns(k)
        kinds.add(columns)
        assert ("<c:barChart>" in chart) is columns, k.name
        if columns:
            assert '<c:barDir val="col"/>' in chart
        assert "<c:lineChart>" in chart
        assert '<a:prstDash val="dash"/>' in chart  # the target
        assert chart.count("<c:ser>") in (2, 3)
        first = column_letter(2 + len(k.history) - len(charted_points(k)))
        values = re.findall(r"<c:val><c:numRef><c:f>([^<]*)</c:f>", chart)
        assert values and all(re.match(rf"History!\${first}\$\d+:", f) for f in values), (
            k.name,
            values,
        )
    assert kinds == {True, False}  # the sample has totals and levels


def test_problems_sheet_highlights_error_rows(rendered: Path) -> None:
    xml = sheet_xml(rendered, 3)
    assert '<formula>$A6="Error"</formula>' in xml.replace("&quot;", '"')
    rows = CalamineWorkbook.from_path(str(rendered)).get_sheet_by_name("Problems").to_python()
    assert rows[5][0] == "Error" and rows[5][5] == "bad-number"


def test_rendering_is_deterministic(result: Result) -> None:
    report = build_report(result, refreshed_at=REFRESHED)
    first, second = render_to_bytes(report), render_to_bytes(report)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert "2026-11-20T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_renders_to_a_file_object(result: Result) -> None:
    buffer = io.BytesIO()
    render_report(build_report(result, refreshed_at=REFRESHED), buffer)
    assert zipfile.ZipFile(io.BytesIO(buffer.getvalue())).testzip() is None


# openpyxl drops the x14 extensions (sparklines, solid data bars) and says so.
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_openpyxl_reads_it(rendered: Path, layout: SummaryLayout) -> None:
    book = openpyxl.load_workbook(rendered)
    assert book.sheetnames == ["Summary", "History", "Problems"]
    summary = book["Summary"]
    assert layout.header_row is not None and layout.left_out_row is not None
    assert summary.freeze_panes == f"B{layout.header_row + 2}"  # under the header row
    # The left-out line is a hyperlink to the Problems sheet (not a formula).
    link = summary.cell(layout.left_out_row + 1, 1)
    assert link.value == "1 entry is left out of these figures (bad-number 1) — see Problems"
    assert link.hyperlink is not None and link.hyperlink.location == "Problems!A1"
    assert summary.page_setup.orientation == "landscape"
    assert len(list(summary.conditional_formatting)) >= 3


def test_hostile_chart_titles_and_cell_types(tmp_path: Path) -> None:
    """User text in any position (cell, merge, chart title) is written as text."""
    sheet = SheetReport("S")
    sheet.set(0, 0, "=1+2")
    sheet.set(1, 0, "123")  # text that looks like a number stays text
    sheet.set(2, 0, "http://example.com")
    sheet.set(3, 0, Formula("=1+2", 3))
    sheet.set(4, 0, float("nan"), Style(bold=True))
    sheet.set(5, 0, dt.date(2026, 1, 2))
    sheet.set(6, 0, True)
    from kpisheets.report_model import Chart, ChartSeries, Merge

    sheet.merges.append(Merge(7, 0, 8, 2, "=SUM(A1:A3)", Style(bold=True)))
    sheet.set(0, 1, 1)
    sheet.set(1, 1, 2)
    sheet.charts.append(
        Chart("line", "=S!A1", [ChartSeries("Q3!B2 plan", "=S!$B$1:$B$2", "=S!$B$1:$B$2")], 10, 0)
    )
    path = tmp_path / "hostile.xlsx"
    render_report(Report([sheet], as_of=dt.date(2026, 1, 1)), path)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python()
    assert [r[0] for r in rows[:4]] == ["=1+2", "123", "http://example.com", 3.0]
    assert rows[5][0] == dt.date(2026, 1, 2) and rows[6][0] is True and rows[7][0] == "=SUM(A1:A3)"
    xml = sheet_xml(path, 1)
    assert xml.count("<f>") == 1 and "<hyperlink" not in xml
    chart = part(path, "xl/charts/chart1.xml")
    assert "=S!\u200bA1" in chart and "Q3!\u200bB2 plan" in chart
    assert "<c:f>S!A1</c:f>" not in chart and "<c:f>Q3!B2" not in chart


@requires_libreoffice
def test_libreoffice_converts_it_to_pdf(result: Result, tmp_path: Path) -> None:
    path = tmp_path / "summary.xlsx"
    render_report(build_report(result, live_workbook=False, refreshed_at=REFRESHED), path)
    text = pdf_text(convert(path, "pdf", tmp_path))
    assert result.title in text
    for k in result.kpis:
        assert k.name in text
    for label in ("On track", "Off track", "Overall score", "bad-number"):
        assert label in text
    assert "$132,600" in text  # Revenue's actual in its own number format
    assert "Entries have changed" not in text


@requires_libreoffice
def test_changed_since_line_turns_visible_when_entries_change(tmp_path: Path) -> None:
    """A real spreadsheet program evaluates the formula against an Entries sheet."""
    t = tracker(
        [kpi("S", target=10)], [("2026-11-02", "S", 4), ("2026-11-03", "S", 5)], as_of=AS_OF
    )
    r = compute(t)
    report = build_report(r, refreshed_at=REFRESHED)
    entries = SheetReport("Entries")
    for row, value in enumerate(["Date", dt.date(2026, 11, 2), dt.date(2026, 11, 3)]):
        entries.set(row, 0, value)
    same = dataclasses.replace(report, sheets=[report.sheets[0], entries, *report.sheets[1:]])
    path = tmp_path / "same.xlsx"
    render_report(same, path)
    assert "Entries have changed" not in pdf_text(convert(path, "pdf", tmp_path))

    entries.set(3, 0, dt.date(2026, 11, 4))
    changed = tmp_path / "changed.xlsx"
    render_report(same, changed)
    assert "Entries have changed" in pdf_text(convert(changed, "pdf", tmp_path))


def test_missing_and_non_finite_figures_render_as_blank_cells(
    result: Result, tmp_path: Path
) -> None:
    odd = dataclasses.replace(
        result.kpis[0],
        actual=float("nan"),
        target=float("inf"),
        expected=None,
        achievement=float("-inf"),
        forecast=float("nan"),
        last_entry=None,
        note=None,
        trend=None,
        name="Sales: 'EMEA' & \"APAC\" <b>",
        category="Ünïcødé ✓",
    )
    r = dataclasses.replace(result, kpis=[odd], categories=[])
    path = tmp_path / "odd.xlsx"
    render_report(build_report(r, refreshed_at=REFRESHED), path)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Summary").to_python()
    row = next(r for r in rows if r[COL["kpi"]] == odd.name)
    for key in ("actual", "target", "expected", "achievement", "forecast", "last_entry", "note"):
        assert row[COL[key]] == "", key
    assert rows[rows.index(row) - 1][0] == "Ünïcødé ✓"
