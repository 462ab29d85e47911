"""A summary-only workbook to email: the same Summary, History and Problems sheets
the refresh writes, without the KPIs, Entries, Targets and Settings they came from.

Built from :func:`kpisheets.report.build_report` with ``live_workbook=False`` — the
"Entries have changed since this refresh" formula would point at an Entries sheet
that is not in the file — and rendered by :func:`kpisheets.write.xlsx.render_report`.
The banner says what the file is — a copy of the figures — instead of the tracker's
"change the KPIs, Entries… sheets", which this file does not have.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from kpisheets.result import Result


def result_xlsx(result: Result, progress: Callable[[str], None] | None = None) -> bytes:
    """The workbook's bytes."""
    from kpisheets.report import BANNER_TEXT, build_report
    from kpisheets.write.xlsx import render_report

    say = progress or (lambda message: None)
    say("laying out the summary")
    report = build_report(result, live_workbook=False)
    banner = export_banner(result)
    for sheet in report.sheets:
        for merge in sheet.merges:
            if merge.value == BANNER_TEXT:
                merge.value = banner
    say("writing the workbook")
    buffer = io.BytesIO()
    render_report(report, buffer)
    return buffer.getvalue()


def export_banner(result: Result) -> str:
    """The first line of each sheet of the summary-only workbook.

    >>> # 'A copy of the figures of tracker.xlsx as of 20 Nov 2026, exported by kpisheets: …'
    """
    from pathlib import Path

    source = f" of {Path(result.source).name}" if result.source else ""
    return (
        f"A copy of the figures{source} as of {result.as_of.day} {result.as_of:%b %Y}, "
        "exported by kpisheets: edit the tracker it came from and export again."
    )
