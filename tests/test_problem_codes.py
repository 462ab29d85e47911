"""Every problem code docs/workbook.md lists is produced by the code, for a crafted
workbook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from kpisheets.validate import check_workbook
from tests.conftest import ROOT

DOCUMENTED_CODES = {
    "missing-sheet",
    "missing-column",
    "empty-id",
    "duplicate-kpi-id",
    "bad-id",
    "unknown-kpi",
    "bad-date",
    "bad-number",
    "excel-error",
    "future-date",
    "nps-out-of-range",
    "bad-direction",
    "bad-aggregation",
    "bad-frequency",
    "missing-target",
    "threshold-order",
    "formula-syntax",
    "formula-unknown-kpi",
    "formula-cycle",
    "division-by-zero",
    "entry-for-formula-kpi",
    "number-too-large",
    "funnel-stage",
    "bad-status",
    "due-before-date",
    "outside-table",
}

KPI_HEADER = ["ID", "KPI", "Direction", "Aggregation", "Formula", "Frequency", "Target",
              "Green at", "Amber at", "Funnel"]  # fmt: skip


def crafted(path: Path) -> Path:
    """A tracker with at least one instance of every code (missing-sheet aside)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    kpis = book.add_worksheet("KPIs")
    rows = [
        KPI_HEADER,
        ["SALES", "Sales", "Higher", "Sum", None, "Month", 1000],
        ["NPS", "NPS", "Higher", "NPS", None, "Quarter", 40],
        ["NOTARGET", "No target", "Higher", "Sum", None, "Month"],
        [None, "Nameless"],  # empty-id
        ["sales", "Sales again"],  # duplicate-kpi-id
        ["BAD ID", "Spaces"],  # bad-id
        ["DIR", "Dir", "Upwards"],  # bad-direction
        ["AGG", "Agg", "Higher", "Median"],  # bad-aggregation
        ["FREQ", "Freq", "Higher", "Sum", None, "Fortnight", 5],  # bad-frequency
        ["THR", "Thr", "Higher", "Sum", None, "Month", 5, "80%", "90%"],  # threshold-order
        ["NOFORMULA", "No formula", "Higher", "Formula", None],  # formula-syntax (validate)
        ["SYNTAX", "Syntax", "Higher", "Formula", "SALES / / 2", "Month", 1],
        ["GHOST", "Ghost", "Higher", "Formula", "SALES / MISSING", "Month", 1],
        ["LOOP_A", "Loop A", "Higher", "Formula", "LOOP_B + 1", "Month", 1],
        ["LOOP_B", "Loop B", "Higher", "Formula", "LOOP_A + 1", "Month", 1],
        ["ZERO", "Zero", "Higher", "Sum", None, "Month", 1],
        ["RATE", "Rate", "Higher", "Formula", "SALES / ZERO", "Month", 1],
        ["HUGE", "Huge", "Higher", "Sum", None, "Month", 1],  # number-too-large
        ["LONELY", "Lonely", "Higher", "Sum", None, "Month", 1, None, None, "Solo"],  # funnel-stage
        ["ERR", "Err", "Higher", "Sum", None, "Month"],
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                kpis.write(r, c, v)
    kpis.write_formula(len(rows) - 1, 6, "=1/0", None, "#DIV/0!")  # excel-error on ERR
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    entries = book.add_worksheet("Entries")
    entries.write_row(0, 0, ["Date", "KPI", "Value", "Note"])
    data = [
        (dt.date(2026, 11, 2), "SALES", 100),
        (dt.date(2026, 11, 2), "ZERO", 0),
        (dt.date(2026, 11, 3), "NOTARGET", 5),
        (dt.date(2026, 12, 24), "SALES", 5),  # future-date at 2026-11-20
        (dt.date(2026, 11, 4), "SALEZ", 5),  # unknown-kpi
        ("03/11/2026", "SALES", 5),  # bad-date
        (dt.date(2026, 11, 5), "SALES", "five"),  # bad-number
        (dt.date(2026, 11, 6), "NPS", 11),  # nps-out-of-range
        (dt.date(2026, 11, 6), "RATE", 0.5),  # entry-for-formula-kpi
        (dt.date(2026, 11, 7), "HUGE", 1.7e308),
        # Typed under the Entries Table (outside-table) and still counted: with the
        # row above, the Sum overflows (number-too-large).
        (dt.date(2026, 11, 8), "HUGE", 1.7e308),
    ]
    columns = [{"header": h} for h in ("Date", "KPI", "Value", "Note")]
    entries.add_table(0, 0, len(data) - 1, 3, {"name": "Entries", "columns": columns})
    for r, (d, k, v) in enumerate(data, start=1):
        if isinstance(d, dt.date):
            entries.write_datetime(r, 0, d, date)
        else:
            entries.write_string(r, 0, d)
        entries.write_string(r, 1, k)
        entries.write(r, 2, v)
    targets = book.add_worksheet("Targets")
    targets.write_row(0, 0, ["KPI", "Target"])  # missing-column: no Period
    settings = book.add_worksheet("Settings")
    settings.write_row(0, 0, ["Setting", "Value"])
    settings.write_row(1, 0, ["As of", "2026-11-20"])
    actions = book.add_worksheet("Actions")
    actions.write_row(0, 0, ["Date", "KPI", "Action", "Owner", "Due", "Status"])
    actions.write_row(1, 1, ["SALES", "Call the top ten", "Ana", None, "Finished"])  # bad-status
    actions.write_datetime(2, 0, dt.datetime(2026, 11, 10), date)
    actions.write_row(2, 1, ["SALES", "Due before logged", "Ana"])
    actions.write_datetime(2, 4, dt.datetime(2026, 11, 1), date)  # due-before-date
    book.close()
    return path


def test_every_documented_code_is_produced(tmp_path: Path) -> None:
    problems = check_workbook(crafted(tmp_path / "bad.xlsx"), as_of=dt.date(2026, 11, 20))
    codes = {p.code for p in problems}
    no_entries = tmp_path / "no-entries.xlsx"
    book = xlsxwriter.Workbook(str(no_entries))
    book.add_worksheet("KPIs").write_row(0, 0, ["ID", "KPI"])
    book.close()
    codes |= {p.code for p in check_workbook(no_entries)}
    assert DOCUMENTED_CODES - codes == set()
    docs = (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8")
    assert {c for c in DOCUMENTED_CODES if f"`{c}`" not in docs} == set()


def test_every_problem_is_located_and_explained(tmp_path: Path) -> None:
    problems = check_workbook(crafted(tmp_path / "bad.xlsx"), as_of=dt.date(2026, 11, 20))
    for p in problems:
        assert p.severity in ("error", "warning")
        assert p.message and p.hint
        assert p.sheet, p
    located = {p.code: p for p in problems if p.cell}
    assert located["unknown-kpi"].cell == "Entries!B6"
    assert "'SALEZ'" in located["unknown-kpi"].message
    assert "Did you mean SALES" in located["unknown-kpi"].hint
    assert located["bad-date"].column == "Date" and "03/11/2026" in located["bad-date"].message
    assert located["bad-number"].cell == "Entries!C8" and "'five'" in located["bad-number"].message
    assert located["duplicate-kpi-id"].cell == "KPIs!A6"
    assert located["excel-error"].cell == "KPIs!G21" and "#DIV/0!" in located["excel-error"].message


def test_problems_found_by_compute_name_their_kpi_cell(tmp_path: Path) -> None:
    problems = check_workbook(crafted(tmp_path / "bad.xlsx"), as_of=dt.date(2026, 11, 20))
    by_code = {p.code: p for p in problems}
    # Formula is column E and Target column G of KPIs; RATE is on row 18, NOTARGET row 4.
    assert by_code["division-by-zero"].cell == "KPIs!E18"
    assert by_code["formula-cycle"].cell in ("KPIs!E15", "KPIs!E16")
    assert by_code["missing-target"].cell == "KPIs!G4"
    assert by_code["number-too-large"].cell == "KPIs!A19"
    assert by_code["outside-table"].cell == "Entries!A12:D12"
