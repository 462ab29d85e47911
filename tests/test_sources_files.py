"""File sources read by DuckDB: each preset on its product's own export layout, plain
CSV/Parquet/JSON/XLSX files and globs, and every way reading can fail.

Expected figures come from the rows the fixtures generated, summed in plain Python.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kpisheets.sources import read_source
from kpisheets.sources.files import ga4_tables
from kpisheets.sources.filters import parse_filter
from kpisheets.sources.spec import SourceError, SourceSpec
from tests import source_fixtures as fx

FIRST, LAST = dt.date(2026, 9, 1), dt.date(2026, 11, 28)


def spec(kind: str, location: str, date: str, value: str | None = None, **kw: object) -> SourceSpec:
    flt = kw.pop("filter", None)
    return SourceSpec(
        name=str(kw.pop("name", f"{kind}-source")),
        kpi="K",
        kind=kind,
        location=location,
        date=date,
        value=value,
        segment=kw.pop("segment", None),  # type: ignore[arg-type]
        filter=parse_filter(str(flt)) if flt else None,
    )


def as_dict(rows: list[tuple[dt.date, str, float]]) -> dict[tuple[dt.date, str], float]:
    return {(d, s): v for d, s, v in rows}


def assert_same(
    got: dict[tuple[dt.date, str], float], want: dict[tuple[dt.date, str], float]
) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key


# ---------------------------------------------------------------------------
# HubSpot


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_hubspot_deals_won_amount_by_pipeline(tmp_path: Path, suffix: str) -> None:
    rows = fx.deals(1, FIRST, LAST, 600)
    write = fx.write_hubspot_csv if suffix == "csv" else fx.write_hubspot_xlsx
    write(tmp_path / f"hubspot-crm-exports-all-deals.{suffix}", rows)
    s = spec(
        "hubspot",
        f"hubspot-crm-exports-all-deals.{suffix}",
        "Close Date",
        "Amount",
        segment="Pipeline",
        filter="Deal Stage = closed won",
    )
    got = read_source(s, tmp_path)
    want = fx.daily_sums(
        rows,
        day=lambda d: d.close.date() if d.close else None,
        value=lambda d: d.amount,
        segment=lambda d: d.pipeline,
        keep=lambda d: d.stage == "Closed Won",
    )
    assert_same(as_dict(got.rows), want)
    assert got.skipped_dates == 0 and got.skipped_values == 0


def test_hubspot_count_of_deals_created(tmp_path: Path) -> None:
    rows = fx.deals(2, FIRST, LAST, 300)
    fx.write_hubspot_csv(tmp_path / "deals.csv", rows)
    got = read_source(spec("hubspot", "deals.csv", "create date"), tmp_path)  # any case
    want = fx.daily_sums(rows, day=lambda d: d.created.date(), value=None)
    assert_same(as_dict(got.rows), want)


# ---------------------------------------------------------------------------
# Salesforce


def test_salesforce_details_csv_skips_totals_and_footer(tmp_path: Path) -> None:
    rows = fx.deals(3, FIRST, LAST, 400)
    written = fx.write_salesforce_csv(tmp_path / "report1700000000000.csv", rows)
    got = read_source(
        spec(
            "salesforce",
            "report1700000000000.csv",
            "Close Date",
            "Amount",
            segment="Lead Source",
            filter="Stage in (Closed Won, 'Negotiation/Review')",
        ),
        tmp_path,
    )
    want = fx.daily_sums(
        written,
        day=lambda r: r[7].date() if r[7] else None,
        value=lambda r: r[5],
        segment=lambda r: r[9],
        keep=lambda r: r[3] in ("Closed Won", "Negotiation/Review"),
    )
    assert_same(as_dict(got.rows), want)
    # The footer lines are not dates that failed: they are skipped without a warning.
    assert got.skipped_dates == 0


def test_salesforce_formatted_xlsx_header_block_and_total_row(tmp_path: Path) -> None:
    rows = fx.deals(4, FIRST, LAST, 250)
    written = fx.write_salesforce_xlsx(tmp_path / "Closed Opportunities.xlsx", rows)
    got = read_source(
        spec("salesforce", "Closed Opportunities.xlsx", "Close Date", "Amount"), tmp_path
    )
    want = fx.daily_sums(written, day=lambda r: r[7].date() if r[7] else None, value=lambda r: r[5])
    assert_same(as_dict(got.rows), want)
    total = sum(v for _, _, v in got.rows)
    assert total == pytest.approx(sum(r[5] or 0 for r in written if r[7]))


# ---------------------------------------------------------------------------
# GA4


def test_ga4_tables_are_found_with_their_start_dates(tmp_path: Path) -> None:
    rows = fx.ga4_rows(5, FIRST, LAST)
    path = fx.write_ga4_csv(tmp_path / "Traffic_acquisition.csv", rows)
    tables = ga4_tables(path)
    assert [t.header[:2] for t in tables] == [["Nth day", "Users"], ["Date", fx.GA4_CHANNEL]]
    assert {t.start_date for t in tables} == {FIRST}


def test_ga4_sessions_by_channel_from_the_date_table(tmp_path: Path) -> None:
    rows = fx.ga4_rows(6, FIRST, LAST)
    fx.write_ga4_csv(tmp_path / "Traffic_acquisition.csv", rows)
    got = read_source(
        spec(
            "ga4",
            "Traffic_acquisition.csv",
            "Date",
            "Sessions",
            segment=fx.GA4_CHANNEL,
            filter=f'"{fx.GA4_CHANNEL}" <> Direct',
        ),
        tmp_path,
    )
    want = fx.daily_sums(
        rows,
        day=lambda r: r.day,
        value=lambda r: r.sessions,
        segment=lambda r: r.channel,
        keep=lambda r: r.channel != "Direct",
    )
    assert_same(as_dict(got.rows), want)


def test_ga4_nth_day_counts_from_the_start_date(tmp_path: Path) -> None:
    rows = fx.ga4_rows(7, FIRST, LAST)
    fx.write_ga4_csv(tmp_path / "snapshot.csv", rows)
    got = read_source(spec("ga4", "snapshot.csv", "Nth day", "Users"), tmp_path)
    want = fx.daily_sums(rows, day=lambda r: r.day, value=lambda r: r.engaged)
    assert_same(as_dict(got.rows), want)


def test_ga4_without_a_matching_table_names_the_tables(tmp_path: Path) -> None:
    fx.write_ga4_csv(tmp_path / "ga.csv", fx.ga4_rows(8, FIRST, FIRST))
    with pytest.raises(SourceError) as err:
        read_source(spec("ga4", "ga.csv", "Date", "Conversions"), tmp_path)
    assert err.value.code == "source-column"
    assert "Nth day, Users" in err.value.message and "Sessions" in err.value.message


# ---------------------------------------------------------------------------
# Plain files and globs


def test_parquet_folder_of_events(tmp_path: Path) -> None:
    rows = fx.events(9, FIRST, LAST, 40)
    fx.write_parquet_folder(tmp_path / "events", rows)
    got = read_source(
        spec(
            "parquet",
            "events",
            "date",
            "amount",
            segment="segment",
            filter="kpi = purchase and status <> refunded",
        ),
        tmp_path,
    )
    want = fx.daily_sums(
        rows,
        day=lambda e: e.day,
        value=lambda e: e.amount,
        segment=lambda e: e.segment,
        keep=lambda e: e.kpi == "purchase" and e.status != "refunded",
    )
    assert_same(as_dict(got.rows), want)


def test_csv_glob_and_json_and_xlsx(tmp_path: Path) -> None:
    rows = fx.events(10, FIRST, FIRST + dt.timedelta(days=20), 10)
    half = len(rows) // 2
    for n, chunk in enumerate((rows[:half], rows[half:])):
        with (tmp_path / f"part{n}.csv").open("w") as fh:
            fh.write("date,kpi,amount,segment,status\n")
            for e in chunk:
                fh.write(f"{e.day.isoformat()},{e.kpi},{e.amount},{e.segment},{e.status}\n")
    want = fx.daily_sums(rows, day=lambda e: e.day, value=lambda e: e.amount)
    assert_same(
        as_dict(read_source(spec("csv", "part*.csv", "date", "amount"), tmp_path).rows), want
    )

    (tmp_path / "events.json").write_text(
        json.dumps(
            [{"when": e.day.isoformat(), "amount": e.amount, "seg": e.segment} for e in rows]
        )
    )
    got = read_source(spec("json", "events.json", "when", "amount"), tmp_path)
    assert_same(as_dict(got.rows), want)

    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "events.xlsx")
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["Date", "Amount"])
    fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, e in enumerate(rows, start=1):
        ws.write_datetime(r, 0, dt.datetime(e.day.year, e.day.month, e.day.day), fmt)
        ws.write_number(r, 1, e.amount)
    book.close()
    assert_same(
        as_dict(read_source(spec("xlsx", "events.xlsx", "date", "amount"), tmp_path).rows), want
    )


def test_text_numbers_and_dates_are_read_and_bad_ones_counted(tmp_path: Path) -> None:
    (tmp_path / "money.csv").write_text(
        'Day,Revenue\n15/03/2026,"1,200.50"\n16/03/2026,$300\n16/03/2026,n/a\nnot a day,5\n,7\n'
    )
    got = read_source(spec("csv", "money.csv", "Day", "Revenue"), tmp_path)
    assert as_dict(got.rows) == {
        (dt.date(2026, 3, 15), ""): 1200.5,
        (dt.date(2026, 3, 16), ""): 300.0,
    }
    assert got.skipped_values == 1 and got.example_value == "n/a"
    assert got.skipped_dates == 1 and got.example_date == "not"


# ---------------------------------------------------------------------------
# Failures


def test_missing_file_folder_and_glob(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for location in ("nope.csv", "empty", "exports/*.csv"):
        with pytest.raises(SourceError) as err:
            read_source(spec("csv", location, "date"), tmp_path)
        assert err.value.code == "source-missing"
        assert location in err.value.message


def test_unknown_columns_name_the_columns_there(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("date,amount,region\n2026-01-01,5,EMEA\n")
    cases = [
        (spec("csv", "a.csv", "day"), "Date"),
        (spec("csv", "a.csv", "date", "revenue"), "Value"),
        (spec("csv", "a.csv", "date", segment="country"), "Segment"),
        (spec("csv", "a.csv", "date", filter="country = FR"), "Filter"),
    ]
    for s, column in cases:
        with pytest.raises(SourceError) as err:
            read_source(s, tmp_path)
        assert err.value.code == "source-column" and err.value.column == column
        assert "date, amount, region" in err.value.message


def test_a_damaged_file_is_source_failed(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceError) as err:
        read_source(spec("parquet", "broken.parquet", "date"), tmp_path)
    assert err.value.code == "source-failed"
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(SourceError) as err:
        read_source(spec("xlsx", "broken.xlsx", "date"), tmp_path)
    assert err.value.code == "source-failed"


def test_filter_values_are_never_sql(tmp_path: Path) -> None:
    """A value that would break out of a pasted string matches as plain text."""
    evil = "x' OR 1=1 --"
    (tmp_path / "t.csv").write_text(f'date,name\n2026-01-01,"{evil}"\n2026-01-01,other\n')
    got = read_source(spec("csv", "t.csv", "date", filter=f'name = "{evil}"'), tmp_path)
    assert got.rows == [(dt.date(2026, 1, 1), "", 1.0)]
    got = read_source(spec("csv", "t.csv", "date", filter="name = \"x' OR '1'='1\""), tmp_path)
    assert got.rows == []


def test_progress_is_reported_while_a_query_runs_and_closed_at_the_end() -> None:
    import time

    from kpisheets.sources.files import _progress

    class Query:
        def query_progress(self) -> float:
            return 40.0

    seen: list[float] = []
    with _progress(Query(), seen.append):
        time.sleep(0.7)  # longer than the half-second poll
    assert seen[0] == 0.4 and seen[-1] == 1.0


def test_source_progress_becomes_a_progress_stage() -> None:
    """The CLI shows a source's progress as a stage of its progress line (which the
    console prints on a terminal only)."""
    from kpisheets.cli import source_progress

    stages: list[str] = []
    show = source_progress(stages.append)(spec("csv", "x.csv", "date", name="events"))
    assert show is not None
    show(0.43)
    assert stages == ["Reading events: 43%"]
