"""`kpisheets demo`: a sample tracker refreshed and exported into a folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisheets.cli import cli
from kpisheets.demo import MARKER, run_demo
from kpisheets.errors import OutputExistsError
from kpisheets.export import KNOWN_SUFFIXES
from tests.conftest import ROOT


def sheet_names(path: Path) -> list[str]:
    import re

    with zipfile.ZipFile(path) as package:
        return re.findall(r'<sheet name="([^"]+)"', package.read("xl/workbook.xml").decode())


def test_demo_refreshes_and_exports_every_format(tmp_path: Path) -> None:
    lines: list[str] = []
    folder = tmp_path / "demo"
    written = run_demo(folder, echo=lines.append)
    tracker = folder / "sales-kpis.xlsx"
    assert written[0] == tracker
    assert sorted(p.suffix for p in written[1:]) == sorted(KNOWN_SUFFIXES)
    assert all(p.stat().st_size > 0 for p in written)
    names = sheet_names(tracker)
    assert names[:6] == ["Instructions", "KPIs", "Entries", "Targets", "Settings", "Actions"]
    assert {"Summary", "History", "Problems"} <= set(names)
    # The sample's own sheets came through the refresh untouched.
    shipped = ROOT / "sample_workbooks" / "sales-kpis.xlsx"
    with zipfile.ZipFile(shipped) as before, zipfile.ZipFile(tracker) as after:
        assert before.read("xl/worksheets/sheet3.xml") == after.read("xl/worksheets/sheet3.xml")
    text = "\n".join(lines)
    assert "as of 2026-11-20" in text
    assert "REVENUE" in text and "Win rate" in text and "Off track" in text
    assert "Open these:" in text and str(folder / "meeting-summary.pdf") in text
    # The PDF is described as it is: its page count and what its pages hold, in order
    # (it said "then 5 pages of charts" with a Needs attention page among the five).
    pdf = folder / "meeting-summary.pdf"
    about = next(line for line in lines if str(pdf) in line)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert about.endswith(
        f"the meeting summary, {pages} pages: the KPI table, what needs attention, "
        "then the charts by category"
    )
    if shutil.which("pdftotext"):
        texts = [
            subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                capture_output=True, text=True, check=True,
            ).stdout
            for n in range(1, pages + 1)
        ]  # fmt: skip
        assert "Win rate" in texts[0] and "Needs attention" in texts[1]
        assert all("actual against target" in t for t in texts[2:])


def test_demo_runs_again_in_its_own_folder_but_not_in_someone_elses(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    run_demo(folder, echo=lambda _: None)
    assert (folder / MARKER).exists()
    run_demo(folder, echo=lambda _: None)  # replaces its own files

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "budget.xlsx").write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="did not make"):
        run_demo(mine, echo=lambda _: None)
    assert [p.name for p in mine.iterdir()] == ["budget.xlsx"]
    assert (mine / "budget.xlsx").read_bytes() == b"precious"


def test_demo_skips_a_format_whose_library_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kpisheets.export.pptx", None)
    lines: list[str] = []
    written = run_demo(tmp_path / "demo", echo=lines.append)
    assert ".pptx" not in [p.suffix for p in written]
    assert any(line.startswith("Skipped .pptx") for line in lines)


def test_cli_demo(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "kpi-demo"
    result = runner.invoke(cli, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    assert "meeting-summary.html" in result.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    refused = runner.invoke(cli, ["demo", str(tmp_path / "other")])
    assert refused.exit_code == 1
    assert "did not make" in refused.output and "Traceback" not in refused.output


def test_demo_quiet_prints_the_files_it_made(tmp_path: Path) -> None:
    """`demo -q` printed nothing at all; its result is the files it made."""
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == str(folder / "sales-kpis.xlsx") and len(lines) == 1 + len(KNOWN_SUFFIXES)
    assert all(Path(line).is_file() for line in lines)
