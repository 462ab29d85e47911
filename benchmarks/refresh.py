"""Benchmark: ``kpisheets refresh`` against reading and re-saving the same file.

Builds tracker workbooks of 10k, 100k and 1,000,000 entries (50 KPIs; XlsxWriter in
constant_memory mode, which cannot write Excel Tables, so the sheets are plain
ranges with a header row, which SPEC §1 accepts) and
reports, in one run, per size:

* refresh: wall time of ``refresh_workbook`` (read → validate → compute → lay out →
  render → splice → atomic write) and the peak RSS of its process;
* the same refresh split into its stages (read, validate, compute, render + splice);
* python-calamine reading the Entries sheet (``to_python()``), time and peak RSS;
* openpyxl ``load_workbook`` + ``save`` of the same file (stopped at a time budget);
* at 10k, the whole ``kpisheets refresh`` process (interpreter start included).

Each measurement runs in a fresh subprocess that reports its own ``ru_maxrss``; times
are medians of ``--repeat`` runs. Refreshes and calamine reads alternate, and the
ratio is the median of each refresh against the read right after it (their range
in brackets), so a burst of load from other processes does not fall on one side
only. Usage::

    python benchmarks/refresh.py                      # all sizes
    python benchmarks/refresh.py --sizes 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

AS_OF = dt.date(2026, 11, 20)
KPI_COUNT = 50


def build_tracker(path: Path, entries: int, seed: int = 7) -> Path:
    """A tracker with ``KPI_COUNT`` KPIs and ``entries`` daily entries over two years."""
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    kpis = book.add_worksheet("KPIs")
    header = [
        "ID",
        "KPI",
        "Category",
        "Owner",
        "Unit",
        "Direction",
        "Aggregation",
        "Frequency",
        "Target",
    ]
    kpis.write_row(0, 0, header)
    aggregations = ["Sum", "Average", "Last", "Max", "Count"]
    ids = []
    for i in range(KPI_COUNT):
        kpi_id = f"K{i:02d}"
        ids.append(kpi_id)
        aggregation = aggregations[i % len(aggregations)]
        kpis.write_row(
            i + 1,
            0,
            [
                kpi_id,
                f"KPI number {i}",
                f"Category {i % 5}",
                f"Owner {i % 7}",
                "$" if i % 3 == 0 else "",
                "Lower is better" if i % 4 == 0 else "Higher is better",
                aggregation,
                ["Month", "Quarter", "Week"][i % 3],
                1000.0 * (1 + i % 9),
            ],
        )

    sheet = book.add_worksheet("Entries")
    columns = ["Date", "KPI", "Value", "Note", "By"]
    sheet.write_row(0, 0, columns)
    start = AS_OF - dt.timedelta(days=730)
    span = 730
    notes = ["Good week", "Promotion", "Holiday", "New hire", "System outage"]
    for r in range(1, entries + 1):
        day = start + dt.timedelta(days=(r * span) // max(entries, 1))
        sheet.write_datetime(r, 0, dt.datetime(day.year, day.month, day.day), date_format)
        sheet.write_string(r, 1, ids[r % KPI_COUNT])
        sheet.write_number(r, 2, round(rng.uniform(0, 100), 2))
        if r % 50 == 0:
            sheet.write_string(r, 3, notes[r % len(notes)])
        sheet.write_string(r, 4, "Ana" if r % 2 else "Ben")
    settings = book.add_worksheet("Settings")
    settings.write_row(0, 0, ["Setting", "Value"])
    settings.write_row(1, 0, ["Title", "Benchmark KPIs"])
    book.close()
    return path


# Each snippet prints one JSON line: {"seconds": …, "maxrss_kib": …, …}.
PRELUDE = """
import json, resource, sys, time, datetime as dt
path, out = sys.argv[1], sys.argv[2]
def report(seconds, **extra):
    print(json.dumps({"seconds": seconds,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, **extra}))
"""

SNIPPETS = {
    "refresh": """
from kpisheets.refresh import refresh_workbook
t = time.perf_counter()
refresh_workbook(path, as_of=dt.date.fromisoformat(sys.argv[3]), output=out)
report(time.perf_counter() - t)
""",
    "stages": """
from kpisheets.read import read_workbook
from kpisheets.validate import validate
from kpisheets.calc import compute
from kpisheets.refresh import cyclic_gc_paused, render_generated_sheets
from kpisheets.write.package import splice
times = {}
cyclic_gc_paused().__enter__()  # as refresh_workbook does
t = time.perf_counter(); raw = read_workbook(path); times["read"] = time.perf_counter() - t
t = time.perf_counter(); tracker = validate(raw); times["validate"] = time.perf_counter() - t
t = time.perf_counter(); result = compute(tracker, dt.date.fromisoformat(sys.argv[3]))
times["compute"] = time.perf_counter() - t
t = time.perf_counter(); scratch = render_generated_sheets(result); times["render"] = time.perf_counter() - t
t = time.perf_counter(); splice(path, scratch, out, generated=True); times["splice"] = time.perf_counter() - t
report(sum(times.values()), stages=times)
""",
    "calamine": """
import python_calamine
t = time.perf_counter()
rows = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("Entries").to_python()
report(time.perf_counter() - t, rows=len(rows))
""",
    "openpyxl": """
import openpyxl
t = time.perf_counter()
book = openpyxl.load_workbook(path)
book.save(out)
report(time.perf_counter() - t)
""",
}


def measure(kind: str, path: Path, out: Path, timeout: float | None = None) -> dict | None:
    """Run one snippet in a fresh interpreter; None when it exceeded ``timeout``."""
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(SNIPPETS[kind])
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path), str(out), AS_OF.isoformat()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cli_process_seconds(path: Path, out: Path) -> float:
    """Wall time of the whole ``kpisheets refresh`` process."""
    exe = Path(sys.executable).with_name("kpisheets")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "kpisheets.cli"]
    t = time.perf_counter()
    subprocess.run(
        [*command, "refresh", str(path), "-o", str(out), "--as-of", AS_OF.isoformat(), "-q"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def median_run(
    kind: str, path: Path, out: Path, repeat: int, timeout: float | None = None
) -> dict | None:
    runs = []
    for _ in range(repeat):
        run = measure(kind, path, out, timeout)
        if run is None:
            return None
        runs.append(run)
    return median_of(runs)


def paired_runs(path: Path, out: Path, repeat: int) -> tuple[dict, dict, list[float]]:
    """``repeat`` refreshes and calamine reads, alternating, so that load from other
    processes falls on both alike; returns the median refresh, the median read and
    the sorted ratios of each refresh to the read right after it."""
    refreshes, reads = [], []
    for _ in range(repeat):
        refresh = measure("refresh", path, out)
        read = measure("calamine", path, out)
        assert refresh and read
        refreshes.append(refresh)
        reads.append(read)
    ratios = sorted(r["seconds"] / c["seconds"] for r, c in zip(refreshes, reads, strict=True))
    return median_of(refreshes), median_of(reads), ratios


def median_of(runs: list[dict]) -> dict:
    """The run with the median time, with the highest peak RSS of all runs."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    best = dict(ordered[len(ordered) // 2])
    best["maxrss_kib"] = max(r["maxrss_kib"] for r in runs)
    return best


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--openpyxl-budget", type=float, default=120.0, help="seconds")
    parser.add_argument("--workdir", type=Path, default=None, help="keep built trackers here")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kpisheets-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    stage_rows = []
    cli_seconds = None
    for size in args.sizes:
        path = workdir / f"tracker-{size}.xlsx"
        if not path.exists():
            t = time.perf_counter()
            build_tracker(path, size)
            print(
                f"built {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
        out = workdir / f"out-{size}.xlsx"
        refresh, calamine, ratios = paired_runs(path, out, args.repeat)
        stages = median_run("stages", path, out, 1)
        openpyxl_run = median_run(
            "openpyxl", path, workdir / "openpyxl.xlsx", 1, args.openpyxl_budget
        )
        assert stages
        ratio = ratios[len(ratios) // 2]
        rows.append(
            [
                f"{size:,}",
                f"{path.stat().st_size / 1e6:.1f} MB",
                f"{refresh['seconds']:.2f} s",
                mib(refresh["maxrss_kib"]),
                f"{calamine['seconds']:.2f} s",
                mib(calamine["maxrss_kib"]),
                f"{ratio:.2f}× ({ratios[0]:.2f}–{ratios[-1]:.2f})"
                if len(ratios) > 1
                else f"{ratio:.2f}×",
                f"{openpyxl_run['seconds']:.1f} s / {mib(openpyxl_run['maxrss_kib'])}"
                if openpyxl_run
                else f"stopped at {args.openpyxl_budget:.0f} s",
            ]
        )
        s = stages["stages"]
        stage_rows.append(
            [f"{size:,}"]
            + [f"{s[k]:.2f}" for k in ("read", "validate", "compute", "render", "splice")]
        )
        if size == 10_000:
            times = sorted(cli_process_seconds(path, out) for _ in range(args.repeat))
            cli_seconds = times[len(times) // 2]
        print(f"measured {size:,}", file=sys.stderr)

    print(
        table(
            [
                "entries",
                "file",
                "refresh",
                "refresh peak RSS",
                "calamine read",
                "calamine peak RSS",
                "refresh ÷ calamine",
                "openpyxl load+save",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            ["entries", "read s", "validate s", "compute s", "render s", "splice+write s"],
            stage_rows,
        )
    )
    if cli_seconds is not None:
        print(
            f"\nWhole `kpisheets refresh` process at 10,000 entries: {cli_seconds:.2f} s (median of {args.repeat})."
        )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
