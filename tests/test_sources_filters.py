"""The Filter column: parsing, and compilation to SQL that never contains a value."""

from __future__ import annotations

import duckdb
import pytest

from kpisheets.sources.filters import (
    Condition,
    Filter,
    FilterSyntaxError,
    duckdb_sql,
    parse_filter,
    resolve_columns,
    text_pattern,
)


def test_conditions_joined_by_and() -> None:
    f = parse_filter("Deal Stage = Closed Won AND Pipeline in (Sales, 'Renewals, EMEA') and x <> 5")
    assert f.conditions == (
        Condition("Deal Stage", "=", ("Closed Won",)),
        Condition("Pipeline", "in", ("Sales", "Renewals, EMEA")),
        Condition("x", "<>", ("5",)),
    )


def test_quoted_columns_values_and_not_in() -> None:
    f = parse_filter("[Region and Zone] not in (\"A and B\", C) and `a=b` != ''x''")
    assert f.conditions[0] == Condition("Region and Zone", "not in", ("A and B", "C"))
    assert f.conditions[1].column == "a=b" and f.conditions[1].op == "<>"


@pytest.mark.parametrize(
    "text",
    ["", "Stage", "Stage = ", "= Won", "Stage in Won", "Stage = 'Won", "(Stage = Won", "a = 1 and"],
)
def test_unreadable_filters(text: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_filter(text)


def test_compiled_sql_has_placeholders_only() -> None:
    f = parse_filter('Stage = "Robert\'); DROP TABLE deals;--" and amount in (5, 6)')
    sql, params = duckdb_sql(f, resolve_columns(f, ["stage", "Amount"]))
    assert "DROP" not in sql and "Robert" not in sql and "5" not in sql
    robert = text_pattern("Robert'); DROP TABLE deals;--")
    assert params == [robert, text_pattern("5"), 5.0, text_pattern("6"), 6.0]


@pytest.mark.parametrize("by_pattern", [True, False])
def test_semantics_in_duckdb(by_pattern: bool) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('Closed Won', 5.0), (' closed won ', 6.0), "
        "('Lost', 5.0), (NULL, 7.0)) AS v(stage, amount)"
    )

    def rows(text: str) -> list[float]:
        f = parse_filter(text)
        sql, params = duckdb_sql(f, resolve_columns(f, ["stage", "amount"]), by_pattern)
        return sorted(
            r[0] for r in con.execute(f"SELECT amount FROM t WHERE {sql}", params).fetchall()
        )

    assert rows("STAGE = closed won") == [5.0, 6.0]  # trimmed, any case
    assert rows("stage <> closed won") == [5.0, 7.0]  # blank cells kept by <>
    assert rows("amount = 5") == [5.0, 5.0]  # numbers match numeric cells
    assert rows("amount in (6, 7)") == [6.0, 7.0]
    assert rows("stage not in (Lost, 'Closed Won')") == [7.0]


@pytest.mark.parametrize("by_pattern", [True, False])
def test_values_are_literal_text_in_duckdb(by_pattern: bool) -> None:
    """A value is matched as text even where it holds characters special in a pattern."""
    con = duckdb.connect()
    texts = ["a.b", "axb", "a+b", "aab", "(x)", "x", "50%", "50", "A\\B", "a|b", "  ÉTÉ ", "été"]
    con.execute("CREATE TABLE t (stage VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[t] for t in texts])

    def rows(value: str) -> list[str]:
        f = Filter(value, (Condition("stage", "=", (value,)),))
        sql, params = duckdb_sql(f, {"stage": "stage"}, by_pattern)
        found = con.execute(f"SELECT stage FROM t WHERE {sql}", params).fetchall()
        return sorted(r[0] for r in found)

    assert rows("a.b") == ["a.b"]
    assert rows("a+b") == ["a+b"]
    assert rows("(x)") == ["(x)"]
    assert rows("50%") == ["50%"]
    assert rows("a\\b") == ["A\\B"]
    assert rows("a|b") == ["a|b"]
    assert rows(" été") == ["  ÉTÉ ", "été"]  # trimmed, any case, accents kept
    for text in texts:  # each text matches the cells equal to it ignoring case and spaces
        expected = sorted(t for t in texts if t.strip().lower() == text.strip().lower())
        assert rows(text) == expected, text


def test_unknown_filter_column() -> None:
    with pytest.raises(KeyError) as err:
        resolve_columns(parse_filter("country = FR"), ["date", "region"])
    assert err.value.args[0] == "country"
