"""The whole workbook: :func:`validate` runs every sheet check in order and builds the
:class:`~kpisheets.model.Tracker`; :func:`check_workbook` is ``kpisheets check``
(read, validate, compute, and the generated sheets a refresh would refuse to replace).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kpisheets.model import (
    OWNED_SHEETS,
    Columns,
    Problem,
    RawTracker,
    Settings,
    Tracker,
    missing_sheet_problem,
)
from kpisheets.read import cyclic_gc_paused
from kpisheets.validate.actions import check_actions
from kpisheets.validate.entries import CheckedEntries, check_entries
from kpisheets.validate.kpis import KnownKpis, check_kpis
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.settings import check_settings
from kpisheets.validate.sources import check_sources
from kpisheets.validate.tables import columns, outside_table_problem
from kpisheets.validate.targets import check_targets


def validate(raw: RawTracker) -> Tracker:
    """Type every input sheet of ``raw`` and collect its problems.

    Rows with an error-level problem are left out of ``entries`` and ``targets``;
    a KPI with one is kept with ``valid=False``. Blank rows are skipped silently.

    >>> # tracker = validate(read_workbook("tracker.xlsx")); tracker.problems
    """
    log = ProblemLog(raw.problems)
    for sheet in ("KPIs", "Entries"):
        if sheet not in raw.tables and not any(
            p.code == "missing-sheet" and p.sheet == sheet for p in log.problems
        ):
            log.problems.append(missing_sheet_problem(sheet))
    for table in raw.tables.values():
        below = outside_table_problem(table)  # rows typed under a Table, read with it
        if below is not None:
            log.problems.append(below)
    # Settings first (KPI thresholds default to them), then KPIs, then the sheets
    # whose rows name a KPI.
    settings = check_settings(raw, log)
    kpis = check_kpis(raw, log, settings)
    entries = check_entries(raw, log, kpis)
    targets = check_targets(raw, log, kpis)
    sources, source_names = check_sources(raw, log, kpis)
    actions = check_actions(raw, log, kpis)
    tracker = _tracker(raw, log, settings, kpis, entries, targets)
    tracker.sources, tracker.source_names = sources, source_names
    tracker.actions = actions
    imported = raw.kept.get("Imported")
    if imported is not None:
        # Rows an earlier import wrote: counted with the entries (docs/sources.md).
        from kpisheets.sources.imported import attach_imported, rows_from_table

        rows = rows_from_table(imported)
        if rows:
            tracker.problems += attach_imported(tracker, rows, imported.sheet)
    return tracker


def _tracker(
    raw: RawTracker,
    log: ProblemLog,
    settings: Settings,
    kpis: KnownKpis,
    entries: CheckedEntries,
    targets: Columns,
) -> Tracker:
    """The tracker, with where the Entries dates and the KPI columns are (the
    Summary's "changed since" formula and the problems of later stages point there)."""
    table = raw.tables.get("Entries")
    date_col = columns(table).get("date") if table is not None else None
    kpi_table = raw.tables.get("KPIs")
    kpi_columns = (
        {name: kpi_table.letters[i] for name, i in columns(kpi_table).items()}
        if kpi_table is not None
        else {}
    )
    return Tracker(
        kpis=kpis.definitions,
        entries=entries.columns,
        targets=targets,
        settings=settings,
        problems=log.problems,
        path=raw.path,
        entry_count=entries.count,
        left_out=entries.left_out,
        entries_sheet=table.sheet if table is not None else "Entries",
        entries_date_column=(
            table.letters[date_col] if table is not None and date_col is not None else "A"
        ),
        entries_header_row=table.header_row if table is not None else 1,
        kpis_sheet=kpi_table.sheet if kpi_table is not None else "KPIs",
        kpi_columns=kpi_columns,
        kept=raw.kept,
    )


def check_workbook(path: str | Path, as_of: dt.date | None = None) -> list[Problem]:
    """Every problem of a tracker file: reading, validation, and computation at
    ``as_of`` (``future-date``, ``missing-target``, formula problems…).

    A workbook without a KPIs or Entries sheet gives ``missing-sheet`` problems (the
    other commands raise :class:`~kpisheets.errors.NotATrackerError` instead); a
    file that is no workbook at all raises it here too.

    >>> # [p.code for p in check_workbook("tracker.xlsx")]
    """
    from kpisheets.calc import compute
    from kpisheets.read import read_workbook

    with cyclic_gc_paused():  # millions of acyclic cells: see cyclic_gc_paused
        raw = read_workbook(path, strict=False)
        taken = generated_sheet_problems(raw.sheet_names, _owned_sheets(Path(path)))
        tracker = validate(raw)
        del raw  # the rows, freed by reference counting
        if any(p.code == "missing-sheet" for p in tracker.problems):
            return taken + list(tracker.problems)
        return taken + list(compute(tracker, as_of).problems)


def _owned_sheets(path: Path) -> list[str] | None:
    """The sheets of ``path`` that kpisheets generated (the ``_kpisheets_generated``
    marker), read by the splice's own check; ``None`` when the splice cannot open the
    package (``refresh`` then says why in one sentence)."""
    from kpisheets.errors import KpisheetsError
    from kpisheets.write.package import owned_sheets

    try:
        return owned_sheets(path)
    except KpisheetsError:
        return None


def generated_sheet_problems(sheet_names: list[str], owned: list[str] | None) -> list[Problem]:
    """A ``generated-sheet-taken`` error for each sheet of the user's named like a sheet
    kpisheets writes (Summary, History, Problems, Snapshots, Imported; case and
    surrounding spaces ignored)
    but without kpisheets' marker: ``refresh`` refuses to overwrite it.

    ``owned`` lists the marked sheets; ``None`` means unknown, and gives no problem.
    """
    if owned is None:
        return []
    generated = {name.lower(): name for name in OWNED_SHEETS}
    problems = []
    for sheet in sheet_names:
        ours = generated.get(sheet.strip().lower())
        if ours is not None and sheet not in owned:
            problems.append(
                Problem(
                    code="generated-sheet-taken",
                    severity="error",
                    message=f"The sheet {sheet!r} was not made by kpisheets, so `kpisheets "
                    f"refresh` will not overwrite it with its {ours} sheet.",
                    hint=f"Rename the sheet (e.g. to 'My {sheet.strip()}') or delete it; "
                    "status, check and export work meanwhile.",
                    sheet=sheet,
                )
            )
    return problems
