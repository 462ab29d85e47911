"""`kpisheets import` and `refresh --import` on a marketing tracker whose Sources sheet
points at a HubSpot deals export, a GA4 export, a Parquet folder of events and a
PostgreSQL query: the figures against sums computed here, every failure mode with its
problem and nothing lost, and the same figures whether a month is typed or imported.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kpisheets
from kpisheets.cli import cli
from kpisheets.read.owned import owned_table
from kpisheets.sources.imported import rows_from_table
from tests import source_fixtures as fx
from tests.builders import write_workbook

AS_OF = dt.date(2026, 11, 20)
FIRST, LAST = dt.date(2026, 9, 1), dt.date(2026, 11, 20)
KPI_HEADER = ["ID", "KPI", "Category", "Unit", "Aggregation", "Frequency", "Target"]
SOURCE_HEADER = ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment", "Filter"]


def marketing_sheets(sources: list[list[Any]], database: str | None = None) -> dict[str, Any]:
    settings = [["Setting", "Value"], ["Title", "Marketing"], ["As of", AS_OF]]
    if database:
        settings.append(["Database", database])
    return {
        "KPIs": [
            KPI_HEADER,
            ["WON", "Won revenue", "Sales", "$", "Sum", "Month", 500000],
            ["DEALS", "Deals created", "Sales", "deals", "Sum", "Month", 100],
            ["SESSIONS", "Sessions", "Web", "sessions", "Sum", "Month", 60000],
            ["PURCHASES", "Purchase revenue", "Web", "$", "Sum", "Month", 50000],
            ["ORDERS", "Order revenue", "Shop", "$", "Sum", "Month", 10000000],
            ["TYPED", "Typed by hand", "Other", "", "Sum", "Month", 10],
        ],
        "Entries": [
            ["Date", "KPI", "Value", "Note"],
            [dt.date(2026, 11, 2), "TYPED", 4, "typed"],
            [dt.date(2026, 11, 3), "WON", 1000, "a deal typed by hand"],
        ],
        "Settings": settings,
        "Sources": [SOURCE_HEADER, *sources],
    }


HUBSPOT = ["hubspot-won", "WON", "hubspot", "exports/hubspot-crm-exports-all-deals.csv",
           "Close Date", "Amount", "Pipeline", "Deal Stage = Closed Won"]  # fmt: skip
HUBSPOT_COUNT = ["hubspot-created", "DEALS", "hubspot", "exports/hubspot-crm-exports-all-deals.csv",
                 "Create Date"]  # fmt: skip
GA4 = ["ga4-sessions", "SESSIONS", "ga4", "exports/Traffic_acquisition.csv", "Date", "Sessions",
       fx.GA4_CHANNEL]  # fmt: skip
EVENTS = ["events", "PURCHASES", "parquet", "events", "date", "amount", "segment",
          "kpi = purchase and status <> refunded"]  # fmt: skip


@pytest.fixture
def exports(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "exports").mkdir()
    deals = fx.deals(21, FIRST, LAST, 500)
    fx.write_hubspot_csv(tmp_path / "exports" / "hubspot-crm-exports-all-deals.csv", deals)
    ga4 = fx.ga4_rows(22, FIRST, LAST)
    fx.write_ga4_csv(tmp_path / "exports" / "Traffic_acquisition.csv", ga4)
    events = fx.events(23, FIRST, LAST, 30)
    fx.write_parquet_folder(tmp_path / "events", events)
    return {"deals": deals, "ga4": ga4, "events": events, "folder": tmp_path}


def month(day: dt.date) -> bool:
    return day.year == AS_OF.year and day.month == AS_OF.month and day <= AS_OF


def expected_actuals(data: dict[str, Any]) -> dict[str, float]:
    """November to date of each KPI, summed here from the generated rows."""
    won = sum(
        d.amount or 0
        for d in data["deals"]
        if d.stage == "Closed Won" and d.close and month(d.close.date())
    )
    return {
        "WON": won + 1000,  # + the typed entry
        "DEALS": float(sum(1 for d in data["deals"] if month(d.created.date()))),
        "SESSIONS": float(sum(r.sessions for r in data["ga4"] if month(r.day))),
        "PURCHASES": sum(
            e.amount
            for e in data["events"]
            if month(e.day) and e.kpi == "purchase" and e.status != "refunded"
        ),
        "TYPED": 4.0,
    }


def actuals(result: kpisheets.Result) -> dict[str, float | None]:  # type: ignore[name-defined]
    return {k.id: k.actual for k in result.kpis}


def test_files_import_refresh_export(exports: dict[str, Any]) -> None:
    folder = exports["folder"]
    path = write_workbook(
        folder / "marketing.xlsx", marketing_sheets([HUBSPOT, HUBSPOT_COUNT, GA4, EVENTS])
    )
    entries_before = _part(path, "Entries")
    runner = CliRunner()
    out = runner.invoke(cli, ["import", str(path)])
    assert out.exit_code == 0, out.output
    assert "Imported hubspot-won" in out.output and "Imported events" in out.output
    # import writes only the Imported sheet; the figures need a refresh.
    out = runner.invoke(cli, ["refresh", str(path)])
    assert out.exit_code == 0, out.output
    result = kpisheets.status(path)
    want = expected_actuals(exports)
    got = actuals(result)
    for kpi, value in want.items():
        assert got[kpi] == pytest.approx(value), kpi
    assert _part(path, "Entries") == entries_before  # the user's Entries never written

    # Segments carried into the entries frame: GA4 channels, HubSpot pipelines.
    tracker = kpisheets.load(path)
    sessions = tracker.entries[tracker.entries["kpi"] == "SESSIONS"]
    assert set(sessions["segment"]) == set(fx.GA4_CHANNELS)
    assert set(sessions["source"]) == {"ga4-sessions"}

    # An export of the refreshed figures agrees.
    out = runner.invoke(cli, ["export", str(path), "-o", str(folder / "summary.json")])
    assert out.exit_code == 0, out.output
    exported = {
        k["id"]: k["actual"] for k in json.loads((folder / "summary.json").read_text())["kpis"]
    }
    for kpi, value in want.items():
        assert exported[kpi] == pytest.approx(value), kpi


def test_a_failed_source_keeps_its_rows_and_the_others_import(exports: dict[str, Any]) -> None:
    folder = exports["folder"]
    path = write_workbook(folder / "m.xlsx", marketing_sheets([HUBSPOT, GA4, EVENTS]))
    assert CliRunner().invoke(cli, ["import", str(path)]).exit_code == 0
    before = {r.source: r for r in rows_from_table(owned_table(path, "Imported", "Date"))}
    ga4_rows = [
        r
        for r in rows_from_table(owned_table(path, "Imported", "Date"))
        if r.source == "ga4-sessions"
    ]

    # GA4 export deleted, the events folder changed: GA4 fails, events re-imports.
    (folder / "exports" / "Traffic_acquisition.csv").unlink()
    more = fx.events(24, dt.date(2026, 11, 1), AS_OF, 5)
    fx.write_parquet_folder(folder / "events" / "late", more)
    out = CliRunner().invoke(cli, ["import", str(path)])
    assert out.exit_code == 1
    assert "source-missing" in out.output and "ga4-sessions" in out.output
    assert "Sources!D3" in out.output
    after = rows_from_table(owned_table(path, "Imported", "Date"))
    kept = [r for r in after if r.source == "ga4-sessions"]
    assert [(r.date, r.segment, r.value, r.imported_at) for r in kept] == [
        (r.date, r.segment, r.value, r.imported_at) for r in ga4_rows
    ]
    assert "hubspot-won" in before
    result = kpisheets.status(path)
    extra = sum(e.amount for e in more if e.kpi == "purchase" and e.status != "refunded")
    assert result.kpi("PURCHASES").actual == pytest.approx(
        expected_actuals(exports)["PURCHASES"] + extra
    )  # type: ignore[attr-defined]


def test_refresh_import_shows_failures_on_the_problems_sheet(exports: dict[str, Any]) -> None:
    folder = exports["folder"]
    bad_column = ["bad-column", "WON", "csv", "exports/hubspot-crm-exports-all-deals.csv", "Closed"]
    bad_filter = ["bad-filter", "WON", "csv", "x.csv", "d", None, None, "stage = 'won"]
    broken = ["broken", "WON", "parquet", "broken.parquet", "date"]
    (folder / "broken.parquet").write_bytes(b"PAR1 not really")
    path = write_workbook(
        folder / "m.xlsx", marketing_sheets([HUBSPOT, bad_column, bad_filter, broken])
    )
    out = CliRunner().invoke(cli, ["refresh", str(path), "--import"])
    assert out.exit_code == 0, out.output
    codes = {p.code: p.cell for p in kpisheets.load(path).problems}  # Sources problems stay
    assert codes["source-filter"] == "Sources!H4"
    problems_sheet = _sheet_text(path, "Problems")
    for code, cell in [("source-column", "Sources!E3"), ("source-filter", "Sources!H4"),
                       ("source-failed", "Sources!D5")]:  # fmt: skip
        assert code in problems_sheet and cell in problems_sheet
    result = kpisheets.status(path)
    want = expected_actuals(exports)["WON"]
    assert result.kpi("WON").actual == pytest.approx(want)  # type: ignore[attr-defined]


def test_import_one_source_and_unknown_name(exports: dict[str, Any]) -> None:
    folder = exports["folder"]
    path = write_workbook(folder / "m.xlsx", marketing_sheets([HUBSPOT, GA4]))
    out = CliRunner().invoke(cli, ["import", str(path), "--source", "GA4-Sessions"])
    assert out.exit_code == 0, out.output
    assert {r.source for r in rows_from_table(owned_table(path, "Imported", "Date"))} == {
        "ga4-sessions"
    }
    out = CliRunner().invoke(cli, ["import", str(path), "--source", "nope"])
    assert out.exit_code == 2 and "no source called 'nope'" in out.output


def test_typed_or_imported_gives_the_same_figures(tmp_path: Path) -> None:
    """November's daily sales typed into Entries, or imported from a CSV: same result,
    and the same count of rows left out for being dated after the as-of date."""
    days = fx.days(dt.date(2026, 10, 1), AS_OF + dt.timedelta(days=5))
    sales = {d: float((d.day * 37) % 500 + 0.25) for d in days}
    kpis = [KPI_HEADER, ["SALES", "Sales", "Sales", "$", "Sum", "Month", 9000],
            ["LASTV", "Level", "Sales", "", "Last", "Month", 300]]  # fmt: skip
    settings = [["Setting", "Value"], ["As of", AS_OF]]
    typed = write_workbook(
        tmp_path / "typed.xlsx",
        {
            "KPIs": kpis,
            "Entries": [["Date", "KPI", "Value"]]
            + [[d, "SALES", v] for d, v in sales.items()]
            + [[d, "LASTV", v] for d, v in sales.items()],
            "Settings": settings,
        },
    )
    (tmp_path / "sales.csv").write_text(
        "day,amount\n" + "".join(f"{d.isoformat()},{v!r}\n" for d, v in sales.items())
    )
    imported = write_workbook(
        tmp_path / "imported.xlsx",
        {
            "KPIs": kpis,
            "Entries": [["Date", "KPI", "Value"]],
            "Settings": settings,
            "Sources": [
                SOURCE_HEADER,
                ["s", "SALES", "csv", "sales.csv", "day", "amount"],
                ["l", "LASTV", "csv", "sales.csv", "day", "amount"],
            ],  # fmt: skip
        },
    )
    assert CliRunner().invoke(cli, ["refresh", str(imported), "--import"]).exit_code == 0
    a = kpisheets.status(typed).to_dict()
    b = kpisheets.status(imported).to_dict()
    for one, other in zip(a["kpis"], b["kpis"], strict=True):
        for key in ("actual", "previous", "forecast", "score", "status", "history", "last_entry"):
            assert one[key] == other[key], (one["id"], key)
    assert a["left_out"] == b["left_out"] == {"future-date": 10}  # 21–25 Nov, two KPIs
    late = [p for p in b["problems"] if p["code"] == "future-date"]
    assert len(late) == 2  # one per source, naming it
    # its first late row: source "l" sorts first, 51 rows from 1 Oct to 20 Nov under row 3
    assert late[0]["cell"] == "Imported!A55" and late[0]["severity"] == "warning"
    assert "5 row(s) imported from the source 'l' (LASTV)" in late[0]["message"]
    assert "(2026-11-21 to 2026-11-25)" in late[0]["message"]
    summary = _sheet_text(imported, "Summary")
    assert "10 entries are left out of these figures (future-date 10)" in summary


def test_sql_source_in_the_scenario(
    exports: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same tracker with a PostgreSQL query beside the files."""
    import sqlalchemy as sa

    from tests.test_sources_database import database_url

    url = database_url()
    engine = sa.create_engine(url)
    schema = f"kpisheets_import_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.orders AS SELECT i AS id, DATE '2026-09-01' + (i % 81) "
                "AS ordered_on, (i % 50) * 1.5 AS total, (ARRAY['EMEA','AMER'])[1 + i % 2] AS region "
                "FROM generate_series(1, 20000) AS i"
            )
        )
    try:
        monkeypatch.setenv("KPI_DATABASE_URL", url)
        folder = exports["folder"]
        orders = ["orders", "ORDERS", "sql", f"SELECT ordered_on, total, region FROM {schema}.orders",
                  "ordered_on", "total", "region"]  # fmt: skip
        path = write_workbook(
            folder / "m.xlsx",
            marketing_sheets([HUBSPOT, GA4, EVENTS, orders], database="KPI_DATABASE_URL"),
        )
        out = CliRunner().invoke(cli, ["refresh", str(path), "--import"])
        assert out.exit_code == 0, out.output
        result = kpisheets.status(path)
        want = sum(
            (i % 50) * 1.5
            for i in range(1, 20001)
            if month(dt.date(2026, 9, 1) + dt.timedelta(days=i % 81))
        )
        assert result.kpi("ORDERS").actual == pytest.approx(want)  # type: ignore[attr-defined]
        assert result.kpi("SESSIONS").actual == pytest.approx(expected_actuals(exports)["SESSIONS"])  # type: ignore[attr-defined]
        # The URL appears nowhere in the workbook.
        with zipfile.ZipFile(path) as z:
            assert not any(url.encode() in z.read(n) for n in z.namelist())
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _part(path: Path, sheet: str) -> bytes:
    """The XML part of ``sheet`` (the workbook here is written by XlsxWriter: sheetN.xml)."""
    from kpisheets.opc import PackageZip
    from kpisheets.write.package import Package

    with PackageZip(path=path) as source:
        entry = next(s for s in Package(source).sheets if s.name == sheet)
        assert entry.part is not None
        return source.read(entry.part)


def _sheet_text(path: Path, sheet: str) -> str:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    with book:
        return "\n".join(
            " | ".join(str(v) for v in row) for row in book.get_sheet_by_name(sheet).to_python()
        )
