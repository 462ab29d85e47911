"""Rows of a sheet from python-calamine that never fail on one cell.

``worksheet.iter_rows()`` converts every cell formatted as a date or a duration, and a
number beyond what the conversion holds stops the read: Python's timedelta ends at
999,999,999 days (a ``[h]:mm:ss`` cell of 1.5E+9 days raises OverflowError) and
calamine's dates near ±1.07E+11 days panic in Rust (a PyO3 ``PanicException``, a
``BaseException``). :func:`sheet_rows` reads such a row from the sheet's XML instead
(:func:`kpisheets.read.package.row_values`), as plain numbers and text, so that
validation can name the bad cell. A panic is recognised and noted by
:func:`kpisheets.calamine_guard.panic_caught`, so Rust's message, held off the
terminal by the reader's boundary, is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpisheets.calamine_guard import panic_caught
from kpisheets.read.package import row_values


def sheet_rows(worksheet: Any, path: Path | None, part: str | None) -> Iterator[list[Any]]:
    """``worksheet.iter_rows()``, except that a row python-calamine cannot convert — a
    cell formatted as a date or a duration (``[h]:mm:ss``) whose number is beyond
    what Python's timedeltas (1.5E+9 days) or calamine's dates (−1.07E+11) hold — is
    read from the sheet's XML as plain numbers and text, so validation names the bad
    cell instead of the whole read failing."""
    rows = iter(worksheet.iter_rows())
    index = 0  # iter_rows() starts at row 1 (index 0)
    from_xml: dict[int, dict[int, Any]] = {}
    while True:
        try:
            for row in rows:
                yield row
                index += 1
            return
        except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
            # Python's OverflowError for a timedelta of more than 999,999,999 days; a
            # PyO3 PanicException from chrono for a date-formatted number beyond about
            # ±1.07E+11 days. Anything else is not ours to handle here.
            if not isinstance(exc, OverflowError) and not panic_caught(exc):
                raise
            excel_row = index + 1
            if excel_row not in from_xml and path is not None and part is not None:
                # Read a window of rows in one pass: a column of bad dates costs one
                # pass of the sheet per window, not one per row.
                from_xml = row_values(path, part, range(excel_row, excel_row + XML_WINDOW))
            cells = from_xml.get(excel_row, {})
            left, width = worksheet.start[1], worksheet.width
            yield [cells.get(left + c, "") for c in range(width)]
            index += 1


XML_WINDOW = 4096
"""Rows read from the sheet's XML in one pass after a row python-calamine cannot convert."""
