"""The Sources sheet (optional): one row per feed, checked before anything is read.

Columns (docs/sources.md): Source (a unique name), KPI (an ID), Kind, Location, Date,
Value (blank: count rows), Segment, Filter. A row with a problem is not imported; the
others are. Problems, each at its cell, all errors:

* ``duplicate-source`` — the Source name is blank or already used above;
* ``empty-id`` / ``unknown-kpi`` — the KPI is blank or not on the KPIs sheet;
* ``entry-for-formula-kpi`` — the KPI is computed by a Formula, so it takes no rows;
* ``bad-kind`` — the Kind is not csv, xlsx, parquet, json, hubspot, salesforce, ga4
  or sql;
* ``source-missing`` — the Location is blank;
* ``source-column`` — the Date column is blank;
* ``source-filter`` — the Filter cannot be read.

Whether the file, the columns and the database are really there is only known when a
source is read (``kpisheets import``): :mod:`kpisheets.sources` reports those.
"""

from __future__ import annotations

import difflib

from kpisheets.model import RawTracker, normalise_name
from kpisheets.sources.filters import EXAMPLE, FilterSyntaxError, parse_filter
from kpisheets.sources.spec import KINDS, SourceSpec
from kpisheets.validate.cells import text
from kpisheets.validate.kpis import KnownKpis
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import columns, require_columns, small_rows
from kpisheets.validate.targets import match_kpi

REQUIRED = ("source", "kpi", "kind", "location", "date")


def check_sources(
    raw: RawTracker, log: ProblemLog, kpis: KnownKpis
) -> tuple[list[SourceSpec], list[str]]:
    """The valid rows of the Sources sheet, and every Source name it lists (a source
    taken off the sheet loses its imported rows at the next full import, one with a
    problem keeps them). No sheet: no sources."""
    table = raw.tables.get("Sources")
    if table is None or not any(table.headers):
        return [], []
    cols = columns(table)
    if not require_columns(log, table, cols, REQUIRED, "error"):
        return [], []
    optional = {name: cols.get(name) for name in ("value", "segment", "filter")}
    specs: list[SourceSpec] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    known = [cols[n] for n in REQUIRED] + [c for c in optional.values() if c is not None]
    for i, get in small_rows(table, known):
        before = len(log.problems)
        name = text(get(cols["source"]))
        if name:
            names.append(name)
        if not name:
            log.add(
                "duplicate-source",
                "error",
                "The Source cell is blank, so this row is not imported.",
                "Give every source a short unique name, e.g. hubspot-won; the Imported "
                "sheet tells the rows of each source apart by it.",
                table,
                i,
                cols["source"],
            )
        elif normalise_name(name) in seen:
            log.add(
                "duplicate-source",
                "error",
                f"The source name {name!r} is already used on row "
                f"{table.row_numbers[seen[normalise_name(name)]]}, so this row is not imported.",
                "Give each row its own Source name.",
                table,
                i,
                cols["source"],
            )
        else:
            seen[normalise_name(name)] = i
        label = name or "(unnamed)"

        kpi_id = match_kpi(log, kpis, table, i, cols["kpi"], get(cols["kpi"]))
        facts = kpis.get(kpi_id) if kpi_id else None
        if facts is not None and facts.is_formula:
            log.add(
                "entry-for-formula-kpi",
                "error",
                f"{facts.kpi.id} is computed by its Formula, so the source {label} would add "
                "rows it never uses.",
                "Point the source at one of the KPIs the formula uses instead.",
                table,
                i,
                cols["kpi"],
                kpi=facts.kpi.id,
            )

        kind = text(get(cols["kind"])).lower()
        if kind not in KINDS:
            close = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.6) if kind else []
            log.add(
                "bad-kind",
                "error",
                f"{text(get(cols['kind']))!r} is not a Kind kpisheets can read, so the source "
                f"{label} is not imported."
                if kind
                else f"The Kind of the source {label} is blank.",
                (f"Did you mean {close[0]}? " if close else "")
                + "Use one of: "
                + ", ".join(KINDS)
                + ".",
                table,
                i,
                cols["kind"],
            )
        location = text(get(cols["location"]))
        if not location:
            log.add(
                "source-missing",
                "error",
                f"The source {label} has no Location.",
                "Write the file's path relative to the workbook's folder (exports/deals.csv, "
                "events/*.parquet), or for Kind sql the SELECT query.",
                table,
                i,
                cols["location"],
            )
        date = text(get(cols["date"]))
        if not date:
            log.add(
                "source-column",
                "error",
                f"The source {label} has no Date column.",
                "Name the column that holds each row's date, as its header reads in the "
                "file (GA4: Date or Nth day).",
                table,
                i,
                cols["date"],
            )
        flt = None
        filter_text = text(get(optional["filter"]))
        if filter_text:
            try:
                flt = parse_filter(filter_text)
            except FilterSyntaxError as exc:
                log.add(
                    "source-filter",
                    "error",
                    f"The Filter of the source {label} cannot be read: {exc}",
                    f"Write conditions joined by and, e.g. {EXAMPLE}; quote values that "
                    "contain and, commas or parentheses.",
                    table,
                    i,
                    optional["filter"],
                )
        if len(log.problems) > before or facts is None:
            continue
        specs.append(
            SourceSpec(
                name=name,
                kpi=facts.kpi.id,
                kind=kind,
                location=location,
                date=date,
                value=text(get(optional["value"])) or None,
                segment=text(get(optional["segment"])) or None,
                filter=flt,
                row=table.row_numbers[i],
                sheet=table.sheet,
                cells={column: table.cell_ref(i, c) for column, c in _cells(cols)},
            )
        )
    return specs, names


def _cells(cols: dict[str, int]) -> list[tuple[str, int]]:
    """(Sources column name as the problems call it, column index)."""
    names = {
        "source": "Source",
        "kpi": "KPI",
        "kind": "Kind",
        "location": "Location",
        "date": "Date",
        "value": "Value",
        "segment": "Segment",
        "filter": "Filter",
    }
    return [(names[key], c) for key, c in cols.items() if key in names]
