"""The Excel number-format renderer without LibreOffice: the cases issue reports
named, what it refuses to claim it renders, and the edges of its input.
(tests/test_numfmt_oracle.py compares it with LibreOffice on hundreds of cells.)"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpisheets.formatting import format_value
from kpisheets.numfmt import HASHES, render, unrendered


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (651000, '$#,##0.0,,"M"', "$0.7M"),
        (294600, "€#,##0", "€294,600"),
        (-1234, "#,##0;(#,##0)", "(1,234)"),
        (1234.5, "[$€-407]#,##0.00", "€1,234.50"),
        (0.000123, "0.00E+00", "1.23E-04"),
        (0.1003, "0.0%", "10.0%"),
        (1.5, "[h]:mm", "36:00"),
        (0, '#,##0;-#,##0;"none"', "none"),
        (-5, '#,##0;-#,##0;"none"', "-5"),
        (12.5, "# ?/?", "12 1/2"),
        (1234567, "#,##0,", "1,235"),
        (2500, '[>=1000]0.0,"K";0', "2.5K"),
        (999, '[>=1000]0.0,"K";0', "999"),
        (42, '"Score "0', "Score 42"),
        (42, "0\\%", "42%"),
        (42, '#,##0 "visits"', "42 visits"),
    ],
)
def test_figures_the_issue_names(value: float, number_format: str, shown: str) -> None:
    assert render(value, number_format) == shown


def test_text_goes_through_the_text_section() -> None:
    assert render("late", '0;-0;0;"Note: "@') == "Note: late"
    assert render("late", "0.0") == "late"
    assert render("late", '0;"("@")"') == "(late)"


def test_dates_times_and_what_excel_cannot_show() -> None:
    assert render(dt.date(2026, 11, 28), "d mmm yyyy") == "28 Nov 2026"
    assert render(dt.datetime(2026, 11, 28, 14, 5), "yyyy-mm-dd h:mm AM/PM") == "2026-11-28 2:05 PM"
    assert render(-1, "yyyy-mm-dd") == HASHES
    assert render(3_000_000, "yyyy-mm-dd") == HASHES
    assert render(60, "yyyy-mm-dd") == "1900-02-29"  # Excel's 1900 leap-year day


def test_half_away_from_zero_on_the_decimal_excel_shows() -> None:
    assert render(1.005, "0.00") == "1.01"  # binary 1.00499999… but Excel shows 1.01
    assert render(-2.5, "0") == "-3"
    assert render(0.125, "0.00") == "0.13"
    assert render(-0.4, "0") == "-0"  # Excel keeps the sign


def test_nan_and_infinity_are_not_numbers() -> None:
    assert render(float("nan"), "0") == "#NUM!"
    assert format_value(float("inf"), "0") == "—"
    assert format_value(None, "0", blank="") == ""


def test_format_value_trims_excels_alignment_spaces() -> None:
    assert format_value(5, "#,##0.0_);(#,##0.0)") == "5.0"
    assert format_value(-5, "#,##0.0_);(#,##0.0)") == "(5.0)"


@pytest.mark.parametrize(
    ("number_format", "why"),
    [
        ("[DBNum1]0", "[DBNum1]"),
        ("[$-F800]dddd, mmmm dd, yyyy", "locale"),
        ("[$-407]mmmm yyyy", "locale"),
        ("0 units", "unquoted"),
        ("0;0;0;@;0", "sections"),
        ('0 "open', "unclosed quote"),
    ],
)
def test_formats_kpisheets_cannot_show_exactly_are_named(number_format: str, why: str) -> None:
    reason = unrendered(number_format)
    assert reason is not None and why in reason
    render(1234.5, number_format)  # still shows something, never raises


@pytest.mark.parametrize(
    "number_format",
    [
        "General",
        "#,##0",
        '"$"#,##0.0,,"M"',
        "[$€-407]#,##0.00",
        "[Red]#,##0;[Blue]-#,##0",
        "0.00E+00",
        "# ??/??",
        "[h]:mm",
        "[$-409]mmmm d, yyyy",
        "dd/mm/yyyy",
        '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)',
    ],
)
def test_ordinary_formats_are_rendered_exactly(number_format: str) -> None:
    assert unrendered(number_format) is None


@settings(max_examples=300, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
    st.sampled_from(["#,##0.00", "0.0%", '"$"#,##0,"K"', "0.00E+00", "# ?/?", "[h]:mm", "General"]),
)
def test_any_finite_number_renders(value: float, number_format: str) -> None:
    text = render(value, number_format)
    assert isinstance(text, str) and text


def test_check_warns_about_a_format_it_cannot_render() -> None:
    from kpisheets.validate import validate
    from tests.test_validate import raw

    kpis = [
        ["ID", "KPI", "Format"],
        ["ARR", "Revenue", '$#,##0.0,,"M"'],
        ["KANJI", "Orders", "[DBNum1]#,##0"],
        ["DE", "Launch", "[$-407]mmmm yyyy"],
    ]
    t = validate(raw([["Date", "KPI", "Value"]], kpis=kpis))
    found = [(p.code, p.severity, p.cell, p.kpi) for p in t.problems]
    assert found == [
        ("format-not-rendered", "warning", "KPIs!C3", "KANJI"),
        ("format-not-rendered", "warning", "KPIs!C4", "DE"),
    ]
    kanji = t.problems[0]
    assert "[DBNum1]" in kanji.message and "'1,235'" in kanji.message  # shown instead
    assert all(k.valid for k in t.kpis)  # a warning: the KPIs are still computed
