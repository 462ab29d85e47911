"""Repeated problems are grouped for people (Problems sheet, check's table, stderr)
while the library and ``check --format json`` keep every one."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from kpisheets.model import Problem
from kpisheets.problems import compact_ranges, errors_first, group_problems
from tests.builders import simple_tracker_sheets, write_workbook


def late(row: int, kpi: str = "SALES", column: str = "A") -> Problem:
    return Problem(
        code="future-date",
        severity="warning",
        message=f"The {kpi} entry in row {row} is after the as-of date.",
        hint="Check the date.",
        sheet="Entries",
        cell=f"Entries!{column}{row}",
        column="Date",
        row=row,
        kpi=kpi,
    )


def test_one_code_in_one_column_is_one_group_with_compact_ranges() -> None:
    problems = [late(r, kpi=f"K{r % 3}") for r in [*range(986300, 1_000_000), 12, 14, 15]]
    (group,) = group_problems(problems)
    assert group.count == 13_703
    assert group.cells() == "Entries!A12, A14:A15, A986300:A999999"  # sorted by row
    assert group.first is problems[0]  # the example is the first found
    assert group.message().startswith("13,703 cells; first A986300: The K")
    assert group.kpi_text() == "K2, K0, K1"


def test_a_handful_of_ranges_then_how_many_more() -> None:
    problems = [late(r) for r in range(2, 40, 2)]  # 19 separate cells
    (group,) = group_problems(problems)
    assert group.cells() == "Entries!A2, A4, A6, A8, A10 and 14 more ranges"
    assert compact_ranges(["'My sheet'!C7"]) == "'My sheet'!C7"


def test_groups_split_by_code_severity_column_and_kpi_without_cell() -> None:
    other_column = Problem(
        "future-date", "warning", "m", "h", "Entries", "Entries!F9", "Logged", 9, "SALES"
    )
    error = Problem("bad-date", "error", "x is not a date", "h", "Entries", "Entries!A3", "Date", 3)
    kpi_level = [
        Problem("division-by-zero", "warning", f"{p}", "h", kpi="CONV") for p in ("Nov", "Oct")
    ]
    sheet_level = [
        Problem("missing-column", "error", "no Value", "h", sheet="Entries"),
        Problem("missing-column", "error", "no KPI", "h", sheet="Entries"),
    ]
    groups = group_problems([late(2), late(3), other_column, error, *kpi_level, *sheet_level])
    assert [(g.code, g.count, g.where()) for g in groups] == [
        ("future-date", 2, "Entries!A2:A3"),
        ("future-date", 1, "Entries!F9"),
        ("bad-date", 1, "Entries!A3"),
        ("division-by-zero", 2, ""),
        ("missing-column", 1, "Entries"),  # whole-sheet problems each say something else
        ("missing-column", 1, "Entries"),
    ]
    assert groups[3].message() == "2 times; first: Nov"
    assert [g.severity for g in errors_first(groups)][:3] == ["error"] * 3


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kpisheets.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_prints_one_line_per_group_and_json_keeps_every_problem(tmp_path: Path) -> None:
    sheets = simple_tracker_sheets()
    sheets["Entries"] += [[dt.date(2026, 12, d), "SALES", 10, None, "Ana"] for d in range(1, 31)]
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    table = cli("check", path, "--as-of", "2026-11-20")
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if "future-date" in line]
    assert len(lines) == 1
    assert "Entries!A10:A39" in lines[0] and "30 cells; first A10: " in lines[0]
    listed = json.loads(cli("check", path, "--as-of", "2026-11-20", "--format", "json").stdout)
    assert [p["cell"] for p in listed if p["code"] == "future-date"] == [
        f"Entries!A{r}" for r in range(10, 40)
    ]
    refresh = cli("refresh", path, "--as-of", "2026-11-20", "-q")
    assert refresh.returncode == 0, refresh.stderr
    assert refresh.stderr.count("(future-date)") == 1
    assert "warning: Entries!A10:A39: 30 cells; first A10: The SALES entry" in refresh.stderr


def test_left_out_counts_every_entry_a_problem_left_out() -> None:
    from kpisheets.calc import compute
    from kpisheets.model import RawTable, RawTracker
    from kpisheets.validate import validate

    def table(sheet: str, rows: list[list[object]]) -> RawTable:
        letters = [chr(65 + i) for i in range(len(rows[0]))]
        return RawTable(sheet, [str(h) for h in rows[0]], letters, rows[1:],
                        list(range(2, len(rows) + 1)))  # fmt: skip

    kpis = [["ID", "KPI", "Aggregation"], ["S", "Sales", "Sum"], ["BAD", "Broken", "Sometimes"],
            ["R", "Rate", "Formula"]]  # fmt: skip
    day = dt.date(2026, 11, 2)
    entries = [
        ["Date", "KPI", "Value"],
        [day, "S", 1.0],
        [day, "S", 2.0],
        ["someday", "S", 1.0],  # bad-date
        ["someday", "NOPE", 1.0],  # bad-date first, then unknown-kpi: counted once
        [day, "NOPE", 1.0],  # unknown-kpi
        [day, "S", None],  # blank value: a warning, and the entry is ignored
        [day, "R", 5.0],  # entry-for-formula-kpi
        [day, "BAD", 3.0],  # its KPI has bad-aggregation
        [day, "BAD", 4.0],
        [dt.date(2026, 12, 1), "S", 9.0],  # future-date
    ]
    raw = RawTracker(path=None, tables={"KPIs": table("KPIs", kpis),
                                        "Entries": table("Entries", entries)})  # fmt: skip
    result = compute(validate(raw), dt.date(2026, 11, 20))
    assert result.left_out == {
        "bad-date": 2,
        "unknown-kpi": 1,
        "bad-number": 1,
        "entry-for-formula-kpi": 1,
        "future-date": 1,
        "bad-aggregation": 2,
    }
    assert result.left_out_count == 8 == result.entry_count - 2
    assert result.to_dict()["left_out"] == result.left_out
