"""``kpisheets refresh`` and ``kpisheets import``: read → validate → (import) → compute →
lay out → write, into the file.

The generated sheets (Summary, History, Problems, and Snapshots with the earlier
snapshots read from the file kept) are rendered by XlsxWriter into a
package in memory and spliced into the user's workbook (:mod:`kpisheets.write.package`):
only those sheets change, every other part of the file stays byte-identical, and the
write is atomic. Problems are not exceptions: they are on the Problems sheet and in
the returned result (the CLI prints them on stderr).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kpisheets.errors import UsageError
from kpisheets.inputs import Source, as_date, is_file, workbook_path
from kpisheets.model import OWNED_SHEETS, Tracker, normalise_name
from kpisheets.opc import PackageZip
from kpisheets.read import cyclic_gc_paused
from kpisheets.result import Result
from kpisheets.write.package import (
    Package,
    SheetNameTakenError,
    check_not_open,
    splice,
)

if TYPE_CHECKING:
    from kpisheets.report_model import Report, SheetReport
    from kpisheets.reviews import Snapshot
    from kpisheets.sources import ImportOutcome, SourceSpec

# Called with what starts now ("Reading tracker.xlsx"), for a progress display.
Progress = Callable[[str], None]
# Given a source about to be read, a function to call with the share read so far (or
# None for no display).
SourceProgress = Callable[["SourceSpec"], Callable[[float], None] | None]


def _silent(message: str) -> None:
    """A progress sink that says nothing."""


def refuse_non_workbook(path: Path) -> None:
    """Raise :class:`~kpisheets.errors.NotATrackerError` with the reader's sentence
    (legacy .xls, OpenDocument, empty, damaged…, and what to do about it) before the
    splice opens a file that is not an .xlsx/.xlsm package."""
    from kpisheets.read.package import open_package, sniff

    sniff(path)
    open_package(path, verify=False)  # the splice checks every CRC as it copies


def check_generated_names(path: Path) -> None:
    """Refuse early (before reading a large file) when the splice cannot update the
    package (Strict Open XML…) or a user sheet has the name of a generated sheet; the
    splice checks again when it writes."""
    with PackageZip(path=path) as source:
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


def build_refresh_report(result: Result, snapshots: Sequence[Snapshot] = ()) -> Report:
    """Every sheet a refresh writes: Summary, History and Problems laid out from
    ``result``, then Snapshots with ``snapshots`` (earlier ones and this refresh's)."""
    from kpisheets.report import build_report, snapshots_sheet

    report = build_report(result)
    formats = {k.id.lower(): k.number_format for k in result.kpis}
    report.sheets.append(snapshots_sheet(snapshots, formats))
    return report


def render_generated_sheets(
    result: Result,
    snapshots: Sequence[Snapshot] = (),
    *,
    date_1904: bool = False,
    extra: Sequence[SheetReport] = (),
) -> bytes:
    """The sheets of :func:`build_refresh_report` (and ``extra`` ones, such as a new
    Imported sheet) as an .xlsx package, its dates in the date system of the workbook
    they go into."""
    from kpisheets.write.xlsx import render_report

    report = build_refresh_report(result, snapshots)
    report.sheets += list(extra)
    buffer = io.BytesIO()
    render_report(report, buffer, date_1904=date_1904)
    return buffer.getvalue()


def run_import(
    tracker: Tracker,
    folder: Path,
    source: str | None = None,
    progress: SourceProgress | None = None,
) -> ImportOutcome:
    """Import the tracker's Sources (or the one named ``source``) into ``tracker``: its
    entries then hold the new Imported rows, and the outcome's problems are added to
    its problems. Raises :class:`~kpisheets.errors.UsageError` for an unknown name."""
    from kpisheets.sources import import_sources
    from kpisheets.sources.imported import attach_imported, ordered

    try:
        outcome = import_sources(
            tracker.sources,
            tracker.imported,
            folder,
            database=tracker.settings.database,
            only=source,
            progress=progress,
            listed=tracker.source_names,
        )
    except KeyError:
        names = ", ".join(s.name for s in tracker.sources) or "none"
        raise UsageError(
            f"There is no source called {source!r} on the Sources sheet that can be imported "
            f"(sources: {names}); check the name, or run `kpisheets check` for problems on "
            "the Sources sheet."
        ) from None
    outcome.rows = ordered(outcome.rows)
    outcome.problems += attach_imported(tracker, outcome.rows)
    tracker.problems += outcome.problems
    return outcome


def import_workbook(
    path: str | Path, source: str | None = None, progress: SourceProgress | None = None
) -> ImportOutcome:
    """``kpisheets import``: read the Sources of the tracker at ``path`` and rewrite its
    Imported sheet; nothing else in the file changes (refresh to update the Summary).

    A source that fails keeps its earlier rows and is a problem in the outcome; the
    others are imported. The refusals are those of :func:`refresh_workbook`.
    """
    from kpisheets.read import read_workbook
    from kpisheets.report_model import Report
    from kpisheets.sources.imported import imported_sheet
    from kpisheets.validate import validate
    from kpisheets.write.xlsx import render_report

    path = Path(path)
    check_not_open(path)
    refuse_non_workbook(path)
    check_generated_names(path)
    with cyclic_gc_paused():
        raw = read_workbook(path)
        tracker = validate(raw)
        outcome = run_import(tracker, path.resolve().parent, source, progress)
        # What the user of `import` needs to see: the Sources sheet's own problems
        # (rows that were not imported) and the import's.
        checked = [
            p
            for p in tracker.problems
            if p not in outcome.problems
            and (normalise_name(p.sheet) == "sources" or p.code == "bad-database")
        ]
        outcome.problems = checked + outcome.problems
        buffer = io.BytesIO()
        render_report(Report(sheets=[imported_sheet(outcome.rows)]), buffer, date_1904=raw.date1904)
        splice(path, buffer.getvalue(), path, generated=True)
    return outcome


def refresh_workbook(
    path: str | Path,
    as_of: dt.date | None = None,
    output: str | Path | None = None,
    progress: Progress | None = None,
    *,
    import_sources: bool = False,
    source: str | None = None,
    source_progress: SourceProgress | None = None,
) -> Result:
    """Compute the tracker at ``path`` and (re)write its generated sheets.

    With ``output`` the refreshed workbook is written there and ``path`` is only read.
    Raises :class:`~kpisheets.errors.WorkbookOpenError` when Excel has the file open,
    :class:`~kpisheets.errors.NotATrackerError` when it is not a tracker, and
    :class:`~kpisheets.write.package.SheetNameTakenError` when a sheet of the user's
    has the name of a generated sheet, and :class:`~kpisheets.errors.UsageError` when
    ``output`` has another suffix than ``path``; the file is untouched in every case.
    ``progress`` is called with each stage as it starts ("Reading tracker.xlsx").
    With ``import_sources`` the Sources (or the one named ``source``) are imported
    first and the Imported sheet is rewritten in the same write; ``source_progress``
    shows how far a large source has been read.

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
        extra = []
        if import_sources:
            from kpisheets.sources.imported import imported_sheet

            say("Importing the sources")
            outcome = run_import(tracker, path.resolve().parent, source, source_progress)
            extra.append(imported_sheet(outcome.rows))
        say(f"Computing {len(tracker.kpis):,} KPIs")
        result = compute(tracker, as_of)
        snapshots = review(result, tracker)
        say("Laying out Summary, History, Problems and Snapshots")
        scratch = render_generated_sheets(result, snapshots, date_1904=date1904, extra=extra)
        say(f"Writing {target.name}")
        splice(path, scratch, target, generated=True)
    return result


def refresh_source(
    source: Source,
    as_of: dt.date | str | None = None,
    output: str | os.PathLike[str] | IO[bytes] | None = None,
) -> Result:
    """:func:`kpisheets.refresh`: :func:`refresh_workbook` for a path or a binary file
    object (copied to a temporary file, refreshed, and written back into the object or
    to ``output``)."""
    as_of = as_date(as_of, "as_of")
    if isinstance(source, str | os.PathLike) and not is_file(output):
        out = Path(output) if output is not None else None  # type: ignore[arg-type]
        return refresh_workbook(Path(source), as_of=as_of, output=out)
    with workbook_path(source) as path:
        target = path if output is None or is_file(output) else Path(output)  # type: ignore[arg-type]
        result = refresh_workbook(path, as_of=as_of, output=target)
        if target == path:
            sink: Any = output if output is not None else source
            with contextlib.suppress(AttributeError, OSError):
                sink.seek(0)
            sink.write(path.read_bytes())
            with contextlib.suppress(AttributeError, OSError):
                sink.truncate()
    return result


class _CallableModule(types.ModuleType):
    """``kpisheets.refresh(...)`` keeps working after this module is imported: Python
    then names the module ``kpisheets.refresh`` in place of the library function, so
    the module is callable as that function (:func:`kpisheets.refresh`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Result:
        return refresh_source(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
