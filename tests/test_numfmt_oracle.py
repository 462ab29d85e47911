"""The number-format oracle: kpisheets shows a figure as Excel shows it.

One workbook, written with XlsxWriter, holds every format of :data:`NUMBER_FORMATS`
applied to every value of :data:`NUMBER_VALUES` (negative, zero, tiny, huge, halves
that round, text) and every date/time format of :data:`DATE_FORMATS` applied to
:data:`DATE_VALUES`. LibreOffice converts it to CSV in one process; its CSV holds
the text each cell displays. :func:`kpisheets.numfmt.render` must give the same
text — except in the cases listed in :data:`EXCEL_DIFFERS`, where LibreOffice is
known to show something other than Excel. There kpisheets follows Excel, and the
test checks both halves: kpisheets shows Excel's text, and LibreOffice still shows
something else (so the list cannot go stale). docs/number-formats.md explains
each reason.
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
from pathlib import Path

import pytest
import xlsxwriter

from kpisheets.numfmt import render
from tests.conftest import requires_libreoffice
from tests.libreoffice import soffice

NUMBER_VALUES: list[float | str] = [
    -1234.5678,
    0,
    0.000123,
    1234567891.5,
    2.5,
    0.125,
    651000,
    12.345,
    -0.5,
    1.005,
    "n/a",
]
NUMBER_FORMATS = [
    "General",
    "0",
    "0.00",
    "#,##0",
    "#,##0.00",
    "#,##0.##",
    "#,##0.0#",
    "0%",
    "0.0%",
    "0.00%",
    '"$"#,##0',
    "$#,##0",
    '"$"#,##0.00',
    '$#,##0.0,,"M"',
    '$#,##0,"K"',
    "#,##0,",
    "0.0,,",
    "0.00,%",
    "€#,##0",
    "[$€-407]#,##0.00",
    "#,##0.00 [$€-407]",
    "[$$-409]#,##0.00",
    "[$£-809]#,##0",
    "[$¥-411]#,##0",
    '"£"#,##0.00',
    '#,##0.00 "€"',
    "#,##0;(#,##0)",
    "#,##0.00;[Red](#,##0.00)",
    '#,##0;-#,##0;"zero"',
    "0.0;-0.0;-;@",
    '0;-0;0;"text: "@',
    "[Blue]#,##0;[Red]-#,##0",
    '#,##0.0;-#,##0.0;"–"',
    "0.0%;[Red]-0.0%",
    "+0.0%;-0.0%;0.0%",
    "+#,##0;-#,##0;0",
    "#,##0.0_);(#,##0.0)",
    '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)',
    "0.00_ ;-0.00 ",
    '#,##0 "visits"',
    '0 "units"',
    '0.0 "pp"',
    "\\$0.00",
    "0\\%",
    '"Score: "0.0',
    "0.00E+00",
    "0.0E+0",
    "##0.0E+0",
    "0.000E-00",
    "00.0E+0",
    "# ?/?",
    "# ??/??",
    "# ?/4",
    "0 ?/8",
    "?/?",
    "@",
    "00000",
    "000-00-0000",
    "#,##0.000",
    "0.0000",
    "#",
    "#.##",
    '[>=1000000]0.0,,"M";[>=1000]0.0,"K";0',
    '[<0]"neg "0;0',
]
DATE_VALUES: list[float | str] = [
    -0.5,
    0,
    0.000123,
    2958465.99999,  # the last second of 9999-12-31
    46000.5,
    45999.999994,  # rounds to the next midnight
    46354.125,
    61.75,
    2.5,
    "n/a",
]
DATE_FORMATS = [
    "[h]:mm",
    "[h]:mm:ss",
    "[mm]:ss",
    "h:mm AM/PM",
    "h AM/PM",
    "hh:mm:ss",
    "h:mm:ss.00",
    "mm:ss.0",
    "yyyy-mm-dd",
    "yyyy-mm-dd hh:mm",
    "m/d/yy h:mm",
    "d-mmm-yy",
    "mmm yyyy",
    "dd/mm/yyyy",
    "ddd d mmm",
    "dddd, mmmm d, yyyy",
    "[$-409]mmmm d, yyyy",
]

# Why LibreOffice's text is not Excel's (docs/number-formats.md has the long form).
MINUS_ZERO = "Excel keeps the minus sign of a negative number that rounds to zero"
POINT = "Excel keeps the decimal point when every decimal placeholder is #"
PERCENT = "Excel scales 1.005 to 100.5% in decimal, then rounds half away from zero"
CONDITION = "a negative number in the else-section of a conditional format keeps its sign"
NEGATIVE_DATE = "Excel (1900 date system) cannot show a negative date or time: ########"
DAY_ZERO = "Excel's 1900 calendar starts at 0 January 1900 and has a 29 February 1900"
SECOND = "Excel rounds a time to the nearest second shown; LibreOffice cuts it"
ELAPSED = "LibreOffice shows #FMT for elapsed times of dates Excel can still show"

EXCEL_DIFFERS: dict[tuple[str, float | str], tuple[str, str]] = {
    ("#,##0.##", 0): ("0.", POINT),
    ("#,##0.##", 0.000123): ("0.", POINT),
    ("#,##0.##", 651000): ("651,000.", POINT),
    ("#.##", 0): (".", POINT),
    ("#.##", 0.000123): (".", POINT),
    ("#.##", 651000): ("651000.", POINT),
    ("0%", 1.005): ("101%", PERCENT),
    ('$#,##0.0,,"M"', -1234.5678): ("-$0.0M", MINUS_ZERO),
    ('$#,##0.0,,"M"', -0.5): ("-$0.0M", MINUS_ZERO),
    ('$#,##0,"K"', -0.5): ("-$0K", MINUS_ZERO),
    ("#,##0,", -0.5): ("-0", MINUS_ZERO),
    ("0.0,,", -1234.5678): ("-0.0", MINUS_ZERO),
    ("0.0,,", -0.5): ("-0.0", MINUS_ZERO),
    ('[>=1000000]0.0,,"M";[>=1000]0.0,"K";0', -1234.5678): ("-1235", CONDITION),
    ('[>=1000000]0.0,,"M";[>=1000]0.0,"K";0', -0.5): ("-1", CONDITION),
    ("[h]:mm", 2958465.99999): ("71003183:59", ELAPSED),
    ("[h]:mm:ss", 2958465.99999): ("71003183:59:59", ELAPSED),
    ("[mm]:ss", 2958465.99999): ("4260191039:59", ELAPSED),
    ("hh:mm:ss", 0.000123): ("00:00:11", SECOND),  # 10.6 seconds
    ("yyyy-mm-dd", 0): ("1900-01-00", DAY_ZERO),
    ("yyyy-mm-dd", 0.000123): ("1900-01-00", DAY_ZERO),
    ("yyyy-mm-dd", 2.5): ("1900-01-02", DAY_ZERO),
    ("yyyy-mm-dd hh:mm", 0): ("1900-01-00 00:00", DAY_ZERO),
    ("yyyy-mm-dd hh:mm", 0.000123): ("1900-01-00 00:00", DAY_ZERO),
    ("yyyy-mm-dd hh:mm", 2.5): ("1900-01-02 12:00", DAY_ZERO),
    ("m/d/yy h:mm", 0): ("1/0/00 0:00", DAY_ZERO),
    ("m/d/yy h:mm", 0.000123): ("1/0/00 0:00", DAY_ZERO),
    ("m/d/yy h:mm", 2.5): ("1/2/00 12:00", DAY_ZERO),
    ("d-mmm-yy", 0): ("0-Jan-00", DAY_ZERO),
    ("d-mmm-yy", 0.000123): ("0-Jan-00", DAY_ZERO),
    ("d-mmm-yy", 2.5): ("2-Jan-00", DAY_ZERO),
    ("mmm yyyy", 0): ("Jan 1900", DAY_ZERO),
    ("mmm yyyy", 0.000123): ("Jan 1900", DAY_ZERO),
    ("dd/mm/yyyy", 0): ("00/01/1900", DAY_ZERO),
    ("dd/mm/yyyy", 0.000123): ("00/01/1900", DAY_ZERO),
    ("dd/mm/yyyy", 2.5): ("02/01/1900", DAY_ZERO),
    ("ddd d mmm", 0): ("Sat 0 Jan", DAY_ZERO),
    ("ddd d mmm", 0.000123): ("Sat 0 Jan", DAY_ZERO),
    ("ddd d mmm", 2.5): ("Mon 2 Jan", DAY_ZERO),
    ("dddd, mmmm d, yyyy", 0): ("Saturday, January 0, 1900", DAY_ZERO),
    ("dddd, mmmm d, yyyy", 0.000123): ("Saturday, January 0, 1900", DAY_ZERO),
    ("dddd, mmmm d, yyyy", 2.5): ("Monday, January 2, 1900", DAY_ZERO),
    ("[$-409]mmmm d, yyyy", 0): ("January 0, 1900", DAY_ZERO),
    ("[$-409]mmmm d, yyyy", 0.000123): ("January 0, 1900", DAY_ZERO),
    ("[$-409]mmmm d, yyyy", 2.5): ("January 2, 1900", DAY_ZERO),
}
# Every date/time format shows a negative value as ########.
EXCEL_DIFFERS.update({(f, -0.5): ("########", NEGATIVE_DATE) for f in DATE_FORMATS})

CASES: list[tuple[str, list[float | str]]] = [(f, NUMBER_VALUES) for f in NUMBER_FORMATS] + [
    (f, DATE_VALUES) for f in DATE_FORMATS
]


def _displayed_by_libreoffice(tmp: Path) -> dict[tuple[str, float | str], str]:
    """Write every case into one workbook and let LibreOffice show it as CSV."""
    book = tmp / "oracle.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Oracle")
    for r, (number_format, values) in enumerate(CASES):
        style = workbook.add_format({"num_format": number_format})
        for c, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(r, c, value, style)
            else:
                sheet.write_number(r, c, value, style)
    workbook.close()
    binary = soffice()
    assert binary
    # 44,34,76: comma, double quote, UTF-8; the last "true" saves cells as shown.
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true"
    with tempfile.TemporaryDirectory(prefix="lo-display-oracle-") as profile:
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                csv_filter,
                "--outdir",
                str(tmp),
                str(book),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    with open(tmp / "oracle.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == len(CASES)
    shown: dict[tuple[str, float | str], str] = {}
    for (number_format, values), row in zip(CASES, rows, strict=True):
        row = row + [""] * (len(values) - len(row))  # CSV drops empty trailing cells
        for value, text in zip(values, row, strict=False):
            shown[(number_format, value)] = text
    return shown


@pytest.fixture(scope="module")
def libreoffice_text(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _displayed_by_libreoffice(tmp_path_factory.mktemp("oracle"))


def test_the_oracle_is_big_enough() -> None:
    assert len(CASES) >= 60
    assert all(len(values) >= 8 for _, values in CASES)
    for value in (-1234.5678, 0, 0.000123, 1234567891.5, 2.5, "n/a"):
        assert value in NUMBER_VALUES
    assert all(key in {(f, v) for f, vs in CASES for v in vs} for key in EXCEL_DIFFERS)


@requires_libreoffice
@pytest.mark.libreoffice
def test_kpisheets_shows_what_libreoffice_shows(libreoffice_text: dict) -> None:
    disagree = []
    for (number_format, value), text in libreoffice_text.items():
        if (number_format, value) in EXCEL_DIFFERS:
            continue
        mine = render(value, number_format)
        if mine != text:
            disagree.append(
                f"{number_format!r} {value!r}: LibreOffice {text!r}, kpisheets {mine!r}"
            )
    cells = len(libreoffice_text)
    print(
        f"\nnumber-format oracle: {len(CASES)} formats, {cells} cells, "
        f"{cells - len(EXCEL_DIFFERS) - len(disagree)} agree with LibreOffice, "
        f"{len(EXCEL_DIFFERS)} documented differences (Excel followed)"
    )
    assert not disagree, "\n".join(disagree)


@requires_libreoffice
@pytest.mark.libreoffice
def test_where_libreoffice_differs_kpisheets_follows_excel(libreoffice_text: dict) -> None:
    wrong = []
    for (number_format, value), (excel, reason) in EXCEL_DIFFERS.items():
        libre = libreoffice_text[(number_format, value)]
        assert libre != excel, (
            f"{number_format!r} {value!r}: LibreOffice now shows Excel's {excel!r}; "
            "drop it from EXCEL_DIFFERS"
        )
        if render(value, number_format) != excel:
            wrong.append(
                f"{number_format!r} {value!r}: Excel {excel!r} ({reason}), "
                f"kpisheets {render(value, number_format)!r}"
            )
    assert not wrong, "\n".join(wrong)
