"""Read a tracker from a workbook open in Excel, through xlwings.

The live counterpart of :func:`kpisheets.read.read_workbook`: it produces the same
:class:`~kpisheets.model.RawTracker` (cells with their Excel row numbers and column
letters), so validation, computation and the report are shared with the file path.

Each input sheet is read with ONE call: the Excel Table (ListObject) named like the
sheet when there is one, else the block from ``A1`` to the end of the used range
(a plain range with its header in row 1; docs/workbook.md, "Sheets"). Reading cell by cell through COM
or AppleScript costs a round trip per cell; one ``.value`` per sheet keeps a
100,000-row Entries sheet to a single transfer. Rows typed directly under a Table
(kpisheets.read.below) cost one more only when the sheet's used range reaches below
the Table.

Excel error cells arrive through xlwings as ``None`` by default, or — with the
``err_to_str`` option used here — as their text (``"#N/A"``); the Windows engine's
raw COM integers are recognised too. All become :class:`~kpisheets.model.ErrorValue`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kpisheets.errors import NotATrackerError
from kpisheets.model import (
    INPUT_SHEETS,
    CellValue,
    ErrorValue,
    RawTable,
    RawTracker,
    column_letter,
    normalise_name,
)
from kpisheets.read.below import rows_below, rows_until_next_table

if TYPE_CHECKING:
    import xlwings as xw

# What Excel shows for an error cell; xlwings' err_to_str yields these strings.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)

# The integers Excel's COM interface returns for error cells (xlwings._xlwindows).
COM_ERRORS = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
}

REQUIRED_SHEETS = ("KPIs", "Entries")


def read_book(book: xw.Book) -> RawTracker:
    """Read KPIs, Entries, Targets and Settings from an open workbook.

    Raises :class:`~kpisheets.errors.NotATrackerError` with one sentence when KPIs or
    Entries is missing, as the file reader does.

    >>> # raw = read_book(xw.Book.caller()); tracker = kpisheets.validate.validate(raw)
    """
    sheets = {normalise_name(s.name): s for s in book.sheets}
    sheet_names = [s.name for s in book.sheets]
    missing = [name for name in REQUIRED_SHEETS if normalise_name(name) not in sheets]
    if missing:
        from kpisheets.read.calamine import missing_sheets_sentence

        raise NotATrackerError(missing_sheets_sentence(book.name, missing))
    tables: dict[str, RawTable] = {}
    for canonical in INPUT_SHEETS:
        sheet = sheets.get(normalise_name(canonical))
        if sheet is not None:
            tables[canonical] = read_sheet(sheet, canonical)
    from kpisheets.read.owned import kept_tables_live

    return RawTracker(
        path=book.fullname,
        tables=tables,
        # Date-formatted cells arrive as dates, but a serial number typed in a General
        # cell counts in the book's own date system, as in the file reader.
        date1904=uses_1904_dates(book),
        problems=[],
        sheet_names=sheet_names,
        kept=kept_tables_live(book),
    )


def uses_1904_dates(book: xw.Book) -> bool:
    """Whether the open workbook counts dates from 1904 (Excel's ``Workbook.Date1904``).

    xlwings has no public property for it, so it is read through ``book.api``: the
    COM ``Workbook`` object on Windows (``Date1904``), the AppleScript workbook on
    macOS (``date_1904``). An engine offering neither counts from 1900, Excel's
    default. A serial number in a General date cell means a different day in each
    system (docs/workbook.md, "Dates").
    """
    api = book.api
    try:
        return bool(api.Date1904)  # Windows: COM
    except AttributeError:
        pass
    try:
        return bool(api.date_1904.get())  # macOS: appscript
    except AttributeError:
        return False


def read_sheet(sheet: xw.Sheet, canonical: str | None = None) -> RawTable:
    """One input sheet as a :class:`RawTable`, read with a single bulk call (and, for
    an Excel Table with rows typed directly under it, one more for those rows)."""
    block, table_name, totals = _input_block(sheet, canonical or sheet.name)
    values = block.options(ndim=2, err_to_str=True).value
    if totals and values:
        values = values[:-1]  # a Table's totals row is not data
    table = table_from_values(sheet.name, values, block.row, block.column, table_name)
    if table_name is not None and table.headers:
        below = _rows_below(sheet, block, table_name, len(table.headers))
        if below:
            # Rows under the Table, read as its rows (kpisheets.read.below).
            first = block.last_cell.row + 1
            table.rows += below
            table.row_numbers += range(first, first + len(below))
            table.below, table.totals_row = len(below), totals
    return table


# Rows read per call while looking under a Table: the rows there end at the first
# blank one, usually within a few rows.
BELOW_CHUNK = 200


def _rows_below(
    sheet: xw.Sheet, block: xw.Range, table_name: str, width: int
) -> list[list[CellValue]]:
    """The rows typed directly under the Table ``block`` (its totals row included),
    by the rule of :mod:`kpisheets.read.below`; nothing is read when the sheet's
    used range ends with the Table."""
    bottom, left = block.last_cell.row, block.column
    right = left + width - 1
    used = sheet.used_range
    last = used.last_cell.row
    if last <= bottom or used.column > right or used.last_cell.column < left:
        return []
    try:
        others = [
            (t.range.row - 1, t.range.column - 1, t.range.last_cell.column - 1)
            for t in sheet.tables
            if t.name != table_name
        ]
    except NotImplementedError:
        others = []
    room = rows_until_next_table(bottom - 1, (left - 1, right - 1), others)
    if room is not None:
        last = min(last, bottom + room)
    taken: list[list[CellValue]] = []
    start = bottom + 1
    while start <= last:
        end = min(start + BELOW_CHUNK - 1, last)
        chunk = sheet.range((start, left), (end, right)).options(ndim=2, err_to_str=True).value
        cleaned = [[clean_cell(v) for v in row] for row in chunk or []]
        typed = rows_below(cleaned)
        taken += typed
        if len(typed) < len(cleaned):
            break
        start = end + 1
    return taken


def table_from_values(
    sheet_name: str,
    values: list[list[Any]] | None,
    first_row: int = 1,
    first_col: int = 1,
    table_name: str | None = None,
) -> RawTable:
    """Turn a 2-D block whose first row is the header into a :class:`RawTable`.

    Like the file reader: trailing empty rows and columns are dropped, empty rows in
    between are kept (with their real row numbers), headers are text.
    """
    rows = [[clean_cell(v) for v in row] for row in (values or [])]
    while len(rows) > 1 and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    while width and all(len(r) < width or r[width - 1] is None for r in rows):
        width -= 1
    if not rows or width == 0:
        return RawTable(sheet_name, [], [], [], [], header_row=first_row, table_name=table_name)
    headers = [header_text(h) for h in (rows[0] + [None] * width)[:width]]
    data: list[list[CellValue]] = [(row + [None] * width)[:width] for row in rows[1:]]
    return RawTable(
        sheet=sheet_name,
        headers=headers,
        letters=[column_letter(first_col - 1 + i) for i in range(width)],
        rows=data,
        row_numbers=list(range(first_row + 1, first_row + 1 + len(data))),
        header_row=first_row,
        table_name=table_name,
    )


def header_text(value: Any) -> str:
    """A header cell as text (``2026.0`` → ``"2026"``, as the file reader does)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_cell(value: Any) -> CellValue:
    """An xlwings cell value as kpisheets' readers deliver it.

    Empty text becomes None, error text and COM error codes become ErrorValue, a
    datetime at midnight becomes a date (as python-calamine reads date cells).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if value == "":
            return None
        if value in EXCEL_ERRORS:
            return ErrorValue(value)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in COM_ERRORS:
        return ErrorValue(COM_ERRORS[value])
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        if value.time() == dt.time(0, 0):
            return value.date()
        return value
    return value


def _input_block(sheet: xw.Sheet, canonical: str) -> tuple[xw.Range, str | None, bool]:
    """The range holding a sheet's header and rows, the Table's name if it is one, and
    whether the range ends with a totals row.

    As the file reader: the Table named like the sheet (spaces as underscores) first,
    else the first Table on the sheet, else the used range (its first row the header).
    """
    wanted = {normalise_name(canonical), normalise_name(sheet.name).replace(" ", "_")}
    try:
        tables = list(sheet.tables)
    except NotImplementedError:
        tables = []
    tables.sort(key=lambda t: normalise_name(t.name) not in wanted)
    for table in tables:
        try:
            totals = bool(table.show_totals)
        except NotImplementedError:
            totals = False
        return table.range, table.name, totals
    return sheet.used_range, None, False
