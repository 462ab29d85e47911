"""Read a tracker workbook file through python-calamine (never openpyxl).

Each input sheet becomes a :class:`WorkbookTable`: the Excel Table (ListObject) on
the sheet when there is one — the one named like the sheet first — else the sheet's
used range, whose first non-empty row is the header. Values stay as calamine gives
them (``""`` for empty cells, floats for numbers, ``date``/``datetime`` for date
cells in either date system); the cells calamine shows as blank although they hold
an error or a formula without a saved result are looked up in the sheet's XML only
when validation asks (:meth:`WorkbookTable.hidden_values`).
"""

from __future__ import annotations

import bisect
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    SheetTypeEnum,
)

from kpisheets.calamine_guard import ReaderPanic, calamine_calls, open_calamine
from kpisheets.errors import NotATrackerError
from kpisheets.model import (
    INPUT_SHEETS,
    CellValue,
    RawTable,
    RawTracker,
    column_letter,
    missing_sheet_problem,
    normalise_name,
)
from kpisheets.read import cyclic_gc_paused
from kpisheets.read.below import rows_below, rows_until_next_table
from kpisheets.read.listobjects import ListObject, list_objects
from kpisheets.read.package import (
    Package,
    command_path,
    damaged,
    open_package,
    scan_hidden_cells,
    sniff,
)
from kpisheets.read.rows import sheet_rows

REQUIRED_SHEETS = ("KPIs", "Entries")


@dataclass
class _HiddenCells:
    """The error and uncalculated-formula cells of one sheet, scanned once on demand."""

    path: Path
    part: str | None
    _found: dict[tuple[int, int], CellValue] | None = None

    def get(self) -> dict[tuple[int, int], CellValue]:
        if self._found is None:
            if self.part is None:
                self._found = {}
            else:
                try:
                    self._found = scan_hidden_cells(self.path, self.part)
                except (OSError, KeyError, zipfile.BadZipFile, zlib.error, EOFError):
                    self._found = {}  # the values calamine read stand
        return self._found


@dataclass
class WorkbookTable(RawTable):
    """A :class:`RawTable` read from a file, able to say what its blank cells hold.

    ``first_column`` is the 0-based sheet column of ``headers[0]``.
    """

    first_column: int = 0
    hidden: _HiddenCells | None = field(default=None, repr=False)

    def hidden_values(self) -> dict[tuple[int, int], CellValue]:
        """The cells of this table that calamine shows as blank but that hold an
        Excel error (:class:`~kpisheets.model.ErrorValue`) or a formula without a
        saved result (:class:`~kpisheets.read.package.UncalculatedFormula`), keyed by
        ``(row_index, column_index)``. The sheet's XML is scanned on the first call;
        the values found are also written into ``rows``.
        """
        if self.hidden is None or not self.row_numbers:
            return {}
        found = self.hidden.get()
        if not found:
            return {}
        first, numbers = self.row_numbers[0], self.row_numbers
        n, width = len(self.rows), len(self.headers)
        result: dict[tuple[int, int], CellValue] = {}
        for (excel_row, sheet_col), value in found.items():
            r, c = excel_row - first, sheet_col - self.first_column
            if not (0 <= r < n and numbers[r] == excel_row):
                # Rows read from under a Table's totals row skip that row's number.
                r = bisect.bisect_left(numbers, excel_row)
            if 0 <= r < n and 0 <= c < width and numbers[r] == excel_row:
                row = self.rows[r]
                if c < len(row) and row[c] in ("", None):
                    row[c] = value
                    result[(r, c)] = value
        return result


def read_workbook(path: str | Path, *, strict: bool = True) -> RawTracker:
    """Read the KPIs, Entries, Targets and Settings sheets of a workbook file.

    Raises :class:`~kpisheets.errors.NotATrackerError` with one sentence when the
    file cannot be a tracker: not a zip, encrypted, legacy ``.xls``, damaged, a text
    file, or — unless ``strict`` is false — without a KPIs or Entries sheet. With
    ``strict=False`` a missing sheet becomes a ``missing-sheet`` problem instead
    (what ``kpisheets check`` lists). The file is only ever opened for reading.

    >>> # raw = read_workbook("tracker.xlsx"); raw.tables["Entries"].cell_ref(0, 2)
    >>> # 'Entries!C2'
    """
    path = Path(path)
    sniff(path)
    package = open_package(path)
    try:
        # The python-calamine boundary: a Rust panic becomes ReaderPanic (calamine_guard).
        with cyclic_gc_paused(), calamine_calls():  # calamine's lists form no cycles
            return _read(path, package, strict)
    except NotATrackerError:
        raise
    except (
        CalamineError,
        ReaderPanic,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ValueError,
    ) as exc:
        raise NotATrackerError(damaged(path.name, exc)) from exc


def _read(path: Path, package: Package, strict: bool) -> RawTracker:
    try:
        with calamine_calls():
            book = open_calamine(path, load_tables=True)
            table_names = list(book.table_names or [])
    except (CalamineError, ReaderPanic):
        # Tables are optional (a plain range reads too); calamine's table reader
        # panics on packages whose parts sit at the zip root.
        book = open_calamine(path)
        table_names = []
    with book:
        worksheets = [
            m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet
        ] or list(book.sheet_names)
        by_name: dict[str, str] = {}
        for name in worksheets:
            by_name.setdefault(normalise_name(name), name)
        missing = [s for s in REQUIRED_SHEETS if normalise_name(s) not in by_name]
        if missing and strict:
            raise NotATrackerError(missing_sheets_sentence(path, missing))
        tables: dict[str, RawTable] = {}
        finder = _TableFinder(book, table_names, list_objects(path, package.sheet_parts))
        for canonical in INPUT_SHEETS:
            real = by_name.get(normalise_name(canonical))
            if real is not None:
                hidden = _HiddenCells(path, package.sheet_parts.get(real))
                tables[canonical] = _read_sheet(book, real, canonical, finder, hidden)
        from kpisheets.read.owned import kept_tables_in_book

        return RawTracker(
            path=str(path),
            tables=tables,
            date1904=package.date1904,
            problems=[missing_sheet_problem(s) for s in missing],
            sheet_names=list(book.sheet_names),
            kept=kept_tables_in_book(book, package.owned_sheets, path, package.sheet_parts),
        )


def missing_sheets_sentence(path: str | Path, missing: list[str]) -> str:
    """The one sentence for a workbook without KPIs or Entries.

    The suggested command names ``path`` as the user gave it (quoted when needed), so
    it works from where they are: ``macro01.xlsm is not a kpisheets tracker: …; run
    `kpisheets init corp/macro01.xlsm` …``.
    """
    sheets = " or ".join(missing)
    noun = "sheet" if len(missing) == 1 else "sheets"
    return (
        f"{Path(path).name} is not a kpisheets tracker: it has no {sheets} {noun}; run "
        f"`kpisheets init {command_path(path)}` to add the input sheets."
    )


def _read_sheet(
    book: CalamineWorkbook,
    sheet: str,
    canonical: str,
    finder: _TableFinder,
    hidden: _HiddenCells,
) -> WorkbookTable:
    table = finder.on_sheet(sheet, canonical)
    worksheet = book.get_sheet_by_name(sheet)  # reads the sheet's cells: call once
    if table is not None:
        return table_from_listobject(table, hidden, worksheet, finder.others(table))
    start = worksheet.start
    if start is None:
        return WorkbookTable(sheet, [], [], [], [], hidden=hidden)
    first_row, first_col = start
    # iter_rows() yields every row from row 1, its cells from the first used column.
    rows = itertools.islice(sheet_rows(worksheet, hidden.path, hidden.part), first_row, None)
    header_row = next(rows, None)
    if header_row is None:
        return WorkbookTable(sheet, [], [], [], [], hidden=hidden)
    width = max(len(header_row), 1)
    headers = [_header_text(v) for v in header_row]
    data = _shared_values(rows, headers)
    return WorkbookTable(
        sheet=sheet,
        headers=headers,
        letters=[column_letter(first_col + i) for i in range(width)],
        rows=data,
        row_numbers=list(range(first_row + 2, first_row + 2 + len(data))),
        header_row=first_row + 1,
        first_column=first_col,
        hidden=hidden,
    )


# Columns whose few distinct values repeat on every row (dates, KPI IDs, names):
# python-calamine makes a new Python object for every cell, so these are shared, one
# object per distinct value, as the rows are read. At Excel's 1,048,575 entries that
# is about 150 MiB less at the peak (check stays under 600 MiB) for no extra time.
REPEATING_COLUMNS = frozenset({"date", "kpi", "by", "segment", "period", "owner", "source"})


def _shared_values(rows: Iterator[list[Any]], headers: list[str]) -> list[list[Any]]:
    """The rows, with the values of :data:`REPEATING_COLUMNS` shared."""
    repeating = [j for j, h in enumerate(headers) if normalise_name(h) in REPEATING_COLUMNS]
    if not repeating:
        return list(rows)
    shared: dict[Any, Any] = {}
    share = shared.setdefault
    data: list[list[Any]] = []
    keep = data.append
    for row in rows:
        for j in repeating:
            if j < len(row):
                value = row[j]
                row[j] = share(value, value)
        keep(row)
    return data


class _TableFinder:
    """Finds the Excel Table (ListObject) to read on an input sheet: the one named like
    the sheet (spaces as underscores), else the first on it; ``None`` for a plain
    range. The package's Table parts answer without parsing any sheet
    (:mod:`kpisheets.read.listobjects`); when they cannot be read, python-calamine
    does, each Table fetched once (every fetch parses the Table's whole sheet)."""

    def __init__(
        self, book: CalamineWorkbook, names: list[str], listed: list[ListObject] | None
    ) -> None:
        self.book = book
        self.names = names
        self.listed = listed
        self.fetched: dict[str, Any] = {}

    def others(self, table: Any) -> list[tuple[int, int, int]]:
        """The other Tables on ``table``'s sheet as ``(header row, first column, last
        column)``, 0-based: where the rows typed under ``table`` must end."""
        return [
            (t.start[0] - 1, t.start[1], t.end[1])
            for t in self.listed or []
            if t.sheet == table.sheet and t.name != table.name
        ]

    def on_sheet(self, sheet: str, canonical: str) -> Any:
        wanted = {normalise_name(canonical), normalise_name(sheet).replace(" ", "_")}

        def rank(name: str) -> bool:
            return normalise_name(name) not in wanted

        if self.listed is not None:
            here = [t for t in self.listed if t.sheet == sheet]
            return min(here, key=lambda t: rank(t.name)) if here else None
        for name in sorted(self.names, key=rank):
            if name not in self.fetched:
                try:
                    self.fetched[name] = self.book.get_table_by_name(name)
                except CalamineError:
                    self.fetched[name] = None
            table = self.fetched[name]
            if table is not None and table.sheet == sheet and table.start is not None:
                return table
        return None


def table_from_listobject(
    table: Any,
    hidden: _HiddenCells,
    worksheet: Any = None,
    others: list[tuple[int, int, int]] | None = None,
) -> WorkbookTable:
    """A python-calamine table (header row above ``start``, totals row excluded).

    With the table's ``worksheet`` its rows are read from the sheet's cells, with
    repeated values shared (:func:`_shared_values`), instead of ``table.to_python()``;
    for a Table located from the package (a :class:`ListObject`, whose totals row is
    known), followed by the rows typed directly under it (:mod:`kpisheets.read.below`;
    ``others``: the other Tables on the sheet, where those rows end).
    """
    first_row, first_col = table.start
    headers = [str(h) for h in table.columns]
    below: list[list[Any]] = []
    if worksheet is not None and worksheet.start is not None:
        # iter_rows() yields every row from row 1, its cells from the first used column.
        left = worksheet.start[1]
        last_row, last_col = table.end
        c0, c1 = first_col - left, last_col - left + 1
        source = sheet_rows(worksheet, hidden.path, hidden.part)
        cells = itertools.islice(source, first_row, last_row + 1)
        rows = _shared_values((row[c0:c1] for row in cells), headers)
        # The sheet's last row with a value, known without reading anything more: only
        # when it lies under the Table are the rows there looked at.
        if isinstance(table, ListObject) and worksheet.end[0] > table.bottom:
            room = rows_until_next_table(table.bottom, (first_col, last_col), others or [])
            skip = table.totals  # the totals row, still ahead in ``source``
            under = itertools.islice(source, skip, None if room is None else skip + room)
            below = _shared_values(iter(rows_below(row[c0:c1] for row in under)), headers)
    elif isinstance(table, ListObject):
        rows = []  # the sheet has no cells: the Table's rows are all blank
    else:
        rows = table.to_python()
    row_numbers = list(range(first_row + 1, first_row + 1 + len(rows)))
    if below:
        first_below = table.bottom + 2  # 1-based, directly under the Table
        rows += below
        row_numbers += range(first_below, first_below + len(below))
    return WorkbookTable(
        sheet=table.sheet,
        headers=headers,
        letters=[column_letter(first_col + i) for i in range(len(headers))],
        rows=rows,
        row_numbers=row_numbers,
        header_row=first_row,
        table_name=table.name,
        below=len(below),
        totals_row=bool(getattr(table, "totals", 0)),
        first_column=first_col,
        hidden=hidden,
    )


def _header_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
