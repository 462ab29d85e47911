"""Validation: turn the cells a reader found into a typed :class:`Tracker` and a list
of :class:`Problem` (SPEC §4), without ever stopping at the first bad cell.

Works on :class:`RawTable` objects from any reader: python-calamine (dates as
``date``, numbers as ``float``, blanks as ``""``) or xlwings (dates as ``datetime``,
blanks as ``None``). Serial numbers in date columns follow ``RawTracker.date1904``.

The Entries sheet can hold a million rows, so it is validated column by column with
numpy: dates and KPI IDs repeat, so each *distinct* value is interpreted once and
the answer spread back with an index array; numbers take a vectorised fast path.
Per-row Python work happens only for rows with a problem.

Problem codes produced here (severity in brackets; see docs/workbook.md):
``missing-sheet`` [error], ``missing-column`` [error; warning on Settings],
``empty-id`` [error], ``duplicate-kpi-id`` [error], ``bad-id`` [error],
``unknown-kpi`` [error], ``bad-date`` [error], ``bad-number`` [error; warning when a
default is used or a value is blank], ``excel-error`` [error in a needed cell,
warning elsewhere], ``uncalculated-formula`` [same], ``nps-out-of-range`` [error],
``bad-direction`` / ``bad-aggregation`` / ``bad-frequency`` [error],
``threshold-order`` [warning], ``entry-for-formula-kpi`` [warning],
``formula-syntax`` [error, a Formula KPI without a formula], ``missing-tolerance``,
``incomplete-window``, ``bad-value``, ``unknown-setting``, ``duplicate-setting``,
``empty-name`` [warnings]; :func:`check_workbook` adds ``generated-sheet-taken`` [error].
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from kpisheets.model import (
    GENERATED_SHEETS,
    Aggregation,
    CellValue,
    Direction,
    ErrorValue,
    Frequency,
    KpiDefinition,
    Problem,
    RawTable,
    RawTracker,
    Settings,
    Severity,
    Tracker,
    empty_entries,
    empty_targets,
    normalise_name,
)
from kpisheets.read import cyclic_gc_paused

# At most this many problems of one code per sheet are listed one by one; the rest
# are counted in one closing problem, so a million bad rows stay readable.
MAX_PROBLEMS_PER_CODE = 100

KPI_ID = re.compile(r"[A-Za-z0-9_]{1,40}")
# Year first is unambiguous whatever the separator: 2026-11-03, 2026/11/03, 2026.11.3.
ISO_DATE = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
SLASH_DATE = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

DIRECTIONS = {
    "higher is better": Direction.HIGHER,
    "higher": Direction.HIGHER,
    "lower is better": Direction.LOWER,
    "lower": Direction.LOWER,
    "within range": Direction.RANGE,
    "range": Direction.RANGE,
}
AGGREGATIONS = {
    "sum": Aggregation.SUM,
    "total": Aggregation.SUM,
    "average": Aggregation.AVERAGE,
    "avg": Aggregation.AVERAGE,
    "mean": Aggregation.AVERAGE,
    "last": Aggregation.LAST,
    "latest": Aggregation.LAST,
    "min": Aggregation.MIN,
    "minimum": Aggregation.MIN,
    "max": Aggregation.MAX,
    "maximum": Aggregation.MAX,
    "count": Aggregation.COUNT,
    "nps": Aggregation.NPS,
    "formula": Aggregation.FORMULA,
}
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

KPI_COLUMNS = (
    "id",
    "kpi",
    "category",
    "owner",
    "unit",
    "format",
    "direction",
    "aggregation",
    "formula",
    "frequency",
    "target",
    "baseline",
    "tolerance",
    "start",
    "end",
    "green at",
    "amber at",
    "weight",
    "active",
    "description",
    "source",
)
ENTRY_COLUMNS = ("date", "kpi", "value", "note", "by")
TARGET_COLUMNS = ("kpi", "period", "target")
SETTING_NAMES = {
    "title": "title",
    "as of": "as_of",
    "as-of": "as_of",
    "period": "period",
    "fiscal year starts": "fiscal_year_start",
    "fiscal year start": "fiscal_year_start",
    "week starts": "week_start",
    "week start": "week_start",
    "history periods": "history_periods",
    "green at": "green_at",
    "amber at": "amber_at",
}

ENTRY_DATE_HINT = "Type an Excel date, or ISO text such as 2026-11-03."
AMBIGUOUS_HINT = (
    "Text such as 03/11/2026 reads differently in different countries; type an Excel "
    "date, or the year first, such as 2026-11-03."
)
RECALC_HINT = (
    "The file was saved by a program that does not calculate formulas; open it in "
    "Excel or LibreOffice, save it, and run again."
)


@runtime_checkable
class RevealsHiddenCells(Protocol):
    """A table that can tell which of its blank-looking cells hold an Excel error or a
    formula without a saved result (the file reader can; live Excel needs not)."""

    def hidden_values(self) -> dict[tuple[int, int], CellValue]:
        """``(row_index, column_index)`` → the value behind a blank-looking cell."""
        ...


class _Bad(Exception):
    """A cell that cannot be read as what its column needs."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def missing_sheet_problem(sheet: str) -> Problem:
    """The problem for a workbook without a KPIs or Entries sheet."""
    columns = "ID and KPI" if sheet == "KPIs" else "Date, KPI and Value"
    return Problem(
        code="missing-sheet",
        severity="error",
        message=f"The workbook has no {sheet} sheet.",
        hint=f"Add a sheet named {sheet} with the columns {columns}, or run "
        "`kpisheets init` on the workbook to add the input sheets.",
        sheet=sheet,
    )


def check_workbook(path: str | Path, as_of: dt.date | None = None) -> list[Problem]:
    """Every problem of a tracker file: reading, validation, and computation at
    ``as_of`` (``future-date``, ``missing-target``, formula problems…).

    A workbook without a KPIs or Entries sheet gives ``missing-sheet`` problems (the
    other commands raise :class:`~kpisheets.errors.NotATrackerError` instead); a
    file that is no workbook at all raises it here too.

    >>> # [p.code for p in check_workbook("tracker.xlsx")]
    """
    from kpisheets.calc import compute
    from kpisheets.read import read_workbook

    with cyclic_gc_paused():  # millions of acyclic cells: see cyclic_gc_paused
        raw = read_workbook(path, strict=False)
        taken = generated_sheet_problems(raw.sheet_names, _owned_sheets(Path(path)))
        tracker = validate(raw)
        del raw  # the rows, freed by reference counting
        if any(p.code == "missing-sheet" for p in tracker.problems):
            return taken + list(tracker.problems)
        return taken + list(compute(tracker, as_of).problems)


def _owned_sheets(path: Path) -> list[str] | None:
    """The sheets of ``path`` that kpisheets generated (the ``_kpisheets_generated``
    marker), read by the splice's own check; ``None`` when the splice cannot open the
    package (``refresh`` then says why in one sentence)."""
    from kpisheets.errors import KpisheetsError
    from kpisheets.write.package import owned_sheets

    try:
        return owned_sheets(path)
    except KpisheetsError:
        return None


def generated_sheet_problems(sheet_names: list[str], owned: list[str] | None) -> list[Problem]:
    """A ``generated-sheet-taken`` error for each sheet of the user's named like a sheet
    kpisheets writes (Summary, History, Problems; case and surrounding spaces ignored)
    but without kpisheets' marker: ``refresh`` refuses to overwrite it.

    ``owned`` lists the marked sheets; ``None`` means unknown, and gives no problem.
    """
    if owned is None:
        return []
    generated = {name.lower(): name for name in GENERATED_SHEETS}
    problems = []
    for sheet in sheet_names:
        ours = generated.get(sheet.strip().lower())
        if ours is not None and sheet not in owned:
            problems.append(
                Problem(
                    code="generated-sheet-taken",
                    severity="error",
                    message=f"The sheet {sheet!r} was not made by kpisheets, so `kpisheets "
                    f"refresh` will not overwrite it with its {ours} sheet.",
                    hint=f"Rename the sheet (e.g. to 'My {sheet.strip()}') or delete it; "
                    "status, check and export work meanwhile.",
                    sheet=sheet,
                )
            )
    return problems


def validate(raw: RawTracker) -> Tracker:
    """Type every input sheet of ``raw`` and collect its problems.

    Rows with an error-level problem are left out of ``entries`` and ``targets``;
    a KPI with one is kept with ``valid=False``. Blank rows are skipped silently.

    >>> # tracker = validate(read_workbook("tracker.xlsx")); tracker.problems
    """
    return _Validator(raw).run()


# ---------------------------------------------------------------------------
# Reading single cells. Each returns the typed value or raises _Bad.


def is_blank(value: CellValue) -> bool:
    """Empty cell, empty text or spaces only."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def shown(value: CellValue) -> str:
    """A cell value the way the message should quote it."""
    if isinstance(value, str):
        return repr(value.strip() if value.strip() else value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, ErrorValue):
        return value.code
    return str(value)


def _special(value: CellValue) -> None:
    """Raise for an Excel error or a formula without result."""
    if isinstance(value, ErrorValue):
        raise _Bad(
            "excel-error",
            f"The cell shows the Excel error {value.code}.",
            "Fix the formula or type the value in; errors are never counted.",
        )
    if type(value).__name__ == "UncalculatedFormula":
        raise _Bad(
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


def excel_serial_date(serial: float, date1904: bool) -> dt.date:
    """An Excel serial day number as a date (the time of day is dropped).

    1900 system: 1 is 1900-01-01 and 60 is Excel's fictitious 1900-02-29 (refused);
    1904 system: 0 is 1904-01-01.

    >>> excel_serial_date(46329, False), excel_serial_date(44867, True)
    (datetime.date(2026, 11, 3), datetime.date(2026, 11, 3))
    """
    if not math.isfinite(serial):
        raise _Bad("bad-date", f"{shown(serial)} is not a date.", ENTRY_DATE_HINT)
    day = math.floor(serial)
    try:
        if date1904:
            if day < 0:
                raise ValueError
            return dt.date(1904, 1, 1) + dt.timedelta(days=day)
        if day == 60:
            raise _Bad(
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
        raise _Bad(
            "bad-date",
            f"The number {shown(serial)} is not a date Excel can show.",
            ENTRY_DATE_HINT,
        ) from exc


def parse_date(value: CellValue, date1904: bool = False) -> dt.date:
    """A date cell, an Excel serial number or ISO text (``2026-11-03``) as a date."""
    _special(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _Bad("bad-date", f"{shown(value)} is not a date.", ENTRY_DATE_HINT)
    if isinstance(value, int | float):
        return excel_serial_date(float(value), date1904)
    if isinstance(value, str):
        t = value.strip()
        m = ISO_DATE.fullmatch(t)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            except ValueError as exc:
                raise _Bad(
                    "bad-date", f"{shown(value)} is not a real date.", ENTRY_DATE_HINT
                ) from exc
        m = SLASH_DATE.fullmatch(t)
        if m:
            raise _day_month_text(value, int(m.group(1)), int(m.group(2)), m.group(3))
        raise _Bad("bad-date", f"{shown(value)} is text, not a date.", ENTRY_DATE_HINT)
    raise _Bad("bad-date", f"{shown(value)} is not a date.", ENTRY_DATE_HINT)


def _day_month_text(value: CellValue, a: int, b: int, year_text: str) -> _Bad:
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
        return _Bad("bad-date", f"{shown(value)} is text, not a date.", AMBIGUOUS_HINT)
    if len(readings) == 1:
        (d,) = readings
        return _Bad(
            "bad-date",
            f"{shown(value)} is text with the year last; date text is read only year "
            "first, so that day and month are never swapped.",
            f"Type an Excel date, or the year first: {d.isoformat()}.",
        )
    first, second = readings
    return _Bad(
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
    _special(value)
    if isinstance(value, bool):
        raise _Bad("bad-number", f"{shown(value)} is not a number.", "Type a number.")
    if isinstance(value, int | float):
        x = float(value)
        if not math.isfinite(x):
            raise _Bad("bad-number", f"{shown(value)} is not a number.", "Type a number.")
        return x
    if isinstance(value, str):
        t = value.strip().replace("\u00a0", "")
        percent = t.endswith("%")
        body = t[:-1].strip() if percent else t
        if NUMBER_TEXT.fullmatch(body):
            return float(body) / (100 if percent else 1)
        raise _Bad(
            "bad-number",
            f"{shown(value)} is not a number.",
            "Type a number without units or thousands separators, e.g. 1250.5.",
        )
    raise _Bad("bad-number", f"{shown(value)} is not a number.", "Type a number.")


def parse_fraction(value: CellValue) -> float:
    """A threshold: ``100%`` (0–2 as a fraction, so 1 = 100%) or a percentage above 2
    (``90`` = 90%). Negative values are refused."""
    x = parse_number(value)
    if x < 0:
        raise _Bad(
            "bad-number",
            f"{shown(value)} is negative; a threshold is a percentage of the target.",
            "Type a percentage such as 90%.",
        )
    return x / 100 if x > 2 else x


def parse_choice(value: CellValue, choices: dict[str, Any], code: str, what: str) -> Any:
    """A word from ``choices`` (case and extra spaces ignored)."""
    _special(value)
    key = " ".join(text(value).lower().split())
    if key in choices:
        return choices[key]
    canonical = sorted({c.label if hasattr(c, "label") else str(c) for c in choices.values()})
    raise _Bad(
        code,
        f"{shown(value)} is not a {what}.",
        f"Use one of: {', '.join(canonical)}.",
    )


def parse_bool(value: CellValue) -> bool:
    """Yes/No, TRUE/FALSE, 1/0 (blank is handled by the caller)."""
    _special(value)
    if isinstance(value, bool):
        return value
    key = text(value).lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise _Bad("bad-value", f"{shown(value)} is not Yes or No.", "Type Yes or No.")


def parse_month(value: CellValue) -> int:
    """A month name, a number 1–12, or a date (its month)."""
    _special(value)
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
    raise _Bad("bad-value", f"{shown(value)} is not a month.", "Type a month name or 1–12.")


def parse_weekday(value: CellValue) -> int:
    """A day name (``Monday``, ``Sun``) as 0 = Monday … 6 = Sunday."""
    _special(value)
    key = text(value).lower()
    if key in WEEKDAYS:
        return WEEKDAYS[key]
    raise _Bad("bad-value", f"{shown(value)} is not a day of the week.", "Type e.g. Monday.")


# ---------------------------------------------------------------------------


@dataclass
class _KpiFacts:
    """What the Entries checks need to know about one KPI."""

    kpi: KpiDefinition
    is_count: bool
    is_nps: bool
    is_formula: bool


class _Validator:
    def __init__(self, raw: RawTracker) -> None:
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.unlisted: Counter[tuple[str, str]] = Counter()  # rows never materialised
        self.first_cell: dict[tuple[str, str], str | None] = {}
        self.kpi_lookup: dict[str, _KpiFacts] = {}
        self.kpis_usable = True

    # -- problems ---------------------------------------------------------

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        hint: str,
        table: RawTable | None = None,
        row: int | None = None,
        column: int | None = None,
        sheet: str | None = None,
        kpi: str | None = None,
    ) -> None:
        sheet = table.sheet if table is not None else sheet
        key = (sheet or "", code)
        self.counts[key] += 1
        cell = None
        if table is not None and row is not None and column is not None:
            cell = table.cell_ref(row, column)
        if self.counts[key] > MAX_PROBLEMS_PER_CODE:
            return
        self.first_cell.setdefault(key, cell)
        self.problems.append(
            Problem(
                code=code,
                severity=severity,
                message=message,
                hint=hint,
                sheet=sheet,
                cell=cell,
                column=table.headers[column] if table is not None and column is not None else None,
                row=table.row_numbers[row] if table is not None and row is not None else None,
                kpi=kpi,
            )
        )

    def add_bad(
        self,
        bad: _Bad,
        severity: Severity,
        table: RawTable,
        row: int,
        column: int,
        kpi: str | None = None,
        suffix: str = "",
    ) -> None:
        self.add(bad.code, severity, bad.message + suffix, bad.hint, table, row, column, kpi=kpi)

    def close_counts(self) -> None:
        for (sheet, code), n in sorted((self.counts + self.unlisted).items()):
            if n > MAX_PROBLEMS_PER_CODE:
                listed = [p for p in self.problems if p.code == code and p.sheet == sheet]
                self.problems.append(
                    Problem(
                        code=code,
                        severity=listed[0].severity if listed else "error",
                        message=f"{n - MAX_PROBLEMS_PER_CODE:,} more cells on {sheet} have "
                        f"this problem ({n:,} in all; the first {MAX_PROBLEMS_PER_CODE} "
                        "are listed).",
                        hint=listed[0].hint if listed else "",
                        sheet=sheet or None,
                    )
                )

    # -- structure --------------------------------------------------------

    def columns(self, table: RawTable) -> dict[str, int]:
        """Normalised header → first column index with it."""
        found: dict[str, int] = {}
        for i, h in enumerate(table.headers):
            key = " ".join(normalise_name(h).split())
            if key and key not in found:
                found[key] = i
        return found

    def require(
        self, table: RawTable, cols: dict[str, int], names: Iterable[str], severity: Severity
    ) -> bool:
        ok = True
        for name in names:
            if name not in cols:
                ok = False
                pretty = {"id": "ID", "kpi": "KPI"}.get(name, name.title())
                self.add(
                    "missing-column",
                    severity,
                    f"The {table.sheet} sheet has no {pretty} column"
                    + (
                        f" (its headers: {', '.join(h for h in table.headers if h)})."
                        if any(table.headers)
                        else " (its first row is empty)."
                    ),
                    f"Add a column headed {pretty} in the header row (row "
                    f"{table.header_row}); names ignore case and surrounding spaces.",
                    sheet=table.sheet,
                )
        return ok

    def reveal(self, table: RawTable) -> dict[tuple[int, int], CellValue]:
        """Ask a file-read table which blank-looking cells hold errors or formulas."""
        if isinstance(table, RevealsHiddenCells):
            return table.hidden_values()
        return {}

    def small_rows(
        self, table: RawTable, known: Iterable[int]
    ) -> list[tuple[int, Callable[[int | None], CellValue]]]:
        """Non-blank rows of a small sheet with a cell getter, hidden cells revealed."""
        known = [c for c in known]
        self.reveal(table)
        out: list[tuple[int, Callable[[int | None], CellValue]]] = []
        for i, row in enumerate(table.rows):

            def get(c: int | None, row: list[CellValue] = row) -> CellValue:
                return row[c] if c is not None and c < len(row) else None

            if all(is_blank(get(c)) for c in known):
                continue
            out.append((i, get))
        return out

    # -- the sheets -------------------------------------------------------

    def run(self) -> Tracker:
        for sheet in ("KPIs", "Entries"):
            if sheet not in self.raw.tables and not any(
                p.code == "missing-sheet" and p.sheet == sheet for p in self.problems
            ):
                self.problems.append(missing_sheet_problem(sheet))
        settings = self.settings()
        kpis = self.kpis(settings)
        entries, entry_count = self.entries()
        targets = self.targets()
        self.close_counts()
        table = self.raw.tables.get("Entries")
        cols = self.columns(table) if table is not None else {}
        date_col = cols.get("date")
        kpi_table = self.raw.tables.get("KPIs")
        kpi_columns = (
            {name: kpi_table.letters[i] for name, i in self.columns(kpi_table).items()}
            if kpi_table is not None
            else {}
        )
        return Tracker(
            kpis=kpis,
            entries=entries,
            targets=targets,
            settings=settings,
            problems=self.problems,
            path=self.raw.path,
            entry_count=entry_count,
            entries_sheet=table.sheet if table is not None else "Entries",
            entries_date_column=(
                table.letters[date_col] if table is not None and date_col is not None else "A"
            ),
            entries_header_row=table.header_row if table is not None else 1,
            kpis_sheet=kpi_table.sheet if kpi_table is not None else "KPIs",
            kpi_columns=kpi_columns,
        )

    # Settings ------------------------------------------------------------

    def settings(self) -> Settings:
        settings = Settings()
        table = self.raw.tables.get("Settings")
        if table is None:
            return settings
        cols = self.columns(table)
        if not self.require(table, cols, ("setting", "value"), "warning"):
            return settings
        name_col, value_col = cols["setting"], cols["value"]
        seen: dict[str, int] = {}  # setting → the row index that sets it
        for i, get in self.small_rows(table, (name_col, value_col)):
            name_cell, value = get(name_col), get(value_col)
            key = " ".join(text(name_cell).lower().rstrip(":").split())
            field = SETTING_NAMES.get(key)
            if field is None:
                if key:
                    close = difflib.get_close_matches(key, list(SETTING_NAMES), n=1)
                    self.add(
                        "unknown-setting",
                        "warning",
                        f"{shown(name_cell)} is not a setting kpisheets knows; it is ignored.",
                        (f"Did you mean {close[0].title()}? " if close else "")
                        + "Settings: Title, As of, Period, Fiscal year starts, Week starts, "
                        "History periods, Green at, Amber at.",
                        table,
                        i,
                        name_col,
                    )
                continue
            if field in seen:
                first = table.cell_ref(seen[field], name_col)
                named = text(name_cell).rstrip(":").strip()
                self.add(
                    "duplicate-setting",
                    "warning",
                    f"{named} is set again here; this row is ignored and the first one, "
                    f"{first}, is used.",
                    f"Delete one of the two {named} rows, keeping the value you want.",
                    table,
                    i,
                    name_col,
                )
                continue
            seen[field] = i
            if is_blank(value):
                continue
            try:
                self.apply_setting(settings, field, value)
            except _Bad as bad:
                self.add_bad(
                    bad,
                    "warning",
                    table,
                    i,
                    value_col,
                    suffix=f" ({text(name_cell)}: the default is used.)",
                )
        if settings.green_at < settings.amber_at:
            self.add(
                "threshold-order",
                "warning",
                f"Green at ({settings.green_at:.0%}) is below Amber at "
                f"({settings.amber_at:.0%}), so no KPI can be At risk.",
                "Make Green at the higher threshold, e.g. Green at 100%, Amber at 90%.",
                sheet=table.sheet,
            )
        return settings

    def apply_setting(self, settings: Settings, field: str, value: CellValue) -> None:
        if field == "title":
            _special(value)
            settings.title = text(value)
        elif field == "as_of":
            settings.as_of = parse_date(value, self.raw.date1904)
        elif field == "period":
            settings.period = parse_choice(value, FREQUENCIES, "bad-frequency", "period")
        elif field == "fiscal_year_start":
            settings.fiscal_year_start = parse_month(value)
        elif field == "week_start":
            settings.week_start = parse_weekday(value)
        elif field == "history_periods":
            n = parse_number(value)
            if not n.is_integer() or not 1 <= n <= 1000:
                raise _Bad(
                    "bad-number",
                    f"{shown(value)} is not a whole number of periods from 1 to 1000.",
                    "Type a whole number such as 12.",
                )
            settings.history_periods = int(n)
        elif field in ("green_at", "amber_at"):
            setattr(settings, field, parse_fraction(value))

    # KPIs -----------------------------------------------------------------

    def kpis(self, settings: Settings) -> list[KpiDefinition]:
        table = self.raw.tables.get("KPIs")
        if table is None:
            self.kpis_usable = False
            return []
        cols = self.columns(table)
        has_id = self.require(table, cols, ("id",), "error")
        self.require(table, cols, ("kpi",), "error")
        if not has_id:
            self.kpis_usable = False
            return []
        known = [cols[c] for c in KPI_COLUMNS if c in cols]
        kpis: list[KpiDefinition] = []
        first_row: dict[str, int] = {}
        for i, get in self.small_rows(table, known):
            k = self.kpi_row(table, cols, i, get, settings, first_row)
            if k is not None:
                kpis.append(k)
        for k in kpis:
            self.kpi_lookup[k.id.lower()] = _KpiFacts(
                k,
                k.aggregation is Aggregation.COUNT,
                k.aggregation is Aggregation.NPS,
                k.aggregation is Aggregation.FORMULA,
            )
        return kpis

    def kpi_row(
        self,
        table: RawTable,
        cols: dict[str, int],
        i: int,
        get: Callable[[int | None], CellValue],
        settings: Settings,
        first_row: dict[str, int],
    ) -> KpiDefinition | None:
        id_col = cols["id"]
        raw_id = get(id_col)
        try:
            _special(raw_id)
        except _Bad as bad:
            self.add_bad(bad, "error", table, i, id_col, suffix=" The KPI row is skipped.")
            return None
        kpi_id = text(raw_id)
        if not kpi_id:
            self.add(
                "empty-id",
                "error",
                "This KPI row has no ID, so it is skipped.",
                "Give the KPI a short unique ID (letters, digits, _), e.g. NEW_CUSTOMERS.",
                table,
                i,
                id_col,
            )
            return None
        if kpi_id.lower() in first_row:
            self.add(
                "duplicate-kpi-id",
                "error",
                f"The ID {kpi_id!r} is already used in row {first_row[kpi_id.lower()]} "
                "(IDs ignore case); this row is skipped.",
                "Give every KPI its own ID.",
                table,
                i,
                id_col,
                kpi=kpi_id,
            )
            return None
        first_row[kpi_id.lower()] = table.row_numbers[i]
        valid = True
        if not KPI_ID.fullmatch(kpi_id):
            valid = False
            self.add(
                "bad-id",
                "error",
                f"The ID {kpi_id!r} "
                + (
                    "is longer than 40 characters."
                    if len(kpi_id) > 40
                    else "may hold only letters, digits and _."
                ),
                "Use letters, digits and _ only, at most 40 characters, e.g. "
                + (re.sub(r"\W+", "_", kpi_id).strip("_")[:40] or "KPI_1")
                + ".",
                table,
                i,
                id_col,
                kpi=kpi_id,
            )
        k = KpiDefinition(id=kpi_id, name=kpi_id, row=table.row_numbers[i])

        def cell(name: str) -> tuple[CellValue, int | None]:
            c = cols.get(name)
            return get(c), c

        def read(
            name: str, parse: Callable[[CellValue], Any], severity: Severity, suffix: str = ""
        ) -> Any:
            nonlocal valid
            value, c = cell(name)
            if is_blank(value) or c is None:
                return None
            try:
                return parse(value)
            except _Bad as bad:
                if severity == "error":
                    valid = False
                self.add_bad(bad, severity, table, i, c, kpi=kpi_id, suffix=suffix)
                return None

        def words(name: str) -> str:
            out = read(name, plain_text, "warning", " It is ignored.")
            return out or ""

        name, name_col = cell("kpi")
        k.name = words("kpi")
        if not k.name:
            k.name = kpi_id
            if name_col is not None and is_blank(name):
                self.add(
                    "empty-name",
                    "warning",
                    f"The KPI {kpi_id} has no name; its ID is shown instead.",
                    "Type a display name in the KPI column.",
                    table,
                    i,
                    name_col,
                    kpi=kpi_id,
                )
        k.category = words("category") or "Uncategorised"
        k.owner = words("owner")
        k.unit = words("unit")
        k.number_format = words("format")
        k.description = words("description")
        k.source = words("source")
        k.direction = (
            read(
                "direction",
                lambda v: parse_choice(v, DIRECTIONS, "bad-direction", "direction"),
                "error",
            )
            or Direction.HIGHER
        )
        formula = read("formula", _formula_text, "error") or ""
        k.formula = formula[1:].strip() if formula.startswith("=") else formula
        aggregation = read(
            "aggregation",
            lambda v: parse_choice(v, AGGREGATIONS, "bad-aggregation", "aggregation"),
            "error",
        )
        agg_value, agg_col = cell("aggregation")
        if aggregation is None and is_blank(agg_value):
            aggregation = Aggregation.FORMULA if k.formula else Aggregation.SUM
        k.aggregation = aggregation or Aggregation.SUM
        formula_col = cols.get("formula")
        if aggregation is Aggregation.FORMULA and not k.formula and valid:
            valid = False
            where = formula_col if formula_col is not None else agg_col
            self.add(
                "formula-syntax",
                "error",
                f"{kpi_id} has the aggregation Formula but no formula.",
                "Write the formula in the Formula column over other KPI IDs, e.g. LEADS / VISITS.",
                table,
                i,
                where,
                kpi=kpi_id,
            )
        elif aggregation is not None and aggregation is not Aggregation.FORMULA and k.formula:
            self.add(
                "bad-aggregation",
                "warning",
                f"{kpi_id} has a formula but the aggregation {aggregation.label}; the "
                "formula is ignored.",
                "Set Aggregation to Formula to compute it from the formula, or clear "
                "the Formula cell.",
                table,
                i,
                agg_col,
                kpi=kpi_id,
            )
        k.frequency = read(
            "frequency",
            lambda v: parse_choice(v, FREQUENCIES, "bad-frequency", "frequency"),
            "error",
        )
        k.target = read("target", parse_number, "error")
        k.baseline = read("baseline", parse_number, "error")
        k.tolerance = read("tolerance", _non_negative, "error")
        k.start = read("start", lambda v: parse_date(v, self.raw.date1904), "error")
        k.end = read("end", lambda v: parse_date(v, self.raw.date1904), "error")
        if k.start and k.end and k.end < k.start:
            valid = False
            self.add(
                "bad-date",
                "error",
                f"End {k.end.isoformat()} is before Start {k.start.isoformat()}.",
                "Swap the dates or correct one of them.",
                table,
                i,
                cols["end"],
                kpi=kpi_id,
            )
        elif (k.start is None) != (k.end is None):
            have, lack = ("Start", "End") if k.start else ("End", "Start")
            start_v, _ = cell("start")
            end_v, _ = cell("end")
            if is_blank(start_v) or is_blank(end_v):  # not when the other one was bad
                self.add(
                    "incomplete-window",
                    "warning",
                    f"{kpi_id} has a {have} date but no {lack}, so the calendar period is used.",
                    f"Fill in {lack} too for a goal window, or clear {have}.",
                    table,
                    i,
                    cols[have.lower()],
                    kpi=kpi_id,
                )
        if k.direction is Direction.RANGE and k.tolerance is None:
            tol_v, tol_c = cell("tolerance")
            if is_blank(tol_v):
                self.add(
                    "missing-tolerance",
                    "warning",
                    f"{kpi_id} is Within range but has no Tolerance, so only exactly "
                    "the target counts as in range.",
                    "Type the allowed deviation from Target in the Tolerance column.",
                    table,
                    i,
                    tol_c if tol_c is not None else cols["id"],
                    kpi=kpi_id,
                )
        used = " The default is used."
        k.green_at = read("green at", parse_fraction, "warning", used)
        k.amber_at = read("amber at", parse_fraction, "warning", used)
        green = k.green_at if k.green_at is not None else settings.green_at
        amber = k.amber_at if k.amber_at is not None else settings.amber_at
        if green < amber and (k.green_at is not None or k.amber_at is not None):
            c = cols["green at"] if k.green_at is not None else cols["amber at"]
            self.add(
                "threshold-order",
                "warning",
                f"Green at ({green:.0%}) is below Amber at ({amber:.0%}) for {kpi_id}, "
                "so it can never be At risk.",
                "Make Green at the higher threshold, e.g. Green at 100%, Amber at 90%.",
                table,
                i,
                c,
                kpi=kpi_id,
            )
        weight = read("weight", _non_negative, "warning", used)
        k.weight = 1.0 if weight is None else weight
        active = read("active", parse_bool, "warning", " The KPI stays active.")
        k.active = True if active is None else active
        k.valid = valid
        return k

    # Entries --------------------------------------------------------------

    def entries(self) -> tuple[pd.DataFrame, int]:
        table = self.raw.tables.get("Entries")
        if table is None:
            return empty_entries(), 0
        cols = self.columns(table)
        if not self.require(table, cols, ("date", "kpi", "value"), "error"):
            return empty_entries(), 0
        # A million-row column makes millions of objects; the cyclic garbage collector
        # would rescan them again and again while nothing here forms a cycle.
        with cyclic_gc_paused():
            return _EntriesCheck(self, table, cols).run()

    # Targets --------------------------------------------------------------

    def targets(self) -> pd.DataFrame:
        table = self.raw.tables.get("Targets")
        if table is None:
            return empty_targets()
        cols = self.columns(table)
        if not self.require(table, cols, TARGET_COLUMNS, "error"):
            return empty_targets()
        kc, pc, tc = cols["kpi"], cols["period"], cols["target"]
        rows: list[dict[str, Any]] = []
        for i, get in self.small_rows(table, (kc, pc, tc)):
            kpi_id = self.match_kpi(table, i, kc, get(kc))
            ok = kpi_id is not None
            try:
                if is_blank(get(pc)):
                    raise _Bad(
                        "bad-date",
                        "The Period is blank.",
                        "Type any date inside the period the target is for, e.g. 2026-11-01.",
                    )
                period = parse_date(get(pc), self.raw.date1904)
            except _Bad as bad:
                ok = False
                self.add_bad(bad, "error", table, i, pc, kpi=kpi_id)
            value = get(tc)
            try:
                if is_blank(value):
                    raise _Bad(
                        "bad-number",
                        "The Target is blank, so this row is ignored.",
                        "Type the target, or delete the row.",
                    )
                target = parse_number(value)
            except _Bad as bad:
                severity: Severity = "warning" if is_blank(value) else "error"
                self.add_bad(bad, severity, table, i, tc, kpi=kpi_id)
                ok = False
            if ok:
                rows.append(
                    {
                        "kpi": kpi_id,
                        "period": pd.Timestamp(period),
                        "target": target,
                        "row": table.row_numbers[i],
                    }
                )
        if not rows:
            return empty_targets()
        frame = pd.DataFrame(rows)
        frame["kpi"] = frame["kpi"].astype(object)
        return frame.astype({"period": "datetime64[ns]", "target": "float64", "row": "int64"})

    def match_kpi(self, table: RawTable, i: int, c: int, value: CellValue) -> str | None:
        """The KPIs sheet's spelling of the ID in a cell, or None after a problem."""
        try:
            kpi_id = kpi_key(value)
        except _Bad as bad:
            self.add_bad(bad, "error", table, i, c)
            return None
        if not kpi_id:
            self.add(
                "empty-id",
                "error",
                "The KPI cell is blank, so this row is ignored.",
                "Type the ID of a KPI from the KPIs sheet.",
                table,
                i,
                c,
            )
            return None
        facts = self.kpi_lookup.get(kpi_id.lower())
        if facts is None:
            if self.kpis_usable:
                self.add_unknown(table, i, c, kpi_id)
            return None
        return facts.kpi.id

    def add_unknown(self, table: RawTable, i: int, c: int, kpi_id: str) -> None:
        self.add("unknown-kpi", "error", *self.unknown_text(kpi_id), table, i, c, kpi=kpi_id)

    def unknown_text(self, kpi_id: str) -> tuple[str, str]:
        """Message and hint for an ID that is not on the KPIs sheet."""
        close = difflib.get_close_matches(kpi_id.lower(), list(self.kpi_lookup), n=1, cutoff=0.7)
        suggestion = f"Did you mean {self.kpi_lookup[close[0]].kpi.id}? " if close else ""
        return (
            f"{kpi_id!r} is not an ID on the KPIs sheet, so this row is ignored.",
            suggestion + "Use an ID from the KPIs sheet (case does not matter), or add "
            "the KPI there.",
        )


def kpi_key(value: CellValue) -> str:
    """The ID text of a KPI cell ("" when blank); raises for error cells."""
    _special(value)
    return text(value)


def plain_text(value: CellValue) -> str:
    """A text cell; raises for error and uncalculated cells."""
    _special(value)
    return text(value)


def _formula_text(value: CellValue) -> str:
    _special_formula(value)
    return text(value)


def _special_formula(value: CellValue) -> None:
    if isinstance(value, ErrorValue):
        raise _Bad(
            "excel-error",
            f"The Formula cell is an Excel formula that shows {value.code}.",
            "Type the formula as text, without '=' (e.g. LEADS / VISITS), or start it "
            "with an apostrophe: '=LEADS / VISITS.",
        )
    _special(value)


def _non_negative(value: CellValue) -> float:
    x = parse_number(value)
    if x < 0:
        raise _Bad("bad-number", f"{shown(value)} is negative.", "Type zero or a positive number.")
    return x


# ---------------------------------------------------------------------------
# Entries, column by column.


def objects(column: list[CellValue]) -> np.ndarray:
    """A list as a 1-D object array (``np.fromiter`` is ~8× faster than ``np.array``
    here, which first looks into every element for nested sequences)."""
    return np.fromiter(column, dtype=object, count=len(column))


# Date classes per distinct value.
_BLANK, _BAD = -1, -2


class _EntriesCheck:
    """Validate the Entries sheet with numpy over whole columns."""

    def __init__(self, v: _Validator, table: RawTable, cols: dict[str, int]) -> None:
        self.v = v
        self.table = table
        self.cols = cols
        self.n = len(table.rows)

    def column(self, name: str) -> list[CellValue] | None:
        c = self.cols.get(name)
        if c is None:
            return None
        rows = self.table.rows
        try:
            return [r[c] for r in rows]
        except IndexError:  # ragged rows from a hand-built table
            return [r[c] if c < len(r) else None for r in rows]

    def run(self) -> tuple[pd.DataFrame, int]:
        n = self.n
        if n == 0:
            return empty_entries(), 0
        table, cols = self.table, self.cols
        dates = self.column("date") or []
        ids = self.column("kpi") or []
        values = self.column("value") or []
        notes = self.column("note")
        bys = self.column("by")

        day, date_blank, date_bad_u, date_codes, date_uniques = self.dates(dates)
        kpi_blank, kpi_codes, kpi_uniques = self.kpis(ids)
        number, value_blank, value_other = self.numbers(values)
        note, note_blank = self.texts(notes)
        by, by_blank = self.texts(bys)

        blank_row = date_blank & kpi_blank & value_blank & note_blank & by_blank
        rows = ~blank_row
        entry_count = int(rows.sum())

        # Cells that read blank may be Excel errors or uncalculated formulas: look
        # them up in the file only when a needed cell is blank (or the sheet is small).
        needed_blank = rows & (date_blank | kpi_blank | value_blank)
        hidden: dict[tuple[int, int], CellValue] = {}
        if needed_blank.any() or n <= 50_000:
            hidden = self.v.reveal(table)
        hidden_bad = np.zeros(n, dtype=bool)
        for (r, c), value in sorted(hidden.items()):
            if not rows[r] and not hidden_bad[r]:
                # a row blank but for an error cell is still a row
                rows[r] = True
                entry_count += 1
            try:
                _special(value)
            except _Bad as bad:
                needed = c in (cols["date"], cols["kpi"], cols["value"])
                self.v.add_bad(bad, "error" if needed else "warning", table, r, c)
                if needed:
                    hidden_bad[r] = True
                elif c == cols.get("note"):
                    note[r] = None
                elif c == cols.get("by"):
                    by[r] = None

        problem_rows: list[tuple[int, int, str, Severity, str, str, str | None]] = []
        # row, column, code, severity, message, hint, kpi

        # KPI column: resolve each distinct value once.
        canon_u = np.empty(len(kpi_uniques), dtype=object)
        facts_u: list[_KpiFacts | None] = []
        kpi_err_u: list[_Bad | None] = []
        for j, u in enumerate(kpi_uniques):
            facts: _KpiFacts | None = None
            err: _Bad | None = None
            try:
                key = kpi_key(u)
                if key:
                    facts = self.v.kpi_lookup.get(key.lower())
            except _Bad as bad:
                err = bad
            canon_u[j] = facts.kpi.id if facts else None
            facts_u.append(facts)
            kpi_err_u.append(err)
        known_u = np.array([f is not None for f in facts_u] + [False], dtype=bool)
        count_u = np.array([bool(f and f.is_count) for f in facts_u] + [False], dtype=bool)
        nps_u = np.array([bool(f and f.is_nps) for f in facts_u] + [False], dtype=bool)
        formula_u = np.array([bool(f and f.is_formula) for f in facts_u] + [False], dtype=bool)
        known = known_u[kpi_codes]
        is_count = count_u[kpi_codes]
        is_nps = nps_u[kpi_codes]
        is_formula = formula_u[kpi_codes]

        live = rows & ~hidden_bad
        date_col, kpi_col, value_col = cols["date"], cols["kpi"], cols["value"]

        # Dates.
        bad_date = live & (date_bad_u[date_codes] | date_blank)
        for r in self.first(bad_date, "bad-date"):
            u = date_uniques[date_codes[r]] if date_codes[r] >= 0 else None
            if date_blank[r]:
                problem_rows.append(
                    (
                        r,
                        date_col,
                        "bad-date",
                        "error",
                        "The Date is blank, so this entry is ignored.",
                        ENTRY_DATE_HINT,
                        None,
                    )
                )
            else:
                try:
                    parse_date(u, self.v.raw.date1904)
                except _Bad as bad:
                    problem_rows.append(
                        (r, date_col, bad.code, "error", bad.message, bad.hint, None)
                    )

        # KPI IDs.
        kpi_problem = live & ~known
        if self.v.kpis_usable:
            for r in self.first(kpi_problem, "kpi"):
                j = kpi_codes[r]
                if kpi_blank[r] or j < 0:
                    problem_rows.append(
                        (
                            r,
                            kpi_col,
                            "empty-id",
                            "error",
                            "The KPI cell is blank, so this entry is ignored.",
                            "Type the ID of a KPI from the KPIs sheet.",
                            None,
                        )
                    )
                elif (err := kpi_err_u[j]) is not None:
                    problem_rows.append(
                        (r, kpi_col, err.code, "error", err.message, err.hint, None)
                    )
                else:
                    kpi_id = kpi_key(kpi_uniques[j])
                    message, hint = self.v.unknown_text(kpi_id)
                    problem_rows.append((r, kpi_col, "unknown-kpi", "error", message, hint, kpi_id))

        # Formula KPIs take no entries.
        formula_rows = live & known & is_formula
        for r in self.first(formula_rows, "entry-for-formula-kpi"):
            kpi_id = canon_u[kpi_codes[r]]
            problem_rows.append(
                (
                    r,
                    kpi_col,
                    "entry-for-formula-kpi",
                    "warning",
                    f"{kpi_id} is computed from its formula, so this entry is ignored.",
                    "Enter values for the KPIs the formula uses, or change its Aggregation.",
                    kpi_id,
                )
            )

        # Values (only for rows whose KPI is known and takes entries).
        checked = live & known & ~is_formula
        bad_value = checked & value_other
        blank_value = checked & value_blank & ~is_count
        with np.errstate(invalid="ignore"):
            nps_bad = (
                checked
                & is_nps
                & ~value_other
                & ~value_blank
                & ((number < 0) | (number > 10) | (np.floor(number) != number))
            )
        for r in self.first(bad_value, "bad-number"):
            try:
                parse_number(values[r])
            except _Bad as bad:
                problem_rows.append(
                    (r, value_col, bad.code, "error", bad.message, bad.hint, canon_u[kpi_codes[r]])
                )
        for r in self.first(blank_value, "blank-value"):
            kpi_id = canon_u[kpi_codes[r]]
            problem_rows.append(
                (
                    r,
                    value_col,
                    "bad-number",
                    "warning",
                    f"The Value is blank, so this {kpi_id} entry is ignored.",
                    "Type the value (only Count KPIs count blank values).",
                    kpi_id,
                )
            )
        for r in self.first(nps_bad, "nps-out-of-range"):
            kpi_id = canon_u[kpi_codes[r]]
            problem_rows.append(
                (
                    r,
                    value_col,
                    "nps-out-of-range",
                    "error",
                    f"{shown(values[r])} is not an NPS score for {kpi_id}; scores are whole "
                    "numbers from 0 to 10.",
                    "Enter each respondent's score, 0–10, on its own row.",
                    kpi_id,
                )
            )

        for r, c, code, severity, message, hint, row_kpi in sorted(
            problem_rows, key=lambda p: (p[0], p[1], p[2])
        ):
            self.v.add(code, severity, message, hint, table, r, c, kpi=row_kpi)

        good = checked & ~bad_date & ~bad_value & ~blank_value & ~nps_bad
        row_numbers = np.fromiter(table.row_numbers, dtype=np.int64, count=n)
        if not good.all():  # on a clean sheet every array is kept whole
            idx = np.nonzero(good)[0]
            day, kpi_codes, number = day[idx], kpi_codes[idx], number[idx]
            note, by, row_numbers = note[idx], by[idx], row_numbers[idx]
        # Every array below is this check's own (built here, or copied by indexing),
        # so pandas may keep it as it is instead of copying each column again and
        # stacking the object ones.
        columns = {
            "date": (day.astype("datetime64[D]").astype("datetime64[ns]"), None),
            "kpi": (canon_u[kpi_codes], object),
            "value": (number, "float64"),
            "note": (note, object),
            "by": (by, object),
            "row": (row_numbers, "int64"),
        }
        frame = pd.DataFrame(
            {name: pd.Series(a, dtype=d, copy=False) for name, (a, d) in columns.items()},
            copy=False,
        )
        return frame, entry_count

    def first(self, mask: np.ndarray, what: str) -> list[int]:
        """Row indexes of ``mask``, only as many as will be listed one by one; the
        rest are counted for the closing problem."""
        idx = np.nonzero(mask)[0]
        extra = len(idx) - (MAX_PROBLEMS_PER_CODE + 1)
        if extra > 0:
            # Count the rows not materialised so the closing problem is right.
            code = {"kpi": "unknown-kpi", "blank-value": "bad-number"}.get(what, what)
            self.v.unlisted[(self.table.sheet, code)] += extra
            idx = idx[: MAX_PROBLEMS_PER_CODE + 1]
        return [int(i) for i in idx]

    # Column interpreters ------------------------------------------------

    def distinct(self, column: list[CellValue]) -> tuple[np.ndarray, list[CellValue]]:
        """Codes into a list of distinct values (1.0 and 1 and True are one value)."""
        # One pass: each value's first row (dict.setdefault keeps the first), then
        # the first rows renumbered 0, 1, 2… in order of appearance.
        n = len(column)
        first: dict[CellValue, int] = {}
        at = np.fromiter(map(first.setdefault, column, itertools.count()), np.int64, count=n)
        renumber = np.empty(n, dtype=np.int64)
        renumber[np.fromiter(first.values(), np.int64, count=len(first))] = np.arange(len(first))
        return renumber[at], list(first)

    def dates(
        self, column: list[CellValue]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[CellValue]]:
        codes, uniques = self.distinct(column)
        days = np.zeros(len(uniques) + 1, dtype=np.int64)
        blank = np.zeros(len(uniques) + 1, dtype=bool)
        bad = np.zeros(len(uniques) + 1, dtype=bool)
        for j, u in enumerate(uniques):
            if is_blank(u):
                blank[j] = True
                continue
            try:
                days[j] = parse_date(u, self.v.raw.date1904).toordinal() - EPOCH_ORDINAL
            except _Bad:
                bad[j] = True
        return days[codes], blank[codes], bad, codes, uniques

    def kpis(self, column: list[CellValue]) -> tuple[np.ndarray, np.ndarray, list[CellValue]]:
        codes, uniques = self.distinct(column)
        blank = np.array([is_blank(u) for u in uniques] + [True], dtype=bool)
        return blank[codes], codes, uniques

    def numbers(self, column: list[CellValue]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values with NaN where not a number, blank mask, not-a-number-nor-blank mask)."""
        n = len(column)
        if n and set(map(type, column)) <= {float, int}:
            # Plain numbers only (the usual Value column): two passes, no object array.
            values = np.fromiter(column, dtype=np.float64, count=n)
            if np.isfinite(values).all():
                return values, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        arr = objects(column)
        kind = infer_dtype(arr, skipna=False) if n else "empty"
        if kind in ("floating", "integer", "mixed-integer-float"):
            values = arr.astype(np.float64)
            finite = np.isfinite(values)
            if finite.all():
                return values, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        is_number = np.fromiter(
            (type(x) is float or type(x) is int for x in column), dtype=bool, count=n
        )
        values = np.full(n, np.nan)
        if is_number.any():
            values[is_number] = arr[is_number].astype(np.float64)
        blank = np.zeros(n, dtype=bool)
        other = np.zeros(n, dtype=bool)
        other[is_number] = ~np.isfinite(values[is_number])
        for r in np.nonzero(~is_number)[0]:
            x = column[r]
            if is_blank(x):
                blank[r] = True
                continue
            try:
                values[r] = parse_number(x)
            except _Bad:
                other[r] = True
        return values, blank, other

    def texts(self, column: list[CellValue] | None) -> tuple[np.ndarray, np.ndarray]:
        """Note/By as object arrays with None for blanks."""
        if column is None:
            return np.full(self.n, None, dtype=object), np.ones(self.n, dtype=bool)
        arr = objects(column)
        if infer_dtype(arr, skipna=False) == "string":
            blank = arr == ""
        else:
            blank = np.fromiter((is_blank(x) for x in column), dtype=bool, count=self.n)
            others = [r for r in np.nonzero(~blank)[0] if not isinstance(column[r], str)]
            for r in others:
                arr[r] = text(column[r])
        arr[blank] = None
        return arr, blank
