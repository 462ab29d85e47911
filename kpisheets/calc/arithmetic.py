"""The small pure formulas of docs/arithmetic.md, usable one value at a time (also from Excel
worksheet functions): achievement, within-range score, status, NPS, expected-by-now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from kpisheets.model import Direction, Status

# Scores are compared with the thresholds with this slack, so that 90 against 100
# is "exactly 90%" even when floating point makes it 0.8999999999999999.
EPSILON = 1e-9

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


def _blank(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def achievement(
    x: float | None,
    r: float | None,
    direction: Direction | str = Direction.HIGHER,
    baseline: float | None = None,
    tolerance: float | None = None,
) -> float | None:
    """Achievement a of a value ``x`` against a reference ``r`` (docs/arithmetic.md), as a fraction.

    - higher is better: ``1 + (x − r) / |r|``; lower is better: ``1 − (x − r) / |r|``;
    - ``r = 0``: 1 when x meets it (x ≥ 0 higher, x ≤ 0 lower), else 0;
    - with a ``baseline`` B ≠ r, either direction: ``(x − B) / (r − B)``;
    - within range: :func:`range_score` with ``tolerance`` (blank tolerance = 0).

    Blank ``x`` or ``r`` (None or NaN) gives None.

    >>> achievement(90, 100, "higher"), achievement(90, 100, "lower")
    (0.9, 1.1)
    >>> achievement(-80, -100, "higher")
    1.2
    >>> achievement(30, 50, "lower", baseline=10)
    0.5
    """
    if _blank(x) or _blank(r):
        return None
    assert x is not None and r is not None
    d = as_direction(direction)
    if d is Direction.RANGE:
        return range_score(x, r, tolerance)
    if not _blank(baseline) and baseline != r:
        assert baseline is not None
        return (x - baseline) / (r - baseline)
    if r == 0:
        meets = x >= 0 if d is Direction.HIGHER else x <= 0
        return 1.0 if meets else 0.0
    change = (x - r) / abs(r)
    return 1 + change if d is Direction.HIGHER else 1 - change


def range_score(x: float | None, target: float | None, tolerance: float | None) -> float | None:
    """Within-range score: 1 when ``|x − T| ≤ tolerance``, else
    ``max(0, 1 − (|x − T| − tolerance) / |T|)``; 0 outside the tolerance when T = 0.

    >>> range_score(104, 100, 5), range_score(110, 100, 5)
    (1.0, 0.95)
    """
    if _blank(x) or _blank(target):
        return None
    assert x is not None and target is not None
    tol = 0.0 if _blank(tolerance) else abs(float(tolerance))  # type: ignore[arg-type]
    miss = abs(x - target)
    if miss <= tol + EPSILON * max(1.0, abs(target)):
        return 1.0
    if target == 0:
        return 0.0
    return max(0.0, 1 - (miss - tol) / abs(target))


def score_status(
    score: float | None, green_at: float | None = 1.0, amber_at: float | None = 0.9
) -> Status:
    """Status from a score: On track (s ≥ green_at), At risk (s ≥ amber_at), else Off
    track; a blank score is No data. Thresholds are fractions (100% = 1.0); blank
    thresholds use the Settings defaults 1.0 and 0.9.

    >>> score_status(0.95).value, score_status(0.95, green_at=0.9, amber_at=0.8).value
    ('at_risk', 'on_track')
    """
    if _blank(score):
        return Status.NO_DATA
    assert score is not None
    green = 1.0 if _blank(green_at) else float(green_at)  # type: ignore[arg-type]
    amber = 0.9 if _blank(amber_at) else float(amber_at)  # type: ignore[arg-type]
    if score >= green - EPSILON:
        return Status.ON_TRACK
    if score >= amber - EPSILON:
        return Status.AT_RISK
    return Status.OFF_TRACK


def range_status(x: float | None, target: float | None, tolerance: float | None) -> Status:
    """Within-range status: On track inside the tolerance, At risk within twice it,
    Off track beyond; blank value is No data, blank target No target.

    >>> range_status(104, 100, 5).value, range_status(108, 100, 5).value
    ('on_track', 'at_risk')
    """
    if _blank(x):
        return Status.NO_DATA
    if _blank(target):
        return Status.NO_TARGET
    assert x is not None and target is not None
    tol = 0.0 if _blank(tolerance) else abs(float(tolerance))  # type: ignore[arg-type]
    miss = abs(x - target)
    slack = EPSILON * max(1.0, abs(target))
    if miss <= tol + slack:
        return Status.ON_TRACK
    if miss <= 2 * tol + slack:
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
