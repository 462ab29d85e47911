"""The report layout (kpisheets.report): what each generated sheet holds, checked on
the Report itself, before any writer runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kpisheets.calc import compute
from kpisheets.formatting import trend_arrow
from kpisheets.model import Problem, Status
from kpisheets.report import (
    CHANGED_TEXT,
    COL,
    NOTE_CHARS,
    SUMMARY_BLOCKS,
    TILE_STATUSES,
    SummaryBuild,
    build_report,
    changed_block,
    changed_since_formula,
    history_labels,
    stale_cutoff,
)
from kpisheets.report_model import Formula, Report, SheetReport, Style, cell_a1, range_a1
from kpisheets.result import Result
from tests.builders import kpi, tracker
from tests.conftest import ROOT, requires_libreoffice
from tests.libreoffice import soffice
from tests.report_samples import AS_OF, DDE_NOTE, HOSTILE_NOTE, LONG_NOTE, realistic_tracker

REFRESHED = dt.datetime(2026, 11, 20, 9, 15)


@pytest.fixture(scope="module")
def result() -> Result:
    return compute(realistic_tracker())


@pytest.fixture(scope="module")
def report(result: Result) -> Report:
    return build_report(result, refreshed_at=REFRESHED)


def values(sheet: SheetReport) -> dict[tuple[int, int], Any]:
    return {pos: cell.value for pos, cell in sheet.grid().items()}


def kpi_rows(report: Report) -> dict[str, int]:
    """KPI name → row, for the rows of the Summary's KPI table that hold a KPI."""
    grid = report.sheet("Summary").grid()
    first = report.summary_layout.first_table_row
    assert first is not None
    rows = {}
    for (row, col), cell in grid.items():
        if col == COL["kpi"] and row >= first and (row, COL["status"]) in grid:
            status = grid[(row, COL["status"])].value
            if isinstance(status, str) and status:
                rows[cell.value] = row
    return rows


def test_sheets_are_summary_history_problems_each_with_the_banner(report: Report) -> None:
    assert [s.name for s in report.sheets] == ["Summary", "History", "Problems"]
    for sheet in report.sheets:
        banner = sheet.grid()[(0, 0)].value
        assert "refresh replaces this sheet" in banner.lower()
    assert report.as_of == AS_OF
    assert report.refreshed_at == REFRESHED


def test_summary_figures_are_the_results_numbers(result: Result, report: Report) -> None:
    summary = report.sheet("Summary")
    grid = summary.grid()
    rows = kpi_rows(report)
    assert set(rows) == {k.name for k in result.kpis}
    for k in result.kpis:
        row = rows[k.name]

        def at(key: str, row: int = row) -> Any:
            return grid[(row, COL[key])].value

        assert at("owner") == k.owner
        assert at("actual") == k.actual
        assert at("target") == k.target
        assert at("expected") == k.expected
        assert at("achievement") == k.achievement
        assert at("status") == k.status.label
        assert at("trend") == trend_arrow(k)
        assert at("forecast") == k.forecast
        assert at("last_entry") == k.last_entry
        # Number formats come from the KPI; percentages and dates have their own.
        for key in ("actual", "target", "expected", "forecast"):
            assert grid[(row, COL[key])].style.num_format == k.number_format  # type: ignore[union-attr]
        assert grid[(row, COL["achievement"])].style.num_format == "0%"  # type: ignore[union-attr]


def test_summary_groups_kpis_under_category_rows_with_the_category_score(
    result: Result, report: Report
) -> None:
    summary = report.sheet("Summary")
    grid = summary.grid()
    rows = kpi_rows(report)
    for rollup in result.categories:
        members = [rows[k.name] for k in result.kpis if k.category == rollup.name]
        header = min(members) - 1
        assert grid[(header, 0)].value == rollup.name
        assert grid[(header, 1)].value == pytest.approx(rollup.score)
        assert sorted(members) == list(range(header + 1, header + 1 + len(members)))


def test_tiles_count_each_status_and_show_the_overall_score(result: Result, report: Report) -> None:
    grid = report.sheet("Summary").grid()
    value, label = report.summary_layout.tiles_row, report.summary_layout.tile_label_row
    assert grid[(value, 0)].value == pytest.approx(result.overall.score)
    assert grid[(label, 0)].value == "Overall score"
    for i, status in enumerate(TILE_STATUSES, start=1):
        assert grid[(label, i)].value == status.label
        assert grid[(value, i)].value == result.overall.counts.get(status, 0)
    # The sample has every status, so every tile says something.
    assert all(result.overall.counts.get(s, 0) > 0 for s in Status)


def test_title_as_of_period_and_refreshed_at(result: Result, report: Report) -> None:
    cells = values(report.sheet("Summary"))
    title, as_of = report.summary_layout.title_row, report.summary_layout.as_of_row
    assert cells[(title, 0)] == result.title
    assert cells[(as_of, 0)] == AS_OF
    assert "Nov 2026" in cells[(as_of, 1)] and "Q4 2026" in cells[(as_of, 1)]
    assert REFRESHED in cells.values()


def test_user_text_is_never_a_formula(report: Report) -> None:
    formulas = []
    texts = []
    for sheet in report.sheets:
        for cell in sheet.grid().values():
            if isinstance(cell.value, Formula):
                formulas.append((sheet.name, cell.value.text))
            elif isinstance(cell.value, str):
                texts.append(cell.value)
    # The only formula is kpisheets' own "changed since" line.
    assert len(formulas) == 1 and formulas[0][0] == "Summary"
    assert "COUNTA(" in formulas[0][1]
    assert HOSTILE_NOTE in texts and DDE_NOTE in texts


def test_long_notes_are_cut_with_an_ellipsis(report: Report) -> None:
    notes = [
        c.value
        for c in report.sheet("Summary").cells
        if c.col == COL["note"]
        and c.row > report.summary_layout.header_row  # type: ignore[operator]
        and isinstance(c.value, str)
        and c.value
    ]
    cut = [n for n in notes if n.endswith("…")]
    assert len(cut) == 1 and len(cut[0]) == NOTE_CHARS
    assert LONG_NOTE.startswith(cut[0][:-1])


def test_changed_since_formula_counts_the_entries_date_column(result: Result) -> None:
    formula = changed_since_formula(result)
    assert formula.value == ""
    assert formula.text == (
        f'=IF(COUNTA(Entries!A2:A1048576)<>{result.entry_count},"{CHANGED_TEXT}","")'
    )
    moved = dataclasses.replace(
        result,
        entries_sheet="Team's entries",
        entries_date_column="c",
        entries_header_row=3,
        entry_count=41,
    )
    assert changed_since_formula(moved).text.startswith(
        "=IF(COUNTA('Team''s entries'!C4:C1048576)<>41,"
    )


def test_standalone_report_has_no_formula(result: Result) -> None:
    report = build_report(result, live_workbook=False, refreshed_at=REFRESHED)
    assert not report.live_workbook
    assert not any(
        isinstance(c.value, Formula) for sheet in report.sheets for c in sheet.grid().values()
    )


def test_summary_conditional_formats_are_real_rules(result: Result, report: Report) -> None:
    summary = report.sheet("Summary")
    rows = kpi_rows(report)
    first, last = min(rows.values()), max(rows.values())
    rules = summary.conditional_formats
    status_range = range_a1(first - 1, COL["status"], last, COL["status"])  # from the category
    status_rules = {
        r.options["value"]: r.options["format"] for r in rules if r.range == status_range
    }
    assert set(status_rules) == {f'"{s.label}"' for s in Status}
    assert all(isinstance(f, Style) and f.fill for f in status_rules.values())
    bars = [r for r in rules if r.options["type"] == "data_bar"]
    assert [b.range for b in bars] == [
        range_a1(first - 1, COL["achievement"], last, COL["achievement"])
    ]
    stale = {r.range: r.options["criteria"] for r in rules if r.options["type"] == "formula"}
    assert len(stale) == len(result.kpis)
    hires = result.kpi("HIRES")
    ref = cell_a1(rows[hires.name], COL["last_entry"])
    cutoff = stale_cutoff(hires, AS_OF)
    assert stale[ref] == (
        f"=AND(ISNUMBER({ref}),{ref}<DATE({cutoff.year},{cutoff.month},{cutoff.day}))"
    )


def test_stale_rule_cutoff_agrees_with_compute(result: Result) -> None:
    checked = 0
    for k in result.kpis:
        if k.last_entry is not None:
            assert (k.last_entry < stale_cutoff(k, result.as_of)) == k.stale, k.id
            checked += 1
    assert checked >= 10
    assert result.kpi("HIRES").stale


def test_stale_cutoff_per_frequency_and_window() -> None:
    as_of = dt.date(2026, 3, 31)
    t = tracker(
        [
            kpi("W", frequency="week", target=1),
            kpi("M", frequency="month", target=1),
            kpi("Q", frequency="quarter", target=1),
            kpi("Y", frequency="year", target=1),
            kpi("G", target=1, start=dt.date(2026, 1, 10), end=dt.date(2026, 4, 19)),
        ],
        [(dt.date(2026, 3, 1), k, 1) for k in "WMQYG"],
        as_of=as_of,
    )
    r = compute(t)
    cut = {k.id: stale_cutoff(k, as_of) for k in r.kpis}
    assert cut == {
        "W": dt.date(2026, 3, 24),
        "M": dt.date(2026, 2, 28),
        "Q": dt.date(2025, 12, 31),
        "Y": dt.date(2025, 3, 31),
        "G": as_of - dt.timedelta(days=100),
    }


def test_sparklines_read_the_history_actual_rows(result: Result, report: Report) -> None:
    summary, history = report.sheet("Summary"), report.sheet("History")
    grid = history.grid()
    rows = kpi_rows(report)
    by_location = {s.location: s for s in summary.sparklines}
    assert len(by_location) == len(result.kpis)
    for k in result.kpis:
        spark = by_location[cell_a1(rows[k.name], COL["sparkline"])]
        sheet_name, cells = spark.range.split("!")
        assert sheet_name == "History"
        first, last = cells.split(":")
        row = int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - 1
        assert grid[(row, 1)].value == "Actual"
        got = [grid[(row, col)].value for col in range(2, 2 + len(k.history))]
        assert got == [h.value for h in k.history]
        targets = [grid[(row + 1, col)].value for col in range(2, 2 + len(k.history))]
        assert targets == [h.target for h in k.history]
        labels = [grid[(row - 1, col)].value for col in range(2, 2 + len(k.history))]
        # Short labels ("Feb", "31 Aug"), one per period, as under the chart.
        assert labels == history_labels(k)
        assert all(len(label) <= 11 and " " not in label for label in labels), labels


def test_history_has_one_chart_of_actual_and_target_per_kpi(result: Result, report: Report) -> None:
    history = report.sheet("History")
    assert sorted(c.title for c in history.charts) == sorted(k.name for k in result.kpis)
    for chart in history.charts:
        assert [s.name for s in chart.series] == ["Actual", "Target"]
        assert all(s.values.startswith("=History!$") for s in chart.series)
    # Charts start on a page of their own.
    assert history.print_setup and history.print_setup.page_breaks


def test_problems_sheet_lists_every_problem_errors_first(result: Result, report: Report) -> None:
    problems = report.sheet("Problems")
    cells = values(problems)
    listed = [
        tuple(cells[(row, col)] for col in range(8)) for row in range(5, 5 + len(result.problems))
    ]
    expected = sorted(result.problems, key=lambda p: p.severity != "error")
    assert listed == [
        (
            p.severity.capitalize(),
            p.cell or p.sheet or "",
            1,
            p.column or "",
            p.kpi or "",
            p.code,
            p.message,
            p.hint,
        )
        for p in expected
    ]
    assert listed[0][0] == "Error"
    rule = problems.conditional_formats[0]
    assert rule.options["criteria"] == '=$A6="Error"'
    assert rule.range == f"A6:H{5 + len(result.problems)}"


def test_problems_sheet_groups_repeats_of_one_code_in_one_column(result: Result) -> None:
    late = [
        Problem(
            "future-date",
            "warning",
            f"The S entry in row {r} is late.",
            "Check the date.",
            "Entries",
            f"Entries!A{r}",
            "Date",
            r,
            "S" if r % 2 else "T",
        )  # fmt: skip
        for r in [*range(986_300, 1_000_000), 40, 42]
    ]
    error = Problem("bad-date", "error", "x is not a date", "Type a date.", "Entries",
                    "Entries!A7", "Date", 7)  # fmt: skip
    grouped = dataclasses.replace(result, problems=[*late, error], left_out={"future-date": 13_702})
    sheet = build_report(grouped, refreshed_at=REFRESHED).sheet("Problems")
    cells = values(sheet)
    assert [cells[(5, c)] for c in range(6)] == ["Error", "Entries!A7", 1, "Date", "", "bad-date"]
    assert [cells[(6, c)] for c in range(6)] == [
        "Warning",
        "Entries!A40, A42, A986300:A999999",
        13_702,
        "Date",
        "T, S",  # in the order found: row 986300 is T's
        "future-date",
    ]
    assert cells[(6, 6)].startswith("13,702 cells; first A986300: The S entry in row 986300")
    assert (7, 0) not in cells  # two rows, not 13,703
    assert "13,702 entries are left out of these figures (future-date 13,702)" in cells[(2, 0)]


def test_problems_rows_are_tall_enough_for_their_cells_and_hint(result: Result) -> None:
    """A group's cells ("…, A106:A109 and 2 more ranges") and a hint longer than its
    column wrap onto more lines than the message; the row is as tall as the tallest."""
    scattered = [
        Problem(
            "future-date",
            "warning",
            "Late.",
            "Check the date.",
            "Entries",
            f"Entries!A{r}",
            "Date",
            r,
            "S",
        )  # fmt: skip
        for r in range(10_032, 10_200, 9)
    ]
    long_hint = Problem("bad-number", "error", "'abc' is not a number.",
                        "Type a number without units or thousands separators, e.g. 1250.5.",
                        "Entries", "Entries!C7", "Value", 7)  # fmt: skip
    grouped = dataclasses.replace(result, problems=[*scattered, long_hint])
    sheet = build_report(grouped, refreshed_at=REFRESHED).sheet("Problems")
    cells = values(sheet)
    assert cells[(5, 5)] == "bad-number" and cells[(6, 1)].endswith("and 14 more ranges")
    assert sheet.row_heights[5] >= 2 * 15  # the hint wraps once in its column of 52
    assert sheet.row_heights[6] >= 3 * 15  # "Entries!A10032, A10041, …" on three lines


def test_problems_sheet_says_no_problems_when_clean(result: Result) -> None:
    clean = dataclasses.replace(result, problems=[])
    sheet = build_report(clean, refreshed_at=REFRESHED).sheet("Problems")
    texts = [c.value for c in sheet.grid().values() if isinstance(c.value, str)]
    assert any(t.startswith("No problems") for t in texts)
    assert not sheet.conditional_formats


def test_hostile_problem_text_stays_text(result: Result) -> None:
    bad = Problem("bad-number", "error", "=1+1 is not a number", "=cmd|' /C calc'!A0")
    sheet = build_report(dataclasses.replace(result, problems=[bad]), refreshed_at=REFRESHED).sheet(
        "Problems"
    )
    cells = values(sheet)
    assert cells[(5, 6)] == "=1+1 is not a number" and cells[(5, 7)] == "=cmd|' /C calc'!A0"


def test_print_setup_and_freeze(report: Report) -> None:
    summary = report.sheet("Summary")
    setup = summary.print_setup
    assert setup and setup.landscape and setup.fit_width == 1 and setup.fit_height == 0
    header = report.summary_layout.header_row
    assert header is not None and values(summary)[(header, 0)] == "KPI"
    assert setup.repeat_rows == (header, header)
    assert setup.print_area and setup.print_area.startswith("A1:M")  # through Actions
    assert summary.freeze == (header + 1, 1)


def test_the_layout_records_where_each_block_is(result: Result, report: Report) -> None:
    layout, cells = report.summary_layout, values(report.sheet("Summary"))
    assert layout.kpi_rows == sorted(kpi_rows(report).values())
    assert layout.first_table_row == (layout.header_row or 0) + 1
    assert cells[(layout.first_table_row, 0)] == result.categories[0].name
    assert layout.last_table_row == layout.kpi_rows[-1]
    assert isinstance(cells[(layout.changed_row, 0)], Formula)
    assert report.sheet("Summary").print_setup.print_area == range_a1(  # type: ignore[union-attr]
        0, 0, layout.end_row - 1, len(COL) - 1
    )
    standalone = build_report(result, live_workbook=False, refreshed_at=REFRESHED)
    assert standalone.summary_layout.changed_row is None


def test_a_new_block_moves_everything_below_it(
    result: Result, report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another block needs: put a function in SUMMARY_BLOCKS and the table, the
    frozen header, the print titles and the conditional formats all move down."""

    def since_block(s: SummaryBuild, row: int) -> int:
        s.sheet.set(row, 0, "Since 14 Nov 2026")
        s.sheet.set(row + 1, 0, "two changes")
        return row + 3

    blocks = list(SUMMARY_BLOCKS)
    blocks.insert(blocks.index(changed_block) + 1, since_block)
    monkeypatch.setattr("kpisheets.report.SUMMARY_BLOCKS", tuple(blocks))
    moved = build_report(result, refreshed_at=REFRESHED)
    before, after = report.summary_layout, moved.summary_layout
    assert after.changed_row == before.changed_row
    assert after.header_row == before.header_row + 3  # type: ignore[operator]
    assert after.kpi_rows == [r + 3 for r in before.kpi_rows]
    summary, was = moved.sheet("Summary"), report.sheet("Summary")
    assert values(summary)[(before.tiles_row + 3, 0)] == pytest.approx(result.overall.score)  # type: ignore[operator]
    assert summary.freeze == (was.freeze[0] + 3, 1)  # type: ignore[index]
    assert summary.print_setup.repeat_rows == (after.header_row, after.header_row)  # type: ignore[union-attr]

    def shifted(ref: str) -> str:
        return re.sub(r"\d+", lambda m: str(int(m.group()) + 3), ref)

    assert [c.range for c in summary.conditional_formats] == [
        shifted(c.range) for c in was.conditional_formats
    ]
    assert [s.location for s in summary.sparklines] == [shifted(s.location) for s in was.sparklines]


def test_a_tracker_without_kpis_still_lays_out() -> None:
    r = compute(tracker([], [], as_of=AS_OF))
    report = build_report(r, refreshed_at=REFRESHED)
    texts = [c.value for c in report.sheet("Summary").grid().values() if isinstance(c.value, str)]
    assert any("No KPIs" in t for t in texts)
    assert not report.sheet("History").charts


def test_kpis_needing_attention_are_named_beside_the_tiles(result: Result, report: Report) -> None:
    tiles = (report.summary_layout.tiles_row, report.summary_layout.tile_label_row)
    texts = [m.value for m in report.sheet("Summary").merges if m.first_row in tiles]
    off = [k.name for k in result.kpis if k.status is Status.OFF_TRACK]
    risk = [k.name for k in result.kpis if k.status is Status.AT_RISK]
    assert "Off track: " + " · ".join(off) in texts
    assert "At risk: " + " · ".join(risk) in texts
    calm = dataclasses.replace(result, kpis=[k for k in result.kpis if k.status is Status.ON_TRACK])
    texts = [m.value for m in build_report(calm).sheet("Summary").merges]
    assert "Nothing is off track." in texts and "Nothing is at risk." in texts


@pytest.mark.libreoffice
@requires_libreoffice
def test_history_figures_fit_their_columns_in_libreoffice(tmp_path: Path) -> None:
    """LibreOffice (here without Calibri's metrics, so wider than Excel) shows every
    History figure of the refreshed samples: no cell too narrow for its figure shows
    ``###`` — the sales sample's "27 proposals" did at width 11."""
    import shutil

    import kpisheets
    from kpisheets.samples import AS_OF as SAMPLES_AS_OF
    from tests.libreoffice import pdf_text

    samples = []
    for shipped in sorted((ROOT / "sample_workbooks").glob("*.xlsx")):
        samples.append(Path(shutil.copy(shipped, tmp_path / shipped.name)))
        kpisheets.refresh(samples[-1], as_of=SAMPLES_AS_OF)
    binary = soffice()
    assert binary and samples
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, samples)],
            capture_output=True, timeout=600, check=True,
        )  # fmt: skip
    for sample in samples:
        pages = pdf_text(tmp_path / "pdf" / f"{sample.stem}.pdf").split("\f")
        history = [p for p in pages if "History: actual against target" in p]
        assert history, sample.name
        assert not [p for p in history if "###" in p], sample.name
