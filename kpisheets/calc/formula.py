"""Formula KPIs: a tokenizer and recursive-descent parser over ``+ - * /``,
parentheses, numbers and KPI IDs. Nothing is ever passed to ``eval``.

Grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | atom
    atom   := NUMBER | ID | "(" expr ")"

IDs are matched case-insensitively (they are stored lower case in the tree).
Evaluation works on numpy arrays, one element per period, so a formula is evaluated
for the current period and every history period at once. A blank operand (NaN)
makes the result blank; division by zero gives blank and is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/()]))"
)


class FormulaError(ValueError):
    """A formula that cannot be parsed; the message names what is wrong and where."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Ref:
    kpi: str  # lower case


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Ref | Unary | Binary


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split a formula into ``(kind, text)`` tokens: kind is number, id or op.

    >>> tokenize("LEADS / visits*100")
    [('id', 'LEADS'), ('op', '/'), ('id', 'visits'), ('op', '*'), ('number', '100')]
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            raise FormulaError(f"unexpected character {bad!r} at position {pos + 1}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FormulaError("the formula ends too early")
        self.pos += 1
        return token

    def expr(self) -> Node:
        node = self.term()
        while (t := self.peek()) and t[1] in "+-" and t[0] == "op":
            self.pos += 1
            node = Binary(t[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while (t := self.peek()) and t[1] in "*/" and t[0] == "op":
            self.pos += 1
            node = Binary(t[1], node, self.unary())
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t and t[0] == "op" and t[1] in "+-":
            self.pos += 1
            return Unary(t[1], self.unary())
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "number":
            if text.endswith("%"):
                return Number(float(text[:-1]) / 100)
            return Number(float(text))
        if kind == "id":
            return Ref(text.lower())
        if text == "(":
            node = self.expr()
            closing = self.peek()
            if closing != ("op", ")"):
                raise FormulaError("a '(' is never closed")
            self.pos += 1
            return node
        raise FormulaError(f"unexpected {text!r}")


def parse(text: str) -> Node:
    """Parse a formula into a tree; :class:`FormulaError` when it is not valid.

    >>> parse("(a + 2) * B")
    Binary(op='*', left=Binary(op='+', left=Ref(kpi='a'), right=Number(value=2.0)), right=Ref(kpi='b'))
    """
    if not text or not text.strip():
        raise FormulaError("the formula is empty")
    text = text.strip()
    if text.startswith("="):  # people type Excel habits; "=A/B" means "A/B"
        text = text[1:]
    parser = _Parser(tokenize(text))
    node = parser.expr()
    rest = parser.peek()
    if rest is not None:
        raise FormulaError(f"unexpected {rest[1]!r} after a complete expression")
    return node


def references(node: Node) -> set[str]:
    """The KPI IDs (lower case) a formula tree refers to."""
    if isinstance(node, Ref):
        return {node.kpi}
    if isinstance(node, Unary):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) | references(node.right)
    return set()


def evaluate(node: Node, values: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate over arrays of period values (NaN = blank).

    Returns ``(result, divided_by_zero)``: the per-period values and a boolean mask of
    the periods where a division by zero made the result blank.

    >>> r, z = evaluate(parse("a / b"), {"a": np.array([1.0, 2.0]), "b": np.array([4.0, 0.0])}, 2)
    >>> r.tolist(), z.tolist()
    ([0.25, nan], [False, True])
    """
    zero = np.zeros(size, dtype=bool)
    if isinstance(node, Number):
        return np.full(size, node.value), zero
    if isinstance(node, Ref):
        return np.asarray(values[node.kpi], dtype=float), zero
    if isinstance(node, Unary):
        operand, z = evaluate(node.operand, values, size)
        return (-operand if node.op == "-" else operand), z
    left, zl = evaluate(node.left, values, size)
    right, zr = evaluate(node.right, values, size)
    flags = zl | zr
    if node.op == "+":
        return left + right, flags
    if node.op == "-":
        return left - right, flags
    if node.op == "*":
        return left * right, flags
    by_zero = (right == 0) & ~np.isnan(left)
    safe = np.where(by_zero, 1.0, right)
    result = np.where(by_zero, np.nan, left / safe)
    return result, flags | by_zero
