"""The compute core: the arithmetic of docs/arithmetic.md on a validated tracker, pure
pandas/numpy.

``compute(tracker, as_of)`` gives a :class:`kpisheets.result.Result`; the small pure
functions (``achievement``, ``score_status``, ``range_status``, ``range_score``,
``nps``, ``expected_by_now``) are also used for Excel worksheet functions.
"""

from kpisheets.calc.arithmetic import (
    achievement,
    expected_by_now,
    nps,
    range_score,
    range_status,
    score_status,
)
from kpisheets.calc.engine import compute, scheme_for
from kpisheets.calc.periods import Calendar, Window, elapsed_fraction

__all__ = [
    "Calendar",
    "Window",
    "achievement",
    "compute",
    "elapsed_fraction",
    "expected_by_now",
    "nps",
    "range_score",
    "range_status",
    "scheme_for",
    "score_status",
]
