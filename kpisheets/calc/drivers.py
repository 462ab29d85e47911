"""Drivers: which segment explains a KPI's change from its previous value P to A.

Two methods, both exact — the parts always add up to the whole change A − P:

- **delta** (Sum, Count): segment g contributes Δ_g = A_g − P_g, a share
  Δ_g / (A − P) of the change. A segment without entries in a period counts 0 there.
- **rate/mix** (a ratio X / Y — a Formula such as ``BOUNCES / SESSIONS``, an
  Average, which is total / count, or NPS, which is net promoters / answers): with
  weights w_g = Y_g / Y and rates r_g = X_g / Y_g,
  A − P = Σ w_g^P (r_g − r_g^P)  [rate effect]  +  Σ (w_g − w_g^P) r_g  [mix effect].
  A segment missing in one period takes the other period's rate there, so its rate
  effect is 0 and its mix effect is what it added or took away.

Entries without a Segment count in the total but in no segment: what they
contribute is reported as ``unsegmented``, so the sums stay exact. Worked examples
are in docs/arithmetic.md ("Drivers").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpisheets.result import DriverPart, Drivers

# A remainder smaller than this (relative to the figures) is floating-point noise,
# not entries without a segment.
NOISE = 1e-9


@dataclass(frozen=True)
class RatioPart:
    """Numerator and denominator of one segment (or of the whole), now and before."""

    x: float
    y: float
    previous_x: float
    previous_y: float

    def __post_init__(self) -> None:
        # numpy scalars in, plain floats out (they end up in JSON and in sentences).
        for name in ("x", "y", "previous_x", "previous_y"):
            object.__setattr__(self, name, float(getattr(self, name)))


def _noise(*figures: float) -> float:
    return NOISE * max(1.0, *(abs(f) for f in figures))


def _top(parts: Sequence[DriverPart], change: float) -> str | None:
    """The segment whose contribution moves the KPI most in the direction it moved."""
    if change == 0:
        return None
    sign = 1.0 if change > 0 else -1.0
    best = max(parts, key=lambda p: p.contribution * sign, default=None)
    if best is None or best.contribution * sign <= 0:
        return None
    return best.segment


def delta_drivers(
    actual: float | None,
    previous: float | None,
    segments: Sequence[tuple[str, float | None, float | None]],
) -> Drivers | None:
    """Drivers of a Sum or Count KPI from ``(segment, A_g, P_g)`` triples.

    None when A or P is blank or there are no segments.

    >>> d = delta_drivers(80, 100, [("Mobile", 30, 50), ("Desktop", 50, 50)])
    >>> d.top, d.part("Mobile").contribution, d.part("Mobile").share
    ('Mobile', -20.0, 1.0)
    """
    if actual is None or previous is None or not segments:
        return None
    change = actual - previous
    parts = []
    for name, a, p in segments:
        delta = float((a or 0.0) - (p or 0.0))
        share = delta / change if change else None
        parts.append(DriverPart(segment=name, contribution=delta, share=share))
    rest = change - math.fsum(p.contribution for p in parts)
    unsegmented = None
    if abs(rest) > _noise(actual, previous):
        unsegmented = DriverPart("", rest, rest / change if change else None)
    return Drivers(
        method="delta",
        actual=float(actual),
        previous=float(previous),
        parts=parts,
        unsegmented=unsegmented,
        top=_top(parts, change),
    )


def rate_mix_drivers(
    total: RatioPart,
    segments: Sequence[tuple[str, RatioPart]],
    scale: float = 1.0,
    weight_of: str = "",
) -> Drivers | None:
    """The rate/mix split of a ratio A = scale × X / Y over segments.

    ``total`` holds X and Y of the whole KPI; each segment its own X_g and Y_g (what
    the segments leave over is the unsegmented part). None when Y is 0 in either
    period, or when a part has a numerator but no denominator (its rate is
    undefined, so no split can be exact).

    >>> d = rate_mix_drivers(RatioPart(52, 100, 41, 100),
    ...     [("Mobile", RatioPart(37, 58, 16, 40)), ("Desktop", RatioPart(15, 42, 25, 60))])
    >>> round(d.rate_effect + d.mix_effect, 12) == round(0.52 - 0.41, 12)
    True
    """
    if total.y == 0 or total.previous_y == 0 or not segments:
        return None
    if not all(math.isfinite(v) for v in (total.x, total.y, total.previous_x, total.previous_y)):
        return None
    actual = scale * total.x / total.y
    previous = scale * total.previous_x / total.previous_y
    rest = RatioPart(
        total.x - math.fsum(s.x for _, s in segments),
        total.y - math.fsum(s.y for _, s in segments),
        total.previous_x - math.fsum(s.previous_x for _, s in segments),
        total.previous_y - math.fsum(s.previous_y for _, s in segments),
    )
    # Remainders that are rounding noise are exactly zero, so they are no part.
    rest = RatioPart(
        0.0 if abs(rest.x) <= _noise(total.x) else rest.x,
        0.0 if abs(rest.y) <= _noise(total.y) else rest.y,
        0.0 if abs(rest.previous_x) <= _noise(total.previous_x) else rest.previous_x,
        0.0 if abs(rest.previous_y) <= _noise(total.previous_y) else rest.previous_y,
    )
    every_part = [*segments, ("", rest)]
    for _, part in every_part:
        if (part.y == 0 and part.x != 0) or (part.previous_y == 0 and part.previous_x != 0):
            return None  # a numerator without a denominator: its rate is undefined
    change = actual - previous
    parts = [
        _split(name, part, total, scale, change)
        for name, part in every_part
        if part.y != 0 or part.previous_y != 0
    ]
    unsegmented = parts.pop() if parts and parts[-1].segment == "" else None
    every = parts + ([unsegmented] if unsegmented else [])
    return Drivers(
        method="rate_mix",
        actual=actual,
        previous=previous,
        parts=parts,
        unsegmented=unsegmented,
        rate_effect=math.fsum(p.rate_effect or 0.0 for p in every),
        mix_effect=math.fsum(p.mix_effect or 0.0 for p in every),
        top=_top(parts, change),
        weight_of=weight_of,
    )


def _split(name: str, part: RatioPart, total: RatioPart, scale: float, change: float) -> DriverPart:
    """One part's rate and mix effects (it has a denominator in at least one period)."""
    weight = part.y / total.y
    previous_weight = part.previous_y / total.previous_y
    rate = scale * part.x / part.y if part.y else None
    previous_rate = scale * part.previous_x / part.previous_y if part.previous_y else None
    # A part missing in one period takes the other period's rate there.
    r = rate if rate is not None else previous_rate
    r_before = previous_rate if previous_rate is not None else rate
    assert r is not None and r_before is not None
    rate_effect = previous_weight * (r - r_before)
    mix_effect = (weight - previous_weight) * r
    contribution = rate_effect + mix_effect
    return DriverPart(
        segment=name,
        contribution=contribution,
        share=contribution / change if change else None,
        rate_effect=rate_effect,
        mix_effect=mix_effect,
        rate=rate,
        previous_rate=previous_rate,
        weight=weight,
        previous_weight=previous_weight,
    )
