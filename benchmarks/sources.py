"""Benchmark: ``kpisheets import`` of large sources against pandas, and a SQL source.

Files: a 10,000,000-row events table (date, kpi, amount, segment, status) written once
by DuckDB as Parquet and as CSV. For each file, in fresh subprocesses that report their
own peak RSS (``ru_maxrss``), alternating:

* ``kpisheets import`` of a small tracker whose Sources sheet reads the file, filters
  ``kpi = purchase and status <> refunded`` and sums ``amount`` per day and segment
  (the whole CLI process: interpreter, workbook read, DuckDB, splice);
* pandas reading the same file (``read_parquet`` through pyarrow, ``read_csv``) and
  grouping it the same way — what a script without kpisheets would do.

Both report wall time and CPU time (user + system, every thread): on a shared machine
the wall time mostly measures the other processes, the CPU time the work done.

PostgreSQL: a table of 1,000,000 orders generated inside the server, imported as a
``sql`` source; the time, and the bytes that travel between client and server counted
by a byte-counting Unix-socket proxy in front of the server — against a plain
``SELECT *`` of the same columns, which is what would travel without the GROUP BY in
the database.

With ``--baseline DIR`` (a checkout of an earlier commit, e.g. made with ``git
worktree add DIR COMMIT``) that checkout's ``kpisheets import`` runs in the same rounds,
between the two others, from the same interpreter and packages: a before/after pair
measured under the same load.

The load average is printed before and after: the machine is shared. Usage::

    pip install -e '.[test,bench]'
    python benchmarks/sources.py                       # files and PostgreSQL
    python benchmarks/sources.py --rows 1000000 --skip-postgres
    python benchmarks/sources.py --rows 2000000 --kinds csv --repeat 5 --skip-postgres \
        --baseline /tmp/kpisheets-before
    KPISHEETS_BENCH_DATABASE_URL=... python benchmarks/sources.py --skip-files

PostgreSQL: the script starts its own private server with ``.ci/postgres`` unless
``KPISHEETS_BENCH_DATABASE_URL`` names one (a ``host=/socket/dir`` URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILTER = "kpi = purchase and status <> refunded"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def write_events(folder: Path, rows: int) -> tuple[Path, Path]:
    """The events as Parquet and CSV, generated inside DuckDB (seconds, not minutes)."""
    import duckdb

    parquet, csv = folder / "events.parquet", folder / "events.csv"
    con = duckdb.connect()
    select = (
        "SELECT DATE '2024-01-01' + CAST(i % 1096 AS INTEGER) AS date, "
        "(['signup', 'purchase', 'trial'])[1 + CAST(hash(i) % 3 AS INTEGER)] AS kpi, "
        "round(CAST(hash(i * 7) % 30000 AS DOUBLE) / 100, 2) AS amount, "
        "(['Mobile', 'Desktop', 'Tablet', 'App'])[1 + CAST(hash(i * 13) % 4 AS INTEGER)] AS segment, "
        "CASE WHEN hash(i * 17) % 10 = 0 THEN 'refunded' ELSE 'paid' END AS status "
        f"FROM range({rows}) AS t(i)"
    )
    con.execute(f"COPY ({select}) TO '{parquet}' (FORMAT parquet)")
    con.execute(f"COPY ({select}) TO '{csv}' (FORMAT csv, HEADER true)")
    con.close()
    return parquet, csv


def write_tracker(path: Path, kind: str, location: str) -> Path:
    from tests.builders import write_workbook

    return write_workbook(
        path,
        {
            "KPIs": [
                ["ID", "KPI", "Aggregation", "Target"],
                ["PURCHASES", "Purchases", "Sum", 1e6],
            ],
            "Entries": [["Date", "KPI", "Value"]],
            "Sources": [
                ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment", "Filter"],
                ["events", "PURCHASES", kind, location, "date", "amount", "segment", FILTER],
            ],
        },
    )


CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    start = time.perf_counter()
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "kpisheets":
        from kpisheets.cli import cli
        try:
            cli(["import", path], standalone_mode=False)
        except SystemExit:
            pass
        groups = None
    else:
        import pandas as pd
        frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
        kept = frame[(frame["kpi"] == "purchase") & (frame["status"] != "refunded")]
        totals = kept.groupby(["date", "segment"])["amount"].sum()
        groups = len(totals)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    peak = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak, "groups": groups}))
    """
)


def run_child(mode: str, path: Path, root: Path = ROOT) -> dict[str, float]:
    """One child process; ``root`` is the checkout whose ``kpisheets`` it imports (the
    working directory comes first on the child's ``sys.path``)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def bench_files(
    folder: Path,
    rows: int,
    repeat: int,
    kinds: tuple[str, ...] = ("parquet", "csv"),
    baseline: Path | None = None,
) -> list[str]:
    print(f"Writing {rows:,} events as Parquet and CSV…", flush=True)
    parquet, csv = write_events(folder, rows)
    lines = [
        "| file | size | kpisheets import: wall | CPU | peak RSS | pandas read + group: wall "
        "| CPU | peak RSS | pandas ÷ kpisheets (wall) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, data in (("parquet", parquet), ("csv", csv)):
        if kind not in kinds:
            continue
        tracker = write_tracker(folder / f"tracker-{kind}.xlsx", kind, data.name)
        ours, theirs, before = [], [], []
        for _ in range(repeat):
            ours.append(run_child("kpisheets", tracker))
            if baseline is not None:
                before.append(run_child("kpisheets", tracker, baseline))
            theirs.append(run_child("pandas", data))
        t_theirs = statistics.median(r["process_seconds"] for r in theirs)
        c_theirs = statistics.median(r["cpu"] for r in theirs)
        m_theirs = max(r["peak_mib"] for r in theirs)
        size = data.stat().st_size / 2**20
        for label, runs in (("", ours), (" — baseline", before)):
            if not runs:
                continue
            t_ours = statistics.median(r["process_seconds"] for r in runs)
            c_ours = statistics.median(r["cpu"] for r in runs)
            m_ours = max(r["peak_mib"] for r in runs)
            lines.append(
                f"| {rows:,}-row {kind}{label} | {size:,.0f} MiB | {t_ours:.2f} s "
                f"| {c_ours:.2f} s | {m_ours:,.0f} MiB | {t_theirs:.2f} s | {c_theirs:.2f} s "
                f"| {m_theirs:,.0f} MiB | {t_theirs / t_ours:.1f}× |"
            )
            print(lines[-1], flush=True)
    return lines


# ---------------------------------------------------------------------------
# PostgreSQL, with a proxy that counts the bytes on the wire.


class CountingProxy:
    """A Unix-socket proxy at ``folder/.s.PGSQL.5432`` in front of the server's socket."""

    def __init__(self, folder: Path, server_socket: Path) -> None:
        self.path = folder / ".s.PGSQL.5432"
        self.server_socket = server_socket
        self.to_server = 0
        self.to_client = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_unix_server(self._handle, path=str(self.path))
        )
        self.ready.set()
        self.loop.run_forever()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if up:
                    self.to_server += len(data)
                else:
                    self.to_client += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_unix_connection(str(self.server_socket))
        # Cancelled at shutdown while a connection is still open: end quietly (asyncio's
        # server callback otherwise logs the CancelledError with a traceback).
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(
                self._pipe(reader, server_writer, True),
                self._pipe(server_reader, writer, False),
                return_exceptions=True,
            )

    def __enter__(self) -> CountingProxy:
        self.thread.start()
        self.ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
        self.thread.join()
        self.loop.close()

    def reset(self) -> None:
        self.to_server = self.to_client = 0


def bench_postgres(folder: Path, rows: int) -> list[str]:
    import sqlalchemy as sa

    url = os.environ.get("KPISHEETS_BENCH_DATABASE_URL")
    own = None
    if not url:
        own = Path(tempfile.mkdtemp(prefix="kpisheets-bench-pg-"))
        url = subprocess.run(
            [str(ROOT / ".ci" / "postgres"), "start", str(own)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    try:
        socket_dir = Path(url.split("host=")[1].split("&")[0])
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS bench_orders"))
            start = time.perf_counter()
            conn.execute(
                sa.text(
                    "CREATE TABLE bench_orders AS SELECT i AS id, "
                    "TIMESTAMP '2024-01-01' + make_interval(mins => (i * 53) % (1096 * 1440)) AS ordered_at, "
                    "round(((i * 37) % 30000) / 100.0, 2) AS total, "
                    "(ARRAY['EMEA', 'AMER', 'APAC'])[1 + i % 3] AS region "
                    f"FROM generate_series(1, {rows}) AS i"
                )
            )
            made = time.perf_counter() - start
        engine.dispose()
        proxy_dir = folder / "proxy"
        proxy_dir.mkdir()
        proxied = url.replace(f"host={socket_dir}", f"host={proxy_dir}")
        os.environ["KPI_BENCH_URL"] = proxied
        from tests.builders import write_workbook

        tracker = write_workbook(
            folder / "tracker-sql.xlsx",
            {
                "KPIs": [["ID", "KPI", "Aggregation", "Target"], ["ORDERS", "Orders", "Sum", 1e6]],
                "Entries": [["Date", "KPI", "Value"]],
                "Settings": [["Setting", "Value"], ["Database", "KPI_BENCH_URL"]],
                "Sources": [
                    ["Source", "KPI", "Kind", "Location", "Date", "Value", "Segment"],
                    [
                        "orders",
                        "ORDERS",
                        "sql",
                        "SELECT ordered_at, total, region FROM bench_orders",
                        "ordered_at",
                        "total",
                        "region",
                    ],  # fmt: skip
                ],
            },
        )
        with CountingProxy(proxy_dir, socket_dir / ".s.PGSQL.5432") as proxy:
            from kpisheets.refresh import import_workbook

            start = time.perf_counter()
            outcome = import_workbook(tracker)
            seconds = time.perf_counter() - start
            grouped = (proxy.to_server, proxy.to_client, outcome.imported["orders"])
            proxy.reset()
            engine = sa.create_engine(proxied)
            start = time.perf_counter()
            with engine.connect() as conn:
                everything = len(
                    conn.execute(
                        sa.text("SELECT ordered_at, total, region FROM bench_orders")
                    ).fetchall()
                )
            plain_seconds = time.perf_counter() - start
            engine.dispose()
            plain = (proxy.to_server, proxy.to_client, everything)
    finally:
        if own is not None:
            subprocess.run([str(ROOT / ".ci" / "postgres"), "stop", str(own)], check=False)
    return [
        f"Table of {rows:,} rows generated in PostgreSQL in {made:.1f} s.",
        "",
        "| what | time | bytes to the server | bytes back | rows back |",
        "|---|---|---|---|---|",
        f"| `kpisheets import` (sql source, GROUP BY in PostgreSQL) | {seconds:.2f} s "
        f"| {grouped[0]:,} | {grouped[1]:,} | {grouped[2]:,} daily rows |",
        f"| `SELECT *` of the same columns (no grouping; for scale) | {plain_seconds:.2f} s "
        f"| {plain[0]:,} | {plain[1]:,} | {plain[2]:,} rows |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-files", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--kinds", default="parquet,csv", help="file kinds, e.g. csv")
    parser.add_argument(
        "--baseline", type=Path, help="an earlier checkout whose import runs in the same rounds"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="kpisheets-bench-sources-"))
    try:
        print(f"Load average at the start: {load()}; {os.cpu_count()} CPUs", flush=True)
        out: list[str] = []
        if not args.skip_files:
            kinds = tuple(k.strip() for k in args.kinds.split(","))
            out += bench_files(folder, args.rows, args.repeat, kinds, args.baseline)
        if not args.skip_postgres:
            out += [""] + bench_postgres(folder, args.pg_rows)
        print(f"Load average at the end: {load()}")
        print("\n".join(out))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
