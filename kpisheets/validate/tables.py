"""What every sheet check does first: find its columns by header, require some of
them, and walk the non-blank rows (small sheets) with blank-looking error cells
revealed; and the warning for rows typed under an Excel Table (``outside-table``).

Headers are matched ignoring case and surrounding spaces (docs/workbook.md, "Sheets
and columns"); the first column with a header wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from kpisheets.model import CellValue, Problem, RawTable, Severity, normalise_name, quote_sheet
from kpisheets.validate.cells import is_blank
from kpisheets.validate.problems import ProblemLog

CellGetter = Callable[[int | None], CellValue]


@runtime_checkable
class RevealsHiddenCells(Protocol):
    """A table that can tell which of its blank-looking cells hold an Excel error or a
    formula without a saved result (the file reader can; live Excel needs not)."""

    def hidden_values(self) -> dict[tuple[int, int], CellValue]:
        """``(row_index, column_index)`` → the value behind a blank-looking cell."""
        ...


def columns(table: RawTable) -> dict[str, int]:
    """Normalised header → first column index with it."""
    found: dict[str, int] = {}
    for i, h in enumerate(table.headers):
        key = " ".join(normalise_name(h).split())
        if key and key not in found:
            found[key] = i
    return found


def require_columns(
    log: ProblemLog,
    table: RawTable,
    cols: dict[str, int],
    names: Iterable[str],
    severity: Severity,
) -> bool:
    """Whether ``table`` has every column of ``names``; a ``missing-column`` problem
    for each one it lacks."""
    ok = True
    for name in names:
        if name not in cols:
            ok = False
            pretty = {"id": "ID", "kpi": "KPI"}.get(name, name.title())
            log.add(
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


def reveal(table: RawTable) -> dict[tuple[int, int], CellValue]:
    """Ask a file-read table which blank-looking cells hold errors or formulas."""
    if isinstance(table, RevealsHiddenCells):
        return table.hidden_values()
    return {}


def small_rows(table: RawTable, known: Iterable[int]) -> list[tuple[int, CellGetter]]:
    """Non-blank rows of a small sheet with a cell getter, hidden cells revealed."""
    known = [c for c in known]
    reveal(table)  # writes the errors it finds into table.rows, where get() sees them
    out: list[tuple[int, CellGetter]] = []
    for i, row in enumerate(table.rows):

        def get(c: int | None, row: list[CellValue] = row) -> CellValue:
            return row[c] if c is not None and c < len(row) else None

        if all(is_blank(get(c)) for c in known):
            continue
        out.append((i, get))
    return out


def outside_table_problem(table: RawTable) -> Problem | None:
    """The ``outside-table`` warning for the rows a reader took from directly under
    ``table``'s Excel Table (``table.below``), naming their range
    (``Entries!A52:E54``) and how to extend the Table; ``None`` when there are none.
    """
    if table.below <= 0 or not table.letters or len(table.row_numbers) < table.below:
        return None
    first, last = table.row_numbers[-table.below], table.row_numbers[-1]
    left, right = table.letters[0], table.letters[-1]
    where = f"{quote_sheet(table.sheet)}!{left}{first}:{right}{last}"
    name = table.table_name or table.sheet
    count = table.below
    these = "this row" if count == 1 else f"these {count:,} rows"
    them = "it" if count == 1 else "them"
    message = (
        f"{where} is typed directly under the Excel Table {name!r}, outside it: kpisheets "
        f"counts {these} as the Table's, but Excel's own formulas and filters over the "
        f"Table leave {them} out."
    )
    if table.totals_row:
        hint = (
            f"Move {them} into the Table, above its totals row: in Excel, right-click the "
            f"totals row › Insert › Table Rows Above, then cut and paste {these} there."
        )
    else:
        resized = f"${left}${table.header_row}:${right}${last}"
        hint = (
            f"Extend the Table over {them}. In Excel: drag the Table's resize handle (its "
            f"bottom-right corner) down to row {last}, or Table Design › Resize Table › "
            f"{resized}; rows typed in Excel directly under the last row join the Table by "
            f"themselves. In LibreOffice: Data › Define Range › {name}, make the range end "
            f"at row {last}, Modify."
        )
    return Problem(
        code="outside-table",
        severity="warning",
        message=message,
        hint=hint,
        sheet=table.sheet,
        cell=where,
        row=first,
    )
