"""validate() on RawTables as any reader builds them (here by hand, the way the
xlwings reader does: dates as datetime, numbers as float, blanks as None)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kpisheets.model import Aggregation, ErrorValue, Frequency, RawTable, RawTracker, column_letter
from kpisheets.validate import (
    _Bad,
    excel_serial_date,
    parse_date,
    parse_fraction,
    validate,
)


def table(sheet: str, rows: list[list[Any]]) -> RawTable:
    width = max(len(r) for r in rows)
    return RawTable(
        sheet=sheet,
        headers=[str(h) for h in rows[0]],
        letters=[column_letter(i) for i in range(width)],
        rows=[list(r) for r in rows[1:]],
        row_numbers=list(range(2, len(rows) + 1)),
    )


def raw(entries: list[list[Any]], kpis: list[list[Any]] | None = None, **extra: Any) -> RawTracker:
    kpis = kpis or [["ID", "KPI", "Aggregation"], ["Sales", "Sales", "Sum"],
                    ["NPS", "NPS", "NPS"], ["TICKETS", "Tickets", "Count"]]  # fmt: skip
    tables = {"KPIs": table("KPIs", kpis), "Entries": table("Entries", entries)}
    tables.update({k: table(k, v) for k, v in extra.items()})
    return RawTracker(path=None, tables=tables)


def where(tracker: Any) -> list[tuple[str, str | None]]:
    return [(p.code, p.cell) for p in tracker.problems]


def test_xlwings_style_values() -> None:
    t = validate(
        raw(
            [
                ["Date", "KPI", "Value", "Note"],
                [dt.datetime(2026, 11, 2, 0, 0), "sales", 10.0, None],
                [None, None, None, None],  # blank row: skipped, not a problem
                [46330.0, " SALES ", 5.0, 42.0],  # serial date, spaces, numeric note
                ["2026-11-05", "tickets", None, "blank value counts"],
            ]
        )
    )
    assert t.problems == []
    assert t.entries["kpi"].tolist() == ["Sales", "Sales", "TICKETS"]
    assert t.entries["date"].dt.date.tolist() == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 4),
        dt.date(2026, 11, 5),
    ]
    assert t.entries["note"].tolist() == [None, "42", "blank value counts"]
    assert t.entries["row"].tolist() == [2, 4, 5]
    assert t.entry_count == 3


def test_bad_rows_are_dropped_and_the_rest_kept() -> None:
    t = validate(
        raw(
            [
                ["Date", "KPI", "Value"],
                ["03/11/2026", "Sales", 1.0],
                [dt.date(2026, 11, 3), "Nope", 1.0],
                [dt.date(2026, 11, 3), "Sales", "12 units"],
                [dt.date(2026, 11, 3), "NPS", 7.5],
                [dt.date(2026, 11, 3), "NPS", 11.0],
                [dt.date(2026, 11, 3), None, 3.0],
                [dt.date(2026, 11, 3), "Sales", None],
                [ErrorValue("#N/A"), "Sales", 1.0],
                [dt.date(2026, 11, 3), "Sales", "12.5"],
                [dt.date(2026, 11, 3), "NPS", 9.0],
            ]
        )
    )
    assert where(t) == [
        ("bad-date", "Entries!A2"),
        ("unknown-kpi", "Entries!B3"),
        ("bad-number", "Entries!C4"),
        ("nps-out-of-range", "Entries!C5"),
        ("nps-out-of-range", "Entries!C6"),
        ("empty-id", "Entries!B7"),
        ("bad-number", "Entries!C8"),
        ("excel-error", "Entries!A9"),
    ]
    assert t.problems[0].message == (
        "'03/11/2026' is text, and ambiguous: 3 November 2026 or 11 March 2026."
    )
    assert "2026-11-03 for 3 November 2026, 2026-03-11 for 11 March 2026" in t.problems[0].hint
    assert t.problems[6].severity == "warning"  # a blank value: ignored, not wrong
    assert t.entries["value"].tolist() == [12.5, 9.0]


def test_serial_dates_in_both_systems() -> None:
    assert excel_serial_date(1, False) == dt.date(1900, 1, 1)
    assert excel_serial_date(59, False) == dt.date(1900, 2, 28)
    assert excel_serial_date(61, False) == dt.date(1900, 3, 1)
    assert excel_serial_date(46329.75, False) == dt.date(2026, 11, 3)
    assert excel_serial_date(0, True) == dt.date(1904, 1, 1)
    assert excel_serial_date(44867, True) == dt.date(2026, 11, 3)
    for bad in (60, 0, -5, 1e9):
        with pytest.raises(_Bad):
            excel_serial_date(bad, False)
    assert parse_date("2026-11-03") == dt.date(2026, 11, 3)
    assert parse_date("2026-11-03T14:30") == dt.date(2026, 11, 3)
    for text in ("2026-02-30", "Nov 3", "3.11.2026"):
        with pytest.raises(_Bad):
            parse_date(text)


@pytest.mark.parametrize(
    "typed", ["2026/11/05", "2026.11.05", "2026/11/5", "2026.11.5 09:30", "2026-11-05"]
)
def test_year_first_date_text_is_accepted_with_any_separator(typed: str) -> None:
    assert parse_date(typed) == dt.date(2026, 11, 5)
    settings = [["Setting", "Value"], ["As of", typed]]
    t = validate(raw([["Date", "KPI", "Value"], [typed, "Sales", 1.0]], Settings=settings))
    assert t.problems == []
    assert t.settings.as_of == dt.date(2026, 11, 5)
    assert t.entries["date"].dt.date.tolist() == [dt.date(2026, 11, 5)]


@pytest.mark.parametrize(
    ("typed", "hint_has", "hint_lacks"),
    [
        ("03/11/2026", "2026-11-03 for 3 November 2026, 2026-03-11 for 11 March 2026", ""),
        ("25/11/2026", "the year first: 2026-11-25.", "day/month"),
        ("11/25/2026", "the year first: 2026-11-25.", "day/month"),
        ("2026/13/05", "Excel date", "03/11/2026"),  # year first, no month 13
        ("5.11.26", "the year first", ""),
    ],
)
def test_year_last_date_text_is_refused_with_a_hint_that_fits(
    typed: str, hint_has: str, hint_lacks: str
) -> None:
    with pytest.raises(_Bad) as info:
        parse_date(typed)
    assert info.value.code == "bad-date"
    assert hint_has in info.value.hint
    assert not hint_lacks or hint_lacks not in info.value.hint


def test_1904_serials_follow_the_workbook() -> None:
    r = raw([["Date", "KPI", "Value"], [44867.0, "Sales", 1.0]])
    r.date1904 = True
    assert validate(r).entries["date"].dt.date.tolist() == [dt.date(2026, 11, 3)]


@pytest.mark.parametrize(
    ("cell", "fraction"),
    [
        (1, 1.0),
        (1.0, 1.0),
        (100, 1.0),
        ("100%", 1.0),
        (0.9, 0.9),
        (90, 0.9),
        ("90 %", 0.9),
        (1.5, 1.5),
        (150, 1.5),
    ],  # fmt: skip
)
def test_thresholds_as_percent_or_fraction(cell: Any, fraction: float) -> None:
    assert parse_fraction(cell) == pytest.approx(fraction)


def test_kpi_definitions_typed_and_checked() -> None:
    kpis = [
        ["ID", "KPI", "Direction", "Aggregation", "Formula", "Frequency", "Target",
         "Tolerance", "Start", "End", "Green at", "Amber at", "Weight", "Active", "Extra"],
        ["CONV", "Conversion", "higher", None, "=LEADS / VISITS", "monthly", "5%", None,
         None, None, 95, "85%", 2.0, "No", "kept"],
        ["TEMP", "Temperature", "Within range", "Average", None, "Week", 21.0, None,
         "2026-01-01", "2025-12-01", None, None, "heavy", "maybe"],
        ["X" * 41, None],
    ]  # fmt: skip
    t = validate(raw([["Date", "KPI", "Value"]], kpis=kpis))
    conv, temp, long_id = t.kpis
    assert conv.aggregation is Aggregation.FORMULA and conv.formula == "LEADS / VISITS"
    assert conv.frequency is Frequency.MONTH
    assert (conv.target, conv.green_at, conv.amber_at, conv.weight, conv.active) == (
        0.05,
        0.95,
        0.85,
        2.0,
        False,
    )
    assert conv.valid and not temp.valid and not long_id.valid
    assert long_id.name == long_id.id
    assert sorted((p.code, p.cell) for p in t.problems) == [
        ("bad-date", "KPIs!J3"),  # End before Start
        ("bad-id", "KPIs!A4"),
        ("bad-number", "KPIs!M3"),  # weight: default used
        ("bad-value", "KPIs!N3"),  # active: stays active
        ("empty-name", "KPIs!B4"),
        ("missing-tolerance", "KPIs!H3"),
    ]


def test_an_id_of_digits_only_is_a_warning_and_long_ids_are_quoted_short() -> None:
    kpis = [["ID", "KPI"], ["2024", "Year"], ["7DAY", "Week"], ["Y" * 5000, "Long"]]
    t = validate(raw([["Date", "KPI", "Value"]], kpis=kpis))
    assert [(p.code, p.severity, p.cell) for p in t.problems] == [
        ("numeric-id", "warning", "KPIs!A2"),
        ("bad-id", "error", "KPIs!A4"),
    ]
    assert "reads 2024 as the number" in t.problems[0].message
    assert [k.valid for k in t.kpis] == [True, True, False]
    assert len(t.problems[1].message) < 200


def test_a_number_typed_as_text_beyond_the_float_range_is_bad_number() -> None:
    # Found by the fuzz test: Target "1e400" read as infinity and crashed the PDF.
    kpis = [["ID", "KPI", "Target"], ["S", "Sales", "1e400"], ["T", "Tiny", "-1E+999%"]]
    entries = [["Date", "KPI", "Value"], [dt.date(2026, 11, 2), "S", "2e308"]]
    t = validate(raw(entries, kpis=kpis))
    assert sorted((p.code, p.cell) for p in t.problems) == [
        ("bad-number", "Entries!C2"),
        ("bad-number", "KPIs!C2"),
        ("bad-number", "KPIs!C3"),
    ]
    assert all("larger than any number" in p.message for p in t.problems)


def test_missing_columns_and_sheets() -> None:
    t = validate(raw([["When", "KPI", "Value"], [dt.date(2026, 1, 1), "Sales", 1.0]]))
    assert where(t) == [("missing-column", None)]
    assert "no Date column" in t.problems[0].message and "When" in t.problems[0].message
    assert t.entries.empty
    r = RawTracker(path=None, tables={})
    assert [p.code for p in validate(r).problems] == ["missing-sheet", "missing-sheet"]


def test_settings_sheet() -> None:
    settings = [
        ["Setting", "Value"],
        ["Title", "Ops"],
        ["as of", dt.datetime(2026, 11, 20)],
        ["Period", "Quarter"],
        ["Fiscal year starts", "April"],
        ["Week starts", "Sunday"],
        ["History periods", 6.0],
        ["Green at", "95%"],
        ["Amber at", 80.0],
        ["Colour", "blue"],
        ["Period ", "Fortnight"],  # second Period: ignored, with a warning
    ]
    t = validate(raw([["Date", "KPI", "Value"]], Settings=settings))
    s = t.settings
    assert (s.title, s.as_of, s.period, s.fiscal_year_start, s.week_start) == (
        "Ops",
        dt.date(2026, 11, 20),
        Frequency.QUARTER,
        4,
        6,
    )
    assert (s.history_periods, s.green_at, s.amber_at) == (6, 0.95, 0.8)
    assert where(t) == [("unknown-setting", "Settings!A10"), ("duplicate-setting", "Settings!A11")]


def test_a_second_row_of_a_setting_is_a_warning_at_the_ignored_row() -> None:
    settings = [
        ["Setting", "Value"],
        ["As of", dt.date(2026, 11, 20)],
        ["Title", ""],  # blank: the default title, and this row still counts as first
        ["As of:", dt.date(2026, 12, 31)],
        ["title", "Ignored title"],
    ]
    t = validate(raw([["Date", "KPI", "Value"]], Settings=settings))
    assert t.settings.as_of == dt.date(2026, 11, 20)
    assert t.settings.title != "Ignored title"
    assert where(t) == [("duplicate-setting", "Settings!A4"), ("duplicate-setting", "Settings!A5")]
    first, second = t.problems
    assert first.severity == "warning" and first.row == 4
    assert first.message.startswith("As of is set again") and "Settings!A2" in first.message
    assert "Settings!A3" in second.message


def test_targets_sheet() -> None:
    targets = [
        ["KPI", "Period", "Target"],
        ["sales", dt.date(2026, 12, 1), 12000.0],
        ["sales", "December", 1.0],
        ["GONE", dt.date(2026, 12, 1), 1.0],
        ["Sales", dt.date(2026, 12, 1), None],
    ]
    t = validate(raw([["Date", "KPI", "Value"]], Targets=targets))
    assert t.targets["kpi"].tolist() == ["Sales"] and t.targets["row"].tolist() == [2]
    assert where(t) == [
        ("bad-date", "Targets!B3"),
        ("unknown-kpi", "Targets!A4"),
        ("bad-number", "Targets!C5"),
    ]


def test_every_bad_row_is_a_problem_and_counted_as_left_out() -> None:
    rows = [["Date", "KPI", "Value"]] + [[dt.date(2026, 1, 1), "TYPO", 1.0]] * 250
    rows += [["not a date", "TYPO", 1.0], [dt.date(2026, 1, 2), "Sales", "n/a"]]
    t = validate(raw(rows))
    typos = [p for p in t.problems if p.code == "unknown-kpi"]
    assert [p.cell for p in typos] == [f"Entries!B{r}" for r in range(2, 253)]
    assert all(p.message == typos[0].message for p in typos)
    # The row with a bad date and an unknown KPI is left out once, as a bad date.
    assert t.left_out == {"unknown-kpi": 250, "bad-date": 1, "bad-number": 1}
    assert t.entry_count == 252 and t.entries.empty
