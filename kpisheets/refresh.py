"""``kpisheets refresh``: read → validate → compute → lay out → write, into the file.

The generated sheets (Summary, History, Problems) are rendered by XlsxWriter into a
package in memory and spliced into the user's workbook (:mod:`kpisheets.write.package`):
only those sheets change, every other part of the file stays byte-identical, and the
write is atomic. Problems are not exceptions: they are on the Problems sheet and in
the returned result (the CLI prints them on stderr).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from kpisheets.errors import UsageError
from kpisheets.model import GENERATED_SHEETS
from kpisheets.read import cyclic_gc_paused
from kpisheets.result import Result
from kpisheets.write.package import (
    Package,
    SheetNameTakenError,
    ZipSource,
    check_not_open,
    splice,
)


def refuse_non_workbook(path: Path) -> None:
    """Raise :class:`~kpisheets.errors.NotATrackerError` with the reader's sentence
    (legacy .xls, OpenDocument, empty, damaged…, and what to do about it) before the
    splice opens a file that is not an .xlsx/.xlsm package."""
    from kpisheets.read.package import open_package, sniff

    sniff(path)
    open_package(path)


def check_generated_names(path: Path) -> None:
    """Refuse early (before reading a large file) when a user sheet has the name of a
    generated sheet; the splice checks again when it writes."""
    source = ZipSource(path=path)
    try:
        pkg = Package(source)
        owned = pkg.owned_sheet_indexes()
        generated = {n.lower(): n for n in GENERATED_SHEETS}
        for index, sheet in enumerate(pkg.sheets):
            ours = generated.get(sheet.name.strip().lower())
            if ours is not None and index not in owned:
                raise SheetNameTakenError(
                    f"The workbook already has a sheet called {sheet.name!r} that kpisheets "
                    "did not create; rename it (or delete it) so a refresh can write its "
                    f"{ours} sheet."
                )
    finally:
        source.close()


def render_generated_sheets(result: Result) -> bytes:
    """The Summary, History and Problems sheets of ``result`` as an .xlsx package."""
    from kpisheets.report import build_report
    from kpisheets.write.xlsx import render_report

    buffer = io.BytesIO()
    render_report(build_report(result), buffer)
    return buffer.getvalue()


def refresh_workbook(
    path: str | Path, as_of: dt.date | None = None, output: str | Path | None = None
) -> Result:
    """Compute the tracker at ``path`` and (re)write its generated sheets.

    With ``output`` the refreshed workbook is written there and ``path`` is only read.
    Raises :class:`~kpisheets.errors.WorkbookOpenError` when Excel has the file open,
    :class:`~kpisheets.errors.NotATrackerError` when it is not a tracker, and
    :class:`~kpisheets.write.package.SheetNameTakenError` when a sheet of the user's
    has the name of a generated sheet, and :class:`~kpisheets.errors.UsageError` when
    ``output`` has another suffix than ``path``; the file is untouched in every case.

    >>> result = refresh_workbook("tracker.xlsx", as_of=dt.date(2026, 11, 30))  # doctest: +SKIP
    >>> [p.code for p in result.problems]  # doctest: +SKIP
    []
    """
    from kpisheets.calc import compute
    from kpisheets.read import read_workbook
    from kpisheets.validate import validate

    path = Path(path)
    target = Path(output) if output is not None else path
    if target.suffix.lower() != path.suffix.lower():
        # Excel refuses a macro workbook named .xlsx (and the reverse), and a
        # workbook named .pdf is no PDF.
        raise UsageError(
            f"The refreshed copy {target.name} must be the same kind of file as "
            f"{path.name}: name it {target.stem}{path.suffix}; for a PDF, HTML, slides or CSV "
            "use `kpisheets export`."
        )
    check_not_open(path)
    check_not_open(target)
    refuse_non_workbook(path)
    check_generated_names(path)
    with cyclic_gc_paused():
        result = compute(validate(read_workbook(path)), as_of)
        splice(path, render_generated_sheets(result), target, generated=True)
    return result
