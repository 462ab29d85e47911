"""The domain model: what a tracker holds once it has been read and validated.

Nothing here imports an Excel library. Readers (``kpisheets.read``) turn a workbook
into a :class:`RawTracker` (cells with their Excel locations); ``kpisheets.validate``
turns that into a :class:`Tracker` of typed values plus a list of :class:`Problem`;
``kpisheets.calc`` turns a tracker into a :class:`kpisheets.result.Result`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:  # pandas is imported where frames are built, so `--help` stays instant
    import numpy as np
    import pandas as pd

Severity = Literal["error", "warning"]

INPUT_SHEETS = ("KPIs", "Entries", "Targets", "Settings", "Actions", "Sources")
# Sheets every refresh replaces whole.
GENERATED_SHEETS = ("Summary", "History", "Problems")
# Sheets kpisheets owns that keep rows across refreshes, each with the first header of
# its table (the row the reader looks for under the banner): a refresh reads their
# earlier rows (``RawTracker.kept``, kpisheets.read.owned) before it rewrites them.
# Imported is rewritten only by an import (docs/sources.md).
KEPT_SHEETS: dict[str, str] = {"Snapshots": "As of", "Imported": "Date"}
# Every sheet kpisheets writes and may replace.
OWNED_SHEETS = GENERATED_SHEETS + tuple(KEPT_SHEETS)
# The hidden sheet-scoped defined name that marks a sheet as kpisheets' own.
OWNER_NAME = "_kpisheets_generated"


class Direction(StrEnum):
    """Which way is good for a KPI."""

    HIGHER = "higher"
    LOWER = "lower"
    RANGE = "range"

    @property
    def label(self) -> str:
        """The words the KPIs sheet's dropdown offers: ``Higher is better``."""
        return {"higher": "Higher is better", "lower": "Lower is better", "range": "Within range"}[
            self.value
        ]


class Aggregation(StrEnum):
    """How the entries of one period combine into the period value."""

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    NPS = "nps"
    FORMULA = "formula"

    @property
    def label(self) -> str:
        """The name the KPIs sheet's dropdown offers: ``Sum``, ``NPS``."""
        return "NPS" if self is Aggregation.NPS else self.value.capitalize()

    @property
    def is_paced(self) -> bool:
        """Sum and Count accumulate over a period, so they are paced linearly."""
        return self in (Aggregation.SUM, Aggregation.COUNT)


class Frequency(StrEnum):
    """The length of a KPI's target period."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def label(self) -> str:
        """The name the KPIs sheet's dropdown offers: ``Month``."""
        return self.value.capitalize()


class Status(StrEnum):
    """The traffic light of a KPI, as in docs/arithmetic.md and the JSON output."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    NO_TARGET = "no_target"

    @property
    def label(self) -> str:
        """The status as people read it everywhere: ``On track``."""
        return {
            "on_track": "On track",
            "at_risk": "At risk",
            "off_track": "Off track",
            "no_data": "No data",
            "no_target": "No target",
        }[self.value]


class ActionStatus(StrEnum):
    """Where a course correction on the Actions sheet stands."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        """The word the Actions sheet's dropdown offers: ``Open``."""
        return self.value.capitalize()


class Trend(StrEnum):
    """Movement against the previous period, judged by the KPI's direction."""

    IMPROVING = "improving"
    WORSENING = "worsening"
    FLAT = "flat"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located the way Excel shows it.

    ``cell`` is the full reference (``"Entries!C14"``) or ``None`` when the problem
    is about a whole sheet or file. ``row`` is the 1-based Excel row number.
    """

    code: str
    severity: Severity
    message: str
    hint: str
    sheet: str | None = None
    cell: str | None = None
    column: str | None = None
    row: int | None = None
    kpi: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict."""
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "column": self.column,
            "row": self.row,
            "kpi": self.kpi,
            "message": self.message,
            "hint": self.hint,
        }


def missing_sheet_problem(sheet: str) -> Problem:
    """The problem for a workbook without a KPIs or Entries sheet (readers and
    validation both report it)."""
    columns = "ID and KPI" if sheet == "KPIs" else "Date, KPI and Value"
    return Problem(
        code="missing-sheet",
        severity="error",
        message=f"The workbook has no {sheet} sheet.",
        hint=f"Add a sheet named {sheet} with the columns {columns}, or run "
        "`kpisheets init` on the workbook to add the input sheets.",
        sheet=sheet,
    )


# ---------------------------------------------------------------------------
# What a reader produces: cells with locations, no interpretation yet.


@dataclass(frozen=True)
class ErrorValue:
    """An Excel error cell (``#N/A``, ``#DIV/0!``…), kept distinct from text."""

    code: str

    def __str__(self) -> str:
        return self.code


# A cell value as read: None (empty), bool, int, float, str, datetime/date/time,
# ErrorValue. Dates may also arrive as serial numbers; validate decides.
CellValue = Any


@dataclass
class RawTable:
    """One input sheet as read: its header row and data rows with Excel locations.

    ``headers`` maps the header text exactly as written to its column letter.
    ``columns`` maps the *normalised* header (lower case, stripped) to a column
    index into ``rows``. Each row in ``rows`` is a list of cell values; ``row_numbers``
    holds the Excel row number of each (header is the row above the first one).
    ``letters`` holds the Excel column letter of each column index.

    ``below`` counts the rows at the end of ``rows`` that were typed directly under
    the Excel Table ``table_name`` rather than in it, read as its rows
    (docs/workbook.md, "Rows below a Table"); ``totals_row`` says whether the Table
    has a totals row between its data and those rows.
    """

    sheet: str
    headers: list[str]
    letters: list[str]
    rows: list[list[CellValue]]
    row_numbers: list[int]
    header_row: int = 1
    table_name: str | None = None
    below: int = 0
    totals_row: bool = False

    @property
    def columns(self) -> dict[str, int]:
        """Normalised header name → 0-based column index (blank headers left out)."""
        return {normalise_name(h): i for i, h in enumerate(self.headers) if h}

    def cell_ref(self, row_index: int, column_index: int) -> str:
        """``Sheet!C14`` for a data row index and column index."""
        return (
            f"{quote_sheet(self.sheet)}!{self.letters[column_index]}{self.row_numbers[row_index]}"
        )


@dataclass
class RawTracker:
    """A workbook as read: the input sheets found (by their real names) and
    reading problems (missing sheets, for instance)."""

    path: str | None
    tables: dict[str, RawTable]  # key: canonical name from INPUT_SHEETS
    date1904: bool = False
    problems: list[Problem] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)
    # The earlier rows of the kept sheets kpisheets owns (KEPT_SHEETS) found in the
    # workbook, by canonical name; a user's own sheet of that name is never read.
    kept: dict[str, RawTable] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# What validate produces: typed definitions ready for computation.


@dataclass
class KpiDefinition:
    """One row of the KPIs sheet, typed. ``row`` is its Excel row number."""

    id: str
    name: str
    category: str = "Uncategorised"
    owner: str = ""
    unit: str = ""
    number_format: str = ""
    direction: Direction = Direction.HIGHER
    aggregation: Aggregation = Aggregation.SUM
    formula: str = ""
    frequency: Frequency | None = None  # None: Settings › Period
    target: float | None = None
    baseline: float | None = None
    tolerance: float | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    green_at: float | None = None  # fraction; None: Settings
    amber_at: float | None = None
    weight: float = 1.0
    active: bool = True
    description: str = ""
    source: str = ""
    funnel: str = ""  # the funnel this KPI is a stage of (blank: none)
    row: int | None = None
    valid: bool = True  # False when an error-level problem prevents computing it


@dataclass
class Action:
    """One row of the Actions sheet, typed: a course correction decided for a KPI.

    ``kpi`` is the KPI's ID as written on the KPIs sheet; ``date`` is when the action
    was logged (None when the cell is blank); ``row`` its Excel row number.
    """

    kpi: str
    action: str
    date: dt.date | None = None
    owner: str = ""
    due: dt.date | None = None
    status: ActionStatus = ActionStatus.OPEN
    result: str = ""
    row: int | None = None


@dataclass
class Settings:
    """The Settings sheet, typed, with the defaults of docs/workbook.md (Settings)."""

    title: str = "KPI Summary"
    as_of: dt.date | None = None
    period: Frequency = Frequency.MONTH
    fiscal_year_start: int = 1  # month 1..12
    week_start: int = 0  # 0 = Monday … 6 = Sunday
    history_periods: int = 12
    green_at: float = 1.0
    amber_at: float = 0.9
    review_every: int = 7  # days between meetings: the last review is a snapshot this old
    # The NAME of the environment variable holding the database URL of sql sources.
    database: str | None = None


ENTRY_COLUMNS = ("date", "kpi", "value", "note", "by", "segment", "row")
# Dates in the DataFrames are microsecond datetimes: pandas' nanosecond default stops
# at 2262-04-11, and a tracker may hold any date Excel can (up to 9999-12-31).
DATE_DTYPE = "datetime64[us]"
# Imported rows' ``row`` in the entries: this plus their Imported sheet row (an Entries
# sheet has at most 1,048,576 rows, so imported rows sort after typed ones).
IMPORTED_ROW_BASE = 2_000_000
TARGET_COLUMNS = ("kpi", "period", "target", "segment", "row")


# A table as plain numpy arrays, one per column, all of one length: what validation
# builds and compute reads, so that a refresh never imports pandas (a third of a
# second of every run). Dates are ``datetime64[D]``.
Columns = dict[str, "np.ndarray"]

_FRAME_DTYPES = {
    "entries": {"date": DATE_DTYPE, "value": "float64", "row": "int64"},
    "targets": {"period": DATE_DTYPE, "target": "float64", "row": "int64"},
}


def empty_entry_columns() -> Columns:
    """The Entries columns with no rows."""
    import numpy as np

    return {
        "date": np.zeros(0, dtype="datetime64[D]"),
        "kpi": np.zeros(0, dtype=object),
        "value": np.zeros(0, dtype=np.float64),
        "note": np.zeros(0, dtype=object),
        "by": np.zeros(0, dtype=object),
        "row": np.zeros(0, dtype=np.int64),
    }


def empty_target_columns() -> Columns:
    """The Targets columns with no rows."""
    import numpy as np

    return {
        "kpi": np.zeros(0, dtype=object),
        "period": np.zeros(0, dtype="datetime64[D]"),
        "target": np.zeros(0, dtype=np.float64),
        "row": np.zeros(0, dtype=np.int64),
    }


def empty_entries() -> pd.DataFrame:
    """An Entries frame with the right columns and dtypes and no rows."""
    return frame_of(empty_entry_columns(), "entries")


def empty_targets() -> pd.DataFrame:
    """A Targets frame with the right columns and dtypes and no rows."""
    return frame_of(empty_target_columns(), "targets")


def frame_of(columns: Columns, kind: str) -> pd.DataFrame:
    """A pandas DataFrame of ``columns`` (``kind``: ``entries`` or ``targets``, which
    fixes the dtypes of the known columns), without copying the arrays."""
    import pandas as pd

    dtypes = _FRAME_DTYPES[kind]
    return pd.DataFrame(
        {
            name: pd.Series(array, dtype=dtypes.get(name, array.dtype), copy=False)
            for name, array in columns.items()
        },
        copy=False,
    )


def columns_of(frame: pd.DataFrame) -> Columns:
    """The numpy arrays of a frame's columns (dates as ``datetime64[D]``)."""
    import numpy as np

    columns: Columns = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind == "M":
            columns[str(name)] = series.to_numpy().astype("datetime64[D]")
        elif series.dtype.kind in "fiub":
            columns[str(name)] = series.to_numpy()
        else:
            columns[str(name)] = series.to_numpy(dtype=object)  # NaN stays: read as blank
    if "row" in columns:
        columns["row"] = columns["row"].astype(np.int64, copy=False)
    return columns


class _Table:
    """A :class:`Tracker` field that reads as a pandas DataFrame and may be set to
    one, but is stored as :data:`Columns` when validation builds it: the frame is
    made on first access and is the table from then on, so code that never asks for
    it never imports pandas. :meth:`Tracker.entry_columns` reads the arrays either
    way."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.columns = f"_{name}_columns"
        self.frame = f"_{name}_frame"

    @overload
    def __get__(self, tracker: None, owner: type) -> _Table: ...
    @overload
    def __get__(self, tracker: Tracker, owner: type) -> pd.DataFrame: ...
    def __get__(self, tracker: Tracker | None, owner: type) -> _Table | pd.DataFrame:
        if tracker is None:
            # The dataclass asks the class for the field's default: None, which
            # __set__ turns into a table of no rows (a new one for each tracker).
            return None  # type: ignore[return-value]
        frame = tracker.__dict__.get(self.frame)
        if frame is None:
            # From now on the frame is the table: whoever asked for it may change it.
            frame = frame_of(tracker.__dict__[self.columns], self.name)
            tracker.__dict__[self.frame] = frame
            tracker.__dict__[self.columns] = None
        return frame

    def __set__(self, tracker: Tracker, value: pd.DataFrame | Columns | None) -> None:
        if value is None:
            value = empty_entry_columns() if self.name == "entries" else empty_target_columns()
        if isinstance(value, dict):
            tracker.__dict__[self.columns] = value
            tracker.__dict__[self.frame] = None
        else:
            tracker.__dict__[self.columns] = None
            tracker.__dict__[self.frame] = value

    def columns_of(self, tracker: Tracker) -> Columns:
        columns = tracker.__dict__.get(self.columns)
        if columns is None:  # a frame, perhaps changed since: read it afresh
            return columns_of(tracker.__dict__[self.frame])
        return columns


@dataclass
class Tracker:
    """A validated tracker.

    ``entries`` has columns ``date`` (datetime64, midnight), ``kpi`` (the KPI ID as
    written in KPIs, case preserved), ``value`` (float64, NaN for a blank Count
    entry), ``note`` (str or None), ``by`` (str or None), ``row`` (Excel row number).
    Only rows that passed validation are in it. ``targets`` has ``kpi``, ``period``
    (datetime64), ``target`` (float64), ``row``. ``problems`` holds every reading
    and validation problem; date-dependent ones (``future-date``,
    ``division-by-zero``) are added by compute.

    ``entries`` and ``targets`` may be given as pandas DataFrames or as
    :data:`Columns`; they read as DataFrames (built on first access), and
    :meth:`entry_columns` / :meth:`target_columns` give the numpy arrays.
    """

    kpis: list[KpiDefinition]
    entries: _Table = _Table()
    targets: _Table = _Table()
    settings: Settings = field(default_factory=Settings)
    problems: list[Problem] = field(default_factory=list)
    path: str | None = None
    entry_count: int = 0  # data rows in Entries as read, valid or not
    # How many of those rows each problem code left out of the figures (validation's
    # share; compute adds future-dated entries and the entries of invalid KPIs).
    left_out: dict[str, int] = field(default_factory=dict)
    # Where Entries lives, so the Summary's "Entries changed since" formula can count it.
    entries_sheet: str = "Entries"
    entries_date_column: str = "A"
    entries_header_row: int = 1
    # Where KPIs lives, so problems compute finds about a KPI (formula-*, missing-target,
    # division-by-zero) can name its cell: normalised header ("formula", "target") →
    # column letter. Empty: those problems carry sheet, column and row but no cell.
    kpis_sheet: str = "KPIs"
    kpi_columns: dict[str, str] = field(default_factory=dict)
    # The earlier rows of kpisheets' kept sheets (RawTracker.kept), e.g. Snapshots.
    kept: dict[str, RawTable] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    # The Sources sheet's valid rows (kpisheets.sources.SourceSpec), every Source name
    # it lists (valid or not), and the Imported sheet's rows
    # (kpisheets.sources.imported.ImportedRow), which are also in ``entries``.
    sources: list[Any] = field(default_factory=list)
    source_names: list[str] = field(default_factory=list)
    imported: list[Any] = field(default_factory=list)

    def kpi_cell(self, kpi: KpiDefinition, column: str) -> str | None:
        """``KPIs!<letter><row>`` of one of a KPI's cells (``column`` by its header,
        any case), when the reader recorded the KPIs sheet's column letters."""
        letter = self.kpi_columns.get(column.lower())
        if letter and kpi.row:
            return f"{quote_sheet(self.kpis_sheet)}!{letter}{kpi.row}"
        return None

    def entry_columns(self) -> Columns:
        """The Entries as numpy arrays by column name (dates as ``datetime64[D]``)."""
        return Tracker.__dict__["entries"].columns_of(self)

    def target_columns(self) -> Columns:
        """The Targets as numpy arrays by column name (periods as ``datetime64[D]``)."""
        return Tracker.__dict__["targets"].columns_of(self)

    def kpi(self, kpi_id: str) -> KpiDefinition:
        """The KPI with this ID (case-insensitive); KeyError when absent."""
        key = kpi_id.strip().lower()
        for k in self.kpis:
            if k.id.lower() == key:
                return k
        raise KeyError(kpi_id)


# ---------------------------------------------------------------------------
# Small shared helpers about names and cell references.


def normalise_name(name: object) -> str:
    """Sheet and column names match case-insensitively, ignoring surrounding spaces."""
    return str(name).strip().lower() if name is not None else ""


def column_letter(index: int) -> str:
    """0-based column index to Excel letters: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel column letters to a 0-based index, the inverse of :func:`column_letter`:
    ``A`` → 0, ``AB`` → 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a reference: quoted when it needs it."""
    if name.replace("_", "").isalnum() and not name[:1].isdigit():
        return name
    return "'" + name.replace("'", "''") + "'"
