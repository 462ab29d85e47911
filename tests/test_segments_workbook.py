"""Segments, a funnel and actions read from real workbooks written by other programs
(XlsxWriter, openpyxl, and LibreOffice's own re-save) give the figures worked out by
hand in docs/arithmetic.md; and every problem code of the Segment, Funnel and Actions
columns is produced at its cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import kpisheets
from kpisheets.model import ActionStatus, Status
from kpisheets.result import Result
from kpisheets.validate import check_workbook
from tests.builders import write_workbook
from tests.libreoffice import convert, soffice

D = dt.date
AS_OF = D(2026, 11, 15)
BEFORE, NOW = D(2026, 10, 5), D(2026, 11, 5)

KPI_HEADER = ["ID", "KPI", "Unit", "Direction", "Aggregation", "Formula", "Target", "Funnel"]


def tracker_sheets() -> dict[str, list[list[Any]]]:
    """The bounce-rate story and the sales funnel of docs/arithmetic.md, with actions."""
    kpis = [
        KPI_HEADER,
        ["SESSIONS", "Sessions", "", "Higher is better", "Sum", None, 2000, None],
        ["BOUNCES", "Bounces", "", "Lower is better", "Sum", None, None, None],
        ["BR", "Bounce rate", "%", "Lower", "Formula", "BOUNCES / SESSIONS", 0.40, None],
        ["LEADS", "Leads", "", "Higher", "Sum", None, 400, "Sales"],
        ["QUALIFIED", "Qualified", "", "Higher", "Sum", None, 200, "sales"],
        ["PROPOSALS", "Proposals", "", "Higher", "Sum", None, 100, "Sales"],
        ["WON", "Won", "", "Higher", "Count", None, 30, "Sales "],
    ]
    entries: list[list[Any]] = [["Date", "KPI", "Value", "Note", "By", "Segment"]]
    for when, rows in (
        (BEFORE, [("Mobile", 400, 240), ("Desktop", 600, 180)]),
        (NOW, [("Mobile", 600, 390), ("desktop ", 400, 120)]),
    ):
        for device, sessions, bounces in rows:
            entries.append([when, "SESSIONS", sessions, None, "Lena", device])
            entries.append([when, "BOUNCES", bounces, None, "Lena", device])
    for kpi_id, before, now in (("LEADS", 180, 200), ("QUALIFIED", 90, 100), ("PROPOSALS", 45, 30)):
        entries.append([BEFORE, kpi_id, before, None, "Tom", None])
        entries.append([NOW, kpi_id, now, None, "Tom", None])
    entries += [[BEFORE, "WON", None, None, "Tom", None]] * 12
    entries += [[NOW, "WON", None, None, "Tom", None]] * 9
    return {
        "KPIs": kpis,
        "Entries": entries,
        "Targets": [
            ["KPI", "Period", "Target", "Segment"],
            ["SESSIONS", D(2026, 11, 1), 1200, "Mobile"],
        ],
        "Settings": [["Setting", "Value"], ["As of", AS_OF]],
        "Actions": [
            ["Date", "KPI", "Action", "Owner", "Due", "Status", "Result"],
            [D(2026, 11, 2), "BR", "Lighter mobile landing page", "Lena", D(2026, 11, 10)],
            [D(2026, 11, 3), "br", "Fix the mobile menu", "Sam", D(2026, 11, 30), "open"],
            [
                D(2026, 10, 20),
                "PROPOSALS",
                "Proposal template",
                "Tom",
                D(2026, 11, 6),
                "Done",
                "Proposals out in 2 days instead of 5",
            ],
            [D(2026, 9, 1), "LEADS", "Old idea", "Tom", None, "Dropped"],
        ],  # fmt: skip
    }


def assert_section5_figures(result: Result) -> None:
    """The figures of docs/arithmetic.md ("Drivers: rates and mix", "Funnels", "Actions")."""
    br = result.kpi("BR")
    assert br.actual == pytest.approx(0.51) and br.previous == pytest.approx(0.42)
    d = br.drivers
    assert d is not None and d.method == "rate_mix" and d.top == "Mobile"
    assert d.rate_effect == pytest.approx(0.02) and d.mix_effect == pytest.approx(0.07)
    assert {s.name: round(s.actual, 4) for s in br.segments} == {"Mobile": 0.65, "Desktop": 0.3}
    sessions = result.kpi("SESSIONS")
    mobile = sessions.segment("Mobile")
    assert (mobile.actual, mobile.share, mobile.target, mobile.expected) == (600, 0.6, 1200, 600)
    assert mobile.status is Status.ON_TRACK
    (funnel,) = result.funnels
    assert [s.kpi for s in funnel.stages] == ["LEADS", "QUALIFIED", "PROPOSALS", "WON"]
    assert [s.conversion for s in funnel.steps] == [0.5, 0.3, 0.3]
    assert [round(s.previous, 4) for s in funnel.steps] == [0.5, 0.5, 0.2667]
    assert [s.target for s in funnel.steps] == [0.5, 0.5, 0.3]
    assert funnel.bottleneck is not None and funnel.bottleneck.source == "QUALIFIED"
    actions = br.actions
    assert [(a.action, a.overdue) for a in actions] == [
        ("Lighter mobile landing page", True),
        ("Fix the mobile menu", False),
    ]
    (done,) = result.kpi("PROPOSALS").actions
    assert done.done_this_period and done.result.startswith("Proposals out")
    assert result.kpi("LEADS").actions[0].status is ActionStatus.DROPPED
    assert [p.code for p in result.problems] == ["missing-target"]  # BOUNCES has no target


def test_xlsxwriter_tables(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets(), as_tables=True)
    assert_section5_figures(kpisheets.status(path))


def write_openpyxl(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_openpyxl_plain_ranges(tmp_path: Path) -> None:
    path = write_openpyxl(tmp_path / "openpyxl.xlsx", tracker_sheets())
    assert_section5_figures(kpisheets.status(path))


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_resave(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    source = write_openpyxl(tmp_path / "source" / "lo.xlsx", tracker_sheets())
    saved = convert(source, "xlsx", tmp_path / "out")
    assert_section5_figures(kpisheets.status(saved))


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_from_ods(tmp_path: Path) -> None:
    """A tracker kept in LibreOffice Calc (.ods) and saved as .xlsx by LibreOffice:
    its own dates, shared strings and styles, no Tables."""
    (tmp_path / "source").mkdir()
    source = write_openpyxl(tmp_path / "source" / "calc.xlsx", tracker_sheets())
    ods = convert(source, "ods", tmp_path / "ods")
    saved = convert(ods, "xlsx", tmp_path / "out")
    assert_section5_figures(kpisheets.status(saved))


def test_problems_of_segments_funnels_and_actions(tmp_path: Path) -> None:
    sheets = tracker_sheets()
    sheets["KPIs"][7][4] = "Average"  # WON: a funnel stage must be Sum or Count
    sheets["Actions"] += [
        [D(2026, 11, 4), "NOPE", "Unknown KPI"],
        ["someday", "BR", "Bad logged date"],
        [D(2026, 11, 4), "BR", "Finished?", None, None, "Finished"],
        [D(2026, 11, 9), "BR", "Due before logged", None, D(2026, 11, 1)],
    ]
    path = write_workbook(tmp_path / "p.xlsx", sheets)
    found = [
        (p.code, p.severity, p.cell)
        for p in check_workbook(path, AS_OF)
        if p.code not in ("missing-target", "bad-number")  # WON as Average: blank values
    ]
    assert found == [
        ("unknown-kpi", "warning", "Actions!B6"),
        ("bad-date", "warning", "Actions!A7"),
        ("bad-status", "warning", "Actions!F8"),
        ("due-before-date", "warning", "Actions!E9"),
        ("funnel-stage", "warning", "KPIs!H8"),
    ]
    result = kpisheets.status(path)
    assert result.funnels == []
    br = result.kpi("BR")
    assert [a.action for a in br.actions] == [
        "Lighter mobile landing page",
        "Fix the mobile menu",
        "Bad logged date",
        "Finished?",
        "Due before logged",
    ]
    assert br.actions[3].status is ActionStatus.OPEN  # an unreadable status stays in view


def test_a_number_as_segment_label_is_read_as_text(tmp_path: Path) -> None:
    sheets = tracker_sheets()
    sheets["Entries"][1][5] = 3.0  # a number as a segment label is read as text "3"
    path = write_workbook(tmp_path / "n.xlsx", sheets)
    sessions = kpisheets.status(path).kpi("SESSIONS")
    assert sessions.previous == 1000
    assert sessions.segments[0].name == "Mobile"
    assert {s.name for s in sessions.segments} == {"Mobile", "Desktop", "3"}


def test_the_samples_tell_their_stories() -> None:
    """The marketing sample's bounce rate rose because phones' share of visits rose;
    the sales sample's funnel leaks between qualified leads and proposals in the
    current month; every sample has open, overdue and done actions."""
    from kpisheets.explain import driver_sentence
    from kpisheets.samples import AS_OF, SAMPLE_NAMES, sample_file_name
    from tests.conftest import ROOT

    def sample(name: str) -> Result:
        return kpisheets.status(ROOT / "sample_workbooks" / sample_file_name(name), AS_OF)

    bounce = sample("marketing").kpi("BOUNCE_RATE")
    assert bounce.status is Status.OFF_TRACK and bounce.drivers is not None
    assert bounce.drivers.top == "Mobile"
    assert (bounce.drivers.mix_effect or 0) > (bounce.drivers.rate_effect or 0) > 0
    assert "Mobile's share of Website visits rose" in driver_sentence(bounce)
    (funnel,) = sample("sales").funnels
    assert funnel.bottleneck is not None
    assert (funnel.bottleneck.source, funnel.bottleneck.reference) == ("QUALIFIED", "target")
    for name in SAMPLE_NAMES:
        actions = [a for k in sample(name).kpis for a in k.actions]
        assert any(a.overdue for a in actions), name
        assert any(a.is_open and not a.overdue for a in actions), name
        assert any(a.status is ActionStatus.DONE for a in actions), name


def test_init_adds_the_actions_sheet_to_an_older_tracker(tmp_path: Path) -> None:
    """A tracker made before the Actions sheet existed gets it from `init` — a Table
    with the KPI and Status dropdowns — and nothing else in the file changes."""
    import zipfile

    from kpisheets.init import init_workbook

    sheets = tracker_sheets()
    del sheets["Actions"]
    path = write_workbook(tmp_path / "old.xlsx", sheets, as_tables=True)
    before = {i.filename: zipfile.ZipFile(path).read(i) for i in zipfile.ZipFile(path).infolist()}
    assert "Actions" in init_workbook(path)
    with zipfile.ZipFile(path) as after:
        for name, data in before.items():
            if name.startswith("xl/worksheets/") or name.startswith("xl/tables/"):
                assert after.read(name) == data, name  # the user's sheets, byte for byte
        actions = [n for n in after.namelist() if n.startswith("xl/tables/")]
        xml = "".join(after.read(n).decode() for n in actions)
    assert 'displayName="Actions"' in xml
    result = kpisheets.status(path)
    assert result.kpi("BR").actions == [] and result.kpi("BR").no_action_planned


def test_history_charts_mark_the_periods_an_action_was_logged(tmp_path: Path) -> None:
    """A KPI with logged actions gets a third series on its History chart: diamonds
    without a line, read from its "Action logged" row, whose cells hold the period's
    value so the diamond sits on the Actual line; a KPI without actions keeps two."""
    import re

    from kpisheets.report import build_report

    def first_row(ref: str) -> int:
        """The 0-based row of ``=History!$C$7:$N$7``."""
        match = re.search(r"\$(\d+):", ref)
        assert match, ref
        return int(match.group(1)) - 1

    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets())
    result = kpisheets.status(path)
    history = build_report(result).sheet("History")
    grid = history.grid()
    charts = {c.title: c for c in history.charts}
    assert [s.name for s in charts["Sessions"].series] == ["Actual", "Target"]
    actual, _, marks = charts["Bounce rate"].series
    assert marks.name == "Action logged"
    assert marks.options["line"] == {"none": True}
    assert marks.options["marker"]["type"] == "diamond"
    row = first_row(marks.values)
    assert grid[(row, 1)].value == "Action logged"
    actual_row = first_row(actual.values)
    # Both BR actions were logged in November, the last history column.
    marked = {c: cell.value for (r, c), cell in grid.items() if r == row and c >= 2}
    filled = {c: v for c, v in marked.items() if v is not None}
    ((col, value),) = filled.items()
    assert value == pytest.approx(grid[(actual_row, col)].value) == pytest.approx(0.51)
