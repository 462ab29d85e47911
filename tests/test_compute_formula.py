"""Formula KPIs: the tokenizer and parser (never eval), evaluation on period values,
and the formula problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from kpisheets.calc import compute
from kpisheets.calc.formula import FormulaError, evaluate, parse, references, tokenize
from kpisheets.model import Status
from kpisheets.result import Result
from tests.builders import kpi, tracker

D = dt.date
AS_OF = D(2026, 11, 20)


def value(text: str, **env: float) -> float:
    out, _ = evaluate(parse(text), {k.lower(): np.array([v]) for k, v in env.items()}, 1)
    return float(out[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4 / 5", 0.5),
        ("10 - 4 - 3", 3),
        ("-2 * -3", 6),
        ("--2", 2),
        ("+a", 5),
        ("2 * (a - (b + 1))", 4),
        ("1.5e2 + .5", 150.5),
        ("50% * a", 2.5),
        ("=a/b", 5 / 2),
        ("A / b * 100", 250),
    ],
)
def test_arithmetic_and_precedence(text: str, expected: float) -> None:
    assert value(text, a=5, b=2) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "a +",
        "(a",
        "a)",
        "a b",
        "a ** b",
        "2 ^ 3",
        "__import__('os')",
        "a; b",
        "1..2",
        "*a",
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FormulaError):
        parse(text)


def test_tokens_and_references() -> None:
    assert tokenize("Leads/VISITS") == [("id", "Leads"), ("op", "/"), ("id", "VISITS")]
    assert references(parse("(Leads + x_1) / leads")) == {"leads", "x_1"}


def test_blank_operand_and_division_by_zero() -> None:
    out, zero = evaluate(
        parse("a / b"), {"a": np.array([1.0, np.nan, 3.0]), "b": np.array([0.0, 1.0, 0.0])}, 3
    )
    assert np.isnan(out).tolist() == [True, True, True]
    assert zero.tolist() == [True, False, True]


def run(kpis: list[Any], entries: Sequence[tuple[Any, ...]] = (), **kw: Any) -> Result:
    kw.setdefault("as_of", AS_OF)
    return compute(tracker(kpis, entries, **kw))


def test_formula_uses_period_totals_not_average_of_ratios() -> None:
    entries = [
        ("2026-11-02", "LEADS", 1),
        ("2026-11-02", "VISITS", 10),
        ("2026-11-03", "LEADS", 9),
        ("2026-11-03", "VISITS", 90),
        ("2026-11-04", "LEADS", 10),
        ("2026-11-04", "VISITS", 900),
    ]
    kpis = [
        kpi("LEADS"),
        kpi("VISITS"),
        kpi("CONV", aggregation="formula", formula="leads / Visits", target=0.05, unit="%"),
    ]
    c = run(kpis, entries).kpi("CONV")
    assert c.actual == pytest.approx(20 / 1000)
    assert c.achievement == pytest.approx(0.4)
    assert c.status is Status.OFF_TRACK
    assert c.expected == 0.05  # formulas are levels: E = T


def test_referenced_kpis_are_computed_with_the_formula_kpis_frequency() -> None:
    entries = [("2026-10-05", "A", 10), ("2026-11-05", "A", 5), ("2026-11-06", "B", 3)]
    kpis = [
        kpi("A", frequency="month"),
        kpi("B", frequency="week"),
        kpi("Q", aggregation="formula", formula="A + B", frequency="quarter", target=1),
    ]
    r = run(kpis, entries)
    assert r.kpi("A").actual == 5 and r.kpi("B").actual is None  # their own periods
    assert r.kpi("Q").actual == 18  # Q4 2026 totals
    assert r.kpi("Q").period.label == "Q4 2026"


def test_formula_history_and_previous_use_full_periods() -> None:
    entries = [("2026-10-05", "A", 10), ("2026-10-25", "A", 10), ("2026-11-05", "A", 5)]
    kpis = [kpi("A"), kpi("F", aggregation="formula", formula="A * 2", target=1)]
    f = run(kpis, entries, history_periods=3).kpi("F")
    assert [h.value for h in f.history] == [None, 40, 10]
    assert f.previous == 40


def test_nested_formulas_and_formula_in_a_window() -> None:
    entries = [("2026-11-02", "A", 4), ("2026-11-03", "B", 2), ("2026-09-01", "A", 100)]
    kpis = [
        kpi("A"),
        kpi("B"),
        kpi("R", aggregation="formula", formula="A / B"),
        kpi("P", aggregation="formula", formula="R * 100", target=100),
        kpi("W", aggregation="formula", formula="R + 1", start=D(2026, 8, 1), end=D(2026, 12, 31)),
    ]
    r = run(kpis, entries)
    assert r.kpi("P").actual == 200
    assert r.kpi("W").actual == 53  # (104 / 2) + 1 over the window


def test_formula_problems_are_reported_once_with_their_cell() -> None:
    kpis = [
        kpi("A"),
        kpi("SYN", aggregation="formula", formula="A +", target=1),
        kpi("UNK", aggregation="formula", formula="A / NOPE", target=1),
        kpi("C1", aggregation="formula", formula="C2 + 1", target=1),
        kpi("C2", aggregation="formula", formula="c1 * 2", target=1),
        kpi("SELF", aggregation="formula", formula="self + a", target=1),
        kpi("DEP", aggregation="formula", formula="C1 + A", target=1),
    ]
    r = run(kpis, [("2026-11-02", "A", 1)])
    got = [
        (p.code, p.kpi, p.severity, p.column, p.row)
        for p in r.problems
        if p.code.startswith("formula")
    ]
    assert got == [
        ("formula-syntax", "SYN", "error", "Formula", 3),
        ("formula-unknown-kpi", "UNK", "error", "Formula", 4),
        ("formula-cycle", "C1", "error", "Formula", 5),
        ("formula-cycle", "C2", "error", "Formula", 6),
        ("formula-cycle", "SELF", "error", "Formula", 7),
    ]
    assert "NOPE" in r.problems[1].message
    for k in ("SYN", "UNK", "C1", "SELF", "DEP"):
        assert r.kpi(k).actual is None and r.kpi(k).status is Status.NO_DATA


def test_formula_problem_cell_uses_column_letters_when_the_reader_gives_them() -> None:
    t = tracker([kpi("F", aggregation="formula", formula="(", target=1)], as_of=AS_OF)
    t.kpi_columns = {"formula": "K", "target": "I"}
    t.kpis_sheet = "Our KPIs"
    (p,) = compute(t).problems
    assert (p.cell, p.sheet) == ("'Our KPIs'!K2", "Our KPIs")


def test_formula_problems_already_found_by_validation_are_not_repeated() -> None:
    from kpisheets.model import Problem

    t = tracker([kpi("F", aggregation="formula", formula="(", target=1)], as_of=AS_OF)
    t.problems.append(Problem("formula-syntax", "error", "m", "h", kpi="F"))
    assert [p.code for p in compute(t).problems] == ["formula-syntax"]


def test_division_by_zero_in_the_current_period_is_a_warning() -> None:
    entries = [("2026-11-02", "A", 3), ("2026-11-02", "B", 0), ("2026-10-02", "B", 0)]
    kpis = [kpi("A"), kpi("B"), kpi("F", aggregation="formula", formula="A / B", target=1)]
    r = run(kpis, entries)
    (p,) = [p for p in r.problems if p.code == "division-by-zero"]
    assert (p.kpi, p.severity, p.column) == ("F", "warning", "Formula")
    assert "Nov 2026" in p.message
    assert r.kpi("F").actual is None and r.kpi("F").status is Status.NO_DATA


def test_formula_freshness_is_its_stalest_input() -> None:
    entries = [("2026-11-02", "A", 3), ("2026-10-01", "B", 1)]
    kpis = [kpi("A"), kpi("B"), kpi("F", aggregation="formula", formula="A / B", target=1)]
    f = run(kpis, entries).kpi("F")
    assert f.last_entry == D(2026, 10, 1) and f.stale


def test_entries_for_a_formula_kpi_are_ignored() -> None:
    kpis = [kpi("A"), kpi("F", aggregation="formula", formula="A", target=1)]
    assert run(kpis, [("2026-11-02", "F", 99), ("2026-11-02", "A", 1)]).kpi("F").actual == 1


def test_formula_on_an_invalid_kpi_is_blank() -> None:
    kpis = [kpi("A", valid=False), kpi("F", aggregation="formula", formula="A + 1", target=1)]
    assert run(kpis, [("2026-11-02", "A", 1)]).kpi("F").actual is None


def test_the_parser_never_calls_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args: object) -> None:
        raise AssertionError("eval was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert value("(a + 1) * 2", a=1) == 4


# ---------------------------------------------------------------------------
# Edges: IDs that begin with a digit, long and deep formulas, long chains.


def test_an_id_beginning_with_a_digit_wins_over_the_number() -> None:
    kpis = [
        kpi("7DAY"),
        kpi("1E5"),
        kpi("F", aggregation="formula", formula="7DAY * 2 + 1e5", target=1),
        kpi("G", aggregation="formula", formula="1.5e1 + 2 * 7day", target=1),
    ]
    r = run(kpis, [("2026-11-02", "7DAY", 3), ("2026-11-02", "1E5", 4)])
    assert r.kpi("F").actual == 10  # 3 × 2 + the KPI 1E5 (4), not 100,000
    assert r.kpi("G").actual == 21
    assert not [p for p in r.problems if p.code.startswith("formula")]
    assert tokenize("1e5 + 2x", {"2x"}) == [("number", "1e5"), ("op", "+"), ("id", "2x")]


def test_an_unknown_id_beginning_with_a_digit_is_named() -> None:
    r = run([kpi("F", aggregation="formula", formula="7DAY * 2", target=1)])
    (p,) = r.problems
    assert p.code == "formula-unknown-kpi" and "'7DAY'" in p.message


def test_a_number_too_large_for_a_float_is_a_syntax_problem() -> None:
    with pytest.raises(FormulaError, match="too large"):
        parse("a * 1e400")


def test_a_formula_of_thousands_of_terms_and_deep_parentheses() -> None:
    long = " + ".join(["a"] * 5000)
    assert value(long, a=1) == 5000
    assert value("(" * 2000 + "a" + ")" * 2000, a=3) == 3
    assert value("(" * 1000 + "a" + " * 2)" * 1000, a=1) == 2.0**1000
    assert value("-" * 3000 + "a", a=2) == 2
    with pytest.raises(FormulaError, match="never closed"):
        parse("(" * 300 + "a" + ")" * 299)
    kpis = [kpi("A"), kpi("F", aggregation="formula", formula=long, target=1)]
    assert run(kpis, [("2026-11-02", "A", 2)]).kpi("F").actual == 10000


def _count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from kpisheets.calc import formula as fx

    calls: list[int] = []
    original = fx.evaluate

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(fx, "evaluate", counting)
    return calls


def test_a_chain_of_a_thousand_formula_kpis_is_evaluated_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_evaluations(monkeypatch)
    kpis = [kpi("K0")] + [
        kpi(f"K{n}", aggregation="formula", formula=f"K{n - 1} + 1", target=1)
        for n in range(1, 1001)
    ]
    r = run(kpis, [("2026-11-02", "K0", 5)])
    assert r.kpi("K1000").actual == 1005
    assert r.kpi("K1000").last_entry == D(2026, 11, 2)
    assert len(calls) == 1000


def test_a_chain_of_a_thousand_formula_kpis_reads_each_formula_a_few_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Finding the base KPIs under each formula walked the whole chain below it:
    # 1,003,000 reads of formula references for a chain of 1,000 (quadratic).
    from kpisheets.calc import formula as fx

    calls: list[int] = []
    original = fx.references

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(fx, "references", counting)
    kpis = [kpi("K0")] + [
        kpi(f"K{n}", aggregation="formula", formula=f"K{n - 1} + 1", target=1)
        for n in range(1, 1001)
    ]
    r = run(kpis, [("2026-11-02", "K0", 5)])
    assert r.kpi("K1000").actual == 1005
    assert r.kpi("K1000").last_entry == D(2026, 11, 2)
    assert len(calls) <= 10 * 1000


def test_a_ladder_of_formulas_is_evaluated_once_per_kpi(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each level's two KPIs use both KPIs of the level below: a recursive evaluator
    # without a cache computes 2^levels trees (69 s at 46 KPIs).
    calls = _count_evaluations(monkeypatch)
    kpis = [kpi("A0"), kpi("B0")]
    for n in range(1, 23):
        kpis.append(kpi(f"A{n}", aggregation="formula", formula=f"A{n - 1} + B{n - 1}"))
        kpis.append(kpi(f"B{n}", aggregation="formula", formula=f"A{n - 1} - B{n - 1} + 1"))
    r = run(kpis, [("2026-11-02", "A0", 1), ("2026-11-02", "B0", 1)])
    assert len(kpis) == 46 and len(calls) == 44
    a, b = 1.0, 1.0
    for _ in range(22):
        a, b = a + b, a - b + 1
    assert (r.kpi("A22").actual, r.kpi("B22").actual) == (a, b)


def test_formulas_under_other_schemes_are_evaluated_once_per_scheme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_evaluations(monkeypatch)
    kpis = [
        kpi("A"),
        kpi("R", aggregation="formula", formula="A * 2"),
        kpi("M", aggregation="formula", formula="R + R + R", frequency="month"),
        kpi("Q", aggregation="formula", formula="R + M", frequency="quarter"),
    ]
    r = run(kpis, [("2026-10-02", "A", 1), ("2026-11-02", "A", 2)])
    assert (r.kpi("M").actual, r.kpi("Q").actual) == (12, 6 + 18)
    assert len(calls) == 2 + 3  # R, M in months; R, M, Q in quarters


def test_a_cycle_through_a_thousand_formulas_is_found() -> None:
    kpis = [
        kpi(f"K{n}", aggregation="formula", formula=f"K{(n + 1) % 1000} + 1", target=1)
        for n in range(1000)
    ] + [kpi("OUT", aggregation="formula", formula="K5 + 1", target=1)]
    r = run(kpis)
    cycles = {p.kpi for p in r.problems if p.code == "formula-cycle"}
    assert cycles == {f"K{n}" for n in range(1000)}
    assert r.kpi("OUT").actual is None


def test_a_problem_quotes_a_long_formula_shortened() -> None:
    long = " + ".join(["nope"] * 2000)
    (p,) = run([kpi("F", aggregation="formula", formula=long, target=1)]).problems
    assert p.code == "formula-unknown-kpi" and len(p.message) < 300


def test_segments_of_long_chains_and_ladders_stay_bounded() -> None:
    # Segments write nested formulas out down to base KPIs; a ladder written out has
    # 2^22 leaves, a chain is a thousand deep: neither may recurse or explode.
    chain = [kpi("K0")] + [
        kpi(f"K{n}", aggregation="formula", formula=f"K{n - 1} + 1", target=1)
        for n in range(1, 1001)
    ]
    ladder = [kpi("A0"), kpi("B0")]
    for n in range(1, 23):
        ladder.append(kpi(f"A{n}", aggregation="formula", formula=f"A{n - 1} + B{n - 1}"))
        ladder.append(kpi(f"B{n}", aggregation="formula", formula=f"A{n - 1} - B{n - 1}"))
    entries = [
        ("2026-11-02", "K0", 5, None, None, "Mobile"),
        ("2026-11-02", "A0", 1, None, None, "Mobile"),
        ("2026-11-03", "B0", 1, None, None, "Mobile"),
    ]
    r = run(chain + ladder, entries)
    assert r.kpi("K1000").actual == 1005
    assert [(g.name, g.actual) for g in r.kpi("K2").segments] == [("Mobile", 7)]
    assert r.kpi("A1").segments and not r.kpi("A22").segments  # too long written out
    a, b = 1, 1
    for _ in range(22):
        a, b = a + b, a - b
    assert r.kpi("A22").actual == a
