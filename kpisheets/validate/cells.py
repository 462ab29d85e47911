"""Reading single cells: each parser returns the typed value or raises :class:`BadCell`
with the problem code, a message quoting the value and a hint.

Cells come from any reader: python-calamine (dates as ``date``, numbers as ``float``,
blanks as ``""``) or xlwings (dates as ``datetime``, blanks as ``None``). Serial
numbers in date columns follow ``RawTracker.date1904``. The accepted spellings of
dates, numbers and words are described in docs/workbook.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from typing import Any

from kpisheets.model import CellValue, ErrorValue, Frequency

# Year first is unambiguous whatever the separator: 2026-11-03, 2026/11/03, 2026.11.3.
ISO_DATE = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
SLASH_DATE = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

FREQUENCIES = {
    "week": Frequency.WEEK,
    "weekly": Frequency.WEEK,
    "month": Frequency.MONTH,
    "monthly": Frequency.MONTH,
    "quarter": Frequency.QUARTER,
    "quarterly": Frequency.QUARTER,
    "year": Frequency.YEAR,
    "yearly": Frequency.YEAR,
    "annual": Frequency.YEAR,
    "annually": Frequency.YEAR,
}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")  # fmt: skip
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        zip(
            [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ],
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
            strict=True,
        )
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        zip(
            ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            strict=True,
        )
    )
    for name in names
}
TRUE_WORDS = {"yes", "y", "true", "1", "on", "active", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "off", "inactive"}

ENTRY_DATE_HINT = "Type an Excel date, or ISO text such as 2026-11-03."
AMBIGUOUS_HINT = (
    "Text such as 03/11/2026 reads differently in different countries; type an Excel "
    "date, or the year first, such as 2026-11-03."
)
RECALC_HINT = (
    "The file was saved by a program that does not calculate formulas; open it in "
    "Excel or LibreOffice, save it, and run again."
)


class BadCell(Exception):
    """A cell that cannot be read as what its column needs: the problem's ``code``,
    ``message`` and ``hint`` (the caller adds the cell and the severity)."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def is_blank(value: CellValue) -> bool:
    """Empty cell, empty text or spaces only."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


SHOWN_CHARS = 80  # longer text in a cell is cut in the messages that quote it


def shown(value: CellValue) -> str:
    """A cell value the way the message should quote it: long text cut to
    :data:`SHOWN_CHARS` characters, a huge number as Excel's General shows it.

    >>> shown("x" * 500)[-3:], shown(1e308), shown(3.0)
    ("x…'", '1E+308', '3')
    """
    if isinstance(value, str):
        text = value.strip() if value.strip() else value
        if len(text) > SHOWN_CHARS:
            text = text[: SHOWN_CHARS - 1] + "…"
        return repr(text)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e15:
        return f"{value:.15G}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, ErrorValue):
        return value.code
    return str(value)


def refuse_special(value: CellValue) -> None:
    """Raise for an Excel error or a formula without result."""
    if isinstance(value, ErrorValue):
        raise BadCell(
            "excel-error",
            f"The cell shows the Excel error {value.code}.",
            "Fix the formula or type the value in; errors are never counted.",
        )
    if type(value).__name__ == "UncalculatedFormula":
        raise BadCell(
            "uncalculated-formula",
            f"The cell holds the formula {value} but no saved result.",
            RECALC_HINT,
        )


def text(value: CellValue) -> str:
    """A cell as text: numbers without a trailing ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


def plain_text(value: CellValue) -> str:
    """A text cell; raises for error and uncalculated cells."""
    refuse_special(value)
    return text(value)


def kpi_key(value: CellValue) -> str:
    """The ID text of a KPI cell ("" when blank); raises for error cells."""
    refuse_special(value)
    return text(value)


def excel_serial_date(serial: float, date1904: bool) -> dt.date:
    """An Excel serial day number as a date (the time of day is dropped).

    1900 system: 1 is 1900-01-01 and 60 is Excel's fictitious 1900-02-29 (refused);
    1904 system: 0 is 1904-01-01.

    >>> excel_serial_date(46329, False), excel_serial_date(44867, True)
    (datetime.date(2026, 11, 3), datetime.date(2026, 11, 3))
    """
    if not math.isfinite(serial):
        raise BadCell("bad-date", f"{shown(serial)} is not a date.", ENTRY_DATE_HINT)
    day = math.floor(serial)
    try:
        if date1904:
            if day < 0:
                raise ValueError
            return dt.date(1904, 1, 1) + dt.timedelta(days=day)
        if day == 60:
            raise BadCell(
                "bad-date",
                "The serial number 60 is 1900-02-29, a day that never existed (Excel's "
                "1900 leap-year bug).",
                ENTRY_DATE_HINT,
            )
        if day < 1:
            raise ValueError
        base = dt.date(1899, 12, 31) if day < 60 else dt.date(1899, 12, 30)
        return base + dt.timedelta(days=day)
    except (ValueError, OverflowError) as exc:
        raise BadCell(
            "bad-date",
            f"The number {shown(serial)} is not a date Excel can show.",
            ENTRY_DATE_HINT,
        ) from exc


def parse_date(value: CellValue, date1904: bool = False) -> dt.date:
    """A date cell, an Excel serial number or ISO text (``2026-11-03``) as a date."""
    refuse_special(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time) and date1904:
        # The reader gives a date cell below serial 1 as a time of day; in the 1904
        # system serial 0 is a real day, 1904-01-01 (in the 1900 system it is Excel's
        # "1900-01-00", no date).
        return dt.date(1904, 1, 1)
    if isinstance(value, bool):
        raise BadCell("bad-date", f"{shown(value)} is not a date.", ENTRY_DATE_HINT)
    if isinstance(value, int | float):
        return excel_serial_date(float(value), date1904)
    if isinstance(value, str):
        t = value.strip()
        m = ISO_DATE.fullmatch(t)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            except ValueError as exc:
                raise BadCell(
                    "bad-date", f"{shown(value)} is not a real date.", ENTRY_DATE_HINT
                ) from exc
        m = SLASH_DATE.fullmatch(t)
        if m:
            raise _day_month_text(value, int(m.group(1)), int(m.group(2)), m.group(3))
        raise BadCell("bad-date", f"{shown(value)} is text, not a date.", ENTRY_DATE_HINT)
    raise BadCell("bad-date", f"{shown(value)} is not a date.", ENTRY_DATE_HINT)


def _day_month_text(value: CellValue, a: int, b: int, year_text: str) -> BadCell:
    """The problem for text such as ``03/11/2026``: the year last, so the order of day
    and month depends on the country. Refused even when only one order is a real date
    (``25/11/2026``), so a column never mixes both readings; the hint spells out the
    year-first text for each reading that exists."""
    readings: list[dt.date] = []
    if len(year_text) == 4:
        for month, day in ((b, a), (a, b)):
            with contextlib.suppress(ValueError):
                d = dt.date(int(year_text), month, day)
                if d not in readings:
                    readings.append(d)
    if not readings:
        return BadCell("bad-date", f"{shown(value)} is text, not a date.", AMBIGUOUS_HINT)
    if len(readings) == 1:
        (d,) = readings
        return BadCell(
            "bad-date",
            f"{shown(value)} is text with the year last; date text is read only year "
            "first, so that day and month are never swapped.",
            f"Type an Excel date, or the year first: {d.isoformat()}.",
        )
    first, second = readings
    return BadCell(
        "bad-date",
        f"{shown(value)} is text, and ambiguous: {_long_date(first)} or {_long_date(second)}.",
        f"Type an Excel date, or the year first: {first.isoformat()} for "
        f"{_long_date(first)}, {second.isoformat()} for {_long_date(second)}.",
    )


def _long_date(d: dt.date) -> str:
    """``3 November 2026`` (English month names, no locale)."""
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def parse_number(value: CellValue) -> float:
    """A number cell, or text holding a plain number (``"12.5"``, ``"40%"``)."""
    refuse_special(value)
    if isinstance(value, bool):
        raise BadCell("bad-number", f"{shown(value)} is not a number.", "Type a number.")
    if isinstance(value, int | float):
        x = float(value)
        if not math.isfinite(x):
            raise BadCell("bad-number", f"{shown(value)} is not a number.", "Type a number.")
        return x
    if isinstance(value, str):
        t = value.strip().replace("\u00a0", "")
        percent = t.endswith("%")
        body = t[:-1].strip() if percent else t
        if NUMBER_TEXT.fullmatch(body):
            x = float(body) / (100 if percent else 1)
            if not math.isfinite(x):  # "1e400": beyond what a spreadsheet cell holds
                raise BadCell(
                    "bad-number",
                    f"{shown(value)} is larger than any number a spreadsheet can hold "
                    "(about 1.8E+308).",
                    "Type a smaller number; check the exponent.",
                )
            return x
        raise BadCell(
            "bad-number",
            f"{shown(value)} is not a number.",
            "Type a number without units or thousands separators, e.g. 1250.5.",
        )
    raise BadCell("bad-number", f"{shown(value)} is not a number.", "Type a number.")


def parse_non_negative(value: CellValue) -> float:
    """A number of zero or more (a Tolerance, a Weight)."""
    x = parse_number(value)
    if x < 0:
        raise BadCell(
            "bad-number", f"{shown(value)} is negative.", "Type zero or a positive number."
        )
    return x


def parse_fraction(value: CellValue) -> float:
    """A threshold: ``100%`` (0–2 as a fraction, so 1 = 100%) or a percentage above 2
    (``90`` = 90%). Negative values are refused."""
    x = parse_number(value)
    if x < 0:
        raise BadCell(
            "bad-number",
            f"{shown(value)} is negative; a threshold is a percentage of the target.",
            "Type a percentage such as 90%.",
        )
    return x / 100 if x > 2 else x


def parse_choice(value: CellValue, choices: dict[str, Any], code: str, what: str) -> Any:
    """A word from ``choices`` (case and extra spaces ignored)."""
    refuse_special(value)
    key = " ".join(text(value).lower().split())
    if key in choices:
        return choices[key]
    canonical = sorted({c.label if hasattr(c, "label") else str(c) for c in choices.values()})
    raise BadCell(
        code,
        f"{shown(value)} is not a {what}.",
        f"Use one of: {', '.join(canonical)}.",
    )


def parse_bool(value: CellValue) -> bool:
    """Yes/No, TRUE/FALSE, 1/0 (blank is handled by the caller)."""
    refuse_special(value)
    if isinstance(value, bool):
        return value
    key = text(value).lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise BadCell("bad-value", f"{shown(value)} is not Yes or No.", "Type Yes or No.")


def parse_month(value: CellValue) -> int:
    """A month name, a number 1–12, or a date (its month)."""
    refuse_special(value)
    if isinstance(value, dt.date):
        return value.month
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 12:
            return int(value)
    elif isinstance(value, str):
        key = value.strip().lower()
        if key in MONTHS:
            return MONTHS[key]
        if key.isdigit() and 1 <= int(key) <= 12:
            return int(key)
    raise BadCell("bad-value", f"{shown(value)} is not a month.", "Type a month name or 1–12.")


def parse_weekday(value: CellValue) -> int:
    """A day name (``Monday``, ``Sun``) as 0 = Monday … 6 = Sunday."""
    refuse_special(value)
    key = text(value).lower()
    if key in WEEKDAYS:
        return WEEKDAYS[key]
    raise BadCell("bad-value", f"{shown(value)} is not a day of the week.", "Type e.g. Monday.")
