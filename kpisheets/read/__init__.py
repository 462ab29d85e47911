"""Readers: turn a workbook into a :class:`~kpisheets.model.RawTracker`.

``read_workbook(path)`` reads a file through python-calamine
(:mod:`kpisheets.read.calamine`); :mod:`kpisheets.read.xlwings_reader` reads a
workbook open in Excel. Both keep every value's Excel location.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpisheets.model import RawTracker

__all__ = ["cyclic_gc_paused", "read_workbook"]


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of cells are read,
    validated and computed.

    Reading a large Entries sheet allocates millions of lists (none form reference
    cycles). With the collector running, each full collection rescans every one of
    them and finds nothing: at 1,000,000 entries one pass costs about 0.26 s. Wrap
    the whole read → validate → compute, not the read alone, or the collector runs
    as soon as it is re-enabled while the rows are still alive. Memory is still freed
    by reference counting; nesting is harmless and the previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_workbook(path: str | Path, *, strict: bool = True) -> RawTracker:
    """Read a tracker file; see :func:`kpisheets.read.calamine.read_workbook`.

    Raises :class:`~kpisheets.errors.NotATrackerError` with one sentence when the
    file cannot be a tracker (with ``strict=False`` a missing KPIs or Entries sheet
    is a ``missing-sheet`` problem instead).
    """
    from kpisheets.read.calamine import read_workbook as _read_workbook

    return _read_workbook(path, strict=strict)
