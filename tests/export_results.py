"""Results for the export tests, from the real compute core on trackers built by
``tests.builders`` (no workbook needed).

``sample_result`` is a realistic tracker: five categories, a year of entries, several
units, aggregations and statuses, and notes in several languages. ``many_kpis`` is
for pagination; ``hostile_result`` puts markup and formulas in every user text.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kpisheets.calc import compute
from kpisheets.model import KpiDefinition, Problem
from kpisheets.result import Result
from tests.builders import kpi, tracker

AS_OF = dt.date(2026, 11, 20)
HOSTILE = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    '" onmouseover="alert(2)',
    "+1 call @ops -- see | pipe & [link](http://evil.example)",
]


def _month_starts(n: int = 12) -> list[dt.date]:
    """The first days of the last ``n`` months up to AS_OF, oldest first."""
    out = []
    year, month = AS_OF.year, AS_OF.month
    for _ in range(n):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(out))


def _wobble(i: int, phase: float) -> float:
    return 1 + 0.12 * math.sin(i / 1.7 + phase)


def _entries_for(
    kpi_id: str, level: float, phase: float, per_month: int, notes: dict[int, str] | None = None
) -> list[tuple[Any, ...]]:
    """``per_month`` entries a month (on days 2, 9, 16, 23) summing or averaging to
    about ``level`` × a wobble; ``notes`` maps a month index to a note on its last entry."""
    rows: list[tuple[Any, ...]] = []
    for i, start in enumerate(_month_starts()):
        days = [d for d in (2, 9, 16, 23)[:per_month] if start.replace(day=d) <= AS_OF]
        for j, d in enumerate(days):
            value = level * _wobble(i, phase)
            note = (notes or {}).get(i) if j == len(days) - 1 else None
            rows.append((start.replace(day=d), kpi_id, round(value, 4), note, "Ana"))
    return rows


def sample_result() -> Result:
    """A realistic ten-KPI tracker computed at 2026-11-20."""
    kpis = [
        kpi("SALES", name="New sales", category="Revenue", owner="Ana", unit="$", target=120000),
        kpi(
            "MRR",
            name="Monthly recurring revenue",
            category="Revenue",
            owner="Ana",
            unit="€",
            aggregation="last",
            target=450000,
        ),
        kpi(
            "CHURN",
            name="Churn rate",
            category="Customers",
            owner="Łukasz Wójcik",
            unit="%",
            direction="lower",
            aggregation="average",
            target=0.02,
        ),
        kpi(
            "NPS",
            name="Net Promoter Score",
            category="Customers",
            owner="Ben",
            aggregation="nps",
            target=40,
        ),
        kpi(
            "CSAT",
            name="Support satisfaction",
            category="Customers",
            owner="Ben",
            unit="%",
            aggregation="average",
            target=0.9,
        ),
        kpi(
            "LEADS",
            name="Qualified leads",
            category="Marketing",
            owner="Chloé",
            unit="leads",
            target=600,
        ),
        kpi(
            "VISITS",
            name="Website visits",
            category="Marketing",
            owner="Chloé",
            unit="visits",
            target=90000,
        ),
        kpi("HIRES", name="Hires", category="People", owner="Dana", aggregation="count"),
        kpi(
            "ENPS",
            name="Employee NPS",
            category="People",
            owner="Dana",
            aggregation="nps",
            target=30,
        ),
        kpi(
            "TICKETS",
            name="Ticket backlog",
            category="Operations",
            owner="Eve",
            unit="tickets",
            direction="lower",
            aggregation="last",
            target=50,
        ),
    ]
    last = len(_month_starts()) - 1
    entries: list[tuple[Any, ...]] = []
    entries += _entries_for(
        "SALES",
        30500,
        0.0,
        4,
        {last: "Two enterprise deals slipped to December; pipeline still healthy."},
    )
    entries += _entries_for("MRR", 405000, 1.0, 1)
    entries += _entries_for(
        "CHURN", 0.024, 2.0, 2, {last: "Zażółć gęślą jaźń — dwóch dużych klientów odeszło."}
    )
    entries += _entries_for("CSAT", 0.88, 0.4, 3)
    entries += _entries_for(
        "LEADS", 150, 2.5, 4, {last: "Webinar série d'automne : très bon démarrage."}
    )
    entries += _entries_for("VISITS", 17000, 0.5, 4)
    entries += _entries_for("TICKETS", 58, 3.0, 1, {last: "Down after the cleanup sprint."})
    for i, start in enumerate(_month_starts()):
        scores = [10, 9, 9, 8, 7, 10, 6, 9, 10, 3][: 6 + i % 5]
        for j, score in enumerate(scores):
            note = "顧客満足度は改善しています（日本語）" if i == last and j == 0 else None
            entries.append((start.replace(day=3), "NPS", score, note, "Ben"))
        entries.append((start.replace(day=12), "HIRES", None, None, "Dana"))
    return compute(tracker(kpis, entries, title="Team KPIs"), AS_OF)


def many_kpis(n: int) -> Result:
    """``n`` Sum KPIs over five categories, each with a year of weekly entries."""
    kpis: list[KpiDefinition] = []
    entries: list[tuple[Any, ...]] = []
    for i in range(n):
        kpi_id = f"K{i + 1:02d}"
        kpis.append(
            kpi(
                kpi_id,
                name=f"Indicator number {i + 1:02d}",
                category=f"Area {i % 5 + 1}",
                owner=f"Owner {i % 7}",
                unit="$" if i % 3 == 0 else "",
                target=1000 + 37 * i,
            )
        )
        if i % 5 != 4:  # every fifth KPI has no data
            note = {11: f"Note for indicator {i + 1} with some words to wrap across the cell"}
            entries += _entries_for(kpi_id, (1000 + 37 * i) / 4 * (0.8 + 0.02 * i), i / 3, 4, note)
    return compute(tracker(kpis, entries, title="Big tracker"), AS_OF)


def hostile_result() -> Result:
    """User text that tries to become markup or formulas everywhere it can."""
    kpis = [
        kpi("EVIL", name=HOSTILE[0], category=HOSTILE[2], owner=HOSTILE[1], unit="$", target=100),
        kpi("EVIL2", name='Quote\'s "name" & co', category="Ops\nline", owner="@admin", target=10),
        kpi(
            "EVIL3",
            name="-2+3",
            category="+cat",
            owner="\tTab",
            target=10,
            direction="lower",
            aggregation="last",
        ),
    ]
    entries = [
        (dt.date(2026, 11, 2), "EVIL", -5, HOSTILE[1]),
        (dt.date(2026, 11, 3), "EVIL2", 4, HOSTILE[3]),
        (dt.date(2026, 11, 4), "EVIL3", 12, HOSTILE[0] + "\nsecond line"),
    ]
    result = compute(tracker(kpis, entries, title=HOSTILE[0] + " title"), AS_OF)
    result.problems.append(
        Problem(
            code="bad-number",
            severity="error",
            message=f"Entries!C4 holds {HOSTILE[0]!r}, not a number.",
            hint="Type a number.",
            sheet="Entries",
            cell="Entries!C4",
            column="Value",
            row=4,
        )
    )
    return result
