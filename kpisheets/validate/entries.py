"""The Entries sheet: one value a row (Date, KPI, Value, and optionally Note and By).

The sheet can hold a million rows, so it is checked column by column with numpy:
dates and KPI IDs repeat, so each *distinct* value is interpreted once and the answer
spread back with an index array; numbers take a vectorised fast path. Each rule is
then a boolean mask over all rows, and per-row Python work happens only for the
first rows a rule catches (the ones listed as problems; the rest are counted).
A row with an error-level problem is left out of the entries (docs/workbook.md,
"Entries").
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from kpisheets.model import CellValue, RawTable, RawTracker, Severity, empty_entries
from kpisheets.read import cyclic_gc_paused
from kpisheets.validate.cells import (
    ENTRY_DATE_HINT,
    BadCell,
    is_blank,
    kpi_key,
    parse_date,
    parse_number,
    refuse_special,
    shown,
    text,
)
from kpisheets.validate.kpis import KnownKpis, KpiFacts
from kpisheets.validate.problems import MAX_PROBLEMS_PER_CODE, ProblemLog
from kpisheets.validate.tables import columns, require_columns, reveal

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
ENTRY_COLUMNS = ("date", "kpi", "value", "note", "by")


def check_entries(raw: RawTracker, log: ProblemLog, kpis: KnownKpis) -> tuple[pd.DataFrame, int]:
    """The good rows of ``raw``'s Entries sheet as a frame (date, kpi, value, note, by,
    row) and the number of non-blank rows."""
    table = raw.tables.get("Entries")
    if table is None:
        return empty_entries(), 0
    cols = columns(table)
    if not require_columns(log, table, cols, ("date", "kpi", "value"), "error"):
        return empty_entries(), 0
    # A million-row column makes millions of objects; the cyclic garbage collector
    # would rescan them again and again while nothing here forms a cycle.
    with cyclic_gc_paused():
        return _EntriesCheck(log, kpis, table, cols, raw.date1904).run()


def objects(column: list[CellValue]) -> np.ndarray:
    """A list as a 1-D object array (``np.fromiter`` is ~8× faster than ``np.array``
    here, which first looks into every element for nested sequences)."""
    return np.fromiter(column, dtype=object, count=len(column))


@dataclass
class _Dates:
    """The Date column: per row the day (days since 1970) and whether it is blank;
    ``codes`` index each row's cell in ``uniques``, ``bad_u`` marks the distinct
    values that are no date."""

    day: np.ndarray
    blank: np.ndarray
    bad_u: np.ndarray
    codes: np.ndarray
    uniques: list[CellValue]


@dataclass
class _Ids:
    """The KPI column, resolved once per distinct value: ``canon_u`` is the KPIs
    sheet's spelling (None when unknown), ``errors_u`` an error cell's problem; the
    masks are per row."""

    blank: np.ndarray
    codes: np.ndarray
    uniques: list[CellValue]
    canon_u: np.ndarray
    errors_u: list[BadCell | None]
    known: np.ndarray
    is_count: np.ndarray
    is_nps: np.ndarray
    is_formula: np.ndarray

    def kpi(self, r: int) -> str | None:
        """The KPI ID of row ``r`` as the KPIs sheet spells it."""
        kpi_id: str | None = self.canon_u[self.codes[r]]
        return kpi_id


@dataclass
class _Values:
    """The Value column: numbers (NaN where none), blank cells, and cells that are
    neither (text that is no number, non-finite numbers)."""

    cells: list[CellValue]
    number: np.ndarray
    blank: np.ndarray
    other: np.ndarray


class _RowProblem(NamedTuple):
    row: int
    column: int
    code: str
    severity: Severity
    message: str
    hint: str
    kpi: str | None


class _EntriesCheck:
    """Validate the Entries sheet with numpy over whole columns."""

    def __init__(
        self,
        log: ProblemLog,
        kpis: KnownKpis,
        table: RawTable,
        cols: dict[str, int],
        date1904: bool,
    ) -> None:
        self.log = log
        self.kpis = kpis
        self.table = table
        self.cols = cols
        self.date1904 = date1904
        self.n = len(table.rows)
        self.found: list[_RowProblem] = []

    def column(self, name: str) -> list[CellValue] | None:
        """The cells of column ``name``, one per row (None: no such column)."""
        c = self.cols.get(name)
        if c is None:
            return None
        rows = self.table.rows
        try:
            return [r[c] for r in rows]
        except IndexError:  # ragged rows from a hand-built table
            return [r[c] if c < len(r) else None for r in rows]

    def run(self) -> tuple[pd.DataFrame, int]:
        """The entries frame and the number of non-blank rows; problems go to the log."""
        if self.n == 0:
            return empty_entries(), 0
        dates = self.dates(self.column("date") or [])
        ids = self.resolve(self.column("kpi") or [])
        values = self.numbers(self.column("value") or [])
        note, note_blank = self.texts(self.column("note"))
        by, by_blank = self.texts(self.column("by"))

        rows = ~(dates.blank & ids.blank & values.blank & note_blank & by_blank)
        entry_count = int(rows.sum())
        # Cells that read blank may be Excel errors or uncalculated formulas: look
        # them up in the file only when a needed cell is blank (or the sheet is small).
        needed_blank = rows & (dates.blank | ids.blank | values.blank)
        hidden_bad = np.zeros(self.n, dtype=bool)
        if needed_blank.any() or self.n <= 50_000:
            entry_count += self.hidden_cells(rows, hidden_bad, note, by)

        live = rows & ~hidden_bad
        bad_date = self.date_problems(live, dates)
        self.kpi_problems(live, ids)
        self.formula_kpi_problems(live, ids)
        checked = live & ids.known & ~ids.is_formula
        bad_value = self.value_problems(checked, ids, values)
        # The rules ran column by column; list their problems row by row, as a
        # person reads the sheet.
        for p in sorted(self.found, key=lambda p: (p.row, p.column, p.code)):
            self.log.add(
                p.code, p.severity, p.message, p.hint, self.table, p.row, p.column, kpi=p.kpi
            )

        good = checked & ~bad_date & ~bad_value
        return self.frame(good, dates.day, ids, values.number, note, by), entry_count

    # The rules -------------------------------------------------------------

    def hidden_cells(
        self, rows: np.ndarray, hidden_bad: np.ndarray, note: np.ndarray, by: np.ndarray
    ) -> int:
        """Problems for the blank-looking cells that hold an Excel error or a formula
        without a result: an error in Date, KPI or Value (``hidden_bad`` marks the row
        left out), a warning in Note or By (read as blank). A row blank but for such a
        cell is still a row: it is marked in ``rows`` and counted in the return value."""
        cols, added = self.cols, 0
        for (r, c), value in sorted(reveal(self.table).items()):
            if not rows[r] and not hidden_bad[r]:
                rows[r] = True
                added += 1
            try:
                refuse_special(value)
            except BadCell as bad:
                needed = c in (cols["date"], cols["kpi"], cols["value"])
                self.log.add_bad(bad, "error" if needed else "warning", self.table, r, c)
                if needed:
                    hidden_bad[r] = True
                elif c == cols.get("note"):
                    note[r] = None
                elif c == cols.get("by"):
                    by[r] = None
        return added

    def date_problems(self, live: np.ndarray, dates: _Dates) -> np.ndarray:
        """``bad-date`` for a blank Date or one that is no date; returns those rows."""
        bad_date = live & (dates.bad_u[dates.codes] | dates.blank)
        date_col = self.cols["date"]
        for r in self.first(bad_date, "bad-date"):
            if dates.blank[r]:
                self.found.append(
                    _RowProblem(
                        r,
                        date_col,
                        "bad-date",
                        "error",
                        "The Date is blank, so this entry is ignored.",
                        ENTRY_DATE_HINT,
                        None,
                    )
                )
                continue
            u = dates.uniques[dates.codes[r]] if dates.codes[r] >= 0 else None
            try:
                parse_date(u, self.date1904)
            except BadCell as bad:
                self.found.append(
                    _RowProblem(r, date_col, bad.code, "error", bad.message, bad.hint, None)
                )
        return bad_date

    def kpi_problems(self, live: np.ndarray, ids: _Ids) -> None:
        """``empty-id``, an error cell's problem, or ``unknown-kpi`` for each row whose
        KPI is not on the KPIs sheet (none when that sheet is unusable)."""
        if not self.kpis.usable:
            return
        kpi_col = self.cols["kpi"]
        for r in self.first(live & ~ids.known, "kpi"):
            j = ids.codes[r]
            if ids.blank[r] or j < 0:
                self.found.append(
                    _RowProblem(
                        r,
                        kpi_col,
                        "empty-id",
                        "error",
                        "The KPI cell is blank, so this entry is ignored.",
                        "Type the ID of a KPI from the KPIs sheet.",
                        None,
                    )
                )
            elif (err := ids.errors_u[j]) is not None:
                self.found.append(
                    _RowProblem(r, kpi_col, err.code, "error", err.message, err.hint, None)
                )
            else:
                kpi_id = kpi_key(ids.uniques[j])
                message, hint = self.kpis.unknown_text(kpi_id)
                self.found.append(
                    _RowProblem(r, kpi_col, "unknown-kpi", "error", message, hint, kpi_id)
                )

    def formula_kpi_problems(self, live: np.ndarray, ids: _Ids) -> None:
        """``entry-for-formula-kpi``: Formula KPIs take no entries."""
        for r in self.first(live & ids.known & ids.is_formula, "entry-for-formula-kpi"):
            kpi_id = ids.kpi(r)
            self.found.append(
                _RowProblem(
                    r,
                    self.cols["kpi"],
                    "entry-for-formula-kpi",
                    "warning",
                    f"{kpi_id} is computed from its formula, so this entry is ignored.",
                    "Enter values for the KPIs the formula uses, or change its Aggregation.",
                    kpi_id,
                )
            )

    def value_problems(self, checked: np.ndarray, ids: _Ids, values: _Values) -> np.ndarray:
        """Problems of the Value in ``checked`` rows (KPI known and taking entries):
        ``bad-number`` for no number, a warning for a blank value (except for Count
        KPIs, which count blank values), ``nps-out-of-range``; returns those rows."""
        value_col = self.cols["value"]
        bad_value = checked & values.other
        blank_value = checked & values.blank & ~ids.is_count
        with np.errstate(invalid="ignore"):
            number = values.number
            nps_bad = (
                checked
                & ids.is_nps
                & ~values.other
                & ~values.blank
                & ((number < 0) | (number > 10) | (np.floor(number) != number))
            )
        for r in self.first(bad_value, "bad-number"):
            try:
                parse_number(values.cells[r])
            except BadCell as bad:
                self.found.append(
                    _RowProblem(r, value_col, bad.code, "error", bad.message, bad.hint, ids.kpi(r))
                )
        for r in self.first(blank_value, "blank-value"):
            kpi_id = ids.kpi(r)
            self.found.append(
                _RowProblem(
                    r,
                    value_col,
                    "bad-number",
                    "warning",
                    f"The Value is blank, so this {kpi_id} entry is ignored.",
                    "Type the value (only Count KPIs count blank values).",
                    kpi_id,
                )
            )
        for r in self.first(nps_bad, "nps-out-of-range"):
            kpi_id = ids.kpi(r)
            self.found.append(
                _RowProblem(
                    r,
                    value_col,
                    "nps-out-of-range",
                    "error",
                    f"{shown(values.cells[r])} is not an NPS score for {kpi_id}; scores are "
                    "whole numbers from 0 to 10.",
                    "Enter each respondent's score, 0–10, on its own row.",
                    kpi_id,
                )
            )
        return bad_value | blank_value | nps_bad

    def first(self, mask: np.ndarray, what: str) -> list[int]:
        """Row indexes of ``mask``, only as many as will be listed one by one; the
        rest are counted for the closing problem."""
        idx = np.nonzero(mask)[0]
        extra = len(idx) - (MAX_PROBLEMS_PER_CODE + 1)
        if extra > 0:
            # Count the rows not materialised so the closing problem is right.
            code = {"kpi": "unknown-kpi", "blank-value": "bad-number"}.get(what, what)
            self.log.count_unlisted(self.table.sheet, code, extra)
            idx = idx[: MAX_PROBLEMS_PER_CODE + 1]
        return [int(i) for i in idx]

    def frame(
        self,
        good: np.ndarray,
        day: np.ndarray,
        ids: _Ids,
        number: np.ndarray,
        note: np.ndarray,
        by: np.ndarray,
    ) -> pd.DataFrame:
        """The ``good`` rows as the entries frame."""
        kpi_codes = ids.codes
        row_numbers = np.fromiter(self.table.row_numbers, dtype=np.int64, count=self.n)
        if not good.all():  # on a clean sheet every array is kept whole
            idx = np.nonzero(good)[0]
            day, kpi_codes, number = day[idx], kpi_codes[idx], number[idx]
            note, by, row_numbers = note[idx], by[idx], row_numbers[idx]
        # Every array below is this check's own (built here, or copied by indexing),
        # so pandas may keep it as it is instead of copying each column again and
        # stacking the object ones.
        columns = {
            "date": (day.astype("datetime64[D]").astype("datetime64[ns]"), None),
            "kpi": (ids.canon_u[kpi_codes], object),
            "value": (number, "float64"),
            "note": (note, object),
            "by": (by, object),
            "row": (row_numbers, "int64"),
        }
        return pd.DataFrame(
            {name: pd.Series(a, dtype=d, copy=False) for name, (a, d) in columns.items()},
            copy=False,
        )

    # Column interpreters ------------------------------------------------

    def distinct(self, column: list[CellValue]) -> tuple[np.ndarray, list[CellValue]]:
        """Codes into a list of distinct values (1.0 and 1 and True are one value)."""
        # One pass: each value's first row (dict.setdefault keeps the first), then
        # the first rows renumbered 0, 1, 2… in order of appearance.
        n = len(column)
        first: dict[CellValue, int] = {}
        at = np.fromiter(map(first.setdefault, column, itertools.count()), np.int64, count=n)
        renumber = np.empty(n, dtype=np.int64)
        renumber[np.fromiter(first.values(), np.int64, count=len(first))] = np.arange(len(first))
        return renumber[at], list(first)

    def dates(self, column: list[CellValue]) -> _Dates:
        """The Date column, each distinct value parsed once."""
        codes, uniques = self.distinct(column)
        days = np.zeros(len(uniques) + 1, dtype=np.int64)
        blank = np.zeros(len(uniques) + 1, dtype=bool)
        bad = np.zeros(len(uniques) + 1, dtype=bool)
        for j, u in enumerate(uniques):
            if is_blank(u):
                blank[j] = True
                continue
            try:
                days[j] = parse_date(u, self.date1904).toordinal() - EPOCH_ORDINAL
            except BadCell:
                bad[j] = True
        return _Dates(days[codes], blank[codes], bad, codes, uniques)

    def resolve(self, column: list[CellValue]) -> _Ids:
        """The KPI column resolved against the KPIs sheet, each distinct value once."""
        codes, uniques = self.distinct(column)
        canon_u = np.empty(len(uniques), dtype=object)
        facts_u: list[KpiFacts | None] = []
        errors_u: list[BadCell | None] = []
        for j, u in enumerate(uniques):
            facts: KpiFacts | None = None
            err: BadCell | None = None
            try:
                key = kpi_key(u)
                if key:
                    facts = self.kpis.get(key)
            except BadCell as bad:
                err = bad
            canon_u[j] = facts.kpi.id if facts else None
            facts_u.append(facts)
            errors_u.append(err)

        def per_row(per_unique: list[bool], extra: bool = False) -> np.ndarray:
            # the extra last element is what a code of -1 reads
            return np.array([*per_unique, extra], dtype=bool)[codes]

        return _Ids(
            blank=per_row([is_blank(u) for u in uniques], True),
            codes=codes,
            uniques=uniques,
            canon_u=canon_u,
            errors_u=errors_u,
            known=per_row([f is not None for f in facts_u]),
            is_count=per_row([bool(f and f.is_count) for f in facts_u]),
            is_nps=per_row([bool(f and f.is_nps) for f in facts_u]),
            is_formula=per_row([bool(f and f.is_formula) for f in facts_u]),
        )

    def numbers(self, column: list[CellValue]) -> _Values:
        """The Value column: numbers with NaN where there is none, blank cells, and
        cells that are neither."""
        n = len(column)
        if n and set(map(type, column)) <= {float, int}:
            # Plain numbers only (the usual Value column): two passes, no object array.
            values = np.fromiter(column, dtype=np.float64, count=n)
            if np.isfinite(values).all():
                return _Values(column, values, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        arr = objects(column)
        kind = infer_dtype(arr, skipna=False) if n else "empty"
        if kind in ("floating", "integer", "mixed-integer-float"):
            values = arr.astype(np.float64)
            finite = np.isfinite(values)
            if finite.all():
                return _Values(column, values, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        is_number = np.fromiter(
            (type(x) is float or type(x) is int for x in column), dtype=bool, count=n
        )
        values = np.full(n, np.nan)
        if is_number.any():
            values[is_number] = arr[is_number].astype(np.float64)
        blank = np.zeros(n, dtype=bool)
        other = np.zeros(n, dtype=bool)
        other[is_number] = ~np.isfinite(values[is_number])
        for r in np.nonzero(~is_number)[0]:
            x = column[r]
            if is_blank(x):
                blank[r] = True
                continue
            try:
                values[r] = parse_number(x)
            except BadCell:
                other[r] = True
        return _Values(column, values, blank, other)

    def texts(self, column: list[CellValue] | None) -> tuple[np.ndarray, np.ndarray]:
        """Note/By as object arrays with None for blanks."""
        if column is None:
            return np.full(self.n, None, dtype=object), np.ones(self.n, dtype=bool)
        arr = objects(column)
        if infer_dtype(arr, skipna=False) == "string":
            blank = arr == ""
        else:
            blank = np.fromiter((is_blank(x) for x in column), dtype=bool, count=self.n)
            others = [r for r in np.nonzero(~blank)[0] if not isinstance(column[r], str)]
            for r in others:
                arr[r] = text(column[r])
        arr[blank] = None
        return arr, blank
