"""Where the time of a CSV source goes inside DuckDB: the same file, query variants.

The events CSV of ``benchmarks/sources.py`` (date, kpi, amount, segment, status) is
read by one DuckDB connection on **one thread**, so that CPU time measures the work
and not the scheduling of a shared machine. Each variant runs ``--repeat`` times; the
median CPU time (user + system of this process) is printed. The variants go from
"only split the lines" to the query ``kpisheets import`` runs for the source
``kpi = purchase and status <> refunded``, summing ``amount`` per day and segment, and
the ways the Filter could be written; then the same rows as Parquet. Usage::

    python benchmarks/csv_query.py --rows 2000000
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import duckdb

    from kpisheets.sources.filters import duckdb_sql, parse_filter, text_pattern

    spec = importlib.util.spec_from_file_location("sources_bench", ROOT / "benchmarks/sources.py")
    assert spec is not None and spec.loader is not None
    bench: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    folder = Path(tempfile.mkdtemp(prefix="kpisheets-bench-csv-"))
    try:
        parquet, csv = bench.write_events(folder, args.rows)
        con = duckdb.connect()
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        read = f"read_csv('{csv}', header = true)"
        group = f"SELECT date, segment, sum(amount) FROM {read}"
        flt = parse_filter("kpi = purchase and status <> refunded")
        ours, ours_params = duckdb_sql(flt, {"kpi": "kpi", "status": "status"})
        lowered = (
            "lower(trim(kpi)) = lower(?) AND NOT coalesce(lower(trim(status)) = lower(?), false)"
        )
        variants: list[tuple[str, str, list[Any]]] = [
            ("split the lines only: count(*)", f"SELECT count(*) FROM {read}", []),
            (
                "read the five columns",
                f"SELECT count(date), count(kpi), count(amount), count(segment), "
                f"count(status) FROM {read}",
                [],
            ),
            ("group by day and segment, no filter", f"{group} GROUP BY ALL", []),
            (
                "filter kpi = ? (exact, case-sensitive)",
                f"{group} WHERE kpi = ? AND status <> ? GROUP BY ALL",
                ["purchase", "refunded"],
            ),
            (
                "filter lower(trim(cell)) = lower(?) (before)",
                f"{group} WHERE {lowered} GROUP BY ALL",
                ["purchase", "refunded"],
            ),
            (
                "filter ILIKE ? (not trimmed)",
                f"{group} WHERE kpi ILIKE ? AND NOT coalesce(status ILIKE ?, false) GROUP BY ALL",
                ["purchase", "refunded"],
            ),
            (
                "filter regexp_full_match (after)",
                f"{group} WHERE {ours} GROUP BY ALL",
                ours_params,
            ),
            (
                "group by the filter columns too",
                f"SELECT date, segment, kpi, status, sum(amount) FROM {read} GROUP BY ALL",
                [],
            ),
        ]
        # The same rows as Parquet: text columns arrive as dictionaries there.
        pq_group = f"SELECT date, segment, sum(amount) FROM read_parquet('{parquet}')"
        variants += [
            ("Parquet: group by day and segment, no filter", f"{pq_group} GROUP BY ALL", []),
            (
                "Parquet: filter lower(trim(cell)) = lower(?) (kept for Parquet)",
                f"{pq_group} WHERE {lowered} GROUP BY ALL",
                ["purchase", "refunded"],
            ),
            (
                "Parquet: filter regexp_full_match",
                f"{pq_group} WHERE {ours} GROUP BY ALL",
                ours_params,
            ),
        ]
        assert ours_params == [text_pattern("purchase"), text_pattern("refunded")]
        print(f"{args.rows:,} rows, {csv.stat().st_size / 2**20:,.0f} MiB, DuckDB on one thread")
        print("| query | CPU (median) |")
        print("|---|---|")
        for name, sql, params in variants:
            times = []
            for _ in range(args.repeat):
                start = cpu()
                con.execute(sql, params).fetchall()
                times.append(cpu() - start)
            print(f"| {name} | {statistics.median(times):.3f} s |", flush=True)
        start = cpu()
        for _ in range(args.repeat):
            con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
        print(f"| DESCRIBE (the sniffer, on a sample) | {(cpu() - start) / args.repeat:.3f} s |")
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
