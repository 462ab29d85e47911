"""Tracker templates: the input sheets a person fills in, and ``kpisheets new``.

:func:`template_sheets` gives a template's content as rows (header + examples) for the
KPIs, Entries, Targets, Settings and Actions sheets. :func:`build_input_sheets` writes those
sheets into an XlsxWriter workbook as Excel Tables with dropdowns, input messages on
the headers, column widths and a frozen header; ``kpisheets new`` (:func:`new_tracker`)
and ``kpisheets init`` both use it. An ``.xlsm`` gets a Refresh button wired to Python
through xlwings' quickstart convention (see ``docs/templates.md``).

Regenerate the shipped templates and sample workbooks with::

    python -m kpisheets.templates build .

(:mod:`kpisheets.templates.__main__`, which builds the templates here and the samples
of :mod:`kpisheets.samples`, a module built on this one.)
"""

from __future__ import annotations

import datetime as dt
import io
import keyword
import math
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from kpisheets.errors import OutputExistsError, UsageError
from kpisheets.formatting import STATUS_COLOURS, input_number_format
from kpisheets.model import ActionStatus, Aggregation, Direction, Frequency, Status

TEMPLATE_NAMES = ("blank", "sales", "marketing", "customer-success", "people")

# Written into every generated package so the same input gives the same bytes.
FIXED_CREATED = dt.datetime(2026, 1, 1, 0, 0, 0)
# The shipped templates (`build`) date their example entries relative to this day, so
# their bytes are fixed; `kpisheets new` and `init` use today instead.
FIXED_REFERENCE = dt.date(2026, 11, 28)

DIRECTIONS = [d.label for d in Direction]
AGGREGATIONS = [a.label for a in Aggregation]
FREQUENCIES = [f.label for f in Frequency]
MONTHS = [dt.date(2026, m, 1).strftime("%B") for m in range(1, 13)]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

KPI_IDS_NAME = "KPI_IDs"
KPI_IDS_FORMULA = "=KPIs[ID]"

# How far below the table the column validations reach, so rows typed under a
# table (which Excel then absorbs into it) keep their dropdowns.
VALIDATION_ROWS = {
    "KPIs": 500,
    "Entries": 20000,
    "Targets": 2000,
    "Settings": 50,
    "Actions": 1000,
    "Sources": 200,
}
ACTION_STATUSES = [s.label for s in ActionStatus]


@dataclass(frozen=True)
class Column:
    """One input column: its header, width, and the message Excel shows on its header."""

    header: str
    width: float
    message: str
    kind: str = "text"  # text | number | date | percent | list


KPI_COLUMNS = [
    Column("ID", 14, "Short unique key used in Entries and formulas: letters, digits, _ (max 40)."),
    Column("KPI", 30, "The name shown in the Summary."),
    Column("Category", 16, "Groups KPIs in the Summary. Blank: Uncategorised."),
    Column("Owner", 12, "Who reports this KPI."),
    Column("Unit", 8, "$ € £ % or a word (visits). % values are fractions: 25% = 0.25."),
    Column("Format", 14, "Optional Excel number format that overrides the one Unit implies."),
    Column(
        "Direction",
        17,
        "Higher is better (default), Lower is better, or Within range (uses Tolerance).",
        "list",
    ),
    Column(
        "Aggregation",
        13,
        "How a period's entries combine: Sum (default), Average, Last, Min, Max, Count, "
        "NPS (0-10 survey scores) or Formula.",
        "list",
    ),
    Column(
        "Formula",
        16,
        "For Aggregation = Formula: arithmetic over KPI IDs, e.g. LEADS / VISITS. "
        "Computed from period totals.",
    ),
    Column(
        "Frequency", 11, "Target period: Week, Month, Quarter or Year. Blank: Settings.", "list"
    ),
    Column(
        "Target",
        12,
        "Target per period: the period total for Sum and Count, the level to hold otherwise.",
        "number",
    ),
    Column("Baseline", 11, "Starting value; with Start and End it sets a glide path.", "number"),
    Column("Tolerance", 11, "For Within range: allowed distance from Target.", "number"),
    Column("Start", 11, "Optional goal window start; with End it replaces the period.", "date"),
    Column("End", 11, "Optional goal window end.", "date"),
    Column("Green at", 10, "Score for On track (default from Settings, 100%).", "percent"),
    Column("Amber at", 10, "Score for At risk (default from Settings, 90%).", "percent"),
    Column("Weight", 8, "Weight in category and overall scores (default 1).", "number"),
    Column("Active", 8, "No hides the KPI from the Summary.", "list"),
    Column("Description", 44, "What the KPI measures and why it matters."),
    Column("Source", 18, "Where the numbers come from."),
    Column(
        "Funnel",
        12,
        "Optional: a funnel name shared by the Sum/Count KPIs that are its stages, in row "
        "order (Leads, Qualified, Won). The Summary shows conversions and the bottleneck.",
    ),
]

ENTRY_COLUMNS = [
    Column("Date", 12, "The date of the observation (any day inside the period).", "date"),
    Column("KPI", 14, "A KPI ID from the KPIs sheet (pick from the list).", "list"),
    Column(
        "Value",
        12,
        "A number. % as a fraction (25% = 0.25). NPS: one survey score 0-10 per row. "
        "Count: may be blank.",
        "number",
    ),
    Column("Note", 44, "Commentary; the latest note per KPI is shown in the Summary."),
    Column("By", 12, "Who entered it."),
    Column(
        "Segment",
        12,
        "Optional breakdown label (Mobile, EMEA, Partner…): the Summary says which segment "
        "drives a change. Blank: counted in the KPI's total only.",
    ),
]

TARGET_COLUMNS = [
    Column("KPI", 14, "A KPI ID from the KPIs sheet.", "list"),
    Column("Period", 12, "Any date inside the period this target applies to.", "date"),
    Column("Target", 12, "The target for that period; overrides the KPI's Target.", "number"),
    Column("Segment", 12, "Optional: the target of one segment only (same label as in Entries)."),
]

ACTION_COLUMNS = [
    Column("Date", 12, "When the action was decided (logged).", "date"),
    Column("KPI", 14, "The KPI ID the action is meant to fix (pick from the list).", "list"),
    Column("Action", 44, "What will be done."),
    Column("Owner", 12, "Who does it."),
    Column("Due", 12, "By when. Open actions past their Due date are marked overdue.", "date"),
    Column("Status", 10, "Open (blank), Done or Dropped.", "list"),
    Column("Result", 36, "What it achieved: shown with the action once it is Done."),
]

SETTING_COLUMNS = [
    Column("Setting", 20, "The setting's name (leave these as they are)."),
    Column("Value", 18, "The value; pick from the list where there is one."),
    Column("About", 60, "What the setting does (kpisheets ignores this column)."),
]

SOURCE_COLUMNS = [
    Column(
        "Source", 18, "A short unique name for this feed, e.g. hubspot-won. Imported rows carry it."
    ),
    Column("KPI", 14, "The KPI ID the rows count towards (pick from the list).", "list"),
    Column(
        "Kind",
        11,
        "csv, xlsx, parquet, json; hubspot, salesforce, ga4 (their export files as "
        "downloaded); sql (a query in the database named by Settings > Database).",
        "list",
    ),
    Column(
        "Location",
        30,
        "A file, folder or glob relative to this workbook's folder (exports/deals.csv, "
        "events/*.parquet); for sql, the SELECT query.",
    ),
    Column("Date", 14, "The column holding each row's date, as its header reads."),
    Column("Value", 14, "The column to sum per day. Blank: count the rows."),
    Column("Segment", 30, "Optional: a column that splits the KPI (region, channel)."),
    Column(
        "Filter",
        30,
        "Optional: column = value, column <> value, column in (a, b); joined by and. "
        "E.g. Deal Stage = Closed Won.",
    ),
]

SETTING_HELP = {
    "Title": "The title of the Summary and exports.",
    "As of": "Compute at this date. Blank: today.",
    "Period": "Default target period for KPIs without a Frequency.",
    "Fiscal year starts": "First month of the fiscal year (quarters and years follow it).",
    "Week starts": "First day of a week.",
    "History periods": "How many periods the History sheet and sparklines show.",
    "Green at": "Default score for On track.",
    "Amber at": "Default score for At risk.",
    "Database": "For sql sources: the NAME of an environment variable holding the database "
    "URL (e.g. KPI_DATABASE_URL). Never the URL itself.",
}

COLUMNS = {
    "KPIs": KPI_COLUMNS,
    "Entries": ENTRY_COLUMNS,
    "Targets": TARGET_COLUMNS,
    "Settings": SETTING_COLUMNS,
    "Actions": ACTION_COLUMNS,
    "Sources": SOURCE_COLUMNS,
}


def settings_rows(title: str, as_of: dt.date | None = None) -> list[list[Any]]:
    """The Settings sheet as rows: header, then every setting with its default value
    (``title`` and ``as_of`` filled in) and the help text Excel users read beside it."""
    values: list[tuple[str, Any]] = [
        ("Title", title),
        ("As of", as_of),
        ("Period", "Month"),
        ("Fiscal year starts", "January"),
        ("Week starts", "Monday"),
        ("History periods", 12),
        ("Green at", 1.0),
        ("Amber at", 0.9),
        ("Database", None),
    ]
    return [_headers(SETTING_COLUMNS)] + [[k, v, SETTING_HELP[k]] for k, v in values]


def kpi_rows(kpis: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The KPIs sheet as rows from one dict per KPI keyed by column header; a missing
    column is blank, except Active, which is ``Yes``."""
    headers = _headers(KPI_COLUMNS)
    unknown = {k for kpi in kpis for k in kpi} - set(headers)
    assert not unknown, f"unknown KPI columns {unknown}"
    return [headers] + [
        [kpi.get(h, "Yes" if h == "Active" else None) for h in headers] for kpi in kpis
    ]


def entry_rows(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """The Entries sheet as rows; trailing Note and By may be left out of a row."""
    width = len(ENTRY_COLUMNS)
    return [_headers(ENTRY_COLUMNS)] + [list(r) + [None] * (width - len(r)) for r in rows]


def target_rows(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """The Targets sheet as rows from (KPI ID, period date, target[, segment])."""
    width = len(TARGET_COLUMNS)
    return [_headers(TARGET_COLUMNS)] + [list(r) + [None] * (width - len(r)) for r in rows]


def action_rows(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """The Actions sheet as rows from (Date, KPI, Action, Owner, Due, Status, Result);
    trailing columns may be left out."""
    width = len(ACTION_COLUMNS)
    return [_headers(ACTION_COLUMNS)] + [list(r) + [None] * (width - len(r)) for r in rows]


def source_rows(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """The Sources sheet as rows; trailing Value, Segment and Filter may be left out."""
    width = len(SOURCE_COLUMNS)
    return [_headers(SOURCE_COLUMNS)] + [list(r) + [None] * (width - len(r)) for r in rows]


def input_sheets(
    title: str,
    kpis: Sequence[dict[str, Any]],
    entries: Sequence[tuple[Any, ...]],
    targets: Sequence[tuple[Any, ...]],
    as_of: dt.date | None = None,
    actions: Sequence[tuple[Any, ...]] = (),
    sources: Sequence[tuple[Any, ...]] = (),
) -> dict[str, list[list[Any]]]:
    """A tracker's input sheets as rows, the shape :func:`template_sheets` returns."""
    return {
        "KPIs": kpi_rows(kpis),
        "Entries": entry_rows(entries),
        "Targets": target_rows(targets),
        "Settings": settings_rows(title, as_of),
        "Actions": action_rows(actions),
        "Sources": source_rows(sources),
    }


def _headers(columns: list[Column]) -> list[str]:
    return [c.header for c in columns]


D = dt.date

# ---------------------------------------------------------------------------
# The templates' example KPIs, chosen from each field, with realistic targets.

# Each template's example KPIs; the sample trackers start from these too.
SALES_KPIS = [
    dict(
        ID="REVENUE",
        KPI="Revenue (closed won)",
        Category="Revenue",
        Owner="Maria",
        Unit="$",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=250000,
        Description="Value of deals closed won in the month.",
        Source="CRM",
    ),
    dict(
        ID="GROWTH",
        KPI="Sales growth (year on year)",
        Category="Revenue",
        Owner="Maria",
        Unit="%",
        Direction="Higher is better",
        Aggregation="Last",
        Frequency="Quarter",
        Target=0.15,
        Description="Revenue growth against the same quarter last year.",
        Source="Finance",
    ),
    dict(
        ID="PIPELINE",
        KPI="Qualified pipeline",
        Category="Pipeline",
        Owner="Tom",
        Unit="$",
        Direction="Higher is better",
        Aggregation="Last",
        Frequency="Month",
        Target=750000,
        Description="Open qualified opportunities; aim for 3x the revenue target.",
        Source="CRM",
    ),
    dict(
        ID="LEADS",
        KPI="Sales leads",
        Category="Pipeline",
        Owner="Tom",
        Unit="leads",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=400,
        Description="New leads handed to sales: the first stage of the sales funnel.",
        Funnel="Sales funnel",
    ),
    dict(
        ID="QUALIFIED",
        KPI="Qualified leads",
        Category="Pipeline",
        Owner="Tom",
        Unit="leads",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=200,
        Description="Leads sales accepted as real opportunities.",
        Funnel="Sales funnel",
    ),
    dict(
        ID="PROPOSALS",
        KPI="Proposals sent",
        Category="Pipeline",
        Owner="Tom",
        Unit="proposals",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=60,
        Description="Written proposals sent to qualified leads.",
        Funnel="Sales funnel",
    ),
    dict(
        ID="DEALS_WON",
        KPI="Deals won",
        Category="Pipeline",
        Owner="Tom",
        Unit="deals",
        Direction="Higher is better",
        Aggregation="Count",
        Frequency="Month",
        Target=12,
        Description="One row in Entries per deal won (Value may be blank); the funnel's last "
        "stage.",
        Funnel="Sales funnel",
    ),
    dict(
        ID="WIN_RATE",
        KPI="Win rate",
        Category="Pipeline",
        Owner="Tom",
        Unit="%",
        Direction="Higher is better",
        Aggregation="Average",
        Frequency="Month",
        Target=0.25,
        Description="Deals won / deals closed, per rep.",
    ),
    dict(
        ID="CYCLE",
        KPI="Sales cycle length",
        Category="Efficiency",
        Owner="Maria",
        Unit="days",
        Direction="Lower is better",
        Aggregation="Average",
        Frequency="Month",
        Target=45,
        Description="Days from first meeting to signature.",
    ),
]

MARKETING_KPIS = [
    dict(
        ID="VISITS",
        KPI="Website visits",
        Category="Awareness",
        Owner="Lena",
        Unit="visits",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=40000,
        Description="Sessions on the website, entered by device (Segment).",
        Source="Web analytics",
    ),
    dict(
        ID="BOUNCES",
        KPI="Bounced visits",
        Category="Awareness",
        Owner="Lena",
        Unit="visits",
        Direction="Lower is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=16000,
        Description="Visits that left from the first page. Entered by device (Segment).",
        Source="Web analytics",
    ),
    dict(
        ID="BOUNCE_RATE",
        KPI="Bounce rate",
        Category="Awareness",
        Owner="Lena",
        Unit="%",
        Direction="Lower is better",
        Aggregation="Formula",
        Formula="BOUNCES / VISITS",
        Frequency="Month",
        Target=0.4,
        Description="Bounced visits / visits; by device too, from the entries' Segment.",
    ),
    dict(
        ID="LEADS",
        KPI="Leads",
        Category="Demand",
        Owner="Lena",
        Unit="leads",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Month",
        Target=800,
        Source="Marketing automation",
    ),
    dict(
        ID="CONVERSION",
        KPI="Visitor-to-lead conversion",
        Category="Demand",
        Owner="Lena",
        Unit="%",
        Format="0.00%",
        Direction="Higher is better",
        Aggregation="Formula",
        Formula="LEADS / VISITS",
        Frequency="Month",
        Target=0.02,
        Description="Leads / visits from the month's totals; no entries needed.",
    ),
    dict(
        ID="CPL",
        KPI="Cost per lead",
        Category="Efficiency",
        Owner="Sam",
        Unit="$",
        Format='"$"#,##0.00',
        Direction="Lower is better",
        Aggregation="Average",
        Frequency="Month",
        Target=45,
    ),
    dict(
        ID="MQL",
        KPI="Marketing-qualified leads",
        Category="Demand",
        Owner="Sam",
        Unit="MQLs",
        Direction="Higher is better",
        Aggregation="Sum",
        Frequency="Quarter",
        Target=900,
    ),
]

CS_KPIS = [
    dict(
        ID="RETENTION",
        KPI="Customer retention rate",
        Category="Retention",
        Owner="Priya",
        Unit="%",
        Direction="Higher is better",
        Aggregation="Last",
        Frequency="Quarter",
        Target=0.92,
        Description="Customers at quarter end who were customers at its start.",
    ),
    dict(
        ID="CHURN",
        KPI="Monthly churn",
        Category="Retention",
        Owner="Priya",
        Unit="%",
        Direction="Lower is better",
        Aggregation="Last",
        Frequency="Month",
        Target=0.02,
        Description="Share of customers lost in the month; lower is better.",
    ),
    dict(
        ID="NPS",
        KPI="Net Promoter Score",
        Category="Satisfaction",
        Owner="Jonas",
        Direction="Higher is better",
        Aggregation="NPS",
        Frequency="Quarter",
        Target=40,
        Description="One row per survey answer (0-10); NPS = % promoters - % detractors.",
    ),
    dict(
        ID="CSAT",
        KPI="Customer satisfaction (CSAT)",
        Category="Satisfaction",
        Owner="Jonas",
        Unit="%",
        Direction="Higher is better",
        Aggregation="Average",
        Frequency="Month",
        Target=0.9,
        Description="Share of satisfied answers in post-ticket surveys.",
    ),
    dict(
        ID="FIRST_RESPONSE",
        KPI="First response time",
        Category="Support",
        Owner="Jonas",
        Unit="hours",
        Format='0.0 "hours"',
        Direction="Lower is better",
        Aggregation="Average",
        Frequency="Month",
        Target=4,
    ),
]


def headcount_goal(year: int) -> dict[str, Any]:
    """The People template's glide-path KPI, a goal for ``year``."""
    return dict(
        ID="HEADCOUNT",
        KPI="Headcount",
        Category="Growth",
        Owner="Alex",
        Unit="people",
        Direction="Higher is better",
        Aggregation="Last",
        Frequency="Month",
        Target=85,
        Baseline=70,
        Start=D(year, 1, 1),
        End=D(year, 12, 31),
        Description=f"Goal: from 70 to 85 people during {year} (a glide path).",
    )


PEOPLE_KPIS = [
    dict(
        ID="TIME_TO_HIRE",
        KPI="Time to hire",
        Category="Hiring",
        Owner="Alex",
        Unit="days",
        Direction="Lower is better",
        Aggregation="Average",
        Frequency="Month",
        Target=35,
        Description="Days from job posting to accepted offer, per hire.",
    ),
    dict(
        ID="PRODUCTIVITY",
        KPI="Revenue per employee",
        Category="Productivity",
        Owner="Kim",
        Unit="$",
        Direction="Higher is better",
        Aggregation="Last",
        Frequency="Quarter",
        Target=45000,
        Description="Quarterly revenue divided by average headcount.",
    ),
    dict(
        ID="UTILISATION",
        KPI="Billable utilisation",
        Category="Productivity",
        Owner="Kim",
        Unit="%",
        Direction="Within range",
        Aggregation="Average",
        Frequency="Month",
        Target=0.8,
        Tolerance=0.05,
        Description="Around 80% is healthy; much higher means burnout risk.",
    ),
    dict(
        ID="ENPS",
        KPI="Employee NPS",
        Category="Engagement",
        Owner="Alex",
        Direction="Higher is better",
        Aggregation="NPS",
        Frequency="Quarter",
        Target=20,
        Description="One row per pulse-survey answer (0-10).",
    ),
]


def _month_start(reference: dt.date, months: int = 0) -> dt.date:
    """The first day of the month ``months`` after (negative: before) the reference's."""
    index = reference.year * 12 + reference.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(reference: dt.date, months: int = 0) -> dt.date:
    """The last day of the month ``months`` after (negative: before) the reference's."""
    return _month_start(reference, months + 1) - dt.timedelta(days=1)


def _this_month(reference: dt.date, day: int) -> dt.date:
    """Day ``day`` (1-28) of the reference's month, moved earlier in proportion when the
    reference is before the 28th, so the example is never after the reference.

    >>> _this_month(dt.date(2027, 3, 10), 20), _this_month(dt.date(2026, 11, 28), 20)
    (datetime.date(2027, 3, 7), datetime.date(2026, 11, 20))
    """
    if reference.day < 28:
        day = 1 + (day - 1) * (reference.day - 1) // 27
    return reference.replace(day=day)


def _earlier_in_quarter(reference: dt.date, day: int) -> dt.date:
    """Day ``day`` of the month before the reference's when that month is in the same
    calendar quarter, else :func:`_this_month`: an earlier entry of the current quarter."""
    if (reference.month - 1) % 3:
        return _month_start(reference, -1).replace(day=day)
    return _this_month(reference, day)


def _last_quarter(reference: dt.date) -> tuple[dt.date, str]:
    """The last day of the calendar quarter before the reference's, and its name (Q3)."""
    end = _month_end(reference, -((reference.month - 1) % 3) - 1)
    return end, f"Q{(end.month - 1) // 3 + 1}"


def template_sheets(name: str, reference: dt.date | None = None) -> dict[str, list[list[Any]]]:
    """A template's input sheets as rows: header row first, then example rows.

    Keys are ``KPIs``, ``Entries``, ``Targets``, ``Settings``, ``Actions`` and ``Sources``;
    dates are
    ``datetime.date``, percentages fractions, empty cells ``None``. The example
    entries are dated relative to ``reference`` (default: today): in its month (never
    after it) and in the period before, so a new tracker shows statuses and trends
    straight away; time-phased targets are for the next months, and the People
    template's Start/End goal is the reference's year. Settings › As of is blank.

    >>> template_sheets("marketing")["KPIs"][0][:3]
    ['ID', 'KPI', 'Category']
    """
    key = name.strip().lower()
    if key not in TEMPLATE_NAMES:
        raise UsageError(f"Unknown template {name!r}; use one of {', '.join(TEMPLATE_NAMES)}.")
    ref = reference or dt.date.today()

    def day(d: int) -> dt.date:
        return _this_month(ref, d)

    previous_month_end = _month_end(ref, -1)
    previous_month = _month_start(ref, -1)
    quarter_end, quarter = _last_quarter(ref)
    next_month = _month_start(ref, 1)
    if key == "blank":
        return input_sheets("Team KPIs", kpis=[], entries=[], targets=[])
    if key == "sales":
        slipped = f"Two deals slipped to {MONTHS[next_month.month - 1]}"
        return input_sheets(
            "Sales KPIs",
            kpis=SALES_KPIS,
            entries=[
                (day(3), "REVENUE", 42000, "Acme renewal signed", "Maria"),
                (day(10), "REVENUE", 65500, None, "Maria"),
                (day(17), "REVENUE", 38000, slipped, "Maria"),
                (quarter_end, "GROWTH", 0.12, f"{quarter} close", "Maria"),
                (day(20), "GROWTH", 0.14, "Quarter to date", "Maria"),
                (day(20), "PIPELINE", 690000, None, "Tom"),
                (day(5), "DEALS_WON", None, "Acme", "Tom"),
                (day(12), "DEALS_WON", None, "Northwind", "Tom"),
                (day(19), "DEALS_WON", None, "Globex", "Tom"),
                (day(20), "WIN_RATE", 0.27, None, "Tom"),
                (day(20), "CYCLE", 52, "Enterprise deals take longer", "Maria"),
                *[
                    (when, kpi_id, value, None, "Tom")
                    for when, values in (
                        (previous_month.replace(day=6), (98, 49, 17)),
                        (previous_month.replace(day=13), (104, 50, 16)),
                        (day(6), (100, 48, 15)),
                        (day(13), (95, 50, 9)),
                        (day(20), (105, 52, 10)),
                    )
                    for kpi_id, value in zip(
                        ("LEADS", "QUALIFIED", "PROPOSALS"), values, strict=True
                    )
                ],
                (previous_month.replace(day=9), "DEALS_WON", None, "Initech", "Tom"),
                (previous_month.replace(day=12), "DEALS_WON", None, "Umbrella", "Tom"),
            ],
            targets=[("REVENUE", next_month, 300000)],
            sources=[
                (
                    "hubspot-won",
                    "DEALS_WON",
                    "hubspot",
                    "exports/hubspot-crm-exports-all-deals.csv",
                    "Close Date",
                    None,
                    "Pipeline",
                    "Deal Stage = Closed Won",
                )
            ],
            actions=[
                (day(3), "REVENUE", "Call the ten largest open deals", "Maria", _month_end(ref)),
                (
                    previous_month.replace(day=20),
                    "PROPOSALS",
                    "Proposal template with pricing options",
                    "Tom",
                    day(10),
                    "Done",
                    "Proposals go out in 2 days instead of 5",
                ),
            ],  # fmt: skip
        )
    if key == "marketing":
        return input_sheets(
            "Marketing KPIs",
            kpis=MARKETING_KPIS,
            entries=[
                *[
                    (when, kpi_id, value, note, "Lena", device)
                    for when, note, rows in (
                        (previous_month.replace(day=12), None, (13000, 4700, 18000, 5900)),
                        (day(8), None, (5300, 2900, 4500, 1600)),
                        (day(15), "Webinar promotion", (6200, 3400, 5000, 1700)),
                        (day(22), None, (5800, 3200, 4600, 1650)),
                    )
                    for (kpi_id, device), value in zip(
                        (
                            ("VISITS", "Mobile"),
                            ("BOUNCES", "Mobile"),
                            ("VISITS", "Desktop"),
                            ("BOUNCES", "Desktop"),
                        ),
                        rows,
                        strict=True,
                    )
                ],
                (day(8), "LEADS", 190, None, "Lena"),
                (day(15), "LEADS", 260, "Webinar sign-ups", "Lena"),
                (day(22), "LEADS", 205, None, "Lena"),
                (day(22), "CPL", 41.5, None, "Sam"),
                (day(22), "MQL", 240, None, "Sam"),
            ],
            targets=[("VISITS", next_month, 35000)],
            actions=[
                (day(9), "BOUNCE_RATE", "Lighter mobile landing page", "Lena", _month_end(ref)),
            ],
            sources=[
                (
                    "ga4-sessions",
                    "VISITS",
                    "ga4",
                    "exports/Traffic_acquisition.csv",
                    "Date",
                    "Sessions",
                    "Session primary channel group (Default channel group)",
                )
            ],
        )
    if key == "customer-success":
        return input_sheets(
            "Customer Success KPIs",
            kpis=CS_KPIS,
            entries=[
                (quarter_end, "RETENTION", 0.93, quarter, "Priya"),
                (day(20), "RETENTION", 0.94, "Quarter to date", "Priya"),
                (previous_month_end, "CHURN", 0.018, None, "Priya"),
                (day(20), "CHURN", 0.024, "Two small accounts left", "Priya"),
                (day(4), "NPS", 9, None, "Jonas"),
                (day(4), "NPS", 10, "Loves the new reports", "Jonas"),
                (day(6), "NPS", 7, None, "Jonas"),
                (day(9), "NPS", 4, "Onboarding was slow", "Jonas"),
                (day(20), "CSAT", 0.91, None, "Jonas"),
                (day(20), "FIRST_RESPONSE", 3.6, None, "Jonas"),
            ],
            targets=[("CHURN", next_month, 0.025)],
            actions=[
                (day(10), "CHURN", "Call every account whose usage fell", "Priya", _month_end(ref)),
            ],
        )
    return input_sheets(  # people
        "People KPIs",
        kpis=[headcount_goal(ref.year), *PEOPLE_KPIS],
        entries=[
            (previous_month_end, "HEADCOUNT", 79, None, "Alex"),
            (day(20), "HEADCOUNT", 81, "Two engineers joined", "Alex"),
            (day(6), "TIME_TO_HIRE", 41, "Senior engineer", "Alex"),
            (day(13), "TIME_TO_HIRE", 28, None, "Alex"),
            (quarter_end, "PRODUCTIVITY", 43500, quarter, "Kim"),
            (day(20), "PRODUCTIVITY", 44200, "Quarter to date", "Kim"),
            (day(20), "UTILISATION", 0.83, None, "Kim"),
            (_earlier_in_quarter(ref, 15), "ENPS", 8, None, "Alex"),
            (_earlier_in_quarter(ref, 15), "ENPS", 9, None, "Alex"),
            (_earlier_in_quarter(ref, 16), "ENPS", 6, "Wants clearer career paths", "Alex"),
        ],
        targets=[("TIME_TO_HIRE", _month_start(ref, 2), 30)],
        actions=[
            (
                day(7),
                "TIME_TO_HIRE",
                "Second recruiter for engineering roles",
                "Alex",
                _month_end(ref, 1),
            ),
        ],  # fmt: skip
    )


# ---------------------------------------------------------------------------
# Writing the input sheets.

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
TABLE_STYLE = "Table Style Medium 2"


class _Formats:
    """The cell formats of one workbook, created once and reused (XlsxWriter shares
    equal formats, but fewer objects keep the code readable)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self._cache: dict[str, Format] = {}
        self.text = book.add_format({"valign": "top"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        # Explicit, because LibreOffice does not draw Excel's table styles.
        self.header = book.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": "#1F4E78",
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
                "border_color": "#9BC2E6",
            }
        )

    def number(self, num_format: str) -> Format:
        if num_format not in self._cache:
            self._cache[num_format] = self.book.add_format(
                {"num_format": num_format, "valign": "top"}
            )
        return self._cache[num_format]


def _kpi_formats(kpi_rows: list[list[Any]]) -> dict[str, str]:
    """KPI ID (upper case) → its number format, for Entries and Targets values."""
    headers = kpi_rows[0]
    col = {h: i for i, h in enumerate(headers)}
    formats = {}
    for row in kpi_rows[1:]:
        kpi_id = str(row[col["ID"]] or "").upper()
        formats[kpi_id] = input_number_format(
            str(row[col["Unit"]] or ""), str(row[col["Format"]] or "")
        )
    return formats


def _cell_format(
    sheet: str, header: str, row: list[Any], headers: list[str], kpi_formats: dict[str, str]
) -> str | None:
    """The number format of one input cell, or None for text/general."""
    column = next(c for c in COLUMNS[sheet] if c.header == header)
    if column.kind == "date":
        return DATE_FORMAT
    if column.kind == "percent":
        return PERCENT_FORMAT
    if sheet == "KPIs" and header in ("Target", "Baseline", "Tolerance"):
        unit = row[headers.index("Unit")] or ""
        fmt = row[headers.index("Format")] or ""
        return input_number_format(str(unit), str(fmt))
    if header in ("Value", "Target") and sheet in ("Entries", "Targets"):
        kpi_id = str(row[headers.index("KPI")] or "").upper()
        return kpi_formats.get(kpi_id, "General")
    if sheet == "Settings" and header == "Value":
        setting = row[0]
        if setting == "As of":
            return DATE_FORMAT
        if setting in ("Green at", "Amber at"):
            return PERCENT_FORMAT
    return None


def _write_value(
    ws: Worksheet,
    r: int,
    c: int,
    value: Any,
    formats: _Formats,
    num_format: str | None,
    wrap: bool = False,
) -> None:
    """Write one cell as what it is: text is always text, never a formula."""
    fmt = formats.number(num_format) if num_format else formats.wrap if wrap else formats.text
    if value is None:
        if num_format:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _list_validation(values: list[str], title: str, strict: bool = True) -> dict[str, Any]:
    return {
        "validate": "list",
        "source": values,
        "error_type": "stop" if strict else "warning",
        "error_title": f"Not a valid {title}"[:32],
        "error_message": ("Pick one of: " + ", ".join(values))[:255],
        "ignore_blank": True,
    }


def _column_validation(sheet: str, header: str) -> dict[str, Any] | None:
    """The data validation of a whole input column, or None."""
    if sheet == "KPIs":
        if header == "Direction":
            # Short forms (higher, lower, range) are accepted too, so only warn.
            return _list_validation(DIRECTIONS, "direction", strict=False)
        if header == "Aggregation":
            return _list_validation(AGGREGATIONS, "aggregation")
        if header == "Frequency":
            return _list_validation(FREQUENCIES, "frequency")
        if header == "Active":
            return _list_validation(["Yes", "No"], "Active value")
        if header in ("Start", "End"):
            return _date_validation()
    if sheet == "Entries":
        if header == "Date":
            return _date_validation()
        if header == "KPI":
            return _kpi_validation()
        if header == "Value":
            return _number_validation()
    if sheet == "Sources":
        if header == "KPI":
            return _kpi_validation()
        if header == "Kind":
            from kpisheets.sources.spec import KINDS

            return _list_validation(list(KINDS), "Kind")
    if sheet == "Targets":
        if header == "KPI":
            return _kpi_validation()
        if header == "Period":
            return _date_validation()
        if header == "Target":
            return _number_validation()
    if sheet == "Actions":
        if header == "KPI":
            return _kpi_validation()
        if header in ("Date", "Due"):
            return _date_validation()
        if header == "Status":
            return _list_validation(ACTION_STATUSES, "status")
    return None


def _date_validation() -> dict[str, Any]:
    return {
        "validate": "date",
        "criteria": "between",
        "minimum": dt.date(1990, 1, 1),
        "maximum": dt.date(2100, 12, 31),
        "error_title": "Not a date",
        "error_message": "Type a date, e.g. 2026-11-28.",
        "ignore_blank": True,
    }


def _number_validation() -> dict[str, Any]:
    return {
        "validate": "decimal",
        "criteria": "between",
        "minimum": -(10**12),
        "maximum": 10**12,
        "error_title": "Not a number",
        "error_message": "Type a number. Percentages as 25% or 0.25.",
        "ignore_blank": True,
    }


def _kpi_validation() -> dict[str, Any]:
    # A defined name over the KPIs table's ID column: the list grows with the table.
    return {
        "validate": "list",
        "source": "=" + KPI_IDS_NAME,
        "error_type": "warning",
        "error_title": "Unknown KPI",
        "error_message": "Pick a KPI ID from the KPIs sheet (add it there first).",
        "ignore_blank": True,
    }


def _setting_validation(setting: Any) -> dict[str, Any] | None:
    if setting == "Period":
        return _list_validation(FREQUENCIES, "period")
    if setting == "Fiscal year starts":
        # A month number 1-12 is accepted as well, so only warn.
        return _list_validation(MONTHS, "month", strict=False)
    if setting == "Week starts":
        return _list_validation(WEEKDAYS, "weekday")
    if setting == "As of":
        return _date_validation()
    if setting == "History periods":
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1,
            "maximum": 120,
            "error_title": "Not a count",
            "error_message": "A whole number of periods, 1 to 120.",
        }
    if setting in ("Green at", "Amber at"):
        return {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 10,
            "error_title": "Not a percentage",
            "error_message": "A percentage, e.g. 100% or 90%.",
        }
    return None


def _header_message(column: Column) -> dict[str, Any]:
    return {
        "validate": "any",
        "input_title": column.header[:32],
        "input_message": column.message[:255],
    }


def build_input_sheets(
    workbook: xlsxwriter.Workbook,
    template: str,
    sheets: dict[str, list[list[Any]]] | None = None,
    reference: dt.date | None = None,
) -> None:
    """Add the KPIs, Entries, Targets, Settings and Actions sheets of ``template`` to
    ``workbook``.

    Each sheet is an Excel Table of the same name with a frozen header, column
    widths, an input message on every header, and validation: dropdowns for
    Direction, Aggregation, Frequency and Active; dates; numbers; a KPI dropdown in
    Entries, Targets and Actions (and a Status dropdown in Actions) fed by the defined name ``KPI_IDs`` (``=KPIs[ID]``), so it
    grows with the table; dropdowns for Settings' Period, Fiscal year starts and Week
    starts. Text is always written as text (``write_string``), never a formula.
    ``sheets`` replaces the template's rows (same headers), e.g. a sample's;
    otherwise the examples are dated relative to ``reference`` (default: today, see
    :func:`template_sheets`).

    >>> book = xlsxwriter.Workbook("tracker.xlsx")      # doctest: +SKIP
    >>> build_input_sheets(book, "sales"); book.close()  # doctest: +SKIP
    """
    if sheets is None:
        sheets = template_sheets(template, reference)
    formats = _Formats(workbook)
    kpi_formats = _kpi_formats(sheets["KPIs"])
    for sheet, rows in sheets.items():
        columns = COLUMNS[sheet]
        headers = [c.header for c in columns]
        assert rows[0] == headers, (sheet, rows[0])
        ws = workbook.add_worksheet(sheet)
        last_row = max(len(rows) - 1, 1)
        ws.add_table(
            0,
            0,
            last_row,
            len(headers) - 1,
            {
                "name": sheet,
                "style": TABLE_STYLE,
                "columns": [{"header": h, "header_format": formats.header} for h in headers],
            },
        )
        reach = max(VALIDATION_ROWS[sheet], last_row)
        for c, column in enumerate(columns):
            col_format = None
            if column.kind == "date":
                col_format = formats.number(DATE_FORMAT)
            elif column.kind == "percent":
                col_format = formats.number(PERCENT_FORMAT)
            elif column.width >= 30:
                col_format = formats.wrap
            ws.set_column(c, c, column.width, col_format)
            ws.data_validation(0, c, 0, c, _header_message(column))
            validation = _column_validation(sheet, column.header)
            if validation:
                ws.data_validation(1, c, reach, c, validation)
        for r, row in enumerate(rows[1:], start=1):
            lines = max(
                (
                    math.ceil(len(str(value)) / (columns[c].width * 1.25))
                    for c, value in enumerate(row)
                    if isinstance(value, str) and columns[c].width >= 30
                ),
                default=1,
            )
            if lines > 1:
                # Neither Excel nor LibreOffice grows a row for wrapped text on open.
                ws.set_row(r, 15 * lines)
            for c, value in enumerate(row):
                num_format = _cell_format(sheet, headers[c], row, headers, kpi_formats)
                wrap = num_format is None and columns[c].width >= 30
                _write_value(ws, r, c, value, formats, num_format, wrap)
            if sheet == "Settings":
                validation = _setting_validation(row[0])
                if validation:
                    ws.data_validation(r, 1, r, 1, validation)
        ws.freeze_panes(1, 2 if sheet == "KPIs" else 0)
        ws.set_row(0, 30)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_paper(9)  # A4; Excel adapts to Letter where that is the default
    workbook.define_name(KPI_IDS_NAME, KPI_IDS_FORMULA)


# ---------------------------------------------------------------------------
# The Instructions sheet and `kpisheets new`.

REFRESH_MACRO = "SampleCall"  # xlwings quickstart: imports <workbook name>.py, calls main()
# The Import button calls xlwings' own RunPython with the command as its one argument
# (Excel runs a button's macro with a quoted argument); the quickstart VBA has no other
# Sub to bind, and RunPython puts the workbook's folder on the path as SampleCall does.
IMPORT_COMMAND = "import kpisheets.xl; kpisheets.xl.import_main()"
IMPORT_MACRO = f"'RunPython \"{IMPORT_COMMAND}\"'"
XLWINGS_CONF_SHEET = "_xlwings.conf"

XLWINGS_NOTICE = (
    "The Refresh button runs VBA code from xlwings (https://www.xlwings.org), "
    "Copyright (C) 2014-present, Zoomer Analytics LLC, distributed under a BSD 3-clause "
    "licence; the full licence text is at the top of the VBA module 'xlwings' "
    "(Alt+F11 to see it)."
)

# The Instructions sheet's status legend, in the colours the Summary uses.
STATUS_HELP = [
    (Status.ON_TRACK, "The score is at or above Green at (default 100%)."),
    (Status.AT_RISK, "The score is at or above Amber at (default 90%)."),
    (Status.OFF_TRACK, "The score is below Amber at."),
    (Status.NO_DATA, "No entries in the current period yet."),
    (Status.NO_TARGET, "Neither the KPI nor Targets has a target for this period."),
]

SHEET_HELP = [
    (
        "KPIs",
        "One row per KPI: what it is, its unit, which way is good, how entries "
        "combine, its period and target. Hover over a header for what the column means.",
    ),
    (
        "Entries",
        "One row per observation: date, KPI ID (pick from the list), value, an "
        "optional note and who entered it, and an optional Segment (Mobile, EMEA…) "
        "that splits the KPI. Several rows per period are normal (daily sales are "
        "summed into the month).",
    ),
    (
        "Targets",
        "Optional time-phased targets: a KPI ID, any date inside the period, and "
        "the target for that period. It overrides the KPI's Target.",
    ),
    (
        "Settings",
        "Title, As of date (blank: today), default period, fiscal year start, "
        "week start, history length and the status thresholds.",
    ),
    (
        "Actions",
        "Optional: the course corrections decided in meetings, one per row: the KPI, "
        "what, who, by when and the status. The Summary lists open actions per KPI, "
        "marks overdue ones and says when an off-track KPI has none.",
    ),
    (
        "Sources",
        "Optional feeds that fill a KPI from files and databases: a HubSpot or Salesforce "
        "export, a GA4 report download, CSV/Parquet/JSON/XLSX files, or a SQL query. "
        "kpisheets import (or the Import button) pulls them into the Imported sheet.",
    ),
    (
        "Summary, History, Problems, Imported",
        "Written by kpisheets and replaced on every refresh (Imported: on every import): "
        "do not type in them. Nothing else in this workbook is ever changed.",
    ),
]


def _instructions(
    book: xlsxwriter.Workbook, template: str, workbook_name: str, macro: bool, title: str
) -> Worksheet:
    """The first sheet: what each sheet and column is for, how to refresh, statuses."""
    ws = book.add_worksheet("Instructions")
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 96)
    title_format = book.add_format({"bold": True, "font_size": 18, "font_color": "#1F4E78"})
    heading = book.add_format(
        {
            "bold": True,
            "font_size": 13,
            "font_color": "#1F4E78",
            "bottom": 1,
            "bottom_color": "#9BC2E6",
        }
    )
    label = book.add_format({"bold": True, "valign": "top", "text_wrap": True})
    text = book.add_format({"text_wrap": True, "valign": "top"})
    code = book.add_format(
        {"font_name": "Consolas", "valign": "top", "text_wrap": True, "bg_color": "#F2F2F2"}
    )
    small = book.add_format(
        {"text_wrap": True, "valign": "top", "font_size": 9, "font_color": "#595959"}
    )

    row = 0
    ws.write_string(row, 0, title, title_format)
    ws.set_row(row, 30)
    row += 1
    ws.write_string(
        row,
        1,
        f"Made with kpisheets from the '{template}' template. Fill in KPIs and Entries, "
        "then refresh to get a Summary you can show in a meeting.",
        text,
    )
    row += 2

    ws.merge_range(row, 0, row, 1, "How to refresh", heading)
    row += 1
    if macro:
        ws.write_string(row, 0, "Refresh button", label)
        ws.write_string(
            row,
            1,
            f"Click Refresh (above, right). It runs Python through xlwings: the macro "
            f"{REFRESH_MACRO} imports {Path(workbook_name).stem}.py (keep it in this folder) and calls "
            "main(). Needs Python with kpisheets installed (pip install kpisheets). "
            "To use a particular Python, rename the sheet _xlwings.conf to xlwings.conf "
            "and set Interpreter_Win / Interpreter_Mac.",
            text,
        )
        ws.set_row(row, 62)
        row += 1
        ws.write_string(row, 0, "Import button", label)
        ws.write_string(
            row,
            1,
            "Click Import to pull the Sources sheet's feeds (CRM and analytics exports, data "
            "files, a database query) into the Imported sheet, then refresh. It runs "
            "kpisheets.xl.import_main() through xlwings.",
            text,
        )
        ws.set_row(row, 32)
        row += 1
        ws.write_string(row, 0, "Macros blocked?", label)
        ws.write_string(
            row,
            1,
            "Office blocks macros in files from the internet or e-mail. Close the file, "
            "right-click it > Properties > tick Unblock > OK, then open it again and "
            "click Enable Content.",
            text,
        )
        ws.set_row(row, 32)
        row += 1
    if not macro:
        ws.write_string(row, 0, "Refresh button", label)
        ws.write_string(
            row,
            1,
            "Only in .xlsm trackers: make one with kpisheets new my_kpis.xlsm "
            f"--template {template} and copy your rows over, or refresh from the command line.",
            text,
        )
        ws.set_row(row, 32)
        row += 1
    ws.write_string(row, 0, "Command line", label)
    ws.write_string(row, 1, f'kpisheets refresh "{workbook_name}"', code)
    row += 1
    ws.write_string(row, 0, "", label)
    ws.write_string(
        row,
        1,
        "Also: kpisheets check (finds mistakes), kpisheets status (prints the summary), "
        "kpisheets export -o summary.pdf (a meeting-ready page; .html .md .pptx .xlsx "
        "too). Close the workbook in Excel before refreshing from the command line.",
        text,
    )
    ws.set_row(row, 32)
    row += 2

    ws.merge_range(row, 0, row, 1, "The sheets", heading)
    row += 1
    for name, about in SHEET_HELP:
        ws.write_string(row, 0, name, label)
        ws.write_string(row, 1, about, text)
        ws.set_row(row, 32)
        row += 1
    row += 1

    for sheet in ("KPIs", "Entries", "Targets", "Settings", "Actions", "Sources"):
        ws.merge_range(row, 0, row, 1, f"Columns of {sheet}", heading)
        row += 1
        if sheet == "Settings":
            for setting, about in SETTING_HELP.items():
                ws.write_string(row, 0, setting, label)
                ws.write_string(row, 1, about, text)
                row += 1
        else:
            for column in COLUMNS[sheet]:
                ws.write_string(row, 0, column.header, label)
                ws.write_string(row, 1, column.message, text)
                if len(column.message) > 95:
                    ws.set_row(row, 30)
                row += 1
        row += 1

    ws.merge_range(row, 0, row, 1, "What the statuses mean", heading)
    row += 1
    ws.write_string(
        row,
        1,
        "Each KPI gets a score: its value against where it should be today (for totals, "
        "the target times the share of the period that has passed; otherwise the "
        "target, or the glide path from Baseline when Start and End are set).",
        text,
    )
    ws.set_row(row, 32)
    row += 1
    for status, about in STATUS_HELP:
        fill, font = STATUS_COLOURS[status]
        fmt = book.add_format({"bold": True, "bg_color": fill, "font_color": font, "valign": "top"})
        ws.write_string(row, 0, status.label, fmt)
        ws.write_string(row, 1, about, text)
        row += 1
    ws.write_string(
        row,
        1,
        "Within range KPIs are On track inside the Tolerance, At risk within twice it, "
        "Off track beyond.",
        text,
    )
    row += 2
    if macro:
        ws.write_string(row, 0, "Licence", label)
        ws.write_string(row, 1, XLWINGS_NOTICE, small)
        ws.set_row(row, 36)
        row += 1

    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    return ws


def quickstart_vba_project() -> bytes:
    """``xl/vbaProject.bin`` of the installed xlwings' ``quickstart_standalone.xlsm``.

    Read at run time so the VBA always matches the installed xlwings version.
    """
    import xlwings

    source = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(source) as package:
        return package.read("xl/vbaProject.bin")


def quickstart_conf_rows() -> list[list[Any]]:
    """The rows of the quickstart's (inactive) ``_xlwings.conf`` sheet, as xlwings ships them."""
    import python_calamine
    import xlwings

    source = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    book = python_calamine.CalamineWorkbook.from_path(str(source))
    try:
        rows = book.get_sheet_by_name(XLWINGS_CONF_SHEET).to_python()
    finally:
        book.close()
    return [list(r) for r in rows]


def _add_xlwings_conf(book: xlsxwriter.Workbook) -> None:
    ws = book.add_worksheet(XLWINGS_CONF_SHEET)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 14)
    for r, row in enumerate(quickstart_conf_rows()):
        for c, value in enumerate(row):
            if value == "" or value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))


def companion_module_source(workbook_name: str) -> str:
    """The Python module written beside ``<name>.xlsm``: the Refresh button's entry point."""
    return f'''"""Entry point of the Refresh button in {workbook_name}.

Written by `kpisheets new`. Excel's Refresh button runs xlwings' quickstart macro
{REFRESH_MACRO}, which imports the module named like the workbook (this file; keep
it in the same folder) and calls main().

The button's VBA code comes from xlwings (https://www.xlwings.org),
Copyright (C) 2014-present, Zoomer Analytics LLC, BSD 3-clause licence.
"""


def main() -> None:
    """Refresh the workbook that called this (the Refresh button).

    kpisheets.xl.main() refreshes the calling workbook and reports a problem that
    stops it in a message box (kpisheets.xl.refresh() is the same without the box).
    """
    import kpisheets.xl  # imported here so this module imports without Excel

    kpisheets.xl.main()


def import_sources() -> None:
    """What the Import button does: import the Sources sheet's feeds, then refresh."""
    import kpisheets.xl

    kpisheets.xl.import_main()


if __name__ == "__main__":
    # Run from an editor while the workbook is open in Excel, as xlwings suggests.
    import xlwings as xw

    xw.Book("{workbook_name}").set_mock_caller()
    main()
'''


def _module_name_problem(stem: str) -> str | None:
    """Why ``stem`` cannot be the companion module's name, or None when it can."""
    if not stem.isidentifier() or not stem.isascii():
        return "is not a valid Python module name"
    if keyword.iskeyword(stem):
        return "is a Python keyword"
    if stem in sys.stdlib_module_names or stem in ("kpisheets", "xlwings", "pandas"):
        return "would hide the Python module of the same name"
    return None


def suggest_module_name(stem: str) -> str:
    """A file name stem that works as a Python module name.

    >>> suggest_module_name("my tracker")
    'my_tracker'
    >>> suggest_module_name("2026-KPIs")
    'kpis_2026'
    """
    name = re.sub(r"\W+", "_", stem.strip(), flags=re.ASCII).strip("_").lower()
    if not name:
        return "kpi_tracker"
    if name[0].isdigit():
        # Move leading digits (usually a year) to the end: 2026-kpis → kpis_2026.
        match = re.match(r"(\d+)_?(.*)", name)
        assert match
        name = f"{match.group(2)}_{match.group(1)}" if match.group(2) else f"kpis_{name}"
    if _module_name_problem(name):
        name = f"{name}_tracker"
    return name


def tracker_bytes(
    workbook_name: str,
    template: str,
    sheets: dict[str, list[list[Any]]] | None = None,
    macro: bool = False,
    created: dt.datetime | None = None,
    reference: dt.date | None = None,
) -> bytes:
    """The bytes of a tracker workbook: Instructions, then the input sheets.

    ``workbook_name`` is the file name the Instructions mention; ``sheets`` replaces
    the template's rows (samples use it); ``macro`` adds the xlwings Refresh button,
    VBA project and ``_xlwings.conf`` sheet (the caller writes an ``.xlsm``);
    ``reference`` dates the template's examples (default: today).
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    if sheets is None:
        sheets = template_sheets(template, reference)
    title = next((r[1] for r in sheets["Settings"][1:] if r[0] == "Title"), "KPI tracker")
    book.set_properties(
        {
            "title": str(title),
            "comments": "Created with kpisheets",
            "created": created or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        }
    )
    instructions = _instructions(book, template, workbook_name, macro, str(title))
    build_input_sheets(book, template, sheets)
    if macro:
        _add_xlwings_conf(book)
        book.add_vba_project(io.BytesIO(quickstart_vba_project()), is_stream=True)
        book.set_vba_name("ThisWorkbook")
        instructions.set_vba_name("Sheet1")
        instructions.insert_button(
            0,
            1,
            {
                "macro": REFRESH_MACRO,
                "caption": "Refresh",
                "width": 140,
                "height": 36,
                "x_offset": 560,
                "y_offset": 2,
            },
        )
        instructions.insert_button(
            0,
            1,
            {
                "macro": IMPORT_MACRO,
                "caption": "Import",
                "width": 110,
                "height": 36,
                "x_offset": 710,
                "y_offset": 2,
            },
        )
    instructions.activate()
    book.close()
    return unselect_tabs(buffer.getvalue())


def unselect_tabs(data: bytes) -> bytes:
    """The workbook ``data`` with no sheet marked as chosen (``tabSelected``).

    XlsxWriter always marks one. Unmarked, the workbook still opens on its first
    sheet (Instructions), and the first refresh can tell that nobody chose a sheet
    and open it on Summary; once someone saves it in Excel, the sheet on screen is
    marked and a refresh keeps it. Every other byte of every part stays as written.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = source.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                member = re.sub(rb'(<sheetView\b[^>]*?) tabSelected="1"', rb"\1", member, count=1)
            target.writestr(info, member, compress_type=info.compress_type)
    return out.getvalue()


def new_tracker(
    path: Path | str,
    template: str = "blank",
    force: bool = False,
    created: dt.datetime | None = None,
    reference: dt.date | None = None,
) -> list[Path]:
    """Create a tracker workbook from a template; return the files written.

    ``.xlsx``: Instructions, KPIs, Entries, Targets, Settings. ``.xlsm``: the same
    plus a Refresh button bound to xlwings' ``SampleCall`` macro (VBA taken from the
    installed xlwings), an inactive ``_xlwings.conf`` sheet, and ``<name>.py`` beside
    the workbook with ``main()``. Existing files are never overwritten unless
    ``force``. ``created`` fixes the document's created date (for reproducible files).
    The example entries are dated relative to ``reference`` (default: today): this
    month and the period before, so the tracker shows statuses at once.

    >>> new_tracker("team.xlsm", template="sales")  # doctest: +SKIP
    [PosixPath('team.xlsm'), PosixPath('team.py')]
    """
    path = Path(path)
    template = template.strip().lower()
    if template not in TEMPLATE_NAMES:
        raise UsageError(f"Unknown template {template!r}; use one of {', '.join(TEMPLATE_NAMES)}.")
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise UsageError(
            f"{path.name} must end in .xlsx (a plain workbook) or .xlsm (with a Refresh "
            "button), e.g. tracker.xlsx."
        )
    macro = suffix == ".xlsm"
    targets = [path]
    if macro:
        problem = _module_name_problem(path.stem)
        if problem:
            better = path.with_name(suggest_module_name(path.stem) + path.suffix)
            raise UsageError(
                f"{path.name!r} cannot have a Refresh button: {path.stem!r} {problem}, and "
                f"the button imports a Python module named like the workbook; try "
                f"{better.name!r} instead."
            )
        targets.append(path.with_suffix(".py"))
    if not force:
        for target in targets:
            if target.exists():
                raise OutputExistsError(
                    f"{target} already exists; choose another name or add --force to overwrite it."
                )
    if not path.parent.exists():
        raise OutputExistsError(f"The folder {path.parent} does not exist; create it first.")

    content = tracker_bytes(path.name, template, macro=macro, created=created, reference=reference)
    # Write through a temporary file so a failure leaves no half-written workbook.
    scratch = path.with_name(f".{path.name}.kpisheets-tmp")
    scratch.write_bytes(content)
    scratch.replace(path)
    if macro:
        targets[1].write_text(companion_module_source(path.name), encoding="utf-8")
    return targets


# ---------------------------------------------------------------------------
# Building the shipped files: `python -m kpisheets.templates build .`


def template_file_stem(template: str) -> str:
    """The file stem of a shipped template: ``customer-success`` → ``customer_success_tracker``
    (a valid Python module name, so the ``.xlsm`` button can import its companion)."""
    return template.replace("-", "_") + "_tracker"


def build_templates(folder: Path) -> list[Path]:
    """Write every template as ``.xlsx`` and ``.xlsm`` (+ companion module) into ``folder``,
    with a fixed created date and examples dated relative to :data:`FIXED_REFERENCE`, so
    the bytes only change when the code does."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for template in TEMPLATE_NAMES:
        stem = template_file_stem(template)
        for suffix in (".xlsx", ".xlsm"):
            path = folder / (stem + suffix)
            path.write_bytes(
                tracker_bytes(
                    path.name,
                    template,
                    macro=suffix == ".xlsm",
                    created=FIXED_CREATED,
                    reference=FIXED_REFERENCE,
                )
            )
            written.append(path)
        module = folder / (stem + ".py")
        module.write_text(companion_module_source(stem + ".xlsm"), encoding="utf-8")
        written.append(module)
    return written
