"""``kpisheets export`` and ``status --format csv`` end to end, from a workbook."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisheets.cli import cli
from kpisheets.export import KNOWN_SUFFIXES
from tests.builders import simple_tracker_sheets, write_workbook

pytest.importorskip("kpisheets.validate", reason="the READ/VALIDATE helper's module has not landed")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    sheets = simple_tracker_sheets()
    sheets["Entries"].append(["2026-11-17", "SALES", 100, "=cmd|' /C calc'!A0", "Ana"])
    return write_workbook(tmp_path / "tracker.xlsx", sheets)


@pytest.mark.parametrize("suffix", KNOWN_SUFFIXES)
def test_export_every_format(book: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"summary{suffix}"
    run = CliRunner().invoke(cli, ["export", str(book), "-o", str(out), "--as-of", "2026-11-20"])
    assert run.exit_code == 0, run.output
    assert out.stat().st_size > 0
    assert f"Wrote {out}" in run.output
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers


def test_csv_export_matches_status_json(book: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    status = runner.invoke(cli, ["status", str(book), "--as-of", "2026-11-20", "--format", "json"])
    assert status.exit_code == 0, status.output
    figures = {k["id"]: k for k in json.loads(status.stdout)["kpis"]}
    printed = runner.invoke(cli, ["status", str(book), "--as-of", "2026-11-20", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert {r["id"] for r in rows} == set(figures)
    for row in rows:
        for key in ("actual", "target", "achievement"):
            want = figures[row["id"]][key]
            assert (float(row[key]) if row[key] else None) == want
    sales = next(r for r in rows if r["id"] == "SALES")
    assert sales["note"] == "'=cmd|' /C calc'!A0"
