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
from kpisheets.opc import PackageZip
from kpisheets.refresh import check_generated_names, refuse_non_workbook
from kpisheets.write.package import Package, check_not_open, splice

SCRATCH_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def existing_sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook, in tab order (reads only workbook.xml)."""
    with PackageZip(path=Path(path)) as source:
        return [s.name for s in Package(source).sheets]


def uses_1904_dates(path: Path) -> bool:
    """Whether the workbook counts dates from 1904 (``workbookPr date1904``)."""
    with PackageZip(path=Path(path)) as source:
        return Package(source).book.date1904


def input_sheets_package(
    template: str = "blank", reference: dt.date | None = None, *, date1904: bool = False
) -> bytes:
    """A scratch package with the four input sheets of ``template`` (XlsxWriter), its
    examples dated relative to ``reference`` (default: today), in the 1904 date system
    with ``date1904`` (the workbook's own, or every example date is four years late)."""
    from kpisheets.templates import TEMPLATE_NAMES, build_input_sheets

    if template not in TEMPLATE_NAMES:
        raise UsageError(f"Unknown template {template!r}; use one of {', '.join(TEMPLATE_NAMES)}.")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**SCRATCH_OPTIONS, "date_1904": date1904})
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
    # Whatever a refresh would refuse, init refuses before writing anything: the
    # same checks of the file first, and the result must read as a tracker.
    refuse_non_workbook(path)
    check_generated_names(path)
    present = {name.strip().lower() for name in existing_sheet_names(path)}
    missing = [name for name in INPUT_SHEETS if name.lower() not in present]
    if not missing:
        return []
    result = splice(
        path,
        input_sheets_package(template, reference, date1904=uses_1904_dates(path)),
        generated=False,
        sheets=missing,
        check=lambda written: reads_as_a_tracker(written, path.name),
    )
    return result.added


def reads_as_a_tracker(written: Path, name: str) -> None:
    """Read a just-initialised workbook as a refresh will (the splice calls this
    before the result replaces the user's file ``name``)."""
    from kpisheets.errors import NotATrackerError
    from kpisheets.read import read_workbook

    try:
        read_workbook(written)
    except NotATrackerError as exc:
        raise NotATrackerError(str(exc).replace(written.name, name)) from exc
