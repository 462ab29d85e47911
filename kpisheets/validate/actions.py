"""The optional Actions sheet: course corrections decided for a KPI (Date logged, KPI,
Action, Owner, Due, Status, Result; docs/workbook.md, "Actions").

Actions never change a figure, so their problems are warnings: an action whose KPI
is unknown is left out (``unknown-kpi``); a date that cannot be read is left blank
(``bad-date``); a Status other than Open, Done or Dropped counts as Open
(``bad-status``), so the action stays in view; a Due date before the date the action
was logged is kept but flagged (``due-before-date``).
"""

from __future__ import annotations

import datetime as dt

from kpisheets.model import Action, ActionStatus, CellValue, RawTable, RawTracker
from kpisheets.validate.cells import BadCell, is_blank, kpi_key, parse_date, plain_text, shown
from kpisheets.validate.kpis import KnownKpis
from kpisheets.validate.problems import ProblemLog
from kpisheets.validate.tables import CellGetter, columns, require_columns, small_rows

ACTION_COLUMNS = ("date", "kpi", "action", "owner", "due", "status", "result")
STATUSES = {
    "open": ActionStatus.OPEN,
    "planned": ActionStatus.OPEN,
    "in progress": ActionStatus.OPEN,
    "ongoing": ActionStatus.OPEN,
    "done": ActionStatus.DONE,
    "completed": ActionStatus.DONE,
    "closed": ActionStatus.DONE,
    "dropped": ActionStatus.DROPPED,
    "cancelled": ActionStatus.DROPPED,
    "canceled": ActionStatus.DROPPED,
}


def check_actions(raw: RawTracker, log: ProblemLog, kpis: KnownKpis) -> list[Action]:
    """The readable rows of ``raw``'s Actions sheet (none when there is no sheet)."""
    table = raw.tables.get("Actions")
    if table is None:
        return []
    cols = columns(table)
    if not require_columns(log, table, cols, ("kpi", "action"), "warning"):
        return []
    known = [cols[c] for c in ACTION_COLUMNS if c in cols]
    actions = []
    for i, get in small_rows(table, known):
        action = _action(log, kpis, table, cols, i, get, raw.date1904)
        if action is not None:
            actions.append(action)
    return actions


def _action(
    log: ProblemLog,
    kpis: KnownKpis,
    table: RawTable,
    cols: dict[str, int],
    i: int,
    get: CellGetter,
    date1904: bool,
) -> Action | None:
    kpi_id = _kpi(log, kpis, table, i, cols["kpi"], get(cols["kpi"]))
    if kpi_id is None:
        return None

    def words(name: str) -> str:
        c = cols.get(name)
        if c is None or is_blank(get(c)):
            return ""
        try:
            return plain_text(get(c))
        except BadCell as bad:
            log.add_bad(bad, "warning", table, i, c, kpi=kpi_id, suffix=" It is ignored.")
            return ""

    def date(name: str, what: str) -> dt.date | None:
        c = cols.get(name)
        if c is None or is_blank(get(c)):
            return None
        try:
            return parse_date(get(c), date1904)
        except BadCell as bad:
            log.add_bad(
                bad, "warning", table, i, c, kpi=kpi_id, suffix=f" The action has no {what}."
            )
            return None

    logged = date("date", "logged date")
    due = date("due", "due date")
    if logged is not None and due is not None and due < logged:
        log.add(
            "due-before-date",
            "warning",
            f"The action for {kpi_id} is due {due.isoformat()}, before the date it was "
            f"logged ({logged.isoformat()}).",
            "Check the Due date (or the Date the action was logged).",
            table,
            i,
            cols["due"],
            kpi=kpi_id,
        )
    return Action(
        kpi=kpi_id,
        action=words("action") or "(no description)",
        date=logged,
        owner=words("owner"),
        due=due,
        status=_status(log, table, cols, i, get, kpi_id),
        result=words("result"),
        row=table.row_numbers[i],
    )


def _kpi(
    log: ProblemLog, kpis: KnownKpis, table: RawTable, i: int, c: int, value: CellValue
) -> str | None:
    """The KPIs sheet's spelling of the row's KPI, or None after a warning."""
    try:
        kpi_id = kpi_key(value)
    except BadCell as bad:
        log.add_bad(bad, "warning", table, i, c, suffix=" The action is left out.")
        return None
    if not kpi_id:
        log.add(
            "empty-id",
            "warning",
            "The KPI cell is blank, so this action is left out.",
            "Pick the KPI the action is for.",
            table,
            i,
            c,
        )
        return None
    facts = kpis.get(kpi_id)
    if facts is None:
        if kpis.usable:
            message, hint = kpis.unknown_text(kpi_id)
            log.add(
                "unknown-kpi",
                "warning",
                message,
                hint,
                table,
                i,
                c,
                kpi=kpi_id,
            )
        return None
    return facts.kpi.id


def _status(
    log: ProblemLog,
    table: RawTable,
    cols: dict[str, int],
    i: int,
    get: CellGetter,
    kpi_id: str,
) -> ActionStatus:
    c = cols.get("status")
    if c is None or is_blank(get(c)):
        return ActionStatus.OPEN
    value = get(c)
    try:
        word = " ".join(plain_text(value).lower().split())
    except BadCell as bad:
        log.add_bad(bad, "warning", table, i, c, kpi=kpi_id, suffix=" The action counts as Open.")
        return ActionStatus.OPEN
    status = STATUSES.get(word)
    if status is None:
        log.add(
            "bad-status",
            "warning",
            f"{shown(value)} is not an action status, so the action counts as Open.",
            "Use Open, Done or Dropped (pick from the list).",
            table,
            i,
            c,
            kpi=kpi_id,
        )
        return ActionStatus.OPEN
    return status
