"""Period values of many groups at once: one pass of ``bincount``/``ufunc.at`` calls.

A *group* is whatever the caller aggregates by — a KPI under one period scheme (a
slot), or a slot and one segment. Each entry comes with its group and its period
*offset* (0 = current period, 1 = the one before, …); the parts every aggregation
of docs/arithmetic.md is made of (row counts, sums, minima, maxima, the latest value…) are
computed for all groups and offsets together, so the cost is a few passes over the
entries whatever the number of KPIs, segments or history periods.

The parts also *combine*: :func:`combine` adds the groups of one slot together (the
segments of a KPI plus its entries without a segment), so a segmented tracker gets
its KPI totals and its segments from one pass over the entries, not two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kpisheets.model import Aggregation

AGGREGATION_CODES = {agg: n for n, agg in enumerate(Aggregation)}
_NO_KEY = np.iinfo(np.int64).min  # no latest value


@dataclass
class Aggregates:
    """Per group × offset: the period value, and the parts it is made of.

    ``values`` is A by the group's aggregation (NaN: no entries). ``rows`` counts
    entries, ``total`` sums values, ``n_values`` counts non-blank values (an
    Average is ``total / n_values``), ``net_promoters`` is 100 × (promoters −
    detractors) and ``answered`` the scores 0–10 (NPS is their ratio); ``minimum``
    and ``maximum`` are ±inf without values; ``last_key`` orders entries by date then
    row (the int64 minimum: none) and ``last_value`` is the value of the latest. ``partial_previous``
    is the previous period up to the same elapsed day, for Sum and Count groups (NaN
    otherwise, or without entries), from ``partial_rows`` and ``partial_total``.
    """

    aggregation: np.ndarray  # (groups,) AGGREGATION_CODES
    rows: np.ndarray  # (groups, depth)
    total: np.ndarray
    n_values: np.ndarray
    net_promoters: np.ndarray
    answered: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    last_key: np.ndarray
    last_value: np.ndarray
    partial_rows: np.ndarray  # (groups,)
    partial_total: np.ndarray
    values: np.ndarray = field(init=False)  # (groups, depth)
    partial_previous: np.ndarray = field(init=False)  # (groups,)

    def __post_init__(self) -> None:
        self.values, self.partial_previous = _finish(self)

    @classmethod
    def empty(cls, depth: int) -> Aggregates:
        """No groups at all."""
        none = np.zeros((0, depth))
        return cls(
            np.zeros(0, dtype=np.int64),
            *(none,) * 9,
            np.zeros(0),
            np.zeros(0),
        )


def aggregate(
    value: np.ndarray,
    days: np.ndarray,
    row: np.ndarray,
    group: np.ndarray,
    offset: np.ndarray,
    aggregation: np.ndarray,
    cutoff: np.ndarray,
    depth: int,
) -> Aggregates:
    """Aggregate entries (``value``, ``days``, Excel ``row``) by ``group`` × ``offset``.

    ``aggregation`` holds each group's :data:`AGGREGATION_CODES` code and ``cutoff``
    the last day number of its previous period that counts for the Sum/Count trend.
    Offsets must lie in 0..depth−1.
    """
    n_groups = len(aggregation)
    size = n_groups * depth
    if n_groups == 0:
        return Aggregates.empty(depth)
    codes = AGGREGATION_CODES
    key = group * depth + offset
    has_value = ~np.isnan(value)
    clean = np.where(has_value, value, 0.0)

    rows = np.bincount(key, minlength=size).astype(float)
    n_values = np.bincount(key, weights=has_value, minlength=size)
    total = np.bincount(key, weights=clean, minlength=size)
    per_entry_agg = aggregation[group]

    net: np.ndarray = np.zeros(size)
    answered: np.ndarray = np.zeros(size)
    nps_rows = per_entry_agg == codes[Aggregation.NPS]
    if nps_rows.any():
        k, v = key[nps_rows], value[nps_rows]
        scored = (v >= 0) & (v <= 10)
        answered = np.bincount(k, weights=scored, minlength=size)
        promoters = np.bincount(k, weights=scored & (v >= 9), minlength=size)
        detractors = np.bincount(k, weights=scored & (v <= 6), minlength=size)
        net = 100.0 * (promoters - detractors)

    extremes = {}
    for agg, ufunc, start in (
        (Aggregation.MIN, np.minimum, np.inf),
        (Aggregation.MAX, np.maximum, -np.inf),
    ):
        acc = np.full(size, start)
        sel = (per_entry_agg == codes[agg]) & has_value
        if sel.any():
            ufunc.at(acc, key[sel], value[sel])
        extremes[agg] = acc

    last_key = np.full(size, _NO_KEY, dtype=np.int64)
    last_value = np.full(size, np.nan)
    sel = np.flatnonzero((per_entry_agg == codes[Aggregation.LAST]) & has_value)
    if len(sel):
        k = key[sel]
        # Latest date wins; on the same date the lower row (typed later).
        order_key = days[sel] * (int(row[sel].max()) + 1) + row[sel]
        order = np.lexsort((order_key, k))
        sorted_key = k[order]
        last = np.flatnonzero(np.r_[sorted_key[1:] != sorted_key[:-1], True])
        last_key[sorted_key[last]] = order_key[order[last]]
        last_value[sorted_key[last]] = value[sel][order[last]]

    # Sum and Count trend: the previous period up to the same elapsed day.
    partial = (offset == 1) & (days <= cutoff[group])
    partial_rows = np.bincount(group[partial], minlength=n_groups).astype(float)
    partial_total = np.bincount(group[partial], weights=clean[partial], minlength=n_groups)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape(n_groups, depth)

    return Aggregates(
        aggregation=aggregation,
        rows=shaped(rows),
        total=shaped(total),
        n_values=shaped(n_values),
        net_promoters=shaped(net),
        answered=shaped(answered),
        minimum=shaped(extremes[Aggregation.MIN]),
        maximum=shaped(extremes[Aggregation.MAX]),
        last_key=shaped(last_key),
        last_value=shaped(last_value),
        partial_rows=partial_rows,
        partial_total=partial_total,
    )


def combine(parts: Aggregates, into: np.ndarray, aggregation: np.ndarray) -> Aggregates:
    """Add groups together: group g goes into ``into[g]`` (0..len(aggregation)−1).

    Sums and counts add, minima and maxima take the extreme, the latest value the
    latest key, so the result equals aggregating the groups' entries directly.
    """
    n, depth = len(aggregation), parts.rows.shape[1]

    def added(a: np.ndarray) -> np.ndarray:
        out = np.zeros((n, *a.shape[1:]))
        np.add.at(out, into, a)
        return out

    minimum = np.full((n, depth), np.inf)
    np.minimum.at(minimum, into, parts.minimum)
    maximum = np.full((n, depth), -np.inf)
    np.maximum.at(maximum, into, parts.maximum)
    last_key = np.full((n, depth), _NO_KEY, dtype=np.int64)
    np.maximum.at(last_key, into, parts.last_key)
    last_value = np.full((n, depth), np.nan)
    won = (parts.last_key == last_key[into]) & (parts.last_key != _NO_KEY)
    g, o = np.nonzero(won)
    last_value[into[g], o] = parts.last_value[g, o]
    return Aggregates(
        aggregation=aggregation,
        rows=added(parts.rows),
        total=added(parts.total),
        n_values=added(parts.n_values),
        net_promoters=added(parts.net_promoters),
        answered=added(parts.answered),
        minimum=minimum,
        maximum=maximum,
        last_key=last_key,
        last_value=last_value,
        partial_rows=added(parts.partial_rows),
        partial_total=added(parts.partial_total),
    )


def select(parts: Aggregates, groups: np.ndarray) -> Aggregates:
    """The aggregates of some groups only (in the order given)."""
    return Aggregates(
        aggregation=parts.aggregation[groups],
        rows=parts.rows[groups],
        total=parts.total[groups],
        n_values=parts.n_values[groups],
        net_promoters=parts.net_promoters[groups],
        answered=parts.answered[groups],
        minimum=parts.minimum[groups],
        maximum=parts.maximum[groups],
        last_key=parts.last_key[groups],
        last_value=parts.last_value[groups],
        partial_rows=parts.partial_rows[groups],
        partial_total=parts.partial_total[groups],
    )


def _finish(a: Aggregates) -> tuple[np.ndarray, np.ndarray]:
    """Period values and the partial previous period from the parts."""
    codes = AGGREGATION_CODES
    n_groups, depth = a.rows.shape
    by_group = np.repeat(a.aggregation, depth).reshape(n_groups, depth)
    out = np.full((n_groups, depth), np.nan)
    has_rows = a.rows > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        choices = (
            (Aggregation.SUM, np.where(has_rows, a.total, np.nan)),
            (Aggregation.COUNT, np.where(has_rows, a.rows, np.nan)),
            (Aggregation.AVERAGE, a.total / a.n_values),
            (Aggregation.NPS, a.net_promoters / a.answered),
            (Aggregation.MIN, np.where(np.isinf(a.minimum), np.nan, a.minimum)),
            (Aggregation.MAX, np.where(np.isinf(a.maximum), np.nan, a.maximum)),
            (Aggregation.LAST, a.last_value),
        )
        for agg, figures in choices:
            mine = by_group == codes[agg]
            out[mine] = figures[mine]
    partial_previous = np.full(n_groups, np.nan)
    counted = a.partial_rows > 0
    is_sum = (a.aggregation == codes[Aggregation.SUM]) & counted
    is_count = (a.aggregation == codes[Aggregation.COUNT]) & counted
    partial_previous[is_sum] = a.partial_total[is_sum]
    partial_previous[is_count] = a.partial_rows[is_count]
    return out, partial_previous
