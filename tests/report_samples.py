"""A realistic tracker for the report tests and the docs screenshots: 12 KPIs in four
categories, months of entries, every status, a long note, a stale KPI, a hostile note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpisheets.model import Problem, Tracker
from tests.builders import kpi, tracker

AS_OF = dt.date(2026, 11, 20)
HOSTILE_NOTE = '=HYPERLINK("http://evil.example","click")'
DDE_NOTE = "=cmd|' /C calc'!A0"
LONG_NOTE = (
    "Two enterprise renewals slipped into December after procurement asked for a new "
    "security review; the pipeline for the quarter is still healthy and we expect to "
    "recover most of the gap in the first week of December."
)


def _days(start: dt.date, end: dt.date, step: int = 1) -> list[dt.date]:
    days = []
    day = start
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=step)
    return days


def realistic_tracker(hostile: bool = True) -> Tracker:
    """The sample tracker (as of 2026-11-20). ``hostile=False`` swaps the formula-like
    notes for ordinary ones (for screenshots)."""
    kpis = [
        kpi("REV", name="Revenue", category="Sales", owner="Ana Ruiz", unit="$", target=120000),
        kpi("DEALS", name="New deals", category="Sales", owner="Ana Ruiz", unit="deals", target=24),
        kpi(
            "WIN",
            name="Win rate",
            category="Sales",
            owner="Ben Ode",
            unit="%",
            aggregation="average",
            target=0.3,
        ),
        kpi(
            "CHURN",
            name="Churn rate",
            category="Customers",
            owner="Chloé Martin",
            unit="%",
            direction="lower",
            aggregation="average",
            target=0.02,
        ),
        kpi(
            "NPS",
            name="Net Promoter Score",
            category="Customers",
            owner="Chloé Martin",
            aggregation="nps",
            frequency="quarter",
            target=40,
        ),
        kpi(
            "TICKETS",
            name="Support tickets",
            category="Customers",
            owner="Dev Patel",
            unit="tickets",
            direction="lower",
            target=400,
        ),
        kpi(
            "UPTIME",
            name="Uptime",
            category="Operations",
            owner="Eva Novak",
            unit="%",
            aggregation="min",
            number_format="0.00%",
            target=0.999,
        ),
        kpi(
            "DEPLOYS",
            name="Deployments",
            category="Operations",
            owner="Eva Novak",
            unit="deploys",
            aggregation="count",
            target=40,
        ),
        kpi(
            "LEAD",
            name="Lead time (days)",
            category="Operations",
            owner="Eva Novak",
            direction="lower",
            aggregation="average",
            target=3,
        ),
        kpi("HIRES", name="Hires", category="People", owner="Fay Wong", unit="people", target=6),
        kpi(
            "ENGAGE",
            name="Engagement score",
            category="People",
            owner="Fay Wong",
            aggregation="last",
            frequency="quarter",
            target=7.5,
        ),
        kpi("TRAIN", name="Training hours", category="People", owner="Gus Lee", unit="h"),
    ]
    entries: list[tuple[Any, ...]] = []
    months = [(2026, m) for m in range(1, 12)]
    for i, (y, m) in enumerate(months):
        first = dt.date(y, m, 1)
        last = AS_OF if m == 11 else (dt.date(y, m + 1, 1) - dt.timedelta(days=1))
        for d in _days(first, last, 7):
            entries.append((d, "REV", 24000 + 1500 * i + (d.day % 5) * 900))
            entries.append((d, "DEALS", 4 + (i + d.day) % 3))
            entries.append((d, "WIN", 0.24 + 0.01 * (i % 4)))
            entries.append((d, "CHURN", 0.018 + 0.002 * (i % 3)))
            entries.append((d, "TICKETS", 70 + 3 * i))
            entries.append((d, "UPTIME", 0.9995 - 0.0001 * (i % 3)))
            entries.append((d, "LEAD", 3.5 - 0.1 * i))
        for d in _days(first, last, 2):
            entries.append((d, "DEPLOYS", None))
        entries.append((first + dt.timedelta(days=10), "HIRES", 1 + i % 3))
        entries.append((first + dt.timedelta(days=3), "TRAIN", 20 + i))
        for score in (10, 9, 9, 8, 7, 10, 6, 9, 3, 10):
            entries.append((first + dt.timedelta(days=5), "NPS", score))
        if m % 3 == 0:
            entries.append((first + dt.timedelta(days=20), "ENGAGE", 7.0 + 0.2 * (m // 3)))
    # Hires stopped being entered in September: stale.
    entries = [e for e in entries if not (e[1] == "HIRES" and e[0] >= dt.date(2026, 9, 1))]
    entries.append((dt.date(2026, 11, 18), "REV", 12000, LONG_NOTE, "Ana"))
    churn_note = HOSTILE_NOTE if hostile else "Two large accounts left after the price change"
    tickets_note = DDE_NOTE if hostile else "Release 4.2 bug backlog"
    entries.append((dt.date(2026, 11, 17), "CHURN", 0.031, churn_note, "Chloé"))
    entries.append((dt.date(2026, 11, 16), "TICKETS", 55, tickets_note, "Dev"))
    entries.append((dt.date(2026, 11, 19), "UPTIME", 0.9991, "Outage on the 19th, 40 min"))
    t = tracker(kpis, entries, title="Acme Team KPIs · November 2026", as_of=AS_OF)
    t.problems.append(
        Problem(
            "bad-number",
            "error",
            "Entries!C214: '12k' is not a number.",
            "Type the value as a number, e.g. 12000.",
            sheet="Entries",
            cell="Entries!C214",
            column="Value",
            row=214,
            kpi="REV",
        )
    )
    # As validation would have it: the row with '12k' is read, and left out.
    t.entry_count += 1
    t.left_out = {"bad-number": 1}
    return t
