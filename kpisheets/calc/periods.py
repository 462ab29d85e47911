"""Periods: calendar weeks, months, fiscal quarters and years, and Start/End windows.

A *scheme* numbers periods with integers so that thousands of entry dates can be
placed into periods with a few numpy operations. Day numbers are days since
1970-01-01 (``numpy.datetime64[D]`` as int).

Fiscal years are named after the calendar year in which they **end** (a fiscal year
starting April 2026 is ``FY2027``); with a January start the plain year is used
(``Q4 2026``, ``2026``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kpisheets.model import Frequency

EPOCH = dt.date(1970, 1, 1)
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01."""
    return (date - EPOCH).days


def _clamped(ordinal: int) -> dt.date:
    """The date of a proleptic ordinal, clamped to what Python can represent (periods
    next to year 1 or 9999 would otherwise overflow)."""
    return dt.date.fromordinal(min(max(ordinal, 1), dt.date.max.toordinal()))


def from_day_number(days: int) -> dt.date:
    """The date ``days`` after 1970-01-01."""
    return _clamped(EPOCH.toordinal() + int(days))


def _month_start_ordinal(months: int) -> int:
    """The ordinal of the first day of month number ``months`` (0 = January 1970);
    0 before year 1 and one past the last date after year 9999."""
    year, month = divmod(months, 12)
    if 1970 + year < 1:
        return 0
    if 1970 + year > 9999:
        return dt.date.max.toordinal() + 1
    return dt.date(1970 + year, month + 1, 1).toordinal()


def _month_start(months: int) -> dt.date:
    """The first day of month number ``months`` (0 = January 1970), clamped."""
    return _clamped(_month_start_ordinal(months))


@dataclass(frozen=True)
class Calendar:
    """Calendar periods of one frequency.

    ``week_start`` is 0 = Monday … 6 = Sunday; ``fiscal_year_start`` the month (1–12)
    that quarters and years start from.

    >>> c = Calendar(Frequency.QUARTER, fiscal_year_start=4)
    >>> c.bounds(c.index_of(dt.date(2026, 11, 20)))
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    >>> c.label(c.index_of(dt.date(2026, 11, 20)))
    'Q3 FY2027'
    """

    frequency: Frequency
    week_start: int = 0
    fiscal_year_start: int = 1

    @property
    def key(self) -> tuple[object, ...]:
        """Two schemes with the same key number periods identically."""
        return ("calendar", self.frequency, self.week_start, self.fiscal_year_start)

    def index(self, days: np.ndarray) -> np.ndarray:
        """Period numbers of an int array of day numbers."""
        days = np.asarray(days, dtype=np.int64)
        if self.frequency is Frequency.WEEK:
            # 1970-01-01 was a Thursday (weekday 3).
            return (days + 3 - self.week_start) // 7
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        if self.frequency is Frequency.MONTH:
            return months
        shifted = months - (self.fiscal_year_start - 1)
        if self.frequency is Frequency.QUARTER:
            return shifted // 3
        return shifted // 12

    def index_of(self, date: dt.date) -> int:
        """The number of the period containing ``date``."""
        return int(self.index(np.array([day_number(date)]))[0])

    def bounds(self, i: int) -> tuple[dt.date, dt.date]:
        """First and last day (inclusive) of period ``i``."""
        if self.frequency is Frequency.WEEK:
            first = i * 7 - 3 + self.week_start
            return from_day_number(first), from_day_number(first + 6)
        if self.frequency is Frequency.MONTH:
            first, length = i, 1
        elif self.frequency is Frequency.QUARTER:
            first, length = i * 3 + self.fiscal_year_start - 1, 3
        else:
            first, length = i * 12 + self.fiscal_year_start - 1, 12
        return _month_start(first), _clamped(_month_start_ordinal(first + length) - 1)

    def label(self, i: int) -> str:
        """``Week of 2026-11-23``, ``Nov 2026``, ``Q3 FY2027`` / ``Q4 2026``, ``FY2027`` / ``2026``."""
        start, end = self.bounds(i)
        if self.frequency is Frequency.WEEK:
            return f"Week of {start.isoformat()}"
        if self.frequency is Frequency.MONTH:
            return f"{MONTH_ABBR[start.month - 1]} {start.year}"
        # The fiscal year is named after the calendar year it ends in.
        year_index = i // 4 if self.frequency is Frequency.QUARTER else i
        year_end = _month_start(year_index * 12 + self.fiscal_year_start - 1 + 11).year
        year = f"{year_end}" if self.fiscal_year_start == 1 else f"FY{year_end}"
        if self.frequency is Frequency.QUARTER:
            return f"Q{i % 4 + 1} {year}"
        return year


@dataclass(frozen=True)
class Window:
    """A Start/End goal window, replacing the calendar period.

    Period 0 is [Start, End]; period −1 is the window of the same length that ends
    the day before Start, and so on back (used for trend and history).

    >>> w = Window(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    >>> w.bounds(-1)  # 181 days, as Jan 1 … Jun 30
    (datetime.date(2025, 7, 4), datetime.date(2025, 12, 31))
    """

    start: dt.date
    end: dt.date

    @property
    def key(self) -> tuple[object, ...]:
        return ("window", self.start, self.end)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def index(self, days: np.ndarray) -> np.ndarray:
        return (np.asarray(days, dtype=np.int64) - day_number(self.start)) // self.length

    def index_of(self, date: dt.date) -> int:
        return ((date - self.start).days) // self.length

    def bounds(self, i: int) -> tuple[dt.date, dt.date]:
        # Clamped to the dates Python can represent: a window ending in 9999 has
        # "previous" windows that would start before year 1.
        first = self.start.toordinal() + i * self.length
        return _clamped(first), _clamped(first + self.length - 1)

    def label(self, i: int) -> str:
        start, end = self.bounds(i)
        return f"{start.isoformat()} – {end.isoformat()}"


Scheme = Calendar | Window


def current_index(scheme: Scheme, as_of: dt.date) -> int:
    """The current period: the one containing ``as_of``; always 0 for a window."""
    return 0 if isinstance(scheme, Window) else scheme.index_of(as_of)


def elapsed_days(start: dt.date, end: dt.date, as_of: dt.date) -> int:
    """Days from ``start`` to ``as_of``, both counted, within 0..length of the period."""
    length = (end - start).days + 1
    return max(0, min(length, (as_of - start).days + 1))


def elapsed_fraction(start: dt.date, end: dt.date, as_of: dt.date) -> float:
    """f = (days from period start to D, both counted) / (days in period), within 0..1.

    >>> elapsed_fraction(dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 11, 20))
    0.6666666666666666
    """
    return elapsed_days(start, end, as_of) / ((end - start).days + 1)


def one_period_before(scheme: Scheme, as_of: dt.date) -> dt.date:
    """The date one period before ``as_of`` (for staleness): a week, month, quarter or
    year earlier (day clamped to the month's end), or a window's length earlier."""
    if isinstance(scheme, Window):
        return dt.date.fromordinal(max(as_of.toordinal() - scheme.length, 1))
    if scheme.frequency is Frequency.WEEK:
        return _clamped(as_of.toordinal() - 7)
    months = {Frequency.MONTH: 1, Frequency.QUARTER: 3, Frequency.YEAR: 12}[scheme.frequency]
    total = as_of.year * 12 + as_of.month - 1 - months
    year, month0 = divmod(total, 12)
    if year < 1:
        return dt.date.min
    last_day = _clamped(_month_start_ordinal((year - 1970) * 12 + month0 + 1) - 1).day
    return dt.date(year, month0 + 1, min(as_of.day, last_day))
