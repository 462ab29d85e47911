"""``kpisheets refresh``: read → validate → compute → lay out → write, into the file.

The generated sheets (Summary, History, Problems, and Snapshots with the earlier
snapshots read from the file kept) are rendered by XlsxWriter into a
package in memory and spliced into the user's workbook (:mod:`kpisheets.write.package`):
only those sheets change, every other part of the file stays byte-identical, and the
write is atomic. Problems are not exceptions: they are on the Problems sheet and in
the returned result (the CLI prints them on stderr).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kpisheets.errors import UsageError
from kpisheets.model import OWNED_SHEETS
from kpisheets.read import cyclic_gc_paused
from kpisheets.result import Result
from kpisheets.write.package import (
    Package,
    SheetNameTakenError,
    ZipSource,
    check_not_open,
    splice,
)

if TYPE_CHECKING:
    from kpisheets.report_model import Report
    from kpisheets.reviews import Snapshot

# Called with what starts now ("Reading tracker.xlsx"), for a progress display.
Progress = Callable[[str], None]


def _silent(message: str) -> None:
    """A progress sink that says nothing."""


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
        generated = {n.lower(): n for n in OWNED_SHEETS}
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


def build_refresh_report(result: Result, snapshots: Sequence[Snapshot] = ()) -> Report:
    """Every sheet a refresh writes: Summary, History and Problems laid out from
    ``result``, then Snapshots with ``snapshots`` (earlier ones and this refresh's)."""
    from kpisheets.report import build_report, snapshots_sheet

    report = build_report(result)
    formats = {k.id.lower(): k.number_format for k in result.kpis}
    report.sheets.append(snapshots_sheet(snapshots, formats))
    return report


def render_generated_sheets(
    result: Result, snapshots: Sequence[Snapshot] = (), *, date_1904: bool = False
) -> bytes:
    """The sheets of :func:`build_refresh_report` as an .xlsx package, its dates in
    the date system of the workbook they go into."""
    from kpisheets.write.xlsx import render_report

    buffer = io.BytesIO()
    render_report(build_refresh_report(result, snapshots), buffer, date_1904=date_1904)
    return buffer.getvalue()


def refresh_workbook(
    path: str | Path,
    as_of: dt.date | None = None,
    output: str | Path | None = None,
    progress: Progress | None = None,
) -> Result:
    """Compute the tracker at ``path`` and (re)write its generated sheets.

    With ``output`` the refreshed workbook is written there and ``path`` is only read.
    Raises :class:`~kpisheets.errors.WorkbookOpenError` when Excel has the file open,
    :class:`~kpisheets.errors.NotATrackerError` when it is not a tracker, and
    :class:`~kpisheets.write.package.SheetNameTakenError` when a sheet of the user's
    has the name of a generated sheet, and :class:`~kpisheets.errors.UsageError` when
    ``output`` has another suffix than ``path``; the file is untouched in every case.
    ``progress`` is called with each stage as it starts ("Reading tracker.xlsx").

    >>> result = refresh_workbook("tracker.xlsx", as_of=dt.date(2026, 11, 30))  # doctest: +SKIP
    >>> [p.code for p in result.problems]  # doctest: +SKIP
    []
    """
    from kpisheets.calc import compute
    from kpisheets.read import read_workbook
    from kpisheets.reviews import review
    from kpisheets.validate import validate

    say = progress or _silent
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
        say(f"Reading {path.name}")
        raw = read_workbook(path)
        entries = raw.tables.get("Entries")
        say(f"Checking {len(entries.rows) if entries else 0:,} entries")
        date1904 = raw.date1904
        tracker = validate(raw)
        del raw, entries  # a million raw cells need not live through compute and the splice
        say(f"Computing {len(tracker.kpis):,} KPIs")
        result = compute(tracker, as_of)
        snapshots = review(result, tracker)
        say("Laying out Summary, History, Problems and Snapshots")
        scratch = render_generated_sheets(result, snapshots, date_1904=date1904)
        say(f"Writing {target.name}")
        splice(path, scratch, target, generated=True)
    return result
