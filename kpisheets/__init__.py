"""kpisheets: a team's KPI tracker in an ordinary Excel workbook.

The library API (the CLI and the Excel button are thin shells over it)::

    import kpisheets
    tracker = kpisheets.load("tracker.xlsx")          # read + validate
    result = kpisheets.compute(tracker, as_of="2026-11-28")
    result.kpis[0].status, result.to_frame(), result.to_dict()
    kpisheets.refresh("tracker.xlsx")                 # write Summary, History, Problems
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from kpisheets.errors import KpisheetsError, NotATrackerError
from kpisheets.model import Problem, Status, Tracker

if TYPE_CHECKING:
    from kpisheets.result import Result

__version__ = "0.1.0"

__all__ = [
    "KpisheetsError",
    "NotATrackerError",
    "Problem",
    "Status",
    "Tracker",
    "compute",
    "load",
    "refresh",
    "status",
]


def load(path: str | Path) -> Tracker:
    """Read and validate a tracker workbook. Problems are in ``tracker.problems``.

    Raises :class:`NotATrackerError` when the file cannot be a tracker at all.
    """
    from kpisheets.read import cyclic_gc_paused, read_workbook
    from kpisheets.validate import validate

    with cyclic_gc_paused():  # the reader's millions of rows hold no cycles
        return validate(read_workbook(path))


def compute(
    tracker: Tracker, as_of: dt.date | str | None = None, since: dt.date | str | None = None
) -> Result:
    """Every figure of docs/arithmetic.md at ``as_of`` (default: Settings › As of, else
    today), and ``result.since``: what changed since the last review on the tracker's
    Snapshots sheet, or since the snapshot of the date ``since``."""
    # The arithmetic lives in ``kpisheets.calc`` (not ``kpisheets.compute``: importing a
    # subpackage of that name would replace this function on the package).
    from kpisheets.calc import compute as _compute
    from kpisheets.reviews import review

    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if isinstance(since, str):
        since = dt.date.fromisoformat(since)
    result = _compute(tracker, as_of)
    review(result, tracker, on=since)
    return result


def status(
    path: str | Path, as_of: dt.date | str | None = None, since: dt.date | str | None = None
) -> Result:
    """Load and compute in one call."""
    from kpisheets.read import cyclic_gc_paused

    with cyclic_gc_paused():
        return compute(load(path), as_of, since)


def refresh(
    path: str | Path, as_of: dt.date | str | None = None, output: str | Path | None = None
) -> Result:
    """Compute and write Summary, History and Problems into the workbook (or ``output``).

    Only the generated sheets change; every other part of the file stays byte-identical.
    """
    from kpisheets.refresh import refresh_workbook

    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return refresh_workbook(Path(path), as_of=as_of, output=Path(output) if output else None)
