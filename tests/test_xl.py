"""The live-Excel adapter (kpisheets.xl, write.excel, read.xlwings_reader), tested
without Excel through the in-memory xlwings engine of tests/xlwings_engine.py: the
real xlwings wrappers and converters run, only the engine underneath is ours."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xlwings as xw

from kpisheets.errors import NotATrackerError, NotInExcelError
from kpisheets.model import ErrorValue
from kpisheets.read.xlwings_reader import clean_cell, read_book
from kpisheets.write.excel import frozen_range, rectangles
from tests.builders import simple_tracker_sheets, write_workbook
from tests.conftest import ROOT
from tests.xlwings_engine import XlError, book_from_sheets, open_book, register

SAMPLES = sorted((ROOT / "sample_workbooks").glob("*.xlsx"))
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _no_mock_caller() -> Iterator[None]:
    yield
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def _needs_pipeline() -> None:
    pytest.importorskip("kpisheets.validate", reason="validate has not landed yet")


# ---------------------------------------------------------------------------
# Import and caller


def test_import_needs_no_excel() -> None:
    code = (
        "import xlwings as xw, kpisheets.xl as xl;"
        "assert 'excel' not in [e.name for e in xw.engines];"
        "print(callable(xl.KPI_NPS))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_refresh_outside_excel_is_one_clear_sentence() -> None:
    from kpisheets import xl

    with pytest.raises(NotInExcelError) as info:
        xl.refresh()
    message = str(info.value)
    assert "not called from Excel" in message and "kpisheets refresh" in message
    assert "\n" not in message


def test_main_uses_the_mock_caller(tmp_path: Path) -> None:
    _needs_pipeline()
    from kpisheets import xl

    book = open_book(write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets()))
    book.set_mock_caller()
    xl.main()
    assert {"Summary", "History", "Problems"} <= set(book.sheet_names)
    status = book.app.impl.status_bar_value
    assert status.startswith("kpisheets: 3 KPIs as of 2026-11-20")


def test_main_shows_a_message_box_for_a_workbook_that_is_no_tracker() -> None:
    _needs_pipeline()
    from kpisheets import xl

    book = book_from_sheets({"Budget": [["Item", "Cost"], ["Rent", 100]]})
    book.set_mock_caller()
    xl.main()
    (alert,) = book.app.impl.alerts
    assert "is not a kpisheets tracker" in alert["prompt"]
    assert book.sheet_names == ["Budget"]  # nothing written


# ---------------------------------------------------------------------------
# Reading


@pytest.mark.parametrize("flavour", ["windows", "mac"])
def test_reader_turns_error_cells_into_error_values(flavour: str) -> None:
    sheets: dict[str, list[list[Any]]] = {
        "KPIs": [["ID", "KPI"], ["S", "Sales"]],
        "Entries": [
            ["Date", "KPI", "Value"],
            [dt.date(2026, 11, 2), "S", XlError("#N/A")],
            [None, None, None],
            [dt.date(2026, 11, 3), "S", 5],
            [XlError("#DIV/0!"), "S", 1.5],
        ],
    }
    raw = read_book(book_from_sheets(sheets, flavour=flavour))
    entries = raw.tables["Entries"]
    assert entries.headers == ["Date", "KPI", "Value"]
    assert entries.row_numbers == [2, 3, 4, 5]
    assert entries.rows[0] == [dt.date(2026, 11, 2), "S", ErrorValue("#N/A")]
    assert entries.rows[1] == [None, None, None]
    assert entries.rows[3][0] == ErrorValue("#DIV/0!")
    assert entries.cell_ref(0, 2) == "Entries!C2"


def test_clean_cell_knows_com_error_codes_and_midnight_dates() -> None:
    assert clean_cell(-2146826246) == ErrorValue("#N/A")
    assert clean_cell("#SPILL!") == ErrorValue("#SPILL!")
    assert clean_cell(dt.datetime(2026, 1, 2)) == dt.date(2026, 1, 2)
    assert clean_cell(dt.datetime(2026, 1, 2, 9, 30)) == dt.datetime(2026, 1, 2, 9, 30)
    assert clean_cell("") is None and clean_cell(7.0) == 7.0


def test_reader_is_one_bulk_read_per_sheet() -> None:
    book = book_from_sheets(_big_tracker(10_000))
    raw = read_book(book)
    assert len(raw.tables["Entries"].rows) == 10_000
    assert book.api.calls["read"] == 4  # KPIs, Entries, Targets, Settings


def test_reader_uses_the_sheets_table_and_its_position(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    sheets["Entries"] = [[None] * 5, *sheets["Entries"]]  # table starts on row 2
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    book = open_book(path)
    mem = book.sheets["Entries"].api
    from tests.xlwings_engine import MemTable

    mem.tables.append(MemTable("Entries", 2, 1, 10, 5))
    entries = read_book(book).tables["Entries"]
    assert entries.table_name == "Entries"
    assert entries.header_row == 2 and entries.row_numbers[0] == 3
    assert entries.rows[0][:3] == [dt.date(2026, 11, 2), "SALES", 2500.0]


def test_reader_refuses_a_workbook_without_kpis() -> None:
    book = book_from_sheets({"Entries": [["Date", "KPI", "Value"]]})
    with pytest.raises(NotATrackerError, match="no KPIs sheet"):
        read_book(book)


@pytest.mark.parametrize("as_tables", [False, True])
def test_reader_matches_the_file_reader(tmp_path: Path, as_tables: bool) -> None:
    _needs_pipeline()
    from kpisheets.read import read_workbook

    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=as_tables)
    live = read_book(open_book(path))
    file = read_workbook(path)
    assert live.tables.keys() == file.tables.keys()
    for name, table in file.tables.items():
        mine = live.tables[name]
        assert (mine.headers, mine.letters, mine.row_numbers, mine.header_row) == (
            table.headers,
            table.letters,
            table.row_numbers,
            table.header_row,
        ), name
        assert mine.table_name == table.table_name
        theirs = [[None if v == "" else v for v in row] for row in table.rows]
        assert mine.rows == theirs, name


# ---------------------------------------------------------------------------
# Writing


def test_rectangles_cover_blocks_with_few_calls() -> None:
    cells = {(r, c): "0.0%" for r in range(100) for c in (3, 4)}
    cells.update({(r, 5): "#,##0" for r in range(100)})
    assert rectangles(cells) == {"0.0%": [(0, 3, 99, 4)], "#,##0": [(0, 5, 99, 5)]}


def test_frozen_range() -> None:
    assert frozen_range(9, 1) == "A1:A9"
    assert frozen_range(5, 0) == "1:5"


def _refresh(book: xw.Book) -> Any:
    from kpisheets import xl

    return xl.refresh(book, as_of=AS_OF)


def test_refresh_leaves_every_other_sheet_untouched(tmp_path: Path) -> None:
    _needs_pipeline()
    sheets = simple_tracker_sheets()
    sheets["Entries"][3][3] = '=HYPERLINK("http://x")'
    book = open_book(write_workbook(tmp_path / "t.xlsx", sheets, as_tables=True))
    before = {s.name: s.api.snapshot() for s in book.sheets}
    _refresh(book)
    _refresh(book)  # a second refresh reuses the generated sheets
    after = {s.name: s.api.snapshot() for s in book.sheets if s.name in before}
    assert after == before
    assert book.sheet_names[-4:] == ["Summary", "History", "Problems", "Snapshots"]
    summary = book.sheets["Summary"].api
    assert len(summary.charts) == len({c.name for c in summary.charts})
    history = book.sheets["History"].api
    assert len(history.charts) == len(_report_for(tmp_path / "t.xlsx").sheet("History").charts)
    # User text is never a formula: the note with =HYPERLINK stays text.
    notes = [v for v in summary.values.values() if isinstance(v, str) and "HYPERLINK" in v]
    assert notes and all(not f.startswith("=HYPERLINK") for f in summary.formulas.values())


@pytest.mark.parametrize("chosen", ["Entries", "Summary"])
def test_live_refresh_keeps_the_sheet_on_screen(
    tmp_path: Path, chosen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In Excel the user is looking at the workbook: the refresh (adding a sheet
    activates it) leaves them on the sheet they were on, Summary or their own."""
    _needs_pipeline()
    book = open_book(write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=True))
    # The test engine as xlwings' active one, its newest app (this book's) in front:
    # Sheet.activate() checks that the app came to the front.
    monkeypatch.setattr(xw.engines, "active", register())
    book.sheets["Entries"].activate()
    _refresh(book)  # adds Summary, History, Problems and Snapshots
    assert book.sheets.active.name == "Entries"
    book.sheets[chosen].activate()
    _refresh(book)
    assert book.sheets.active.name == chosen


def test_refresh_refuses_a_users_own_summary_sheet(tmp_path: Path) -> None:
    _needs_pipeline()
    from kpisheets.write.package import SheetNameTakenError

    sheets = {**simple_tracker_sheets(), "Summary": [["My own notes"]]}
    book = open_book(write_workbook(tmp_path / "t.xlsx", sheets))
    before = book.sheets["Summary"].api.snapshot()
    with pytest.raises(SheetNameTakenError, match="did not create"):
        _refresh(book)
    assert book.sheets["Summary"].api.snapshot() == before
    assert "History" not in book.sheet_names


def test_refresh_writes_in_bulk_for_a_10k_row_tracker() -> None:
    _needs_pipeline()
    book = book_from_sheets(_big_tracker(10_000))
    result = _refresh(book)
    calls = book.api.calls
    assert calls["read"] == 4
    assert calls["write"] <= 3 * 3  # one block per sheet, chunked above 100k cells
    assert calls["cells_written"] < 200_000
    assert len(result.kpis) == 5


def test_export_pdf_prints_only_the_summary_next_to_the_workbook(tmp_path: Path) -> None:
    _needs_pipeline()
    from kpisheets import xl

    book = open_book(write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets()))
    _refresh(book)
    path = xl.export_pdf(book)
    assert path == tmp_path / "t Summary.pdf"
    (export,) = book.api.pdf_exports
    assert export["sheets"] == ["Summary"] and Path(export["path"]) == path
    assert all(s.api.visible for s in book.sheets)  # visibility restored


# ---------------------------------------------------------------------------
# Worksheet functions


def test_udfs_match_the_core() -> None:
    from kpisheets import xl
    from kpisheets.calc import achievement, nps

    assert xl.KPI_ACHIEVEMENT(90.0, 100.0) == achievement(90, 100) == 0.9
    assert xl.KPI_ACHIEVEMENT(90.0, 100.0, "Lower is better") == pytest.approx(1.1)
    assert xl.KPI_ACHIEVEMENT(30.0, 50.0, "lower", 10.0) == achievement(30, 50, "lower", 10)
    assert xl.KPI_ACHIEVEMENT(None, 100.0) is None
    assert xl.KPI_STATUS(95.0, 100.0) == "At risk"
    assert xl.KPI_STATUS(95.0, 100.0, "higher", None, 0.9, 0.8) == "On track"
    assert xl.KPI_STATUS(None, 100.0) == "No data"
    assert xl.KPI_STATUS(5.0, None) == "No target"
    assert xl.KPI_STATUS(104.0, 100.0, "Within range", None, None, None, 5.0) == "On track"
    assert xl.KPI_STATUS(80.0, 100.0, "Lower is better") == "On track"
    scores = [[10.0], [9.0], [8.0], [3.0], [None], ["n/a"]]
    assert xl.KPI_NPS(scores) == nps([10, 9, 8, 3]) == 25.0
    with pytest.raises(ValueError, match="not a direction"):
        xl.KPI_STATUS(1.0, 2.0, "sideways")


# ---------------------------------------------------------------------------
# Same sheets as the file refresh


def _report_for(path: Path) -> Any:
    from kpisheets.calc import compute
    from kpisheets.read import read_workbook
    from kpisheets.report import build_report
    from kpisheets.validate import validate

    return build_report(compute(validate(read_workbook(path)), AS_OF))


def _big_tracker(n: int) -> dict[str, list[list[Any]]]:
    sheets = simple_tracker_sheets()
    kpis = sheets["KPIs"]
    kpis.append(["VISITS", "Visits", "Web", "Cy", "visits", "Higher", "Sum", "Month", 50000])
    kpis.append(["LEADS", "Leads", "Web", "Cy", "", "Higher", "Count", "Month", 300])
    ids = ["SALES", "CHURN", "NPS", "VISITS", "LEADS"]
    start = dt.date(2025, 1, 1)
    entries: list[list[Any]] = [sheets["Entries"][0]]
    for i in range(n):
        kpi = ids[i % len(ids)]
        value = {"CHURN": 0.05, "NPS": float(i % 11)}.get(kpi, float(i % 97))
        entries.append([start + dt.timedelta(days=(i * 7) % 690), kpi, value, None, "Bot"])
    sheets["Entries"] = entries
    return sheets


# ---------------------------------------------------------------------------
# The live refresh writes what the file refresh writes, sample by sample

FIXED_NOW = dt.datetime(2026, 11, 20, 9, 30)
CF_TYPES = {
    "cellIs": "cell_value",
    "expression": "custom",
    "containsText": "custom",
    "dataBar": "data_bar",
    "colorScale": "color_scale",
    "iconSet": "icon_set",
}


def _argb(color: Any) -> tuple[int, int, int] | None:
    if color is None or color.type != "rgb" or not isinstance(color.rgb, str):
        return None
    text = color.rgb[-6:]
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _rgb(hex_or_tuple: Any) -> tuple[int, int, int] | None:
    if hex_or_tuple is None:
        return None
    if isinstance(hex_or_tuple, str):
        text = hex_or_tuple.lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    return tuple(hex_or_tuple)  # type: ignore[return-value]


def _kind(chart_type: str) -> str:
    """xlwings' chart types by family (``column_clustered`` → ``column``)."""
    return chart_type.split("_", 1)[0]


def _file_series(chart: Any) -> list[tuple[str, str, str, str | None]]:
    """(name, type, values, categories) of each series of a chart openpyxl read, in
    order: a combination chart's second chart (the target line) after the first."""
    out = []
    for sub in chart._charts:
        kind = "line" if sub.tagname == "lineChart" else {"col": "column"}.get(sub.barDir, "bar")
        for s in sub.series:
            cat = s.cat.strRef or s.cat.numRef if s.cat else None
            out.append((s.tx.v, kind, s.val.numRef.f, cat.f if cat else None))
    return out


def _live_series(chart: Any) -> list[tuple[str, str, str, str | None]]:
    """The same for a chart of the in-memory engine (a series' own type where set)."""
    return [
        (
            s["name"],
            _kind(s.get("chart_type") or chart.chart_type),
            s["values"],
            chart.categories,
        )
        for s in chart.series
    ]


def _compare_sheet(ws: Any, mem: Any) -> None:
    from openpyxl.utils import column_index_from_string

    file_values: dict[tuple[int, int], Any] = {}
    for row in ws.iter_rows():
        for cell in row:
            key = (cell.row, cell.column)
            if cell.value is not None and cell.value != "":
                file_values[key] = (cell.data_type, cell.value)
            if (cell.value is None or cell.value == "") and not cell.has_style:
                continue
            where = f"{ws.title}!{cell.coordinate}"
            assert mem.number_formats.get(key, "General") == cell.number_format, where
            fill = _argb(cell.fill.fgColor) if cell.fill.fill_type == "solid" else None
            assert _rgb(mem.fills.get(key)) == fill, where
            font = mem.fonts.get(key, {})
            assert bool(font.get("bold")) == bool(cell.font.b), where
            assert bool(font.get("italic")) == bool(cell.font.i), where
            if _argb(cell.font.color) is not None:
                assert _rgb(font.get("color", (0, 0, 0))) == _argb(cell.font.color), where
    live_keys = set(mem.values) | set(mem.formulas)
    assert live_keys == set(file_values), ws.title
    for key, (kind, value) in file_values.items():
        where = f"{ws.title}!{key}"
        if kind == "f":
            assert mem.formulas[key] == value, where
        elif isinstance(value, float | int) and not isinstance(value, bool):
            assert mem.values[key] == pytest.approx(value), where
        else:
            assert mem.values[key] == value, where
            assert key in mem.quote_prefix or not isinstance(value, str), where
    file_merges = {(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges}
    assert set(mem.merges) == file_merges, ws.title
    file_rules = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            operands = [f.lstrip("=") for f in (rule.formula or [])]
            file_rules.append(
                (
                    str(cf.sqref),
                    CF_TYPES.get(rule.type, rule.type),
                    operands[:1] if rule.type == "cellIs" else [],
                )
            )
    live_rules = [
        (
            r["range"],
            r["type"],
            [str(r["formula1"]).lstrip("=")] if r["type"] == "cell_value" else [],
        )
        for r in mem.conditional_formats
    ]
    assert sorted(live_rules) == sorted(file_rules), ws.title
    for letter, dim in ws.column_dimensions.items():
        if dim.customWidth and dim.width:
            for c in range(dim.min or column_index_from_string(letter), (dim.max or 0) + 1):
                assert mem.column_widths.get(c) == pytest.approx(dim.width, abs=0.75), (ws.title, c)
    assert len(mem.charts) == len(ws._charts), ws.title
    for file_chart, live_chart in zip(ws._charts, mem.charts, strict=True):
        assert _live_series(live_chart) == _file_series(file_chart), (ws.title, live_chart.title)
    if ws.freeze_panes:
        from openpyxl.utils.cell import coordinate_from_string

        letter, row = coordinate_from_string(ws.freeze_panes)
        assert mem.freeze == frozen_range(row - 1, column_index_from_string(letter) - 1)


@pytest.mark.parametrize("sample", SAMPLES + [None], ids=lambda p: p.stem if p else "simple")
def test_live_refresh_matches_the_file_refresh(
    tmp_path: Path, sample: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_pipeline()
    import functools
    import shutil

    import openpyxl

    import kpisheets.report
    from kpisheets.refresh import refresh_workbook

    monkeypatch.setattr(
        kpisheets.report,
        "build_report",
        functools.partial(kpisheets.report.build_report, refreshed_at=FIXED_NOW),
    )
    original = tmp_path / "original.xlsx"
    if sample is None:
        write_workbook(original, simple_tracker_sheets(), as_tables=True)
    else:
        shutil.copy(sample, original)
    refreshed = tmp_path / "refreshed.xlsx"
    refresh_workbook(original, as_of=AS_OF, output=refreshed)
    book = open_book(original)
    _refresh(book)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sparklines: an extension
        file_book = openpyxl.load_workbook(refreshed)
    try:
        for name in ("Summary", "History", "Problems"):
            _compare_sheet(file_book[name], book.sheets[name].api)
    finally:
        file_book.close()


def test_live_summary_links_the_left_out_line_to_problems(tmp_path: Path) -> None:
    from kpisheets import xl

    sheets = simple_tracker_sheets()
    sheets["Entries"].append(["not a date", "SALES", 5, None, "Ana"])
    book = open_book(write_workbook(tmp_path / "t.xlsx", sheets))
    book.set_mock_caller()
    xl.main()
    summary = book.sheets["Summary"].impl.mem
    line = "1 entry is left out of these figures (bad-date 1) — see Problems"
    [(key, link)] = summary.hyperlinks.items()
    assert link == ("#Problems!A1", line, "Go to the Problems sheet")
    assert summary.values[key] == line and key not in summary.formulas
    xl.main()  # a second refresh clears the sheet first: still one link
    assert list(book.sheets["Summary"].impl.mem.hyperlinks.values()) == [link]


def test_live_refresh_writes_the_funnel_drivers_actions_and_segments(tmp_path: Path) -> None:
    """The blocks of segments, funnels and actions reach live Excel too: the funnel
    chart as a stacked bar of three series read from History, the bottleneck row and
    sentence, the driver sentence, the actions column, History's segment rows and the
    "Action logged" marks and chart diamonds (cell by cell against the file refresh in
    the test above)."""
    _needs_pipeline()
    import shutil

    from kpisheets.report import FUNNEL_CHART_COL

    for name in ("sales-kpis.xlsx", "marketing-kpis.xlsx"):
        path = tmp_path / name
        shutil.copy(ROOT / "sample_workbooks" / name, path)
        book = open_book(path)
        _refresh(book)
        summary = book.sheets["Summary"].api
        texts = [v for v in summary.values.values() if isinstance(v, str)]
        history = book.sheets["History"].api
        history_texts = {v for v in history.values.values() if isinstance(v, str)}
        assert "Action logged" in history_texts
        assert any("overdue" in t for t in texts)  # the actions column
        if name == "sales-kpis.xlsx":
            (funnel,) = [c for c in summary.charts if c.chart_type == "bar_stacked"]
            assert len(funnel.series) == 3 and funnel.source and "History" in funnel.source
            assert funnel.left > 0 and FUNNEL_CHART_COL > 0
            assert "Proposals sent  ◀ bottleneck" in texts
            assert any(t.startswith("Bottleneck: Qualified leads → Proposals sent") for t in texts)
        else:
            assert any(t.startswith("↳ Bounce rate") for t in texts)
            assert {"Mobile", "Desktop"} <= history_texts
            # The actions' diamonds are a third series of the KPI's History chart.
            (chart,) = [c for c in history.charts if c.title == "Bounce rate"]
            assert [s["name"] for s in chart.series] == ["Actual", "Target", "Action logged"]
            assert chart.series[2]["marker_style"] == "diamond"
            assert "line_color" not in chart.series[2]
