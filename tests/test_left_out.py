"""Counted rows: every output that shows figures says how many entries problems left
out of them (Summary, every export, `status` in every format), and none says it when
nothing was left out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from python_calamine import CalamineWorkbook

from kpisheets.export import KNOWN_SUFFIXES
from tests.builders import simple_tracker_sheets, write_workbook

AS_OF = "2026-11-20"
LINE = "3 entries are left out of these figures (bad-date 2, unknown-kpi 1)"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def dropped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker with two entries whose Date is no date and one with an unknown KPI,
    written as Excel Tables."""
    sheets = simple_tracker_sheets()
    sheets["Entries"] += [
        ["soon", "SALES", 100, None, "Ana"],
        ["later", "SALES", 200, None, "Ana"],
        [dt.date(2026, 11, 3), "SALEZ", 300, None, "Ana"],
    ]
    return write_workbook(tmp_path_factory.mktemp("left-out") / "t.xlsx", sheets, as_tables=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("clean") / "t.xlsx", simple_tracker_sheets())


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_status_says_it_on_stderr_in_every_format(dropped: Path, fmt: str) -> None:
    proc = cli("status", dropped, "--as-of", AS_OF, "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert f"{LINE} — see the problems above." in proc.stderr
    assert "(unknown-kpi)" in proc.stderr and "(bad-date)" in proc.stderr  # csv too
    if fmt == "json":
        assert json.loads(proc.stdout)["left_out"] == {"bad-date": 2, "unknown-kpi": 1}
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(proc.stdout)))
        assert {r["entries_left_out"] for r in rows} == {"3"}


# openpyxl drops the x14 extensions (sparklines, solid data bars) and says so.
@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_refreshed_summary_links_the_line_to_problems(dropped: Path, tmp_path: Path) -> None:
    out = tmp_path / "refreshed.xlsx"
    proc = cli("refresh", dropped, "--as-of", AS_OF, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert LINE in proc.stderr
    summary = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()
    texts = [c for row in summary for c in row if isinstance(c, str)]
    [line] = [t for t in texts if t.startswith("3 entries")]
    assert line == f"{LINE} — see Problems"
    # Its place: after the as-of line, before the status tiles.
    rows = [i for i, row in enumerate(summary) if line in row]
    tiles = [i for i, row in enumerate(summary) if "On track" in row]
    assert rows[0] < tiles[0]
    # A hyperlink to the Problems sheet, not a formula.
    sheet = openpyxl.load_workbook(out)["Summary"]
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == line]
    assert cell.hyperlink is not None and cell.hyperlink.location == "Problems!A1"
    assert not any(
        isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
        for row in sheet.iter_rows()
        for c in row
    )
    problems = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Problems").to_python()
    assert any(LINE in str(c) for c in problems[2])


def test_every_export_says_it(dropped: Path, tmp_path: Path) -> None:
    outputs = {suffix: tmp_path / f"summary{suffix}" for suffix in KNOWN_SUFFIXES}
    for out in outputs.values():
        proc = cli("export", dropped, "-o", out, "--as-of", AS_OF)
        assert proc.returncode == 0, proc.stderr
        assert LINE in proc.stderr
    where = "see the Problems sheet of t.xlsx"
    assert f"**{LINE} — {where}.**" in outputs[".md"].read_text(encoding="utf-8")
    html = outputs[".html"].read_text(encoding="utf-8")
    assert f'{LINE} — <a href="#problems">see Problems</a>.' in html
    assert html.index(LINE) < html.index('class="tiles"')
    slides = Presentation(str(outputs[".pptx"])).slides
    summary_slide = next(s for s in slides if s.shapes.title.text.startswith("Summary"))
    for slide in (slides[0], summary_slide):  # the title slide and the summary slide
        text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert f"{LINE} — {where}." in text
    summary = CalamineWorkbook.from_path(str(outputs[".xlsx"])).get_sheet_by_name("Summary")
    assert f"{LINE} — see Problems" in [c for r in summary.to_python() for c in r]
    assert json.loads(outputs[".json"].read_text())["left_out"] == {
        "bad-date": 2,
        "unknown-kpi": 1,
    }
    rows = list(csv.DictReader(io.StringIO(outputs[".csv"].read_text(encoding="utf-8-sig"))))
    assert rows and all(r["entries_left_out"] == "3" for r in rows)
    pdf = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(outputs[".pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert " ".join(f"{LINE} — {where}.".split()) in " ".join(pdf.split())


def test_nothing_is_said_when_nothing_is_left_out(clean: Path, tmp_path: Path) -> None:
    proc = cli("status", clean, "--as-of", AS_OF, "--format", "csv")
    assert proc.returncode == 0 and "left out" not in proc.stderr
    out = tmp_path / "r.xlsx"
    assert cli("refresh", clean, "--as-of", AS_OF, "-o", out).returncode == 0
    summary = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()
    assert not any("left out" in str(c) for row in summary for c in row)
    md = tmp_path / "s.md"
    assert cli("export", clean, "-o", md, "--as-of", AS_OF).returncode == 0
    assert "left out" not in md.read_text(encoding="utf-8")
