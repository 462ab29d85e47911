"""What one row of the Sources sheet asks for, and what reading it gives back.

Nothing here imports DuckDB or SQLAlchemy: the readers (:mod:`kpisheets.sources.files`,
:mod:`kpisheets.sources.database`) are imported only when a source is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpisheets.sources.filters import Filter

FILE_KINDS = ("csv", "xlsx", "parquet", "json")
PRESET_KINDS = ("hubspot", "salesforce", "ga4")
KINDS = FILE_KINDS + PRESET_KINDS + ("sql",)
"""Every Kind the Sources sheet accepts, in the order its dropdown offers them."""

SOURCE_COLUMNS = ("Source", "KPI", "Kind", "Location", "Date", "Value", "Segment", "Filter")

# Problem codes of a source that cannot be read (docs/workbook.md lists each).
SOURCE_MISSING = "source-missing"  # the file, folder or Database setting is not there
SOURCE_COLUMN = "source-column"  # a named column is not in the data
SOURCE_FILTER = "source-filter"  # the Filter cannot be read
SOURCE_FAILED = "source-failed"  # the engine or database refused (damaged file, SQL error)


@dataclass(frozen=True)
class SourceSpec:
    """One validated row of the Sources sheet.

    ``kpi`` is the KPI ID as written on the KPIs sheet; ``value`` is ``None`` when
    rows are counted; ``cells`` maps a column of the Sources sheet (``"Location"``)
    to its cell reference (``"Sources!D5"``) so a problem can point at it.
    """

    name: str
    kpi: str
    kind: str
    location: str
    date: str
    value: str | None = None
    segment: str | None = None
    filter: Filter | None = None
    row: int | None = None
    sheet: str = "Sources"
    cells: dict[str, str] = field(default_factory=dict)

    def cell(self, column: str) -> str | None:
        """The cell of ``column`` on this source's row (``Sources!F5``), if known."""
        return self.cells.get(column)


class SourceError(Exception):
    """A source that cannot be read: a problem code, a sentence and a hint.

    ``column`` names the Sources column the problem points at (``"Location"``).
    Messages never contain a database URL or password.
    """

    def __init__(self, code: str, message: str, hint: str, column: str = "Location") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.column = column


@dataclass
class DailyTotals:
    """What reading one source gives back: one row per day and segment.

    ``rows`` are ``(date, segment, value)`` with ``segment`` ``""`` for none, already
    summed (or counted) by the engine. ``skipped_dates`` counts rows whose date could
    not be read; ``skipped_values`` rows whose value is not a number; ``example`` is
    one such text, for the warning.
    """

    rows: list[tuple[dt.date, str, float]]
    skipped_dates: int = 0
    skipped_values: int = 0
    example_date: str | None = None
    example_value: str | None = None
