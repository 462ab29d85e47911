"""Benchmark: what a ``kpisheets refresh`` costs the user, against reading the file.

One command builds the trackers and prints every table (about two minutes on two
quiet cores)::

    python benchmarks/refresh.py                             # 10k, 100k, 1M entries
    python benchmarks/refresh.py --sizes 10000 --repeat 9    # one size, more pairs
    python benchmarks/refresh.py --segments 5                # a Segment column, 5 labels
    python benchmarks/refresh.py --workdir /tmp/bench        # keep (and reuse) the files
    python benchmarks/refresh.py --baseline /tmp/old         # before/after (a worktree)

Trackers have 50 KPIs of mixed aggregations and frequencies and daily entries over
two years, a note on every 50th (XlsxWriter writes the small sheets; the Entries
sheet is streamed in the XML that XlsxWriter's constant_memory mode writes, ten
times faster). Each size is built twice: Entries as a plain range with a header row
("range") and as an Excel Table named Entries ("table", as ``kpisheets new`` and
``init`` make it; python-calamine reads a Table without the extra pass over the
sheet that it makes for merged cells when it reads a sheet). Each tracker is
measured twice: at the date of its last entry, and ten days earlier, so
that 1.4 % of the entries are dated after the as-of date (``future-date``
warnings), as happens when a tracker is refreshed at a past date.

Reported per size and as-of:

* **process**: the whole ``kpisheets refresh PATH -o OUT --as-of DATE -q`` process
  (interpreter start, imports, read, validate, compute, render, splice, write), what
  a user waits for, against a process that only reads the Entries sheet with
  python-calamine (``python -c`` importing python_calamine and calling
  ``to_python()``). The two alternate (refresh, read, refresh, read…) after one
  unmeasured pair that warms the page cache; **refresh ÷ read** is the median of
  each refresh's ratio to the read right after it, with the range in brackets, so a
  burst of load from other processes falls on both sides alike. Wall time, CPU time
  (user + system, steadier on a shared machine) and the peak RSS of each process
  (``wait4``) are reported.
* **stages**: one in-process ``refresh_workbook`` split into read, validate, compute,
  render and splice + write at the progress messages it gives (wall seconds, CPU
  seconds in brackets).
* **openpyxl**: ``load_workbook`` + ``save`` of the same file, what a refresh through
  openpyxl would at least cost (sizes up to ``--openpyxl-max``).

The load average is printed at the start and at the end: compare ratios measured in
one run, never times from different runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

AS_OF = dt.date(2026, 11, 20)  # the date of the last entry
PAST_AS_OF = AS_OF - dt.timedelta(days=10)  # 1.4 % of the entries are after it
KPI_COUNT = 50
SPAN_DAYS = 730
NOTES = ["Good week", "Promotion", "Holiday", "New hire", "System outage"]
SEGMENT_NAMES = ["Mobile", "Desktop", "Tablet", "EMEA", "Americas", "APAC", "Partner", "Direct"]


# ---------------------------------------------------------------------------
# Building the trackers


def build_tracker(
    path: Path, entries: int, seed: int = 7, segments: int = 0, table: bool = False
) -> Path:
    """A tracker with ``KPI_COUNT`` KPIs and ``entries`` daily entries over two years
    (the last on :data:`AS_OF`); with ``segments`` > 0 a Segment column cycles
    through that many labels; with ``table`` the Entries sheet is an Excel Table named
    Entries (as ``kpisheets new`` makes it), else a plain range."""
    import xlsxwriter

    columns = ["Date", "KPI", "Value", "Note", "By"] + (["Segment"] if segments else [])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    kpis = book.add_worksheet("KPIs")
    kpis.write_row(
        0,
        0,
        ["ID", "KPI", "Category", "Owner", "Unit", "Direction", "Aggregation", "Frequency"]
        + ["Target"],
    )
    aggregations = ["Sum", "Average", "Last", "Max", "Count"]
    for i in range(KPI_COUNT):
        kpis.write_row(
            i + 1,
            0,
            [
                f"K{i:02d}",
                f"KPI number {i}",
                f"Category {i % 5}",
                f"Owner {i % 7}",
                "$" if i % 3 == 0 else "",
                "Lower is better" if i % 4 == 0 else "Higher is better",
                aggregations[i % len(aggregations)],
                ["Month", "Quarter", "Week"][i % 3],
                1000.0 * (1 + i % 9),
            ],
        )
    sheet = book.add_worksheet("Entries")
    sheet.write_row(0, 0, columns)
    # One data row through XlsxWriter, so the date style exists; the rest is streamed.
    sheet.write_datetime(1, 0, dt.datetime(2000, 1, 1), date_format)
    if table:
        headers = [{"header": c} for c in columns]
        sheet.add_table(0, 0, 1, len(columns) - 1, {"name": "Entries", "columns": headers})
    settings = book.add_worksheet("Settings")
    settings.write_row(0, 0, ["Setting", "Value"])
    settings.write_row(1, 0, ["Title", "Benchmark KPIs"])
    book.close()

    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                with out.open(info.filename, "w") as part:
                    _stream_entries(part, data, entries, len(columns), seed, segments)
            elif info.filename.startswith("xl/tables/"):
                # The Table grows to every streamed row.
                last = f"{'ABCDEFGH'[len(columns) - 1]}{entries + 1}"
                text = re.sub(r'ref="A1:[A-Z]+2"', f'ref="A1:{last}"', data.decode())
                out.writestr(info, text.encode())
            else:
                out.writestr(info, data)
    return path


def _stream_entries(
    part: Any, template: bytes, entries: int, width: int, seed: int, segments: int
) -> None:
    """Write the Entries sheet as XlsxWriter's constant_memory mode does (inline
    strings, dates as serials with the date style), in chunks."""
    text = template.decode()
    style = re.search(r'<c r="A2" s="(\d+)">', text)
    head, tail = text.split('<row r="2"', 1)[0], text.split("</sheetData>", 1)[1]
    last_column = "ABCDEFGH"[width - 1]
    head = re.sub(
        r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last_column}{entries + 1}"/>', head
    )
    part.write(head.encode())
    s = style.group(1) if style else "1"
    rng = random.Random(seed)
    start = (AS_OF - dt.timedelta(days=SPAN_DAYS) - dt.date(1899, 12, 30)).days
    chunk: list[str] = []
    for r in range(1, entries + 1):
        excel_row = r + 1
        serial = start + (r * SPAN_DAYS) // max(entries, 1)
        value = round(rng.uniform(0, 100), 2)
        cells = [
            f'<c r="A{excel_row}" s="{s}"><v>{serial}</v></c>',
            f'<c r="B{excel_row}" t="inlineStr"><is><t>K{r % KPI_COUNT:02d}</t></is></c>',
            f'<c r="C{excel_row}"><v>{value:.16G}</v></c>',
        ]
        if r % 50 == 0:
            cells.append(f'<c r="D{excel_row}" t="inlineStr"><is><t>{NOTES[r % 5]}</t></is></c>')
        cells.append(
            f'<c r="E{excel_row}" t="inlineStr"><is><t>{"Ana" if r % 2 else "Ben"}</t></is></c>'
        )
        if segments:
            label = SEGMENT_NAMES[(r // KPI_COUNT) % segments]
            cells.append(f'<c r="F{excel_row}" t="inlineStr"><is><t>{label}</t></is></c>')
        chunk.append(f'<row r="{excel_row}">{"".join(cells)}</row>')
        if len(chunk) == 20_000:
            part.write("".join(chunk).encode())
            chunk.clear()
    part.write(("".join(chunk) + "</sheetData>" + tail).encode())


# ---------------------------------------------------------------------------
# Measuring whole processes


CALAMINE_ONLY = (
    "import sys, python_calamine\n"
    "python_calamine.CalamineWorkbook.from_path(sys.argv[1])"
    '.get_sheet_by_name("Entries").to_python()\n'
)


# An installed kpisheets has its modules compiled (pip writes the .pyc files); a
# machine that sets PYTHONDONTWRITEBYTECODE would make every measured process
# compile them again, which no user pays. The unmeasured first pair writes them.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def kpisheets_command() -> list[str]:
    """The installed ``kpisheets`` console script beside this interpreter."""
    exe = Path(sys.executable).with_name("kpisheets")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kpisheets.cli"]


def run_process(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time, CPU time (user + system) and peak RSS (KiB) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or CHILD_ENV
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode not in (0,):
        raise RuntimeError(f"{command[:3]} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_kib": usage.ru_maxrss,
    }


def paired_processes(
    path: Path, out: Path, as_of: dt.date, repeat: int, baseline: Path | None = None
) -> dict[str, Any]:
    """``repeat`` refresh processes and calamine-only processes, alternating, after
    one unmeasured round; with ``baseline`` (a checkout of another kpisheets) its
    refresh runs in each round too, right after the read."""
    args = ["refresh", str(path), "-o", str(out), "--as-of", as_of.isoformat(), "-q"]
    refresh = [*kpisheets_command(), *args]
    read = [sys.executable, "-c", CALAMINE_ONLY, str(path)]
    # -P: no current folder on sys.path, so PYTHONPATH picks the baseline's kpisheets.
    old = [sys.executable, "-P", "-m", "kpisheets.cli", *args]
    old_env = {**CHILD_ENV, "PYTHONPATH": str(baseline)} if baseline else None
    rounds: list[tuple[dict[str, float], ...]] = []
    for i in range(repeat + 1):
        runs = (run_process(refresh), run_process(read))
        if baseline:
            runs += (run_process(old, old_env),)
        if i:  # the first round warms the page cache and writes the .pyc files
            rounds.append(runs)
    result: dict[str, Any] = {
        "refresh": [r[0] for r in rounds],
        "read": [r[1] for r in rounds],
        "ratios": sorted(r[0]["seconds"] / r[1]["seconds"] for r in rounds),
        "cpu_ratios": sorted(r[0]["cpu"] / r[1]["cpu"] for r in rounds),
    }
    if baseline:
        result["baseline"] = [r[2] for r in rounds]
        result["baseline_ratios"] = sorted(r[2]["seconds"] / r[1]["seconds"] for r in rounds)
    return result


# ---------------------------------------------------------------------------
# Measuring inside one process


PRELUDE = """
import json, resource, sys, time, datetime as dt
path, out, as_of = sys.argv[1], sys.argv[2], dt.date.fromisoformat(sys.argv[3])
def report(seconds, **extra):
    print(json.dumps({"seconds": seconds,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, **extra}))
"""

SNIPPETS = {
    "stages": """
# The refresh's own progress messages mark where each stage starts, so the stages are
# timed inside the real refresh_workbook, whatever it calls.
from kpisheets.refresh import refresh_workbook
marks = []
def progress(message):
    marks.append((message.split()[0], time.perf_counter(), time.process_time()))
t, c = time.perf_counter(), time.process_time()
marks.append(("start", t, c))  # to "Reading": the modules it imports, the file checks
result = refresh_workbook(path, as_of=as_of, output=out, progress=progress)
marks.append(("end", time.perf_counter(), time.process_time()))
names = {"start": "start", "Reading": "read", "Checking": "validate", "Computing": "compute",
         "Laying": "render", "Writing": "splice"}
stages = {names.get(m[0], m[0]): n[1] - m[1] for m, n in zip(marks, marks[1:])}
cpu = {names.get(m[0], m[0]): n[2] - m[2] for m, n in zip(marks, marks[1:])}
report(time.perf_counter() - t, stages=stages, cpu=cpu, total_cpu=time.process_time() - c,
       problems=len(result.problems),
       future=sum(p.code == "future-date" for p in result.problems))
""",
    "openpyxl": """
import openpyxl
t = time.perf_counter()
book = openpyxl.load_workbook(path)
book.save(out)
report(time.perf_counter() - t)
""",
}


def measure(
    kind: str, path: Path, out: Path, as_of: dt.date, timeout: float | None = None
) -> dict | None:
    """Run one snippet in a fresh interpreter; None when it exceeded ``timeout``."""
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(SNIPPETS[kind])
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(path), str(out), as_of.isoformat()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=CHILD_ENV,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Printing


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def spread(values: list[float], unit: str = "×") -> str:
    """``1.21× (1.15–1.30)``: the median and the range."""
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.2f}{unit}"
    return f"{middle:.2f}{unit} ({min(values):.2f}–{max(values):.2f})"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="measured pairs per case")
    parser.add_argument(
        "--segments", type=int, default=0, help="add a Segment column with this many labels"
    )
    parser.add_argument(
        "--layouts",
        nargs="+",
        choices=["range", "table"],
        default=["range", "table"],
        help="Entries as a plain range, as an Excel Table (as kpisheets new makes it), or both",
    )
    parser.add_argument(
        "--no-future", action="store_true", help="measure only at the as-of after the last entry"
    )
    parser.add_argument("--no-stages", action="store_true", help="skip the in-process stages")
    parser.add_argument(
        "--openpyxl-max", type=int, default=100_000, help="largest size for openpyxl"
    )
    parser.add_argument("--openpyxl-budget", type=float, default=120.0, help="seconds")
    parser.add_argument("--workdir", type=Path, default=None, help="keep built trackers here")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout of another kpisheets version (git worktree add DIR COMMIT) whose "
        "refresh process runs in every round too, for a before/after table",
    )
    args = parser.parse_args()

    began = time.perf_counter()
    load_at_start = load_average()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kpisheets-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cases = [(AS_OF, "no")] + ([] if args.no_future else [(PAST_AS_OF, "yes")])
    process_rows: list[list[str]] = []
    stage_rows: list[list[str]] = []
    openpyxl_rows: list[list[str]] = []
    baseline_rows: list[list[str]] = []
    for size, layout in [(n, kind) for n in args.sizes for kind in args.layouts]:
        label = f"{size:,} {layout}"
        suffix = f"-{layout}" + (f"-seg{args.segments}" if args.segments else "")
        path = workdir / f"tracker-{size}{suffix}.xlsx"
        if not path.exists():
            t = time.perf_counter()
            build_tracker(path, size, segments=args.segments, table=layout == "table")
            print(
                f"built {path.name} ({path.stat().st_size / 1e6:.1f} MB) "
                f"in {time.perf_counter() - t:.1f} s",
                file=sys.stderr,
            )
        out = workdir / f"out-{size}{suffix}.xlsx"
        for as_of, future in cases:
            load = load_average().split()[0]
            runs = paired_processes(path, out, as_of, args.repeat, args.baseline)
            refresh, read = runs["refresh"], runs["read"]
            if args.baseline:
                old = runs["baseline"]
                baseline_rows.append(
                    [
                        label,
                        future,
                        spread([r["seconds"] for r in old], " s"),
                        f"{statistics.median(r['cpu'] for r in old):.2f} s",
                        spread(runs["baseline_ratios"]),
                        mib(max(r["maxrss_kib"] for r in old)),
                        spread([r["seconds"] for r in refresh], " s"),
                        f"{statistics.median(r['cpu'] for r in refresh):.2f} s",
                        spread(runs["ratios"]),
                    ]
                )
            process_rows.append(
                [
                    label,
                    future,
                    spread([r["seconds"] for r in refresh], " s"),
                    spread([r["seconds"] for r in read], " s"),
                    f"{statistics.median(r['cpu'] for r in refresh):.2f} s / "
                    f"{statistics.median(r['cpu'] for r in read):.2f} s",
                    f"**{spread(runs['ratios'])}**",
                    spread(runs["cpu_ratios"]),
                    mib(max(r["maxrss_kib"] for r in refresh)),
                    mib(max(r["maxrss_kib"] for r in read)),
                    f"{load}–{load_average().split()[0]}",
                ]
            )
            if not args.no_stages:
                stages = measure("stages", path, out, as_of)
                assert stages
                s, c = stages["stages"], stages["cpu"]
                stage_rows.append(
                    [label, future, f"{stages['future']:,}", f"{stages['problems']:,}"]
                    + [
                        f"{s.get(k, 0):.2f} ({c.get(k, 0):.2f})"
                        for k in ("start", "read", "validate", "compute", "render", "splice")
                    ]
                    + [
                        f"{stages['seconds']:.2f} ({stages['total_cpu']:.2f})",
                        mib(stages["maxrss_kib"]),
                    ]
                )
            print(f"measured {label} (future-dated: {future})", file=sys.stderr)
        if size <= args.openpyxl_max:
            run = measure("openpyxl", path, workdir / "openpyxl.xlsx", AS_OF, args.openpyxl_budget)
            openpyxl_rows.append(
                [
                    label,
                    f"{path.stat().st_size / 1e6:.1f} MB",
                    f"{run['seconds']:.1f} s / {mib(run['maxrss_kib'])}"
                    if run
                    else f"stopped at {args.openpyxl_budget:.0f} s",
                ]
            )

    segments = f", Segment column with {args.segments} labels" if args.segments else ""
    print(
        f"## Whole processes ({args.repeat} alternating pairs{segments}; "
        f"load average at start {load_at_start})\n"
    )
    print(
        table(
            [
                "entries, layout",
                "future-dated",
                "refresh process",
                "calamine read process",
                "CPU refresh / read",
                "refresh ÷ read (wall)",
                "refresh ÷ read (CPU)",
                "refresh peak RSS",
                "read peak RSS",
                "load (1 min)",
            ],
            process_rows,
        )
    )
    if baseline_rows:
        print(f"\n## Before ({args.baseline}) and after, in the same rounds\n")
        print(
            table(
                [
                    "entries, layout",
                    "future-dated",
                    "before: process",
                    "CPU",
                    "÷ read",
                    "peak RSS",
                    "after: process",
                    "CPU",
                    "÷ read",
                ],
                baseline_rows,
            )
        )
    if stage_rows:
        print("\n## Stages of one in-process refresh (seconds; CPU seconds in brackets)\n")
        print(
            table(
                [
                    "entries, layout",
                    "future-dated",
                    "future-date problems",
                    "problems",
                    "imports + checks",
                    "read",
                    "validate",
                    "compute",
                    "render",
                    "splice + write",
                    "total",
                    "peak RSS",
                ],
                stage_rows,
            )
        )
    if openpyxl_rows:
        print("\n## openpyxl load + save\n")
        print(table(["entries, layout", "file", "openpyxl load+save"], openpyxl_rows))
    bare = [run_process([sys.executable, "-c", "pass"]) for _ in range(args.repeat)]
    print(
        f"\nA bare `python -c pass` (what any Python process costs before kpisheets): "
        f"{spread([b['seconds'] for b in bare], ' s')} wall, "
        f"{statistics.median(b['cpu'] for b in bare):.2f} s CPU."
    )
    print(
        f"\nLoad average at the end {load_average()}; the whole benchmark took "
        f"{time.perf_counter() - began:.0f} s."
    )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
