"""Rows typed directly under an Excel Table, read as part of it.

Excel extends a Table when a row is typed directly under its last row; LibreOffice
does not, and neither do scripts (openpyxl's ``ws.append``). Such rows are meant as
the Table's rows, so both readers read them with it, and validation warns
(``outside-table``, docs/workbook.md "Rows below a Table"). The rule, the same for
a file and for a workbook open in Excel:

* the rows start directly under the Table's last row (under its totals row, when it
  has one);
* only the Table's columns are looked at: a row counts when one of its cells there
  holds a value (a cell of spaces is blank), and the first row blank in those
  columns ends the run — so a note typed further down after a blank row, or beside
  the Table, is not read;
* the run also ends where another Table on the sheet begins, over any of the same
  columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def is_typed(row: Sequence[Any]) -> bool:
    """Whether a row (cut to the Table's columns) holds a value: a cell that is not
    empty, ``None`` or spaces."""
    for value in row:
        if value is None:
            continue
        if isinstance(value, str):
            if value.strip():
                return True
            continue
        return True
    return False


def rows_below(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """The rows read with a Table from under it: ``rows`` (the sheet's rows from the
    one directly under the Table, cut to its columns, ending where another Table
    begins) up to the first one that :func:`is_typed` finds blank."""
    taken: list[list[Any]] = []
    for row in rows:
        if not is_typed(row):
            break
        taken.append(row)
    return taken


def rows_until_next_table(
    bottom: int, columns: tuple[int, int], others: Iterable[tuple[int, int, int]]
) -> int | None:
    """How many rows under a Table may be read before another Table on the sheet
    begins: ``bottom`` is the Table's last row (its totals row when it has one),
    ``columns`` its first and last column, ``others`` the other Tables as
    ``(top row, first column, last column)`` (rows and columns 0-based, the top row
    being the header's). ``None`` when no other Table lies under it.

    >>> rows_until_next_table(10, (0, 4), [(12, 3, 6), (30, 0, 1), (11, 6, 7)])
    1
    """
    left, right = columns
    tops = [top for top, first, last in others if top > bottom and first <= right and last >= left]
    return min(tops) - bottom - 1 if tops else None
