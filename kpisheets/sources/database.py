"""``sql`` sources: the query runs in the team's database, grouped by day there.

The Location of a ``sql`` source is a query (``SELECT created_at, amount, region FROM
orders``). kpisheets wraps it, through SQLAlchemy, as a subquery::

    SELECT CAST(src.created_at AS DATE), src.region, sum(src.amount)
    FROM (<the query>) AS src WHERE <the Filter, with bound values>
    GROUP BY CAST(src.created_at AS DATE), src.region

so the database does the reading and the grouping and only the daily totals travel
back — a warehouse table of billions of rows sends a few thousand. The URL comes from
the environment variable that Settings › Database names (never from the workbook);
any SQLAlchemy dialect works (PostgreSQL with psycopg ships with kpisheets; Snowflake,
BigQuery, Redshift, Databricks… with their dialect package installed, see
``docs/sources.md``). Error messages are stripped of the URL and the password before
they reach the Problems sheet.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from kpisheets.sources.dates import read_days
from kpisheets.sources.filters import resolve_columns, sqlalchemy_clause
from kpisheets.sources.spec import (
    SOURCE_COLUMN,
    SOURCE_FAILED,
    SOURCE_MISSING,
    DailyTotals,
    SourceError,
    SourceSpec,
)

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def database_url(variable: str | None, spec: SourceSpec) -> str:
    """The URL in the environment variable ``variable`` (Settings › Database).

    Raises ``source-missing`` when the setting is blank or the variable is not set —
    the message names the variable, never a value.
    """
    if not variable:
        raise SourceError(
            SOURCE_MISSING,
            f"{spec.name} is a sql source, but Settings has no Database.",
            "Add the row Database to Settings with the NAME of an environment variable "
            "(e.g. KPI_DATABASE_URL) and set that variable to the database URL before "
            "importing; never type the URL itself into the workbook.",
            column="Kind",
        )
    url = os.environ.get(variable, "").strip()
    if not url:
        raise SourceError(
            SOURCE_MISSING,
            f"{spec.name}: the environment variable {variable} (Settings › Database) is not set.",
            f"Set {variable} to the database URL, e.g. "
            "postgresql://user@host/db (a password can come from ~/.pgpass), then import "
            "again.",
            column="Kind",
        )
    return url


def scrub(text: str, url: str) -> str:
    """``text`` without the URL, its password or its user name (for messages)."""
    secrets = {url}
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        for secret in (parsed.password, parsed.render_as_string(hide_password=False)):
            if secret:
                secrets.add(str(secret))
    except Exception:
        # Not a URL SQLAlchemy can parse: hide anything shaped like user:password@.
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    text = re.sub(r"(\w+://)[^\s/@]*:[^\s/@]*@", r"\1***@", text)
    text = re.sub(r"password\s*=\s*\S+", "password=***", text, flags=re.IGNORECASE)
    return text


def _reason(exc: BaseException, url: str) -> str:
    """One line of what the database said, scrubbed; without SQLAlchemy's link line."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip() and "sqlalche.me" not in ln]
    first = lines[0] if lines else type(exc).__name__
    return scrub(first.strip(), url)


def read_sql_source(spec: SourceSpec, variable: str | None) -> DailyTotals:
    """Run ``spec``'s query grouped by day (and segment) in its database."""
    import sqlalchemy as sa

    url = database_url(variable, spec)
    query = spec.location.strip().rstrip(";").strip()
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # a URL SQLAlchemy cannot use: bad scheme, dialect not installed
        raise SourceError(
            SOURCE_FAILED,
            f"{spec.name}: the URL in {variable} cannot be used ({_reason(exc, url)}).",
            "Check the URL's form (dialect+driver://user@host/database) and that the "
            "dialect's Python package is installed.",
            column="Kind",
        ) from None
    try:
        with engine.connect() as conn:
            text = sa.text(query)
            probe: Any = conn.execute(
                sa.select(sa.literal_column("*"))
                .select_from(text.columns().subquery("src"))
                .where(sa.false())
            )
            names = list(probe.keys())
            probe.close()
            statement = _grouped(spec, text, names)
            rows = list(conn.execute(statement).fetchall())
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            SOURCE_FAILED,
            f"{spec.name}: the database refused the query: {_reason(exc, url)}",
            "Run the query in your database tool to see what it needs; the Location "
            "holds a SELECT whose columns the Date, Value and Segment cells name.",
        ) from None
    finally:
        engine.dispose()
    return _totals(rows)


def _grouped(spec: SourceSpec, text: Any, names: list[str]) -> Any:
    import sqlalchemy as sa

    by_key = {n.strip().lower(): n for n in names}

    def need(role: str, name: str) -> str:
        actual = by_key.get(name.strip().lower())
        if actual is None:
            raise SourceError(
                SOURCE_COLUMN,
                f"{spec.name}: the {role} column {name!r} is not among the query's columns "
                f"({', '.join(names)}).",
                f"Name one of the query's columns in {role}, or add it to the SELECT.",
                column=role,
            )
        return actual

    date_name = need("Date", spec.date)
    value_name = need("Value", spec.value) if spec.value else None
    segment_name = need("Segment", spec.segment) if spec.segment else None
    columns: list[Any] = [sa.column(n) for n in names]
    src = text.columns(*columns).subquery("src")
    day = sa.cast(src.c[date_name], sa.Date).label("day")
    segment = (
        sa.func.coalesce(sa.cast(src.c[segment_name], sa.String), "").label("segment")
        if segment_name
        else sa.literal("").label("segment")
    )
    measure = (
        sa.func.sum(sa.cast(src.c[value_name], sa.Float)) if value_name else sa.func.count()
    ).label("value")
    statement = sa.select(day, segment, measure).select_from(src)
    if spec.filter is not None:
        try:
            resolved = resolve_columns(spec.filter, names)
        except KeyError as exc:
            need("Filter", str(exc.args[0]))
            raise
        statement = statement.where(
            sqlalchemy_clause(spec.filter, lambda name: src.c[resolved[name]])
        )
    statement = statement.where(src.c[date_name].is_not(None))
    group = [day] if not segment_name else [day, segment]
    return statement.group_by(*group)


def _totals(rows: list[Any]) -> DailyTotals:
    summed: dict[tuple[dt.date, str], float] = {}
    texts = [r[0] for r in rows if isinstance(r[0], str)]
    days = read_days(texts) if texts else {}
    skipped = 0
    for day, segment, value in rows:
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            day = days.get(day)
        if day is None:
            skipped += 1
            continue
        if value is None:
            continue
        key = (day, "" if segment is None else str(segment).strip())
        summed[key] = summed.get(key, 0.0) + float(value)
    return DailyTotals([(d, s, v) for (d, s), v in sorted(summed.items())], skipped_dates=skipped)
