"""File sources read and aggregated by DuckDB: CSV, Parquet, JSON, XLSX and the presets.

How a file of any size is reduced to daily rows without loading it into Python: one
DuckDB query reads the file (or every file a glob or folder matches), applies the
Filter with bound parameters, and groups by day and segment; only those groups come
back — a few thousand tuples for years of data, whatever the row count. The day is
grouped by its *text* when the column holds text (``3/15/2024 10:22`` → ``3/15/2024``)
and read into a date afterwards, once per distinct day (:mod:`kpisheets.sources.dates`).

DuckDB runs embedded with a memory limit (:data:`MEMORY_LIMIT`, spilling to a
temporary folder beyond it) and both cores; ``KPISHEETS_DUCKDB_MEMORY`` and
``KPISHEETS_DUCKDB_THREADS`` change them.

XLSX files are the exception to "never in Python": DuckDB's Excel reader is an
extension it would download at run time, so an ``.xlsx`` is read with python-calamine
(the reader kpisheets uses for workbooks), its columns typed, and handed to DuckDB for
the same query. An Excel sheet holds at most 1,048,576 rows, so this stays bounded.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import glob
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpisheets.sources.dates import read_days
from kpisheets.sources.filters import duckdb_sql, quote_identifier, resolve_columns
from kpisheets.sources.spec import (
    SOURCE_COLUMN,
    SOURCE_FAILED,
    SOURCE_MISSING,
    DailyTotals,
    SourceError,
    SourceSpec,
)

MEMORY_LIMIT = "256MB"
SUFFIXES = {
    "csv": (".csv", ".tsv", ".txt", ".csv.gz"),
    "parquet": (".parquet", ".pq"),
    "json": (".json", ".jsonl", ".ndjson", ".json.gz"),
    "xlsx": (".xlsx", ".xlsm"),
}
# Rows that are not data in a Salesforce report export: totals and the footer.
SALESFORCE_NOT_DATA = re.compile(
    r"^\s*(grand totals?|subtotal|totals?|confidential information|copyright)\b", re.IGNORECASE
)
TOTAL_TEXTS = ("total", "totals", "grand total", "grand totals", "subtotal")

Progress = Callable[[float], None]
"""Called with the share of the source read so far (0–1) while a large source is read."""


# ---------------------------------------------------------------------------
# Finding the files.


def source_files(spec: SourceSpec, folder: Path) -> list[Path]:
    """The files a source's Location names, relative to the workbook's ``folder``.

    A folder means every file of the kind inside it (and its subfolders, as Parquet
    datasets are laid out); a glob (``exports/*.csv``, ``events/**/*.parquet``) every
    match. Raises ``source-missing`` when nothing is there.
    """
    location = os.path.expanduser(spec.location.strip())
    path = Path(location)
    if not path.is_absolute():
        path = folder / path
    kind = "csv" if spec.kind in ("hubspot", "salesforce", "ga4") else spec.kind
    suffixes = SUFFIXES.get(kind, ())
    if spec.kind in ("hubspot", "salesforce"):
        suffixes = SUFFIXES["csv"] + SUFFIXES["xlsx"]
    if glob.has_magic(str(path)):
        found = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
        found = [p for p in found if p.is_file()]
        if not found:
            raise SourceError(
                SOURCE_MISSING,
                f"No file matches {spec.location!r} (looked in {path.parent}).",
                "Check the Location: a path relative to the workbook's folder, e.g. "
                "exports/deals.csv or events/*.parquet.",
            )
        return found
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.name.lower().endswith(suffixes) and not p.name.startswith(".")
        )
        if not found:
            raise SourceError(
                SOURCE_MISSING,
                f"The folder {spec.location!r} has no {kind} files.",
                f"Put the {kind} files in {path}, or point Location at the files themselves.",
            )
        return found
    if not path.exists():
        raise SourceError(
            SOURCE_MISSING,
            f"The file {spec.location!r} is not there (looked for {path}).",
            "Check the Location: a path relative to the workbook's folder; export the "
            "file again if it was moved or renamed.",
        )
    return [path]


# ---------------------------------------------------------------------------
# The engine.


def connect() -> Any:
    """An in-memory DuckDB connection with kpisheets' memory and thread settings."""
    import duckdb

    con = duckdb.connect(":memory:")
    memory = os.environ.get("KPISHEETS_DUCKDB_MEMORY", MEMORY_LIMIT)
    threads = os.environ.get("KPISHEETS_DUCKDB_THREADS")
    spill = tempfile.mkdtemp(prefix="kpisheets-duckdb-")
    con.execute(f"SET memory_limit = '{_setting(memory)}'")
    con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
    # Row order does not matter for sums and counts; keeping it costs memory.
    con.execute("SET preserve_insertion_order = false")
    if threads and threads.isdigit():
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    return con


def _setting(value: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", value.strip(), re.IGNORECASE):
        return MEMORY_LIMIT
    return value.strip()


@dataclass
class Relation:
    """What to read: SQL text of a table expression, its parameters, and per-kind rules."""

    sql: str
    params: list[Any]
    keep_rows: str | None = None  # an extra WHERE condition (the preset's "is data")
    day_offset_from: dt.date | None = None  # GA4's "Nth day" column counts from this date
    cleanup: Callable[[], None] | None = None


def read_file_source(
    spec: SourceSpec, folder: Path, progress: Progress | None = None
) -> DailyTotals:
    """Read ``spec`` (a file kind or preset) and return its daily totals.

    Raises :class:`SourceError` (``source-missing``, ``source-column``,
    ``source-failed``) with a sentence for the Problems sheet.
    """
    import duckdb

    files = source_files(spec, folder)
    con = connect()
    relation: Relation | None = None
    try:
        relation = _relation(con, spec, files)
        return _aggregate(con, spec, relation, progress)
    except duckdb.Error as exc:
        raise SourceError(
            SOURCE_FAILED,
            f"{spec.name}: DuckDB could not read {spec.location!r}: {_first_line(exc)}",
            "Check that the file is a complete export of the kind the Kind column names; "
            "export it again if it was cut short.",
        ) from exc
    finally:
        if relation is not None and relation.cleanup is not None:
            relation.cleanup()
        con.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _relation(con: Any, spec: SourceSpec, files: list[Path]) -> Relation:
    names = [str(p) for p in files]
    kind = spec.kind
    if kind in ("hubspot", "salesforce") and all(
        n.lower().endswith(SUFFIXES["xlsx"]) for n in names
    ):
        return _xlsx_relation(con, spec, files)
    if kind == "xlsx":
        return _xlsx_relation(con, spec, files)
    many = ", union_by_name = true" if len(names) > 1 else ""
    if kind == "parquet":
        return Relation(f"read_parquet(?{many})", [names])
    if kind == "json":
        return Relation(f"read_json(?{many})", [names])
    if kind == "salesforce":
        # The footer ("Grand Totals (n records)", "Confidential Information…",
        # "Copyright…") has one column: pad it and drop it below. DuckDB's parallel
        # reader cannot pad rows around quoted line breaks, which report descriptions
        # have, so this preset reads on one thread.
        return Relation(
            f"read_csv(?, header = true, null_padding = true, strict_mode = false, "
            f"parallel = false{many})",
            [names],
        )
    if kind == "ga4":
        return _ga4_relation(spec, files)
    return Relation(f"read_csv(?, header = true{many})", [names])


def _columns(con: Any, relation: Relation) -> list[tuple[str, str]]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation.sql}", relation.params).fetchall()
    return [(str(r[0]), str(r[1]).upper()) for r in rows]


def _find(columns: list[tuple[str, str]], wanted: str) -> tuple[str, str] | None:
    key = wanted.strip().lower()
    return next((c for c in columns if c[0].strip().lower() == key), None)


def _missing_column(spec: SourceSpec, role: str, name: str, columns: list[str]) -> SourceError:
    shown = ", ".join(columns[:12]) + (
        f" and {len(columns) - 12} more" if len(columns) > 12 else ""
    )
    return SourceError(
        SOURCE_COLUMN,
        f"{spec.name}: the {role} column {name!r} is not in {spec.location!r}; its columns "
        f"are {shown}.",
        f"Write one of those names in the {role} column (case does not matter).",
        column=role,
    )


def _aggregate(
    con: Any, spec: SourceSpec, relation: Relation, progress: Progress | None
) -> DailyTotals:
    columns = _columns(con, relation)
    names = [c[0] for c in columns]
    date_col = _find(columns, spec.date)
    if date_col is None:
        raise _missing_column(spec, "Date", spec.date, names)
    value_col = _find(columns, spec.value) if spec.value else None
    if spec.value and value_col is None:
        raise _missing_column(spec, "Value", spec.value, names)
    segment_col = _find(columns, spec.segment) if spec.segment else None
    if spec.segment and segment_col is None:
        raise _missing_column(spec, "Segment", spec.segment, names)
    where: list[str] = []
    filter_params: list[Any] = []
    if spec.filter is not None:
        try:
            resolved = resolve_columns(spec.filter, names)
        except KeyError as exc:
            raise _missing_column(spec, "Filter", str(exc.args[0]), names) from None
        # Parquet's text columns arrive as dictionaries, which lower(trim()) reads once
        # per distinct text; elsewhere a pattern per cell is the cheaper comparison.
        clause, filter_params = duckdb_sql(spec.filter, resolved, by_pattern=spec.kind != "parquet")
        where.append(clause)
    if relation.keep_rows:
        where.append(relation.keep_rows)

    day_params: list[Any] = []
    day, day_is_text = _day_expression(date_col, relation, day_params)
    # Segments are grouped as written and trimmed afterwards (in _totals): a few
    # distinct labels, not a string made per row.
    segment = f"CAST({quote_identifier(segment_col[0])} AS VARCHAR)" if segment_col else "NULL"
    if value_col is not None and _is_numeric(value_col[1]):
        # Numbers already: nothing to count as unreadable (and no text to make).
        value, raw = _number_expression(value_col), "NULL"
        measured, bad_value, example_value = "sum(k_value)", "0", "NULL"
    elif value_col is not None:
        value = _number_expression(value_col)
        raw = f"nullif(trim(CAST({quote_identifier(value_col[0])} AS VARCHAR)), '')"
        measured = "sum(k_value)"
        unreadable = "k_value IS NULL AND k_raw IS NOT NULL"
        bad_value = f"count(*) FILTER (WHERE {unreadable})"
        example_value = f"any_value(k_raw) FILTER (WHERE {unreadable})"
    else:
        value, raw = "NULL", "NULL"
        measured, bad_value, example_value = "count(*)", "0", "NULL"
    where_sql = f"WHERE {' AND '.join(where)}" if where else ""
    # Inner names start with k_ and are the only columns the outer query sees, so a
    # file's own column called "day" or "segment" cannot be mistaken for them.
    sql = (
        f"SELECT k_day, k_segment, {measured}, {bad_value}, {example_value} FROM ("
        f"SELECT {day} AS k_day, {segment} AS k_segment, {value} AS k_value, {raw} AS k_raw "
        f"FROM {relation.sql} {where_sql}"
        f") WHERE k_day IS NOT NULL GROUP BY k_day, k_segment"
    )
    params = day_params + list(relation.params) + filter_params
    with _progress(con, progress):
        groups = con.execute(sql, params).fetchall()
    return _totals(groups, day_is_text)


def _day_expression(
    date_col: tuple[str, str], relation: Relation, params: list[Any]
) -> tuple[str, bool]:
    """SQL for a row's day, and whether it is text (read by :func:`read_days`).

    Blank cells give NULL, so rows without a date (an open deal's Close Date) are
    left out; a text that is not a date comes back and is counted as skipped.
    """
    name, typ = date_col
    ident = quote_identifier(name)
    if relation.day_offset_from is not None:
        # GA4's "Nth day": 0000, 0001… counted from the table's Start date.
        params.append(relation.day_offset_from)
        return f"(CAST(? AS DATE) + TRY_CAST({ident} AS INTEGER))", False
    if typ == "DATE":
        return ident, False
    if typ.startswith("TIMESTAMP"):
        return f"CAST({ident} AS DATE)", False
    # Text (or a number such as GA4's 20240315): the day part of the text.
    text = f"trim(CAST({ident} AS VARCHAR))"
    return f"nullif(regexp_replace({text}, '(T|\\s).*$', ''), '')", True


NUMERIC_TYPES = (
    "DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
    "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT",
)  # fmt: skip


def _is_numeric(typ: str) -> bool:
    return typ in NUMERIC_TYPES or typ.startswith("DECIMAL")


def _number_expression(value_col: tuple[str, str]) -> str:
    name, typ = value_col
    ident = quote_identifier(name)
    if _is_numeric(typ):
        return f"CAST({ident} AS DOUBLE)"
    if typ == "BOOLEAN":
        return f"CAST(CAST({ident} AS INTEGER) AS DOUBLE)"
    # Text: currency signs and codes (USD 1,200.00), spaces, and thousands commas go.
    cleaned = (
        f"regexp_replace(trim(CAST({ident} AS VARCHAR)), '^[A-Z]{{3}}\\s+|[$€£¥\\s]', '', 'g')"
    )
    return (
        f"(CASE WHEN regexp_full_match({cleaned}, '[-+]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
        f"THEN TRY_CAST(replace({cleaned}, ',', '') AS DOUBLE) "
        f"ELSE TRY_CAST({cleaned} AS DOUBLE) END)"
    )


def _totals(groups: list[tuple[Any, ...]], day_is_text: bool) -> DailyTotals:
    summed: dict[tuple[dt.date, str], float] = {}
    skipped_dates = 0
    example_date: str | None = None
    skipped_values = 0
    example_value: str | None = None
    days = read_days(str(g[0]) for g in groups) if day_is_text else {}
    for day_value, segment, measure, bad, example in groups:
        skipped_values += int(bad or 0)
        if example is not None and example_value is None:
            example_value = str(example)
        if day_is_text:
            day = days.get(str(day_value))
            if day is None:
                if str(day_value).strip().lower() not in TOTAL_TEXTS:
                    skipped_dates += 1
                    example_date = example_date or str(day_value)
                continue
        else:
            day = day_value.date() if isinstance(day_value, dt.datetime) else day_value
        if measure is None:
            continue  # every value of the group was blank: nothing to add
        key = (day, "" if segment is None else str(segment).strip())
        summed[key] = summed.get(key, 0.0) + float(measure)
    rows = [(d, s, v) for (d, s), v in sorted(summed.items())]
    return DailyTotals(rows, skipped_dates, skipped_values, example_date, example_value)


@contextlib.contextmanager
def _progress(con: Any, progress: Progress | None) -> Iterator[None]:
    """Report DuckDB's progress through the query every half second, from a thread."""
    if progress is None:
        yield
        return
    done = threading.Event()
    shown = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            with contextlib.suppress(Exception):
                share = float(con.query_progress())
                if 0 <= share < 100:
                    progress(share / 100)
                    shown.set()

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
    if shown.is_set():
        progress(1.0)  # closes the progress line


# ---------------------------------------------------------------------------
# XLSX through python-calamine.


def _xlsx_relation(con: Any, spec: SourceSpec, files: list[Path]) -> Relation:
    import pandas as pd

    frames = [_xlsx_frame(spec, path) for path in files]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    con.register("xlsx_source", frame)
    return Relation("xlsx_source", [])


def _xlsx_frame(spec: SourceSpec, path: Path) -> Any:
    """The table in an .xlsx export as a typed frame: the first sheet with a row that
    names the Date column is read from that row down (a Salesforce report's title
    and filter lines above it are skipped); totals and footer rows are dropped."""
    import pandas as pd
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceError(
            SOURCE_FAILED,
            f"{spec.name}: {path.name} cannot be read as an Excel workbook ({_first_line(exc)}).",
            "Export the file again as .xlsx (Excel Workbook).",
        ) from exc
    wanted = spec.date.strip().lower()
    headers: list[str] = []
    with book:
        for sheet_name in book.sheet_names:
            rows: list[list[Any]] = book.get_sheet_by_name(sheet_name).to_python(
                skip_empty_area=False
            )
            for index, row in enumerate(rows[:100]):
                texts = [str(v).strip().lower() for v in row]
                if wanted in texts:
                    header = [str(v).strip() for v in row]
                    body = [r for r in rows[index + 1 :] if _is_data_row(r, spec.kind)]
                    return _typed_frame(pd, header, body)
            if rows and not headers:
                headers = [str(v).strip() for v in rows[0] if str(v).strip()]
    raise _missing_column(spec, "Date", spec.date, headers)


def _is_data_row(row: list[Any], kind: str) -> bool:
    cells = [v for v in row if v not in ("", None)]
    if not cells:
        return False
    first = cells[0]
    return not (
        kind == "salesforce" and isinstance(first, str) and SALESFORCE_NOT_DATA.match(first)
    )


def _typed_frame(pd: Any, header: list[str], body: list[list[Any]]) -> Any:
    """Columns as DuckDB should see them: dates, numbers, else text."""
    data: dict[str, Any] = {}
    for i, name in enumerate(header):
        if not name or name in data:
            continue
        column = [r[i] if i < len(r) else None for r in body]
        present = [v for v in column if v not in ("", None)]
        if present and all(isinstance(v, dt.date) for v in present):
            data[name] = pd.to_datetime(
                pd.Series([v if v not in ("", None) else None for v in column])
            )
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            data[name] = pd.Series(
                [float(v) if v not in ("", None) else None for v in column], dtype="float64"
            )
        else:
            data[name] = pd.Series(
                [None if v in ("", None) else _text(v) for v in column], dtype=object
            )
    return pd.DataFrame(data)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------
# GA4: several tables in one CSV, each under a "#" preamble.


@dataclass
class Ga4Table:
    """One table of a GA4 export: its header and where its lines are."""

    header: list[str]
    first_line: int  # 0-based line of the header
    last_line: int  # 0-based, inclusive
    start_date: dt.date | None


def ga4_tables(path: Path) -> list[Ga4Table]:
    """The tables of a GA4 CSV export, in file order.

    Each table is preceded by ``#`` lines (report name, account, property, ``# Start
    date: 20240101``) and ends at a blank line or the next ``#`` line. Only the header
    line of each table is parsed; data lines are just counted.
    """
    tables: list[Ga4Table] = []
    start: dt.date | None = None
    current: Ga4Table | None = None
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        for number, line in enumerate(fh):
            stripped = line.strip()
            if stripped.startswith("#"):
                current = None
                match = re.match(r"#\s*start date:\s*(\d{8})", stripped, re.IGNORECASE)
                if match:
                    start = dt.datetime.strptime(match.group(1), "%Y%m%d").date()
                continue
            if not stripped:
                current = None
                continue
            if current is None:
                header = next(csv.reader(io.StringIO(line)), [])
                current = Ga4Table([h.strip() for h in header], number, number, start)
                tables.append(current)
            else:
                current.last_line = number
    return tables


def _ga4_relation(spec: SourceSpec, files: list[Path]) -> Relation:
    wanted = [spec.date] + [c for c in (spec.value, spec.segment) if c]
    if spec.filter is not None:
        wanted += spec.filter.columns
    keys = {w.strip().lower() for w in wanted}
    scratch = tempfile.mkdtemp(prefix="kpisheets-ga4-")
    parts: list[str] = []
    headers_seen: list[str] = []
    offset_from: dt.date | None = None
    for path in files:
        tables = ga4_tables(path)
        chosen = next((t for t in tables if keys <= {h.strip().lower() for h in t.header}), None)
        if chosen is None:
            headers_seen += [", ".join(t.header) for t in tables]
            continue
        target = Path(scratch) / f"table{len(parts)}.csv"
        with (
            path.open("r", encoding="utf-8-sig", newline="") as fh,
            target.open("w", encoding="utf-8", newline="") as out,
        ):
            for number, line in enumerate(fh):
                if number > chosen.last_line:
                    break
                if number >= chosen.first_line:
                    out.write(line)
        parts.append(str(target))
        if spec.date.strip().lower() == "nth day":
            if chosen.start_date is None:
                raise SourceError(
                    SOURCE_COLUMN,
                    f"{spec.name}: the GA4 table with 'Nth day' has no '# Start date' line "
                    "above it, so its days cannot be dated.",
                    "Export the report again from GA4 (Share this report › Download file › "
                    "Download CSV) without editing it, or add a Date dimension.",
                    column="Date",
                )
            if offset_from is not None and offset_from != chosen.start_date:
                raise SourceError(
                    SOURCE_COLUMN,
                    f"{spec.name}: the files start on different dates, and 'Nth day' counts "
                    "from each file's start.",
                    "Point the source at one GA4 file, or export with a Date dimension.",
                    column="Date",
                )
            offset_from = chosen.start_date

    def cleanup() -> None:
        for p in Path(scratch).iterdir():
            p.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            os.rmdir(scratch)

    if not parts:
        cleanup()
        tables_text = "; ".join(headers_seen[:4]) or "none"
        raise SourceError(
            SOURCE_COLUMN,
            f"{spec.name}: no table in the GA4 export {spec.location!r} has the columns "
            f"{', '.join(repr(w) for w in wanted)}; its tables have: {tables_text}.",
            "Use the column names of one table of the export (GA4 writes 'Date' as "
            "20240315, or 'Nth day' counted from the Start date).",
            column="Date",
        )
    many = ", union_by_name = true" if len(parts) > 1 else ""
    return Relation(
        f"read_csv(?, header = true, all_varchar = true{many})",
        [parts],
        day_offset_from=offset_from,
        cleanup=cleanup,
    )
