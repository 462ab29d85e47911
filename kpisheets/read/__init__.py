"""Readers: turn a workbook into a :class:`~kpisheets.model.RawTracker`.

``read_workbook(path)`` reads a file through python-calamine
(:mod:`kpisheets.read.calamine`); :mod:`kpisheets.read.xlwings_reader` reads a
workbook open in Excel. Both keep every value's Excel location.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpisheets.model import RawTracker

__all__ = ["read_workbook"]


def read_workbook(path: str | Path, *, strict: bool = True) -> RawTracker:
    """Read a tracker file; see :func:`kpisheets.read.calamine.read_workbook`.

    Raises :class:`~kpisheets.errors.NotATrackerError` with one sentence when the
    file cannot be a tracker (with ``strict=False`` a missing KPIs or Entries sheet
    is a ``missing-sheet`` problem instead).
    """
    from kpisheets.read.calamine import read_workbook as _read_workbook

    return _read_workbook(path, strict=strict)
