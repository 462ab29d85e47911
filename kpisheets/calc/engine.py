"""compute(): every figure of docs/arithmetic.md for a validated tracker at an as-of date.

How it stays fast on a million entries: each KPI is computed in one or more *slots*
(a KPI under one period scheme; formula KPIs add slots for the KPIs they reference
under their own scheme). Every kept entry is given its slot and its period *offset*
(0 = current period, 1 = the one before, …) with a handful of vectorised numpy
operations, and all period values of all slots and history periods come out of a
few ``bincount``/``ufunc.at`` calls over ``slot × offset``. Python loops run over
KPIs and history periods only, never over entries (except to word ``future-date``
problems, one per offending row).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from kpisheets.calc import formula as fx
from kpisheets.calc.actions import attach_actions
from kpisheets.calc.aggregate import AGGREGATION_CODES, Aggregates
from kpisheets.calc.arithmetic import (
    achievement,
    as_float,
    exact_achievement,
    exact_expected,
    exact_range_score,
    expected_by_now,
    range_status,
    score_status,
)
from kpisheets.calc.funnels import compute_funnels, plan_funnels
from kpisheets.calc.periods import (
    Calendar,
    Scheme,
    Window,
    current_index,
    day_number,
    elapsed_days,
    elapsed_fraction,
    from_day_number,
    one_period_before,
)
from kpisheets.calc.segments import (
    SegmentCalculator,
    SegmentTable,
    SegmentTargets,
    aggregate_with_segments,
    expand,
    segment_codes,
)
from kpisheets.formatting import default_number_format, shorten
from kpisheets.model import (
    IMPORTED_ROW_BASE,
    Aggregation,
    Columns,
    Direction,
    KpiDefinition,
    Problem,
    Settings,
    Status,
    Tracker,
    Trend,
    quote_sheet,
)
from kpisheets.result import HistoryPoint, KpiResult, Period, Result, Rollup

FLAT_BELOW = 0.01  # |change| under 1% is flat
SCORE_CAP = 1.5  # rollups cap each score at 150%
QUOTE_CHARS = 80  # a formula quoted in a problem message is cut to this length


def scheme_for(kpi: KpiDefinition, settings: Settings) -> Scheme:
    """The period scheme of a KPI: its Start/End window when both are set (and in
    order), else calendar periods of its Frequency (default Settings › Period)."""
    if kpi.start is not None and kpi.end is not None and kpi.start <= kpi.end:
        return Window(kpi.start, kpi.end)
    return Calendar(
        kpi.frequency or settings.period, settings.week_start, settings.fiscal_year_start
    )


@dataclass
class _Entries:
    """The kept entries (known KPI, not after D) as flat numpy arrays."""

    code: np.ndarray  # KPI index into tracker.kpis
    days: np.ndarray  # day numbers
    value: np.ndarray  # float64, NaN blank
    row: np.ndarray  # Excel row
    position: np.ndarray  # index into the entries frame (for notes)
    future: int = 0  # entries dated after D, left out
    segment: np.ndarray | None = None  # segment number, −1 none; None: no segments at all
    segment_names: list[str] = field(default_factory=list)


@dataclass
class _Slot:
    kpi: int
    scheme: Scheme
    current: int
    prev_cutoff: int  # last day number of the previous period counted for trend


@dataclass
class _Formulas:
    """Parsed formula trees by KPI index; broken formulas (syntax, unknown IDs,
    cycles) have none and evaluate blank."""

    trees: dict[int, fx.Node] = field(default_factory=dict)
    inputs: dict[int, list[int]] = field(default_factory=dict)  # KPI indexes a formula uses
    order: list[int] = field(default_factory=list)  # each formula after those it uses
    # The base (non-formula) KPIs each formula depends on, filled once on first use.
    base: dict[int, frozenset[int]] | None = None


def compute(tracker: Tracker, as_of: dt.date | str | None = None) -> Result:
    """Compute every KPI figure, rollup and history point at ``as_of``.

    ``as_of`` (a date or ISO text) defaults to Settings › As of, else today.
    Inactive KPIs are left out; KPIs marked invalid appear with status No data and
    no figures. Problems found
    here (``future-date``, ``missing-target``, formula problems, ``division-by-zero``)
    follow ``tracker.problems`` in ``result.problems``.

    >>> from tests.builders import kpi, tracker
    >>> t = tracker([kpi("S", target=100)], [("2026-11-02", "S", 60)], as_of=dt.date(2026, 11, 15))
    >>> compute(t).kpis[0].status.value
    'on_track'
    """
    settings = tracker.settings
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of.strip())
    as_of = as_of or settings.as_of or dt.date.today()
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    history = max(int(settings.history_periods), 0)
    depth = max(history, 2)
    problems: list[Problem] = []
    kpis = tracker.kpis
    index_by_id: dict[str, int] = {}
    for i, k in enumerate(kpis):
        index_by_id.setdefault(k.id.lower(), i)
    schemes = [scheme_for(k, settings) for k in kpis]

    entries = _prepare_entries(tracker, index_by_id, as_of, problems)
    formulas = _parse_formulas(tracker, index_by_id, problems)

    slots, slot_index = _plan_slots(kpis, schemes, formulas, index_by_id, as_of)
    aggregates, segment_sums = _aggregate(entries, kpis, slots, depth, day_number(as_of))

    # Period values per KPI (K offsets), formulas evaluated on their slots.
    values: dict[int, np.ndarray] = {}
    divided_by_zero: dict[int, np.ndarray] = {}
    evaluated = _evaluate_formulas(schemes, kpis, formulas, slot_index, aggregates, depth)
    for i, k in enumerate(kpis):
        if not k.valid:
            continue
        if k.aggregation is Aggregation.FORMULA:
            values[i], divided_by_zero[i] = evaluated.get(
                i, (np.full(depth, np.nan), np.zeros(depth, dtype=bool))
            )
        elif (i, schemes[i].key) in slot_index:
            values[i] = aggregates.values[slot_index[(i, schemes[i].key)]]

    # A period value beyond the largest float (a Sum of 1.7E+308 twice, a formula that
    # multiplies huge inputs) is blank, with a number-too-large problem.
    too_large: dict[int, np.ndarray] = {}
    for i, row in values.items():
        inf = np.isinf(row)
        if inf.any():
            too_large[i] = inf
            values[i] = np.where(inf, np.nan, row)
    aggregates.partial_previous[np.isinf(aggregates.partial_previous)] = np.nan

    last_days = _last_entry_days(entries, len(kpis))
    notes = _latest_notes(tracker.entry_columns(), entries, len(kpis))
    targets, segment_targets = _target_rows(tracker, kpis, schemes, index_by_id, as_of, depth)
    segments = SegmentCalculator(
        kpis,
        slot_index,
        aggregates,
        segment_sums,
        _expanded_trees(kpis, formulas, index_by_id),
        index_by_id,
        segment_targets,
        history,
    )

    results: list[KpiResult] = []
    by_index: dict[int, KpiResult] = {}
    for i, k in enumerate(kpis):
        if not k.active:
            continue
        result = _kpi_result(
            tracker,
            i,
            schemes[i],
            as_of,
            history,
            values.get(i),
            targets[i],
            aggregates,
            slot_index,
            _last_entry_day(i, kpis, formulas, index_by_id, last_days),
            notes.get(i),
            divided_by_zero.get(i),
            too_large.get(i),
            problems,
        )
        segments.attach(i, schemes[i].key, result)
        by_index[i] = result
        results.append(result)
    attach_actions(tracker.actions, by_index, index_by_id, as_of)
    funnels = compute_funnels(plan_funnels(tracker, schemes, problems), by_index)

    categories, overall = _rollups(results)
    return Result(
        left_out=_left_out(tracker, entries),
        title=settings.title,
        as_of=as_of,
        kpis=results,
        categories=categories,
        overall=overall,
        problems=list(tracker.problems) + problems,
        entry_count=tracker.entry_count,
        source=tracker.path,
        entries_sheet=tracker.entries_sheet,
        entries_date_column=tracker.entries_date_column,
        entries_header_row=tracker.entries_header_row,
        funnels=funnels,
    )


# ---------------------------------------------------------------------------
# Entries


def _left_out(tracker: Tracker, entries: _Entries) -> dict[str, int]:
    """How many entries each problem code left out of the figures: validation's
    counts, the entries dated after D (``future-date``), and the entries of active
    KPIs that an error on the KPIs sheet made invalid (under that error's code)."""
    left_out = dict(tracker.left_out)
    if entries.future:
        left_out["future-date"] = left_out.get("future-date", 0) + entries.future
    kpis = tracker.kpis
    per_kpi = np.bincount(entries.code, minlength=len(kpis))
    for i, n in enumerate(per_kpi.tolist()):
        k = kpis[i]
        if n and not k.valid and k.active:
            code = next(
                (
                    p.code
                    for p in tracker.problems
                    if p.severity == "error" and p.kpi and p.kpi.lower() == k.id.lower()
                ),
                "bad-id",  # every error on a KPI row names its KPI: not reached
            )
            left_out[code] = left_out.get(code, 0) + int(n)
    return {code: n for code, n in left_out.items() if n}


def _prepare_entries(
    tracker: Tracker, index_by_id: dict[str, int], as_of: dt.date, problems: list[Problem]
) -> _Entries:
    columns = tracker.entry_columns()
    kpi_column = columns["kpi"]
    n = len(kpi_column)
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return _Entries(empty_i, empty_i, np.zeros(0), empty_i, empty_i)
    code = _kpi_indexes(kpi_column, tracker.kpis, index_by_id)
    days = columns["date"].astype("datetime64[D]").astype(np.int64)
    value = columns["value"].astype(np.float64, copy=False)
    row = columns["row"].astype(np.int64, copy=False)
    as_of_day = day_number(as_of)
    future = days > as_of_day
    source = columns.get("source")
    typed = (
        np.fromiter((s is None for s in source), dtype=bool, count=n)
        if source is not None
        else np.ones(n, dtype=bool)
    )
    if (future & typed).any():
        sheet = quote_sheet(tracker.entries_sheet)
        column = tracker.entries_date_column
        where = np.flatnonzero(future & typed)
        where = where[np.argsort(row[where], kind="stable")]  # problems in row order
        kpi_names = kpi_column[where]
        for r, d, name in zip(row[where], days[where], kpi_names, strict=True):
            date = from_day_number(int(d)).isoformat()
            problems.append(
                Problem(
                    code="future-date",
                    severity="warning",
                    message=f"The {name} entry dated {date} is after the as-of date "
                    f"{as_of.isoformat()}, so it is ignored.",
                    hint="Check the date, or compute at a later date (Settings › As of "
                    "or --as-of).",
                    sheet=tracker.entries_sheet,
                    cell=f"{sheet}!{column}{int(r)}",
                    column="Date",
                    row=int(r),
                    kpi=str(name),
                )
            )
    if source is not None and (future & ~typed).any():
        problems += _future_imported(tracker, as_of, source, kpi_column, future & ~typed, days, row)
    keep = ~future & (code >= 0)
    position = np.flatnonzero(keep)
    segment, names = segment_codes(columns.get("segment"))
    return _Entries(
        code[keep],
        days[keep],
        value[keep],
        row[keep],
        position,
        int(future.sum()),
        None if segment is None else segment[keep],
        names,
    )


def _future_imported(
    tracker: Tracker,
    as_of: dt.date,
    source: np.ndarray,
    kpi_column: np.ndarray,
    future: np.ndarray,
    days: np.ndarray,
    row: np.ndarray,
) -> list[Problem]:
    """One ``future-date`` warning per source whose imported rows are dated after D:
    they are left out of the figures like typed entries, and counted with them (a
    source of planned dates, an open deal's Close Date, would otherwise inflate a
    KPI the day those dates arrive, without a word before)."""
    kept = tracker.kept.get("Imported")
    sheet = kept.sheet if kept is not None else "Imported"
    where = np.flatnonzero(future)
    by_source: dict[str, list[int]] = {}
    for i in where.tolist():
        by_source.setdefault(str(source[i]), []).append(i)
    problems = []
    for name, rows in sorted(by_source.items(), key=lambda item: int(row[item[1]].min())):
        first = int(row[rows].min()) - IMPORTED_ROW_BASE
        kpi_ids = sorted({str(kpi_column[i]) for i in rows})
        dates = [from_day_number(int(d)).isoformat() for d in (days[rows].min(), days[rows].max())]
        span = dates[0] if dates[0] == dates[1] else f"{dates[0]} to {dates[1]}"
        problems.append(
            Problem(
                code="future-date",
                severity="warning",
                message=f"{len(rows):,} row(s) imported from the source {name!r} "
                f"({', '.join(kpi_ids)}) are dated after the as-of date "
                f"{as_of.isoformat()} ({span}), so they are left out of the figures.",
                hint="Compute at a later date (Settings › As of or --as-of), or leave the "
                "rows with planned dates out of the source (its Filter or query).",
                sheet=sheet,
                cell=f"{quote_sheet(sheet)}!A{first}" if first > 0 else None,
                column="Date",
                row=first if first > 0 else None,
                kpi=kpi_ids[0],
            )
        )
    return problems


def _kpi_indexes(
    kpi_column: np.ndarray, kpis: list[KpiDefinition], index_by_id: dict[str, int]
) -> np.ndarray:
    """The index into ``kpis`` of each entry's KPI ID, -1 when it is none of them.

    Validation writes each ID as the KPIs sheet spells it, so one dictionary lookup
    per entry finds it; other spellings (a tracker built in code) are matched like
    the KPIs sheet matches them, ignoring case and surrounding spaces.
    """
    exact: dict[object, int] = {}
    for i, k in enumerate(kpis):
        exact.setdefault(k.id, i)
    n = len(kpi_column)
    code = np.fromiter(map(exact.get, kpi_column, itertools.repeat(-2)), np.int64, count=n)
    misses = np.flatnonzero(code == -2)
    if len(misses):
        found: dict[object, int] = {}
        for j in misses:
            value = kpi_column[j]
            if value not in found:
                blank = value is None or (isinstance(value, float) and value != value)
                found[value] = -1 if blank else index_by_id.get(str(value).strip().lower(), -1)
            code[j] = found[value]
    return code


def _last_entry_days(entries: _Entries, n_kpis: int) -> np.ndarray:
    last = np.full(n_kpis, np.iinfo(np.int64).min, dtype=np.int64)
    if len(entries.code):
        np.maximum.at(last, entries.code, entries.days)
    return last


def _latest_notes(columns: Columns, entries: _Entries, n_kpis: int) -> dict[int, str]:
    """The most recent non-blank note per KPI (latest date; same date: lower row).

    Only the latest candidate of each KPI is looked at as text; when it is blank
    (spaces only), it is dropped and the next latest taken, so a million notes cost
    a few vectorised passes, not a million string operations.
    """
    if not len(entries.code) or "note" not in columns:
        return {}
    notes = columns["note"][entries.position]
    candidates = np.flatnonzero(_present(notes))
    # One sortable number per entry: later date first, then lower row.
    order_key = entries.days * (int(entries.row.max()) + 1) + entries.row
    found: dict[int, str] = {}
    missing = np.iinfo(np.int64).min
    while len(candidates):
        code = entries.code[candidates]
        best = np.full(n_kpis, missing, dtype=np.int64)
        np.maximum.at(best, code, order_key[candidates])
        is_best = order_key[candidates] == best[code]
        blank = np.zeros(len(candidates), dtype=bool)
        for j in np.flatnonzero(is_best):
            text = str(notes[candidates[j]]).strip()
            if text:
                found[int(code[j])] = text
            else:
                blank[j] = True
        # Keep looking only for KPIs whose latest note was blank.
        retry = np.zeros(n_kpis, dtype=bool)
        retry[code[blank]] = True
        candidates = candidates[retry[code] & ~is_best]
    return found


# ---------------------------------------------------------------------------
# Formulas


def _kpi_problem(
    tracker: Tracker,
    kpi: KpiDefinition,
    code: str,
    severity: str,
    column: str,
    message: str,
    hint: str,
) -> Problem:
    return Problem(
        code=code,
        severity="error" if severity == "error" else "warning",
        message=message,
        hint=hint,
        sheet=tracker.kpis_sheet,
        cell=tracker.kpi_cell(kpi, column),
        column=column,
        row=kpi.row,
        kpi=kpi.id,
    )


def _parse_formulas(
    tracker: Tracker, index_by_id: dict[str, int], problems: list[Problem]
) -> _Formulas:
    """Parse every Formula KPI; report syntax errors, unknown IDs and cycles once
    (unless validation already reported the same code for the same KPI)."""
    kpis = tracker.kpis
    known = {(p.code, (p.kpi or "").lower()) for p in tracker.problems}
    formulas = _Formulas()

    def report(k: KpiDefinition, code: str, message: str, hint: str) -> None:
        if (code, k.id.lower()) not in known:
            problems.append(_kpi_problem(tracker, k, code, "error", "Formula", message, hint))

    ids = set(index_by_id)
    for i, k in enumerate(kpis):
        if k.aggregation is not Aggregation.FORMULA or not k.valid:
            continue
        try:
            tree = fx.parse(k.formula, ids)
        except fx.FormulaError as exc:
            report(
                k,
                "formula-syntax",
                f"The formula {shorten(k.formula, QUOTE_CHARS)!r} of {k.id} cannot be read: {exc}.",
                "Use KPI IDs, numbers, + - * / and parentheses, e.g. LEADS / VISITS.",
            )
            continue
        unknown = sorted(r for r in fx.references(tree) if r not in index_by_id)
        for name in unknown:
            report(
                k,
                "formula-unknown-kpi",
                f"The formula {shorten(k.formula, QUOTE_CHARS)!r} of {k.id} uses "
                f"{name.upper()!r}, which is not an ID on the KPIs sheet.",
                "Correct the ID in the formula or add that KPI to the KPIs sheet.",
            )
        if unknown:
            continue
        formulas.trees[i] = tree
        formulas.inputs[i] = sorted({index_by_id[r] for r in fx.references(tree)})

    for i in sorted(_in_cycles(formulas)):
        k = kpis[i]
        report(
            k,
            "formula-cycle",
            f"The formula {shorten(k.formula, QUOTE_CHARS)!r} of {k.id} refers back to "
            f"{k.id} (directly or through other formulas), so it cannot be computed.",
            "Break the loop: a formula may use other KPIs but never, directly or "
            "indirectly, its own ID.",
        )
        del formulas.trees[i]
        del formulas.inputs[i]
    formulas.order = _dependency_order(formulas)
    return formulas


def _base_references(
    i: int, kpis: list[KpiDefinition], formulas: _Formulas, index_by_id: dict[str, int]
) -> set[int]:
    """The non-formula KPIs a formula KPI depends on, directly or through formulas."""
    if formulas.base is None:
        formulas.base = _all_base_references(kpis, formulas, index_by_id)
    return set(formulas.base.get(i, ()))


def _all_base_references(
    kpis: list[KpiDefinition], formulas: _Formulas, index_by_id: dict[str, int]
) -> dict[int, frozenset[int]]:
    """:func:`_base_references` of every formula, each built once from those of the
    formulas it uses (children first, with an explicit stack): walking the whole
    chain below each formula made a chain of 1,000 formula KPIs quadratic."""
    done: dict[int, frozenset[int]] = {}
    entered: set[int] = set()
    for start in formulas.trees:
        stack = [start]
        while stack:
            j = stack[-1]
            if j in done:
                stack.pop()
                continue
            tree = formulas.trees.get(j)
            refs = [index_by_id[ref] for ref in fx.references(tree)] if tree is not None else []
            nested = [r for r in refs if kpis[r].aggregation is Aggregation.FORMULA]
            pending = [r for r in nested if r not in done and r not in entered]
            if j not in entered and pending:
                entered.add(j)  # its formulas first; a loop back to j reads as empty
                stack.extend(pending)
                continue
            stack.pop()
            out = {r for r in refs if kpis[r].aggregation is not Aggregation.FORMULA}
            for r in nested:
                out |= done.get(r, frozenset())
            done[j] = frozenset(out)
    return done


def _expanded_trees(
    kpis: list[KpiDefinition], formulas: _Formulas, index_by_id: dict[str, int]
) -> dict[int, fx.Node]:
    """Each computable formula's tree with nested formula KPIs written out, so it
    refers to base KPIs only (segments and drivers work on base KPIs)."""

    def nested(ref: str) -> fx.Node | bool | None:
        j = index_by_id[ref]
        if not kpis[j].valid:
            return None
        if kpis[j].aggregation is Aggregation.FORMULA:
            return formulas.trees.get(j)
        return True

    out: dict[int, fx.Node] = {}
    for i, tree in formulas.trees.items():
        if kpis[i].valid and (expanded := expand(tree, nested)) is not None:
            out[i] = expanded
    return out


def _in_cycles(formulas: _Formulas) -> set[int]:
    """Formula KPIs on a cycle of formula → formula references: the strongly
    connected components with more than one KPI, or a KPI that uses itself
    (Tarjan's algorithm with an explicit stack, so a chain of thousands is fine)."""
    graph = {i: [j for j in inputs if j in formulas.trees] for i, inputs in formulas.inputs.items()}
    number: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: set[int] = set()
    for root in graph:
        if root in number:
            continue
        work = [(root, 0)]
        while work:
            i, edge = work.pop()
            if edge == 0:
                number[i] = low[i] = len(number)
                stack.append(i)
                on_stack.add(i)
            if edge < len(graph[i]):
                work.append((i, edge + 1))
                j = graph[i][edge]
                if j not in number:
                    work.append((j, 0))
                elif j in on_stack:
                    low[i] = min(low[i], number[j])
                continue
            if low[i] == number[i]:
                component = []
                while True:
                    j = stack.pop()
                    on_stack.discard(j)
                    component.append(j)
                    if j == i:
                        break
                if len(component) > 1 or i in graph[i]:
                    found.update(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[i])
    return found


def _dependency_order(formulas: _Formulas) -> list[int]:
    """Formula KPIs ordered so that each comes after the formulas it uses (the
    formulas are acyclic by now)."""
    order: list[int] = []
    placed: set[int] = set()
    for root in sorted(formulas.trees):
        work = [(root, False)]
        while work:
            i, inputs_placed = work.pop()
            if i in placed:
                continue
            if inputs_placed:
                placed.add(i)
                order.append(i)
                continue
            work.append((i, True))
            work += [
                (j, False) for j in formulas.inputs[i] if j in formulas.trees and j not in placed
            ]
    return order


def _evaluate_formulas(
    schemes: list[Scheme],
    kpis: list[KpiDefinition],
    formulas: _Formulas,
    slot_index: dict[tuple[int, tuple[object, ...]], int],
    aggregates: Aggregates,
    depth: int,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Period values and division-by-zero masks of every formula KPI.

    A formula is computed under its own period scheme, and so are the formulas it
    uses, so each (formula, scheme) is evaluated once, in dependency order, and
    looked up after that.
    """
    blank = np.full(depth, np.nan)
    no_zero = np.zeros(depth, dtype=bool)
    done: dict[tuple[int, tuple[object, ...]], tuple[np.ndarray, np.ndarray]] = {}
    needed: dict[tuple[object, ...], set[int]] = {}  # scheme key → formulas needed in it
    for i in formulas.order:
        if kpis[i].valid:
            needed.setdefault(schemes[i].key, set()).add(i)
    for key, wanted in needed.items():
        closure = set(wanted)
        for i in reversed(formulas.order):  # users before their inputs
            if i in closure:
                closure.update(j for j in formulas.inputs[i] if j in formulas.trees)
        for i in formulas.order:  # inputs before their users
            if i not in closure:
                continue
            env: dict[str, np.ndarray] = {}
            zero = no_zero.copy()
            for j in formulas.inputs[i]:
                name = kpis[j].id.lower()
                if kpis[j].aggregation is Aggregation.FORMULA:
                    row, z = done.get((j, key), (blank, no_zero))
                    env[name] = row
                    zero |= z
                elif kpis[j].valid and (j, key) in slot_index:
                    env[name] = aggregates.values[slot_index[(j, key)]]
                else:
                    env[name] = blank
            tree = formulas.trees[i]
            result, z = fx.evaluate(tree, env, depth)
            done[(i, key)] = (result, zero | z)
    return {i: done[(i, schemes[i].key)] for i in formulas.order if kpis[i].valid}


# ---------------------------------------------------------------------------
# Slots and aggregation


def _plan_slots(
    kpis: list[KpiDefinition],
    schemes: list[Scheme],
    formulas: _Formulas,
    index_by_id: dict[str, int],
    as_of: dt.date,
) -> tuple[list[_Slot], dict[tuple[int, tuple[object, ...]], int]]:
    wanted: list[tuple[int, Scheme]] = []
    for i, k in enumerate(kpis):
        if k.valid and k.aggregation is not Aggregation.FORMULA:
            wanted.append((i, schemes[i]))
    for i in formulas.trees:
        if kpis[i].valid:
            for r in sorted(_base_references(i, kpis, formulas, index_by_id)):
                if kpis[r].valid:
                    wanted.append((r, schemes[i]))
    slots: list[_Slot] = []
    slot_index: dict[tuple[int, tuple[object, ...]], int] = {}
    for i, scheme in wanted:
        key = (i, scheme.key)
        if key in slot_index:
            continue
        current = current_index(scheme, as_of)
        start, end = scheme.bounds(current)
        prev_start, prev_end = scheme.bounds(current - 1)
        same_day = elapsed_days(start, end, as_of)
        cutoff = min(day_number(prev_start) + same_day - 1, day_number(prev_end))
        slot_index[key] = len(slots)
        slots.append(_Slot(i, scheme, current, cutoff))
    return slots, slot_index


TABLE_LIMIT = 20_000_000  # cells of the day → offset lookup table before falling back


def _offsets(
    entries: _Entries, slots: list[_Slot], n_kpis: int, depth: int, as_of_day: int
) -> list[tuple[np.ndarray, ...]]:
    """(entry positions, slot, offset) per pass; each pass has at most one slot per KPI.

    Offsets come from a small day → offset table per period scheme covering the days
    any slot's history can reach, so each entry costs one gather whatever the scheme.
    Offsets outside 0..depth−1 are −1.
    """
    passes: list[dict[int, int]] = []
    for s, slot in enumerate(slots):
        for layer in passes:
            if slot.kpi not in layer:
                layer[slot.kpi] = s
                break
        else:
            passes.append({slot.kpi: s})

    scheme_keys: dict[tuple[object, ...], int] = {}
    for slot in slots:
        scheme_keys.setdefault(slot.scheme.key, len(scheme_keys))
    scheme_of_slot = np.array([scheme_keys[s.scheme.key] for s in slots], dtype=np.int64)
    first = min(day_number(s.scheme.bounds(s.current - depth + 1)[0]) for s in slots)
    span = max(as_of_day - first + 1, 0)
    table: np.ndarray | None = None
    if span * len(scheme_keys) <= TABLE_LIMIT:
        table = np.full((len(scheme_keys), span), -1, dtype=np.int64)
        day_range = np.arange(first, first + span, dtype=np.int64)
        done: set[int] = set()
        for slot in slots:
            j = scheme_keys[slot.scheme.key]
            if j not in done:
                done.add(j)
                table[j] = _offset_of_days(slot, day_range, depth)
        table = table.ravel()
    relative_day = entries.days - first

    out: list[tuple[np.ndarray, ...]] = []
    for layer in passes:
        slot_by_kpi = np.full(n_kpis, -1, dtype=np.int64)
        for k, s in layer.items():
            slot_by_kpi[k] = s
        slot_of = slot_by_kpi[entries.code]
        picked = np.flatnonzero((slot_of >= 0) & (relative_day >= 0))
        slot_of = slot_of[picked]
        if table is not None:
            offset = table[scheme_of_slot[slot_of] * span + relative_day[picked]]
        else:
            offset = np.full(len(picked), -1, dtype=np.int64)
            days = entries.days[picked]
            for s in layer.values():
                mask = slot_of == s
                offset[mask] = _offset_of_days(slots[s], days[mask], depth)
        inside = offset >= 0
        out.append((picked[inside], slot_of[inside], offset[inside]))
    return out


def _offset_of_days(slot: _Slot, days: np.ndarray, depth: int) -> np.ndarray:
    """Period offsets (0 = current) of day numbers in a slot's scheme; −1 outside history."""
    offset = slot.current - slot.scheme.index(days)
    offset[(offset < 0) | (offset >= depth)] = -1
    return offset


def _aggregate(
    entries: _Entries, kpis: list[KpiDefinition], slots: list[_Slot], depth: int, as_of_day: int
) -> tuple[Aggregates, SegmentTable]:
    """Period values per slot × offset, and per slot × segment × offset."""
    if not slots:
        return Aggregates.empty(depth), SegmentTable(
            entries.segment_names, {}, Aggregates.empty(depth)
        )
    pieces = _offsets(entries, slots, len(kpis), depth, as_of_day)
    if len(pieces) == 1:
        picked, slot_of, offset = pieces[0]
    else:
        picked, slot_of, offset = (np.concatenate([p[n] for p in pieces]) for n in range(3))
    aggregation = np.array(
        [AGGREGATION_CODES[kpis[s.kpi].aggregation] for s in slots], dtype=np.int64
    )
    cutoff = np.array([s.prev_cutoff for s in slots], dtype=np.int64)
    return aggregate_with_segments(
        None if entries.segment is None else entries.segment[picked],
        entries.segment_names,
        entries.value[picked],
        entries.days[picked],
        entries.row[picked],
        slot_of,
        offset,
        aggregation,
        cutoff,
        depth,
    )


# ---------------------------------------------------------------------------
# Targets


def _target_rows(
    tracker: Tracker,
    kpis: list[KpiDefinition],
    schemes: list[Scheme],
    index_by_id: dict[str, int],
    as_of: dt.date,
    depth: int,
) -> tuple[list[np.ndarray], dict[int, SegmentTargets]]:
    """T per KPI and offset: the Targets row for that period (the lowest row wins when
    several fall in one period), else the KPI's Target. Rows with a Segment are
    that segment's target only (no KPI Target to fall back on), returned apart."""
    rows = [
        np.full(depth, np.nan if k.target is None else float(k.target), dtype=float) for k in kpis
    ]
    by_segment: dict[int, SegmentTargets] = {}
    columns = tracker.target_columns()
    if not len(columns["kpi"]):
        return rows, by_segment
    order = np.argsort(columns["row"], kind="stable")
    ids = [index_by_id.get(str(x).strip().lower(), -1) for x in columns["kpi"][order]]
    days = columns["period"][order].astype("datetime64[D]").astype(np.int64)
    target = columns["target"][order].astype(np.float64)
    segments = columns["segment"][order] if "segment" in columns else [None] * len(order)
    for i, d, t, segment in zip(ids, days, target, segments, strict=True):
        if i < 0 or np.isnan(t):
            continue
        scheme = schemes[i]
        offset = current_index(scheme, as_of) - int(scheme.index(np.array([d]))[0])
        if not 0 <= offset < depth:
            continue
        blank = segment is None or (isinstance(segment, float) and segment != segment)
        name = "" if blank else str(segment).strip()
        if name:
            kept = by_segment.setdefault(i, {})
            key = name.casefold()
            if key not in kept:
                kept[key] = (name, np.full(depth, np.nan))
            kept[key][1][offset] = t
        else:
            rows[i][offset] = t
    return rows, by_segment


# ---------------------------------------------------------------------------
# One KPI


def _present(values: np.ndarray) -> np.ndarray:
    """Which cells of an object array hold something (not None, not NaN)."""
    # NaN is the one value not equal to itself.
    none = np.full(1, None, dtype=object)
    return np.asarray(np.not_equal(values, none) & np.equal(values, values), dtype=bool)


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _last_entry_day(
    i: int,
    kpis: list[KpiDefinition],
    formulas: _Formulas,
    index_by_id: dict[str, int],
    last_days: np.ndarray,
) -> int | None:
    """Latest entry day of a KPI; for a formula, the oldest latest entry of its inputs
    (through other formulas), and none when one of them never had an entry: the
    formula has never been computable, like a KPI that has no entries."""
    missing = np.iinfo(np.int64).min
    if kpis[i].aggregation is not Aggregation.FORMULA:
        return None if last_days[i] == missing else int(last_days[i])
    inputs = [int(last_days[r]) for r in _base_references(i, kpis, formulas, index_by_id)]
    if not inputs or missing in inputs:
        return None
    return min(inputs)


def _trend(
    actual: float | None,
    previous: float | None,
    direction: Direction,
    target: float | None,
) -> tuple[float | None, Trend | None]:
    if actual is None or previous is None:
        return None, None
    change = (actual - previous) / abs(previous) if previous != 0 else None
    if change is not None and not np.isfinite(change):
        change = None  # beyond the largest float: the arrow still says which way
    if actual == previous or (change is not None and abs(change) < FLAT_BELOW):
        return change, Trend.FLAT
    if direction is Direction.RANGE:
        if target is None:
            return change, None
        closer = abs(actual - target) < abs(previous - target)
        farther = abs(actual - target) > abs(previous - target)
        return change, Trend.IMPROVING if closer else Trend.WORSENING if farther else Trend.FLAT
    up = actual > previous
    good = up if direction is Direction.HIGHER else not up
    return change, Trend.IMPROVING if good else Trend.WORSENING


def _kpi_result(
    tracker: Tracker,
    i: int,
    scheme: Scheme,
    as_of: dt.date,
    history: int,
    values: np.ndarray | None,
    targets: np.ndarray,
    aggregates: Aggregates,
    slot_index: dict[tuple[int, tuple[object, ...]], int],
    last_day: int | None,
    note: str | None,
    divided_by_zero: np.ndarray | None,
    too_large: np.ndarray | None,
    problems: list[Problem],
) -> KpiResult:
    settings = tracker.settings
    k = tracker.kpis[i]
    current = current_index(scheme, as_of)
    start, end = scheme.bounds(current)
    f = elapsed_fraction(start, end, as_of)
    period = Period(start, end, scheme.label(current), f)
    green = k.green_at if k.green_at is not None else settings.green_at
    amber = k.amber_at if k.amber_at is not None else settings.amber_at
    result = KpiResult(
        id=k.id,
        name=k.name,
        category=k.category or "Uncategorised",
        owner=k.owner,
        unit=k.unit,
        number_format=default_number_format(k.unit, k.number_format),
        direction=k.direction,
        aggregation=k.aggregation,
        frequency=k.frequency or settings.period,
        period=period,
        actual=None,
        target=None,
        expected=None,
        achievement=None,
        score=None,
        status=Status.NO_DATA,
        weight=k.weight,
        tolerance=k.tolerance,
        baseline=k.baseline,
        green_at=green,
        amber_at=amber,
        description=k.description,
        source=k.source,
        row=k.row,
    )
    if not k.valid:
        return result
    if values is None:
        values = np.full(len(targets), np.nan)

    actual = _num(values[0])
    target = _num(targets[0])
    paced = k.aggregation.is_paced
    glide = k.start is not None and k.end is not None and k.baseline is not None
    expected = expected_by_now(target, f, paced, k.baseline, glide)
    result.actual, result.target, result.expected = actual, target, expected

    if target is None:
        problems.append(
            _kpi_problem(
                tracker,
                k,
                "missing-target",
                "warning",
                "Target",
                f"{k.id} has no target for {period.label}, so it gets no status.",
                "Fill in Target on the KPIs sheet, or add a row for this period on the "
                "Targets sheet.",
            )
        )
    if divided_by_zero is not None and divided_by_zero[0]:
        problems.append(
            _kpi_problem(
                tracker,
                k,
                "division-by-zero",
                "warning",
                "Formula",
                f"The formula {k.formula!r} of {k.id} divides by zero in {period.label}, "
                "so its value is blank.",
                "Check the entries of the KPIs it divides by for this period.",
            )
        )

    if too_large is not None and too_large.any():
        labels = [scheme.label(current - int(o)) for o in np.flatnonzero(too_large)]
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        problems.append(
            _kpi_problem(
                tracker,
                k,
                "number-too-large",
                "error",
                "ID",
                f"The value of {k.id} for {shown} is beyond the largest number a "
                "spreadsheet can hold (about 1.8E+308), so it is left blank"
                + (" and gets no status." if too_large[0] else "."),
                "Look for a mistyped huge value among its entries (1E+308 for 1E+3), or "
                "for inputs of its formula that multiply to more than 1.8E+308.",
            )
        )

    # The status is decided exactly on the decimal values (docs/arithmetic.md); the
    # scores shown are those exact figures rounded once to a float.
    if k.direction is Direction.RANGE:
        exact_score = exact_range_score(actual, target, k.tolerance)
        result.achievement = result.score = as_float(exact_score)
        status = range_status(actual, target, k.tolerance)
    else:
        elapsed = Fraction(elapsed_days(start, end, as_of), (end - start).days + 1)
        exact_e = exact_expected(target, elapsed, paced, k.baseline, glide)
        result.achievement = achievement(actual, target, k.direction, k.baseline)
        exact_score = exact_achievement(actual, exact_e, k.direction, k.baseline)
        result.score = as_float(exact_score)
        status = score_status(exact_score, green, amber)
    if actual is None:
        status = Status.NO_DATA
    elif target is None:
        status = Status.NO_TARGET
    result.status = status

    if paced and actual is not None and f > 0 and np.isfinite(actual / f):
        result.forecast = actual / f
        result.forecast_achievement = achievement(
            result.forecast, target, k.direction, k.baseline, k.tolerance
        )

    slot = slot_index.get((i, scheme.key))
    if paced and slot is not None:
        previous = _num(aggregates.partial_previous[slot])
    else:
        previous = _num(values[1]) if len(values) > 1 else None
    result.previous = previous
    result.change, result.trend = _trend(actual, previous, k.direction, target)

    points = []
    for offset in range(history - 1, -1, -1):
        p_start, p_end = scheme.bounds(current - offset)
        points.append(
            HistoryPoint(
                p_start,
                p_end,
                scheme.label(current - offset),
                _num(values[offset]),
                _num(targets[offset]),
            )
        )
    result.history = points

    if last_day is not None:
        result.last_entry = from_day_number(last_day)
        result.stale = result.last_entry < one_period_before(scheme, as_of)
    else:
        result.stale = True
    result.note = note
    if not k.unit.strip() and not k.number_format.strip():
        # Without Unit and Format the figures read as the General cells they were typed
        # into: whole numbers without decimals (docs/number-formats.md).
        figures = np.concatenate(
            [values, targets, [np.nan if x is None else x for x in (previous, k.baseline)]]
        )
        shown = figures[np.isfinite(figures)]
        result.number_format = default_number_format(
            "", "", whole=bool(np.all(shown == np.floor(shown)))
        )
    return result


# ---------------------------------------------------------------------------
# Rollups


def _rollup(name: str, kpis: list[KpiResult]) -> Rollup:
    counts = dict.fromkeys(Status, 0)
    weighted = weights = 0.0
    for k in kpis:
        counts[k.status] += 1
        if k.score is not None:
            weighted += k.weight * min(k.score, SCORE_CAP)
            weights += k.weight
    score = weighted / weights if weights else None
    return Rollup(name=name, counts=counts, score=score, kpi_count=len(kpis))


def _rollups(results: list[KpiResult]) -> tuple[list[Rollup], Rollup]:
    """Per category (in order of first appearance) and overall."""
    by_category: dict[str, list[KpiResult]] = {}
    for k in results:
        by_category.setdefault(k.category, []).append(k)
    return [_rollup(c, ks) for c, ks in by_category.items()], _rollup("Overall", results)
