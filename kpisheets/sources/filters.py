"""The Filter column of the Sources sheet: parsed once, compiled to SQL with bound values.

A filter is one or more conditions joined by ``and``::

    Deal Stage = Closed Won
    Pipeline <> Renewals and Deal Stage in (Closed Won, "Contract signed")
    status = 'paid' and country not in (US, CA)

A condition is ``column = value``, ``column <> value`` (``!=`` too),
``column in (a, b, …)`` or ``column not in (a, b, …)``. Column names may contain
spaces and are matched case-insensitively, like every column name in kpisheets;
quote one with ``"…"``, ``[…]`` or `````…````` when it contains an operator. Values may
be quoted with ``'…'`` or ``"…"`` (needed when a value contains ``and``, a comma or a
parenthesis). Values match the cell's text trimmed and ignoring case (``closed won``
matches ``Closed Won``); a number also matches a numeric cell of that value (``5``
matches ``5.0``). ``<>`` and ``not in`` keep rows whose cell is blank.

User text never becomes SQL: column names are checked against the columns the data
really has and quoted as identifiers; values are bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Operator = Literal["=", "<>", "in", "not in"]


class FilterSyntaxError(ValueError):
    """A Filter that cannot be read; the message says where and how to write it."""


@dataclass(frozen=True)
class Condition:
    """``column op values``: ``values`` has one item for ``=`` and ``<>``."""

    column: str
    op: Operator
    values: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    """The parsed Filter cell: conditions that must all hold."""

    text: str
    conditions: tuple[Condition, ...]

    @property
    def columns(self) -> list[str]:
        """The column names the filter uses, in order, without repeats."""
        seen: dict[str, None] = {}
        for c in self.conditions:
            seen.setdefault(c.column, None)
        return list(seen)


EXAMPLE = "Deal Stage = Closed Won and Pipeline in (Sales, Renewals)"
QUOTES = {'"': '"', "'": "'", "[": "]", "`": "`"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_filter(text: str) -> Filter:
    """Parse a Filter cell; raise :class:`FilterSyntaxError` with a readable sentence.

    >>> parse_filter("Stage = Closed Won and Region in (EMEA, 'North America')").conditions
    (Condition(column='Stage', op='=', values=('Closed Won',)), Condition(column='Region', op='in', values=('EMEA', 'North America')))
    """
    parts = _split_and(text)
    if not parts:
        raise FilterSyntaxError("The Filter is empty.")
    return Filter(text=text, conditions=tuple(_condition(p) for p in parts))


def _split_and(text: str) -> list[str]:
    """Split on the word ``and`` outside quotes and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    closing: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if closing is not None:
            current.append(ch)
            if ch == closing:
                closing = None
            i += 1
            continue
        if ch in QUOTES:
            closing = QUOTES[ch]
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif (
            depth == 0
            and text[i : i + 3].lower() == "and"
            and (i == 0 or text[i - 1].isspace())
            and (i + 3 == len(text) or text[i + 3].isspace())
        ):
            parts.append("".join(current))
            current = []
            i += 3
            continue
        current.append(ch)
        i += 1
    if closing is not None:
        raise FilterSyntaxError(f"A quote {closing} is not closed in the Filter {text!r}.")
    if depth != 0:
        raise FilterSyntaxError(f"The parentheses do not match in the Filter {text!r}.")
    parts.append("".join(current))
    stripped = [p.strip() for p in parts]
    if any(not p for p in stripped) and len(stripped) > 1:
        raise FilterSyntaxError(f"'and' needs a condition on each side in the Filter {text!r}.")
    return [p for p in stripped if p]


_OPERATOR = re.compile(r"\s*(<>|!=|=|not\s+in\s*(?=\()|in\s*(?=\())", re.IGNORECASE)


def _condition(text: str) -> Condition:
    column, rest = _column(text)
    match = _OPERATOR.match(rest)
    if not column or match is None:
        raise FilterSyntaxError(
            f"{text!r} is not a condition: write column = value, column <> value or "
            "column in (a, b)."
        )
    op_text = " ".join(match.group(1).lower().split())
    op: Operator = {"=": "=", "<>": "<>", "!=": "<>", "in": "in", "not in": "not in"}[op_text]  # type: ignore[assignment]
    value_text = rest[match.end() :].strip()
    if op in ("in", "not in"):
        if not (value_text.startswith("(") and value_text.endswith(")")):
            raise FilterSyntaxError(f"{text!r}: the values after '{op}' go in parentheses.")
        values = _values(value_text[1:-1], text)
    else:
        values = (_value(value_text, text),)
    return Condition(column=column, op=op, values=values)


def _column(text: str) -> tuple[str, str]:
    """The column name at the start of a condition, and the text after it."""
    text = text.strip()
    if text[:1] in QUOTES:
        end = text.find(QUOTES[text[0]], 1)
        if end < 0:
            return "", text
        return text[1:end].strip(), text[end + 1 :]
    # A bare name runs up to the operator; " in (" needs the space before it.
    match = re.search(r"<>|!=|=|\s+not\s+in\s*\(|\s+in\s*\(", text, re.IGNORECASE)
    if match is None:
        return "", text
    return text[: match.start()].strip(), text[match.start() :]


def _values(text: str, condition: str) -> tuple[str, ...]:
    values: list[str] = []
    current: list[str] = []
    closing: str | None = None
    for ch in text:
        if closing is not None:
            current.append(ch)
            if ch == closing:
                closing = None
        elif ch in ("'", '"'):
            closing = ch
            current.append(ch)
        elif ch == ",":
            values.append(_value("".join(current), condition))
            current = []
        else:
            current.append(ch)
    values.append(_value("".join(current), condition))
    return tuple(values)


def _value(text: str, condition: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in ("'", '"') and text[-1] == text[0]:
        return text[1:-1]
    if not text:
        raise FilterSyntaxError(f"{condition!r} has an empty value; write it in quotes: ''.")
    if text[0] in ("'", '"'):
        raise FilterSyntaxError(f"A quote is not closed in {condition!r}.")
    return text


def is_number(text: str) -> bool:
    """True for a value that also matches numeric cells (``5``, ``-2.5``, ``1e3``)."""
    return bool(_NUMBER.match(text.strip()))


def resolve_columns(flt: Filter, available: Sequence[str]) -> dict[str, str]:
    """Map each column the filter names to the data's own spelling (matched
    case-insensitively, ignoring surrounding spaces); raise ``KeyError(name)`` for
    the first one the data does not have."""
    by_key = {a.strip().lower(): a for a in available}
    resolved: dict[str, str] = {}
    for column in flt.columns:
        actual = by_key.get(column.strip().lower())
        if actual is None:
            raise KeyError(column)
        resolved[column] = actual
    return resolved


# ---------------------------------------------------------------------------
# Compiling for DuckDB: "?" placeholders, values in a list.


def quote_identifier(name: str) -> str:
    """A column name as a SQL identifier (DuckDB and the SQL standard): ``"Deal Stage"``."""
    return '"' + name.replace('"', '""') + '"'


def duckdb_sql(
    flt: Filter, columns: dict[str, str], by_pattern: bool = True
) -> tuple[str, list[Any]]:
    """The WHERE condition of ``flt`` for DuckDB, with its parameters in order.

    ``columns`` is :func:`resolve_columns`' answer. Values are never part of the text.

    A value is matched as a case-insensitive regular expression of its literal text
    between optional spaces (``(?i) *Won *``, every special character escaped): the
    same rows as ``lower(trim(cell)) = lower(value)``, but one pass over each cell
    instead of two new strings per row, which is a fifth of the time of reading a
    large CSV (``docs/performance.md``). Case is ignored by Unicode case folding.
    With ``by_pattern=False`` the comparison is ``lower(trim(cell)) = lower(value)``:
    cheaper where DuckDB evaluates it once per distinct text (Parquet's dictionaries).

    >>> f = parse_filter("Stage = Closed Won")
    >>> duckdb_sql(f, {"Stage": "stage"})
    ('(regexp_full_match(CAST("stage" AS VARCHAR), ?))', ['(?i) *Closed\\\\ Won *'])
    """
    clauses: list[str] = []
    params: list[Any] = []
    for c in flt.conditions:
        ident = quote_identifier(columns[c.column])
        text_form = f"CAST({ident} AS VARCHAR)"
        matches: list[str] = []
        for v in c.values:
            if by_pattern:
                matches.append(f"regexp_full_match({text_form}, ?)")
                params.append(text_pattern(v))
            else:
                matches.append(f"lower(trim({text_form})) = lower(?)")
                params.append(v.strip())
            if is_number(v):
                matches.append(f"TRY_CAST({ident} AS DOUBLE) = ?")
                params.append(float(v))
        any_match = "(" + " OR ".join(matches) + ")"
        if c.op in ("=", "in"):
            clauses.append(any_match)
        else:
            clauses.append(f"NOT coalesce({any_match}, false)")
    return " AND ".join(clauses), params


def text_pattern(value: str) -> str:
    """The regular expression (RE2, DuckDB's) matching a cell whose text is ``value``
    trimmed of spaces, ignoring case: ``Closed Won`` → ``(?i) *Closed\\ Won *``.

    Every character that is special in a pattern is escaped, so the value is only
    ever literal text.
    """
    return "(?i) *" + re.escape(value.strip()) + " *"


def sqlalchemy_clause(flt: Filter, column: Callable[[str], Any]) -> Any:
    """The filter as a SQLAlchemy boolean clause over ``column(name)`` expressions.

    Values become bound parameters; every database compares the column's text form,
    trimmed and ignoring case.
    """
    import sqlalchemy as sa

    clauses = []
    for c in flt.conditions:
        text_form = sa.func.lower(sa.func.trim(sa.cast(column(c.column), sa.String)))
        matches = [text_form == sa.func.lower(sa.literal(v.strip())) for v in c.values]
        any_match = sa.or_(*matches)
        if c.op in ("=", "in"):
            clauses.append(any_match)
        else:
            clauses.append(sa.not_(sa.func.coalesce(any_match, sa.false())))
    return sa.and_(*clauses)
