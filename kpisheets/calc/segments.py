"""Segments: a KPI split by the Segment column of its entries, and its drivers.

The entries frame's ``segment`` column is the one place segments come from (rows
imported from other sources carry it too). Segment labels are grouped the way an
Excel pivot table groups them: surrounding spaces ignored, case-insensitive, shown
as first written.

How it stays fast: segmented entries are aggregated once more, by *slot and
segment* (a slot is a KPI under one period scheme, see :mod:`kpisheets.calc.engine`)
with the same :func:`~kpisheets.calc.aggregate.aggregate` pass as the totals; the
per-KPI work below loops over segments and periods only. The arithmetic, with worked
examples, is in docs/arithmetic.md ("Segments", "Drivers").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kpisheets.calc import formula as fx
from kpisheets.calc.aggregate import Aggregates, aggregate, combine, select
from kpisheets.calc.arithmetic import (
    achievement,
    expected_by_now,
    range_score,
    range_status,
    score_status,
)
from kpisheets.calc.drivers import RatioPart, delta_drivers, rate_mix_drivers
from kpisheets.model import Aggregation, Direction, KpiDefinition
from kpisheets.result import Drivers, KpiResult, SegmentResult

# Above this many slot × segment cells, groups are numbered by sorting instead of a
# lookup table.
TABLE_LIMIT = 20_000_000


def segment_codes(column: np.ndarray | None) -> tuple[np.ndarray | None, list[str]]:
    """Each row's segment number (−1: no segment) and the segment names.

    Labels are stripped and grouped case-insensitively; the name shown is the first
    spelling in row order. ``None`` codes when no row has a segment. The few
    distinct labels are looked at once each; the rows cost one dictionary lookup.

    >>> codes, names = segment_codes(np.array(["Mobile", None, " mobile", "Desktop", ""], object))
    >>> codes.tolist(), names
    ([0, -1, 0, 1, -1], ['Mobile', 'Desktop'])
    """
    if column is None or not len(column):
        return None, []
    labels = column.tolist()
    distinct = set(labels)
    if distinct <= {None, ""}:
        return None, []
    first_row: dict[object, int] = {}
    if len(distinct) > 1:
        # Names are shown as first written: order the distinct labels by first row.
        for n, value in enumerate(labels):
            if value not in first_row:
                first_row[value] = n
                if len(first_row) == len(distinct):
                    break
    names: list[str] = []
    number: dict[str, int] = {}
    code_of: dict[object, int] = {}
    for value in sorted(distinct, key=lambda v: first_row.get(v, 0)):
        text = "" if value is None or value != value else str(value).strip()  # NaN: blank
        if not text:
            code_of[value] = -1
            continue
        key = text.casefold()
        if key not in number:
            number[key] = len(names)
            names.append(text)
        code_of[value] = number[key]
    if not names:
        return None, []
    codes = np.fromiter(map(code_of.__getitem__, labels), np.int64, count=len(labels))
    return codes, names


@dataclass
class SegmentTable:
    """Aggregates per (slot, segment) that has entries in the history periods."""

    names: list[str]
    groups: dict[int, dict[int, int]]  # slot → {segment number: group}
    aggregates: Aggregates

    def present(self, slot: int | None) -> dict[int, int]:
        """Segments of a slot with entries in the current or previous period."""
        if slot is None:
            return {}
        rows = self.aggregates.rows
        return {
            seg: g
            for seg, g in self.groups.get(slot, {}).items()
            if rows[g, 0] > 0 or (rows.shape[1] > 1 and rows[g, 1] > 0)
        }


def aggregate_with_segments(
    segment: np.ndarray | None,
    names: list[str],
    value: np.ndarray,
    days: np.ndarray,
    row: np.ndarray,
    slot_of: np.ndarray,
    offset: np.ndarray,
    aggregation: np.ndarray,
    cutoff: np.ndarray,
    depth: int,
) -> tuple[Aggregates, SegmentTable]:
    """Aggregate entries by slot × segment × offset in one pass, and add the
    segments of each slot (with its entries without a segment) into its totals.

    ``segment`` holds each entry's segment number (−1: none), aligned with the other
    arrays (the entries already placed in a slot and period); ``aggregation`` and
    ``cutoff`` are per slot.
    """
    n_slots = len(aggregation)
    if segment is None or not names or not (segment >= 0).any():
        totals = aggregate(value, days, row, slot_of, offset, aggregation, cutoff, depth)
        return totals, SegmentTable(names, {}, Aggregates.empty(depth))
    # Segment number len(names) stands for "no segment".
    width = len(names) + 1
    combined = slot_of * width + np.where(segment >= 0, segment, len(names))
    if n_slots * width <= TABLE_LIMIT:
        present = np.bincount(combined, minlength=n_slots * width) > 0
        keys = np.flatnonzero(present)
        group = (np.cumsum(present) - 1)[combined]
    else:
        keys, group = np.unique(combined, return_inverse=True)
    slot_of_group, segment_of_group = keys // width, keys % width
    parts = aggregate(
        value,
        days,
        row,
        group,
        offset,
        aggregation[slot_of_group],
        cutoff[slot_of_group],
        depth,
    )
    totals = combine(parts, slot_of_group, aggregation)
    segmented = np.flatnonzero(segment_of_group < len(names))
    groups: dict[int, dict[int, int]] = {}
    for g, (s, seg) in enumerate(
        zip(slot_of_group[segmented].tolist(), segment_of_group[segmented].tolist(), strict=True)
    ):
        groups.setdefault(s, {})[seg] = g
    return totals, SegmentTable(names, groups, select(parts, segmented))


# ---------------------------------------------------------------------------
# Formula trees over base KPIs


EXPANDED_NODES = 5_000  # a formula longer than this written out gets no segments


def expand(
    tree: fx.Node,
    nested: Callable[[str], fx.Node | None | bool],
    limit: int = EXPANDED_NODES,
) -> fx.Node | None:
    """A formula tree with every reference to another Formula KPI replaced by that
    KPI's own (expanded) tree, so it refers to base KPIs only.

    ``nested(ref)`` gives the tree of a formula KPI, ``True`` for a base KPI, and
    ``None`` for a formula that cannot be computed (then the whole tree is None).
    Also None when the written-out tree would have more than ``limit`` nodes: formulas
    over formulas grow exponentially written out (a "ladder" of 46 KPIs has 2^22
    leaves), and such a KPI keeps its figures but gets no segments. Built with an
    explicit stack, never recursion.
    """
    built: list[fx.Node] = []
    todo: list[tuple[fx.Node, bool]] = [(tree, False)]
    count = 0
    while todo:
        node, children_built = todo.pop()
        if isinstance(node, fx.Ref):
            found = nested(node.kpi)
            if found is True:
                built.append(node)
                count += 1
            elif found is None or found is False:
                return None
            else:
                todo.append((found, False))  # write the nested formula out in place
                continue
        elif isinstance(node, fx.Number):
            built.append(node)
            count += 1
        elif not children_built:
            todo.append((node, True))
            if isinstance(node, fx.Unary):
                todo.append((node.operand, False))
            else:
                todo += ((node.right, False), (node.left, False))
            continue
        elif isinstance(node, fx.Unary):
            built.append(fx.Unary(node.op, built.pop()))
            count += 1
        else:
            right = built.pop()
            built.append(fx.Binary(node.op, built.pop(), right))
            count += 1
        if count > limit:
            return None
    return built[0]


Linear = dict[str, float]  # base KPI ID → coefficient


def _scaled(linear: Linear | None, factor: float) -> Linear | None:
    return None if linear is None else {k: v * factor for k, v in linear.items()}


def _linear(node: fx.Node) -> Linear | None:
    """A sum of KPI references times constants (``A + 2*B - C``), else None.
    Worked out bottom-up with an explicit stack (a formula may be thousands deep)."""
    results: list[Linear | None] = []
    todo: list[tuple[fx.Node, bool]] = [(node, False)]
    while todo:
        n, children_done = todo.pop()
        if isinstance(n, fx.Ref):
            results.append({n.kpi: 1.0})
        elif isinstance(n, fx.Number):
            results.append(None)  # a number alone is no sum of references
        elif not children_done:
            todo.append((n, True))
            if isinstance(n, fx.Unary):
                todo.append((n.operand, False))
            else:
                todo += ((n.right, False), (n.left, False))
        elif isinstance(n, fx.Unary):
            inner = results.pop()
            results.append(_scaled(inner, -1.0) if n.op == "-" else inner)
        else:
            right, left = results.pop(), results.pop()
            out: Linear | None = None
            if n.op in "+-" and left is not None and right is not None:
                out = dict(left)
                sign = 1.0 if n.op == "+" else -1.0
                for k, v in right.items():
                    out[k] = out.get(k, 0.0) + sign * v
            elif n.op == "*" and isinstance(n.left, fx.Number):
                out = _scaled(right, n.left.value)
            elif n.op == "*" and isinstance(n.right, fx.Number):
                out = _scaled(left, n.right.value)
            elif n.op == "/" and isinstance(n.right, fx.Number) and n.right.value != 0:
                divisor = n.right.value
                out = None if left is None else {k: v / divisor for k, v in left.items()}
            results.append(out)
    return results[0]


@dataclass(frozen=True)
class Ratio:
    """A formula of the form scale × X / Y with X and Y sums of KPI references."""

    numerator: Linear
    denominator: Linear
    scale: float = 1.0


def ratio_of(tree: fx.Node) -> Ratio | None:
    """Recognise ``X / Y``, ``X / Y * 100`` or ``100 * X / Y`` (X, Y linear).

    >>> ratio_of(fx.parse("bounces / sessions * 100"))
    Ratio(numerator={'bounces': 1.0}, denominator={'sessions': 1.0}, scale=100.0)
    >>> ratio_of(fx.parse("a + b")) is None
    True
    """
    scale = 1.0
    node = tree
    while isinstance(node, fx.Binary) and node.op in "*/":
        if node.op == "*" and isinstance(node.right, fx.Number):
            scale *= node.right.value
            node = node.left
        elif node.op == "*" and isinstance(node.left, fx.Number):
            scale *= node.left.value
            node = node.right
        elif node.op == "/" and isinstance(node.right, fx.Number) and node.right.value != 0:
            scale /= node.right.value
            node = node.left
        else:
            break
    if not (isinstance(node, fx.Binary) and node.op == "/"):
        return None
    numerator, denominator = _linear(node.left), _linear(node.right)
    if numerator is None or denominator is None:
        return None
    return Ratio(numerator, denominator, scale)


# ---------------------------------------------------------------------------
# One KPI's segments

SegmentTargets = dict[str, tuple[str, np.ndarray]]  # case-folded name → (name, T per offset)


@dataclass
class SegmentSeries:
    """One segment of one KPI before scoring: its values per period offset (0 =
    current, NaN blank), its P_g, and a size that orders segments (largest first)."""

    name: str
    values: np.ndarray
    previous: float | None
    size: float


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _nan_to_zero(x: float) -> float:
    return 0.0 if math.isnan(x) else float(x)


@dataclass
class SegmentCalculator:
    """Segments and drivers of every KPI, from the totals and the segment table.

    ``slot_index`` maps (KPI index, scheme key) to a slot; ``trees`` holds each
    computable Formula KPI's tree expanded down to base KPIs (:func:`expand`);
    ``targets`` the Targets rows with a Segment, per KPI index.
    """

    kpis: list[KpiDefinition]
    slot_index: dict[tuple[int, tuple[object, ...]], int]
    totals: Aggregates
    table: SegmentTable
    trees: dict[int, fx.Node]
    index_by_id: dict[str, int]
    targets: dict[int, SegmentTargets]
    history: int

    def attach(self, i: int, scheme_key: tuple[object, ...], result: KpiResult) -> None:
        """Set ``result.segments`` and ``result.drivers`` of KPI ``i``."""
        kpi = self.kpis[i]
        if not kpi.valid or not self.table.groups:
            return
        if kpi.aggregation is Aggregation.FORMULA:
            series, drivers = self._formula(i, scheme_key, result)
        else:
            series, drivers = self._base(i, scheme_key, result)
        if not series:
            return
        result.segments = segment_results(
            kpi, result, series, self.targets.get(i, {}), self.history
        )
        result.drivers = drivers

    def _base(
        self, i: int, scheme_key: tuple[object, ...], result: KpiResult
    ) -> tuple[list[SegmentSeries], Drivers | None]:
        kpi = self.kpis[i]
        slot = self.slot_index.get((i, scheme_key))
        present = self.table.present(slot)
        if slot is None or not present:
            return [], None
        t = self.table.aggregates
        paced = kpi.aggregation.is_paced
        series = []
        for seg, g in present.items():
            values = t.values[g]
            previous = _num(t.partial_previous[g]) if paced else _num(values[1])
            size = abs(_nan_to_zero(values[0])) if paced else float(t.rows[g, 0])
            series.append(SegmentSeries(self.table.names[seg], values, previous, size))
        names = [self.table.names[seg] for seg in present]
        drivers: Drivers | None = None
        if paced:
            triples = [(s.name, _num(s.values[0]), s.previous) for s in series]
            drivers = delta_drivers(result.actual, result.previous, triples)
        elif kpi.aggregation in (Aggregation.AVERAGE, Aggregation.NPS):
            if kpi.aggregation is Aggregation.AVERAGE:
                x, y, weight_of = self.totals.total, self.totals.n_values, "entries"
                tx, ty = t.total, t.n_values
            else:
                x, y, weight_of = self.totals.net_promoters, self.totals.answered, "responses"
                tx, ty = t.net_promoters, t.answered
            total = RatioPart(x[slot, 0], y[slot, 0], x[slot, 1], y[slot, 1])
            parts = [
                (name, RatioPart(tx[g, 0], ty[g, 0], tx[g, 1], ty[g, 1]))
                for name, g in zip(names, present.values(), strict=True)
            ]
            drivers = rate_mix_drivers(total, parts, weight_of=weight_of)
        return series, drivers

    def _formula(
        self, i: int, scheme_key: tuple[object, ...], result: KpiResult
    ) -> tuple[list[SegmentSeries], Drivers | None]:
        tree = self.trees.get(i)
        if tree is None:
            return [], None
        refs = sorted(fx.references(tree))
        slots: dict[str, int] = {}
        for ref in refs:
            slot = self.slot_index.get((self.index_by_id[ref], scheme_key))
            if slot is None:
                return [], None
            slots[ref] = slot
        present = {ref: self.table.present(slot) for ref, slot in slots.items()}
        if not refs:
            return [], None
        common = set.intersection(*(set(p) for p in present.values()))
        depth = self.table.aggregates.values.shape[1]
        values_of = self.table.aggregates.values
        ratio = ratio_of(tree)
        bases_additive = ratio is not None and all(
            self.kpis[self.index_by_id[ref]].aggregation.is_paced
            for ref in (*ratio.numerator, *ratio.denominator)
        )

        def linear(coefficients: Linear, seg: int | None, offset: int) -> float:
            """Σ coefficient × value of a segment (None: the KPI total); a segment
            without entries counts 0, a blank total makes the whole blank."""
            out = 0.0
            for ref, c in coefficients.items():
                if seg is None:
                    v = self.totals.values[slots[ref], offset]
                else:
                    g = self.table.groups.get(slots[ref], {}).get(seg)
                    v = 0.0 if g is None else _nan_to_zero(values_of[g, offset])
                out += c * v
            return out

        series = []
        for seg in common:
            env = {ref: values_of[present[ref][seg]] for ref in refs}
            values, _ = fx.evaluate(tree, env, depth)
            size = linear(ratio.denominator, seg, 0) if ratio and bases_additive else 0.0
            series.append(SegmentSeries(self.table.names[seg], values, _num(values[1]), size))

        drivers: Drivers | None = None
        if ratio is not None and bases_additive and result.actual is not None:
            used = sorted(
                set().union(*(present[r] for r in (*ratio.numerator, *ratio.denominator)))
            )

            def part(seg: int | None) -> RatioPart:
                return RatioPart(
                    linear(ratio.numerator, seg, 0),
                    linear(ratio.denominator, seg, 0),
                    linear(ratio.numerator, seg, 1),
                    linear(ratio.denominator, seg, 1),
                )

            total = part(None)
            denominator = list(ratio.denominator)
            weight_of = ""
            if len(denominator) == 1:
                weight_of = self.kpis[self.index_by_id[denominator[0]]].name
            drivers = rate_mix_drivers(
                total,
                [(self.table.names[seg], part(seg)) for seg in used],
                scale=ratio.scale,
                weight_of=weight_of,
            )
        return series, drivers


def segment_results(
    kpi: KpiDefinition,
    result: KpiResult,
    series: list[SegmentSeries],
    targets: SegmentTargets,
    history: int,
) -> list[SegmentResult]:
    """A_g, P_g, change, share, history and — with a segment target — target,
    expected, score and status of each segment, largest first; then any segment that
    has a target this period but no entries (status No data)."""
    paced = kpi.aggregation.is_paced
    ordered = sorted(series, key=lambda s: (-s.size, s.name.casefold()))
    out: list[SegmentResult] = []
    for s in ordered:
        actual = _num(s.values[0])
        segment = _segment(kpi, result, s.name, actual, s.previous, targets)
        past = s.values[:history][::-1].tolist()
        segment.history = [None if v != v else v for v in past]  # NaN is blank
        if paced and actual is not None and result.actual:
            segment.share = actual / result.actual
        out.append(segment)
    seen = {s.name.casefold() for s in series}
    for key, (name, row) in targets.items():
        if key not in seen and not math.isnan(row[0]):
            segment = _segment(kpi, result, name, None, None, targets)
            segment.history = [None] * history
            out.append(segment)
    return out


def _segment(
    kpi: KpiDefinition,
    result: KpiResult,
    name: str,
    actual: float | None,
    previous: float | None,
    targets: SegmentTargets,
) -> SegmentResult:
    change = None
    if actual is not None and previous is not None and previous != 0:
        change = (actual - previous) / abs(previous)
    segment = SegmentResult(name=name, actual=actual, previous=previous, change=change)
    found = targets.get(name.casefold())
    target = None if found is None else _num(found[1][0])
    if target is None:
        return segment
    segment.target = target
    segment.expected = expected_by_now(target, result.period.elapsed, kpi.aggregation.is_paced)
    if kpi.direction is Direction.RANGE:
        segment.score = range_score(actual, target, kpi.tolerance)
        segment.status = range_status(actual, target, kpi.tolerance)
    else:
        segment.score = achievement(actual, segment.expected, kpi.direction)
        segment.status = score_status(segment.score, result.green_at, result.amber_at)
    return segment
