"""Repeated problems, grouped for people to read.

A tracker refreshed at a past date can have ten thousand entries dated after it, each
a ``future-date`` warning that says the same thing about its own cell. The library
and ``check --format json`` keep every one of them; what a person reads — the
Problems sheet, ``check``'s table, the lines on stderr — shows one row per
:class:`ProblemGroup`: the problems of one code and severity in one column of one
sheet (``Entries!A986300:A999999``), or about one KPI, with their count, their cells
as a few compact ranges and the first problem's message as the example.

Problems about a whole sheet or file (no cell, no KPI) are never grouped: each says
something different. See docs/workbook.md ("The Problems sheet").

>>> from kpisheets.model import Problem
>>> ps = [
...     Problem("future-date", "warning", f"entry {r} is late", "Check it.", "Entries",
...             f"Entries!A{r}", "Date", r)
...     for r in (5, 6, 7, 9)
... ]
>>> [(g.count, g.cells()) for g in group_problems(ps)]
[(4, 'Entries!A5:A7, A9')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kpisheets.model import Problem, Severity

# A handful of ranges is readable in a cell or a terminal line; the rest are counted.
MAX_RANGES = 5
# KPIs named in a group's KPI column before "and N more".
MAX_KPIS = 3

_CELL = re.compile(r"^(?:(?P<sheet>.+)!)?\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)$")


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one code and severity in one column of one sheet (or about one
    KPI, when they have no cell), in the order they were found.

    ``problems[0]`` is the example whose message and hint a grouped row shows.
    """

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        """The example: the first problem of the group."""
        return self.problems[0]

    @property
    def code(self) -> str:
        """The problem code all of them share."""
        return self.first.code

    @property
    def severity(self) -> Severity:
        """``error`` or ``warning``, shared by all of them."""
        return self.first.severity

    @property
    def count(self) -> int:
        """How many problems the group stands for."""
        return len(self.problems)

    @property
    def sheet(self) -> str | None:
        """The sheet all of them are on (``None`` for a file-level problem)."""
        return self.first.sheet

    @property
    def column(self) -> str | None:
        """The column header all of them share, if any."""
        return self.first.column

    @property
    def kpis(self) -> list[str]:
        """The distinct KPI IDs the problems name, in order of appearance."""
        return list(dict.fromkeys(p.kpi for p in self.problems if p.kpi))

    def kpi_text(self, limit: int = MAX_KPIS) -> str:
        """``K01``; ``K01, K02, K03 and 47 more`` when the group spans many KPIs."""
        kpis = self.kpis
        if len(kpis) <= limit:
            return ", ".join(kpis)
        return f"{', '.join(kpis[:limit])} and {len(kpis) - limit:,} more"

    def where(self) -> str:
        """Where the problems are: the cells as compact ranges, else the sheet."""
        return self.cells() or self.sheet or ""

    def cells(self, limit: int = MAX_RANGES) -> str:
        """The cells as compact ranges, the sheet named once:
        ``Entries!A986300:A999999``, ``Entries!C5, C9:C12, C40 and 12 more ranges``;
        ``""`` when the problems have no cell."""
        first = self.first.cell
        if not first:
            return ""
        if self.count == 1:
            return first
        match = _CELL.match(first)
        rows = [p.row for p in self.problems]
        if match is None or None in rows:  # not plain references: list a few
            return compact_ranges([p.cell for p in self.problems if p.cell], limit)
        sheet, column = match.group("sheet"), match.group("col")
        return _ranges(sheet, column, [r for r in rows if r is not None], limit)

    def message(self) -> str:
        """The first problem's message; for a group, with the count and the first
        problem's cell (the sheet is in :meth:`where`):
        ``12,329 cells; first A987682: The K31 entry dated …``."""
        first = self.first
        if self.count == 1:
            return first.message
        if not first.cell:
            return f"{self.count:,} times; first: {first.message}"
        cell = first.cell.rsplit("!", 1)[-1]
        return f"{self.count:,} cells; first {cell}: {first.message}"


def group_problems(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Group repeated problems, keeping the order in which each group first appears.

    The key is the code, the severity, the sheet and the column of a problem with a
    cell; the code, the severity and the KPI of one without a cell but about a KPI.
    Problems about a whole sheet or file stay one group each.
    """
    groups: dict[object, list[Problem]] = {}
    for i, p in enumerate(problems):
        key: object
        if p.cell:
            # The header names the column; only a problem without one pays for a parse.
            column = p.column if p.column else _column_letters(p.cell)
            key = ("cell", p.code, p.severity, p.sheet, column)
        elif p.kpi:
            key = ("kpi", p.code, p.severity, p.kpi)
        else:
            key = ("alone", i)
        groups.setdefault(key, []).append(p)
    return [ProblemGroup(tuple(g)) for g in groups.values()]


def errors_first(groups: Sequence[ProblemGroup]) -> list[ProblemGroup]:
    """Error groups before warning groups, each in order of appearance."""
    return sorted(groups, key=lambda g: g.severity != "error")


def compact_ranges(cells: Sequence[str], limit: int = MAX_RANGES) -> str:
    """Cell references of one column as ranges of consecutive rows, the sheet named
    once and at most ``limit`` ranges before ``and N more ranges``.

    >>> compact_ranges(["Entries!B2", "Entries!B3", "Entries!B4", "Entries!B8"])
    'Entries!B2:B4, B8'
    >>> compact_ranges([f"'My sheet'!C{r}" for r in range(2, 40, 2)], limit=2)
    "'My sheet'!C2, C4 and 17 more ranges"
    """
    if not cells:
        return ""
    parsed = [_CELL.match(c) for c in cells]
    found = [m for m in parsed if m is not None]
    if len(found) < len(parsed):  # not plain references: list a few
        shown = ", ".join(cells[:limit])
        return shown + (f" and {len(cells) - limit:,} more" if len(cells) > limit else "")
    rows = [int(m.group("row")) for m in found]
    return _ranges(found[0].group("sheet"), found[0].group("col"), rows, limit)


def _ranges(sheet: str | None, column: str, rows: Iterable[int], limit: int) -> str:
    ranges: list[tuple[int, int]] = []
    for r in sorted(set(rows)):
        if ranges and r == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], r)
        else:
            ranges.append((r, r))
    texts = [f"{column}{a}" if a == b else f"{column}{a}:{column}{b}" for a, b in ranges]
    text = ", ".join(texts[:limit])
    if sheet:
        text = f"{sheet}!{text}"
    if len(texts) > limit:
        more = len(texts) - limit
        text += f" and {more:,} more range{'s' if more != 1 else ''}"
    return text


def _column_letters(cell: str) -> str:
    match = _CELL.match(cell)
    return match.group("col") if match else cell


def left_out_line(left_out: dict[str, int], where: str = "see Problems") -> str:
    """The sentence every output that shows figures carries when problems left
    entries out of them (docs/workbook.md, "Counted rows"); ``""`` when none did.
    ``where`` (left off when empty) says where to read why.

    >>> left_out_line({"bad-date": 2, "unknown-kpi": 1})
    '3 entries are left out of these figures (bad-date 2, unknown-kpi 1) — see Problems'
    >>> left_out_line({"future-date": 1}, where="see the Problems sheet of t.xlsx")
    '1 entry is left out of these figures (future-date 1) — see the Problems sheet of t.xlsx'
    """
    counts = {code: n for code, n in left_out.items() if n}
    total = sum(counts.values())
    if not total:
        return ""
    verb = "entry is" if total == 1 else "entries are"
    codes = ", ".join(f"{code} {n:,}" for code, n in sorted(counts.items(), key=_biggest))
    line = f"{total:,} {verb} left out of these figures ({codes})"
    return f"{line} — {where}" if where else line


def _biggest(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])
