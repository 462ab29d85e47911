"""The sentences the Summary and every export share (kpisheets.explain)."""

from __future__ import annotations

import datetime as dt

from kpisheets.calc import compute
from kpisheets.explain import (
    actions_summary,
    bottleneck_sentence,
    driver_sentence,
    needs_driver_sentence,
    overdue_count,
)
from tests.builders import action, kpi, seg, tracker

AS_OF = dt.date(2026, 11, 15)


def run(kpis, entries=(), targets=(), actions=()):
    return compute(tracker(kpis, entries, targets, actions=actions, as_of=AS_OF))


def test_sum_sentence_names_the_top_segment_and_its_share_of_the_fall() -> None:
    entries = [
        seg("2026-10-02", "SESSIONS", 6000, "Mobile"),
        seg("2026-10-02", "SESSIONS", 4000, "Desktop"),
        seg("2026-11-02", "SESSIONS", 4500, "Mobile"),
        seg("2026-11-02", "SESSIONS", 3700, "Desktop"),
    ]
    s = run([kpi("SESSIONS", unit="visits", target=30000)], entries).kpi("SESSIONS")
    assert needs_driver_sentence(s)
    assert driver_sentence(s) == (
        "Sessions 8,200 visits (10,000 visits → 8,200 visits): "
        "Mobile −1,500 visits (83% of the fall); Desktop −300 visits"
    )


def test_without_a_top_driver_the_sentence_lists_the_segments() -> None:
    entries = [seg("2026-11-02", "L", 4, "North"), seg("2026-11-03", "L", 9, "South")]
    targets = [("L", AS_OF, 5, "North")]
    last = run([kpi("L", aggregation="last", unit="days", target=10)], entries, targets)
    assert driver_sentence(last.kpi("L")) == (
        "L 9 days by segment: North 4 days (target 5 days), South 9 days"
    )
    assert driver_sentence(run([kpi("X", target=1)], [("2026-11-02", "X", 1)]).kpi("X")) == ""


def test_actions_cell_lists_overdue_first_and_done_with_result() -> None:
    actions = [
        action("S", "New pricing page", owner="Ana", due="2026-11-30"),
        action("S", "Call the top ten", owner="Ben", due="2026-11-10"),
        action("S", "Fix checkout", due="2026-11-05", status="done", result="errors −80%"),
    ]
    s = run([kpi("S", target=1000)], [("2026-11-02", "S", 100)], actions=actions).kpi("S")
    assert overdue_count(s) == 1
    assert actions_summary(s, AS_OF).splitlines() == [
        "⚠ Call the top ten (Ben, due 10 Nov — overdue)",
        "• New pricing page (Ana, due 30 Nov)",
        "✓ Done: Fix checkout (due 5 Nov) → errors −80%",
    ]
    lonely = run([kpi("T", target=1000)], [("2026-11-02", "T", 100)]).kpi("T")
    assert actions_summary(lonely, AS_OF) == "No action planned"


def test_bottleneck_sentence_against_last_period_and_when_all_hold() -> None:
    kpis = [kpi("A", funnel="F"), kpi("B", funnel="F")]
    down = [("2026-10-02", "A", 100), ("2026-10-02", "B", 50)]
    (f,) = run(kpis, [*down, ("2026-11-02", "A", 100), ("2026-11-02", "B", 20)]).funnels
    assert bottleneck_sentence(f) == "Bottleneck: A → B converts 20% against last period's 50%"
    (g,) = run(kpis, [*down, ("2026-11-02", "A", 100), ("2026-11-02", "B", 60)]).funnels
    assert bottleneck_sentence(g).startswith("No bottleneck")
