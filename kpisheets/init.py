"""``kpisheets init``: turn any workbook into a tracker without changing what is in it.

The input sheets (KPIs, Entries, Targets, Settings, each an Excel Table with
dropdowns, as ``kpisheets new`` makes them) are built by the templates module with
XlsxWriter into a scratch package and spliced into the user's workbook by
:mod:`kpisheets.write.package`: they are appended after the user's sheets and every
existing part of the file stays byte-identical.

Only the sheets that are missing are added (matched case-insensitively, as they are
read: docs/workbook.md). A workbook that already has all four is left alone. The added sheets
belong to the user, not to kpisheets: a refresh never replaces them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import xlsxwriter

from kpisheets.errors import UsageError
from kpisheets.model import INPUT_SHEETS
from kpisheets.refresh import refuse_non_workbook
from kpisheets.write.package import Package, ZipSource, check_not_open, splice

SCRATCH_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def existing_sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, in tab order (reads only workbook.xml)."""
    source = ZipSource(path=Path(path))
    try:
        return [s.name for s in Package(source).sheets]
    finally:
        source.close()


def input_sheets_package(template: str = "blank", reference: dt.date | None = None) -> bytes:
    """A scratch package with the four input sheets of ``template`` (XlsxWriter), its
    examples dated relative to ``reference`` (default: today)."""
    from kpisheets.templates import TEMPLATE_NAMES, build_input_sheets

    if template not in TEMPLATE_NAMES:
        raise UsageError(f"Unknown template {template!r}; use one of {', '.join(TEMPLATE_NAMES)}.")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, SCRATCH_OPTIONS)
    build_input_sheets(book, template, reference=reference)
    book.close()
    return buffer.getvalue()


def init_workbook(
    path: str | Path, template: str = "blank", reference: dt.date | None = None
) -> list[str]:
    """Add the missing input sheets to the workbook at ``path``; return their names.

    Returns an empty list when the workbook already has KPIs, Entries, Targets and
    Settings. Nothing that was in the workbook changes: the new sheets are appended
    and every existing part of the file is copied byte for byte. A template's example
    entries are dated relative to ``reference`` (default: today).

    >>> init_workbook("budget.xlsx", template="sales")  # doctest: +SKIP
    ['KPIs', 'Entries', 'Targets', 'Settings']
    """
    path = Path(path)
    check_not_open(path)
    refuse_non_workbook(path)
    present = {name.strip().lower() for name in existing_sheet_names(path)}
    missing = [name for name in INPUT_SHEETS if name.lower() not in present]
    if not missing:
        return []
    result = splice(
        path, input_sheets_package(template, reference), generated=False, sheets=missing
    )
    return result.added
