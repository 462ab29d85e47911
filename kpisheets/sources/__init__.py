"""Sources: entries pulled from CRM exports, analytics exports, data files and databases.

The Sources sheet (:mod:`kpisheets.sources.sheet`) names, per row, a KPI and where its
numbers live. :func:`import_sources` reads each source — files through DuckDB
(:mod:`kpisheets.sources.files`), ``sql`` sources in their own database through
SQLAlchemy (:mod:`kpisheets.sources.database`) — and gets back only daily totals per
segment, which become rows of the kpisheets-owned Imported sheet
(:mod:`kpisheets.sources.imported`). A source that fails is a problem naming the
source and the cause; its earlier rows stay, and the other sources still import.

DuckDB and SQLAlchemy are imported only when a source is read, so ``kpisheets --help``
and workbooks without sources never load them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpisheets.model import Problem, normalise_name
from kpisheets.sources.imported import ImportedRow, keep_sources, replace_source
from kpisheets.sources.spec import (
    FILE_KINDS,
    KINDS,
    PRESET_KINDS,
    DailyTotals,
    SourceError,
    SourceSpec,
)

__all__ = [
    "FILE_KINDS",
    "KINDS",
    "PRESET_KINDS",
    "DailyTotals",
    "ImportOutcome",
    "SourceError",
    "SourceSpec",
    "import_sources",
    "read_source",
]

ProgressFactory = Callable[[SourceSpec], Callable[[float], None] | None]


def read_source(
    spec: SourceSpec,
    folder: Path,
    database: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> DailyTotals:
    """Daily totals of one source. ``folder`` is the workbook's folder (Locations are
    relative to it); ``database`` the Settings › Database variable name."""
    if spec.kind == "sql":
        from kpisheets.sources.database import read_sql_source

        return read_sql_source(spec, database)
    from kpisheets.sources.files import read_file_source

    return read_file_source(spec, folder, progress)


@dataclass
class ImportOutcome:
    """What an import did: the Imported rows to write, problems, rows per source."""

    rows: list[ImportedRow]
    problems: list[Problem] = field(default_factory=list)
    imported: dict[str, int] = field(default_factory=dict)  # source → daily rows written
    failed: list[str] = field(default_factory=list)


def import_sources(
    specs: list[SourceSpec],
    existing: list[ImportedRow],
    folder: Path,
    *,
    database: str | None = None,
    only: str | None = None,
    now: dt.datetime | None = None,
    progress: ProgressFactory | None = None,
    listed: list[str] | None = None,
) -> ImportOutcome:
    """Read every source in ``specs`` (or only the one named ``only``) and merge its
    daily rows into ``existing``.

    Importing a source replaces all of its earlier rows and nothing else; a source
    that fails keeps them and adds a problem. When every source is imported (no
    ``only``), rows of sources no longer on the Sources sheet (``listed``: every name
    on the sheet, valid or not) are dropped. Raises ``KeyError(only)`` for an unknown
    name.
    """
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    chosen = specs
    if only is not None:
        chosen = [s for s in specs if normalise_name(s.name) == normalise_name(only)]
        if not chosen:
            raise KeyError(only)
    rows = list(existing)
    if only is None and listed is not None:
        rows = keep_sources(rows, listed)
    outcome = ImportOutcome(rows=rows)
    for spec in chosen:
        try:
            totals = read_source(spec, folder, database, progress(spec) if progress else None)
        except SourceError as err:
            outcome.failed.append(spec.name)
            outcome.problems.append(source_problem(spec, err))
            continue
        new_rows = [
            ImportedRow(day, spec.kpi, value, segment, spec.name, now)
            for day, segment, value in totals.rows
        ]
        outcome.rows = replace_source(outcome.rows, spec.name, new_rows)
        outcome.imported[spec.name] = len(new_rows)
        outcome.problems += skipped_problems(spec, totals)
    return outcome


def source_problem(spec: SourceSpec, err: SourceError) -> Problem:
    """The problem of a source that could not be read, at the cell it is about."""
    return Problem(
        code=err.code,
        severity="error",
        message=f"{err.message} Its earlier imported rows are kept."
        if err.message.startswith(spec.name)
        else f"Source {spec.name}: {err.message} Its earlier imported rows are kept.",
        hint=err.hint,
        sheet=spec.sheet,
        cell=spec.cell(err.column if err.column in spec.cells else "Location"),
        column=err.column if err.column in spec.cells else "Location",
        row=spec.row,
        kpi=spec.kpi,
    )


def skipped_problems(spec: SourceSpec, totals: DailyTotals) -> list[Problem]:
    """Warnings for rows a source had but could not count (unreadable dates or values)."""
    found: list[Problem] = []
    if totals.skipped_dates:
        found.append(
            Problem(
                code="source-column",
                severity="warning",
                message=f"Source {spec.name}: {totals.skipped_dates:,} day(s) in the "
                f"{spec.date} column are not dates (e.g. {totals.example_date!r}); their "
                "rows are not counted.",
                hint="Check the Date column names the column of dates; kpisheets reads "
                "2024-03-15, 20240315, 3/15/2024 and 15/03/2024.",
                sheet=spec.sheet,
                cell=spec.cell("Date"),
                column="Date",
                row=spec.row,
                kpi=spec.kpi,
            )
        )
    if totals.skipped_values:
        found.append(
            Problem(
                code="source-column",
                severity="warning",
                message=f"Source {spec.name}: {totals.skipped_values:,} row(s) have a "
                f"{spec.value} that is not a number (e.g. {totals.example_value!r}); they "
                "are not counted.",
                hint="Check the Value column names a column of numbers, or leave Value "
                "blank to count rows.",
                sheet=spec.sheet,
                cell=spec.cell("Value"),
                column="Value",
                row=spec.row,
                kpi=spec.kpi,
            )
        )
    return found
