"""kpisheets: a team's KPI tracker in an ordinary Excel workbook.

The library API (the CLI and the Excel button are thin shells over it)::

    import kpisheets
    tracker = kpisheets.load("tracker.xlsx")          # read + validate
    result = kpisheets.compute(tracker, as_of="2026-11-28")
    result.kpis[0].status, result.to_frame(), result.history_frame(), result.to_dict()
    kpisheets.refresh("tracker.xlsx")                 # write the generated sheets
    kpisheets.export(result, "summary.pdf")           # or export_bytes(result, "html")
"""

from __future__ import annotations

import datetime as dt
import os
from typing import IO, TYPE_CHECKING, BinaryIO

from kpisheets.errors import DateError, KpisheetsError, NotATrackerError
from kpisheets.inputs import Source, as_date, workbook_path
from kpisheets.model import Problem, Status, Tracker

if TYPE_CHECKING:
    from kpisheets.export import Progress
    from kpisheets.result import Result

__version__ = "0.1.0"

__all__ = [
    "DateError",
    "KpisheetsError",
    "NotATrackerError",
    "Problem",
    "Status",
    "Tracker",
    "compute",
    "export",
    "export_bytes",
    "load",
    "refresh",
    "status",
]


def load(source: Source) -> Tracker:
    """Read and validate a tracker workbook — a path or a binary file object opened
    with ``"rb"``. Problems are in ``tracker.problems``.

    Raises :class:`NotATrackerError` when the file cannot be a tracker at all.
    """
    from kpisheets.read import cyclic_gc_paused, read_workbook
    from kpisheets.validate import validate

    with workbook_path(source) as path, cyclic_gc_paused():
        # The reader's millions of rows hold no cycles.
        tracker = validate(read_workbook(path))
    if not isinstance(source, str | os.PathLike):
        tracker.path = (
            getattr(source, "name", None)
            if isinstance(getattr(source, "name", None), str)
            else None
        )
    return tracker


def compute(
    tracker: Tracker, as_of: dt.date | str | None = None, since: dt.date | str | None = None
) -> Result:
    """Every figure of docs/arithmetic.md at ``as_of`` (default: Settings › As of, else
    today), and ``result.since``: what changed since the last review on the tracker's
    Snapshots sheet, or since the snapshot of the date ``since``.

    Dates are ``datetime.date`` objects or ISO text (``"2026-11-28"``, or ``"today"``);
    anything else raises :class:`DateError` listing those forms.
    """
    # The arithmetic lives in ``kpisheets.calc`` (not ``kpisheets.compute``: importing a
    # subpackage of that name would replace this function on the package).
    from kpisheets.calc import compute as _compute
    from kpisheets.reviews import review

    result = _compute(tracker, as_date(as_of, "as_of"))
    review(result, tracker, on=as_date(since, "since"))
    return result


def status(
    source: Source, as_of: dt.date | str | None = None, since: dt.date | str | None = None
) -> Result:
    """Load and compute in one call; ``source`` is a path or a binary file object."""
    from kpisheets.read import cyclic_gc_paused

    as_of, since = as_date(as_of, "as_of"), as_date(since, "since")  # fail before reading
    with cyclic_gc_paused():
        return compute(load(source), as_of, since)


def refresh(
    source: Source,
    as_of: dt.date | str | None = None,
    output: str | os.PathLike[str] | IO[bytes] | None = None,
) -> Result:
    """Compute and write the generated sheets into the workbook (or ``output``).

    Only the generated sheets change; every other part of the file stays byte-identical.
    ``source`` and ``output`` may be binary file objects: a refreshed copy is written to
    ``output``, or back into ``source`` (which must then be writable and seekable, such
    as a ``BytesIO``).
    """
    from kpisheets.refresh import refresh_source

    return refresh_source(source, as_of, output)


def export(
    result: Result,
    out: str | os.PathLike[str] | BinaryIO,
    format: str | None = None,
    *,
    paper: str = "a4",
    progress: Progress | None = None,
) -> None:
    """Write ``result`` as a meeting summary to a path (format from its suffix) or a
    binary file object (``format="pdf"``…); see :func:`kpisheets.export.export`.

    Once the export package (``kpisheets.export``) has been imported, the name refers
    to the package, which is callable the same way.
    """
    from kpisheets.export import export as _export

    _export(result, out, format, paper=paper, progress=progress)


def export_bytes(
    result: Result, format: str, *, paper: str = "a4", progress: Progress | None = None
) -> bytes:
    """The export of ``result`` in ``format`` (``"pdf"``, ``"html"``, ``"md"``,
    ``"xlsx"``, ``"pptx"``, ``"csv"``, ``"json"``) as bytes."""
    from kpisheets.export import export_bytes as _export_bytes

    return _export_bytes(result, format, paper=paper, progress=progress)
