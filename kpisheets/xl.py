"""What Excel calls: the Refresh button, PDF export and KPI worksheet functions.

The workbook's Refresh button runs xlwings' ``RunPython "import tracker; tracker.main()"``
(the quickstart convention); ``tracker.py`` beside the workbook calls :func:`main`.
From Python, pass a workbook: ``kpisheets.xl.refresh(xw.Book("tracker.xlsx"))``.

Importing this module needs no Excel: on Linux ``import xlwings`` works and the
decorators below are no-ops; only calling into a workbook needs Excel.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlwings as xw

from kpisheets.errors import KpisheetsError, NotInExcelError

if TYPE_CHECKING:
    from kpisheets.result import Result

STATUS_PREFIX = "kpisheets: "


def caller_book() -> xw.Book:
    """The workbook that called Python (``xw.Book.caller()``), or a clear error."""
    try:
        return xw.Book.caller()
    except Exception as exc:  # xlwings raises a bare Exception (or AttributeError on Linux)
        raise NotInExcelError(
            "kpisheets.xl.refresh() was not called from Excel: use the workbook's Refresh "
            "button, pass a workbook (kpisheets.xl.refresh(xw.Book('tracker.xlsx'))), or "
            "run `kpisheets refresh tracker.xlsx` on a saved, closed file."
        ) from exc


def refresh(book: xw.Book | None = None, as_of: dt.date | str | None = None) -> Result:
    """Read the open workbook, compute, and rewrite Summary, History, Problems and
    Snapshots (earlier snapshots kept) in it.

    ``book`` defaults to the calling workbook. Nothing outside the generated sheets is
    changed. The outcome is summed up in Excel's status bar; returns the Result.
    Raises :class:`NotInExcelError` outside Excel and :class:`KpisheetsError` for a
    workbook that is not a tracker.
    """
    if book is None:
        book = caller_book()
    from kpisheets.calc import compute
    from kpisheets.read.xlwings_reader import read_book
    from kpisheets.refresh import build_refresh_report
    from kpisheets.reviews import review
    from kpisheets.validate import validate
    from kpisheets.write.excel import apply_report

    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    app = book.app
    app.status_bar = STATUS_PREFIX + "refreshing…"
    screen = _get(app, "screen_updating", True)
    _set(app, "screen_updating", False)
    try:
        tracker = validate(read_book(book))  # with the earlier snapshots (tracker.kept)
        result = compute(tracker, as_of)
        snapshots = review(result, tracker)
        notes = apply_report(book, build_refresh_report(result, snapshots))
    except BaseException:
        app.status_bar = False  # give the status bar back to Excel
        raise
    finally:
        _set(app, "screen_updating", screen)
    app.status_bar = status_message(result, notes)
    return result


def main() -> None:
    """The Refresh button's entry point (xlwings quickstart: ``tracker.main()``).

    Problems in the data go to the Problems sheet and the status bar; a workbook that
    cannot be refreshed at all gets a message box with one sentence.
    """
    book = caller_book()
    try:
        result = refresh(book)
    except KpisheetsError as exc:
        book.app.alert(str(exc), title="kpisheets", mode="critical")
        return
    errors = sum(1 for p in result.problems if p.severity == "error")
    if errors:
        book.app.alert(
            f"{errors} error{'s' if errors != 1 else ''} in the tracker: see the Problems "
            "sheet for each cell and how to fix it.",
            title="kpisheets",
            mode="info",
        )


def import_sources(
    book: xw.Book | None = None, source: str | None = None, as_of: dt.date | str | None = None
) -> Result:
    """Import the Sources of the open workbook into its Imported sheet, then refresh.

    The Import button's action. Locations are relative to the workbook's folder, so
    the workbook must have been saved once. A source that fails keeps its earlier rows
    and is listed on the Problems sheet; the others still import. ``source`` imports
    one source only. Returns the refreshed Result.
    """
    if book is None:
        book = caller_book()
    from kpisheets.calc import compute
    from kpisheets.read.xlwings_reader import read_book
    from kpisheets.refresh import build_refresh_report, run_import
    from kpisheets.reviews import review
    from kpisheets.sources.imported import imported_sheet
    from kpisheets.validate import validate
    from kpisheets.write.excel import apply_report

    full = Path(book.fullname)
    if not full.is_absolute():
        raise KpisheetsError(
            "Save the workbook first: the Sources' Locations are read relative to its folder."
        )
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    app = book.app
    app.status_bar = STATUS_PREFIX + "importing…"
    screen = _get(app, "screen_updating", True)
    _set(app, "screen_updating", False)
    try:
        tracker = validate(read_book(book))
        outcome = run_import(
            tracker,
            full.parent,
            source,
            progress=lambda spec: lambda share: _set_status(app, spec.name, share),
        )
        result = compute(tracker, as_of)
        report = build_refresh_report(result, review(result, tracker))
        report.sheets.append(imported_sheet(outcome.rows))
        notes = apply_report(book, report)
    except BaseException:
        app.status_bar = False
        raise
    finally:
        _set(app, "screen_updating", screen)
    imported = sum(outcome.imported.values())
    text = status_message(result, notes)
    app.status_bar = (
        f"{text}; imported {imported:,} daily rows from {len(outcome.imported)} source(s)"
        + (f", {len(outcome.failed)} failed" if outcome.failed else "")
    )
    return result


def _set_status(app: xw.App, name: str, share: float) -> None:
    with contextlib.suppress(Exception):
        app.status_bar = f"{STATUS_PREFIX}reading {name}: {share:.0%}"


def import_main() -> None:
    """The Import button's entry point: :func:`import_sources` on the calling workbook,
    with a message box for a failed source or a workbook that cannot be imported."""
    book = caller_book()
    try:
        result = import_sources(book)
    except KpisheetsError as exc:
        book.app.alert(str(exc), title="kpisheets", mode="critical")
        return
    failed = [p for p in result.problems if p.code.startswith("source-") and p.severity == "error"]
    if failed:
        book.app.alert(
            f"{len(failed)} source problem{'s' if len(failed) != 1 else ''}: see the Problems "
            "sheet; the sources that failed keep their earlier rows.",
            title="kpisheets",
            mode="info",
        )


def export_pdf(book: xw.Book | None = None, path: str | Path | None = None) -> Path:
    """Export the Summary sheet through Excel's own PDF export, next to the workbook.

    The default file is ``<workbook name> Summary.pdf`` in the workbook's folder.
    """
    if book is None:
        book = caller_book()
    names = [s.name for s in book.sheets]
    summary = next((n for n in names if n.strip().lower() == "summary"), None)
    if summary is None:
        raise KpisheetsError("There is no Summary sheet yet: press Refresh first.")
    if path is None:
        full = Path(book.fullname)
        if not full.parent or str(full.parent) in ("", "."):
            raise KpisheetsError("Save the workbook first: the PDF is written next to it.")
        path = full.parent / f"{full.stem} Summary.pdf"
    path = Path(path)
    book.to_pdf(str(path), include=[summary])
    book.app.status_bar = f"{STATUS_PREFIX}Summary exported to {path}"
    return path


def status_message(result: Result, notes: list[str] | None = None) -> str:
    """One status-bar line: KPI count, as-of date, statuses, problems, skipped parts.

    >>> # 'kpisheets: 12 KPIs as of 2026-11-20 — 7 on track, 3 at risk, 2 off track;
    >>> #  1 error, 2 warnings (see Problems)'
    """
    from kpisheets.model import Status

    counts = {s: 0 for s in Status}
    for k in result.kpis:
        counts[k.status] += 1
    statuses = ", ".join(f"{n} {s.label.lower()}" for s, n in counts.items() if n)
    errors = sum(1 for p in result.problems if p.severity == "error")
    warnings = len(result.problems) - errors
    n = len(result.kpis)
    text = f"{STATUS_PREFIX}{n} KPI{'s' if n != 1 else ''} as of {result.as_of.isoformat()}"
    if statuses:
        text += f" — {statuses}"
    if errors or warnings:
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        text += f"; {', '.join(parts)} (see Problems)"
    else:
        text += "; no problems"
    if notes:
        text += "; skipped: " + "; ".join(notes)
    return text


def _get(app: xw.App, name: str, default: Any) -> Any:
    try:
        return getattr(app, name)
    except NotImplementedError:
        return default


def _set(app: xw.App, name: str, value: Any) -> None:
    with contextlib.suppress(NotImplementedError):
        setattr(app, name, value)


# ---------------------------------------------------------------------------
# Worksheet functions (xlwings UDFs). Blank inputs give a blank result.


def _number(x: Any) -> float | None:
    if x is None or x == "":
        return None
    if isinstance(x, bool):
        raise ValueError(f"{x!r} is not a number")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{x!r} is not a number") from None


@xw.func
@xw.arg("actual", numbers=float)
@xw.arg("target", numbers=float)
def KPI_ACHIEVEMENT(  # noqa: N802 - Excel function names are upper case
    actual: Any, target: Any, direction: Any = "Higher is better", baseline: Any = None
) -> float | None:
    """% of target of ``actual`` against ``target`` (docs/arithmetic.md), as a fraction.

    ``=KPI_ACHIEVEMENT(B2, C2)``, ``=KPI_ACHIEVEMENT(B2, C2, "Lower is better")``,
    ``=KPI_ACHIEVEMENT(B2, C2, "higher", 0)`` (from a baseline).
    """
    from kpisheets.calc import achievement

    return achievement(
        _number(actual), _number(target), direction or "higher", baseline=_number(baseline)
    )


@xw.func
def KPI_STATUS(  # noqa: N802
    actual: Any,
    target: Any,
    direction: Any = "Higher is better",
    baseline: Any = None,
    green_at: Any = None,
    amber_at: Any = None,
    tolerance: Any = None,
) -> str | None:
    """The status label (On track, At risk, Off track, No data, No target) of
    ``actual`` against ``target``: ``=KPI_STATUS(B2, C2, "Lower is better")``.

    Green at and Amber at are fractions (default 100% and 90%); ``Within range``
    uses ``tolerance``. Blank actual is No data, blank target No target.
    """
    from kpisheets.calc import achievement, range_status, score_status
    from kpisheets.calc.arithmetic import as_direction
    from kpisheets.model import Direction, Status

    x, t = _number(actual), _number(target)
    d = as_direction(direction or "higher")
    if d is Direction.RANGE:
        return range_status(x, t, _number(tolerance)).label
    if x is None:
        return Status.NO_DATA.label
    if t is None:
        return Status.NO_TARGET.label
    score = achievement(x, t, d, baseline=_number(baseline))
    return score_status(score, _number(green_at), _number(amber_at)).label


@xw.func
@xw.arg("scores", ndim=1)
def KPI_NPS(scores: Any) -> float | None:  # noqa: N802
    """Net Promoter Score of a range of 0–10 scores: ``=KPI_NPS(D2:D200)``.

    Blanks, text and scores outside 0–10 are left out; no scores gives a blank.
    """
    from kpisheets.calc import nps

    if not isinstance(scores, list | tuple):
        scores = [scores]
    flat: list[Any] = []
    for s in scores:
        flat.extend(s if isinstance(s, list | tuple) else [s])
    numbers = [float(s) for s in flat if isinstance(s, int | float) and not isinstance(s, bool)]
    return nps(numbers)
