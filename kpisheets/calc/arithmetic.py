"""The small pure formulas of the arithmetic (docs/arithmetic.md), usable one value at
a time (also from Excel worksheet functions): achievement, within-range score, status,
NPS, expected-by-now.

Status boundaries are decided exactly, on the decimal numbers the figures stand for:
each figure is taken at Excel's 15 significant digits (what Excel keeps of a typed
number, and what drops the binary noise of a sum such as 0.1 + 0.2) and the score is
compared with the thresholds in exact fractions. A figure exactly on a threshold
reaches it; one a billionth below does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from kpisheets.model import Direction, Status

SIGNIFICANT_DIGITS = 15  # what Excel keeps of a number

Figure = float | int | Fraction

_DIRECTIONS = {
    "higher": Direction.HIGHER,
    "higher is better": Direction.HIGHER,
    "lower": Direction.LOWER,
    "lower is better": Direction.LOWER,
    "range": Direction.RANGE,
    "within range": Direction.RANGE,
}


def as_direction(direction: Direction | str) -> Direction:
    """A Direction from an enum or the KPIs sheet's spellings (``higher``, ``Lower is
    better``…; docs/workbook.md)."""
    if isinstance(direction, Direction):
        return direction
    try:
        return _DIRECTIONS[str(direction).strip().lower()]
    except KeyError:
        raise ValueError(
            f"{direction!r} is not a direction; use Higher is better, Lower is better "
            "or Within range."
        ) from None


def _blank(x: Figure | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def decimal_value(x: Figure) -> Fraction:
    """The decimal number a figure stands for, exactly: a float at Excel's 15
    significant digits; a Fraction as it is.

    >>> decimal_value(0.1 + 0.2), decimal_value(0.8999999995)
    (Fraction(3, 10), Fraction(1799999999, 2000000000))
    """
    if isinstance(x, Fraction):
        return x
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return Fraction(Decimal(format(value, f".{SIGNIFICANT_DIGITS}g")))


def as_float(x: Fraction | None) -> float | None:
    """An exact figure as the nearest float; ±inf beyond the largest float."""
    if x is None:
        return None
    try:
        return float(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _exact(x: Figure | None) -> Fraction | None:
    if isinstance(x, Fraction) or x is None:
        return x
    return decimal_value(x) if math.isfinite(x) else None


def achievement(
    x: Figure | None,
    r: Figure | None,
    direction: Direction | str = Direction.HIGHER,
    baseline: Figure | None = None,
    tolerance: Figure | None = None,
) -> float | None:
    """Achievement a of a value ``x`` against a reference ``r`` (docs/arithmetic.md),
    as a fraction.

    - higher is better: ``1 + (x − r) / |r|``; lower is better: ``1 − (x − r) / |r|``;
    - ``r = 0``: 1 when x meets it (x ≥ 0 higher, x ≤ 0 lower), else 0;
    - with a ``baseline`` B ≠ r, either direction: ``(x − B) / (r − B)``;
    - within range: :func:`range_score` with ``tolerance`` (blank tolerance = 0).

    Blank ``x`` or ``r`` (None or NaN) gives None. Computed exactly
    (:func:`exact_achievement`) and rounded once to a float.

    >>> achievement(90, 100, "higher"), achievement(90, 100, "lower")
    (0.9, 1.1)
    >>> achievement(-80, -100, "higher")
    1.2
    >>> achievement(30, 50, "lower", baseline=10)
    0.5
    """
    return as_float(exact_achievement(x, r, direction, baseline, tolerance))


def exact_achievement(
    x: Figure | None,
    r: Figure | None,
    direction: Direction | str = Direction.HIGHER,
    baseline: Figure | None = None,
    tolerance: Figure | None = None,
) -> Fraction | None:
    """:func:`achievement` as an exact fraction of the figures' decimal values, for
    comparing with thresholds.

    >>> exact_achievement(0.8999999995, 1)
    Fraction(1799999999, 2000000000)
    """
    x_, r_ = _exact(x), _exact(r)
    if x_ is None or r_ is None:
        return None
    d = as_direction(direction)
    if d is Direction.RANGE:
        return exact_range_score(x_, r_, tolerance)
    b = _exact(baseline)
    if b is not None and b != r_:
        return (x_ - b) / (r_ - b)
    if r_ == 0:
        meets = x_ >= 0 if d is Direction.HIGHER else x_ <= 0
        return Fraction(1 if meets else 0)
    change = (x_ - r_) / abs(r_)
    return 1 + change if d is Direction.HIGHER else 1 - change


def range_score(x: Figure | None, target: Figure | None, tolerance: Figure | None) -> float | None:
    """Within-range score: 1 when ``|x − T| ≤ tolerance``, else
    ``max(0, 1 − (|x − T| − tolerance) / |T|)``; 0 outside the tolerance when T = 0.

    >>> range_score(104, 100, 5), range_score(110, 100, 5)
    (1.0, 0.95)
    """
    return as_float(exact_range_score(x, target, tolerance))


def exact_range_score(
    x: Figure | None, target: Figure | None, tolerance: Figure | None
) -> Fraction | None:
    """:func:`range_score` as an exact fraction of the figures' decimal values."""
    x_, t_ = _exact(x), _exact(target)
    if x_ is None or t_ is None:
        return None
    tol = abs(_exact(tolerance) or Fraction(0))
    miss = abs(x_ - t_)
    if miss <= tol:
        return Fraction(1)
    if t_ == 0:
        return Fraction(0)
    return max(Fraction(0), 1 - (miss - tol) / abs(t_))


def score_status(
    score: Figure | None, green_at: Figure | None = 1.0, amber_at: Figure | None = 0.9
) -> Status:
    """Status from a score: On track (s ≥ green_at), At risk (s ≥ amber_at), else Off
    track; a blank score is No data. Thresholds are fractions (100% = 1.0); blank
    thresholds use the defaults 1.0 and 0.9. Compared exactly on the decimal values
    (pass the :func:`exact_achievement` of the figures to decide on them rather than
    on a rounded score): a score exactly on a threshold reaches it.

    >>> score_status(0.95).value, score_status(0.95, green_at=0.9, amber_at=0.8).value
    ('at_risk', 'on_track')
    >>> score_status(0.9).value, score_status(0.8999999995).value
    ('at_risk', 'off_track')
    """
    if _blank(score):
        return Status.NO_DATA
    assert score is not None
    if not isinstance(score, Fraction) and math.isinf(score):
        return Status.ON_TRACK if score > 0 else Status.OFF_TRACK
    s = decimal_value(score)
    green = Fraction(1) if _blank(green_at) else decimal_value(green_at)  # type: ignore[arg-type]
    amber = Fraction(9, 10) if _blank(amber_at) else decimal_value(amber_at)  # type: ignore[arg-type]
    if s >= green:
        return Status.ON_TRACK
    if s >= amber:
        return Status.AT_RISK
    return Status.OFF_TRACK


def range_status(x: Figure | None, target: Figure | None, tolerance: Figure | None) -> Status:
    """Within-range status: On track inside the tolerance, At risk within twice it,
    Off track beyond; blank value is No data, blank target No target. Decided exactly
    on the decimal values: a miss equal to the tolerance is inside it.

    >>> range_status(104, 100, 5).value, range_status(108, 100, 5).value
    ('on_track', 'at_risk')
    >>> range_status(1e12 + 900, 1e12, 0).value
    'off_track'
    """
    x_, t_ = _exact(x), _exact(target)
    if x_ is None:
        return Status.NO_DATA
    if t_ is None:
        return Status.NO_TARGET
    tol = abs(_exact(tolerance) or Fraction(0))
    miss = abs(x_ - t_)
    if miss <= tol:
        return Status.ON_TRACK
    if miss <= 2 * tol:
        return Status.AT_RISK
    return Status.OFF_TRACK


def nps(scores: Iterable[float | None]) -> float | None:
    """Net Promoter Score = 100 × (share of 9–10 − share of 0–6) over the scores.

    Blank scores and scores outside 0–10 are left out; no scores gives None.

    >>> nps([10, 9, 8, 3])
    25.0
    """
    promoters = detractors = total = 0
    for s in scores:
        if _blank(s):
            continue
        assert s is not None
        if not 0 <= s <= 10:
            continue
        total += 1
        if s >= 9:
            promoters += 1
        elif s <= 6:
            detractors += 1
    if total == 0:
        return None
    return 100.0 * (promoters - detractors) / total


def exact_expected(
    target: Figure | None,
    elapsed: Fraction,
    paced: bool,
    baseline: Figure | None = None,
    glide: bool = False,
) -> Fraction | None:
    """:func:`expected_by_now` as an exact fraction of the decimal values, with the
    elapsed fraction exact (days / days in period)."""
    t = _exact(target)
    if t is None:
        return None
    if paced:
        return t * elapsed
    b = _exact(baseline)
    if glide and b is not None:
        return b + (t - b) * elapsed
    return t


def expected_by_now(
    target: float | None,
    elapsed: float,
    paced: bool,
    baseline: float | None = None,
    glide: bool = False,
) -> float | None:
    """E, where the KPI should be at D: ``T × f`` when ``paced`` (Sum, Count);
    ``B + (T − B) × f`` on a ``glide`` path (Baseline, Start and End set); else T.

    >>> expected_by_now(10000, 0.5, paced=True), expected_by_now(40, 0.5, False, 20, True)
    (5000.0, 30.0)
    """
    if _blank(target):
        return None
    assert target is not None
    if paced:
        return float(target) * elapsed
    if glide and not _blank(baseline):
        assert baseline is not None
        return baseline + (target - baseline) * elapsed
    return float(target)
