"""``sql`` sources against a real PostgreSQL server.

``.ci/run`` starts a private server (``.ci/postgres start DIR``: a Unix socket in a
temporary folder, run by the unprivileged ``postgres`` user) and sets
``KPISHEETS_TEST_DATABASE_URL``; on a developer machine run the same two lines. Without
the variable these tests are skipped with that reason, except under CI, where a
missing server is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest

from kpisheets.sources import read_source
from kpisheets.sources.filters import parse_filter
from kpisheets.sources.spec import SourceError, SourceSpec

URL_VARIABLE = "KPISHEETS_TEST_DATABASE_URL"
ROWS = 1_000_000
FIRST = dt.date(2026, 1, 1)
DAYS = 330
REGIONS = ("EMEA", "AMER", "APAC")


def database_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{URL_VARIABLE} is not set: .ci/run starts PostgreSQL for these tests")
        pytest.skip(
            f"no PostgreSQL: run `export {URL_VARIABLE}=$(.ci/postgres start /tmp/kpisheets-pg)`"
        )
    return url


@pytest.fixture(scope="module")
def orders() -> Iterator[str]:
    """A table of a million orders, generated inside PostgreSQL (a second or two)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url())
    schema = f"kpisheets_test_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.orders AS SELECT i AS id, "
                f"(DATE '{FIRST.isoformat()}' + (i % {DAYS})) + make_interval(mins => i % 1440) "
                "AS created_at, round(((i * 37) % 10000) / 100.0, 2)::numeric(12, 2) AS amount, "
                "(ARRAY['EMEA', 'AMER', 'APAC'])[1 + (i / 7) % 3] AS region, "
                "CASE WHEN i % 10 = 0 THEN 'refunded' ELSE 'paid' END AS status "
                f"FROM generate_series(1, {ROWS}) AS i"
            )
        )
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def expected(keep: Any = None) -> dict[tuple[dt.date, str], float]:
    """The same sums in Python from the generating formula, never from the database."""
    sums: dict[tuple[dt.date, str], float] = {}
    for i in range(1, ROWS + 1):
        status = "refunded" if i % 10 == 0 else "paid"
        if keep is not None and not keep(status):
            continue
        key = (FIRST + dt.timedelta(days=i % DAYS), REGIONS[(i // 7) % 3])
        sums[key] = sums.get(key, 0.0) + ((i * 37) % 10000) / 100.0
    return sums


def sql_spec(
    query: str, date: str = "created_at", value: str | None = "amount", **kw: Any
) -> SourceSpec:
    flt = kw.pop("filter", None)
    return SourceSpec(
        name="orders",
        kpi="REVENUE",
        kind="sql",
        location=query,
        date=date,
        value=value,
        segment=kw.pop("segment", None),
        filter=parse_filter(flt) if flt else None,
    )


def test_grouped_in_the_database_and_only_daily_rows_travel(
    orders: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import sqlalchemy as sa
    from sqlalchemy import event

    monkeypatch.setenv("KPI_DATABASE_URL", database_url())
    statements: list[str] = []
    fetched: list[int] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        fetched.append(cursor.rowcount)

    event.listen(sa.engine.Engine, "before_cursor_execute", before)
    event.listen(sa.engine.Engine, "after_cursor_execute", after)
    try:
        got = read_source(
            sql_spec(
                f"SELECT created_at, amount, region, status FROM {orders}.orders",
                segment="Region",
                filter="status <> refunded",
            ),
            tmp_path,
            database="KPI_DATABASE_URL",
        )
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", before)
        event.remove(sa.engine.Engine, "after_cursor_execute", after)
    want = expected(keep=lambda status: status != "refunded")
    assert {(d, s): v for d, s, v in got.rows} == pytest.approx(want)
    grouped = statements[-1]
    assert "GROUP BY" in grouped and "refunded" not in grouped  # the value is bound
    assert fetched[-1] == len(want) <= DAYS * len(REGIONS)  # not a million rows


def test_count_rows_without_value(
    orders: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("KPI_DATABASE_URL", database_url())
    got = read_source(
        sql_spec(
            f"SELECT created_at FROM {orders}.orders WHERE created_at < DATE '2026-01-03'",
            value=None,
        ),
        tmp_path,
        database="KPI_DATABASE_URL",
    )
    counts = {(FIRST + dt.timedelta(days=d), ""): 0.0 for d in (0, 1)}
    for i in range(1, ROWS + 1):
        if i % DAYS in (0, 1):
            counts[(FIRST + dt.timedelta(days=i % DAYS), "")] += 1
    assert {(d, s): v for d, s, v in got.rows} == counts


def test_failures_name_the_cause_and_never_the_url(
    orders: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    url = database_url().replace("postgres@", "postgres:Sup3rSecretPw@")
    monkeypatch.setenv("KPI_DATABASE_URL", url)
    cases = [
        (sql_spec(f"SELECT nope FROM {orders}.orders"), "source-failed", "nope"),
        (
            sql_spec(f"SELECT created_at FROM {orders}.orders", value="revenue"),
            "source-column",
            "revenue",
        ),
        (
            sql_spec(f"SELECT created_at, amount FROM {orders}.orders", segment="country"),
            "source-column",
            "country",
        ),
    ]
    for spec, code, word in cases:
        with pytest.raises(SourceError) as err:
            read_source(spec, tmp_path, database="KPI_DATABASE_URL")
        assert err.value.code == code and word in err.value.message
        assert "Sup3rSecretPw" not in err.value.message + err.value.hint
        assert url not in err.value.message

    bad_db = url.replace("/kpisheets?", "/no_such_database?")
    monkeypatch.setenv("KPI_DATABASE_URL", bad_db)
    with pytest.raises(SourceError) as err:
        read_source(sql_spec("SELECT 1"), tmp_path, database="KPI_DATABASE_URL")
    assert err.value.code == "source-failed"
    assert "no_such_database" in err.value.message
    assert "Sup3rSecretPw" not in err.value.message


def test_database_setting_and_variable_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("KPI_NOT_SET", raising=False)
    for variable in (None, "KPI_NOT_SET"):
        with pytest.raises(SourceError) as err:
            read_source(sql_spec("SELECT 1"), tmp_path, database=variable)
        assert err.value.code == "source-missing" and err.value.column == "Kind"
