"""The Entries sheet: one value a row (Date, KPI, Value, and optionally Note, By and
Segment).

The sheet can hold a million rows, so it is checked column by column with numpy:
dates and KPI IDs repeat, so each *distinct* value is interpreted once and the answer
spread back with an index array; numbers take a vectorised fast path. Each rule is
then a boolean mask over all rows, and per-row Python work happens only for the
rows a rule catches (each one a problem; the words of a problem are worked out once
per distinct value). A row with an error-level problem is left out of the entries
(docs/workbook.md, "Entries"), and so is one whose warning says it is ignored; how
many rows each problem code left out is counted (``Tracker.left_out``).

No pandas here: the entries are numpy columns (:data:`~kpisheets.model.Columns`), so
that a refresh does not pay for importing it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from kpisheets.model import (
    CellValue,
    Columns,
    ErrorValue,
    RawTable,
    RawTracker,
    Severity,
    empty_entry_columns,
)
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
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import columns, require_columns, reveal

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
ENTRY_COLUMNS = ("date", "kpi", "value", "note", "by")


@dataclass
class CheckedEntries:
    """What the Entries check found: the good rows as columns (date, kpi, value, note,
    by, row), the number of non-blank rows, and how many rows each problem code left
    out of the figures (one code per row: the first rule that caught it)."""

    columns: Columns
    count: int = 0
    left_out: dict[str, int] = field(default_factory=dict)


def check_entries(raw: RawTracker, log: ProblemLog, kpis: KnownKpis) -> CheckedEntries:
    """The good rows of ``raw``'s Entries sheet, with their problems in ``log``."""
    table = raw.tables.get("Entries")
    if table is None:
        return CheckedEntries(empty_entry_columns())
    cols = columns(table)
    if not require_columns(log, table, cols, ("date", "kpi", "value"), "error"):
        # Without a Date, KPI or Value column no entry can count.
        count = sum(1 for row in table.rows if not all(is_blank(v) for v in row))
        left_out = {"missing-column": count} if count else {}
        return CheckedEntries(empty_entry_columns(), count, left_out)
    # A million-row column makes millions of objects; the cyclic garbage collector
    # would rescan them again and again while nothing here forms a cycle.
    with cyclic_gc_paused():
        return _EntriesCheck(log, kpis, table, cols, raw.date1904).run()


def rows_of(mask: np.ndarray) -> list[int]:
    """The row indexes where ``mask`` is true, as Python ints."""
    rows: list[int] = np.flatnonzero(mask).tolist()
    return rows


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

    def run(self) -> CheckedEntries:
        """The entries, the number of non-blank rows and the rows left out; problems
        go to the log."""
        if self.n == 0:
            return CheckedEntries(empty_entry_columns())
        dates = self.dates(self.column("date") or [])
        ids = self.resolve(self.column("kpi") or [])
        values = self.numbers(self.column("value") or [])
        note, note_blank = self.texts(self.column("note"))
        by, by_blank = self.texts(self.column("by"))
        segment, segment_blank = self.segments(self.column("segment"))

        rows = ~(dates.blank & ids.blank & values.blank & note_blank & by_blank & segment_blank)
        entry_count = int(rows.sum())
        # Cells that read blank may be Excel errors or uncalculated formulas: look
        # them up in the file only when a needed cell is blank (or the sheet is small).
        needed_blank = rows & (dates.blank | ids.blank | values.blank)
        hidden_bad = np.zeros(self.n, dtype=bool)
        hidden_codes: dict[int, str] = {}
        if needed_blank.any() or self.n <= 50_000:
            entry_count += self.hidden_cells(rows, hidden_bad, hidden_codes, note, by, segment)

        live = rows & ~hidden_bad
        bad_date = self.date_problems(live, dates)
        unknown = live & ~ids.known
        self.kpi_problems(unknown, ids)
        formula = live & ids.known & ids.is_formula
        self.formula_kpi_problems(formula, ids)
        checked = live & ids.known & ~ids.is_formula
        bad_value = self.value_problems(checked, ids, values)
        # The rules ran column by column; list their problems row by row, as a
        # person reads the sheet.
        add = self.log.add
        for p in sorted(self.found, key=lambda p: (p.row, p.column, p.code)):
            add(p.code, p.severity, p.message, p.hint, self.table, p.row, p.column, kpi=p.kpi)

        good = checked & ~bad_date & ~bad_value
        left_out = self.left_out(good, rows, hidden_codes)
        columns = self.good_columns(good, dates.day, ids, values.number, note, by, segment)
        return CheckedEntries(columns, entry_count, left_out)

    # The rules -------------------------------------------------------------

    def hidden_cells(
        self,
        rows: np.ndarray,
        hidden_bad: np.ndarray,
        hidden_codes: dict[int, str],
        note: np.ndarray,
        by: np.ndarray,
        segment: np.ndarray | None,
    ) -> int:
        """Problems for the blank-looking cells that hold an Excel error or a formula
        without a result: an error in Date, KPI or Value (``hidden_bad`` marks the row
        left out, ``hidden_codes`` its code), a warning in Note, By or Segment (read as
        blank; a Segment read as blank counts in its KPI's total only). A row blank but
        for such a cell is still a row: it is marked in ``rows`` and counted in the
        return value."""
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
                    hidden_codes.setdefault(r, bad.code)
                elif c == cols.get("note"):
                    note[r] = None
                elif c == cols.get("by"):
                    by[r] = None
                elif c == cols.get("segment") and segment is not None:
                    segment[r] = None
        return added

    def date_problems(self, live: np.ndarray, dates: _Dates) -> np.ndarray:
        """``bad-date`` for a blank Date or one that is no date; returns those rows."""
        bad_date = live & (dates.bad_u[dates.codes] | dates.blank)
        date_col = self.cols["date"]
        said: dict[int, BadCell] = {}  # the words for each distinct bad value, once
        for r in rows_of(bad_date):
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
            j = int(dates.codes[r])
            if j not in said:
                try:
                    parse_date(dates.uniques[j], self.date1904)
                except BadCell as refused:
                    said[j] = refused
            if j in said:
                why = said[j]
                self.found.append(
                    _RowProblem(r, date_col, why.code, "error", why.message, why.hint, None)
                )
        return bad_date

    def kpi_problems(self, unknown: np.ndarray, ids: _Ids) -> None:
        """``empty-id``, an error cell's problem, or ``unknown-kpi`` for each row whose
        KPI is not on the KPIs sheet (none when that sheet is unusable)."""
        if not self.kpis.usable:
            return
        kpi_col = self.cols["kpi"]
        said: dict[int, _RowProblem] = {}  # each distinct ID's words, once (difflib)
        for r in rows_of(unknown):
            j = int(ids.codes[r])
            if j not in said:
                if ids.blank[r] or j < 0:
                    said[j] = _RowProblem(
                        r,
                        kpi_col,
                        "empty-id",
                        "error",
                        "The KPI cell is blank, so this entry is ignored.",
                        "Type the ID of a KPI from the KPIs sheet.",
                        None,
                    )
                elif (err := ids.errors_u[j]) is not None:
                    said[j] = _RowProblem(
                        r, kpi_col, err.code, "error", err.message, err.hint, None
                    )
                else:
                    kpi_id = kpi_key(ids.uniques[j])
                    message, hint = self.kpis.unknown_text(kpi_id)
                    said[j] = _RowProblem(r, kpi_col, "unknown-kpi", "error", message, hint, kpi_id)
            self.found.append(said[j]._replace(row=r))

    def formula_kpi_problems(self, formula: np.ndarray, ids: _Ids) -> None:
        """``entry-for-formula-kpi``: Formula KPIs take no entries."""
        for r in rows_of(formula):
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
        for r in rows_of(bad_value):
            try:
                parse_number(values.cells[r])
            except BadCell as bad:
                self.found.append(
                    _RowProblem(r, value_col, bad.code, "error", bad.message, bad.hint, ids.kpi(r))
                )
        for r in rows_of(blank_value):
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
        for r in rows_of(nps_bad):
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

    def left_out(
        self, good: np.ndarray, rows: np.ndarray, hidden_codes: dict[int, str]
    ) -> dict[str, int]:
        """How many rows each code left out: a row counts once, under the first rule
        that caught it (the rules ran in order: cells holding errors, Date, KPI,
        Formula KPI, Value); rows left out because the KPIs sheet is unusable count
        under that sheet's problem."""
        left_out: Counter[str] = Counter(hidden_codes.values())
        seen = set(hidden_codes)
        for p in self.found:  # in the order the rules found them
            if p.row not in seen and not good[p.row]:
                seen.add(p.row)
                left_out[p.code] += 1
        silent = int((rows & ~good).sum()) - len(seen)
        if silent > 0:  # no row problems: the KPIs sheet or its ID column is missing
            left_out["missing-column" if self.kpis.sheet_found else "missing-sheet"] += silent
        return dict(left_out)

    def good_columns(
        self,
        good: np.ndarray,
        day: np.ndarray,
        ids: _Ids,
        number: np.ndarray,
        note: np.ndarray,
        by: np.ndarray,
        segment: np.ndarray | None,
    ) -> Columns:
        """The ``good`` rows as the entries' columns (with ``segment`` when the sheet
        has that column)."""
        kpi_codes = ids.codes
        row_numbers = np.fromiter(self.table.row_numbers, dtype=np.int64, count=self.n)
        if not good.all():  # on a clean sheet every array is kept whole
            idx = np.nonzero(good)[0]
            day, kpi_codes, number = day[idx], kpi_codes[idx], number[idx]
            note, by, row_numbers = note[idx], by[idx], row_numbers[idx]
            segment = None if segment is None else segment[idx]
        columns: Columns = {
            "date": day.astype("datetime64[D]"),
            "kpi": ids.canon_u[kpi_codes],
            "value": number,
            "note": note,
            "by": by,
            "row": row_numbers,
        }
        if segment is not None:
            columns["segment"] = segment
        return columns

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

    def segments(self, column: list[CellValue] | None) -> tuple[np.ndarray | None, np.ndarray]:
        """The Segment column: one label object per distinct segment, None for blank.

        Labels are trimmed and grouped ignoring case, each written as first seen
        (the segments of docs/arithmetic.md), so "mobile " and "Mobile" are one
        segment. Labels typed cleanly — the usual case — are kept as they are,
        without a Python step per row.
        """
        if column is None:
            return None, np.ones(self.n, dtype=bool)
        first_seen: dict[str, str] = {}
        label_of: dict[CellValue, str | None] = {}
        for u in dict.fromkeys(column):  # distinct values, in order of first appearance
            if is_blank(u) or isinstance(u, ErrorValue):
                label_of[u] = None
                continue
            label = text(u)
            label_of[u] = first_seen.setdefault(label.casefold(), label) if label else None
        arr = objects(column)
        clean = all(isinstance(u, str) and canon in (u, None) for u, canon in label_of.items())
        if clean:
            blank = np.zeros(self.n, dtype=bool)
            for u, canon in label_of.items():
                if canon is None:
                    blank |= arr == u
            arr[blank] = None
        else:
            arr = np.fromiter(map(label_of.__getitem__, column), dtype=object, count=self.n)
            blank = np.fromiter((x is None for x in arr), dtype=bool, count=self.n)
        return arr, blank

    def texts(self, column: list[CellValue] | None) -> tuple[np.ndarray, np.ndarray]:
        """Note/By as object arrays with None for blanks."""
        if column is None:
            return np.full(self.n, None, dtype=object), np.ones(self.n, dtype=bool)
        arr = objects(column)
        if set(map(type, column)) == {str}:  # one pass in C, as pandas' infer_dtype
            blank = arr == ""
        else:
            blank = np.fromiter((is_blank(x) for x in column), dtype=bool, count=self.n)
            others = [r for r in np.nonzero(~blank)[0] if not isinstance(column[r], str)]
            for r in others:
                arr[r] = text(column[r])
        arr[blank] = None
        return arr, blank
