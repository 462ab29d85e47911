"""`kpisheets check` end to end, as a user runs it: a real process, real files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import simple_tracker_sheets, write_workbook
from tests.test_problem_codes import crafted


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_tracker_exits_0(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=True)
    before = digest(path)
    proc = run(path, "--as-of", "2026-11-20")
    assert proc.returncode == 0, proc.stderr
    assert "no problems" in proc.stdout
    assert digest(path) == before


def test_bad_tracker_table_and_json(tmp_path: Path) -> None:
    path = crafted(tmp_path / "bad.xlsx")
    before = digest(path)
    table = run(path, "--as-of", "2026-11-20")
    assert table.returncode == 1 and "Traceback" not in table.stderr
    assert "Entries!B6" in table.stdout and "unknown-kpi" in table.stdout
    proc = run(path, "--as-of", "2026-11-20", "--format", "json")
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)
    first = next(p for p in problems if p["code"] == "unknown-kpi")
    assert first["cell"] == "Entries!B6" and first["column"] == "KPI" and first["row"] == 6
    assert set(first) == {"code", "severity", "sheet", "cell", "column", "row", "kpi",
                          "message", "hint"}  # fmt: skip
    assert digest(path) == before


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    sheets["Settings"].append(["Colour", "blue"])
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    proc = run(path, "--format", "json", "--as-of", "2026-11-20")
    assert proc.returncode == 0
    assert [p["code"] for p in json.loads(proc.stdout)] == ["unknown-setting"]


def test_not_a_tracker_is_one_sentence(tmp_path: Path) -> None:
    cases = {
        "notes.csv": b"Date,KPI,Value\n",
        "cut.xlsx": write_workbook(tmp_path / "w.xlsx", simple_tracker_sheets()).read_bytes()[:900],
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        proc = run(path)
        assert proc.returncode == 1, name
        assert proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], lines
        assert path.read_bytes() == data


def test_missing_sheet_is_listed(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    del sheets["KPIs"]
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    proc = run(path, "--format", "json")
    assert proc.returncode == 1
    assert [(p["code"], p["sheet"]) for p in json.loads(proc.stdout)] == [("missing-sheet", "KPIs")]


def as_a_user_who_cannot_read() -> list[str] | None:
    """A command prefix under which a file of mode 000 cannot be read: none needed for
    an ordinary user; for root (CI), setpriv dropping the capabilities that let root
    read any file; None when neither is possible."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if setpriv else None


@pytest.mark.skipif(
    as_a_user_who_cannot_read() is None, reason="root without setpriv reads every file"
)
@pytest.mark.parametrize("command", ["check", "status", "refresh", "init", "export"])
def test_an_unreadable_file_is_exit_1_and_a_sentence(tmp_path: Path, command: str) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=True)
    path.chmod(0)
    extra = ["-o", str(tmp_path / "out.pdf")] if command == "export" else []
    prefix = as_a_user_who_cannot_read() or []
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "kpisheets.cli", command, str(path), *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "cannot use" in proc.stderr and "t.xlsx" in proc.stderr
    assert "Usage:" not in proc.stderr and "Traceback" not in proc.stderr
