"""Reading tracker workbooks written by other programs (XlsxWriter, openpyxl,
LibreOffice, Excel) through kpisheets.read, and refusing files that are no tracker."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from kpisheets.errors import NotATrackerError
from kpisheets.model import ErrorValue
from kpisheets.read import read_workbook
from kpisheets.read.package import UncalculatedFormula, open_package, scan_hidden_cells
from kpisheets.validate import check_workbook, validate
from tests.builders import simple_tracker_sheets, write_workbook
from tests.conftest import CORPUS, requires_corpus, requires_libreoffice
from tests.packages import member_text, parts_at_root, set_member


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("as_tables", [False, True], ids=["range", "table"])
def test_reads_every_input_sheet_with_locations(tmp_path: Path, as_tables: bool) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=as_tables)
    raw = read_workbook(path)
    assert set(raw.tables) == {"KPIs", "Entries", "Targets", "Settings"}
    entries = raw.tables["Entries"]
    assert entries.headers == ["Date", "KPI", "Value", "Note", "By"]
    assert entries.table_name == ("Entries" if as_tables else None)
    assert entries.rows[0][:3] == [dt.date(2026, 11, 2), "SALES", 2500.0]
    assert entries.row_numbers[0] == 2 and entries.header_row == 1
    assert entries.cell_ref(2, 2) == "Entries!C4"
    assert raw.date1904 is False


def test_sheet_and_column_names_ignore_case_spaces_and_order(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    entries = sheets.pop("Entries")
    # Columns reordered, renamed in odd case, an extra column kept.
    reordered = [[r[2], r[0], r[1], "x"] for r in entries]
    reordered[0] = [" VALUE", "date ", "Kpi", "My column"]
    sheets[" entries "] = reordered
    sheets["kpis"] = sheets.pop("KPIs")
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    raw = read_workbook(path)
    table = raw.tables["Entries"]
    assert table.sheet == " entries "
    assert table.headers[3] == "My column" and table.columns["my column"] == 3
    tracker = validate(raw)
    assert tracker.problems == []
    assert len(tracker.entries) == 8
    assert tracker.entries_sheet == " entries " and tracker.entries_date_column == "B"


def test_plain_range_away_from_a1_keeps_excel_locations(tmp_path: Path) -> None:
    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(str(path))
    kpis = book.add_worksheet("KPIs")
    kpis.write_row(0, 0, ["ID", "KPI"])
    kpis.write_row(1, 0, ["S", "Sales"])
    sheet = book.add_worksheet("Entries")
    sheet.write_row(2, 1, ["Date", "KPI", "Value"])  # header in B3
    sheet.write_row(3, 1, ["2026-11-03", "S", 5])
    sheet.write_row(5, 1, ["2026-11-04", "s", "oops"])  # a blank row 5 above it
    book.close()
    tracker = validate(read_workbook(path))
    assert tracker.entries_header_row == 3 and tracker.entries_date_column == "B"
    [problem] = tracker.problems
    assert (problem.code, problem.cell, problem.column) == ("bad-number", "Entries!D6", "Value")
    assert "'oops'" in problem.message
    assert tracker.entries["row"].tolist() == [4] and tracker.entry_count == 2


def test_table_with_totals_row_and_text_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "totals.xlsx"
    book = xlsxwriter.Workbook(str(path))
    kpis = book.add_worksheet("KPIs")
    kpis.write_row(0, 0, ["ID", "KPI"])
    kpis.write_row(1, 0, ["S", "Sales"])
    sheet = book.add_worksheet("Entries")
    sheet.write_row(0, 0, ["Date", "KPI", "Value"])
    sheet.write_row(1, 0, [46329, "S", 5])
    sheet.write_row(2, 0, [46330, "S", 6])
    sheet.write_string(0, 6, "Notes to self, outside the table")
    sheet.add_table(
        0,
        0,
        3,
        2,
        {
            "name": "EntryLog",
            "total_row": True,
            "columns": [
                {"header": "Date"},
                {"header": "KPI"},
                {"header": "Value", "total_function": "sum"},
            ],
        },
    )
    book.close()
    raw = read_workbook(path)
    table = raw.tables["Entries"]
    assert table.table_name == "EntryLog" and table.headers == ["Date", "KPI", "Value"]
    tracker = validate(raw)
    assert tracker.problems == []
    assert tracker.entries["value"].tolist() == [5.0, 6.0]  # the totals row is not an entry
    assert tracker.entries["date"].dt.date.tolist() == [dt.date(2026, 11, 3), dt.date(2026, 11, 4)]


def test_1904_date_system(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    sheets["Entries"].append([44867, "SALES", 1, None, None])  # a serial in 1904 days
    path = write_workbook(tmp_path / "mac.xlsx", sheets, date1904=True)
    raw = read_workbook(path)
    assert raw.date1904 is True
    tracker = validate(raw)
    assert tracker.problems == []
    dates = tracker.entries["date"].dt.date.tolist()
    assert dates[0] == dt.date(2026, 11, 2)  # date cells come out right in either system
    assert dates[-1] == dt.date(2026, 11, 3)  # 44867 days after 1904-01-01
    assert tracker.settings.as_of == dt.date(2026, 11, 20)


def test_error_cells_are_found_in_the_sheet_xml(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    book = xlsxwriter.Workbook(str(path))
    kpis = book.add_worksheet("KPIs")
    kpis.write_row(0, 0, ["ID", "KPI", "Target"])
    kpis.write_row(1, 0, ["S", "Sales"])
    kpis.write_formula(1, 2, "=1/0", None, "#DIV/0!")
    sheet = book.add_worksheet("Entries")
    sheet.write_row(0, 0, ["Date", "KPI", "Value", "Note"])
    sheet.write_row(1, 0, ["2026-11-02", "S"])
    sheet.write_formula(1, 2, "=VLOOKUP(1,A:A,2,0)", None, "#N/A")
    sheet.write_row(2, 0, ["2026-11-03", "S", 4])
    sheet.write_formula(2, 3, "=NA()", None, "#N/A")
    book.close()
    raw = read_workbook(path)
    assert raw.tables["Entries"].rows[0][2] == ""  # what calamine itself shows
    tracker = validate(raw)
    found = {(p.code, p.cell, p.severity) for p in tracker.problems}
    assert found == {
        ("excel-error", "KPIs!C2", "error"),
        ("excel-error", "Entries!C2", "error"),
        ("excel-error", "Entries!D3", "warning"),
    }
    assert all("#" in p.message for p in tracker.problems)
    assert raw.tables["Entries"].rows[0][2] == ErrorValue("#N/A")  # revealed in place
    assert tracker.entries["value"].tolist() == [4.0]
    assert tracker.entries["note"].tolist() == [None]
    assert tracker.kpi("S").valid is False


@requires_corpus
def test_excel_made_error_cells_and_1904_flag() -> None:
    path = CORPUS / "excel" / "formula_results01.xlsx"
    if not path.exists():
        pytest.skip("formula_results01.xlsx is not in the corpus")
    package = open_package(path)
    found = scan_hidden_cells(path, package.sheet_parts["Sheet1"])
    assert found[(6, 0)] == ErrorValue("#N/A") and found[(12, 0)] == ErrorValue("#DIV/0!")
    assert len(found) == 8  # every error cell, and no ordinary formula
    assert open_package(CORPUS / "excel" / "date_1904_02.xlsx").date1904 is True
    assert open_package(CORPUS / "excel" / "date_1904_01.xlsx").date1904 is False


def test_openpyxl_file_with_uncalculated_formulas(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    kpis = book.active
    assert kpis is not None
    kpis.title = "KPIs"
    kpis.append(["ID", "KPI", "Aggregation"])
    kpis.append(["VISITS", "Visits", "Sum"])
    entries = book.create_sheet("Entries")
    entries.append(["Date", "KPI", "Value", "Note"])
    entries.append([dt.datetime(2026, 11, 2), "visits", 120, "first"])
    entries.append(["=TODAY()", "VISITS", "=100+20", None])
    path = tmp_path / "openpyxl.xlsx"
    book.save(path)
    raw = read_workbook(path)
    tracker = validate(raw)
    assert [(p.code, p.cell) for p in tracker.problems] == [
        ("uncalculated-formula", "Entries!A3"),
        ("uncalculated-formula", "Entries!C3"),
    ]
    assert "=TODAY()" in tracker.problems[0].message
    assert isinstance(raw.tables["Entries"].rows[1][0], UncalculatedFormula)
    assert tracker.entries["kpi"].tolist() == ["VISITS"]  # normalised to the KPIs spelling


@requires_libreoffice
def test_libreoffice_saved_tracker(tmp_path: Path) -> None:
    from tests.libreoffice import convert

    source = write_workbook(tmp_path / "lo.xlsx", simple_tracker_sheets(), as_tables=True)
    saved = convert(source, "xlsx", tmp_path / "out")
    tracker = validate(read_workbook(saved))
    original = validate(read_workbook(source))
    assert tracker.problems == []
    assert tracker.entries.drop(columns="row").equals(original.entries.drop(columns="row"))
    assert [k.id for k in tracker.kpis] == ["SALES", "CHURN", "NPS"]


# ---------------------------------------------------------------------------
# Files that are not trackers: one sentence, the file untouched.


def refused(path: Path) -> str:
    before = digest(path)
    with pytest.raises(NotATrackerError) as info:
        read_workbook(path)
    assert digest(path) == before
    message = str(info.value)
    assert path.name in message and message.endswith(".") and "\n" not in message
    return message


def test_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text("Date,KPI,Value\n2026-11-03,SALES,5\n", encoding="utf-8")
    assert "text file" in refused(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in refused(path)


def test_truncated_workbook_is_refused(tmp_path: Path) -> None:
    whole = write_workbook(tmp_path / "whole.xlsx", simple_tracker_sheets())
    data = whole.read_bytes()
    for cut in (len(data) // 2, len(data) - 30):
        path = tmp_path / f"cut{cut}.xlsx"
        path.write_bytes(data[:cut])
        assert "damaged" in refused(path)


def test_damaged_sentence_has_no_library_wording(tmp_path: Path) -> None:
    whole = write_workbook(tmp_path / "whole.xlsx", simple_tracker_sheets())
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole.read_bytes()[:-30])
    assert refused(path) == (
        "cut.xlsx is damaged or incomplete and cannot be read; restore it from a backup "
        "or re-save it in Excel."
    )


@pytest.mark.parametrize(
    ("name", "macros", "rename_to"),
    [
        ("t.xls", False, "t.xlsx"),
        ("T.XLS", False, "T.xlsx"),
        ("t.xlsb", False, "t.xlsx"),
        ("t.ods", False, "t.xlsx"),
        ("t.xls", True, "t.xlsm"),
    ],
)
def test_a_zip_workbook_with_another_formats_suffix_is_told_to_rename(
    tmp_path: Path, name: str, macros: bool, rename_to: str
) -> None:
    whole = write_workbook(tmp_path / "whole.xlsx", simple_tracker_sheets())
    path = tmp_path / name
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        if macros:
            dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    message = refused(path)
    assert f"named {path.suffix}; rename it to {rename_to} and try again." in message
    assert "error" not in message.lower()
    (tmp_path / rename_to).write_bytes(path.read_bytes())
    assert read_workbook(tmp_path / rename_to).tables["Entries"].rows


@pytest.mark.parametrize("suffix", ["", ".zip", ".XLSX", ".xlam"])
def test_a_zip_workbook_with_a_neutral_suffix_is_read(tmp_path: Path, suffix: str) -> None:
    whole = write_workbook(tmp_path / "whole.xlsx", simple_tracker_sheets())
    path = tmp_path / f"tracker{suffix}"
    path.write_bytes(whole.read_bytes())
    assert validate(read_workbook(path)).problems == []


def test_corrupt_member_is_refused(tmp_path: Path) -> None:
    whole = write_workbook(tmp_path / "whole.xlsx", simple_tracker_sheets())
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2]  # XML cut in the middle of a row
            dst.writestr(info, data)
    assert "damaged" in refused(path)


def test_other_zip_documents_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument" in refused(path)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in refused(plain)


def test_encrypted_workbook_is_refused(tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto", reason="pip install msoffcrypto-tool")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_workbook(tmp_path / "plain.xlsx", simple_tracker_sheets())
    path = tmp_path / "secret.xlsx"
    with open(plain, "rb") as src, open(path, "wb") as out:
        OOXMLFile(src).encrypt("s3cret", out)
    with open(path, "rb") as f:
        assert msoffcrypto.OfficeFile(f).is_encrypted()
    assert "password" in refused(path)


@requires_libreoffice
def test_legacy_xls_is_refused(tmp_path: Path) -> None:
    from tests.libreoffice import convert

    source = write_workbook(tmp_path / "old.xlsx", simple_tracker_sheets())
    path = convert(source, "xls", tmp_path / "xls")
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    assert ".xlsx" in refused(path) and "97" in refused(path)


def test_missing_required_sheet(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    del sheets["Entries"]
    path = write_workbook(tmp_path / "budget.xlsx", sheets)
    message = refused(path)
    assert "no Entries sheet" in message and "kpisheets init" in message
    raw = read_workbook(path, strict=False)
    assert [(p.code, p.sheet, p.severity) for p in raw.problems] == [
        ("missing-sheet", "Entries", "error")
    ]
    assert [p.code for p in check_workbook(path)] == ["missing-sheet"]


def test_optional_sheets_may_be_absent(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    del sheets["Targets"], sheets["Settings"]
    tracker = validate(read_workbook(write_workbook(tmp_path / "t.xlsx", sheets)))
    assert tracker.problems == [] and tracker.targets.empty
    assert tracker.settings.title == "KPI Summary"


# ---------------------------------------------------------------------------
# The cyclic garbage collector stays off from reading to the computed result


@pytest.mark.parametrize(
    ("call", "last_stage"),
    [("load", "kpisheets.validate.validate"), ("status", "kpisheets.calc.compute"),
     ("check", "kpisheets.calc.compute")],
)  # fmt: skip
def test_the_garbage_collector_stays_off_until_the_result_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, last_stage: str
) -> None:
    """The reader's rows hold no cycles; a collection pass over a million of them
    costs about a quarter of a second, so the collector must not come back on between
    reading and the last stage (it used to, as soon as the reader returned)."""
    import gc
    import importlib

    import kpisheets

    module_name, _, name = last_stage.rpartition(".")
    module = importlib.import_module(module_name)
    stage = getattr(module, name)
    seen: list[bool] = []

    def probe(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return stage(*args, **kwargs)

    monkeypatch.setattr(module, name, probe)
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    if call == "load":
        kpisheets.load(path)
    elif call == "status":
        kpisheets.status(path, "2026-11-20")
    else:
        check_workbook(path, dt.date(2026, 11, 20))
    assert seen == [False]
    assert gc.isenabled()  # restored afterwards


@pytest.mark.parametrize("as_table", [False, True])
@pytest.mark.parametrize(("top", "left"), [(0, 0), (4, 2)])
def test_rows_read_as_calamine_gives_them_with_repeated_values_shared(
    tmp_path: Path, as_table: bool, top: int, left: int
) -> None:
    # The rows are read row by row and the Date/KPI/By cells shared (one Python object
    # per distinct value): Excel's 1,048,575 entries then peak at 451 MiB in check,
    # not 612. The values must be exactly what calamine's own to_python() gives.
    from python_calamine import CalamineWorkbook

    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    book.add_worksheet("KPIs").write_row(0, 0, ["ID", "KPI"])
    sheet = book.add_worksheet("Entries")
    if as_table and top:
        sheet.write(0, 0, "a note above the table")
    header = ["Date", "KPI", "Value", "Note", "By"]
    rows = [
        [dt.date(2026, 11, 1 + i % 3), f"K{i % 2}", i * 1.5, "x" if i % 4 else "", "Ana"]
        for i in range(12)
    ]
    if as_table:
        sheet.add_table(
            top, left, top + len(rows), left + 4,
            {"name": "Entries", "columns": [{"header": h} for h in header], "total_row": False},
        )  # fmt: skip
    else:
        sheet.write_row(top, left, header)
    for r, row in enumerate(rows, start=top + 1):
        sheet.write_datetime(r, left, row[0], date)
        sheet.write_row(r, left + 1, row[1:])
    sheet.write(top + len(rows) + 3, left + 6, "beside, below")
    book.close()

    table = read_workbook(path).tables["Entries"]
    with CalamineWorkbook.from_path(str(path), load_tables=True) as calamine:
        if as_table:
            expected = calamine.get_table_by_name("Entries").to_python()
        else:
            expected = calamine.get_sheet_by_name("Entries").to_python(skip_empty_area=True)[1:]
    assert table.rows == expected
    assert [r[:5] for r in table.rows[: len(rows)]] == rows
    assert table.row_numbers[0] == top + 2
    kpi_cells = [r[1] for r in table.rows]
    assert kpi_cells[0] is kpi_cells[2] and kpi_cells[1] is kpi_cells[3]  # shared
    assert table.rows[0][0] is table.rows[3][0]  # the same date, one object


# ---------------------------------------------------------------------------
# python-calamine panics (a BaseException) become a sentence or a problem on a cell


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process with Rust backtraces switched on, as a user with
    RUST_BACKTRACE=1 in their environment would run it."""
    return subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RUST_BACKTRACE": "1"},
    )


def assert_no_traceback(stderr: str) -> None:
    for marker in ("Traceback", "panicked", "stack backtrace", "PanicException"):
        assert marker not in stderr, stderr


def far_past_date_tracker(path: Path, as_tables: bool) -> Path:
    """A tracker whose Entries!A3 is a date-formatted cell holding −1.07e11, which
    python-calamine panics on when it converts the row."""
    sheets = simple_tracker_sheets()
    sheets["Entries"][2] = [-1.07e11, *sheets["Entries"][2][1:]]
    book = write_workbook(path, sheets, as_tables=as_tables)
    # write_workbook formats only date objects as dates; format A3 as one too.
    xml = member_text(book, "xl/worksheets/sheet2.xml")
    date_style = re.search(r'<c r="A2" s="(\d+)"', xml).group(1)  # type: ignore[union-attr]
    xml = re.sub(r'<c r="A3"', f'<c r="A3" s="{date_style}"', xml, count=1)
    return set_member(book, "xl/worksheets/sheet2.xml", xml)


@pytest.mark.parametrize("as_tables", [False, True], ids=["range", "table"])
def test_a_cell_calamine_panics_on_is_a_problem_on_that_cell(
    tmp_path: Path, as_tables: bool
) -> None:
    path = far_past_date_tracker(tmp_path / "t.xlsx", as_tables)
    raw = read_workbook(path)
    entries = raw.tables["Entries"]
    assert entries.rows[1][0] == -1.07e11  # the row read from the XML, as a serial number
    assert entries.rows[1][1:3] == simple_tracker_sheets()["Entries"][2][1:3]
    assert entries.rows[0][0] == dt.date(2026, 11, 2)  # the rows around it as calamine reads
    problems = check_workbook(path, dt.date(2026, 11, 20))
    assert [(p.code, p.cell) for p in problems] == [("bad-date", "Entries!A3")]
    run = run_cli("check", str(path), "--as-of", "2026-11-20")
    assert run.returncode == 1 and "Entries!A3" in run.stdout
    assert_no_traceback(run.stderr)


def test_a_package_with_its_parts_at_the_zip_root_is_read(tmp_path: Path) -> None:
    """python-calamine's table reader panics ("Must be a parent folder") on such a
    package; the tracker is read without its Table metadata instead."""
    path = parts_at_root(write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), True))
    raw = read_workbook(path)
    assert raw.tables["Entries"].rows[0][:3] == [dt.date(2026, 11, 2), "SALES", 2500.0]
    run = run_cli("status", str(path), "--as-of", "2026-11-20")
    assert run.returncode == 0, run.stderr
    assert_no_traceback(run.stderr)


def test_a_panic_that_cannot_be_worked_around_is_the_readers_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every call to python-calamine reading the Tables too, the panic on a
    package whose parts sit at the zip root reaches the reader's boundary."""
    import python_calamine

    import kpisheets.read.calamine as reader

    path = parts_at_root(write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), True))
    real = python_calamine.CalamineWorkbook.from_path

    def always_with_tables(p: str, **_: object) -> object:
        return real(p, load_tables=True)

    monkeypatch.setattr(reader.CalamineWorkbook, "from_path", always_with_tables)
    with pytest.raises(NotATrackerError, match=r"t\.xlsx is damaged or incomplete"):
        read_workbook(path)


def test_calamine_calls_keep_rusts_panic_output_off_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import python_calamine

    from kpisheets.calamine_guard import ReaderPanic, calamine_calls

    path = far_past_date_tracker(tmp_path / "t.xlsx", as_tables=False)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    with pytest.raises(ReaderPanic, match="out of bounds"), calamine_calls():
        os.write(2, b"held\n")
        book.get_sheet_by_name("Entries").to_python()
    err = capfd.readouterr().err
    assert "panicked" not in err and "held" not in err  # after a panic, all is dropped
    with calamine_calls():
        os.write(2, b"passed on\n")
        book.get_sheet_by_name("KPIs").to_python()
    assert capfd.readouterr().err == "passed on\n"
