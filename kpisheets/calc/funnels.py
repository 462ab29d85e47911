"""Funnels: KPIs that are consecutive stages of one pipeline, and where it leaks.

A KPI's ``Funnel`` names the funnel it belongs to; the stages are that funnel's
active KPIs in KPIs-sheet row order. Every stage must be a ``Sum`` or ``Count`` KPI
of one period scheme (else a ``funnel-stage`` warning and no funnel). For stages
i → i+1 the conversion is c = A_{i+1} / A_i in the current period to date, against
the previous period up to the same elapsed day and — where both stages have
targets — the target conversion T_{i+1} / T_i.

The **bottleneck** is the step whose conversion falls furthest below its target
conversion (relative); when no step falls below a target conversion, the step
furthest below its previous conversion; none when every step holds. Worked example
in docs/arithmetic.md ("Funnels").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kpisheets.calc.periods import Scheme
from kpisheets.model import Aggregation, KpiDefinition, Problem, Tracker
from kpisheets.result import FunnelResult, FunnelStage, FunnelStep, KpiResult

# A conversion this close below its reference (relative) is rounding, not a leak.
HOLDS_WITHIN = 1e-9


@dataclass(frozen=True)
class FunnelPlan:
    """A funnel whose stages passed the checks: KPI indexes in row order."""

    name: str
    stages: tuple[int, ...]


def plan_funnels(
    tracker: Tracker, schemes: list[Scheme], problems: list[Problem]
) -> list[FunnelPlan]:
    """Group the active KPIs by Funnel (case-insensitive, first spelling shown) and
    check each group; a group that fails adds ``funnel-stage`` warnings to
    ``problems`` and is left out."""
    groups: dict[str, tuple[str, list[int]]] = {}
    for i, k in enumerate(tracker.kpis):
        name = k.funnel.strip()
        if name and k.active:
            groups.setdefault(name.casefold(), (name, []))[1].append(i)
    plans = []
    for name, stages in groups.values():
        found = _check(tracker, schemes, name, stages)
        problems.extend(found)
        if not found:
            plans.append(FunnelPlan(name, tuple(stages)))
    return plans


def _check(tracker: Tracker, schemes: list[Scheme], name: str, stages: list[int]) -> list[Problem]:
    kpis = tracker.kpis
    if len(stages) < 2:
        k = kpis[stages[0]]
        return [
            _problem(
                tracker,
                k,
                f"The funnel {name!r} has only one stage ({k.id}), so it has no conversion "
                "to show.",
                "Give the same Funnel name to the KPIs of the other stages, in pipeline order "
                "(e.g. Leads, Qualified, Won), or clear this one's Funnel.",
            )
        ]
    found = []
    first = kpis[stages[0]]
    for i in stages:
        k = kpis[i]
        if k.aggregation not in (Aggregation.SUM, Aggregation.COUNT):
            found.append(
                _problem(
                    tracker,
                    k,
                    f"{k.id} is a stage of the funnel {name!r} but adds up its entries by "
                    f"{k.aggregation.label}; funnel stages are counts that flow into each other.",
                    "Use Sum or Count for every stage of a funnel, or clear this KPI's Funnel.",
                )
            )
        elif schemes[i].key != schemes[stages[0]].key:
            found.append(
                _problem(
                    tracker,
                    k,
                    f"{k.id} is a stage of the funnel {name!r} with another period than "
                    f"{first.id} (its Frequency or Start/End differ), so their conversions "
                    "would compare different periods.",
                    f"Give {k.id} the Frequency (and Start/End) of {first.id}.",
                )
            )
    return found


def _problem(tracker: Tracker, k: KpiDefinition, message: str, hint: str) -> Problem:
    return Problem(
        code="funnel-stage",
        severity="warning",
        message=message,
        hint=hint,
        sheet=tracker.kpis_sheet,
        cell=tracker.kpi_cell(k, "Funnel"),
        column="Funnel",
        row=k.row,
        kpi=k.id,
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    """b / a, blank when either is blank or a is 0."""
    if a is None or b is None or a == 0:
        return None
    return b / a


def compute_funnels(plans: list[FunnelPlan], by_index: dict[int, KpiResult]) -> list[FunnelResult]:
    """Each planned funnel's stages, steps and bottleneck from its stages' results."""
    out = []
    for plan in plans:
        results = [by_index[i] for i in plan.stages if i in by_index]
        if len(results) < 2:
            continue
        stages = [
            FunnelStage(k.id, k.name, k.actual, k.previous, k.target, k.number_format)
            for k in results
        ]
        steps = [
            FunnelStep(
                source=a.kpi,
                destination=b.kpi,
                conversion=_ratio(a.actual, b.actual),
                previous=_ratio(a.previous, b.previous),
                target=_ratio(a.target, b.target),
            )
            for a, b in zip(stages, stages[1:], strict=False)
        ]
        out.append(FunnelResult(plan.name, results[0].period, stages, judge_steps(steps)))
    return out


def judge_steps(steps: list[FunnelStep]) -> list[FunnelStep]:
    """Set each step's reference and gap, and mark the bottleneck.

    >>> s = judge_steps([FunnelStep("A", "B", 0.5, 0.6, 0.5), FunnelStep("B", "C", 0.2, 0.4, 0.3)])
    >>> [(x.reference, round(x.gap, 3), x.bottleneck) for x in s]
    [('target', 0.0, False), ('target', -0.333, True)]
    """
    judged = []
    for step in steps:
        reference, gap = None, None
        if step.conversion is not None:
            if step.target:
                reference, gap = "target", step.conversion / step.target - 1
            elif step.previous:
                reference, gap = "previous", step.conversion / step.previous - 1
        judged.append(replace(step, reference=reference, gap=gap))
    for basis in ("target", "previous"):
        short = [
            (s.gap, n)
            for n, s in enumerate(judged)
            if s.reference == basis and s.gap is not None and s.gap < -HOLDS_WITHIN
        ]
        if short:
            _, worst = min(short)
            judged[worst] = replace(judged[worst], bottleneck=True)
            break
    return judged
