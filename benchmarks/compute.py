"""Benchmark: compute() on 1,000,000 entries × 50 KPIs, and reading beside it.

Run from the project root::

    python benchmarks/compute.py [--entries 1000000] [--kpis 50] [--no-read]

It builds the entries in memory (two years of dates, every aggregation represented,
a Start/End window KPI and two formula KPIs), times ``compute`` (median of 3) and
prints it. When ``kpisheets.read.read_workbook`` exists it also writes the same
tracker to an .xlsx with XlsxWriter (constant_memory) and reports
read_workbook + validate, and python-calamine's raw read of the Entries sheet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpisheets.calc import compute  # noqa: E402
from kpisheets.model import (  # noqa: E402
    Aggregation,
    Direction,
    Frequency,
    KpiDefinition,
    Settings,
    Tracker,
    empty_targets,
)

AS_OF = dt.date(2026, 11, 20)
AGGREGATIONS = [
    Aggregation.SUM,
    Aggregation.SUM,
    Aggregation.COUNT,
    Aggregation.AVERAGE,
    Aggregation.LAST,
    Aggregation.MIN,
    Aggregation.MAX,
    Aggregation.NPS,
]
FREQUENCIES = [Frequency.MONTH, Frequency.WEEK, Frequency.QUARTER, Frequency.YEAR]


def build_kpis(n: int) -> list[KpiDefinition]:
    """``n`` KPIs cycling through aggregations and frequencies; the last two are formulas."""
    kpis = []
    for i in range(n - 2):
        agg = AGGREGATIONS[i % len(AGGREGATIONS)]
        kpis.append(
            KpiDefinition(
                id=f"K{i:02d}",
                name=f"KPI {i}",
                category=f"Category {i % 5}",
                aggregation=agg,
                frequency=FREQUENCIES[i % len(FREQUENCIES)],
                direction=Direction.LOWER if i % 7 == 3 else Direction.HIGHER,
                target=40.0 if agg is Aggregation.NPS else 1000.0,
                row=i + 2,
            )
        )
    kpis[5].start, kpis[5].end, kpis[5].baseline = dt.date(2026, 7, 1), dt.date(2026, 12, 31), 10
    kpis.append(
        KpiDefinition(
            id="RATIO",
            name="Ratio",
            aggregation=Aggregation.FORMULA,
            formula="K00 / K01",
            target=1.0,
            row=n,
        )
    )
    kpis.append(
        KpiDefinition(
            id="MIX",
            name="Mix",
            aggregation=Aggregation.FORMULA,
            formula="(K08 - K09) * 2 + RATIO",
            frequency=Frequency.QUARTER,
            target=10.0,
            row=n + 1,
        )
    )
    return kpis


def build_entries(n_entries: int, kpis: list[KpiDefinition], seed: int = 1) -> pd.DataFrame:
    """Random entries over two years up to the as-of date, for the non-formula KPIs."""
    rng = np.random.default_rng(seed)
    ids = np.array([k.id for k in kpis if k.aggregation is not Aggregation.FORMULA], dtype=object)
    first = np.datetime64(AS_OF - dt.timedelta(days=730))
    dates = first + rng.integers(0, 731, n_entries).astype("timedelta64[D]")
    which = rng.integers(0, len(ids), n_entries)
    values = rng.integers(0, 11, n_entries).astype(float)  # valid NPS scores too
    notes = np.full(n_entries, None, dtype=object)
    noted = rng.random(n_entries) < 0.01
    notes[noted] = "checked"
    return pd.DataFrame(
        {
            "date": pd.Series(dates.astype("datetime64[ns]")),
            "kpi": pd.Series(ids[which], dtype=object),
            "value": values,
            "note": pd.Series(notes, dtype=object),
            "by": pd.Series(np.full(n_entries, None, dtype=object), dtype=object),
            "row": np.arange(2, n_entries + 2, dtype=np.int64),
        }
    )


def median_time(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def write_xlsx(path: Path, kpis: list[KpiDefinition], entries: pd.DataFrame) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("KPIs")
    header = ["ID", "KPI", "Category", "Aggregation", "Frequency", "Direction", "Target"]
    header += ["Formula", "Start", "End", "Baseline"]
    sheet.write_row(0, 0, header)
    for r, k in enumerate(kpis, start=1):
        sheet.write_row(
            r,
            0,
            [
                k.id,
                k.name,
                k.category,
                k.aggregation.label,
                (k.frequency or Frequency.MONTH).label,
                k.direction.label,
                k.target,
                k.formula,
            ],
        )
        if k.start and k.end:
            sheet.write_datetime(r, 8, k.start, date_fmt)
            sheet.write_datetime(r, 9, k.end, date_fmt)
            sheet.write_number(r, 10, float(k.baseline or 0))
    sheet = book.add_worksheet("Entries")
    sheet.write_row(0, 0, ["Date", "KPI", "Value", "Note"])
    dates = entries["date"].dt.to_pydatetime()
    ids = entries["kpi"].to_numpy()
    values = entries["value"].to_numpy()
    notes = entries["note"].to_numpy()
    for r in range(len(entries)):
        sheet.write_datetime(r + 1, 0, dates[r], date_fmt)
        sheet.write_string(r + 1, 1, ids[r])
        sheet.write_number(r + 1, 2, values[r])
        if notes[r] is not None:
            sheet.write_string(r + 1, 3, notes[r])
    sheet = book.add_worksheet("Settings")
    sheet.write_row(0, 0, ["Setting", "Value"])
    sheet.write_row(1, 0, ["As of"])
    sheet.write_datetime(1, 1, dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day), date_fmt)
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--no-read", action="store_true", help="skip the .xlsx reading part")
    args = parser.parse_args()

    kpis = build_kpis(args.kpis)
    entries = build_entries(args.entries, kpis)
    tracker = Tracker(
        kpis=kpis,
        entries=entries,
        targets=empty_targets(),
        settings=Settings(as_of=AS_OF),
        entry_count=len(entries),
    )
    seconds, result = median_time(lambda: compute(tracker))
    print(
        f"compute: {args.entries:,} entries x {len(kpis)} KPIs "
        f"({len(result.kpis)} results, {len(result.kpis[0].history)} history periods): "
        f"{seconds:.3f} s (median of 3)"
    )
    if args.no_read:
        return
    import importlib

    read_workbook = getattr(importlib.import_module("kpisheets.read"), "read_workbook", None)
    try:
        validate = importlib.import_module("kpisheets.validate").validate
    except ImportError:
        validate = None
    if read_workbook is None or validate is None:
        print("read: kpisheets.read.read_workbook / validate are not there yet; skipped")
        return
    import python_calamine

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        t0 = time.perf_counter()
        write_xlsx(path, kpis, entries)
        print(
            f"write .xlsx (XlsxWriter constant_memory): {time.perf_counter() - t0:.1f} s, "
            f"{path.stat().st_size / 1e6:.1f} MB"
        )

        def raw() -> int:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            return len(book.get_sheet_by_name("Entries").to_python())

        raw_s, _ = median_time(raw)
        read_s, loaded = median_time(lambda: validate(read_workbook(path)))
        full_s, _ = median_time(lambda: compute(loaded))
    print(f"python-calamine raw read of Entries: {raw_s:.2f} s (median of 3)")
    print(
        f"read_workbook + validate: {read_s:.2f} s (median of 3), "
        f"{len(loaded.entries):,} entries, {len(loaded.problems)} problems"
    )
    print(f"compute on the tracker read back: {full_s:.3f} s (median of 3)")
    again = compute(loaded)
    same = all(
        (a.actual == b.actual or (a.actual is not None and abs(a.actual - (b.actual or 0)) < 1e-6))
        and a.status is b.status
        for a, b in zip(result.kpis, again.kpis, strict=True)
    )
    print(f"figures from the file equal the in-memory figures: {same}")


if __name__ == "__main__":
    main()
