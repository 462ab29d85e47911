"""The problem collector every sheet check writes into.

A problem is data (code, severity, message, hint, cell); docs/workbook.md lists the
codes. Every problem is kept, however many of one code there are: what people read
(the Problems sheet, ``check``'s table) groups the repeats (:mod:`kpisheets.problems`),
while ``check --format json`` and the library list each one.
"""

from __future__ import annotations

from kpisheets.model import Problem, RawTable, Severity
from kpisheets.validate.cells import BadCell


class ProblemLog:
    """The problems found so far, in the order they were found."""

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = list(problems or [])

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        hint: str,
        table: RawTable | None = None,
        row: int | None = None,
        column: int | None = None,
        sheet: str | None = None,
        kpi: str | None = None,
    ) -> None:
        """Record a problem at ``table``'s cell (``row``, ``column``: 0-based indexes
        into its rows and headers), or about a whole ``sheet``."""
        sheet = table.sheet if table is not None else sheet
        cell = None
        if table is not None and row is not None and column is not None:
            cell = table.cell_ref(row, column)
        self.problems.append(
            Problem(
                code=code,
                severity=severity,
                message=message,
                hint=hint,
                sheet=sheet,
                cell=cell,
                column=table.headers[column] if table is not None and column is not None else None,
                row=table.row_numbers[row] if table is not None and row is not None else None,
                kpi=kpi,
            )
        )

    def add_bad(
        self,
        bad: BadCell,
        severity: Severity,
        table: RawTable,
        row: int,
        column: int,
        kpi: str | None = None,
        suffix: str = "",
    ) -> None:
        """Record a cell a parser refused; ``suffix`` says what happens next."""
        self.add(bad.code, severity, bad.message + suffix, bad.hint, table, row, column, kpi=kpi)
