"""Templates, `kpisheets new`, the .xlsm Refresh button, and the shipped files."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

import kpisheets
from kpisheets.cli import cli
from kpisheets.errors import OutputExistsError, UsageError
from kpisheets.model import Aggregation, Direction, Frequency, Status
from kpisheets.samples import SAMPLE_NAMES, build_all, sample_file_name, sample_sheets
from kpisheets.templates import (
    COLUMNS,
    FIXED_REFERENCE,
    TEMPLATE_NAMES,
    build_input_sheets,
    new_tracker,
    suggest_module_name,
    template_file_stem,
    template_sheets,
)
from tests.conftest import ROOT, requires_libreoffice
from tests.libreoffice import soffice


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def sheet_xml(path: Path, sheet: str) -> str:
    """The XML of the worksheet named ``sheet`` (via workbook.xml and its rels)."""
    parts = members(path)
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', workbook)
    assert rid, f"no sheet {sheet} in {path.name}"
    target = re.search(rf'Id="{rid.group(1)}" [^>]*Target="([^"]+)"', rels)
    assert target
    return parts["xl/" + target.group(1).lstrip("/").removeprefix("xl/")].decode()


def olevba(path: Path) -> str:
    """The VBA source as oletools' olevba prints it."""
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "oletools.olevba", "--code", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "VBA MACRO" in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


def validations(xml: str) -> list[str]:
    return re.findall(r"<dataValidation .*?(?:/>|</dataValidation>)", xml)


def validation_at(xml: str, sqref: str) -> str:
    found = [v for v in validations(xml) if f'sqref="{sqref}"' in v]
    assert found, f"no validation at {sqref}"
    return found[0]


# ---------------------------------------------------------------------------
# Template content


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_template_rows_match_the_sheet_columns(name: str) -> None:
    sheets = template_sheets(name)
    assert list(sheets) == ["KPIs", "Entries", "Targets", "Settings", "Actions", "Sources"]
    for sheet, rows in sheets.items():
        assert rows[0] == [c.header for c in COLUMNS[sheet]]
        assert all(len(r) == len(rows[0]) for r in rows)


@pytest.mark.parametrize("name", [n for n in TEMPLATE_NAMES if n != "blank"])
def test_example_kpis_use_valid_enums_and_have_targets_and_entries(name: str) -> None:
    sheets = template_sheets(name)
    header = sheets["KPIs"][0]
    kpis = [dict(zip(header, r, strict=True)) for r in sheets["KPIs"][1:]]
    assert len(kpis) >= 4
    ids = {k["ID"] for k in kpis}
    for k in kpis:
        assert k["Direction"] in [d.label for d in Direction]
        assert k["Aggregation"] in [a.label for a in Aggregation]
        assert k["Frequency"] in [f.label for f in Frequency]
        assert k["Target"] is not None
        if k["Aggregation"] == "Formula":
            assert set(re.findall(r"[A-Z_]+", k["Formula"])) <= ids
    assert {r[1] for r in sheets["Entries"][1:]} <= ids
    assert len(sheets["Entries"]) > 5


def test_field_specific_examples() -> None:
    def kpis(name: str) -> dict[str, list[object]]:
        rows = template_sheets(name)["KPIs"]
        return {r[0]: r for r in rows[1:]}

    marketing = kpis("marketing")
    assert marketing["CONVERSION"][7] == "Formula"
    assert marketing["CONVERSION"][8] == "LEADS / VISITS"
    cs = kpis("customer-success")
    assert cs["CHURN"][6] == "Lower is better"
    assert cs["NPS"][7] == "NPS"
    assert kpis("people")["TIME_TO_HIRE"][6] == "Lower is better"
    assert "PIPELINE" in kpis("sales") and "WIN_RATE" in kpis("sales")


def test_unknown_template_is_one_sentence() -> None:
    with pytest.raises(UsageError, match="use one of blank, sales"):
        template_sheets("finance")


# ---------------------------------------------------------------------------
# Example entries dated relative to a reference date (default: today)

EXAMPLE_TEMPLATES = [n for n in TEMPLATE_NAMES if n != "blank"]
REFERENCES = [
    dt.date(2027, 3, 10),  # the first months of a year: the old fixed examples were all "No data"
    dt.date(2027, 1, 1),  # first day of a year and a quarter
    dt.date(2027, 4, 1),
    dt.date(2028, 2, 29),
    dt.date(2027, 12, 31),
    FIXED_REFERENCE,
]


def entry_dates(sheets: dict[str, list[list[object]]]) -> list[dt.date]:
    dates = [r[0] for r in sheets["Entries"][1:]]
    assert all(isinstance(d, dt.date) for d in dates)
    return dates  # type: ignore[return-value]


def statuses(path: Path, as_of: dt.date | None) -> dict[str, Status]:
    result = kpisheets.status(path, as_of=as_of)
    assert result.problems == [], [p.message for p in result.problems]
    return {k.id: k.status for k in result.kpis}


@pytest.mark.parametrize("reference", REFERENCES, ids=str)
@pytest.mark.parametrize("name", EXAMPLE_TEMPLATES)
def test_new_tracker_has_data_at_its_reference_date(
    tmp_path: Path, name: str, reference: dt.date
) -> None:
    path = tmp_path / "team.xlsx"
    new_tracker(path, template=name, reference=reference)
    found = statuses(path, reference)
    assert Status.NO_DATA not in found.values(), found
    sheets = template_sheets(name, reference)
    dates = entry_dates(sheets)
    assert max(dates) <= reference
    # This month, and the previous month or quarter (for Last KPIs and trends).
    assert any(d >= reference.replace(day=1) for d in dates)
    assert (reference - min(dates)).days <= 92
    settings = {r[0]: r[1] for r in sheets["Settings"][1:]}
    assert settings["As of"] is None  # blank: today
    for row in sheets["Targets"][1:]:
        assert isinstance(row[1], dt.date) and row[1] > reference  # the coming months
    kpis = [dict(zip(sheets["KPIs"][0], r, strict=True)) for r in sheets["KPIs"][1:]]
    for kpi in kpis:
        if kpi["Start"] is not None:
            assert kpi["Start"] <= reference <= kpi["End"]
            assert str(reference.year) in str(kpi["Description"])


@pytest.mark.parametrize("name", EXAMPLE_TEMPLATES)
def test_new_tracker_dates_its_examples_relative_to_today_by_default(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "team.xlsx"
    before = dt.date.today()
    new_tracker(path, template=name)
    after = dt.date.today()  # the same day unless the test ran across midnight
    written = list(kpisheets.load(path).entries["date"].dt.date)
    expected = [sorted(entry_dates(template_sheets(name, day))) for day in (before, after)]
    assert sorted(written) in expected
    assert Status.NO_DATA not in statuses(path, after).values()


def test_init_template_dates_its_examples_relative_to_the_reference(tmp_path: Path) -> None:
    from kpisheets.init import init_workbook

    path = tmp_path / "budget.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Budget").write_string(0, 0, "Plan")
    book.close()
    reference = dt.date(2027, 3, 10)
    init_workbook(path, template="people", reference=reference)
    assert Status.NO_DATA not in statuses(path, reference).values()


@pytest.mark.parametrize("name", EXAMPLE_TEMPLATES)
def test_shipped_templates_use_the_fixed_reference_date(name: str) -> None:
    """The shipped files do not depend on the day they were built."""
    shipped = ROOT / "templates" / f"{template_file_stem(name)}.xlsx"
    written = sorted(kpisheets.load(shipped).entries["date"].dt.date)
    assert written == sorted(entry_dates(template_sheets(name, FIXED_REFERENCE)))


# ---------------------------------------------------------------------------
# The written XML: tables, dropdowns, the defined name


def test_input_sheets_have_tables_dropdowns_and_the_defined_name(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    new_tracker(path, template="sales")
    parts = members(path)
    workbook = parts["xl/workbook.xml"].decode()
    names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert names == ["Instructions", "KPIs", "Entries", "Targets", "Settings", "Actions", "Sources"]
    assert '<definedName name="KPI_IDs">KPIs[ID]</definedName>' in workbook
    tables = [
        re.search(r'<table [^>]*displayName="([^"]+)"', parts[n].decode()).group(1)  # type: ignore[union-attr]
        for n in parts
        if n.startswith("xl/tables/")
    ]
    assert sorted(tables) == ["Actions", "Entries", "KPIs", "Settings", "Sources", "Targets"]
    sources = sheet_xml(path, "Sources")
    assert "KPI_IDs" in validation_at(sources, "B2:B201")
    assert "csv,xlsx,parquet,json,hubspot,salesforce,ga4,sql" in validation_at(sources, "C2:C201")

    kpis = sheet_xml(path, "KPIs")
    assert '<pane xSplit="2" ySplit="1"' in kpis  # frozen header and ID/KPI columns
    direction = validation_at(kpis, "G2:G501")
    assert 'type="list"' in direction
    assert '<formula1>"Higher is better,Lower is better,Within range"</formula1>' in direction
    assert "Sum,Average,Last,Min,Max,Count,NPS,Formula" in validation_at(kpis, "H2:H501")
    assert "Week,Month,Quarter,Year" in validation_at(kpis, "J2:J501")
    assert "Yes,No" in validation_at(kpis, "S2:S501")
    header_prompt = validation_at(kpis, "F1")
    assert 'promptTitle="Format"' in header_prompt and "showInputMessage" in header_prompt

    entries = sheet_xml(path, "Entries")
    assert "<formula1>KPI_IDs</formula1>" in validation_at(entries, "B2:B20001")
    assert 'type="date"' in validation_at(entries, "A2:A20001")
    assert 'type="decimal"' in validation_at(entries, "C2:C20001")
    assert "<formula1>KPI_IDs</formula1>" in validation_at(sheet_xml(path, "Targets"), "A2:A2001")
    actions = sheet_xml(path, "Actions")
    assert "<formula1>KPI_IDs</formula1>" in validation_at(actions, "B2:B1001")
    assert "Open,Done,Dropped" in validation_at(actions, "F2:F1001")
    assert 'type="date"' in validation_at(actions, "E2:E1001")

    settings = sheet_xml(path, "Settings")
    setting_rows = [r[0] for r in template_sheets("sales")["Settings"]]
    assert "Week,Month,Quarter,Year" in validation_at(
        settings, f"B{setting_rows.index('Period') + 1}"
    )
    assert "January,February" in validation_at(
        settings, f"B{setting_rows.index('Fiscal year starts') + 1}"
    )
    assert "Monday,Tuesday" in validation_at(settings, f"B{setting_rows.index('Week starts') + 1}")


def test_user_text_is_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))  # default options: strings_to_formulas on
    sheets = template_sheets("blank")
    sheets["Entries"].append([None, "X", None, '=HYPERLINK("http://x")', "=cmd|' /C calc'!A0"])
    build_input_sheets(book, "blank", sheets)
    book.close()
    assert "<f>" not in sheet_xml(path, "Entries")


# ---------------------------------------------------------------------------
# The .xlsm Refresh button


def test_xlsm_has_vba_button_conf_sheet_and_companion_module(tmp_path: Path) -> None:
    path = tmp_path / "team_kpis.xlsm"
    written = new_tracker(path, template="marketing")
    assert written == [path, tmp_path / "team_kpis.py"]
    parts = members(path)
    assert parts["xl/vbaProject.bin"][:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # OLE file
    assert (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        in parts["[Content_Types].xml"].decode()
    )
    vml = next(v.decode() for n, v in parts.items() if n.endswith(".vml"))
    assert "<x:FmlaMacro>[0]!SampleCall</x:FmlaMacro>" in vml
    assert ">Refresh<" in vml
    assert "_xlwings.conf" in parts["xl/workbook.xml"].decode()
    instructions = sheet_xml(path, "Instructions")
    assert "legacyDrawing" in instructions  # the button lives on the Instructions sheet

    # An independent VBA reader finds the macro the button names and its RunPython call.
    # (run as a program: importing oletools trips pyparsing's deprecation warnings)
    code = olevba(path)
    assert re.search(r"Sub SampleCall\(\)", code)
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in code
    assert "BSD 3-clause license" in code  # xlwings' licence travels with its code
    shared = parts["xl/sharedStrings.xml"].decode()
    assert "Zoomer Analytics LLC" in shared and "BSD 3-clause" in shared

    spec = importlib.util.spec_from_file_location("team_kpis", written[1])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
    assert "kpisheets.xl.main()" in written[1].read_text()


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("my tracker.xlsm", "my_tracker.xlsm"),
        ("2026-kpis.xlsm", "kpis_2026.xlsm"),
        ("class.xlsm", "class_tracker.xlsm"),
        ("json.xlsm", "json_tracker.xlsm"),
    ],
)
def test_xlsm_name_must_be_a_module_name(tmp_path: Path, name: str, suggestion: str) -> None:
    with pytest.raises(UsageError, match=re.escape(f"try '{suggestion}'")):
        new_tracker(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    assert suggest_module_name(Path(suggestion).stem) == Path(suggestion).stem


def test_spaces_are_fine_in_xlsx(tmp_path: Path) -> None:
    assert new_tracker(tmp_path / "my tracker.xlsx") == [tmp_path / "my tracker.xlsx"]


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsm"
    new_tracker(path)
    companion = tmp_path / "t.py"
    companion.write_text("# my own edits\n")
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="already exists.*--force"):
        new_tracker(path, template="sales")
    path.unlink()
    with pytest.raises(OutputExistsError, match=r"t\.py already exists"):
        new_tracker(path, template="sales")
    assert not path.exists() and companion.read_text() == "# my own edits\n"
    new_tracker(path, template="sales", force=True)
    assert path.read_bytes() != before
    assert "def main" in companion.read_text()


def test_other_suffixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"must end in \.xlsx"):
        new_tracker(tmp_path / "t.xls")


# ---------------------------------------------------------------------------
# The command line


def test_cli_new(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "team.xlsx"
    result = runner.invoke(cli, ["new", str(path), "--template", "people"])
    assert result.exit_code == 0, result.output
    assert f"Wrote {path}" in result.output
    again = runner.invoke(cli, ["new", str(path)])
    assert again.exit_code == 1
    assert "already exists" in again.output and "Traceback" not in again.output
    assert runner.invoke(cli, ["new", str(path), "--force"]).exit_code == 0
    bad = runner.invoke(cli, ["new", str(tmp_path / "my team.xlsm")])
    assert bad.exit_code == 2 and "my_team.xlsm" in bad.output


# ---------------------------------------------------------------------------
# Shipped files


def test_shipped_templates_and_samples_are_up_to_date(tmp_path: Path) -> None:
    written = build_all(tmp_path)
    assert len(written) == 3 * len(TEMPLATE_NAMES) + len(SAMPLE_NAMES)
    stale = []
    for path in written:
        shipped = ROOT / path.relative_to(tmp_path)
        if not shipped.exists():
            stale.append(f"{shipped.relative_to(ROOT)} is missing")
        elif path.suffix == ".py":
            if path.read_text() != shipped.read_text():
                stale.append(str(shipped.relative_to(ROOT)))
        else:
            fresh, old = members(path), members(shipped)
            changed = sorted(n for n in fresh.keys() | old.keys() if fresh.get(n) != old.get(n))
            if changed:
                stale.append(f"{shipped.relative_to(ROOT)} ({', '.join(changed)})")
    assert not stale, (
        "Out of date; run `python -m kpisheets.templates build .` and review: " + "; ".join(stale)
    )


def test_samples_are_small() -> None:
    for name in SAMPLE_NAMES:
        assert (ROOT / "sample_workbooks" / sample_file_name(name)).stat().st_size < 300_000


def test_samples_cover_every_aggregation_direction_and_frequency() -> None:
    aggregations, directions, frequencies = set(), set(), set()
    goal = tolerance = inactive = False
    for name in SAMPLE_NAMES:
        sheets = sample_sheets(name)
        header = sheets["KPIs"][0]
        kpis = [dict(zip(header, r, strict=True)) for r in sheets["KPIs"][1:]]
        for k in kpis:
            aggregations.add(k["Aggregation"])
            directions.add(k["Direction"])
            frequencies.add(k["Frequency"])
            goal |= all(k[c] is not None for c in ("Start", "End", "Baseline"))
            tolerance |= k["Direction"] == "Within range" and k["Tolerance"] is not None
            inactive |= k["Active"] == "No"
        entries = sheets["Entries"][1:]
        dates = [r[0] for r in entries]
        assert (max(dates) - min(dates)).days >= 365, name
        assert sum(1 for r in entries if r[3]) >= 5, f"{name}: too few notes"
        assert len(sheets["Targets"]) > 2, f"{name}: no time-phased targets"
        settings = dict((r[0], r[1]) for r in sheets["Settings"][1:])
        assert settings["As of"] is not None
        nps = [k["ID"] for k in kpis if k["Aggregation"] == "NPS"]
        for kpi_id in nps:
            scores = [r[2] for r in entries if r[1] == kpi_id]
            assert scores and all(isinstance(s, int) and 0 <= s <= 10 for s in scores)
    assert aggregations == {a.label for a in Aggregation}
    assert directions == {d.label for d in Direction}
    assert frequencies == {f.label for f in Frequency}
    assert goal and tolerance and inactive


# ---------------------------------------------------------------------------
# A real spreadsheet program opens everything


def soffice_batch(files: list[Path], to: str, outdir: Path, profile: Path) -> None:
    binary = soffice()
    assert binary
    subprocess.run(
        [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.libreoffice
@requires_libreoffice
def test_libreoffice_converts_every_template_and_sample_to_pdf(tmp_path: Path) -> None:
    files = sorted((ROOT / "templates").glob("*.xls?")) + sorted(
        (ROOT / "sample_workbooks").glob("*.xlsx")
    )
    assert len(files) == 2 * len(TEMPLATE_NAMES) + len(SAMPLE_NAMES)
    # An .xlsx and an .xlsm share a stem, so give each PDF its own name via a copy.
    inputs = []
    for f in files:
        copy = tmp_path / "in" / f"{f.stem}-{f.suffix[1:]}{f.suffix}"
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(f.read_bytes())
        inputs.append(copy)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        soffice_batch(inputs, "pdf", tmp_path, Path(profile))
    missing = [f.name for f in inputs if not (tmp_path / (f.stem + ".pdf")).exists()]
    assert not missing, f"LibreOffice did not convert {missing}"
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sales-kpis-xlsx.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Revenue (closed won)" in text and "Lost Initech to a competitor" in text


@pytest.mark.libreoffice
@requires_libreoffice
def test_libreoffice_resolves_the_kpi_list_name(tmp_path: Path) -> None:
    """KPI_IDs (=KPIs[ID]) evaluates to the table's ID column in a real spreadsheet."""
    path = tmp_path / "names.xlsx"
    book = xlsxwriter.Workbook(str(path))
    build_input_sheets(book, "people")
    check = book.add_worksheet("Check")
    check.write_formula(0, 0, "=COUNTA(KPI_IDs)")
    check.write_formula(0, 1, "=INDEX(KPI_IDs,2)")
    check.activate()
    book.close()
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        # Make LibreOffice recalculate on load (it trusts cached values by default).
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
            '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>'
            "</oor:items>\n"
        )
        check_sheet = len(template_sheets("people")) + 1  # after the input sheets
        soffice_batch(
            [path],
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,"
            f"{check_sheet}",
            tmp_path,
            Path(profile),
        )
    kpi_count = len(template_sheets("people")["KPIs"]) - 1
    second_id = template_sheets("people")["KPIs"][2][0]
    assert (tmp_path / "names-Check.csv").read_text().strip() == f"{kpi_count},{second_id}"


def test_build_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kpisheets.templates", "build", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "templates" / "sales_tracker.xlsm").exists()
    assert (tmp_path / "sample_workbooks" / "people-kpis.xlsx").exists()


def test_refresh_keeps_the_button_and_the_vba(tmp_path: Path) -> None:
    from kpisheets.refresh import refresh_workbook

    path = tmp_path / "team.xlsm"
    new_tracker(path, template="sales")
    before = members(path)
    refresh_workbook(path)
    after = members(path)
    for name, data in before.items():
        if name.endswith((".bin", ".vml")) or name.startswith("xl/worksheets/sheet"):
            assert after[name] == data, name
    assert "Summary" in after["xl/workbook.xml"].decode()
