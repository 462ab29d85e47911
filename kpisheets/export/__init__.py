"""Meeting exports of a computed :class:`~kpisheets.result.Result`.

The format comes from the output file's suffix (:data:`KNOWN_SUFFIXES`). Every
export is built from the result (and, for ``.xlsx``, from the same report the
refresh writes), never by re-reading a rendered sheet. Each format's module is
imported only when it is used, so ``kpisheets --help`` stays instant.

>>> # export_result(kpisheets.status("tracker.xlsx"), Path("summary.pdf"))
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kpisheets.errors import UsageError

if TYPE_CHECKING:
    from kpisheets.result import Result

KNOWN_SUFFIXES: tuple[str, ...] = (".pdf", ".html", ".md", ".xlsx", ".pptx", ".csv", ".json")
PAPERS = ("a4", "letter")

# A stage callback: called with a short sentence ("page 2 of 5") as an export proceeds.
Progress = Callable[[str], None]


def export_format(fmt: str) -> str:
    """A format name as its suffix: ``"pdf"``, ``".PDF"`` → ``".pdf"``; raises
    :class:`~kpisheets.errors.UsageError` naming the known ones."""
    suffix = "." + fmt.strip().lower().lstrip(".")
    if suffix not in KNOWN_SUFFIXES:
        raise UsageError(
            f"Unknown export format {fmt!r}; use one of "
            f"{', '.join(s.lstrip('.') for s in KNOWN_SUFFIXES)}."
        )
    return suffix


def export_bytes(
    result: Result, format: str, *, paper: str = "a4", progress: Progress | None = None
) -> bytes:
    """The export of ``result`` in ``format`` (``"pdf"``, ``"html"``, ``"md"``,
    ``"xlsx"``, ``"pptx"``, ``"csv"``, ``"json"``) as bytes, e.g. for a web response
    or an email attachment. Text formats are UTF-8 (CSV with a byte-order mark).

    >>> # kpisheets.export_bytes(result, "html").decode("utf-8")
    """
    paper = paper.lower()
    if paper not in PAPERS:
        raise UsageError(f"Unknown paper size {paper!r}; use a4 or letter.")
    return _render(result, export_format(format), paper, progress or _silent)


def export(
    result: Result,
    out: str | os.PathLike[str] | BinaryIO,
    format: str | None = None,
    *,
    paper: str = "a4",
    progress: Progress | None = None,
) -> None:
    """Write the export of ``result`` to ``out``: a path (the format from its suffix
    unless ``format`` is given; written atomically) or a binary file object (then
    ``format`` is needed). ``kpisheets.export(result, "summary.pdf")`` calls this.

    >>> # kpisheets.export(result, "summary.pdf")
    >>> # with open("summary.html", "wb") as f: kpisheets.export(result, f, format="html")
    """
    if isinstance(out, str | os.PathLike):
        path = Path(out)
        suffix = export_format(format or path.suffix or "(no suffix)")
        paper = paper.lower()
        if paper not in PAPERS:
            raise UsageError(f"Unknown paper size {paper!r}; use a4 or letter.")
        _write_atomically(path, _render(result, suffix, paper, progress or _silent))
        return
    if format is None:
        raise UsageError(
            "A file object has no name to take the format from: pass format='pdf' (or "
            f"{', '.join(repr(s.lstrip('.')) for s in KNOWN_SUFFIXES[1:])})."
        )
    out.write(export_bytes(result, format, paper=paper, progress=progress))


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`export`: ``kpisheets.export(result, "a.pdf")``
    (``kpisheets.export`` is this package, so the call goes through here)."""

    def __call__(
        self,
        result: Result,
        out: str | os.PathLike[str] | BinaryIO,
        format: str | None = None,
        *,
        paper: str = "a4",
        progress: Progress | None = None,
    ) -> None:
        export(result, out, format, paper=paper, progress=progress)


sys.modules[__name__].__class__ = _CallableModule


def export_result(
    result: Result, out: Path | str, paper: str = "a4", progress: bool | Progress = False
) -> Path:
    """Write ``result`` to ``out`` in the format its suffix names; return the path.

    The file is written to a temporary file in the same folder and moved into place
    with ``os.replace``, so a failed export never leaves half a file behind.
    ``paper`` (``"a4"`` or ``"letter"``) applies to PDF. With ``progress`` a line per
    stage goes to stderr; a callable is called with each stage instead.

    Raises :class:`~kpisheets.errors.UsageError` for an unknown suffix or paper.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in KNOWN_SUFFIXES:
        raise UsageError(
            f"Unknown export format {out.suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(KNOWN_SUFFIXES)}."
        )
    paper = paper.lower()
    if paper not in PAPERS:
        raise UsageError(f"Unknown paper size {paper!r}; use a4 or letter.")
    report: Progress = _silent
    if callable(progress):
        report = progress
    elif progress:
        report = _stderr_progress(out.name)
    payload = _render(result, suffix, paper, report)
    _write_atomically(out, payload)
    report("done")
    return out


def _render(result: Result, suffix: str, paper: str, progress: Progress) -> bytes:
    """The bytes of the export; each format's module is imported on demand."""
    if suffix == ".csv":
        from kpisheets.export.tabular import result_csv

        # A byte-order mark so Excel opens accented and Polish/Japanese text as UTF-8.
        return result_csv(result).encode("utf-8-sig")
    if suffix == ".json":
        from kpisheets.export.tabular import result_json

        return result_json(result).encode("utf-8")
    if suffix == ".md":
        from kpisheets.export.markdown import result_markdown

        return result_markdown(result).encode("utf-8")
    if suffix == ".html":
        from kpisheets.export.html import result_html

        return result_html(result).encode("utf-8")
    if suffix == ".pdf":
        from kpisheets.export.pdf import result_pdf

        return result_pdf(result, paper=paper, progress=progress)
    if suffix == ".pptx":
        from kpisheets.export.pptx import result_pptx

        return result_pptx(result, progress=progress)
    from kpisheets.export.xlsx import result_xlsx

    return result_xlsx(result, progress=progress)


def _write_atomically(out: Path, payload: bytes) -> None:
    """Temp file beside ``out``, then ``os.replace``: readers never see half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix + ".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, _file_mode(out))  # mkstemp makes 0600; an export is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode(out: Path) -> int:
    """The mode a plain ``open(out, "w")`` would give: the old file's, else by umask."""
    try:
        return out.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _silent(message: str) -> None:
    """Progress sink that says nothing."""


def _stderr_progress(name: str) -> Progress:
    """Progress as one stderr line per stage, e.g. ``summary.pdf: page 2 of 5``."""

    def report(message: str) -> None:
        print(f"{name}: {message}", file=sys.stderr, flush=True)

    return report
