"""What the command line prints and how much: tables that fit 80 columns, -q and -v on
every command, a progress display on a terminal only, several exports in one run."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kpisheets
from kpisheets.cli import cli
from tests.builders import simple_tracker_sheets, write_workbook

AS_OF = ["--as-of", "2026-11-20"]
COMMANDS = ["new", "init", "refresh", "check", "status", "export", "import", "demo"]


def run(*args: str, **env: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "", **env})


def wordy_tracker(path: Path) -> Path:
    """A tracker whose names, periods and problems are long."""
    sheets = simple_tracker_sheets()
    sheets["KPIs"][1][1] = "Net new annual recurring revenue from enterprise customers in EMEA " * 3
    sheets["Entries"].append(["not a date at all, typed by someone in a hurry", "SALES", 1])
    sheets["Entries"].append(["2026-11-03", "SALES", "a few thousand, give or take"])
    return write_workbook(path, sheets)


@pytest.mark.parametrize("command", ["status", "check"])
def test_tables_fit_80_columns(command: str, tmp_path: Path) -> None:
    path = wordy_tracker(tmp_path / "t.xlsx")
    result = run(command, str(path), *AS_OF)
    assert result.stdout.strip()
    widths = [len(line) for line in result.stdout.splitlines()]
    assert max(widths) <= 80, result.stdout
    if command == "status":
        assert "Net new annual" in result.stdout and "$" in result.stdout
    else:
        assert "bad-date" in result.stdout and "bad-number" in result.stdout
    wide = run(command, str(path), *AS_OF, COLUMNS="200")
    assert max(len(line) for line in wide.stdout.splitlines()) > 80  # uses the room there is


SAMPLES = sorted((Path(__file__).resolve().parent.parent / "sample_workbooks").glob("*.xlsx"))


@pytest.mark.parametrize("book", SAMPLES, ids=lambda p: p.stem)
def test_the_samples_status_fits_80_columns(book: Path) -> None:
    """Figures with unit words ("27 proposals" three times in a row) made the shipped
    samples' tables 86-91 columns wide: the unit words wrap under the number."""
    result = run("status", str(book))
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    lines = result.stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    end = lines.index("", rule)
    ids = [line.split()[0] for line in lines[rule + 1 : end] if line[:1].strip()]
    kpis = kpisheets.status(book).kpis
    # One row per KPI; an ID longer than 10 characters may be cut last ("FIRST_RESPO…").
    assert len(ids) == len(kpis)
    assert all(k.id.startswith(i.rstrip("…")) for i, k in zip(ids, kpis, strict=True))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_quiet_and_verbose(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "-q, --quiet" in result.stdout and "-v, --verbose" in result.stdout


def test_quiet_verbose_and_no_progress_when_piped(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    plain = run("refresh", str(path), *AS_OF)
    assert plain.exit_code == 0 and plain.stdout.startswith("Refreshed ")
    assert "Reading" not in plain.stderr  # piped: no progress display

    quiet = run("refresh", str(path), *AS_OF, "-q")
    assert quiet.exit_code == 0 and quiet.stdout == ""

    verbose = run("refresh", str(path), *AS_OF, "-v")
    stages = [line.split(" s  ", 1)[1] for line in verbose.stderr.splitlines() if " s  " in line]
    assert stages[0] == "Reading t.xlsx" and stages[-1] == "Done"
    assert "Checking 8 entries" in stages and any(s.startswith("Writing ") for s in stages)

    both = run("status", str(path), "-q", "-v")
    assert both.exit_code == 2 and "opposite" in both.output
    check = run("check", str(path), "-q")
    assert check.exit_code == 0 and check.stdout == ""


def test_verbose_lists_every_problem(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    for day in (21, 22, 23):  # three entries after the as-of date: one group
        sheets["Entries"].append([f"2026-11-{day}", "SALES", 1])
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    grouped = run("status", str(path), *AS_OF)
    every = run("status", str(path), *AS_OF, "-v")
    count = sum("(future-date)" in line for line in grouped.stderr.splitlines())
    assert count == 1
    assert sum("(future-date)" in line for line in every.stderr.splitlines()) == 3


def test_export_writes_several_formats_and_text_to_stdout(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    pdf, pptx, html = (tmp_path / f"s.{x}" for x in ("pdf", "pptx", "html"))
    result = run("export", str(path), "-o", str(pdf), "-o", str(pptx), "-o", str(html))
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes()[:5] == b"%PDF-" and pptx.read_bytes()[:2] == b"PK"
    assert "<!DOCTYPE html>" in html.read_text(encoding="utf-8")
    assert result.stdout.splitlines() == [f"Wrote {pdf}", f"Wrote {pptx}", f"Wrote {html}"]

    md = run("export", str(path), "-o", "-", "--format", "md", "-o", str(tmp_path / "a.json"))
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Team KPIs") and "Wrote" not in md.stdout
    assert f"Wrote {tmp_path / 'a.json'}" in md.stderr
    csv = run("export", str(path), "-o", "-", "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("id,name,")
    assert not csv.stdout.startswith("\ufeff")  # no byte-order mark on a terminal/pipe

    missing = run("export", str(path), "-o", "-")
    assert missing.exit_code == 2 and "--format" in missing.output
    twice = run("export", str(path), "-o", "-", "-o", "-", "--format", "md")
    assert twice.exit_code == 2
    bad = run("export", str(path), "-o", str(pdf), "-o", str(tmp_path / "a.docx"))
    assert bad.exit_code == 2 and "a.docx" in bad.output


def test_bash_completion_as_documented() -> None:
    """docs/command-line.md's line for ~/.bashrc, in a real bash: the completion function
    is registered and completes commands, options and template names."""
    import shutil

    bash, script = shutil.which("bash"), shutil.which("kpisheets")
    if bash is None or script is None:
        pytest.skip("needs bash and the installed kpisheets script (pip install -e .)")
    doc = (Path(__file__).resolve().parent.parent / "docs" / "command-line.md").read_text()
    line = 'eval "$(_KPISHEETS_COMPLETE=bash_source kpisheets)"'
    assert line in doc
    program = line + (
        "\ncomplete -p kpisheets"
        '\ncomp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=();'
        ' _kpisheets_completion kpisheets; echo "${COMPREPLY[*]}"; }'
        "\ncomp kpisheets ex\ncomp kpisheets export t.xlsx --fo"
        '\ncomp kpisheets new t.xlsx --template ""'
    )
    path = os.pathsep.join([str(Path(script).parent), os.environ.get("PATH", "")])
    out = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", program],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "PATH": path},
    ).stdout.splitlines()  # fmt: skip
    assert out[0].endswith("-F _kpisheets_completion kpisheets")
    assert out[1:3] == ["export", "--format"]
    assert set(out[3].split()) == {"blank", "sales", "marketing", "customer-success", "people"}


def test_progress_is_shown_on_a_terminal_and_erased(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: the live line appears and is cleared at the end."""
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    text, stdout, code = _on_a_terminal(["refresh", str(path), *AS_OF], 80)
    assert code == 0
    assert "Reading t.xlsx" in text and "\r" in text
    # the pseudo-terminal reports 0 columns: the line is not cut to "Reading t.xlsx……"
    assert re.search(r"Reading t\.xlsx… +\d+\.\d s", text), text
    assert text.rstrip(" ").endswith("\r")  # the line is erased: nothing is left behind
    assert stdout.startswith(b"Refreshed ")


def _on_a_terminal(args: list[str], columns: int) -> tuple[str, bytes, int]:
    """Run ``kpisheets ARGS`` with stderr on a pseudo-terminal (which reports 0
    columns, so $COLUMNS decides): what it wrote there, its stdout and its exit code."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kpisheets.cli", *args],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    with proc.stdout:
        stdout = proc.stdout.read()
    code = proc.wait(timeout=60)
    os.close(main)
    return seen.decode("utf-8", "replace"), stdout, code


def test_problem_lines_break_between_words_on_a_terminal(tmp_path: Path) -> None:
    """On an 80-column terminal every problem line fits and no word is cut (the
    terminal itself would break 'Entries!C31' or 'thousands' at its edge); piped, each
    problem stays one line, as scripts and logs read it."""
    path = wordy_tracker(tmp_path / "t.xlsx")
    text = _on_a_terminal(["status", str(path), *AS_OF], 80)[0].replace("\r\n", "\n")
    # the progress line is erased with \r; what is left after the last \r of each line
    lines = [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]
    problems = [line for line in lines if line.strip()]
    assert any(line.startswith("error: ") for line in problems), text
    assert all(len(line) <= 80 for line in problems), problems

    piped = run("status", str(path), *AS_OF).stderr.splitlines()
    assert any(len(line) > 80 for line in piped)  # piped: one line per problem
    # the same words in the same order: broken between words, none cut or lost
    assert " ".join(problems).split() == " ".join(piped).split()
