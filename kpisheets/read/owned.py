"""Rows of a sheet kpisheets owns, read back before a refresh rewrites it.

Most generated sheets (Summary, History, Problems) are rebuilt from the figures on
every refresh. Some keep rows from one refresh to the next — ``Imported`` (daily rows
pulled from the Sources) and ``Snapshots`` (one row per KPI and review) — so a refresh
reads their earlier rows first, from the file or from the workbook open in Excel, and
writes them back with its changes. This module is that one reader for both:

* a sheet is read only when it carries kpisheets' ownership marker (a user's own
  sheet that happens to be called ``Imported`` is never taken for ours);
* the table starts at the row whose first cell is ``first_header`` (the sheets open
  with a banner above their header), and runs to the last non-empty row;
* the result is a :class:`~kpisheets.model.RawTable` with Excel row numbers and
  column letters, so problems about a kept row can name its cell.

>>> # table = owned_table(Path("tracker.xlsx"), "Imported", "Date")
>>> # table.headers == ["Date", "KPI", "Value", "Segment", "Source", "Imported at"]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpisheets.model import KEPT_SHEETS, CellValue, RawTable, column_letter, normalise_name
from kpisheets.read.rows import sheet_rows

if TYPE_CHECKING:
    import xlwings as xw
    from python_calamine import CalamineWorkbook

HEADER_SEARCH_ROWS = 20  # the header sits within the first rows, under the banner


def owned_table(path: str | Path, sheet: str, first_header: str) -> RawTable | None:
    """The table on kpisheets' own sheet ``sheet`` in the file at ``path``.

    ``None`` when the workbook has no such sheet, when the sheet is not marked as
    kpisheets' own, or when no header row starting with ``first_header`` is found.
    """
    from python_calamine import CalamineWorkbook

    from kpisheets.write.package import owned_sheets

    path = Path(path)
    real = next((n for n in owned_sheets(path) if normalise_name(n) == normalise_name(sheet)), None)
    if real is None:
        return None
    with CalamineWorkbook.from_path(str(path)) as book:
        return owned_table_in_book(book, real, first_header, path, None)


def owned_table_in_book(
    book: CalamineWorkbook,
    real: str,
    first_header: str,
    path: Path | None = None,
    part: str | None = None,
) -> RawTable | None:
    """:func:`owned_table` from a python-calamine workbook already open (the tracker
    reader's), for the sheet named ``real`` that is known to carry the marker.

    ``path`` and ``part`` (the sheet's part in the package) let a row that the reader
    cannot convert (a KPI's huge figure in a date or duration format) be read from the
    XML (:func:`~kpisheets.read.rows.sheet_rows`); without them it reads blank."""
    worksheet = book.get_sheet_by_name(real)
    start = worksheet.start
    if start is None:
        return None
    rows: list[list[Any]] = list(
        itertools.islice(sheet_rows(worksheet, path, part), start[0], None)
    )
    if not rows:
        return None
    first_row, first_col = start
    return table_from_rows(real, rows, first_row + 1, first_col + 1, first_header)


def kept_tables_in_book(
    book: CalamineWorkbook,
    owned: Iterable[str],
    path: Path | None = None,
    sheet_parts: dict[str, str] | None = None,
) -> dict[str, RawTable]:
    """Every sheet of :data:`~kpisheets.model.KEPT_SHEETS` among ``owned`` (the real
    names of the sheets carrying the marker), read from the open workbook, by
    canonical name. The tracker reader calls this so a refresh opens the file once;
    ``path`` and ``sheet_parts`` (sheet name → part) are for rows read from the XML."""
    real = {normalise_name(name): name for name in owned}
    out: dict[str, RawTable] = {}
    for canonical, first_header in KEPT_SHEETS.items():
        name = real.get(normalise_name(canonical))
        if name is not None:
            part = (sheet_parts or {}).get(name)
            table = owned_table_in_book(book, name, first_header, path, part)
            if table is not None:
                out[canonical] = table
    return out


def kept_tables_live(book: xw.Book) -> dict[str, RawTable]:
    """:func:`kept_tables_in_book` for a workbook open in Excel."""
    out: dict[str, RawTable] = {}
    for canonical, first_header in KEPT_SHEETS.items():
        table = owned_table_live(book, canonical, first_header)
        if table is not None:
            out[canonical] = table
    return out


def owned_table_live(book: xw.Book, sheet: str, first_header: str) -> RawTable | None:
    """The same as :func:`owned_table`, from a workbook open in Excel (one bulk read)."""
    from kpisheets.read.xlwings_reader import clean_cell
    from kpisheets.write.excel import is_generated

    for candidate in book.sheets:
        if normalise_name(candidate.name) == normalise_name(sheet) and is_generated(candidate):
            used = candidate.used_range
            values = used.options(ndim=2, err_to_str=True).value or []
            rows = [[clean_cell(v) for v in row] for row in values]
            return table_from_rows(candidate.name, rows, used.row, used.column, first_header)
    return None


def table_from_rows(
    sheet: str, rows: list[list[CellValue]], first_row: int, first_col: int, first_header: str
) -> RawTable | None:
    """Find the header row (first cell ``first_header``) in a block read from a sheet
    whose top-left cell is (``first_row``, ``first_col``), 1-based; the rows below it
    form the table, trailing blank rows dropped."""
    wanted = normalise_name(first_header)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if row and normalise_name(_text(row[0])) == wanted:
            width = len(row)
            while width and _blank(row[width - 1]):
                width -= 1
            headers = [_text(v) for v in row[:width]]
            body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[index + 1 :]]
            body = [[None if v == "" else v for v in r] for r in body]
            while body and all(_blank(v) for v in body[-1]):
                body.pop()
            header_row = first_row + index
            return RawTable(
                sheet=sheet,
                headers=headers,
                letters=[column_letter(first_col - 1 + i) for i in range(width)],
                rows=body,
                row_numbers=list(range(header_row + 1, header_row + 1 + len(body))),
                header_row=header_row,
            )
    return None


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
