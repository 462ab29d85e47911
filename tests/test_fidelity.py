"""Fidelity of init + refresh on workbooks saved by real Excel, and the round trip.

For every workbook in ../shared/corpus: ``init`` (with the sales template's example
rows, so there are entries), ``refresh``, ``refresh`` again. Every part kpisheets does
not own must be byte-identical to the original (raw compressed bytes, CRC and sizes,
and decompressed); the parts the splice edits (workbook.xml, its rels,
[Content_Types].xml, styles.xml) must keep every original element unchanged;
styles.xml must not grow on the second refresh; openpyxl and python-calamine open
every result and LibreOffice converts a representative subset to PDF (about 3–4 s a
file on a 2-core machine, so all 211 would take over 10 minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from click.testing import CliRunner

from kpisheets.cli import cli
from kpisheets.errors import WorkbookOpenError
from kpisheets.init import init_workbook
from kpisheets.model import INPUT_SHEETS, OWNED_SHEETS, Status
from kpisheets.refresh import refresh_workbook
from kpisheets.write.package import SheetNameTakenError, owned_sheets
from tests.conftest import CORPUS, requires_corpus, requires_libreoffice
from tests.libreoffice import convert, pdf_text
from tests.test_splice import EDITED, assert_untouched, member

AS_OF = dt.date(2026, 11, 20)
# What a plain refresh writes: every owned sheet but Imported (written by an import).
REFRESHED_SHEETS = [s for s in OWNED_SHEETS if s != "Imported"]

CORPUS_FILES = (
    sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.xls[xm]"))
    if CORPUS.is_dir()
    else []
)
# Producers' workbooks that init + refresh still damages or crashes on (issue 9 is
# fixing them). strict: a file that starts passing fails here until it leaves this list.
KNOWN_DAMAGED = {
    "producers/ExcelDataReader__Fillreport.xlsx",
    "producers/ExcelDataReader__NoDimensionOrCellReferenceAttribute.xlsx",
    "producers/ExcelDataReader__TestExcel_2040.xlsx",
    "producers/ExcelDataReader__Test_Issue_12667_GoogleExport_MissingColumns.xlsx",
    "producers/ExcelDataReader__Test_git_issue_224_firstoddeven.xlsx",
    "producers/ExcelDataReader__Test_git_issue_324.xlsx",
    "producers/ExcelDataReader__Test_git_issue_385_backslash.xlsx",
    "producers/ExcelDataReader__Test_git_issue_532.xlsx",
    "producers/ExcelDataReader__Test_git_issue_629.xlsx",
    "producers/ExcelDataReader__Test_hashes.xlsx",
    "producers/PhpSpreadsheet__issue.1482.xlsx",
    "producers/PhpSpreadsheet__issue.2246a.xlsx",
    "producers/PhpSpreadsheet__pr1769e.xlsx",
    "producers/PhpSpreadsheet__rootZipFiles.xlsx",
    "producers/calamine__date_quoted_format.xlsx",
    "producers/calamine__empty_shared_string_value.xlsx",
    "producers/calamine__nonstandard-xml-ns-prefix.xlsx",
    "producers/exceljs__test-issue-771.xlsx",
    "producers/poi__59021.xlsx",
    "producers/poi__59746_NoRowNums.xlsx",
    "producers/poi__clusterfuzz-testcase-minimized-POIXSSFFuzzer-5089447305609216.xlsx",
    "producers/poi__xlsx-corrupted.xlsx",
    "producers/spreadsheet-parsexlsx__bug-61.xlsx",
    "producers/xlsx__badfile_noWorksheets.xlsx",
}


LIBREOFFICE_SUBSET = [
    "excel/button07.xlsm",
    "excel/chart_area01.xlsx",
    "epplus/SparklineDemos.xlsx",
    "epplus/Slicers.xlsx",
    "epplus/PivotTableBackedByExcelTable.xlsx",
]


def flat_elements(xml: bytes) -> Counter[tuple[object, ...]]:
    """Every element as (path, attributes without ``count``, text), counted."""
    found: Counter[tuple[object, ...]] = Counter()

    def walk(elem: ET.Element, path: tuple[str, ...]) -> None:
        here = (*path, elem.tag)
        attrs = tuple(sorted((k, v) for k, v in elem.attrib.items() if k != "count"))
        found[(here, attrs, (elem.text or "").strip())] += 1
        for child in elem:
            walk(child, here)

    walk(ET.fromstring(xml), ())
    return found


def assert_only_additions(original: Path, result: Path) -> None:
    """The edited parts keep every element of the original, unchanged."""
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(result) as zr:
        for name in EDITED:
            if name not in zo.namelist():
                continue
            missing = flat_elements(zo.read(name)) - flat_elements(zr.read(name))
            assert not missing, f"{name} lost or changed: {list(missing)[:3]}"


def open_everywhere(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl drops x14 extensions
        book = openpyxl.load_workbook(path)
    assert book.sheetnames[-4:] == REFRESHED_SHEETS
    values = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in values.sheet_names:
        values.get_sheet_by_name(name).to_python()
    summary = values.get_sheet_by_name("Summary").to_python()
    assert any("Sales KPIs" in str(v) for row in summary[:4] for v in row)


@requires_corpus
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(n in KNOWN_DAMAGED, reason="issue 9", strict=True))
        for n in CORPUS_FILES
    ],
)
def test_init_refresh_refresh_keeps_every_part(name: str, tmp_path: Path) -> None:
    original = CORPUS / name
    path = tmp_path / original.name
    shutil.copy(original, path)
    assert init_workbook(path, template="sales") == list(INPUT_SHEETS)
    refresh_workbook(path, as_of=AS_OF)
    styles_first = member(path, "xl/styles.xml")
    first = path.read_bytes()
    refresh_workbook(path, as_of=AS_OF)
    assert len(member(path, "xl/styles.xml")) == len(styles_first)
    # Same data, same day: the second refresh writes the same bytes (but for the
    # "Refreshed at" time, which may tick over a minute; compare parts otherwise).
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(io_bytes(first)) as f:
        assert z.namelist() == f.namelist()
        assert z.read("xl/workbook.xml") == f.read("xl/workbook.xml")
    assert owned_sheets(path) == REFRESHED_SHEETS
    assert_untouched(original, path)
    assert_only_additions(original, path)
    open_everywhere(path)


def io_bytes(data: bytes) -> object:
    import io

    return io.BytesIO(data)


@requires_corpus
@requires_libreoffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("name", LIBREOFFICE_SUBSET)
def test_libreoffice_converts_refreshed_workbooks(name: str, tmp_path: Path) -> None:
    path = tmp_path / Path(name).name
    shutil.copy(CORPUS / name, path)
    init_workbook(path, template="sales")
    refresh_workbook(path, as_of=AS_OF)
    refresh_workbook(path, as_of=AS_OF)
    text = pdf_text(convert(path, "pdf", tmp_path / "pdf"))
    assert "Sales KPIs" in text and "Problems" in text


# ---------------------------------------------------------------------------
# The round trip: what the Summary shows is what `status --format json` says.


def blank_user_workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Notes").write_string("A1", "Our team's own notes")
    book.close()
    return path


def test_summary_reads_back_as_status_json(tmp_path: Path) -> None:
    path = blank_user_workbook(tmp_path / "team.xlsx")
    init_workbook(path, template="sales")
    result = refresh_workbook(path, as_of=AS_OF)
    # A separate process, as a user runs it (and independent of this process' imports).
    status = subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", "status", str(path), "--as-of", AS_OF.isoformat()]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    expected = json.loads(status.stdout)
    assert expected == json.loads(json.dumps(result.to_dict()))

    rows = (
        python_calamine.CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name("Summary")
        .to_python()
    )
    header_index = next(i for i, r in enumerate(rows) if r[:1] == ["KPI"] and "Actual" in r)
    header = rows[header_index]
    col = {h: header.index(h) for h in header if h}
    by_name: dict[object, list[object]] = {}
    for r in rows[header_index + 1 :]:  # the KPI table first: a funnel block repeats names
        if r and r[0]:
            by_name.setdefault(r[0], r)
    labels = {s.value: s.label for s in Status}
    assert expected["kpis"], "the sales template has KPIs"
    for k in expected["kpis"]:
        row = by_name[k["name"]]
        for key, column in [
            ("actual", "Actual"),
            ("target", "Target"),
            ("expected", "Expected by now"),
            ("achievement", "% of target"),
            ("forecast", "Forecast"),
        ]:
            shown = row[col[column]]
            if k[key] is None:
                assert shown in ("", None), (k["id"], column, shown)
            else:
                assert shown == pytest.approx(k[key], rel=1e-9, abs=1e-12), (k["id"], column)
        assert row[col["Status"]] == labels[k["status"]], k["id"]
        last = row[col["Last entry"]]
        if k["last_entry"]:
            assert isinstance(last, dt.date) and last.isoformat()[:10] == k["last_entry"]
        assert (row[col["Latest note"]] or None) == k["note"], k["id"]


def test_refresh_with_output_leaves_original_untouched(tmp_path: Path) -> None:
    path = blank_user_workbook(tmp_path / "team.xlsx")
    init_workbook(path, template="sales")
    before = path.read_bytes()
    out = tmp_path / "nov.xlsx"
    refresh_workbook(path, as_of=AS_OF, output=out)
    assert path.read_bytes() == before
    assert owned_sheets(out) == REFRESHED_SHEETS


def test_refresh_failure_leaves_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = blank_user_workbook(tmp_path / "team.xlsx")
    init_workbook(path, template="sales")
    refresh_workbook(path, as_of=AS_OF)
    before = path.read_bytes()
    import kpisheets.write.xlsx

    def broken(report: object, target: object, **options: object) -> None:
        raise RuntimeError("render failed")

    monkeypatch.setattr(kpisheets.write.xlsx, "render_report", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        refresh_workbook(path, as_of=dt.date(2026, 11, 25))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.xlsx"]


def test_refresh_refuses_while_open_in_excel(tmp_path: Path) -> None:
    path = blank_user_workbook(tmp_path / "team.xlsx")
    init_workbook(path, template="sales")
    (tmp_path / "~$team.xlsx").write_bytes(b"")
    before = path.read_bytes()
    with pytest.raises(WorkbookOpenError):
        refresh_workbook(path, as_of=AS_OF)
    run = CliRunner().invoke(cli, ["refresh", str(path)])
    assert run.exit_code == 1 and "close it" in run.output
    assert path.read_bytes() == before


def test_refresh_refuses_a_users_own_summary_sheet(tmp_path: Path) -> None:
    path = tmp_path / "team.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Summary").write_string("A1", "My own summary, hands off")
    book.close()
    init_workbook(path, template="sales")
    before = path.read_bytes()
    with pytest.raises(SheetNameTakenError, match="'Summary'"):
        refresh_workbook(path, as_of=AS_OF)
    assert path.read_bytes() == before
    run = CliRunner().invoke(cli, ["refresh", str(path)])
    assert run.exit_code == 1 and "did not create" in run.output


def test_init_adds_only_missing_sheets_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "half.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("kpis ").write_string("A1", "ID")
    book.close()
    original = tmp_path / "original.xlsx"
    shutil.copy(path, original)
    assert init_workbook(path) == ["Entries", "Targets", "Settings", "Actions", "Sources"]
    assert_untouched(original, path)
    assert init_workbook(path) == []
    run = CliRunner().invoke(cli, ["init", str(path)])
    assert run.exit_code == 0 and "already a tracker" in run.output


def test_init_renames_a_table_name_already_taken(tmp_path: Path) -> None:
    path = tmp_path / "tables.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.add_table("A1:B3", {"name": "Entries", "columns": [{"header": "a"}, {"header": "b"}]})
    book.close()
    assert init_workbook(path) == list(INPUT_SHEETS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = openpyxl.load_workbook(path)
    assert set(loaded["Data"].tables) == {"Entries"}
    assert set(loaded["Entries"].tables) == {"Entries_2"}
    assert set(loaded["KPIs"].tables) == {"KPIs"}
    assert "KPI_IDs" in loaded.defined_names


def test_refresh_cli_reports_problems_and_writes_them(tmp_path: Path) -> None:
    from tests.builders import simple_tracker_sheets, write_workbook

    sheets = simple_tracker_sheets()
    sheets["Entries"].append([dt.date(2026, 11, 3), "NOPE", 5, None, "Ana"])
    path = write_workbook(tmp_path / "t.xlsx", sheets, as_tables=True)
    run = subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", "refresh", str(path), "--as-of", "2026-11-20"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "unknown-kpi" in run.stderr and "Entries!B" in run.stderr
    assert "Refreshed" in run.stdout
    problems = (
        python_calamine.CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name("Problems")
        .to_python()
    )
    assert any("unknown-kpi" in row for row in problems)
