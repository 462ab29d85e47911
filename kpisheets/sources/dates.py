"""Reading the day texts a source's Date column holds, once per distinct day.

The engines group rows by the *text* of their day (``"3/15/2024"``, ``"20240315"``,
``"2024-03-15"`` — a time after a space or ``T`` is cut off first), so only one text
per day and segment reaches Python, however many rows the file has. This module
turns those texts into dates, choosing one reading for the whole column: a file
either writes months first (``3/15/2024``, US exports) or days first
(``15/03/2024``), and the reading that accepts more of the column's texts wins; when
both accept all of them (every day ≤ 12) months first is taken, as Salesforce and
HubSpot exports in the US write them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

# Tried for every text; the two orders of d/m/y are decided per column below.
UNAMBIGUOUS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%d-%b-%Y", "%b %d, %Y", "%d %b %Y")
MONTH_FIRST = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
DAY_FIRST = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")


def _parse(text: str, formats: Iterable[str]) -> dt.date | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_days(texts: Iterable[str]) -> dict[str, dt.date | None]:
    """Each distinct day text → its date, or ``None`` when it is not a date.

    >>> read_days(["3/15/2024", "3/4/2024"])["3/4/2024"]
    datetime.date(2024, 3, 4)
    >>> read_days(["15/03/2024", "04/03/2024"])["04/03/2024"]
    datetime.date(2024, 3, 4)
    >>> read_days(["Grand total"])["Grand total"] is None
    True
    """
    distinct = {t for t in texts}
    plain = {t: _parse(t.strip(), UNAMBIGUOUS) for t in distinct}
    rest = [t for t, d in plain.items() if d is None]
    month_first = {t: _parse(t.strip(), MONTH_FIRST) for t in rest}
    day_first = {t: _parse(t.strip(), DAY_FIRST) for t in rest}
    m = sum(d is not None for d in month_first.values())
    d = sum(x is not None for x in day_first.values())
    chosen = month_first if m >= d else day_first
    for t in rest:
        plain[t] = chosen[t]
    return plain
