"""The Sources sheet: one row per feed, checked before anything is read.

Columns (matched case-insensitively; extra columns are kept and ignored): Source (a
unique name), KPI (an ID), Kind, Location, Date, Value (blank: count rows), Segment,
Filter. A row's problems carry its cell (``Sources!C5``) and a hint:

* ``duplicate-source`` — the Source name is blank or already used above;
* ``unknown-kpi`` — the KPI is not on the KPIs sheet;
* ``entry-for-formula-kpi`` — the KPI is computed by a Formula, so it takes no rows;
* ``bad-kind`` — the Kind is not one of csv, xlsx, parquet, json, hubspot, salesforce,
  ga4, sql;
* ``source-missing`` — the Location is blank;
* ``source-column`` — the Date column is blank;
* ``source-filter`` — the Filter cannot be read.

A row with any of these is not imported; the others are.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping
from typing import Any

from kpisheets.model import Aggregation, KpiDefinition, Problem, RawTable, normalise_name
from kpisheets.sources.filters import EXAMPLE, FilterSyntaxError, parse_filter
from kpisheets.sources.spec import (
    KINDS,
    SOURCE_COLUMN,
    SOURCE_COLUMNS,
    SOURCE_FILTER,
    SOURCE_MISSING,
    SourceSpec,
)

SOURCES_SHEET = "Sources"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_sources(
    table: RawTable | None, kpis: Mapping[str, KpiDefinition]
) -> tuple[list[SourceSpec], list[Problem]]:
    """The valid rows of the Sources sheet as :class:`SourceSpec`, and the problems.

    ``kpis`` maps a lower-case KPI ID to its definition. No sheet, or only blank rows:
    no sources and no problems.
    """
    if table is None or not table.headers:
        return [], []
    problems: list[Problem] = []
    columns = table.columns
    col = {name: columns.get(normalise_name(name)) for name in SOURCE_COLUMNS}
    needed = [n for n in ("Source", "KPI", "Kind", "Location", "Date") if col[n] is None]
    if needed:
        problems.append(
            Problem(
                code="missing-column",
                severity="error",
                message=f"The Sources sheet has no {', '.join(needed)} column, so no source "
                "is imported.",
                hint="Add the column header in the header row (case does not matter): "
                + ", ".join(SOURCE_COLUMNS)
                + ".",
                sheet=table.sheet,
                row=table.header_row,
            )
        )
        return [], problems

    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(table.rows):

        def value(name: str, row: list[Any] = row) -> str:
            c = col[name]
            return _text(row[c]) if c is not None and c < len(row) else ""

        if not any(value(n) for n in SOURCE_COLUMNS):
            continue  # a blank row
        excel_row = table.row_numbers[i]
        cells = {n: table.cell_ref(i, c) for n, c in col.items() if c is not None}

        def problem(
            code: str,
            column: str,
            message: str,
            hint: str,
            kpi: str | None = None,
            cells: dict[str, str] = cells,
            excel_row: int = excel_row,
        ) -> None:
            problems.append(
                Problem(
                    code=code,
                    severity="error",
                    message=message,
                    hint=hint,
                    sheet=table.sheet,
                    cell=cells.get(column),
                    column=column,
                    row=excel_row,
                    kpi=kpi,
                )
            )

        before = len(problems)
        name = value("Source")
        if not name:
            problem(
                "duplicate-source",
                "Source",
                "The Source cell is blank, so this row is not imported.",
                "Give every source a short unique name, e.g. hubspot-deals; the Imported "
                "sheet tells the rows of each source apart by it.",
            )
        elif normalise_name(name) in seen:
            problem(
                "duplicate-source",
                "Source",
                f"The source name {name!r} is already used on row {seen[normalise_name(name)]}, "
                "so this row is not imported.",
                "Give each row its own Source name.",
            )
        else:
            seen[normalise_name(name)] = excel_row

        kpi_text = value("KPI")
        kpi = kpis.get(kpi_text.lower()) if kpi_text else None
        if kpi is None:
            close = difflib.get_close_matches(kpi_text.lower(), list(kpis), n=1, cutoff=0.7)
            suggestion = f"Did you mean {kpis[close[0]].id}? " if close and kpi_text else ""
            problem(
                "unknown-kpi",
                "KPI",
                f"{kpi_text!r} is not an ID on the KPIs sheet, so the source {name or '(unnamed)'} "
                "is not imported."
                if kpi_text
                else "The KPI cell is blank, so this source is not imported.",
                suggestion + "Use an ID from the KPIs sheet (case does not matter).",
                kpi=kpi_text or None,
            )
        elif kpi.aggregation is Aggregation.FORMULA:
            problem(
                "entry-for-formula-kpi",
                "KPI",
                f"{kpi.id} is computed by its Formula, so the source {name} would add rows "
                "it never uses.",
                "Point the source at one of the KPIs the formula uses instead.",
                kpi=kpi.id,
            )

        kind = value("Kind").lower()
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.6) if kind else []
            problem(
                "bad-kind",
                "Kind",
                f"{value('Kind')!r} is not a Kind kpisheets can read."
                if kind
                else "The Kind cell is blank.",
                (f"Did you mean {close[0]}? " if close else "")
                + "Use one of: "
                + ", ".join(KINDS)
                + ".",
            )

        location = value("Location")
        if not location:
            problem(
                SOURCE_MISSING,
                "Location",
                f"The source {name or '(unnamed)'} has no Location.",
                "Write the file's path relative to the workbook's folder (exports/deals.csv, "
                "events/*.parquet), or for Kind sql the SELECT query.",
            )
        date = value("Date")
        if not date:
            problem(
                SOURCE_COLUMN,
                "Date",
                f"The source {name or '(unnamed)'} has no Date column.",
                "Name the column that holds each row's date, as its header reads in the "
                "file (GA4: Date or Nth day).",
            )
        flt = None
        filter_text = value("Filter")
        if filter_text:
            try:
                flt = parse_filter(filter_text)
            except FilterSyntaxError as exc:
                problem(
                    SOURCE_FILTER,
                    "Filter",
                    f"The Filter of {name or '(unnamed)'} cannot be read: {exc}",
                    f"Write conditions joined by and, e.g. {EXAMPLE}; quote values that "
                    "contain and, commas or parentheses.",
                )
        if len(problems) > before or kpi is None:
            continue
        specs.append(
            SourceSpec(
                name=name,
                kpi=kpi.id,
                kind=kind,
                location=location,
                date=date,
                value=value("Value") or None,
                segment=value("Segment") or None,
                filter=flt,
                row=excel_row,
                sheet=table.sheet,
                cells=cells,
            )
        )
    return specs, problems
