"""The Settings sheet: one setting a row (Setting, Value), all optional.

A missing sheet or column, an unknown or repeated setting and a bad value are
warnings: the default is used (docs/workbook.md, "Settings").
"""

from __future__ import annotations

import difflib
import re

from kpisheets.model import CellValue, RawTable, RawTracker, Settings
from kpisheets.validate.cells import (
    FREQUENCIES,
    BadCell,
    is_blank,
    parse_choice,
    parse_date,
    parse_fraction,
    parse_month,
    parse_number,
    parse_weekday,
    refuse_special,
    shown,
    text,
)
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import columns, require_columns, small_rows

SETTING_NAMES = {
    "title": "title",
    "as of": "as_of",
    "as-of": "as_of",
    "period": "period",
    "fiscal year starts": "fiscal_year_start",
    "fiscal year start": "fiscal_year_start",
    "week starts": "week_start",
    "week start": "week_start",
    "history periods": "history_periods",
    "green at": "green_at",
    "amber at": "amber_at",
    "review every": "review_every",
    "database": "database",
}


def check_settings(raw: RawTracker, log: ProblemLog) -> Settings:
    """The settings of ``raw``'s Settings sheet, defaults where it says nothing."""
    settings = Settings()
    table = raw.tables.get("Settings")
    if table is None:
        return settings
    cols = columns(table)
    if not require_columns(log, table, cols, ("setting", "value"), "warning"):
        return settings
    name_col, value_col = cols["setting"], cols["value"]
    seen: dict[str, int] = {}  # setting → the row index that sets it
    for i, get in small_rows(table, (name_col, value_col)):
        name_cell, value = get(name_col), get(value_col)
        field = _setting_field(log, table, i, name_col, name_cell, seen)
        if field is None:
            continue
        seen[field] = i
        if is_blank(value):
            continue
        try:
            _apply_setting(settings, field, value, raw.date1904)
        except BadCell as bad:
            log.add_bad(
                bad,
                "warning",
                table,
                i,
                value_col,
                suffix=f" ({text(name_cell)}: the default is used.)",
            )
    if settings.green_at < settings.amber_at:
        log.add(
            "threshold-order",
            "warning",
            f"Green at ({settings.green_at:.0%}) is below Amber at "
            f"({settings.amber_at:.0%}), so no KPI can be At risk.",
            "Make Green at the higher threshold, e.g. Green at 100%, Amber at 90%.",
            sheet=table.sheet,
        )
    return settings


def _setting_field(
    log: ProblemLog,
    table: RawTable,
    i: int,
    name_col: int,
    name_cell: CellValue,
    seen: dict[str, int],
) -> str | None:
    """The Settings field a row sets, or None (with a warning) for an unknown name or
    a setting already set by an earlier row; a blank name is skipped silently."""
    key = " ".join(text(name_cell).lower().rstrip(":").split())
    field = SETTING_NAMES.get(key)
    if field is None:
        if key:
            close = difflib.get_close_matches(key, list(SETTING_NAMES), n=1)
            log.add(
                "unknown-setting",
                "warning",
                f"{shown(name_cell)} is not a setting kpisheets knows; it is ignored.",
                (f"Did you mean {close[0].title()}? " if close else "")
                + "Settings: Title, As of, Period, Fiscal year starts, Week starts, "
                "History periods, Green at, Amber at, Review every, Database.",
                table,
                i,
                name_col,
            )
        return None
    if field in seen:
        first = table.cell_ref(seen[field], name_col)
        named = text(name_cell).rstrip(":").strip()
        log.add(
            "duplicate-setting",
            "warning",
            f"{named} is set again here; this row is ignored and the first one, {first}, is used.",
            f"Delete one of the two {named} rows, keeping the value you want.",
            table,
            i,
            name_col,
        )
        return None
    return field


def _apply_setting(settings: Settings, field: str, value: CellValue, date1904: bool) -> None:
    """Set one field from a non-blank Value cell; raises :class:`BadCell`."""
    if field == "title":
        refuse_special(value)
        settings.title = text(value)
    elif field == "as_of":
        settings.as_of = parse_date(value, date1904)
    elif field == "period":
        settings.period = parse_choice(value, FREQUENCIES, "bad-frequency", "period")
    elif field == "fiscal_year_start":
        settings.fiscal_year_start = parse_month(value)
    elif field == "week_start":
        settings.week_start = parse_weekday(value)
    elif field == "history_periods":
        n = parse_number(value)
        if not n.is_integer() or not 1 <= n <= 1000:
            raise BadCell(
                "bad-number",
                f"{shown(value)} is not a whole number of periods from 1 to 1000.",
                "Type a whole number such as 12.",
            )
        settings.history_periods = int(n)
    elif field in ("green_at", "amber_at"):
        setattr(settings, field, parse_fraction(value))
    elif field == "review_every":
        days = parse_number(value)
        if not days.is_integer() or not 1 <= days <= 366:
            raise BadCell(
                "bad-number",
                f"{shown(value)} is not a whole number of days from 1 to 366.",
                "Type the days between meetings, such as 7 for a weekly meeting.",
            )
        settings.review_every = int(days)
    elif field == "database":
        settings.database = database_variable(value)


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def database_variable(value: CellValue) -> str:
    """Settings › Database: the NAME of an environment variable holding the URL.

    A URL typed here is refused with a message that does not repeat it (it may hold a
    password): the URL belongs in the environment, never in the workbook."""
    name = text(value)
    if ENV_NAME.match(name):
        return name
    looks_like_url = "://" in name or "@" in name or ";" in name or "=" in name
    raise BadCell(
        "bad-database",
        "Settings › Database holds what looks like a database URL or connection string; "
        "it is not used, and not repeated here because it may contain a password."
        if looks_like_url
        else f"{shown(value)} is not the name of an environment variable.",
        "Delete it from the workbook, write the NAME of an environment variable instead "
        "(e.g. KPI_DATABASE_URL), and set that variable to the URL where kpisheets runs."
        if looks_like_url
        else "Write a name of letters, digits and _ such as KPI_DATABASE_URL.",
    )
