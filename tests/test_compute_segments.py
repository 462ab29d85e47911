"""Segments, drivers, funnels and actions (docs/arithmetic.md, "Segments" onwards)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpisheets.calc import compute
from kpisheets.calc import formula as fx
from kpisheets.calc.drivers import RatioPart, delta_drivers, rate_mix_drivers
from kpisheets.calc.funnels import judge_steps
from kpisheets.calc.segments import ratio_of
from kpisheets.model import Status
from kpisheets.result import FunnelStep
from tests.builders import action, kpi, seg, tracker

D = dt.date
AS_OF = D(2026, 11, 15)


def run(kpis, entries=(), targets=(), actions=(), as_of=AS_OF, **settings):
    return compute(tracker(kpis, entries, targets, actions=actions, as_of=as_of, **settings))


# ---------------------------------------------------------------------------
# Segments


def test_sum_segments_have_values_previous_change_and_share() -> None:
    entries = [
        seg("2026-10-03", "S", 100, "Mobile"),
        seg("2026-10-14", "S", 50, "Desktop"),
        seg("2026-10-20", "S", 999, "Mobile"),  # after the same elapsed day: not in P
        seg("2026-11-02", "S", 150, "Mobile"),
        seg("2026-11-03", "S", 30, "desktop "),  # grouped with Desktop
        ("2026-11-04", "S", 20),  # no segment: in the total only
    ]
    s = run([kpi("S", target=400)], entries).kpi("S")
    assert (s.actual, s.previous) == (200, 150)
    assert [x.name for x in s.segments] == ["Mobile", "Desktop"]
    mobile, desktop = s.segments
    assert (mobile.actual, mobile.previous, mobile.change, mobile.share) == (150, 100, 0.5, 0.75)
    assert (desktop.actual, desktop.previous, desktop.share) == (30, 50, 0.15)
    assert desktop.change == pytest.approx(-0.4)
    assert mobile.history[-2:] == [1099, 150]  # history holds full periods
    assert mobile.status is None and mobile.target is None  # no segment target


def test_a_kpi_without_segmented_entries_has_no_segments() -> None:
    s = run([kpi("S", target=1)], [("2026-11-02", "S", 5)]).kpi("S")
    assert s.segments == [] and s.drivers is None
    # Segments only from the current or previous period count.
    old = run([kpi("S", target=1)], [seg("2026-08-02", "S", 5, "EU"), ("2026-11-02", "S", 5)])
    assert old.kpi("S").segments == []


def test_segment_targets_give_score_and_status_but_not_the_kpi_target() -> None:
    entries = [seg("2026-11-02", "S", 300, "EMEA"), seg("2026-11-02", "S", 200, "APAC")]
    targets = [("S", "2026-11-01", 500, "EMEA"), ("S", "2026-11-01", 2000, "Americas")]
    s = run([kpi("S", target=1000)], entries, targets).kpi("S")
    assert s.target == 1000  # segment rows never replace the KPI's target
    emea, apac, americas = s.segments
    # E = 500 × 0.5 = 250; 300 / 250 = 120%.
    assert (emea.target, emea.expected, emea.score, emea.status) == (500, 250, 1.2, Status.ON_TRACK)
    assert apac.status is None
    assert (americas.name, americas.actual, americas.status) == ("Americas", None, Status.NO_DATA)


def test_segment_scores_follow_direction_and_range() -> None:
    entries = [seg("2026-11-02", "C", 0.06, "SMB"), seg("2026-11-02", "C", 0.03, "Enterprise")]
    targets = [("C", "2026-11-01", 0.05, "SMB"), ("C", "2026-11-01", 0.05, "Enterprise")]
    c = run([kpi("C", aggregation="average", direction="lower", target=0.05)], entries, targets)
    ent, smb = c.kpi("C").segments  # as many entries each: by name
    assert smb.score == pytest.approx(0.8) and smb.status is Status.OFF_TRACK
    assert ent.score == pytest.approx(1.4) and ent.status is Status.ON_TRACK
    r = run(
        [kpi("T", aggregation="last", direction="range", target=20, tolerance=1)],
        [seg("2026-11-02", "T", 21.5, "Lab")],
        [("T", "2026-11-01", 20, "Lab")],
    )
    assert r.kpi("T").segment("lab").status is Status.AT_RISK


def test_formula_segments_where_every_input_has_the_segment() -> None:
    entries = [
        seg("2026-11-02", "LEADS", 10, "Mobile"),
        seg("2026-11-02", "LEADS", 30, "Desktop"),
        seg("2026-11-02", "VISITS", 500, "Mobile"),
        seg("2026-11-02", "VISITS", 500, "Desktop"),
        seg("2026-11-02", "VISITS", 100, "Tablet"),  # no Tablet leads: no Tablet rate
    ]
    kpis = [
        kpi("LEADS"),
        kpi("VISITS"),
        kpi("CONV", aggregation="formula", formula="leads / visits * 100", target=5),
    ]
    conv = run(kpis, entries).kpi("CONV")
    assert conv.actual == pytest.approx(40 / 1100 * 100)
    assert {s.name: s.actual for s in conv.segments} == {"Desktop": 6.0, "Mobile": 2.0}
    assert [s.name for s in conv.segments] == ["Desktop", "Mobile"]  # by visits, then name


def test_nested_formulas_are_segmented_through_their_inputs() -> None:
    entries = [seg("2026-11-02", "A", 4, "X"), seg("2026-11-02", "B", 2, "X")]
    kpis = [
        kpi("A"),
        kpi("B"),
        kpi("R", aggregation="formula", formula="A / B", target=1),
        kpi("R2", aggregation="formula", formula="R * 10", target=1),
    ]
    assert run(kpis, entries).kpi("R2").segment("X").actual == 20


# ---------------------------------------------------------------------------
# Drivers


def test_sum_drivers_add_up_with_the_unsegmented_rest() -> None:
    entries = [
        seg("2026-10-02", "S", 600, "Mobile"),
        seg("2026-10-02", "S", 400, "Desktop"),
        ("2026-10-02", "S", 100),
        seg("2026-11-02", "S", 300, "Mobile"),
        seg("2026-11-02", "S", 450, "Desktop"),
        ("2026-11-02", "S", 80),
    ]
    d = run([kpi("S", target=1)], entries).kpi("S").drivers
    assert d is not None and d.method == "delta"
    assert (d.actual, d.previous, d.change) == (830, 1100, -270)
    assert d.part("Mobile").contribution == -300 and d.part("Desktop").contribution == 50
    assert d.unsegmented is not None and d.unsegmented.contribution == pytest.approx(-20)
    assert d.part("Mobile").share == pytest.approx(300 / 270)
    assert d.top == "Mobile"


def test_average_drivers_split_into_rate_and_mix() -> None:
    # Handle time, minutes: Phone calls are slow; their share of calls rose.
    entries = [
        *[seg("2026-10-02", "H", 10, "Phone") for _ in range(2)],
        *[seg("2026-10-02", "H", 4, "Chat") for _ in range(8)],
        *[seg("2026-11-02", "H", 10, "Phone") for _ in range(6)],
        *[seg("2026-11-02", "H", 4, "Chat") for _ in range(4)],
    ]
    h = run([kpi("H", aggregation="average", direction="lower", target=5)], entries).kpi("H")
    d = h.drivers
    assert d is not None and d.method == "rate_mix" and d.weight_of == "entries"
    assert (h.previous, h.actual) == (pytest.approx(5.2), pytest.approx(7.6))
    assert d.rate_effect == pytest.approx(0) and d.mix_effect == pytest.approx(2.4)
    phone = d.part("Phone")
    assert (phone.previous_weight, phone.weight) == (pytest.approx(0.2), pytest.approx(0.6))
    assert d.top == "Phone"


def test_nps_drivers_weight_by_responses() -> None:
    entries = [
        *[seg("2026-10-02", "NPS", 10, "Enterprise") for _ in range(5)],
        *[seg("2026-10-02", "NPS", 3, "SMB") for _ in range(5)],
        *[seg("2026-11-02", "NPS", 10, "Enterprise") for _ in range(2)],
        *[seg("2026-11-02", "NPS", 3, "SMB") for _ in range(8)],
    ]
    n = run([kpi("NPS", aggregation="nps", target=20)], entries).kpi("NPS")
    assert (n.previous, n.actual) == (0, -60)
    d = n.drivers
    assert d is not None and d.weight_of == "responses"
    assert d.rate_effect == pytest.approx(0) and d.mix_effect == pytest.approx(-60)
    assert d.top == "SMB"


def test_last_has_segments_but_no_drivers() -> None:
    entries = [seg("2026-10-02", "L", 5, "A"), seg("2026-11-02", "L", 7, "A")]
    last = run([kpi("L", aggregation="last", target=1)], entries).kpi("L")
    assert last.segment("A").actual == 7 and last.drivers is None


def test_ratio_of_recognises_scaled_linear_ratios() -> None:
    r = ratio_of(fx.parse("(won + won_partner) / (leads - spam) * 100"))
    assert r is not None and r.scale == 100
    assert r.numerator == {"won": 1.0, "won_partner": 1.0}
    assert r.denominator == {"leads": 1.0, "spam": -1.0}
    assert ratio_of(fx.parse("100 * a / b")) is not None
    assert ratio_of(fx.parse("a / b + 1")) is None
    assert ratio_of(fx.parse("a / (b + 1)")) is None  # a constant is in no segment


def test_no_rate_mix_split_when_a_numerator_has_no_denominator() -> None:
    total = RatioPart(10, 10, 5, 10)
    assert rate_mix_drivers(total, [("A", RatioPart(3, 0, 0, 0))]) is None
    assert rate_mix_drivers(RatioPart(1, 0, 1, 1), [("A", RatioPart(1, 0, 1, 1))]) is None


amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)
counts = st.floats(min_value=1, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(st.tuples(amounts, counts, amounts, counts), min_size=1, max_size=5),
    rest=st.one_of(st.none(), st.tuples(amounts, counts, amounts, counts)),
    scale=st.sampled_from([1.0, 100.0, 0.5]),
)
def test_rate_and_mix_add_up_to_the_change(parts, rest, scale) -> None:
    """The split is exact: rate + mix = A − P, and the parts sum to the change."""
    rows = [*parts, *([rest] if rest else [])]
    total = RatioPart(*(math.fsum(r[n] for r in rows) for n in range(4)))
    segments = [(f"S{i}", RatioPart(*p)) for i, p in enumerate(parts)]
    d = rate_mix_drivers(total, segments, scale=scale)
    assert d is not None
    change = scale * (total.x / total.y - total.previous_x / total.previous_y)
    size = max(1.0, abs(d.actual), abs(d.previous))
    assert d.rate_effect + d.mix_effect == pytest.approx(change, abs=1e-9 * size)
    every = d.parts + ([d.unsegmented] if d.unsegmented else [])
    assert math.fsum(p.contribution for p in every) == pytest.approx(change, abs=1e-9 * size)
    assert math.fsum(p.weight for p in every) == pytest.approx(1)


@settings(max_examples=40, deadline=None)
@given(
    a=st.lists(st.tuples(st.text("ABCD", min_size=1, max_size=1), st.integers(1, 9), st.integers(1, 9),
                         st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12),
)  # fmt: skip
def test_rate_and_mix_add_up_through_compute(a) -> None:
    """The same through compute: a BOUNCES / SESSIONS formula over random entries."""
    entries = []
    for name, prev_day, day, sessions, bounces in a:
        for date, value in ((D(2026, 10, prev_day), sessions), (D(2026, 11, day), sessions)):
            entries.append(seg(date, "SESSIONS", value + 1, name))
            entries.append(seg(date, "BOUNCES", min(bounces, value + 1), name))
    kpis = [
        kpi("SESSIONS"),
        kpi("BOUNCES"),
        kpi("BR", aggregation="formula", formula="BOUNCES / SESSIONS", target=0.3),
    ]
    br = run(kpis, entries).kpi("BR")
    assume(br.actual is not None and br.previous is not None)
    d = br.drivers
    assert d is not None
    assert d.rate_effect + d.mix_effect == pytest.approx(br.actual - br.previous, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.one_of(st.none(), amounts), st.one_of(st.none(), amounts)), max_size=5
    ),
    rest=st.tuples(amounts, amounts),
)
def test_deltas_add_up_to_the_change(parts, rest) -> None:
    actual = math.fsum(a or 0 for a, _ in parts) + rest[0]
    previous = math.fsum(p or 0 for _, p in parts) + rest[1]
    d = delta_drivers(actual, previous, [(f"S{i}", a, p) for i, (a, p) in enumerate(parts)])
    if not parts:
        assert d is None
        return
    assert d is not None
    every = d.parts + ([d.unsegmented] if d.unsegmented else [])
    total = math.fsum(p.contribution for p in every)
    assert total == pytest.approx(actual - previous, abs=1e-6 * max(1, actual, previous))
    if d.top is not None:  # it moved the KPI the way it went, more than any other segment
        top = d.part(d.top).contribution
        assert top != 0 and (top > 0) == (actual > previous)
        assert all(abs(p.contribution) <= abs(top) or (p.contribution > 0) != (top > 0)
                   for p in d.parts)  # fmt: skip


# ---------------------------------------------------------------------------
# Funnels


def funnel_kpis(**changes):
    stages = ["LEADS", "QUALIFIED", "PROPOSALS", "WON"]
    targets = {"LEADS": 400, "QUALIFIED": 200, "PROPOSALS": 100, "WON": 30}
    return [kpi(s, funnel="Sales", target=targets[s], **changes.get(s, {})) for s in stages]


FUNNEL_ENTRIES = [
    ("2026-10-05", "LEADS", 180),
    ("2026-10-05", "QUALIFIED", 90),
    ("2026-10-05", "PROPOSALS", 45),
    ("2026-10-05", "WON", 12),
    ("2026-11-05", "LEADS", 200),
    ("2026-11-05", "QUALIFIED", 100),
    ("2026-11-05", "PROPOSALS", 30),
    ("2026-11-05", "WON", 9),
]


def test_funnel_conversions_and_bottleneck_against_target() -> None:
    r = run(funnel_kpis(), FUNNEL_ENTRIES)
    (f,) = r.funnels
    assert f.name == "Sales" and [s.kpi for s in f.stages] == [
        "LEADS",
        "QUALIFIED",
        "PROPOSALS",
        "WON",
    ]
    leads_q, q_prop, prop_won = f.steps
    assert (leads_q.conversion, leads_q.previous, leads_q.target) == (0.5, 0.5, 0.5)
    assert (q_prop.conversion, q_prop.previous, q_prop.target) == (0.3, 0.5, 0.5)
    assert prop_won.conversion == pytest.approx(0.3) and prop_won.target == pytest.approx(0.3)
    assert q_prop.reference == "target" and q_prop.gap == pytest.approx(-0.4)
    assert f.bottleneck is q_prop and not leads_q.bottleneck
    assert f.overall == pytest.approx(9 / 200)
    assert r.to_dict()["funnels"][0]["bottleneck"] == {"from": "QUALIFIED", "to": "PROPOSALS"}


def test_without_targets_the_bottleneck_is_judged_against_the_previous_period() -> None:
    kpis = [kpi(k.id, funnel="Sales") for k in funnel_kpis()]
    (f,) = run(kpis, FUNNEL_ENTRIES).funnels
    assert [s.reference for s in f.steps] == ["previous"] * 3
    assert f.bottleneck is not None and f.bottleneck.source == "QUALIFIED"


def test_no_bottleneck_when_every_step_holds() -> None:
    steps = judge_steps(
        [FunnelStep("A", "B", 0.5, 0.4, None), FunnelStep("B", "C", 0.3, None, 0.3)]
    )
    assert [s.bottleneck for s in steps] == [False, False] and all(s.holds for s in steps)


def test_a_target_shortfall_outranks_a_bigger_drop_against_last_period() -> None:
    steps = judge_steps(
        [FunnelStep("A", "B", 0.1, 0.5, None), FunnelStep("B", "C", 0.29, 0.3, 0.3)]
    )
    assert [s.bottleneck for s in steps] == [False, True]


@pytest.mark.parametrize(
    ("changes", "culprit", "words"),
    [
        ({"WON": {"aggregation": "average"}}, "WON", "Average"),
        ({"PROPOSALS": {"frequency": "week"}}, "PROPOSALS", "another period"),
    ],
)
def test_funnel_stage_problems(changes, culprit, words) -> None:
    r = run(funnel_kpis(**changes), FUNNEL_ENTRIES)
    assert r.funnels == []
    (p,) = [p for p in r.problems if p.code == "funnel-stage"]
    assert (p.kpi, p.severity, p.column) == (culprit, "warning", "Funnel")
    assert words in p.message


def test_a_funnel_of_one_stage_is_a_problem_and_inactive_kpis_are_no_stages() -> None:
    kpis = [kpi("A", funnel="Solo", target=1), kpi("B", funnel="solo", active=False)]
    r = run(kpis, [("2026-11-02", "A", 1)])
    assert r.funnels == [] and [p.code for p in r.problems] == ["funnel-stage"]


# ---------------------------------------------------------------------------
# Actions


def test_actions_open_overdue_done_this_period_and_no_action_planned() -> None:
    actions = [
        action("S", "Call the top ten", date="2026-11-01", due="2026-11-10"),  # overdue
        action("S", "New pricing page", date="2026-11-03", due="2026-11-30", owner="Ana"),
        action(
            "S",
            "Fix the checkout bug",
            date="2026-10-20",
            due="2026-11-05",
            status="done",
            result="Checkout errors down 80%",
        ),  # fmt: skip
        action("S", "Old idea", date="2026-09-01", status="dropped"),
        action("S", "Logged after D", date="2026-11-20"),
        action("T", "Done long ago", date="2026-08-01", due="2026-08-15", status="done"),
        action("nope", "Unknown KPI: left out here, reported by validation"),
    ]
    entries = [("2026-11-02", "S", 100), ("2026-11-02", "T", 10)]
    r = run([kpi("S", target=1000), kpi("T", target=1000)], entries, actions=actions)
    s, t = r.kpi("S"), r.kpi("T")
    assert [a.action for a in s.actions] == [
        "Call the top ten", "New pricing page", "Fix the checkout bug", "Old idea"]  # fmt: skip
    assert [a.action for a in s.open_actions] == ["Call the top ten", "New pricing page"]
    assert [a.overdue for a in s.actions] == [True, False, False, False]
    assert [a.done_this_period for a in s.actions] == [False, False, True, False]
    assert s.status is Status.OFF_TRACK and not s.no_action_planned
    assert t.status is Status.OFF_TRACK and t.no_action_planned
    assert not t.actions[0].done_this_period
    d = r.to_dict()["kpis"][0]
    assert d["actions"][0]["overdue"] is True and d["no_action_planned"] is False


def test_json_carries_segments_and_drivers() -> None:
    entries = [seg("2026-10-02", "S", 10, "A"), seg("2026-11-02", "S", 30, "A")]
    d = run([kpi("S", target=100)], entries).to_dict()["kpis"][0]
    assert d["segments"][0]["name"] == "A" and d["segments"][0]["actual"] == 30
    assert d["drivers"]["method"] == "delta" and d["drivers"]["top"] == "A"
    assert d["drivers"]["parts"][0]["contribution"] == 20


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 75),  # days back from 15 November
            st.sampled_from(["S", "AV", "L", "MN", "MX", "C", "N", "F"]),
            st.integers(0, 10),
            st.sampled_from([None, "Mobile", "Desktop", " mobile", "Tablet"]),
        ),
        max_size=40,
    )
)
def test_segments_never_change_a_kpis_own_figures(rows) -> None:
    """Totals come from adding segments back together: they must equal the figures
    of the same entries without any Segment, for every aggregation."""
    kpis = [
        kpi("S", target=10),
        kpi("AV", aggregation="average", target=5),
        kpi("L", aggregation="last", target=5),
        kpi("MN", aggregation="min", target=5),
        kpi("MX", aggregation="max", target=5),
        kpi("C", aggregation="count", target=5),
        kpi("N", aggregation="nps", target=5),
        kpi("W", aggregation="sum", target=5, frequency="week"),
        kpi("F", aggregation="formula", formula="S / C", target=1),
    ]
    with_segments = [
        seg(AS_OF - dt.timedelta(days=back), k if k != "F" else "W", v, g) for back, k, v, g in rows
    ]
    without = [(d, k, v) for d, k, v, *_ in with_segments]
    a, b = run(kpis, with_segments), run(kpis, without)
    for x, y in zip(a.kpis, b.kpis, strict=True):
        assert (x.actual, x.previous, x.status) == (y.actual, y.previous, y.status), x.id
        assert [h.value for h in x.history] == [h.value for h in y.history], x.id
