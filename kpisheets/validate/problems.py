"""The problem collector every sheet check writes into.

A problem is data (code, severity, message, hint, cell); docs/workbook.md lists the
codes. Past :data:`MAX_PROBLEMS_PER_CODE` of one code on one sheet, further problems
are only counted, and :meth:`ProblemLog.close_counts` adds one closing problem that
says how many more there are, so a million bad rows stay readable.
"""

from __future__ import annotations

from collections import Counter

from kpisheets.model import Problem, RawTable, Severity
from kpisheets.validate.cells import BadCell

# At most this many problems of one code per sheet are listed one by one; the rest
# are counted in one closing problem, so a million bad rows stay readable.
MAX_PROBLEMS_PER_CODE = 100


class ProblemLog:
    """The problems found so far, in the order they were found, with counts per
    (sheet, code) so that repeats past the cap are counted instead of listed."""

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = list(problems or [])
        self.counts: Counter[tuple[str, str]] = Counter()
        # Problems a vectorised check counted without building them (see unlisted_rows).
        self.unlisted: Counter[tuple[str, str]] = Counter()

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
        key = (sheet or "", code)
        self.counts[key] += 1
        if self.counts[key] > MAX_PROBLEMS_PER_CODE:
            return
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

    def count_unlisted(self, sheet: str, code: str, n: int) -> None:
        """Count ``n`` problems that a check over whole columns never built."""
        self.unlisted[(sheet, code)] += n

    def close_counts(self) -> None:
        """Add the closing "N more cells have this problem" line for each capped code."""
        for (sheet, code), n in sorted((self.counts + self.unlisted).items()):
            if n > MAX_PROBLEMS_PER_CODE:
                listed = [p for p in self.problems if p.code == code and p.sheet == sheet]
                self.problems.append(
                    Problem(
                        code=code,
                        severity=listed[0].severity if listed else "error",
                        message=f"{n - MAX_PROBLEMS_PER_CODE:,} more cells on {sheet} have "
                        f"this problem ({n:,} in all; the first {MAX_PROBLEMS_PER_CODE} "
                        "are listed).",
                        hint=listed[0].hint if listed else "",
                        sheet=sheet or None,
                    )
                )
