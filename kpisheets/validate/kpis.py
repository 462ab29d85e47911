"""The KPIs sheet: one KPI definition a row, keyed by its ID.

A row whose ID is missing, repeated or unreadable is skipped; a KPI with any other
error-level problem is kept with ``valid=False`` so that its entries are still
checked. The columns and their rules are described in docs/workbook.md ("KPIs").
Each column's rule is one function below, called in the order of the checks in
:func:`_kpi_row` (that order is the order of the problems).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kpisheets.formatting import format_value
from kpisheets.model import (
    Aggregation,
    CellValue,
    Direction,
    ErrorValue,
    KpiDefinition,
    RawTable,
    RawTracker,
    Settings,
    Severity,
)
from kpisheets.numfmt import unrendered
from kpisheets.validate.cells import (
    FREQUENCIES,
    BadCell,
    is_blank,
    parse_bool,
    parse_choice,
    parse_date,
    parse_fraction,
    parse_non_negative,
    parse_number,
    plain_text,
    refuse_special,
    shown,
    text,
)
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import CellGetter, columns, require_columns, small_rows

KPI_ID = re.compile(r"[A-Za-z0-9_]{1,40}")

KPI_COLUMNS = (
    "id",
    "kpi",
    "category",
    "owner",
    "unit",
    "format",
    "direction",
    "aggregation",
    "formula",
    "frequency",
    "target",
    "baseline",
    "tolerance",
    "start",
    "end",
    "green at",
    "amber at",
    "weight",
    "active",
    "description",
    "source",
    "funnel",
)
DIRECTIONS = {
    "higher is better": Direction.HIGHER,
    "higher": Direction.HIGHER,
    "lower is better": Direction.LOWER,
    "lower": Direction.LOWER,
    "within range": Direction.RANGE,
    "range": Direction.RANGE,
}
AGGREGATIONS = {
    "sum": Aggregation.SUM,
    "total": Aggregation.SUM,
    "average": Aggregation.AVERAGE,
    "avg": Aggregation.AVERAGE,
    "mean": Aggregation.AVERAGE,
    "last": Aggregation.LAST,
    "latest": Aggregation.LAST,
    "min": Aggregation.MIN,
    "minimum": Aggregation.MIN,
    "max": Aggregation.MAX,
    "maximum": Aggregation.MAX,
    "count": Aggregation.COUNT,
    "nps": Aggregation.NPS,
    "formula": Aggregation.FORMULA,
}
DEFAULT_USED = " The default is used."


@dataclass
class KpiFacts:
    """What the checks of other sheets need to know about one KPI."""

    kpi: KpiDefinition
    is_count: bool
    is_nps: bool
    is_formula: bool


@dataclass
class KnownKpis:
    """The KPIs sheet as the other sheets see it: the definitions, and a lookup by
    ID ignoring case. ``usable`` is False when the sheet or its ID column is missing
    (``sheet_found`` says which); rows elsewhere then get no ``unknown-kpi`` problem
    (every ID would be unknown)."""

    definitions: list[KpiDefinition] = field(default_factory=list)
    by_key: dict[str, KpiFacts] = field(default_factory=dict)
    usable: bool = True
    sheet_found: bool = True

    @classmethod
    def of(cls, definitions: list[KpiDefinition]) -> KnownKpis:
        """The lookup of ``definitions``."""
        by_key = {
            k.id.lower(): KpiFacts(
                k,
                k.aggregation is Aggregation.COUNT,
                k.aggregation is Aggregation.NPS,
                k.aggregation is Aggregation.FORMULA,
            )
            for k in definitions
        }
        return cls(definitions, by_key)

    def get(self, kpi_id: str) -> KpiFacts | None:
        """The KPI with this ID (any case), or None."""
        return self.by_key.get(kpi_id.lower())

    def unknown_text(self, kpi_id: str) -> tuple[str, str]:
        """Message and hint for an ID that is not on the KPIs sheet."""
        close = difflib.get_close_matches(kpi_id.lower(), list(self.by_key), n=1, cutoff=0.7)
        suggestion = f"Did you mean {self.by_key[close[0]].kpi.id}? " if close else ""
        return (
            f"{kpi_id!r} is not an ID on the KPIs sheet, so this row is ignored.",
            suggestion + "Use an ID from the KPIs sheet (case does not matter), or add "
            "the KPI there.",
        )


def check_kpis(raw: RawTracker, log: ProblemLog, settings: Settings) -> KnownKpis:
    """The KPI definitions of ``raw``'s KPIs sheet (thresholds default to
    ``settings``'), one per row with a usable ID."""
    table = raw.tables.get("KPIs")
    if table is None:
        return KnownKpis(usable=False, sheet_found=False)
    cols = columns(table)
    has_id = require_columns(log, table, cols, ("id",), "error")
    require_columns(log, table, cols, ("kpi",), "error")
    if not has_id:
        return KnownKpis(usable=False)
    known = [cols[c] for c in KPI_COLUMNS if c in cols]
    kpis: list[KpiDefinition] = []
    first_row: dict[str, int] = {}
    for i, get in small_rows(table, known):
        kpi_id = _kpi_id(log, table, cols["id"], i, get, first_row)
        if kpi_id is not None:
            row = _KpiRow(log, table, cols, i, get, kpi_id, raw.date1904)
            kpis.append(_kpi_row(row, settings))
    return KnownKpis.of(kpis)


def _kpi_id(
    log: ProblemLog,
    table: RawTable,
    id_col: int,
    i: int,
    get: CellGetter,
    first_row: dict[str, int],
) -> str | None:
    """The row's ID, or None (after a problem) when the row must be skipped: an
    unreadable, blank or repeated ID. Records the ID's row in ``first_row``."""
    raw_id = get(id_col)
    try:
        refuse_special(raw_id)
    except BadCell as bad:
        log.add_bad(bad, "error", table, i, id_col, suffix=" The KPI row is skipped.")
        return None
    kpi_id = text(raw_id)
    if not kpi_id:
        log.add(
            "empty-id",
            "error",
            "This KPI row has no ID, so it is skipped.",
            "Give the KPI a short unique ID (letters, digits, _), e.g. NEW_CUSTOMERS.",
            table,
            i,
            id_col,
        )
        return None
    if kpi_id.lower() in first_row:
        log.add(
            "duplicate-kpi-id",
            "error",
            f"The ID {kpi_id!r} is already used in row {first_row[kpi_id.lower()]} "
            "(IDs ignore case); this row is skipped.",
            "Give every KPI its own ID.",
            table,
            i,
            id_col,
            kpi=kpi_id,
        )
        return None
    first_row[kpi_id.lower()] = table.row_numbers[i]
    return kpi_id


class _KpiRow:
    """One KPI row being read: its cells by column name, and whether an error-level
    problem has made the KPI invalid so far."""

    def __init__(
        self,
        log: ProblemLog,
        table: RawTable,
        cols: dict[str, int],
        i: int,
        get: CellGetter,
        kpi_id: str,
        date1904: bool,
    ) -> None:
        self.log, self.table, self.cols, self.i, self.get = log, table, cols, i, get
        self.kpi_id = kpi_id
        self.date1904 = date1904
        self.valid = True

    def cell(self, name: str) -> tuple[CellValue, int | None]:
        """The cell of column ``name`` and its column index (None: no such column)."""
        c = self.cols.get(name)
        return self.get(c), c

    def read(
        self, name: str, parse: Callable[[CellValue], Any], severity: Severity, suffix: str = ""
    ) -> Any:
        """Column ``name`` parsed, or None when blank, absent or refused (then with a
        problem of ``severity``; an error makes the KPI invalid)."""
        value, c = self.cell(name)
        if is_blank(value) or c is None:
            return None
        try:
            return parse(value)
        except BadCell as bad:
            if severity == "error":
                self.valid = False
            self.log.add_bad(bad, severity, self.table, self.i, c, kpi=self.kpi_id, suffix=suffix)
            return None

    def words(self, name: str) -> str:
        """A text column; an error cell in it is a warning and reads as ""."""
        out = self.read(name, plain_text, "warning", " It is ignored.")
        return out or ""

    def date(self, value: CellValue) -> dt.date:
        """A Start or End cell as a date."""
        return parse_date(value, self.date1904)

    def add(
        self, code: str, severity: Severity, message: str, hint: str, column: int | None
    ) -> None:
        """A problem at this row's cell in ``column``, about this KPI."""
        self.log.add(code, severity, message, hint, self.table, self.i, column, kpi=self.kpi_id)


def _kpi_row(row: _KpiRow, settings: Settings) -> KpiDefinition:
    """The definition in one KPI row, column by column (the order of the problems)."""
    if not KPI_ID.fullmatch(row.kpi_id):
        row.valid = False
        _bad_id(row)
    elif row.kpi_id.isdigit():
        _numeric_id(row)
    k = KpiDefinition(id=row.kpi_id, name=row.kpi_id, row=row.table.row_numbers[row.i])
    _names(row, k)
    _number_format(row, k)
    k.direction = (
        row.read(
            "direction",
            lambda v: parse_choice(v, DIRECTIONS, "bad-direction", "direction"),
            "error",
        )
        or Direction.HIGHER
    )
    _formula_and_aggregation(row, k)
    k.frequency = row.read(
        "frequency",
        lambda v: parse_choice(v, FREQUENCIES, "bad-frequency", "frequency"),
        "error",
    )
    k.target = row.read("target", parse_number, "error")
    k.baseline = row.read("baseline", parse_number, "error")
    k.tolerance = row.read("tolerance", parse_non_negative, "error")
    _window(row, k)
    _tolerance_for_range(row, k)
    _thresholds(row, k, settings)
    weight = row.read("weight", parse_non_negative, "warning", DEFAULT_USED)
    k.weight = 1.0 if weight is None else weight
    active = row.read("active", parse_bool, "warning", " The KPI stays active.")
    k.active = True if active is None else active
    k.valid = row.valid
    return k


def _bad_id(row: _KpiRow) -> None:
    """``bad-id``: an ID with other characters than letters, digits and _, or too long."""
    kpi_id = row.kpi_id
    row.add(
        "bad-id",
        "error",
        f"The ID {shown(kpi_id)} "
        + (
            "is longer than 40 characters."
            if len(kpi_id) > 40
            else "may hold only letters, digits and _."
        ),
        "Use letters, digits and _ only, at most 40 characters, e.g. "
        + (re.sub(r"\W+", "_", kpi_id).strip("_")[:40] or "KPI_1")
        + ".",
        row.cols["id"],
    )


def _numeric_id(row: _KpiRow) -> None:
    """``numeric-id``: an ID of digits only is valid, but a formula reads it as a number
    (``2024 * 2`` is 4048), so no formula can use it."""
    row.add(
        "numeric-id",
        "warning",
        f"The ID {row.kpi_id!r} is made only of digits, so a formula reads {row.kpi_id} as "
        "the number, never as this KPI.",
        f"If a formula should use it, give it an ID with a letter or _, e.g. K{row.kpi_id}.",
        row.cols["id"],
    )


def _names(row: _KpiRow, k: KpiDefinition) -> None:
    """The KPI's name (its ID when blank: ``empty-name``) and its other text columns."""
    name, name_col = row.cell("kpi")
    k.name = row.words("kpi")
    if not k.name:
        k.name = row.kpi_id
        if name_col is not None and is_blank(name):
            row.add(
                "empty-name",
                "warning",
                f"The KPI {row.kpi_id} has no name; its ID is shown instead.",
                "Type a display name in the KPI column.",
                name_col,
            )
    k.category = row.words("category") or "Uncategorised"
    k.owner = row.words("owner")
    k.unit = row.words("unit")
    k.number_format = row.words("format")
    k.description = row.words("description")
    k.source = row.words("source")
    k.funnel = row.words("funnel")


def _number_format(row: _KpiRow, k: KpiDefinition) -> None:
    """``format-not-rendered``: a Format that Excel shows but kpisheets cannot show
    the same way in the exports (docs/number-formats.md). The Summary sheet is fine;
    the message names what the exports show instead."""
    if not k.number_format:
        return
    what = unrendered(k.number_format)
    if what is None:
        return
    example = format_value(1234.5, k.number_format)
    row.add(
        "format-not-rendered",
        "warning",
        f"The Format {k.number_format!r} of {row.kpi_id} uses {what}, which kpisheets "
        f"cannot show outside Excel exactly: the exports and `status` show 1234.5 as "
        f"{example!r}. The Summary sheet shows it as Excel does.",
        "Use a format without it (docs/number-formats.md lists what is covered), "
        'e.g. #,##0.00 or #,##0 "units".',
        row.cols["format"],
    )


def _formula_and_aggregation(row: _KpiRow, k: KpiDefinition) -> None:
    """Formula and Aggregation, which decide each other: a blank Aggregation is Formula
    when there is a formula and Sum otherwise; Formula without a formula is an error
    (``formula-syntax``), a formula under another aggregation is ignored with a
    warning (``bad-aggregation``)."""
    formula = row.read("formula", _formula_text, "error") or ""
    k.formula = formula[1:].strip() if formula.startswith("=") else formula
    aggregation = row.read(
        "aggregation",
        lambda v: parse_choice(v, AGGREGATIONS, "bad-aggregation", "aggregation"),
        "error",
    )
    agg_value, agg_col = row.cell("aggregation")
    if aggregation is None and is_blank(agg_value):
        aggregation = Aggregation.FORMULA if k.formula else Aggregation.SUM
    k.aggregation = aggregation or Aggregation.SUM
    formula_col = row.cols.get("formula")
    if aggregation is Aggregation.FORMULA and not k.formula and row.valid:
        row.valid = False
        row.add(
            "formula-syntax",
            "error",
            f"{row.kpi_id} has the aggregation Formula but no formula.",
            "Write the formula in the Formula column over other KPI IDs, e.g. LEADS / VISITS.",
            formula_col if formula_col is not None else agg_col,
        )
    elif aggregation is not None and aggregation is not Aggregation.FORMULA and k.formula:
        row.add(
            "bad-aggregation",
            "warning",
            f"{row.kpi_id} has a formula but the aggregation {aggregation.label}; the "
            "formula is ignored.",
            "Set Aggregation to Formula to compute it from the formula, or clear the Formula cell.",
            agg_col,
        )


def _window(row: _KpiRow, k: KpiDefinition) -> None:
    """Start and End: a goal window needs both, End not before Start."""
    k.start = row.read("start", row.date, "error")
    k.end = row.read("end", row.date, "error")
    if k.start and k.end and k.end < k.start:
        row.valid = False
        row.add(
            "bad-date",
            "error",
            f"End {k.end.isoformat()} is before Start {k.start.isoformat()}.",
            "Swap the dates or correct one of them.",
            row.cols["end"],
        )
    elif (k.start is None) != (k.end is None):
        have, lack = ("Start", "End") if k.start else ("End", "Start")
        start_v, _ = row.cell("start")
        end_v, _ = row.cell("end")
        if is_blank(start_v) or is_blank(end_v):  # not when the other one was bad
            row.add(
                "incomplete-window",
                "warning",
                f"{row.kpi_id} has a {have} date but no {lack}, so the calendar period is used.",
                f"Fill in {lack} too for a goal window, or clear {have}.",
                row.cols[have.lower()],
            )


def _tolerance_for_range(row: _KpiRow, k: KpiDefinition) -> None:
    """``missing-tolerance``: a Within range KPI without a Tolerance."""
    if k.direction is Direction.RANGE and k.tolerance is None:
        tol_v, tol_c = row.cell("tolerance")
        if is_blank(tol_v):
            row.add(
                "missing-tolerance",
                "warning",
                f"{row.kpi_id} is Within range but has no Tolerance, so only exactly "
                "the target counts as in range.",
                "Type the allowed deviation from Target in the Tolerance column.",
                tol_c if tol_c is not None else row.cols["id"],
            )


def _thresholds(row: _KpiRow, k: KpiDefinition, settings: Settings) -> None:
    """Green at and Amber at of this KPI (the settings' when blank), Green not below
    Amber (``threshold-order``)."""
    k.green_at = row.read("green at", parse_fraction, "warning", DEFAULT_USED)
    k.amber_at = row.read("amber at", parse_fraction, "warning", DEFAULT_USED)
    green = k.green_at if k.green_at is not None else settings.green_at
    amber = k.amber_at if k.amber_at is not None else settings.amber_at
    if green < amber and (k.green_at is not None or k.amber_at is not None):
        row.add(
            "threshold-order",
            "warning",
            f"Green at ({green:.0%}) is below Amber at ({amber:.0%}) for {row.kpi_id}, "
            "so it can never be At risk.",
            "Make Green at the higher threshold, e.g. Green at 100%, Amber at 90%.",
            row.cols["green at"] if k.green_at is not None else row.cols["amber at"],
        )


def _formula_text(value: CellValue) -> str:
    """The Formula cell as text. An Excel formula there that shows an error is most
    likely the user's formula typed with ``=``; the hint says how to type it."""
    if isinstance(value, ErrorValue):
        raise BadCell(
            "excel-error",
            f"The Formula cell is an Excel formula that shows {value.code}.",
            "Type the formula as text, without '=' (e.g. LEADS / VISITS), or start it "
            "with an apostrophe: '=LEADS / VISITS.",
        )
    return plain_text(value)
