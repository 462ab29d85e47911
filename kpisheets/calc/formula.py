"""Formula KPIs: a tokenizer and an operator-precedence parser over ``+ - * /``,
parentheses, numbers and KPI IDs. Nothing is ever passed to ``eval``.

Grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | atom
    atom   := NUMBER | ID | "(" expr ")"

IDs are matched case-insensitively (they are stored lower case in the tree). An ID may
begin with a digit (``7DAY * 2``): a word that names a KPI is that KPI, even where it
would also read as a number (``1E5``); a word made only of digits is always a number.

Parsing, walking and evaluating use explicit stacks, never Python recursion, so a
formula of thousands of terms or hundreds of nested parentheses is as good as a short
one. Evaluation works on numpy arrays, one element per period, so a formula is
evaluated for the current period and every history period at once. A blank operand
(NaN) makes the result blank; division by zero gives blank and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np

# A word of ID characters (an ID may begin with a digit: ``7DAY``) and a number.
_WORD = re.compile(r"[A-Za-z0-9_]+")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?")
_SPACE = re.compile(r"\s*")
_OPERATORS = "+-*/()"
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


class FormulaError(ValueError):
    """A formula that cannot be parsed; the message names what is wrong and where."""


@dataclass(frozen=True, eq=False)
class Number:
    value: float


@dataclass(frozen=True, eq=False)
class Ref:
    kpi: str  # lower case


@dataclass(frozen=True, eq=False)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, eq=False)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Ref | Unary | Binary


def tokenize(text: str, ids: Collection[str] = ()) -> list[tuple[str, str]]:
    """Split a formula into ``(kind, text)`` tokens: kind is number, id or op.

    ``ids`` are the KPI IDs in lower case: a word that is one of them is an ID even
    when it also reads as a number. Other words are numbers when the number spans the
    whole word (``1e5``, ``2.5``, ``10%``) and IDs otherwise (``7DAY``, ``LEADS``).

    >>> tokenize("LEADS / visits*100")
    [('id', 'LEADS'), ('op', '/'), ('id', 'visits'), ('op', '*'), ('number', '100')]
    >>> tokenize("7DAY * 2")
    [('id', '7DAY'), ('op', '*'), ('number', '2')]
    """
    tokens: list[tuple[str, str]] = []
    text = text.rstrip()
    pos = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    while pos < len(text):
        word = _WORD.match(text, pos)
        number = _NUMBER.match(text, pos)
        w = word.group(0) if word else ""
        n = number.group(0) if number else ""
        if w and not w.isdigit() and (w.lower() in ids or len(n) < len(w)):
            tokens.append(("id", w))
            pos += len(w)
        elif n:
            tokens.append(("number", n))
            pos += len(n)
        elif text[pos] in _OPERATORS:
            tokens.append(("op", text[pos]))
            pos += 1
        else:
            raise FormulaError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
    return tokens


def _atom(kind: str, text: str) -> Node:
    if kind != "number":
        return Ref(text.lower())
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not np.isfinite(value):
        raise FormulaError(f"the number {text} is too large")
    return Number(value)


def _parse_tokens(tokens: list[tuple[str, str]]) -> Node:
    """Operator precedence (shunting-yard) over the grammar above, with explicit
    stacks. ``expect_operand`` is the parser's state: True where the grammar wants a
    ``unary``/``atom`` (so ``+``/``-`` there are signs), False after an operand."""
    operands: list[Node] = []
    operators: list[str] = []  # "+-*/", "(" and "u+"/"u-" for signs

    def reduce() -> None:
        op = operators.pop()
        if op in ("u+", "u-"):
            operands.append(Unary(op[1], operands.pop()))
            return
        right = operands.pop()
        operands.append(Binary(op, operands.pop(), right))

    expect_operand = True
    for kind, text in tokens:
        if expect_operand:
            if kind != "op":
                operands.append(_atom(kind, text))
                expect_operand = False
            elif text in "+-":
                operators.append("u" + text)
            elif text == "(":
                operators.append("(")
            else:
                raise FormulaError(f"unexpected {text!r}")
            continue
        if kind != "op" or text == "(":
            raise FormulaError(f"unexpected {text!r} after a complete expression")
        if text == ")":
            while operators and operators[-1] != "(":
                reduce()
            if not operators:
                raise FormulaError("unexpected ')' after a complete expression")
            operators.pop()
            continue
        # Binary operators are left-associative; signs bind tighter than any of them.
        while (
            operators
            and operators[-1] != "("
            and (operators[-1] in ("u+", "u-") or _PRECEDENCE[operators[-1]] >= _PRECEDENCE[text])
        ):
            reduce()
        operators.append(text)
        expect_operand = True
    if expect_operand:
        raise FormulaError("the formula ends too early")
    while operators:
        if operators[-1] == "(":
            raise FormulaError("a '(' is never closed")
        reduce()
    (node,) = operands
    return node


def parse(text: str, ids: Collection[str] = ()) -> Node:
    """Parse a formula into a tree; :class:`FormulaError` when it is not valid.

    ``ids`` (lower case) are the KPI IDs, so that an ID such as ``1E5`` is read as
    that KPI rather than as a number (see :func:`tokenize`).

    >>> parse("(a + 2) * B")
    Binary(op='*', left=Binary(op='+', left=Ref(kpi='a'), right=Number(value=2.0)), right=Ref(kpi='b'))
    """
    if not text or not text.strip():
        raise FormulaError("the formula is empty")
    text = text.strip()
    if text.startswith("="):  # people type Excel habits; "=A/B" means "A/B"
        text = text[1:]
    return _parse_tokens(tokenize(text, ids))


def _nodes(node: Node) -> Iterator[Node]:
    """Every node of a tree, without recursion."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, Unary):
            todo.append(n.operand)
        elif isinstance(n, Binary):
            todo += (n.right, n.left)


def references(node: Node) -> set[str]:
    """The KPI IDs (lower case) a formula tree refers to."""
    return {n.kpi for n in _nodes(node) if isinstance(n, Ref)}


def evaluate(node: Node, values: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate over arrays of period values (NaN = blank).

    Returns ``(result, divided_by_zero)``: the per-period values and a boolean mask of
    the periods where a division by zero made the result blank. A result too large
    for a float is infinite; the caller decides what to make of it.

    >>> r, z = evaluate(parse("a / b"), {"a": np.array([1.0, 2.0]), "b": np.array([4.0, 0.0])}, 2)
    >>> r.tolist(), z.tolist()
    ([0.25, nan], [False, True])
    """
    zero = np.zeros(size, dtype=bool)
    done: list[np.ndarray] = []  # operand stack of a post-order walk
    todo: list[tuple[Node, bool]] = [(node, False)]
    with np.errstate(over="ignore", invalid="ignore"):
        while todo:
            n, children_done = todo.pop()
            if isinstance(n, Number):
                done.append(np.full(size, n.value))
            elif isinstance(n, Ref):
                done.append(np.asarray(values[n.kpi], dtype=float))
            elif not children_done:
                todo.append((n, True))
                if isinstance(n, Unary):
                    todo.append((n.operand, False))
                else:
                    todo += ((n.right, False), (n.left, False))
            elif isinstance(n, Unary):
                if n.op == "-":
                    done.append(-done.pop())
            else:
                right = done.pop()
                left = done.pop()
                if n.op == "+":
                    done.append(left + right)
                elif n.op == "-":
                    done.append(left - right)
                elif n.op == "*":
                    done.append(left * right)
                else:
                    by_zero = (right == 0) & ~np.isnan(left)
                    safe = np.where(by_zero, 1.0, right)
                    done.append(np.where(by_zero, np.nan, left / safe))
                    zero |= by_zero
    return done[0], zero
