"""Sample trackers: a year of realistic, deterministic entries for each field.

Four filled trackers (sales, marketing, customer success, people) built from a seeded
random generator, so the files in ``sample_workbooks/`` and the one ``kpisheets demo``
copies are the same bytes on every machine. Together they cover every aggregation,
direction and frequency, a formula KPI, NPS survey scores, time-phased targets, a
goal with Start, End and Baseline, and a Settings › As of date. Each story has
seasonality, a bad month, a recovery and the notes people write.

Rebuild with ``python -m kpisheets.templates build .`` (see docs/templates.md).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpisheets.templates import (
    CS_KPIS,
    FIXED_CREATED,
    MARKETING_KPIS,
    PEOPLE_KPIS,
    SALES_KPIS,
    build_templates,
    headcount_goal,
    input_sheets,
    tracker_bytes,
)

SAMPLE_NAMES = ("sales", "marketing", "customer-success", "people")
AS_OF = dt.date(2026, 11, 20)
FIRST_MONTH = dt.date(2025, 11, 1)  # 13 months of history up to AS_OF
# Yearly and quarterly totals start earlier, so the previous year (2025) and the
# first quarter shown (Q4 2025) are whole: a year of 2 months made 2026 look +1565%.
FIRST_MONTH_YEARLY = dt.date(2025, 1, 1)
FIRST_MONTH_QUARTERLY = dt.date(2025, 10, 1)
SEED = 20261120

D = dt.date


def _from_template(
    template_kpis: list[dict[str, Any]], kpi_id: str, **changes: Any
) -> dict[str, Any]:
    """A sample KPI that starts from its template's definition: the same KPI with
    ``changes`` (a ``None`` value clears a column). Keeps the two in step."""
    (kpi,) = [dict(k) for k in template_kpis if k["ID"] == kpi_id]
    kpi.update(changes)
    return kpi


def sample_file_name(name: str) -> str:
    """The file name of a sample: ``sales`` → ``sales-kpis.xlsx``."""
    return f"{name}-kpis.xlsx"


def _next_month(month: dt.date) -> dt.date:
    return D(month.year + month.month // 12, month.month % 12 + 1, 1)


def _months(first: dt.date = FIRST_MONTH, until: dt.date = AS_OF) -> Iterator[dt.date]:
    """The first day of each month from ``first`` up to ``until`` (included)."""
    month = first
    while month <= until:
        yield month
        month = _next_month(month)


def _earlier_months(first: dt.date) -> Iterator[dt.date]:
    """The months from ``first`` up to the month before FIRST_MONTH."""
    return _months(first, FIRST_MONTH - dt.timedelta(days=1))


def _days(month: dt.date, weekday: int | None = None) -> list[dt.date]:
    """Days of ``month`` up to AS_OF; only one weekday when given (0 = Monday)."""
    days = []
    day = month
    while day.month == month.month and day <= AS_OF:
        if weekday is None or day.weekday() == weekday:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _month_end(month: dt.date) -> dt.date:
    """The last day of ``month``, or AS_OF in the current month."""
    return min(_next_month(month) - dt.timedelta(days=1), AS_OF)


class _Log:
    """Entries as people type them: date order, a note now and then."""

    def __init__(self) -> None:
        self.rows: list[tuple[dt.date, int, str, Any, str | None, str, str | None]] = []

    def add(
        self,
        date: dt.date,
        kpi: str,
        value: Any,
        by: str,
        note: str | None = None,
        segment: str | None = None,
    ) -> None:
        if date > AS_OF:
            return
        if isinstance(value, float):
            value = round(value, 4)
        self.rows.append((date, len(self.rows), kpi, value, note, by, segment))

    def entries(self) -> list[tuple[Any, ...]]:
        """The Entries rows in date order, same-day rows in the order they were added."""
        ordered = sorted(self.rows, key=lambda r: (r[0], r[1]))
        return [
            (d, kpi, value, note, by, *([segment] if segment else []))
            for d, _, kpi, value, note, by, segment in ordered
        ]


# ---------------------------------------------------------------------------
# Sales: revenue with a Q4 peak and an August dip, a lost deal in April.


def sales_sheets() -> dict[str, list[list[Any]]]:
    """The sales sample's input sheets as rows."""
    rng = random.Random(SEED + 1)
    kpis = [
        _from_template(
            SALES_KPIS,
            "REVENUE",
            Weight=2,
            Description="Value of deals closed won; monthly targets in Targets.",
        ),
        _from_template(SALES_KPIS, "GROWTH", Description=None),
        dict(
            ID="AVG_DEAL",
            KPI="Average deal size",
            Category="Revenue",
            Owner="Maria",
            Unit="$",
            Direction="Higher is better",
            Aggregation="Formula",
            Formula="REVENUE / DEALS_WON",
            Frequency="Month",
            Target=21000,
            Description="Revenue / deals won, from the month's totals.",
        ),
        _from_template(SALES_KPIS, "PIPELINE", Description=None),
        _from_template(SALES_KPIS, "LEADS"),
        _from_template(SALES_KPIS, "QUALIFIED"),
        _from_template(SALES_KPIS, "PROPOSALS"),
        _from_template(
            SALES_KPIS, "DEALS_WON", Description="One row per deal won; the funnel's last stage."
        ),
        dict(
            ID="DEMOS",
            KPI="Demos held",
            Category="Pipeline",
            Owner="Tom",
            Unit="demos",
            Direction="Higher is better",
            Aggregation="Sum",
            Frequency="Week",
            Target=20,
        ),
        _from_template(SALES_KPIS, "WIN_RATE", Description=None),
        _from_template(
            SALES_KPIS, "CYCLE", Description=None, **{"Green at": 0.95, "Amber at": 0.85}
        ),
        dict(
            ID="DISCOUNT",
            KPI="Largest discount given",
            Category="Efficiency",
            Owner="Maria",
            Unit="%",
            Direction="Lower is better",
            Aggregation="Max",
            Frequency="Quarter",
            Target=0.2,
            Description="The deepest discount on any deal in the quarter.",
        ),
    ]
    log = _Log()
    season = {
        1: 0.8,
        2: 0.85,
        3: 1.1,
        4: 0.95,
        5: 1.0,
        6: 1.15,
        7: 0.9,
        8: 0.75,
        9: 1.1,
        10: 1.0,
        11: 1.05,
        12: 1.3,
    }
    companies = [
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Stark",
        "Wayne",
        "Wonka",
        "Tyrell",
        "Soylent",
        "Cyberdyne",
        "Vandelay",
        "Pied Piper",
        "Gringotts",
        "Oscorp",
        "Aperture",
        "Monarch",
        "Dunder Mifflin",
    ]
    targets: list[tuple[str, dt.date, float]] = []
    for month in _months():
        factor = season[month.month]
        if month >= D(2026, 1, 1):
            targets.append(("REVENUE", month, round(250000 * factor, -3)))
        bad = month == D(2026, 4, 1)
        recovery = month in (D(2026, 5, 1), D(2026, 6, 1))
        deals = max(3, round(rng.gauss(12 * factor, 1.5) * (0.55 if bad else 1)))
        if recovery:
            deals += 2
        week_days = _days(month, 4)  # revenue booked on Fridays
        for i, day in enumerate(week_days):
            amount = 250000 * factor / len(week_days) * rng.uniform(0.8, 1.2)
            note = None
            if bad and i == 1:
                amount *= 0.3
                note = "Lost Initech to a competitor on price"
            elif bad and i == 2:
                note = "Two renewals pushed to May"
            elif recovery and i == 0:
                amount *= 1.3
                note = "Initech came back after the pilot" if month.month == 5 else None
            elif month == D(2026, 11, 1) and i == 1:
                note = "Globex expansion signed a month early"
            elif month == D(2026, 8, 1) and i == 0:
                note = "Summer holidays: buyers away"
            elif month.month == 12 and i == len(week_days) - 1:
                note = "Year-end push: three enterprise deals"
            log.add(day, "REVENUE", round(amount, -2), "Maria", note)
        for d in sorted(rng.sample(_days(month), min(deals, len(_days(month))))):
            log.add(d, "DEALS_WON", None, "Tom", deal_note(rng.choice(companies), d))
        for day in _days(month, 0):
            demos = max(4, round(rng.gauss(20 * factor, 3) * (0.7 if bad else 1)))
            log.add(day, "DEMOS", demos, "Tom", "Team offsite" if demos < 12 else None)
        end = _month_end(month)
        slump = month == D(2026, 11, 1)  # this month's worry: two bake-offs lost
        pipeline = 780000 * factor * rng.uniform(0.9, 1.1) * (0.7 if bad else 1)
        pipeline_note = "Pipeline thin after April losses" if bad else None
        if slump:
            pipeline *= 0.75
            pipeline_note = "Q1 pipeline light: need 10 more qualified opportunities"
        log.add(end, "PIPELINE", round(pipeline, -3), "Tom", pipeline_note)
        for rep in ("Tom", "Ana"):
            rate = rng.uniform(0.2, 0.32) * (0.6 if bad else 0.72 if slump else 1)
            lost = "Lost two bake-offs to Globex's new pricing" if slump and rep == "Tom" else None
            log.add(end, "WIN_RATE", rate, rep, lost)
            cycle = rng.gauss(44, 5) + (12 if bad else 0)
            log.add(end, "CYCLE", round(cycle), rep)
        for _ in range(3):
            log.add(
                rng.choice(_days(month)), "DISCOUNT", rng.choice([0.05, 0.1, 0.12, 0.15]), "Maria"
            )
        if bad:
            log.add(D(2026, 4, 22), "DISCOUNT", 0.3, "Maria", "Matched competitor to save Hooli")
        if month.month in (3, 6, 9, 12):
            growth = {3: 0.11, 6: 0.09, 9: 0.17, 12: 0.14}[month.month]
            log.add(end, "GROWTH", growth, "Maria", f"Q{(month.month - 1) // 3 + 1} close")
    log.add(D(2026, 11, 15), "GROWTH", 0.16, "Maria", "Q4 forecast from Finance")
    _sales_funnel(log, season)
    actions = [
        (D(2026, 4, 20), "REVENUE", "Match the competitor's price for Initech", "Maria",
         D(2026, 5, 15), "Done", "Initech came back after the pilot"),
        (D(2026, 8, 3), "DEMOS", "Demo days during the summer holidays", "Tom", None, "Dropped"),
        (D(2026, 10, 12), "WIN_RATE", "Pricing sheet that answers Globex's new offer", "Maria",
         D(2026, 11, 6), "Done", "Won one bake-off back (Vandelay)"),
        (D(2026, 11, 3), "PROPOSALS", "Borrow a solution engineer from the partner team",
         "Tom", D(2026, 11, 13), "Open"),
        (D(2026, 11, 10), "PIPELINE", "Ten more discovery calls a week until Q1 is covered",
         "Tom", D(2026, 12, 18), "Open"),
    ]  # fmt: skip
    return input_sheets("Sales KPIs", kpis, log.entries(), targets, as_of=AS_OF, actions=actions)


# What a rep writes when logging a won deal: the customer and why it matters.
DEAL_NOTES = (
    "{}: new logo, signed after a two-week pilot",
    "{} renewed for two years and added 40 seats",
    "{} upgraded to the enterprise plan",
    "{}: closed at list price, no discount asked",
    "{} signed once their security review cleared",
    "{}: a second team onboarded, referred by the first",
    "{}: won against a competitor's lower bid on support",
    "{}: a small first order; expansion planned for Q1",
)


def deal_note(company: str, day: dt.date) -> str:
    """The note of a deal won with ``company`` on ``day``: real commentary, not just
    the name (chosen by the date, so the sample's random figures stay as they were).

    >>> deal_note("Globex", D(2026, 11, 2))
    'Globex upgraded to the enterprise plan'
    """
    return DEAL_NOTES[day.toordinal() % len(DEAL_NOTES)].format(company)


def _sales_funnel(log: _Log, season: dict[int, float]) -> None:
    """Weekly leads, qualified leads and proposals; the last stage is DEALS_WON. In
    November two solution engineers are out and proposals queue up: the funnel's
    bottleneck is Qualified → Proposals. Its own generator, so the other KPIs'
    figures do not depend on it."""
    rng = random.Random(SEED + 11)
    for month in _months():
        factor = season[month.month]
        short_handed = month == D(2026, 11, 1)
        for i, day in enumerate(_days(month, 0)):  # Mondays
            leads = round(400 * factor * 12 / 52 * rng.uniform(0.92, 1.08))
            qualified = round(leads * rng.uniform(0.49, 0.56))
            rate = rng.uniform(0.16, 0.19) if short_handed else rng.uniform(0.29, 0.34)
            proposals = round(qualified * rate)
            note = None
            if short_handed and i == 0:
                note = "Two solution engineers out: proposals queue up"
            log.add(day, "LEADS", leads, "Tom")
            log.add(day, "QUALIFIED", qualified, "Tom")
            log.add(day, "PROPOSALS", proposals, "Tom", note)


# ---------------------------------------------------------------------------
# Marketing: traffic with a summer lull, a site outage in March, a webinar recovery.


def marketing_sheets() -> dict[str, list[list[Any]]]:
    """The marketing sample's input sheets as rows."""
    rng = random.Random(SEED + 2)
    kpis = [
        _from_template(MARKETING_KPIS, "VISITS"),
        _from_template(MARKETING_KPIS, "BOUNCES", Target=None),
        _from_template(MARKETING_KPIS, "BOUNCE_RATE", Target=0.45),
        _from_template(MARKETING_KPIS, "LEADS"),
        _from_template(
            MARKETING_KPIS, "CONVERSION", Description="Leads / visits from the month's totals."
        ),
        _from_template(MARKETING_KPIS, "MQL"),
        _from_template(MARKETING_KPIS, "CPL"),
        dict(
            ID="EMAIL_OPEN",
            KPI="Newsletter open rate",
            Category="Engagement",
            Owner="Lena",
            Unit="%",
            Direction="Higher is better",
            Aggregation="Last",
            Frequency="Month",
            Target=0.28,
        ),
        dict(
            ID="PUBLISHED",
            KPI="Articles published",
            Category="Engagement",
            Owner="Noor",
            Unit="articles",
            Direction="Higher is better",
            Aggregation="Count",
            Frequency="Year",
            Target=48,
            Description="One row per article; a goal for the year.",
        ),
        dict(
            ID="SOV",
            KPI="Share of voice",
            Category="Awareness",
            Owner="Noor",
            Unit="%",
            Direction="Higher is better",
            Aggregation="Min",
            Frequency="Month",
            Target=0.18,
            Active="No",
            Description="Paused: the listening tool contract ended in June.",
        ),
    ]
    log = _Log()
    season = {
        1: 1.0,
        2: 1.05,
        3: 1.1,
        4: 1.05,
        5: 1.0,
        6: 0.95,
        7: 0.8,
        8: 0.75,
        9: 1.05,
        10: 1.1,
        11: 1.15,
        12: 0.85,
    }
    titles = [
        "How we cut reporting time in half",
        "KPI tracking in Excel, done right",
        "Five metrics every team lead should watch",
        "Customer story: Globex",
        "What NPS really tells you",
        "Release notes",
        "Webinar recap",
    ]
    targets: list[tuple[str, dt.date, float]] = []
    devices = random.Random(SEED + 21)  # its own generator: the other figures stay put
    for month in _months():
        factor = season[month.month]
        targets.append(("BOUNCES", month, round(40000 * factor * 0.45, -2)))
        if month >= D(2026, 1, 1):
            targets.append(("VISITS", month, round(40000 * factor, -3)))
            targets.append(("LEADS", month, round(800 * factor, -1)))
        outage = month == D(2026, 3, 1)
        webinar = month == D(2026, 4, 1)
        for day in _days(month, 6):  # weekly analytics export on Sundays
            visits = 40000 * factor / 4.3 * rng.uniform(0.88, 1.12)
            rate = rng.uniform(0.018, 0.023)
            note = None
            if outage and day.day > 7 and day.day <= 21:
                visits *= 0.45
                rate *= 0.8
                note = "Site down after the CMS upgrade; fixed on the 20th"
            if webinar and day.day <= 7:
                visits *= 1.25
                rate *= 1.3
                note = "Webinar week: 600 registrations"
            _visits_by_device(log, devices, day, round(visits), note)
            log.add(day, "LEADS", round(visits * rate), "Lena")
            log.add(day, "CPL", rng.uniform(36, 50) * (1.35 if outage else 1), "Sam")
        end = _month_end(month)
        log.add(end, "MQL", round(rng.gauss(300 * factor, 25)), "Sam")
        log.add(
            end,
            "EMAIL_OPEN",
            rng.uniform(0.24, 0.31),
            "Lena",
            "Subject-line test won" if month.month == 10 else None,
        )
        for day in sorted(rng.sample(_days(month), min(4, len(_days(month))))):
            # The note says what went out, not just its title.
            log.add(day, "PUBLISHED", None, "Noor", f"Published on the blog: {rng.choice(titles)}")
        if month <= D(2026, 6, 1):
            log.add(end, "SOV", rng.uniform(0.15, 0.21), "Noor")
    # The yearly and quarterly totals' earlier months, from their own generator so
    # the other KPIs' figures do not depend on them.
    early = random.Random(SEED + 20)
    for month in _earlier_months(FIRST_MONTH_YEARLY):
        for day in sorted(early.sample(_days(month), 4)):
            log.add(day, "PUBLISHED", None, "Noor", early.choice(titles))
        if month >= FIRST_MONTH_QUARTERLY:
            mqls = round(early.gauss(300 * season[month.month], 25))
            log.add(_month_end(month), "MQL", mqls, "Sam")
    actions = [
        (D(2026, 3, 12), "VISITS", "Roll back the CMS upgrade", "Lena", D(2026, 3, 20), "Done",
         "Site back up on the 20th"),
        (D(2026, 10, 28), "CPL", "Pause the two worst ad sets", "Sam", D(2026, 11, 6), "Done",
         "Cost per lead down by $4"),
        (D(2026, 11, 9), "BOUNCE_RATE", "Lighter mobile landing page for the Instagram "
         "campaign", "Lena", D(2026, 11, 18), "Open"),
        (D(2026, 11, 12), "BOUNCE_RATE", "Move the cookie banner off the mobile menu", "Sam",
         D(2026, 11, 27), "Open"),
    ]  # fmt: skip
    return input_sheets(
        "Marketing KPIs", kpis, log.entries(), targets, as_of=AS_OF, actions=actions
    )


def _visits_by_device(
    log: _Log, rng: random.Random, day: dt.date, visits: int, note: str | None
) -> None:
    """A week's visits and bounced visits, by device. In November an Instagram
    campaign brings mostly phone traffic to a landing page that is slow on phones:
    mobile's share of visits and its bounce rate both rise, and the bounce rate's
    driver sentence finds it."""
    campaign = day >= D(2026, 11, 1)
    mobile_share = rng.uniform(0.58, 0.62) if campaign else rng.uniform(0.42, 0.48)
    mobile = round(visits * mobile_share)
    mobile_bounce = rng.uniform(0.6, 0.64) if campaign else rng.uniform(0.52, 0.56)
    desktop_bounce = rng.uniform(0.3, 0.34)
    if campaign and note is None:
        note = "Instagram campaign: mostly phone traffic"
    log.add(day, "VISITS", mobile, "Lena", note, segment="Mobile")
    log.add(day, "VISITS", visits - mobile, "Lena", segment="Desktop")
    log.add(day, "BOUNCES", round(mobile * mobile_bounce), "Lena", segment="Mobile")
    log.add(day, "BOUNCES", round((visits - mobile) * desktop_bounce), "Lena", segment="Desktop")


# ---------------------------------------------------------------------------
# Customer success: a price change in July raises churn; a save campaign recovers it.


def customer_success_sheets() -> dict[str, list[list[Any]]]:
    """The customer-success sample's input sheets as rows."""
    rng = random.Random(SEED + 3)
    kpis = [
        _from_template(CS_KPIS, "RETENTION", Description=None),
        _from_template(CS_KPIS, "CHURN", Format="0.0%", Weight=2, Description=None),
        _from_template(CS_KPIS, "NPS", Description="One row per survey answer (0-10)."),
        _from_template(CS_KPIS, "CSAT", Description=None),
        _from_template(CS_KPIS, "FIRST_RESPONSE", Frequency="Week"),
        dict(
            ID="LONGEST_WAIT",
            KPI="Longest ticket wait",
            Category="Support",
            Owner="Jonas",
            Unit="hours",
            Direction="Lower is better",
            Aggregation="Max",
            Frequency="Week",
            Target=24,
        ),
        dict(
            ID="UPTIME",
            KPI="Worst daily uptime",
            Category="Support",
            Owner="Priya",
            Unit="%",
            Format="0.00%",
            Direction="Higher is better",
            Aggregation="Min",
            Frequency="Month",
            Target=0.995,
        ),
        dict(
            ID="BACKLOG",
            KPI="Open tickets per agent",
            Category="Support",
            Owner="Jonas",
            Unit="tickets",
            Direction="Within range",
            Aggregation="Last",
            Frequency="Week",
            Target=25,
            Tolerance=5,
            Description="Too few means overstaffed, too many means slow answers.",
        ),
    ]
    log = _Log()
    targets: list[tuple[str, dt.date, float]] = []
    for month in _months():
        shock = month == D(2026, 7, 1)
        after = month in (D(2026, 8, 1), D(2026, 9, 1))
        end = _month_end(month)
        churn = rng.uniform(0.012, 0.02)
        if shock:
            churn = 0.041
        elif after:
            churn = 0.028 if month.month == 8 else 0.021
        note = (
            {
                7: "Price change: 9 accounts cancelled",
                8: "Save campaign started",
                9: "Back to normal after the save campaign",
            }.get(month.month)
            if (shock or after)
            else None
        )
        log.add(end, "CHURN", churn, "Priya", note)
        if month.month in (3, 6, 9, 12):
            retention = {3: 0.935, 6: 0.93, 9: 0.885, 12: 0.92}[month.month]
            log.add(
                end,
                "RETENTION",
                retention,
                "Priya",
                "Q3 hit by the price change" if month.month == 9 else None,
            )
        for _ in range(rng.randint(22, 30)):
            day = rng.choice(_days(month))
            weights = [0.5, 0.5, 0.5, 1, 1, 1.5, 2, 6, 9, 14, 12]
            if shock:
                weights = [3, 3, 3, 4, 5, 5, 5, 6, 6, 6, 5]
            score = rng.choices(range(11), weights=weights)[0]
            comment = None
            if score <= 3:
                comment = rng.choice(
                    ["Too expensive now", "Support took days to answer", "Missing Salesforce sync"]
                )
            elif score == 10:
                comment = rng.choice(["Saves me an hour every week", "Great onboarding"])
            log.add(day, "NPS", score, "Jonas", comment)
        for week in _days(month, 0):
            csat = rng.uniform(0.86, 0.95) - (0.08 if shock else 0)
            log.add(week, "CSAT", csat, "Jonas")
            frt = rng.gauss(3.6, 0.6) + (2.5 if shock else 0)
            log.add(week, "FIRST_RESPONSE", round(max(frt, 0.5), 1), "Jonas")
            log.add(
                week + dt.timedelta(days=2),
                "FIRST_RESPONSE",
                round(max(rng.gauss(3.8, 0.6), 0.5), 1),
                "Ana",
            )
            wait = rng.uniform(8, 22) + (30 if shock else 0)
            log.add(
                week + dt.timedelta(days=4),
                "LONGEST_WAIT",
                round(wait),
                "Jonas",
                "Queue overflow after price e-mail" if shock and wait > 45 else None,
            )
            backlog = rng.gauss(26, 4) + (14 if shock else 0)
            log.add(week + dt.timedelta(days=4), "BACKLOG", round(backlog), "Jonas")
        for day in _days(month):
            uptime = 1 - abs(rng.gauss(0, 0.0015))
            if day == D(2026, 2, 12):
                uptime = 0.962
            if day.day in (1, 15) or uptime < 0.997:
                log.add(
                    day,
                    "UPTIME",
                    uptime,
                    "Priya",
                    "Database failover, 55 minutes down" if uptime < 0.97 else None,
                )
        if month >= D(2026, 7, 1):
            targets.append(("CHURN", month, 0.03 if month.month in (7, 8) else 0.02))
    actions = [
        (D(2026, 7, 20), "CHURN", "Save campaign for the accounts hit by the price change",
         "Priya", D(2026, 8, 31), "Done", "Churn back to 2.1% in September"),
        (D(2026, 11, 2), "FIRST_RESPONSE", "Weekend on-call rota", "Jonas", D(2026, 11, 16),
         "Open"),
        (D(2026, 11, 4), "BACKLOG", "Move two agents from chat to tickets", "Jonas",
         D(2026, 11, 18), "Done", "Backlog down to 24 per agent"),
        (D(2026, 11, 11), "NPS", "Onboarding call for every new account", "Jonas",
         D(2026, 12, 11), "Open"),
    ]  # fmt: skip
    return input_sheets(
        "Customer Success KPIs", kpis, log.entries(), targets, as_of=AS_OF, actions=actions
    )


# ---------------------------------------------------------------------------
# People: a headcount goal for 2026 (glide path), a hiring freeze in February.


def people_sheets() -> dict[str, list[list[Any]]]:
    """The people sample's input sheets as rows."""
    rng = random.Random(SEED + 4)
    kpis = [
        _from_template(
            [headcount_goal(2026)],
            "HEADCOUNT",
            Description="Goal: from 70 to 85 people during 2026.",
        ),
        dict(
            ID="HIRES",
            KPI="New hires",
            Category="Growth",
            Owner="Alex",
            Unit="hires",
            Direction="Higher is better",
            Aggregation="Count",
            Frequency="Quarter",
            Target=5,
            Description="One row per accepted offer.",
        ),
        _from_template(PEOPLE_KPIS, "TIME_TO_HIRE", Description=None),
        _from_template(PEOPLE_KPIS, "PRODUCTIVITY", Description=None),
        _from_template(PEOPLE_KPIS, "UTILISATION", Description=None),
        dict(
            ID="TRAINING",
            KPI="Training hours",
            Category="Development",
            Owner="Kim",
            Unit="hours",
            Direction="Higher is better",
            Aggregation="Sum",
            Frequency="Year",
            Target=1600,
        ),
        dict(
            ID="ATTRITION",
            KPI="Voluntary attrition (12 months)",
            Category="Engagement",
            Owner="Alex",
            Unit="%",
            Direction="Lower is better",
            Aggregation="Last",
            Frequency="Month",
            Target=0.1,
        ),
        _from_template(PEOPLE_KPIS, "ENPS", Target=10, Description=None),
    ]
    log = _Log()
    headcount = 68
    names = [
        "Sofia",
        "Liam",
        "Mia",
        "Noah",
        "Emma",
        "Lucas",
        "Olivia",
        "Elias",
        "Ava",
        "Leon",
        "Zoe",
        "Finn",
        "Nora",
        "Jonah",
        "Ida",
        "Milo",
        "Lea",
        "Theo",
    ]
    for month in _months():
        freeze = month in (D(2026, 2, 1), D(2026, 3, 1))
        hires = 0 if freeze else rng.choice([1, 1, 2, 2, 3])
        if month == D(2026, 4, 1):
            hires = 4  # catching up after the freeze
        leavers = rng.choice([0, 0, 1])
        for _ in range(hires):
            day = rng.choice(_days(month))
            log.add(day, "HIRES", None, "Alex", f"{rng.choice(names)} accepted")
            log.add(
                day,
                "TIME_TO_HIRE",
                round(rng.gauss(34, 7) + (10 if month.month == 4 else 0)),
                "Alex",
            )
        headcount += hires - leavers
        end = _month_end(month)
        note = None
        if month == D(2026, 2, 1):
            note = "Hiring freeze until the budget review"
        elif month == D(2026, 4, 1):
            note = "Freeze lifted; four offers accepted"
        log.add(end, "HEADCOUNT", headcount, "Alex", note)
        for week in _days(month, 4):
            util = rng.uniform(0.74, 0.84) + (0.07 if month.month in (10, 11) else 0)
            log.add(
                week,
                "UTILISATION",
                util,
                "Kim",
                "Two big projects overlap; people are stretched"
                if util > 0.88 and month.month == 11
                else None,
            )
        for _ in range(rng.randint(10, 14)):
            log.add(rng.choice(_days(month)), "TRAINING", rng.choice([4, 8, 8, 16, 24]), "Kim")
        log.add(end, "ATTRITION", rng.uniform(0.08, 0.12) + (0.03 if freeze else 0), "Alex")
        # Finance sends a trailing-quarter figure every month.
        revenue = 41000 + 400 * len(log.rows) % 5000 + rng.randint(-800, 800)
        log.add(end, "PRODUCTIVITY", round(revenue, -2), "Kim")
        if month.month in (1, 4, 7, 10):
            survey = D(month.year, month.month, 15)
            for _ in range(headcount // 2):
                weights = [0.5, 0.5, 1, 1, 1.5, 2, 3, 8, 10, 8, 6]
                score = rng.choices(range(11), weights=weights)[0]
                comment = None
                if score <= 2:
                    comment = rng.choice(["Unclear career paths", "Too many meetings"])
                log.add(survey, "ENPS", score, "Alex", comment)
    # The yearly and quarterly totals' earlier months, from their own generator so
    # the other KPIs' figures do not depend on them.
    early = random.Random(SEED + 40)
    for month in _earlier_months(FIRST_MONTH_YEARLY):
        for _ in range(early.randint(10, 14)):
            hours = early.choice([4, 8, 8, 16, 24])
            log.add(early.choice(_days(month)), "TRAINING", hours, "Kim")
        if month >= FIRST_MONTH_QUARTERLY:
            for _ in range(early.choice([1, 2, 2, 3])):
                log.add(
                    early.choice(_days(month)),
                    "HIRES",
                    None,
                    "Alex",
                    f"{early.choice(names)} accepted",
                )
    return input_sheets(
        "People KPIs",
        kpis,
        log.entries(),
        [
            ("TIME_TO_HIRE", D(2026, 12, 1), 30),
            ("HIRES", D(2026, 10, 1), 6),
            ("TRAINING", D(2026, 1, 1), 1800),
        ],
        as_of=AS_OF,
        actions=[
            (
                D(2026, 2, 5),
                "HEADCOUNT",
                "Hiring freeze until the budget review",
                "Alex",
                D(2026, 3, 31),
                "Done",
                "Freeze lifted in April; four offers accepted",
            ),
            (
                D(2026, 11, 5),
                "UTILISATION",
                "Stagger the two big projects; two contractors",
                "Kim",
                D(2026, 11, 19),
                "Open",
            ),
            (
                D(2026, 11, 10),
                "TIME_TO_HIRE",
                "Second recruiter for engineering roles",
                "Alex",
                D(2026, 12, 15),
                "Open",
            ),
        ],
    )


SAMPLES = {
    "sales": sales_sheets,
    "marketing": marketing_sheets,
    "customer-success": customer_success_sheets,
    "people": people_sheets,
}


def sample_sheets(name: str) -> dict[str, list[list[Any]]]:
    """A sample tracker's input sheets as rows (``sales``, ``marketing``,
    ``customer-success`` or ``people``)."""
    return SAMPLES[name]()


def sample_bytes(name: str) -> bytes:
    """The bytes of a sample tracker workbook; the same on every machine."""
    return tracker_bytes(
        sample_file_name(name), name, sample_sheets(name), macro=False, created=FIXED_CREATED
    )


def write_samples(folder: Path) -> list[Path]:
    """Write the four sample trackers into ``folder``; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SAMPLE_NAMES:
        path = folder / sample_file_name(name)
        path.write_bytes(sample_bytes(name))
        written.append(path)
    return written


def build_all(root: Path) -> list[Path]:
    """Rebuild ``root/templates/`` and ``root/sample_workbooks/`` (what
    ``python -m kpisheets.templates build ROOT`` does)."""
    return build_templates(root / "templates") + write_samples(root / "sample_workbooks")
