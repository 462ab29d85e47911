"""Sentences that explain a KPI in a meeting: where its gap comes from (the driver
sentence), what is being done about it (actions), and where a funnel leaks.

Written once here and used by the Summary sheet and every export, so the words are
the same on paper, on a slide and in chat. Plain text, never markup; figures use
each KPI's own number format.
"""

from __future__ import annotations

import datetime as dt

from kpisheets.formatting import format_value, percent
from kpisheets.model import Status
from kpisheets.result import ActionResult, DriverPart, Drivers, FunnelResult, FunnelStep, KpiResult

OTHERS_SHOWN = 3  # segments named after the top driver before "…"
NEEDS_EXPLAINING = (Status.AT_RISK, Status.OFF_TRACK)
MINUS = "\u2212"


def _signed(value: float, number_format: str) -> str:
    """``+1,200`` / ``−300`` in the KPI's format."""
    text = format_value(abs(value), number_format)
    if text.strip("0.,%$€£ ") == "":
        return text
    return ("+" if value > 0 else MINUS) + text


def _share(value: float | None) -> str:
    return percent(value, blank="—")


def driver_sentence(k: KpiResult) -> str:
    """One sentence saying which segment explains the KPI's change; ``""`` when the
    KPI has no segments.

    For a ratio: ``"Bounce rate 52.5% (41.0% → 52.5%): Mobile 62.9% vs Desktop
    38.1%; Mobile's share of Sessions rose 40% → 58% — the mix explains 39% of the
    rise"``. For a Sum or Count: ``"Sessions 8,200 (10,000 → 8,200): Mobile −1,500
    (83% of the fall); Desktop −300"``. Without a top driver (no change, or a
    Last/Min/Max KPI) it lists the segments' values.
    """
    if not k.segments:
        return ""
    fmt = k.number_format
    d = k.drivers
    if d is None or d.top is None:
        parts = ", ".join(
            f"{s.name} {format_value(s.actual, fmt)}"
            + (f" (target {format_value(s.target, fmt)})" if s.target is not None else "")
            for s in k.segments[: OTHERS_SHOWN + 1]
        )
        more = " …" if len(k.segments) > OTHERS_SHOWN + 1 else ""
        return f"{k.name} {format_value(k.actual, fmt)} by segment: {parts}{more}"
    head = (
        f"{k.name} {format_value(d.actual, fmt)} "
        f"({format_value(d.previous, fmt)} → {format_value(d.actual, fmt)})"
    )
    if d.method == "delta":
        return f"{head}: {_delta_words(d, fmt)}"
    return f"{head}: {_rate_mix_words(d, fmt)}"


def _others(d: Drivers) -> list[DriverPart]:
    others = [p for p in d.parts if p.segment != d.top]
    return sorted(others, key=lambda p: -abs(p.contribution))


def _delta_words(d: Drivers, fmt: str) -> str:
    top = d.part(d.top or "")
    move = "rise" if d.change > 0 else "fall"
    text = f"{top.segment} {_signed(top.contribution, fmt)}"
    if top.share is not None and top.share <= 1 + 1e-9:
        text += f" ({_share(top.share)} of the {move})"
    else:  # the others moved the other way: a share above 100% would puzzle a reader
        text += f" (more than the whole {move})"
    others = _others(d)
    if others:
        shown = ", ".join(
            f"{p.segment} {_signed(p.contribution, fmt)}" for p in others[:OTHERS_SHOWN]
        )
        text += f"; {shown}" + (" …" if len(others) > OTHERS_SHOWN else "")
    return text


def _rate_mix_words(d: Drivers, fmt: str) -> str:
    top = d.part(d.top or "")
    move = "rise" if d.change > 0 else "fall"
    others = [p for p in _others(d) if p.rate is not None]
    rates = f"{top.segment} {format_value(top.rate, fmt)}"
    if others:
        rates += " vs " + ", ".join(
            f"{p.segment} {format_value(p.rate, fmt)}" for p in others[:OTHERS_SHOWN]
        )
    mix, rate = d.mix_effect or 0.0, d.rate_effect or 0.0
    weight_of = d.weight_of or "the total"
    if abs(mix) >= abs(rate):
        shift = "rose" if (top.weight or 0) > (top.previous_weight or 0) else "fell"
        why = (
            f"{top.segment}'s share of {weight_of} {shift} "
            f"{_share(top.previous_weight)} → {_share(top.weight)} — "
            f"{_explains('the mix', mix / d.change, move)}"
        )
    else:
        shift = "rose" if (top.rate or 0) > (top.previous_rate or 0) else "fell"
        why = (
            f"{top.segment} itself {shift} {format_value(top.previous_rate, fmt)} → "
            f"{format_value(top.rate, fmt)} — {_explains('the rates', rate / d.change, move)}"
        )
    return f"{rates}; {why}"


def _explains(effect: str, share: float, move: str) -> str:
    """``"the mix explains 71% of the rise"``; past 100% the other effect pulled the
    other way, and a share above 100% would puzzle a reader."""
    if share > 1 + 1e-9:
        return (
            f"{effect} more than explain the {move}"
            if effect.endswith("s")
            else (f"{effect} more than explains the {move}")
        )
    verb = "explain" if effect.endswith("s") else "explains"
    return f"{effect} {verb} {_share(share)} of the {move}"


def needs_driver_sentence(k: KpiResult) -> bool:
    """At risk or Off track KPIs with segments get a driver sentence on the Summary."""
    return k.status in NEEDS_EXPLAINING and bool(k.segments)


def action_text(a: ActionResult, as_of: dt.date | None = None) -> str:
    """One action as a line: ``"Call the top ten (Ana, due 10 Nov — overdue)"``; a
    Done action of this period ends with its Result (``"… → errors down 80%"``)."""
    details = []
    if a.owner:
        details.append(a.owner)
    if a.due:
        due = f"due {a.due.day} {a.due:%b}"
        if as_of is None or a.due.year != as_of.year:
            due += f" {a.due.year}"
        details.append(due + (" — overdue" if a.overdue else ""))
    text = a.action
    if details:
        text += f" ({', '.join(details)})"
    if a.done_this_period and a.result:
        text += f" → {a.result}"
    return text


def actions_summary(k: KpiResult, as_of: dt.date | None = None) -> str:
    """The actions cell of the Summary: open actions (overdue first) and actions done
    this period with their Result; "No action planned" for an At risk/Off track KPI
    without an open action; ``""`` otherwise.

    Overdue actions start with ``⚠``.
    """
    lines = [("⚠ " if a.overdue else "• ") + action_text(a, as_of) for a in k.open_actions]
    lines += ["✓ Done: " + action_text(a, as_of) for a in k.actions if a.done_this_period]
    if k.no_action_planned:
        lines.insert(0, "No action planned")
    return "\n".join(lines)


def overdue_count(k: KpiResult) -> int:
    """How many of the KPI's open actions are overdue."""
    return sum(1 for a in k.open_actions if a.overdue)


def step_label(f: FunnelResult, step: FunnelStep) -> str:
    """``"Qualified → Proposals"`` with the stages' names."""
    names = {s.kpi: s.name for s in f.stages}
    return (
        f"{names.get(step.source, step.source)} → {names.get(step.destination, step.destination)}"
    )


def bottleneck_sentence(f: FunnelResult) -> str:
    """``"Bottleneck: Qualified → Proposals converts 30% against a target of 50%"``,
    or that every step holds."""
    neck = f.bottleneck
    if neck is None:
        return "No bottleneck: every step converts at or above its target or last period."
    against = "a target of" if neck.reference == "target" else "last period's"
    reference = neck.target if neck.reference == "target" else neck.previous
    return (
        f"Bottleneck: {step_label(f, neck)} converts {percent(neck.conversion)} "
        f"against {against} {percent(reference)}"
    )
