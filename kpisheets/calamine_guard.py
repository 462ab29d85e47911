"""The boundary around python-calamine: a Rust panic becomes an ordinary exception,
and a workbook python-calamine refuses for a sheet kpisheets does not need is opened
without that sheet.

python-calamine is Rust. When its code meets input it does not expect (a package
whose parts sit at the root of the zip, a date-formatted cell holding −1e11) it
*panics*; PyO3 turns the panic into ``pyo3_runtime.PanicException``, which derives
from :class:`BaseException`, not :class:`Exception`, so ``except Exception`` (and
the CLI's last-resort handler) let it through as a traceback. Before that, Rust's
panic hook prints the panic message — and with ``RUST_BACKTRACE`` set, a whole
backtrace — straight onto file descriptor 2.

Every python-calamine call (the reader's, and the splice's check of what it wrote)
runs inside :func:`calamine_calls`: a panic is raised
again as :class:`ReaderPanic` (an ``Exception`` the readers turn into their
sentence or into a problem on a cell), and what Rust printed is kept off the
terminal. Anything else written to stderr meanwhile is passed on unchanged.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpisheets.opc import PackageZip, WorkbookPart, ZipSink
from kpisheets.xmltext import TextEdits


class ReaderPanic(Exception):  # noqa: N818 - named for what happened, like the library's
    """python-calamine panicked on this input (its message is the panic's)."""


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is PyO3's ``PanicException`` (its class cannot be imported:
    PyO3 creates it at run time in the ``pyo3_runtime`` pseudo-module)."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


_depth = 0
_panicked = False


def panic_caught(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic, noting it so that the stderr held by an enclosing
    :func:`calamine_calls` (Rust's message) is dropped. For code that reads past a
    panic itself instead of letting :func:`calamine_calls` convert it."""
    global _panicked
    if is_panic(exc):
        _panicked = True
        return True
    return False


@contextlib.contextmanager
def calamine_calls() -> Iterator[None]:
    """Run python-calamine calls: a panic becomes :class:`ReaderPanic`, and Rust's
    panic message does not reach the terminal. Nesting is harmless: the outermost
    level holds stderr, each level converts the panics raised inside it."""
    global _depth, _panicked
    outermost = _depth == 0
    if outermost:
        _panicked = False
    _depth += 1
    try:
        with _stderr_held() if outermost else contextlib.nullcontext(_Held()) as held:
            try:
                yield
            except BaseException as exc:
                if not is_panic(exc):
                    raise
                _panicked = True
                raise ReaderPanic(str(exc)) from None
            finally:
                held.discard = _panicked
    finally:
        _depth -= 1


class _Held:
    """What to do with the captured stderr once the calls are over."""

    discard = False


@contextlib.contextmanager
def _stderr_held() -> Iterator[_Held]:
    """Point file descriptor 2 at a temporary file while the body runs; afterwards
    write what was captured to the real stderr, unless told to discard it (after a
    panic it holds Rust's message and backtrace)."""
    held = _Held()
    fd = 2  # where Rust's panic hook writes, whatever sys.stderr is
    try:
        saved = os.dup(fd)
    except OSError:  # no file descriptor 2 (pythonw): nothing reaches a terminal
        yield held
        return
    with tempfile.TemporaryFile() as capture:
        _flush()
        os.dup2(capture.fileno(), fd)
        try:
            yield held
        finally:
            _flush()
            os.dup2(saved, fd)
            os.close(saved)
            if not held.discard:
                capture.seek(0)
                text = capture.read()
                if text:
                    os.write(fd, text)


def _flush() -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()


# Sheets python-calamine refuses to open a workbook with ("Unrecognized sheet type").
_UNREADABLE_SHEET_KINDS = ("xlMacrosheet", "xlIntlMacrosheet")


def open_calamine(path: Path, *, load_tables: bool = False) -> Any:
    """A python-calamine workbook of ``path``.

    python-calamine refuses a whole workbook that has an Excel 4.0 macro sheet; such
    a workbook is handed over as a copy in memory whose sheet list leaves those
    sheets out (every other part copied raw), so its other sheets read as usual.
    """
    from python_calamine import CalamineWorkbook

    with PackageZip(path) as z:
        workbook = WorkbookPart(z)
        hidden = [s for s in workbook.sheets if s.kind in _UNREADABLE_SHEET_KINDS]
        if not hidden:
            return CalamineWorkbook.from_path(str(path), load_tables=load_tables)
        edits = TextEdits(workbook.doc.text)
        for sheet in hidden:
            edits.replace(sheet.element.start, sheet.element.end, "")
        buffer = io.BytesIO()
        sink = ZipSink(buffer)
        for info in z.infos:
            if info.filename == workbook.part:
                sink.write(info.filename, workbook.encoding.encode(edits.apply()))
            else:
                sink.copy_raw(z, info.filename)
        sink.close()
    buffer.seek(0)
    return CalamineWorkbook.from_filelike(buffer, load_tables=load_tables)
