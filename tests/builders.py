"""Builders for test fixtures: trackers as objects, and tracker workbooks on disk.

Workbooks are written by XlsxWriter (a program other than kpisheets' reader), as
plain ranges or as Excel Tables; LibreOffice-made copies come from
``tests.libreoffice.convert(path, "xlsx", outdir)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from kpisheets.model import (
    DATE_DTYPE,
    Action,
    ActionStatus,
    Aggregation,
    Direction,
    Frequency,
    KpiDefinition,
    Settings,
    Tracker,
    empty_entries,
    empty_targets,
)


def kpi(kpi_id: str, **fields: Any) -> KpiDefinition:
    """A KPI definition with sensible defaults; strings accepted for enums.

    >>> kpi("SALES", target=100, aggregation="sum").aggregation
    <Aggregation.SUM: 'sum'>
    """
    if isinstance(fields.get("direction"), str):
        fields["direction"] = Direction(fields["direction"])
    if isinstance(fields.get("aggregation"), str):
        fields["aggregation"] = Aggregation(fields["aggregation"])
    if isinstance(fields.get("frequency"), str):
        fields["frequency"] = Frequency(fields["frequency"])
    fields.setdefault("name", kpi_id.title())
    return KpiDefinition(id=kpi_id, **fields)


def seg(date: Any, kpi_id: str, value: float | None, segment: str | None) -> tuple[Any, ...]:
    """An entry tuple with a Segment (no note, no By).

    >>> seg("2026-11-02", "SESSIONS", 120, "Mobile")
    ('2026-11-02', 'SESSIONS', 120, None, None, 'Mobile')
    """
    return (date, kpi_id, value, None, None, segment)


def action(kpi_id: str, text: str, **fields: Any) -> Action:
    """An Actions row; dates as ``date`` or ISO text, status as text.

    >>> action("SALES", "Call the top ten", due="2026-11-20", status="done").status
    <ActionStatus.DONE: 'done'>
    """
    for name in ("date", "due"):
        if isinstance(fields.get(name), str):
            fields[name] = dt.date.fromisoformat(fields[name])
    if isinstance(fields.get("status"), str):
        fields["status"] = ActionStatus(fields["status"].lower())
    return Action(kpi=kpi_id, action=text, **fields)


def tracker(
    kpis: Sequence[KpiDefinition],
    entries: Sequence[tuple[Any, ...]] = (),
    targets: Sequence[tuple[Any, ...]] = (),
    settings: Settings | None = None,
    actions: Sequence[Action] = (),
    **setting_fields: Any,
) -> Tracker:
    """A validated tracker built directly (no workbook).

    ``entries`` are ``(date, kpi, value[, note[, by[, segment]]])`` tuples (see
    :func:`seg`), dates as ``date`` or ISO text; ``targets`` are ``(kpi, period_date,
    target[, segment])``; ``actions`` are :func:`action` rows. Row numbers are
    assigned as if the rows started at Excel row 2.
    """
    frame = empty_entries()
    if entries:
        rows = []
        for i, e in enumerate(entries):
            date, kpi_id, value, *rest = e
            note = rest[0] if len(rest) > 0 else None
            by = rest[1] if len(rest) > 1 else None
            segment = rest[2] if len(rest) > 2 else None
            rows.append(
                {
                    "date": pd.Timestamp(date),
                    "kpi": kpi_id,
                    "value": float("nan") if value is None else float(value),
                    "note": note,
                    "by": by,
                    "segment": segment,
                    "row": i + 2,
                }
            )
        frame = pd.DataFrame(rows).astype({"date": DATE_DTYPE, "value": "float64", "row": "int64"})
    target_frame = empty_targets()
    if targets:
        target_frame = pd.DataFrame(
            [
                {
                    "kpi": t[0],
                    "period": pd.Timestamp(t[1]),
                    "target": float(t[2]),
                    "segment": t[3] if len(t) > 3 else None,
                    "row": i + 2,
                }
                for i, t in enumerate(targets)
            ]
        ).astype({"period": DATE_DTYPE, "target": "float64", "row": "int64"})
    for i, a in enumerate(actions):
        if a.row is None:
            a.row = i + 2
    for i, k in enumerate(kpis):
        if k.row is None:
            k.row = i + 2
    return Tracker(
        kpis=list(kpis),
        entries=frame,
        targets=target_frame,
        settings=settings or Settings(**setting_fields),
        entry_count=len(frame),
        actions=list(actions),
    )


def write_workbook(
    path: Path,
    sheets: dict[str, Sequence[Sequence[Any]]],
    as_tables: bool = False,
    date1904: bool = False,
) -> Path:
    """Write a workbook whose sheets are given as rows (the first row is the header).

    Dates (``datetime.date``) are written as real Excel dates; strings starting with
    ``=`` are written as *text*, never formulas. With ``as_tables`` each sheet's range
    becomes an Excel Table named after the sheet.

    >>> # write_workbook(tmp / "t.xlsx", {"KPIs": [["ID", "KPI"], ["S", "Sales"]], ...})
    """
    options: dict[str, Any] = {"strings_to_formulas": False, "strings_to_numbers": False}
    if date1904:
        options["date_1904"] = True
    book = xlsxwriter.Workbook(str(path), options)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        width = max((len(r) for r in rows), default=0)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime | dt.date):
                    sheet.write_datetime(r, c, value, date_fmt)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                else:
                    sheet.write_number(r, c, value)
        if as_tables and rows and width:
            headers = [{"header": str(h)} for h in rows[0]]
            sheet.add_table(
                0,
                0,
                max(len(rows) - 1, 1),
                width - 1,
                {"name": name.replace(" ", "_"), "columns": headers, "autofilter": True},
            )
    book.close()
    return path


KPI_HEADER = [
    "ID",
    "KPI",
    "Category",
    "Owner",
    "Unit",
    "Direction",
    "Aggregation",
    "Frequency",
    "Target",
]


def simple_tracker_sheets() -> dict[str, list[list[Any]]]:
    """A small valid tracker as sheet rows: three KPIs, a month of entries."""
    return {
        "KPIs": [
            KPI_HEADER,
            ["SALES", "Sales", "Revenue", "Ana", "$", "Higher is better", "Sum", "Month", 10000],
            [
                "CHURN",
                "Churn rate",
                "Customers",
                "Ben",
                "%",
                "Lower is better",
                "Average",
                "Month",
                0.05,
            ],
            ["NPS", "Net Promoter Score", "Customers", "Ben", "", "Higher", "NPS", "Quarter", 40],
        ],
        "Entries": [
            ["Date", "KPI", "Value", "Note", "By"],
            [dt.date(2026, 11, 2), "SALES", 2500, "Good start", "Ana"],
            [dt.date(2026, 11, 9), "SALES", 2000, None, "Ana"],
            [dt.date(2026, 11, 16), "SALES", 1500, "Slow week", "Ana"],
            [dt.date(2026, 11, 1), "CHURN", 0.04, None, "Ben"],
            [dt.date(2026, 11, 15), "CHURN", 0.06, None, "Ben"],
            [dt.date(2026, 10, 5), "NPS", 10, None, "Ben"],
            [dt.date(2026, 10, 6), "NPS", 9, None, "Ben"],
            [dt.date(2026, 11, 7), "NPS", 3, "Unhappy with support", "Ben"],
        ],
        "Targets": [["KPI", "Period", "Target"], ["SALES", dt.date(2026, 12, 1), 12000]],
        "Settings": [
            ["Setting", "Value"],
            ["Title", "Team KPIs"],
            ["As of", dt.date(2026, 11, 20)],
        ],
    }
