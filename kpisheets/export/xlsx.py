"""A summary-only workbook to email: the same Summary, History and Problems sheets
the refresh writes, without the KPIs, Entries, Targets and Settings they came from.

Built from :func:`kpisheets.report.build_report` with ``live_workbook=False`` — the
"Entries have changed since this refresh" formula would point at an Entries sheet
that is not in the file — and rendered by :func:`kpisheets.write.xlsx.render_report`.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from kpisheets.result import Result


def result_xlsx(result: Result, progress: Callable[[str], None] | None = None) -> bytes:
    """The workbook's bytes."""
    from kpisheets.report import build_report
    from kpisheets.write.xlsx import render_report

    say = progress or (lambda message: None)
    say("laying out the summary")
    report = build_report(result, live_workbook=False)
    say("writing the workbook")
    buffer = io.BytesIO()
    render_report(report, buffer)
    return buffer.getvalue()
