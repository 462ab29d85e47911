"""Validation: turn the cells a reader found into a typed :class:`Tracker` and a list
of :class:`Problem`, without ever stopping at the first bad cell. The rules and every
problem code are described in docs/workbook.md.

Where things are:

* :mod:`~kpisheets.validate.workbook` — :func:`validate` (every sheet, in order),
  :func:`check_workbook` (``kpisheets check``) and the ``generated-sheet-taken`` check;
* :mod:`~kpisheets.validate.problems` — :class:`ProblemLog`, the collector each check
  writes into (every problem is kept; :mod:`kpisheets.problems` groups repeats for
  people);
* :mod:`~kpisheets.validate.cells` — reading one cell: :func:`parse_date`,
  :func:`parse_number`, :func:`parse_choice`…, each raising :class:`BadCell`;
* :mod:`~kpisheets.validate.tables` — finding a sheet's columns by header, requiring
  some, walking its rows;
* one module per input sheet: :mod:`~kpisheets.validate.settings`,
  :mod:`~kpisheets.validate.kpis`, :mod:`~kpisheets.validate.entries` (a million rows:
  numpy over whole columns), :mod:`~kpisheets.validate.targets`,
  :mod:`~kpisheets.validate.actions`.

Adding a sheet: write ``validate/<sheet>.py`` with ``check_<sheet>(raw, log, kpis)``
that reads ``raw.tables["<Sheet>"]`` (``tables.columns``, ``require_columns``,
``small_rows``), parses cells with :mod:`~kpisheets.validate.cells` and reports
through ``log``; call it from :func:`validate` in ``workbook.py`` and give its result a
place on :class:`~kpisheets.model.Tracker`; document its columns and problem codes
in docs/workbook.md.

Problem codes produced here (severity in brackets; see docs/workbook.md):
``missing-sheet`` [error], ``missing-column`` [error; warning on Settings],
``empty-id`` [error], ``duplicate-kpi-id`` [error], ``bad-id`` [error],
``unknown-kpi`` [error], ``bad-date`` [error], ``bad-number`` [error; warning when a
default is used or a value is blank], ``excel-error`` [error in a needed cell,
warning elsewhere], ``uncalculated-formula`` [same], ``nps-out-of-range`` [error],
``bad-direction`` / ``bad-aggregation`` / ``bad-frequency`` [error],
``threshold-order`` [warning], ``entry-for-formula-kpi`` [warning],
``formula-syntax`` [error, a Formula KPI without a formula], ``missing-tolerance``,
``incomplete-window``, ``bad-value``, ``unknown-setting``, ``duplicate-setting``,
``empty-name``, ``numeric-id``, ``outside-table`` (rows typed under an Excel
Table, read with it) [warnings]; on the Actions sheet ``unknown-kpi``,
``empty-id``, ``bad-date``, ``bad-status`` and ``due-before-date`` [warnings];
:func:`check_workbook` adds ``generated-sheet-taken`` [error].
"""

from __future__ import annotations

from kpisheets.model import missing_sheet_problem
from kpisheets.validate.cells import (
    BadCell,
    excel_serial_date,
    is_blank,
    kpi_key,
    parse_bool,
    parse_choice,
    parse_date,
    parse_fraction,
    parse_month,
    parse_number,
    parse_weekday,
    plain_text,
    shown,
    text,
)
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import RevealsHiddenCells
from kpisheets.validate.workbook import check_workbook, generated_sheet_problems, validate

_Bad = BadCell  # the name the tests knew it by

__all__ = [
    "BadCell",
    "ProblemLog",
    "RevealsHiddenCells",
    "check_workbook",
    "excel_serial_date",
    "generated_sheet_problems",
    "is_blank",
    "kpi_key",
    "missing_sheet_problem",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_fraction",
    "parse_month",
    "parse_number",
    "parse_weekday",
    "plain_text",
    "shown",
    "text",
    "validate",
]
