"""Export files as HubSpot, Salesforce, Google Analytics 4 and data pipelines write them.

Every builder writes a file with the product's own column headers and layout (HubSpot's
all-quoted CSV; a Salesforce report's header block, totals rows and copyright footer;
GA4's ``#`` preamble and several tables in one CSV) from rows generated here, and
returns those rows, so a test computes the expected daily sums with plain Python —
independently of DuckDB, which kpisheets reads them with.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

# HubSpot's "All deals" export (CRM › Deals › Export): the view's columns, every field quoted.
HUBSPOT_DEAL_HEADERS = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Close Date",
    "Deal owner",
    "Amount",
    "Pipeline",
    "Create Date",
    "Deal Type",
]
HUBSPOT_STAGES = ["Appointment Scheduled", "Qualified To Buy", "Closed Won", "Closed Lost"]
HUBSPOT_PIPELINES = ["Sales Pipeline", "Renewals"]

# A Salesforce opportunity report exported "Details Only" (CSV) or formatted (XLSX).
SALESFORCE_HEADERS = [
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Stage",
    "Fiscal Period",
    "Amount",
    "Probability (%)",
    "Close Date",
    "Created Date",
    "Lead Source",
    "Next Step",
]
SALESFORCE_STAGES = ["Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost"]
SALESFORCE_FOOTER = [
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
]

# GA4: Reports › Acquisition › Traffic acquisition, Share this report › Download CSV.
GA4_CHANNEL = "Session primary channel group (Default channel group)"
GA4_CHANNELS = ["Organic Search", "Direct", "Paid Search", "Email", "Referral"]
GA4_TRAFFIC_HEADERS = [
    "Date",
    GA4_CHANNEL,
    "Sessions",
    "Engaged sessions",
    "Engagement rate",
    "Key events",
    "Total revenue",
]

OWNERS = ["Ana Lima", "Ben Okafor", "Chloé Martin", "Dmitri Ivanov"]
REGIONS = ["EMEA", "AMER", "APAC"]


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


@dataclass
class Deal:
    """One deal row as both CRMs export it."""

    record_id: int
    name: str
    stage: str
    close: dt.datetime | None
    owner: str
    amount: float | None
    pipeline: str
    created: dt.datetime


def deals(seed: int, first: dt.date, last: dt.date, count: int) -> list[Deal]:
    """Deals closing between ``first`` and ``last``; open deals have no close date and
    some have no amount, as real CRM data does."""
    rng = random.Random(seed)
    span = (last - first).days
    found = []
    for n in range(count):
        stage = rng.choice(HUBSPOT_STAGES)
        day = first + dt.timedelta(rng.randint(0, span))
        close = (
            dt.datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59))
            if stage.startswith("Closed") or rng.random() < 0.3
            else None
        )
        amount = None if rng.random() < 0.05 else round(rng.uniform(500, 90000), 2)
        created = dt.datetime(day.year, day.month, day.day, 9, 5) - dt.timedelta(
            days=rng.randint(0, 30)
        )
        found.append(
            Deal(
                record_id=9000000000 + n,
                name=f"Deal {n} — {rng.choice(['Acme', 'Globex', 'Initech', 'Umbrella'])}",
                stage=stage,
                close=close,
                owner=rng.choice(OWNERS),
                amount=amount,
                pipeline=rng.choice(HUBSPOT_PIPELINES),
                created=created,
            )
        )
    return found


def write_hubspot_csv(path: Path, rows: list[Deal]) -> Path:
    """HubSpot's deals export: UTF-8 with BOM, every field quoted, dates ``YYYY-MM-DD HH:MM``."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL)
        out.writerow(HUBSPOT_DEAL_HEADERS)
        for d in rows:
            out.writerow(
                [
                    d.record_id,
                    d.name,
                    d.stage,
                    d.close.strftime("%Y-%m-%d %H:%M") if d.close else "",
                    d.owner,
                    "" if d.amount is None else f"{d.amount:.2f}",
                    d.pipeline,
                    d.created.strftime("%Y-%m-%d %H:%M"),
                    "New Business",
                ]
            )
    return path


def write_hubspot_xlsx(path: Path, rows: list[Deal]) -> Path:
    """HubSpot's deals export as .xlsx: one sheet, header in row 1, dates as date cells."""
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    ws = book.add_worksheet("All deals")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, HUBSPOT_DEAL_HEADERS)
    for r, d in enumerate(rows, start=1):
        ws.write_number(r, 0, d.record_id)
        ws.write_string(r, 1, d.name)
        ws.write_string(r, 2, d.stage)
        if d.close:
            ws.write_datetime(r, 3, d.close, stamp)
        ws.write_string(r, 4, d.owner)
        if d.amount is not None:
            ws.write_number(r, 5, d.amount)
        ws.write_string(r, 6, d.pipeline)
        ws.write_datetime(r, 7, d.created, stamp)
        ws.write_string(r, 8, "New Business")
    book.close()
    return path


def _salesforce_row(d: Deal, region: str) -> list[Any]:
    stage = d.stage.replace("Appointment Scheduled", "Prospecting").replace(
        "Qualified To Buy", "Negotiation/Review"
    )
    return [
        d.owner,
        d.name.split(" — ")[1],
        d.name,
        stage,
        f"Q{(d.close or d.created).month // 4 + 1}-{(d.close or d.created).year}",
        d.amount,
        100 if stage == "Closed Won" else 0 if stage == "Closed Lost" else 40,
        d.close,
        d.created,
        region,
        'Call back,\nthen send "the" quote' if d.record_id % 7 == 0 else "",
    ]


def write_salesforce_csv(path: Path, rows: list[Deal]) -> list[list[Any]]:
    """A report exported as "Details Only" CSV: header, rows (US dates ``11/3/2026``,
    a multi-line Next Step now and then), then the grand total and the footer."""
    written = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL)
        out.writerow(SALESFORCE_HEADERS)
        for d in rows:
            row = _salesforce_row(d, REGIONS[d.record_id % 3])
            written.append(row)
            text = list(row)
            text[5] = "" if row[5] is None else f"{row[5]:.2f}"
            text[7] = f"{row[7].month}/{row[7].day}/{row[7].year}" if row[7] else ""
            text[8] = f"{row[8].month}/{row[8].day}/{row[8].year}"
            out.writerow(text)
        out.writerow([])
        out.writerow([f"Grand Totals ({len(rows)} records)"])
        out.writerow([])
        for line in SALESFORCE_FOOTER:
            out.writerow([line])
    return written


def write_salesforce_xlsx(path: Path, rows: list[Deal]) -> list[list[Any]]:
    """A formatted report exported to Excel: title and filter lines above the header,
    the data, a total row, and the footer."""
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet("Sheet1")
    date = book.add_format({"num_format": "m/d/yyyy"})
    ws.write_string(0, 0, "Closed Opportunities by Owner")
    ws.write_string(1, 0, "Acme Corporation")
    ws.write_string(3, 0, "Filtered By:")
    ws.write_string(4, 0, "    Show: All opportunities")
    ws.write_string(5, 0, "    Close Date equals THIS FISCAL YEAR")
    header_row = 7
    ws.write_row(header_row, 0, SALESFORCE_HEADERS)
    written = []
    r = header_row
    for r, d in enumerate(rows, start=header_row + 1):
        row = _salesforce_row(d, REGIONS[d.record_id % 3])
        written.append(row)
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif isinstance(v, int | float):
                ws.write_number(r, c, v)
            elif v:
                ws.write_string(r, c, v)
    total = sum(row[5] or 0 for row in written)
    ws.write_string(r + 1, 0, "Total")
    ws.write_number(r + 1, 5, total)
    ws.write_string(r + 3, 0, SALESFORCE_FOOTER[0])
    ws.write_string(r + 4, 0, SALESFORCE_FOOTER[1])
    book.close()
    return written


@dataclass
class Ga4Row:
    day: dt.date
    channel: str
    sessions: int
    engaged: int
    key_events: int
    revenue: float


def ga4_rows(seed: int, first: dt.date, last: dt.date) -> list[Ga4Row]:
    rng = random.Random(seed)
    rows = []
    for day in days(first, last):
        for channel in GA4_CHANNELS:
            sessions = rng.randint(20, 4000)
            engaged = rng.randint(0, sessions)
            rows.append(
                Ga4Row(
                    day,
                    channel,
                    sessions,
                    engaged,
                    rng.randint(0, 40),
                    round(rng.uniform(0, 5000), 2),
                )
            )
    return rows


def write_ga4_csv(path: Path, rows: list[Ga4Row], account: str = "Acme Marketing") -> Path:
    """GA4's CSV download: a ``#`` preamble per table, then a "Nth day" users table
    (the chart) and the traffic acquisition table by Date and channel, separated by a
    blank line, as GA4 writes them."""
    first = min(r.day for r in rows)
    last = max(r.day for r in rows)
    start, end = first.strftime("%Y%m%d"), last.strftime("%Y%m%d")

    def preamble(title: str) -> list[str]:
        return [
            "# ----------------------------------------",
            f"# {title}",
            f"# Account: {account}",
            "# Property: acme.example - GA4",
            "# ----------------------------------------",
            "# ",
            "# All Users",
            f"# Start date: {start}",
            f"# End date: {end}",
        ]

    users: dict[dt.date, int] = defaultdict(int)
    for r in rows:
        users[r.day] += r.engaged
    lines = preamble("Traffic acquisition: Session primary channel group (Default channel group)")
    lines.append("Nth day,Users")
    for n, day in enumerate(days(first, last)):
        lines.append(f"{n:04d},{users[day]}")
    lines.append("")
    lines += preamble("Traffic acquisition: Session primary channel group (Default channel group)")
    buffer = []
    for r in rows:
        rate = r.engaged / r.sessions if r.sessions else 0
        buffer.append(
            [
                r.day.strftime("%Y%m%d"),
                r.channel,
                str(r.sessions),
                str(r.engaged),
                repr(round(rate, 6)),
                str(r.key_events),
                f"{r.revenue:.2f}",
            ]
        )
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(GA4_TRAFFIC_HEADERS)
        out.writerows(buffer)
    return path


@dataclass
class Event:
    day: dt.date
    kpi: str
    amount: float
    segment: str
    status: str


def events(seed: int, first: dt.date, last: dt.date, per_day: int) -> list[Event]:
    rng = random.Random(seed)
    found = []
    for day in days(first, last):
        for _ in range(per_day):
            found.append(
                Event(
                    day,
                    rng.choice(["signup", "purchase", "trial"]),
                    round(rng.uniform(1, 300), 2),
                    rng.choice(["Mobile", "Desktop", "Tablet"]),
                    rng.choice(["paid", "paid", "paid", "refunded"]),
                )
            )
    return found


def write_parquet_folder(folder: Path, rows: list[Event]) -> Path:
    """Events as a Parquet dataset: one file per month under ``folder`` (written by
    DuckDB's COPY from a CSV this builder writes first)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    by_month: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for e in rows:
        by_month[(e.day.year, e.day.month)].append(e)
    con = duckdb.connect()
    try:
        for (year, month), chunk in sorted(by_month.items()):
            staging = folder / f".staging-{year}-{month:02d}.csv"
            with staging.open("w", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["date", "kpi", "amount", "segment", "status"])
                for e in chunk:
                    out.writerow([e.day.isoformat(), e.kpi, repr(e.amount), e.segment, e.status])
            target = folder / f"events-{year}-{month:02d}.parquet"
            con.execute(
                "COPY (SELECT CAST(date AS DATE) AS date, kpi, CAST(amount AS DOUBLE) AS amount, "
                "segment, status FROM read_csv(?, header = true, all_varchar = true)) "
                "TO '" + str(target).replace("'", "''") + "' (FORMAT parquet)",
                [str(staging)],
            )
            staging.unlink()
    finally:
        con.close()
    return folder


def daily_sums(
    items: list[Any], day: Any, value: Any, segment: Any = None, keep: Any = None
) -> dict[tuple[dt.date, str], float]:
    """Expected daily totals computed in plain Python: ``day``, ``value`` and
    ``segment`` are functions of one item (``value`` None: count), ``keep`` a filter."""
    sums: dict[tuple[dt.date, str], float] = defaultdict(float)
    for item in items:
        if keep is not None and not keep(item):
            continue
        d = day(item)
        if d is None:
            continue
        v = 1.0 if value is None else value(item)
        if v is None:
            continue
        sums[(d, segment(item) if segment else "")] += v
    return dict(sums)
