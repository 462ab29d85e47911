"""Results for the export tests, built by hand (the compute core is another helper's
and lands separately; once it is in, ``computed_result`` uses the real thing).

``sample_result`` is a realistic tracker: five categories, twelve months of history,
several units and statuses, and notes in several languages.
"""

from __future__ import annotations

import datetime as dt
import math

from kpisheets.formatting import default_number_format
from kpisheets.model import Aggregation, Direction, Frequency, Status, Trend
from kpisheets.result import HistoryPoint, KpiResult, Period, Result, Rollup

S = Status
AS_OF = dt.date(2026, 11, 20)
HOSTILE = [
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    '" onmouseover="alert(2)',
    "+1 call @ops -- see | pipe & [link](http://evil.example)",
]


def _months_back(n: int) -> list[tuple[dt.date, dt.date, str]]:
    out = []
    year, month = AS_OF.year, AS_OF.month
    for _ in range(n):
        start = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        out.append((start, nxt - dt.timedelta(days=1), start.strftime("%b %Y")))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def make_kpi(
    kpi_id: str,
    name: str,
    category: str,
    *,
    owner: str = "Ana",
    unit: str = "",
    target: float | None = 100.0,
    actual: float | None = 80.0,
    status: Status = S.ON_TRACK,
    trend: Trend | None = Trend.IMPROVING,
    note: str | None = None,
    aggregation: Aggregation = Aggregation.SUM,
    direction: Direction = Direction.HIGHER,
    wave: float = 0.0,
) -> KpiResult:
    """A KPI result whose history wobbles around its target."""
    history = []
    months = _months_back(12)
    for i, (start, end, label) in enumerate(months):
        if target is None:
            value = None if actual is None else actual * (0.8 + 0.02 * i)
        else:
            value = target * (0.85 + 0.1 * math.sin(i / 1.7 + wave) + 0.01 * i)
        if i == len(months) - 1:
            value = actual
        history.append(HistoryPoint(start, end, label, value, target))
    elapsed = 20 / 30
    expected = None if target is None else target * elapsed if aggregation.is_paced else target
    achievement = None if (target is None or actual is None) else actual / target
    score = None if (expected is None or actual is None) else actual / expected
    return KpiResult(
        id=kpi_id,
        name=name,
        category=category,
        owner=owner,
        unit=unit,
        number_format=default_number_format(unit),
        direction=direction,
        aggregation=aggregation,
        frequency=Frequency.MONTH,
        period=Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "Nov 2026", elapsed),
        actual=actual,
        target=target,
        expected=expected,
        achievement=achievement,
        score=score,
        status=status,
        forecast=(actual / elapsed) if (aggregation.is_paced and actual is not None) else None,
        previous=None if actual is None else actual * 0.9,
        change=None if actual is None else 0.111,
        trend=trend,
        last_entry=dt.date(2026, 11, 18) if actual is not None else None,
        note=note,
        history=history,
    )


def _rollup(name: str, kpis: list[KpiResult]) -> Rollup:
    counts = {s: sum(1 for k in kpis if k.status is s) for s in Status}
    scored = [min(k.score, 1.5) for k in kpis if k.score is not None]
    return Rollup(name, counts, sum(scored) / len(scored) if scored else None, len(kpis))


def assemble(kpis: list[KpiResult], title: str = "Team KPIs") -> Result:
    """Wrap KPI results into a Result with category and overall rollups."""
    categories: list[str] = []
    for k in kpis:
        if k.category not in categories:
            categories.append(k.category)
    return Result(
        title=title,
        as_of=AS_OF,
        kpis=kpis,
        categories=[_rollup(c, [k for k in kpis if k.category == c]) for c in categories],
        overall=_rollup("Overall", kpis),
        problems=[],
        entry_count=240,
    )


def sample_result() -> Result:
    """A realistic ten-KPI tracker at 2026-11-20."""
    kpis = [
        make_kpi(
            "SALES",
            "New sales",
            "Revenue",
            unit="$",
            target=120000,
            actual=84250,
            note="Two enterprise deals slipped to December; pipeline still healthy.",
        ),
        make_kpi(
            "MRR",
            "Monthly recurring revenue",
            "Revenue",
            unit="€",
            target=450000,
            actual=441800,
            aggregation=Aggregation.LAST,
            status=S.AT_RISK,
            trend=Trend.FLAT,
            wave=1.0,
        ),
        make_kpi(
            "CHURN",
            "Churn rate",
            "Customers",
            owner="Łukasz Wójcik",
            unit="%",
            target=0.02,
            actual=0.031,
            aggregation=Aggregation.AVERAGE,
            direction=Direction.LOWER,
            status=S.OFF_TRACK,
            trend=Trend.WORSENING,
            note="Zażółć gęślą jaźń — dwóch dużych klientów odeszło.",
            wave=2.0,
        ),
        make_kpi(
            "NPS",
            "Net Promoter Score",
            "Customers",
            owner="Ben",
            target=40,
            actual=46,
            aggregation=Aggregation.NPS,
            note="顧客満足度は改善しています（日本語）",
            wave=3.0,
        ),
        make_kpi(
            "CSAT",
            "Support satisfaction",
            "Customers",
            owner="Ben",
            unit="%",
            target=0.9,
            actual=0.87,
            aggregation=Aggregation.AVERAGE,
            status=S.AT_RISK,
            trend=Trend.WORSENING,
        ),
        make_kpi(
            "LEADS",
            "Qualified leads",
            "Marketing",
            owner="Chloé",
            unit="leads",
            target=600,
            actual=455,
            note="Webinar série d'automne : très bon démarrage.",
        ),
        make_kpi(
            "VISITS",
            "Website visits",
            "Marketing",
            owner="Chloé",
            unit="visits",
            target=90000,
            actual=52000,
            status=S.OFF_TRACK,
            trend=Trend.WORSENING,
            wave=0.5,
        ),
        make_kpi(
            "HIRES",
            "Hires",
            "People",
            owner="Dana",
            target=None,
            actual=3,
            status=S.NO_TARGET,
            trend=None,
        ),
        make_kpi(
            "ENPS",
            "Employee NPS",
            "People",
            owner="Dana",
            target=30,
            actual=None,
            aggregation=Aggregation.NPS,
            status=S.NO_DATA,
            trend=None,
        ),
        make_kpi(
            "TICKETS",
            "Ticket backlog",
            "Operations",
            owner="Eve",
            unit="tickets",
            target=50,
            actual=-12,
            aggregation=Aggregation.LAST,
            direction=Direction.LOWER,
            note="Negative after the cleanup script (recount pending).",
        ),
    ]
    return assemble(kpis)


def many_kpis(n: int) -> Result:
    """``n`` KPIs over a handful of categories, for pagination."""
    statuses = [S.ON_TRACK, S.AT_RISK, S.OFF_TRACK, S.ON_TRACK, S.NO_DATA]
    kpis = []
    for i in range(n):
        status = statuses[i % len(statuses)]
        kpis.append(
            make_kpi(
                f"K{i + 1:02d}",
                f"Indicator number {i + 1:02d}",
                f"Area {i % 5 + 1}",
                owner=f"Owner {i % 7}",
                unit="$" if i % 3 == 0 else "",
                target=1000 + 37 * i,
                actual=None if status is S.NO_DATA else 700 + 41 * i,
                status=status,
                note=f"Note for indicator {i + 1} with some words to wrap across the cell",
                wave=i / 3,
            )
        )
    return assemble(kpis, title="Big tracker")


def hostile_result() -> Result:
    """User text that tries to become markup or formulas everywhere it can."""
    kpis = [
        make_kpi(
            "EVIL",
            HOSTILE[0],
            HOSTILE[2],
            owner=HOSTILE[1],
            unit="$",
            target=100,
            actual=-5,
            note=HOSTILE[1],
        ),
        make_kpi("EVIL2", 'Quote\'s "name" & co', "Ops\nline", owner="@admin", note=HOSTILE[3]),
        make_kpi("EVIL3", "-2+3", "+cat", owner="\tTab", note=HOSTILE[0] + "\nsecond line"),
    ]
    result = assemble(kpis, title=HOSTILE[0] + " title")
    from kpisheets.model import Problem

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
