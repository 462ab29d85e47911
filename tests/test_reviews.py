"""Reviews: the Snapshots sheet kept across refreshes and what changed since the last
review (`since` in the JSON, `status --since`), in the file refresh and the live one."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

import kpisheets
from kpisheets.cli import cli
from kpisheets.model import Problem, Status
from kpisheets.refresh import refresh_workbook
from kpisheets.reviews import (
    KEEP_SNAPSHOTS,
    SNAPSHOT_HEADER_ROW,
    KpiSnapshot,
    ProblemGroup,
    Snapshot,
    compare,
    keep_snapshots,
    last_review,
    since_lines,
    snapshots_from_table,
    take_snapshot,
)
from kpisheets.write.package import SheetNameTakenError, owned_sheets
from tests.builders import simple_tracker_sheets, write_workbook

NOV = {d: dt.date(2026, 11, d) for d in range(1, 31)}


def tracker_sheets() -> dict[str, list[list[Any]]]:
    """The simple tracker plus LEADS, whose first entry is dated 12 Nov."""
    sheets = simple_tracker_sheets()
    sheets["KPIs"].append(["LEADS", "Leads", "Revenue", "Ana", "", "Higher", "Sum", "Month", 40])
    sheets["Entries"].append([NOV[12], "LEADS", 30, "First batch", "Ana"])
    return sheets


def snapshot_rows(path: Path) -> list[list[Any]]:
    """The data rows of the Snapshots sheet as python-calamine reads them."""
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name("Snapshots").to_python(skip_empty_area=False)
    assert rows[SNAPSHOT_HEADER_ROW][:3] == ["As of", "KPI", "Name"]
    return [r for r in rows[SNAPSHOT_HEADER_ROW + 1 :] if any(v not in ("", None) for v in r)]


def status_json(path: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["status", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# ---------------------------------------------------------------------------
# The file refresh


def test_snapshots_are_kept_across_refreshes_and_compared(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets(), as_tables=True)
    first = refresh_workbook(path, as_of=NOV[10])
    assert first.since is not None and first.since.date is None  # nothing to compare yet
    assert owned_sheets(path)[-1] == "Snapshots"
    rows = snapshot_rows(path)
    assert {r[0] for r in rows} == {NOV[10]}
    # Four KPIs, and the entries after 10 Nov as future-date groups with their cells.
    assert sorted(r[1] for r in rows if r[1] and not r[9]) == ["CHURN", "LEADS", "NPS", "SALES"]
    future = [r for r in rows if r[9] == "future-date"]
    assert sorted((r[1], r[11], r[12]) for r in future) == [
        ("CHURN", 1, "Entries!A6"),
        ("LEADS", 1, "Entries!A10"),
        ("SALES", 1, "Entries!A4"),
    ]

    result = refresh_workbook(path, as_of=NOV[20])
    rows = snapshot_rows(path)
    assert [r[0] for r in rows if r[1] == "SALES" and not r[9]] == [
        NOV[20],
        NOV[10],
    ]  # newest first
    since = result.since
    assert since is not None and since.date == NOV[10] and not since.chosen
    # Sales: 4,500 against 3,333 expected on 10 Nov, 6,000 against 6,667 on 20 Nov.
    assert [(c.id, c.status_before, c.status) for c in since.status_changes] == [
        ("SALES", Status.ON_TRACK, Status.AT_RISK)
    ]
    moves = {c.id: round(c.points or 0) for c in since.score_moves}
    assert moves["SALES"] == -45 and moves["CHURN"] == -20  # 1.35 → 0.90, 1.20 → 1.00
    assert "NPS" not in moves
    assert [(f.id, f.date) for f in since.first_entries] == [("LEADS", NOV[12])]
    assert since.new_problems == []  # the future-dated entries of 10 Nov are now counted

    # The same as-of again replaces that snapshot instead of adding one.
    count = len(snapshot_rows(path))
    refresh_workbook(path, as_of=NOV[20])
    assert len(snapshot_rows(path)) == count


def test_since_in_the_json_and_status_since(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets())
    refresh_workbook(path, as_of=NOV[2])
    refresh_workbook(path, as_of=NOV[10])
    data = status_json(path, "--as-of", "2026-11-20")
    since = data["since"]
    assert since["date"] == "2026-11-10" and since["review_every"] == 7
    assert since["chosen"] is False
    assert since["status_changes"] == [
        {
            "id": "SALES",
            "name": "Sales",
            "status_before": "on_track",
            "status": "at_risk",
            "score_before": pytest.approx(1.35),
            "score": pytest.approx(0.9),
            "points": pytest.approx(-45),
        }
    ]
    assert [f["id"] for f in since["first_entries"]] == ["LEADS"]

    chosen = status_json(path, "--as-of", "2026-11-20", "--since", "2026-11-05")["since"]
    assert chosen["date"] == "2026-11-02" and chosen["chosen"] is True

    table = CliRunner().invoke(cli, ["status", str(path), "--as-of", "2026-11-20"])
    assert table.exit_code == 0, table.output
    assert "Since 10 Nov 2026 (last review)" in table.stdout
    assert "Sales On track → At risk" in table.stdout

    # --since 5 Nov takes the snapshot of 2 Nov: the heading names what was compared
    # with, not "the date asked for" (5 Nov was asked for).
    between = CliRunner().invoke(
        cli, ["status", str(path), "--as-of", "2026-11-20", "--since", "2026-11-05"]
    )
    assert "Since 2 Nov 2026 (the snapshot asked for)" in between.stdout

    early = CliRunner().invoke(cli, ["status", str(path), "--since", "2026-10-01"])
    assert early.exit_code == 2
    assert "no snapshot on or before 2026-10-01" in early.output
    assert "2026-11-10, 2026-11-02" in early.output


def test_a_users_own_snapshots_sheet_is_never_read_or_replaced(tmp_path: Path) -> None:
    sheets = {**tracker_sheets(), "Snapshots": [["My notes"], ["keep me"]]}
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    before = path.read_bytes()
    with pytest.raises(SheetNameTakenError, match="Snapshots"):
        refresh_workbook(path, as_of=NOV[20])
    assert path.read_bytes() == before
    assert kpisheets.load(path).kept == {}


def test_dates_are_right_in_a_1904_workbook(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets(), date1904=True)
    refresh_workbook(path, as_of=NOV[20])
    refresh_workbook(path, as_of=NOV[20])
    assert {r[0] for r in snapshot_rows(path)} == {NOV[20]}
    with CalamineWorkbook.from_path(str(path)) as book:
        summary = book.get_sheet_by_name("Summary").to_python(skip_empty_area=False)
    assert summary[2][0] == NOV[20]  # "As of" on the Summary, not 21 Nov 2030


# ---------------------------------------------------------------------------
# The model


def kpi_snapshot(kpi_id: str, status: Status, score: float | None, last: dt.date | None) -> Any:
    return KpiSnapshot(kpi_id, kpi_id.title(), status, score, None, None, last)


def test_keep_snapshots_keeps_the_newest_500_one_per_date() -> None:
    start = dt.date(2025, 1, 1)
    earlier = [Snapshot(start + dt.timedelta(days=i)) for i in range(KEEP_SNAPSHOTS)]
    newest = Snapshot(start + dt.timedelta(days=KEEP_SNAPSHOTS))
    kept = keep_snapshots(earlier, newest)
    assert len(kept) == KEEP_SNAPSHOTS
    assert kept[0] is newest and kept[-1].as_of == start + dt.timedelta(days=1)
    again = keep_snapshots(kept, Snapshot(newest.as_of))
    assert len(again) == KEEP_SNAPSHOTS and again[0] is not newest


def test_last_review_is_the_newest_snapshot_review_every_days_back() -> None:
    snaps = [Snapshot(NOV[d]) for d in (3, 13, 17, 20)]
    assert last_review(snaps, NOV[20], 7) is snaps[1]
    assert last_review(snaps, NOV[20], 3) is snaps[2]
    assert last_review(snaps, NOV[20], 30) is None


def test_new_problems_are_told_apart_from_old_ones(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets())
    result = kpisheets.status(path, NOV[20])

    def bad(row: int) -> Problem:
        return Problem(
            "bad-number", "error", "x", "y", "Entries", f"Entries!C{row}", "Value", row, "SALES"
        )

    review = take_snapshot(result)
    review.problems[("bad-number", "sales", "entries")] = ProblemGroup(
        "bad-number", "error", "SALES", "Entries", 1, ("Entries!C14",)
    )
    result.problems = [bad(14), bad(20), bad(21)]
    since = compare(result, Snapshot(NOV[13], review.kpis, review.problems))
    assert [(p.group.code, p.before, p.new, p.cells) for p in since.new_problems] == [
        ("bad-number", 1, 2, ("Entries!C20", "Entries!C21"))
    ]
    assert since_lines(since) == [("New problems", "2 bad-number (Entries!C20, Entries!C21)")]


def test_snapshots_read_back_skip_rows_typed_over() -> None:
    from kpisheets.read.owned import table_from_rows

    header = ["As of", "KPI", "Name", "Status", "Score", "Actual", "Target", "Last entry"]
    table = table_from_rows(
        "Snapshots",
        [
            ["banner"],
            ["about"],
            header,
            [NOV[13], "SALES", "Sales", "At risk", 0.92, 6000, 10000, NOV[12]],
            ["not a date", "SALES", "Sales", "On track", 1.2],
            [NOV[13], "CHURN", "Churn", "Off track", "n/a"],
        ],
        1,
        1,
        "As of",
    )
    (snap,) = snapshots_from_table(table)
    assert snap.as_of == NOV[13]
    assert snap.kpis["sales"] == KpiSnapshot(
        "SALES", "Sales", Status.AT_RISK, 0.92, 6000, 10000, NOV[12]
    )
    assert snap.kpis["churn"].status is Status.OFF_TRACK and snap.kpis["churn"].score is None


# ---------------------------------------------------------------------------
# The live refresh (xlwings, through the in-memory test engine)


def test_live_refresh_keeps_snapshots_like_the_file_refresh(tmp_path: Path) -> None:
    from kpisheets import xl
    from tests.xlwings_engine import open_book

    book = open_book(write_workbook(tmp_path / "t.xlsx", tracker_sheets()))
    xl.refresh(book, as_of=NOV[10])
    # Between meetings someone types a word where a number belongs.
    entries = book.sheets["Entries"]
    last = entries.used_range.last_cell.row
    entries.range((last + 1, 1)).value = [[dt.datetime(2026, 11, 18), "SALES", "lots"]]
    result = xl.refresh(book, as_of=NOV[20])
    assert book.sheet_names[-1] == "Snapshots"
    since = result.since
    assert since is not None and since.date == NOV[10]
    assert [c.id for c in since.status_changes] == ["SALES"]
    assert [(p.group.code, p.cells) for p in since.new_problems] == [
        ("bad-number", (f"Entries!C{last + 1}",))
    ]
    values = book.sheets["Snapshots"].used_range.value
    dates = {row[0] for row in values[SNAPSHOT_HEADER_ROW + 1 :] if row[0] is not None}
    assert {d.date() if isinstance(d, dt.datetime) else d for d in dates} == {NOV[10], NOV[20]}

    # The same snapshots as a file refresh of the same workbook would keep.
    path = tmp_path / "t2.xlsx"
    write_workbook(path, tracker_sheets())
    refresh_workbook(path, as_of=NOV[10])
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/worksheets/") for n in z.namelist())
    assert len(snapshot_rows(path)) == len(
        [r for r in values[SNAPSHOT_HEADER_ROW + 1 :] if r[0] is not None and _day(r[0]) == NOV[10]]
    )


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def test_review_every_setting_picks_the_last_review(tmp_path: Path) -> None:
    sheets = tracker_sheets()
    sheets["Settings"].append(["Review every", 3])
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    refresh_workbook(path, as_of=NOV[10])
    since = refresh_workbook(path, as_of=NOV[13]).since
    assert since is not None and (since.date, since.review_every) == (NOV[10], 3)

    sheets["Settings"][-1] = ["Review every", 2.5]
    tracker = kpisheets.load(write_workbook(tmp_path / "bad.xlsx", sheets))
    assert tracker.settings.review_every == 7
    (problem,) = [p for p in tracker.problems if p.code == "bad-number"]
    assert problem.severity == "warning" and problem.cell == "Settings!B4"


# ---------------------------------------------------------------------------
# The "Since" block on the Summary and in every export


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker refreshed on 10 and 20 Nov: the second refresh has a last review."""
    path = write_workbook(tmp_path_factory.mktemp("reviewed") / "t.xlsx", tracker_sheets())
    refresh_workbook(path, as_of=NOV[10])
    refresh_workbook(path, as_of=NOV[20])
    return path


def test_the_summary_opens_with_the_since_block(reviewed: Path) -> None:
    with CalamineWorkbook.from_path(str(reviewed)) as book:
        rows = book.get_sheet_by_name("Summary").to_python(skip_empty_area=False)
    texts = [" ".join(str(v) for v in row if v not in ("", None)) for row in rows]
    heading = texts.index("Since 10 Nov 2026 (last review)")
    tiles = next(i for i, t in enumerate(texts) if "Overall score" in t)
    header = next(i for i, t in enumerate(texts) if t.startswith("KPI Owner"))
    assert heading < tiles - 1 < header  # under the as-of lines, above tiles and table
    block = texts[heading + 1 : tiles]
    assert "Status Sales On track → At risk (score 135% → 90%)" in block
    assert any(t.startswith("Score Churn rate 120% → 100% (−20 pts)") for t in block)
    assert "First entries Leads (12 Nov 2026)" in block


@pytest.mark.parametrize("suffix", [".md", ".html", ".pdf", ".xlsx"])
def test_every_export_opens_with_the_since_block(
    reviewed: Path, suffix: str, tmp_path: Path
) -> None:
    from kpisheets.export import export_result

    out = export_result(kpisheets.status(reviewed, NOV[20]), tmp_path / f"summary{suffix}")
    if suffix == ".pdf":
        from tests.test_export_pdf import pdf_text

        if __import__("shutil").which("pdftotext") is None:
            pytest.skip("poppler-utils (pdftotext) is not installed")
        text = " ".join(pdf_text(out).split())
    elif suffix == ".xlsx":
        with CalamineWorkbook.from_path(str(out)) as book:
            rows = book.get_sheet_by_name("Summary").to_python()
        text = " ".join(str(v) for row in rows for v in row if v not in ("", None))
    else:
        text = out.read_text(encoding="utf-8")
    heading = text.index("Since 10 Nov 2026 (last review)")
    assert heading < text.index("Sales On track → At risk")
    assert heading < text.index("Revenue")  # before the first category's table
    assert "Leads (12 Nov 2026)" in text
