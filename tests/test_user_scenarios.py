"""Awkward things real users do, run end to end through the command line.

Each test is a regression test for something that once broke or confused: a
traceback, a file destroyed, a message that did not say what to do.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kpisheets
import kpisheets.export
from kpisheets.calc import compute
from kpisheets.cli import cli, os_error_sentence
from kpisheets.export.pdf_fonts import REPLACEMENT, runs, visual
from kpisheets.formatting import format_value
from kpisheets.report import HISTORY_FIRST_PERIOD_COL, build_report
from tests.builders import kpi, simple_tracker_sheets, tracker, write_workbook

AS_OF = ["--as-of", "2026-11-20"]


def run(*args: str) -> Any:
    """``kpisheets ARGS`` in-process; the result has exit_code, stdout, stderr."""
    return CliRunner().invoke(cli, list(args))


def tracker_file(path: Path, **changes: list[list[Any]]) -> Path:
    """The small test tracker written to ``path``, with some sheets' rows replaced."""
    sheets: dict[str, Sequence[Sequence[Any]]] = {**simple_tracker_sheets(), **changes}
    return write_workbook(path, sheets)


def with_entries(*rows: list[Any]) -> list[list[Any]]:
    """The small tracker's Entries rows followed by ``rows``."""
    return simple_tracker_sheets()["Entries"] + list(rows)


def huge_tracker(path: Path, value: float) -> Path:
    """The small tracker with one SALES entry of ``value`` this month and last."""
    entries = with_entries(
        [dt.date(2026, 11, 9), "SALES", value, "big", ""],
        [dt.date(2026, 10, 9), "SALES", value, "big", ""],
    )
    return tracker_file(path, Entries=entries)


# ---------------------------------------------------------------------------
# Huge figures


@pytest.mark.parametrize(
    ("value", "fmt", "expected_end"),
    [
        (1e28, "#,##0.##", "000,000."),  # Excel keeps the point when no decimal shows
        (1.7976931348623157e308, "0.00%", "0.00%"),
        (-1e30, '"$"#,##0', ",000"),
    ],
)
def test_format_value_of_huge_figures(value: float, fmt: str, expected_end: str) -> None:
    text = format_value(value, fmt)
    assert text.endswith(expected_end)
    assert text.lstrip("-$").startswith("1")
    assert text.startswith("-") == (value < 0)


def test_format_value_still_rounds_half_away_from_zero() -> None:
    assert format_value(0.00125, "0.00%") == "0.13%"
    assert format_value(-2.5, "0") == "-3"
    assert format_value(0.256, "0.0%") == "25.6%"


def test_status_table_and_pdf_with_a_huge_entry(tmp_path: Path) -> None:
    book = huge_tracker(tmp_path / "big.xlsx", 1e300)
    status = run("status", str(book), *AS_OF)
    assert status.exit_code == 0, status.output
    assert "$1E+300" in status.stdout  # compact, its currency sign kept
    pdf = tmp_path / "big.pdf"
    export = run("export", str(book), "-o", str(pdf), *AS_OF)
    assert export.exit_code == 0, export.output
    assert pdf.read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------------------
# Output paths that would destroy or mislabel a file


def test_export_onto_the_tracker_itself_is_refused(tmp_path: Path) -> None:
    book = tracker_file(tmp_path / "tracker.xlsx")
    before = book.read_bytes()
    same = tmp_path / "." / "tracker.xlsx"
    result = run("export", str(book), "-o", str(same), *AS_OF)
    assert result.exit_code == 2
    assert "is the tracker itself" in result.stderr
    assert "-o tracker-summary.xlsx" in result.stderr
    assert book.read_bytes() == before


@pytest.mark.parametrize(("source", "output"), [("t.xlsx", "t.pdf"), ("t.xlsm", "copy.xlsx")])
def test_refresh_output_must_keep_the_workbook_kind(
    tmp_path: Path, source: str, output: str
) -> None:
    book = tracker_file(tmp_path / source)
    before = book.read_bytes()
    out = tmp_path / output
    result = run("refresh", str(book), "-o", str(out), *AS_OF)
    assert result.exit_code == 2
    assert f"name it {out.stem}{book.suffix}" in result.stderr
    assert not out.exists()
    assert book.read_bytes() == before


def test_refresh_output_suffix_ignores_case(tmp_path: Path) -> None:
    book = tracker_file(tmp_path / "t.xlsx")
    out = tmp_path / "copy.XLSX"
    result = run("refresh", str(book), "-o", str(out), *AS_OF)
    assert result.exit_code == 0, result.output
    assert out.exists()


# ---------------------------------------------------------------------------
# Text people type


def test_status_table_keeps_a_two_line_kpi_name_on_one_row(tmp_path: Path) -> None:
    kpis = simple_tracker_sheets()["KPIs"]
    kpis[1][1] = "Sales\nthis month\t🚀"
    book = tracker_file(tmp_path / "t.xlsx", KPIs=kpis)
    # A wide terminal: at 80 columns the name wraps within its column (test_cli_status).
    result = CliRunner().invoke(cli, ["status", str(book), *AS_OF], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("SALES")]
    assert len(rows) == 1
    assert "Sales this month 🚀" in rows[0]
    assert "$6,000" in rows[0]  # the figures are on the KPI's own row


def test_a_users_own_lower_case_summary_sheet_is_kept_and_named(tmp_path: Path) -> None:
    book = tracker_file(tmp_path / "t.xlsx", summary=[["My notes"], ["keep me"]])
    before = book.read_bytes()
    result = run("refresh", str(book), *AS_OF)
    assert result.exit_code == 1
    assert "a sheet called 'summary' that kpisheets did not create" in result.stderr
    assert "can write its Summary sheet" in result.stderr
    assert book.read_bytes() == before


# ---------------------------------------------------------------------------
# Files that are not workbooks get the same sentence from every command


def not_workbooks(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files people point kpisheets at by mistake, with the sentence each gets."""
    text = tmp_path / "notes.xlsx"
    text.write_text("Date,KPI,Value\n2026-11-01,SALES,3\n", encoding="utf-8")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    odf = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(odf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    renamed = tmp_path / "renamed.xls"  # an .xlsx someone renamed
    write_workbook(renamed, simple_tracker_sheets())
    return {
        "renamed": (
            renamed,
            "renamed.xls is an .xlsx workbook named .xls; rename it to renamed.xlsx",
        ),
        "text": (text, "is a text file"),
        "empty": (empty, "is empty (0 bytes)"),
        "legacy": (legacy, "legacy Excel 97–2003 workbook (.xls)"),
        "odf": (odf, "is an OpenDocument file"),
    }


@pytest.mark.parametrize("kind", ["text", "empty", "legacy", "odf", "renamed"])
@pytest.mark.parametrize("command", ["init", "refresh", "status", "check"])
def test_a_file_that_is_not_a_workbook(tmp_path: Path, kind: str, command: str) -> None:
    path, sentence = not_workbooks(tmp_path)[kind]
    before = path.read_bytes()
    result = run(command, str(path))
    assert result.exit_code == 1
    assert sentence in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, no traceback
    assert path.read_bytes() == before


# ---------------------------------------------------------------------------
# File-system errors and bugs: one sentence, never a traceback


def test_os_error_sentences_name_what_the_user_knows(tmp_path: Path) -> None:
    scratch = tmp_path / ".summary-x1y2.pdf.tmp"
    ro = os_error_sentence(OSError(errno.EROFS, "Read-only file system", str(scratch)))
    assert ro == (
        f"kpisheets cannot write in {tmp_path} (Read-only file system); choose a folder "
        "you can write to, or ask for write permission."
    )
    here = os_error_sentence(PermissionError(errno.EACCES, "Permission denied", ".t.tmp"))
    assert "cannot write in the current folder" in here
    existing = tmp_path / "tracker.xlsx"
    existing.write_bytes(b"x")
    locked = os_error_sentence(PermissionError(errno.EACCES, "Permission denied", str(existing)))
    assert locked == f"kpisheets cannot use {existing} (Permission denied); check its permissions."
    folder = os_error_sentence(OSError(errno.EROFS, "Read-only file system", "demo"))
    assert folder.startswith("kpisheets cannot create demo (Read-only file system)")
    full = os_error_sentence(OSError(errno.ENOSPC, "No space left on device", "x.pdf"))
    assert full == "No space left on device (x.pdf)."


def test_export_into_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tracker_file(tmp_path / "t.xlsx")

    def read_only(*args: Any, dir: str = "", **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system", str(Path(dir) / ".s-ab12.pdf.tmp"))

    monkeypatch.setattr(kpisheets.export.tempfile, "mkstemp", read_only)
    result = run("export", str(book), "-o", str(tmp_path / "s.pdf"), *AS_OF)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: kpisheets cannot write in {tmp_path} (Read-only file system); choose a "
        "folder you can write to, or ask for write permission.\n"
    )


def test_an_unexpected_failure_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tracker_file(tmp_path / "t.xlsx")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise NameError("name 'shorten' is not defined")

    monkeypatch.setattr(kpisheets, "load", broken)
    monkeypatch.delenv("KPISHEETS_DEBUG", raising=False)
    result = run("status", str(book))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: kpisheets failed unexpectedly (NameError: name 'shorten' is not defined); "
        "this is a bug"
    )
    assert result.stderr.count("\n") == 1
    monkeypatch.setenv("KPISHEETS_DEBUG", "1")
    debug = run("status", str(book))
    assert isinstance(debug.exception, NameError)


def test_an_unexpected_failure_does_not_repeat_huge_user_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tracker_file(tmp_path / "t.xlsx")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("exceeded 255 char limit for property, got:\n\n'" + "T" * 5000 + "'")

    monkeypatch.setattr(kpisheets, "load", broken)
    monkeypatch.delenv("KPISHEETS_DEBUG", raising=False)
    result = run("status", str(book))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 400
    assert "exceeded 255 char limit for property, got: 'TTT" in result.stderr


# ---------------------------------------------------------------------------
# What the generated sheets look like


def test_history_week_labels_are_short_and_on_one_line() -> None:
    weekly = kpi("DEMOS", name="Demos", frequency="week", target=20)
    monthly = kpi("SALES", name="Sales", target=100)
    entries = [(dt.date(2026, 11, 2), "DEMOS", 5), (dt.date(2026, 11, 3), "SALES", 50)]
    result = compute(tracker([weekly, monthly], entries), dt.date(2026, 11, 20))
    history = build_report(result).sheet("History")
    grid = history.grid()
    rows = {grid[(r, 0)].value: r for (r, c) in grid if c == 0 and grid[(r, 0)].value}
    week = grid[(rows["Demos"], HISTORY_FIRST_PERIOD_COL + 11)]
    assert week.value == "16\u00a0Nov"  # the week starting then; a no-break space
    assert week.style is None or not week.style.wrap
    month = grid[(rows["Sales"], HISTORY_FIRST_PERIOD_COL + 11)]
    assert month.value == "Nov\u00a02026"  # its chart starts there: with the year
    assert rows["Demos"] not in history.row_heights
    assert rows["Sales"] not in history.row_heights


def test_summary_text_in_arabic_or_hebrew_stays_at_the_left_of_its_cell() -> None:
    rtl = kpi("RTL", name="מכירות", category="العربية", owner="אבי כהן", target=10)
    entries = [(dt.date(2026, 11, 3), "RTL", 5, "مرحبا بالعالم")]
    result = compute(tracker([rtl], entries, title="דוח"), dt.date(2026, 11, 20))
    summary = build_report(result).sheet("Summary")
    texts = {"מכירות", "العربية", "אבי כהן", "مرحبا بالعالم", "דוח"}
    cells = {c.value: c for c in summary.cells if c.value in texts}
    cells |= {m.value: m for m in summary.merges if m.value in texts}
    assert set(cells) == texts
    for text, cell in cells.items():
        assert cell.style is not None and cell.style.align == "left", text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("אבי כהן", "ןהכ יבא"),
        ("Owner: אבי כהן", "Owner: ןהכ יבא"),
        ("מכירות (רבעון 3)", "(3 ןועבר) תוריכמ"),
        ('שלב 1,200.50 ש"ח', 'ח"ש 1,200.50 בלש'),
        ("Zoë 🚀 日本", "Zoë 🚀 日本"),
    ],
)
def test_pdf_shows_hebrew_in_reading_order(typed: str, shown: str) -> None:
    assert visual(typed) == shown


def test_pdf_joins_arabic_letters_with_glyphs_the_font_has() -> None:
    shown = visual("مرحبا بالعالم")
    assert shown != "مرحبا بالعالم"[::-1]  # joined forms, not just reversed
    assert all(0xFB50 <= ord(ch) <= 0xFEFF or ch == " " for ch in shown)
    assert REPLACEMENT not in "".join(text for _, text in runs(shown))


def test_computing_in_the_past_does_not_flood_the_terminal(tmp_path: Path) -> None:
    entries = with_entries(*[[dt.date(2026, 11, 1), "SALES", 1, None, None] for _ in range(30)])
    book = tracker_file(tmp_path / "t.xlsx", Entries=entries)
    result = run("refresh", str(book), "--as-of", "2020-01-01")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    # 38 future-dated entries (the template's 8 and 30 more) are one line with their cells.
    future = [line for line in lines if "(future-date)" in line]
    assert len(future) == 1
    assert future[0].startswith("warning: Entries!A2:A39: 38 cells; first A2: ")
    assert lines[-2:] == [
        f"Repeated problems are shown once with their cells; `kpisheets check {book} "
        "--as-of 2020-01-01 --format json` lists each.",
        "38 entries are left out of these figures (future-date 38) — see the problems above.",
    ]
    check = run("check", str(book), "--as-of", "2020-01-01", "--format", "json")
    assert check.stdout.count('"future-date"') == 38


def test_command_list_is_not_cut_off_in_an_80_column_terminal() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    commands = result.output.split("Commands:")[1].strip().splitlines()
    assert len(commands) == len(cli.commands)
    assert not [line for line in commands if line.endswith("...")]


# ---------------------------------------------------------------------------
# The command a refusal suggests works when pasted, from where the user is


def suggested_command(stderr: str) -> list[str]:
    """The arguments of the `kpisheets …` command quoted in a refusal (paths with
    spaces come double-quoted, as a shell would take them)."""
    import shlex

    command = stderr.split("`")[1]
    words = shlex.split(command)
    assert words[0] == "kpisheets"
    return words[1:]


@pytest.mark.parametrize("folder", ["corp", "team reports"])
def test_not_a_tracker_suggests_init_with_the_path_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    typed = f"{folder}/macro01.xlsx"
    write_workbook(tmp_path / typed, {"Budget": [["Item", "Cost"], ["Rent", 100]]})
    result = run("status", typed)
    assert result.exit_code == 1
    assert "macro01.xlsx is not a kpisheets tracker" in result.stderr
    args = suggested_command(result.stderr)
    assert args == ["init", typed]
    assert (f'"{typed}"' in result.stderr) == (" " in typed)
    assert run(*args).exit_code == 0
    assert run("check", typed).exit_code == 0  # init made it a tracker


def test_an_empty_file_suggests_a_new_command_that_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kpis").mkdir()
    typed = "kpis/empty.xlsx"
    (tmp_path / typed).write_bytes(b"")
    result = run("status", typed)
    assert result.exit_code == 1
    args = suggested_command(result.stderr)
    assert args[:2] == ["new", typed]
    assert run(*args).exit_code == 0
    assert run("check", typed).exit_code == 0


# ---------------------------------------------------------------------------
# check finds what makes refresh refuse


@pytest.mark.parametrize("own_sheet", ["Summary", " history ", "PROBLEMS"])
def test_check_reports_a_users_sheet_named_like_a_generated_one(
    tmp_path: Path, own_sheet: str
) -> None:
    book = tracker_file(tmp_path / "t.xlsx", **{own_sheet: [["My notes"], ["keep me"]]})
    assert run("refresh", str(book), *AS_OF).exit_code == 1  # refresh refuses …
    result = run("check", str(book), *AS_OF, "--format", "json")
    assert result.exit_code == 1  # … and check says so, instead of "no problems"
    [problem] = [p for p in json.loads(result.stdout) if p["code"] == "generated-sheet-taken"]
    assert problem["severity"] == "error" and problem["sheet"] == own_sheet
    assert "Rename the sheet" in problem["hint"]


def test_check_accepts_the_sheets_refresh_wrote(tmp_path: Path) -> None:
    book = tracker_file(tmp_path / "t.xlsx")
    assert run("refresh", str(book), *AS_OF).exit_code == 0
    result = run("check", str(book), *AS_OF)
    assert result.exit_code == 0
    assert "generated-sheet-taken" not in result.stdout
