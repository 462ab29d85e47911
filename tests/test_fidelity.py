"""Fidelity of init + refresh on workbooks other programs made, and the round trip.

For every workbook in ../shared/corpus (saved by Excel, by EPPlus, and by the other
producers of ``producers/``: LibreOffice, WPS, Google Sheets, openpyxl, the Open XML
SDK, POI, hand-made packages…) and for trackers the tests build with openpyxl,
pandas and LibreOffice: ``init`` (with the sales template's example rows, so there
are entries), ``refresh``, ``refresh`` again. Then

* every part kpisheets does not own is byte-identical to the original (raw
  compressed bytes, CRC and sizes, and decompressed); the parts the splice edits
  (the workbook part, its relationships, the content types and the styles part, found
  through the package's relationships) keep every original element unchanged;
* every XML part that was well-formed is still well-formed, with every prefix bound;
* the styles part does not grow on the second refresh, and the same data gives the
  same workbook part;
* openpyxl, python-calamine, Apache POI (one JVM for all files) and LibreOffice (one
  batch process) open every result that they opened before.

A file that cannot be a workbook at all, or that kpisheets cannot update (Strict
Open XML), is refused with one sentence and left untouched; those are listed in
:data:`REFUSED` with the sentence expected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
import xlsxwriter
from click.testing import CliRunner

from kpisheets.cli import cli
from kpisheets.errors import KpisheetsError, WorkbookOpenError
from kpisheets.init import init_workbook
from kpisheets.model import INPUT_SHEETS, OWNED_SHEETS, Status
from kpisheets.refresh import refresh_workbook
from kpisheets.write.package import SheetNameTakenError, owned_sheets
from tests.conftest import CORPUS, requires_corpus, requires_libreoffice
from tests.libreoffice import convert_many, soffice
from tests.packages import edited_parts
from tests.poi import classpath, open_with_poi
from tests.test_splice import assert_untouched

AS_OF = dt.date(2026, 11, 20)
# What a plain refresh writes: every owned sheet but Imported (written by an import).
REFRESHED_SHEETS = [s for s in OWNED_SHEETS if s != "Imported"]

CORPUS_FILES = (
    sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.xls[xm]"))
    if CORPUS.is_dir()
    else []
)
_STRICT = "is saved as Strict Open XML, which kpisheets can read but not update"
# Files refused with one sentence (and left untouched), with the sentence expected.
REFUSED = {
    "producers/ExcelDataReader__TestExcel_2040.xlsx": _STRICT,
    "producers/ExcelDataReader__Test_Issue_12667_GoogleExport_MissingColumns.xlsx": _STRICT,
    "producers/ExcelDataReader__Test_git_issue_224_firstoddeven.xlsx": _STRICT,
    "producers/ExcelDataReader__Test_git_issue_385_backslash.xlsx": _STRICT,
    "producers/ExcelDataReader__Test_git_issue_532.xlsx": _STRICT,
    "producers/ExcelDataReader__Test_hashes.xlsx": _STRICT,
    # A fuzzer's truncated zip, and a package whose _rels/.rels reads "CORRUPTED".
    "producers/poi__clusterfuzz-testcase-minimized-POIXSSFFuzzer-5089447305609216.xlsx": (
        "is damaged or incomplete and cannot be read"
    ),
    "producers/poi__xlsx-corrupted.xlsx": r"has a part kpisheets cannot read \(_rels/\.rels",
}


# ---------------------------------------------------------------------------
# What a package is, read independently of kpisheets (zipfile + ElementTree).


def styles_member(path: Path) -> bytes:
    """The styles part's bytes (found through relationships)."""
    with zipfile.ZipFile(path) as z:
        for name in edited_parts(path):
            data = z.read(name)
            if b"styleSheet" in data[:400]:
                return data
    raise AssertionError("no styles part")


def well_formed_parts(path: Path) -> set[str]:
    """The XML parts that ElementTree (expat, namespace-aware: an unbound prefix is
    an error) parses."""
    good = set()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.lower().endswith((".xml", ".rels")):
                try:
                    ET.fromstring(z.read(name))
                except ET.ParseError:
                    continue
                good.add(name)
    return good


def flat_elements(xml: bytes) -> Counter[tuple[object, ...]]:
    """Every element as (path, attributes without ``count``, text), counted. A
    window's ``activeTab`` is left out too: a refresh points it at Summary when nobody
    chose a sheet (docs/refresh.md; tests/test_open_on_summary.py checks when)."""
    found: Counter[tuple[object, ...]] = Counter()
    stack = [(ET.fromstring(xml), ())]
    while stack:
        elem, path = stack.pop()
        here = (*path, elem.tag)
        window = elem.tag.endswith("}workbookView")
        attrs = tuple(
            sorted(
                (k, v)
                for k, v in elem.attrib.items()
                if k != "count" and not (window and k == "activeTab")
            )
        )
        found[(here, attrs, (elem.text or "").strip())] += 1
        stack.extend((child, here) for child in elem)
    return found


def assert_only_additions(original: Path, result: Path) -> None:
    """The edited parts keep every element of the original, unchanged."""
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(result) as zr:
        for name in edited_parts(original):
            missing = flat_elements(zo.read(name)) - flat_elements(zr.read(name))
            assert not missing, f"{name} lost or changed: {list(missing)[:3]}"


def readers_that_open(path: Path) -> set[str]:
    """Which of openpyxl and python-calamine open ``path`` and read every sheet."""
    opened = set()
    try:
        with warnings.catch_warnings(), open(path, "rb") as stream:
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
            openpyxl.load_workbook(stream).close()
        opened.add("openpyxl")
    except Exception:  # noqa: BLE001 - any failure means "does not open"
        pass
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()
        opened.add("calamine")
    except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
    return opened


# ---------------------------------------------------------------------------
# init + refresh + refresh, once per file per session (the batch readers reuse it).


@dataclass
class Outcome:
    original: Path
    result: Path
    refusal: KpisheetsError | None = None
    notes: dict[str, object] = field(default_factory=dict)


def init_refresh_refresh(original: Path, workdir: Path) -> Outcome:
    """Copy ``original`` to ``workdir``, then init (sales template), refresh, refresh."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / original.name
    shutil.copy(original, path)
    outcome = Outcome(original, path)
    try:
        outcome.notes["added"] = init_workbook(path, template="sales")
        refresh_workbook(path, as_of=AS_OF)
    except KpisheetsError as exc:
        outcome.refusal = exc
        return outcome
    outcome.notes["styles_first"] = len(styles_member(path))
    first = path.read_bytes()
    refresh_workbook(path, as_of=AS_OF)
    outcome.notes["styles_second"] = len(styles_member(path))
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(_bytes(first)) as f:
        outcome.notes["same_names"] = z.namelist() == f.namelist()
        workbook = next(n for n in edited_parts(path) if n.lower().endswith("workbook.xml"))
        outcome.notes["same_workbook"] = z.read(workbook) == f.read(workbook)
    return outcome


def _bytes(data: bytes) -> object:
    import io

    return io.BytesIO(data)


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Outcome]:
    """``refreshed("excel/chart_area01.xlsx")`` → the outcome, computed once."""
    base = tmp_path_factory.mktemp("refreshed")
    done: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in done:
            done[name] = init_refresh_refresh(CORPUS / name, base / name.replace("/", "__"))
        return done[name]

    return get


@requires_corpus
def test_the_refused_list_names_corpus_files() -> None:
    assert set(REFUSED) <= set(CORPUS_FILES)


@requires_corpus
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_init_refresh_refresh_keeps_every_part(
    name: str, refreshed: Callable[[str], Outcome]
) -> None:
    outcome = refreshed(name)
    original, path = outcome.original, outcome.result
    if name in REFUSED:
        assert outcome.refusal is not None, "refused before, accepted now: update REFUSED"
        message = str(outcome.refusal)
        assert re.search(REFUSED[name], message), message
        assert message.count(". ") == 0 and "\n" not in message, "one sentence"
        assert path.read_bytes() == original.read_bytes()
        return
    assert outcome.refusal is None, f"refused: {outcome.refusal}"
    assert outcome.notes["added"] == list(INPUT_SHEETS)
    assert outcome.notes["styles_second"] == outcome.notes["styles_first"]
    # Same data, same day: the second refresh writes the same parts (but for the
    # "Refreshed at" time, which may tick over a minute).
    assert outcome.notes["same_names"] and outcome.notes["same_workbook"]
    assert owned_sheets(path) == REFRESHED_SHEETS
    assert_untouched(original, path, edited_parts(original))
    assert_only_additions(original, path)
    assert well_formed_parts(original) <= well_formed_parts(path)
    before, after = readers_that_open(original), readers_that_open(path)
    assert before <= after, f"no longer opens in {before - after}"
    values = python_calamine.CalamineWorkbook.from_path(str(path))
    assert values.sheet_names[-4:] == REFRESHED_SHEETS
    summary = values.get_sheet_by_name("Summary").to_python()
    assert any("Sales KPIs" in str(v) for row in summary[:4] for v in row)


@requires_corpus
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_file_is_one_sentence_on_the_command_line(name: str, tmp_path: Path) -> None:
    path = tmp_path / Path(name).name
    shutil.copy(CORPUS / name, path)
    for command in (["init", str(path)], ["refresh", str(path)]):
        run = subprocess.run(
            [sys.executable, "-m", "kpisheets.cli", *command],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 1, run.stderr
        assert run.stderr.startswith("Error: ") and run.stderr.count("\n") == 1, run.stderr
        assert re.search(REFUSED[name], run.stderr)
    assert path.read_bytes() == (CORPUS / name).read_bytes()


# ---------------------------------------------------------------------------
# Trackers a Python or LibreOffice user makes, built here.


def openpyxl_resaved_tracker(folder: Path) -> Path:
    """``kpisheets new`` then ``openpyxl.load_workbook(…).save(…)``: openpyxl declares
    the relationships prefix on each <sheet> and writes its own styles."""
    from kpisheets.templates import new_tracker

    path = folder / "openpyxl_resaved.xlsx"
    new_tracker(path, template="sales", reference=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        openpyxl.load_workbook(path).save(path)
    return path


def openpyxl_blank_then_init(folder: Path) -> Path:
    path = folder / "openpyxl_blank.xlsx"
    openpyxl.Workbook().save(path)
    init_workbook(path, template="sales", reference=AS_OF)
    return path


def pandas_then_init(folder: Path, engine: str) -> Path:
    """A sheet written by ``DataFrame.to_excel``, then ``kpisheets init``."""
    path = folder / f"pandas_{engine}.xlsx"
    frame = pd.DataFrame({"Region": ["North", "South"], "Budget": [1200.5, 980.0]})
    frame.to_excel(path, sheet_name="Budget", index=False, engine=engine)
    init_workbook(path, template="sales", reference=AS_OF)
    return path


def pandas_tracker(folder: Path) -> Path:
    """A whole tracker written by pandas: KPIs and Entries sheets from DataFrames."""
    path = folder / "pandas_tracker.xlsx"
    kpis = pd.DataFrame(
        {"ID": ["SALES", "DEALS"], "KPI": ["Sales", "Deals won"], "Target": [10000, 12]}
    )
    entries = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2026-11-02", "2026-11-09", "2026-11-16"]),
            "KPI": ["SALES", "SALES", "DEALS"],
            "Value": [2500.0, 3100.0, 4.0],
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        kpis.to_excel(writer, sheet_name="KPIs", index=False)
        entries.to_excel(writer, sheet_name="Entries", index=False)
    return path


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>
</office:document-content>"""


def ods_table(name: str, rows: list[list[object]]) -> str:
    out = [f'<table:table table:name="{name}">']
    for row in rows:
        out.append("<table:table-row>")
        for value in row:
            if isinstance(value, dt.date):
                out.append(
                    f'<table:table-cell office:value-type="date" '
                    f'office:date-value="{value.isoformat()}"><text:p>{value}</text:p>'
                    "</table:table-cell>"
                )
            elif isinstance(value, int | float):
                out.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>"
                )
            else:
                out.append(
                    f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
                    "</table:table-cell>"
                )
        out.append("</table:table-row>")
    out.append("</table:table>")
    return "".join(out)


def write_ods(path: Path, tables: dict[str, list[list[object]]]) -> Path:
    """A minimal OpenDocument spreadsheet, as the ODF package rules want it."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    content = ODS_CONTENT.format(tables="".join(ods_table(n, r) for n, r in tables.items()))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def libreoffice_trackers(folder: Path) -> list[Path]:
    """Two .ods files converted to .xlsx by LibreOffice in one call: a whole tracker
    typed in Calc, and a budget that ``kpisheets init`` turns into one."""
    tracker = write_ods(
        folder / "libreoffice_tracker.ods",
        {
            "KPIs": [["ID", "KPI", "Target"], ["SALES", "Sales", 10000]],
            "Entries": [
                ["Date", "KPI", "Value"],
                [dt.date(2026, 11, 2), "SALES", 2500],
                [dt.date(2026, 11, 9), "SALES", 3100],
            ],
        },
    )
    budget = write_ods(
        folder / "libreoffice_budget.ods", {"Budget": [["Region", "Budget"], ["North", 1200]]}
    )
    converted = convert_many([tracker, budget], "xlsx", folder)
    xlsx = [p for p in converted.values() if p is not None]
    assert len(xlsx) == 2, "LibreOffice converted both .ods files"
    init_workbook(folder / "libreoffice_budget.xlsx", template="sales", reference=AS_OF)
    return xlsx


@dataclass
class Tracker:
    """A tracker built in the tests, refreshed twice; ``before`` is a copy made just
    before the first refresh (what the refresh must keep)."""

    path: Path
    before: Path


@pytest.fixture(scope="session")
def built_trackers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tracker]:
    folder = tmp_path_factory.mktemp("built")
    paths = [
        openpyxl_resaved_tracker(folder),
        openpyxl_blank_then_init(folder),
        pandas_then_init(folder, "openpyxl"),
        pandas_then_init(folder, "xlsxwriter"),
        pandas_tracker(folder),
    ]
    if soffice() is not None:
        paths += libreoffice_trackers(folder)
    trackers = {}
    for path in paths:
        before = folder / "before" / path.name
        before.parent.mkdir(exist_ok=True)
        shutil.copy(path, before)
        refresh_workbook(path, as_of=AS_OF)
        refresh_workbook(path, as_of=AS_OF)
        trackers[path.stem] = Tracker(path, before)
    return trackers


def test_trackers_other_programs_made_refresh_cleanly(built_trackers: dict[str, Tracker]) -> None:
    assert {"openpyxl_resaved", "openpyxl_blank", "pandas_openpyxl", "pandas_xlsxwriter",
            "pandas_tracker"} <= set(built_trackers)  # fmt: skip
    for name, tracker in built_trackers.items():
        path, before = tracker.path, tracker.before
        assert_untouched(before, path, edited_parts(before))
        assert_only_additions(before, path)
        assert well_formed_parts(before) <= well_formed_parts(path), name
        assert readers_that_open(path) == {"openpyxl", "calamine"}, name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path)
        assert book.sheetnames[-4:] == REFRESHED_SHEETS, name
        # Every cell of the generated sheets points at a cell format the file has.
        for sheet in REFRESHED_SHEETS:
            for row in book[sheet].iter_rows():
                for cell in row:
                    assert cell.number_format is not None and cell.font is not None
        result = refresh_workbook(path, as_of=AS_OF)
        assert result.kpis, name


# ---------------------------------------------------------------------------
# Independent readers over everything at once: LibreOffice (one batch) and POI.


def every_result(
    refreshed: Callable[[str], Outcome], built: dict[str, Tracker]
) -> dict[str, tuple[Path, Path]]:
    """label → (original, refreshed result) for every file that was not refused."""
    out = {}
    for name in CORPUS_FILES:
        outcome = refreshed(name)
        if outcome.refusal is None:
            out[name] = (outcome.original, outcome.result)
    for name, tracker in built.items():
        out[f"built/{name}"] = (tracker.before, tracker.path)
    return out


# LibreOffice loads the whole workbook for any conversion — the load is what is
# checked here — and CSV (the first sheet only) is the cheapest output: on 2 busy
# cores 1.4 s a refreshed workbook, against 2.5 s for the first page as PDF and 3.8 s
# for the whole PDF. The PDF of what the generated sheets look like in LibreOffice is
# checked in tests/test_write_xlsx.py and tests/test_display.py.
LOADED = "csv"


@requires_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_opens_every_result_that_it_opened_before(
    refreshed: Callable[[str], Outcome],
    built_trackers: dict[str, Tracker],
    tmp_path: Path,
) -> None:
    """One LibreOffice process loads (and converts) every refreshed workbook — another
    one only after a file it cannot load, which ends a batch; the originals of any
    that fail are converted too, to tell damage from files LibreOffice never opened."""
    results = every_result(refreshed, built_trackers)
    inputs = {}
    for label, (_, result) in results.items():
        copy = tmp_path / "in" / (label.replace("/", "__") + result.suffix)
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(result, copy)
        inputs[copy] = label
    pdfs = convert_many(sorted(inputs), LOADED, tmp_path / "out")
    failed = {inputs[p] for p, pdf in pdfs.items() if pdf is None}
    for name in built_trackers:
        assert f"built/{name}" not in failed, f"LibreOffice cannot open the {name} tracker"
    if failed:
        originals = {}
        for label in failed:
            original = results[label][0]
            copy = tmp_path / "orig" / (label.replace("/", "__") + original.suffix)
            copy.parent.mkdir(exist_ok=True)
            shutil.copy(original, copy)
            originals[copy] = label
        before = convert_many(sorted(originals), LOADED, tmp_path / "orig-out")
        damaged = {originals[p] for p, pdf in before.items() if pdf is not None}
        assert not damaged, f"LibreOffice opened these before the refresh only: {damaged}"
    # (At most a tenth; with only the seven built trackers, when ../shared/corpus is
    # absent, that is none.)
    assert len(failed) <= len(results) // 10, f"LibreOffice opened few of them: {failed}"


@pytest.mark.skipif(classpath() is None, reason="Apache POI or a JDK is not installed")
def test_poi_opens_every_result_that_it_opened_before(
    refreshed: Callable[[str], Outcome],
    built_trackers: dict[str, Tracker],
    tmp_path: Path,
) -> None:
    results = every_result(refreshed, built_trackers)
    after = open_with_poi([r for _, r in results.values()], tmp_path / "after")
    before = open_with_poi([o for o, _ in results.values()], tmp_path / "before")
    for label, (original, result) in results.items():
        if before.get(original) == "OK":
            assert after.get(result) == "OK", f"{label}: {after.get(result)}"
    assert all(after.get(t.path) == "OK" for t in built_trackers.values())


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
    from tests.builders import simple_tracker_sheets, write_workbook

    sheets = simple_tracker_sheets()
    sheets["Summary"] = [["My own summary, hands off"]]
    path = write_workbook(tmp_path / "team.xlsx", sheets)
    before = path.read_bytes()
    with pytest.raises(SheetNameTakenError, match="'Summary'"):
        refresh_workbook(path, as_of=AS_OF)
    assert path.read_bytes() == before
    run = CliRunner().invoke(cli, ["refresh", str(path)])
    assert run.exit_code == 1 and "did not create" in run.output


def test_init_refuses_what_refresh_would_refuse(tmp_path: Path) -> None:
    """A workbook with a sheet of its own called Summary: init says so before
    changing anything, rather than adding the input sheets of a tracker that can
    never refresh."""
    path = tmp_path / "team.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Summary").write_string("A1", "My own summary, hands off")
    book.close()
    before = path.read_bytes()
    with pytest.raises(SheetNameTakenError, match="'Summary'"):
        init_workbook(path, template="sales")
    assert path.read_bytes() == before
    run = CliRunner().invoke(cli, ["init", str(path)])
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
