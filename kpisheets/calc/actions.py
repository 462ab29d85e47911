"""Actions: the course corrections logged on the Actions sheet, per KPI, as of D.

An action is *open* until its Status says Done or Dropped; it is *overdue* when it
is open and its Due date is before D. A Done action counts as *done this period*
when its Due date — without one, the date it was logged — falls in the KPI's
current period. Actions logged after D are left out, as entries after D are (the
figures are as of D). An At risk or Off track KPI with no open action is flagged
"no action planned" (:attr:`kpisheets.result.KpiResult.no_action_planned`).
"""

from __future__ import annotations

import datetime as dt

from kpisheets.model import Action, ActionStatus
from kpisheets.result import ActionResult, KpiResult


def attach_actions(
    actions: list[Action],
    by_index: dict[int, KpiResult],
    index_by_id: dict[str, int],
    as_of: dt.date,
) -> None:
    """Give each KPI result its actions, in Actions-sheet row order."""
    for a in sorted(actions, key=lambda a: a.row or 0):
        i = index_by_id.get(a.kpi.strip().lower())
        if i is None or i not in by_index:
            continue
        if a.date is not None and a.date > as_of:
            continue
        k = by_index[i]
        when = a.due or a.date
        by_index[i].actions.append(
            ActionResult(
                action=a.action,
                status=a.status,
                date=a.date,
                owner=a.owner,
                due=a.due,
                result=a.result,
                row=a.row,
                overdue=a.status is ActionStatus.OPEN and a.due is not None and a.due < as_of,
                done_this_period=a.status is ActionStatus.DONE
                and when is not None
                and k.period.start <= when <= k.period.end,
            )
        )
