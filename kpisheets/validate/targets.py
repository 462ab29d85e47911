"""The Targets sheet: a target per KPI and period (KPI, Period, Target), overriding the
KPI's own Target for the period that holds the Period date (docs/workbook.md,
"Targets"). With a Segment the row is that segment's target only. A row with a
problem is left out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from kpisheets.model import (
    CellValue,
    Columns,
    RawTable,
    RawTracker,
    Severity,
    empty_target_columns,
)
from kpisheets.validate.cells import (
    BadCell,
    is_blank,
    kpi_key,
    parse_date,
    parse_number,
    plain_text,
)
from kpisheets.validate.kpis import KnownKpis
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import columns, require_columns, small_rows

TARGET_COLUMNS = ("kpi", "period", "target")


def check_targets(raw: RawTracker, log: ProblemLog, kpis: KnownKpis) -> Columns:
    """The good rows of ``raw``'s Targets sheet as columns (kpi, period, target, row,
    and segment when the sheet has that column: None for the KPI's own target)."""
    table = raw.tables.get("Targets")
    if table is None:
        return empty_target_columns()
    cols = columns(table)
    if not require_columns(log, table, cols, TARGET_COLUMNS, "error"):
        return empty_target_columns()
    kc, pc, tc = cols["kpi"], cols["period"], cols["target"]
    sc = cols.get("segment")
    rows: list[tuple[str, dt.date, float, int, str | None]] = []
    for i, get in small_rows(table, (kc, pc, tc) if sc is None else (kc, pc, tc, sc)):
        kpi_id = match_kpi(log, kpis, table, i, kc, get(kc))
        ok = kpi_id is not None
        try:
            if is_blank(get(pc)):
                raise BadCell(
                    "bad-date",
                    "The Period is blank.",
                    "Type any date inside the period the target is for, e.g. 2026-11-01.",
                )
            period = parse_date(get(pc), raw.date1904)
        except BadCell as bad:
            ok = False
            log.add_bad(bad, "error", table, i, pc, kpi=kpi_id)
        value = get(tc)
        try:
            if is_blank(value):
                raise BadCell(
                    "bad-number",
                    "The Target is blank, so this row is ignored.",
                    "Type the target, or delete the row.",
                )
            target = parse_number(value)
        except BadCell as bad:
            severity: Severity = "warning" if is_blank(value) else "error"
            log.add_bad(bad, severity, table, i, tc, kpi=kpi_id)
            ok = False
        segment = None
        if sc is not None and not is_blank(get(sc)):
            try:
                segment = plain_text(get(sc)) or None
            except BadCell as bad:  # an error cell: the row cannot say whose target it is
                log.add_bad(bad, "error", table, i, sc, kpi=kpi_id)
                ok = False
        if ok and kpi_id is not None:
            rows.append((kpi_id, period, target, table.row_numbers[i], segment))
    if not rows:
        return empty_target_columns()
    ids, periods, targets, numbers, segments = zip(*rows, strict=True)
    columns_found: Columns = {
        "kpi": np.array(ids, dtype=object),
        "period": np.array(periods, dtype="datetime64[D]"),
        "target": np.array(targets, dtype=np.float64),
        "row": np.array(numbers, dtype=np.int64),
    }
    if sc is not None:
        columns_found["segment"] = np.array(segments, dtype=object)
    return columns_found


def match_kpi(
    log: ProblemLog, kpis: KnownKpis, table: RawTable, i: int, c: int, value: CellValue
) -> str | None:
    """The KPIs sheet's spelling of the ID in a cell, or None after a problem
    (``empty-id``, ``unknown-kpi``, or the cell's own)."""
    try:
        kpi_id = kpi_key(value)
    except BadCell as bad:
        log.add_bad(bad, "error", table, i, c)
        return None
    if not kpi_id:
        log.add(
            "empty-id",
            "error",
            "The KPI cell is blank, so this row is ignored.",
            "Type the ID of a KPI from the KPIs sheet.",
            table,
            i,
            c,
        )
        return None
    facts = kpis.get(kpi_id)
    if facts is None:
        if kpis.usable:
            log.add("unknown-kpi", "error", *kpis.unknown_text(kpi_id), table, i, c, kpi=kpi_id)
        return None
    return facts.kpi.id
