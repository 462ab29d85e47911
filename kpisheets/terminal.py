"""Text for a terminal: the status table, the problems table and the problem lines
that ``refresh``, ``status``, ``check`` and ``kpisheets demo`` print. Plain strings, no
printing and no click here, so the command line and the demo (and any script) share them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpisheets.model import Problem
    from kpisheets.result import Result


def problem_lines(
    problems: list[Problem], path: Path | None = None, as_of: dt.date | None = None
) -> list[str]:
    """Problems as lines for stderr, errors first, one line per group of repeated
    problems (one code in one column, :mod:`kpisheets.problems`): its cells as compact
    ranges, its count and the first problem's message; then, when some were grouped,
    the command that lists each one (``kpisheets check PATH --format json``)."""
    from kpisheets.problems import errors_first, group_problems

    lines: list[str] = []
    grouped = False
    for g in errors_first(group_problems(problems)):
        where = g.where()
        where = f"{where}: " if where else ""
        grouped = grouped or g.count > 1
        lines.append(f"{g.severity}: {where}{g.message()} ({g.code}) — {g.first.hint}")
    if grouped:
        when = f" --as-of {as_of.isoformat()}" if as_of else ""
        check = f"`kpisheets check {path}{when} --format json`" if path else "`kpisheets check`"
        lines.append(f"Repeated problems are shown once with their cells; {check} lists each.")
    return lines


def left_out_sentence(result: Result) -> str:
    """The line after the problems: how many entries they left out of the figures,
    by code (``""`` when none): ``3 entries are left out of these figures (bad-date 2,
    unknown-kpi 1) — see the problems above.``"""
    from kpisheets.problems import left_out_line

    line = left_out_line(result.left_out, where="see the problems above")
    return line + "." if line else ""


def text_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain fixed-width table for terminals; a line break or tab typed in a cell
    (a KPI name on two lines) becomes a space so every row stays on one line."""
    right = right or set()
    rows = [[" ".join(v.split()) for v in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(values)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def problems_table(problems: list[Problem]) -> str:
    """Problems as a terminal table, errors first, then by sheet and row; repeated
    problems of one code in one column are one line (:mod:`kpisheets.problems`)."""
    from kpisheets.problems import group_problems

    groups = sorted(
        group_problems(problems),
        key=lambda g: (g.severity != "error", g.sheet or "", g.first.row or 0),
    )
    rows = [[g.severity, g.where(), g.code, g.message(), g.first.hint] for g in groups]
    return text_table(["severity", "where", "code", "message", "hint"], rows)


def status_table(result: Result) -> str:
    """The ``status --format table`` text: a title, one line per KPI, the status counts."""
    import textwrap

    from kpisheets.export.meeting import kpi_row
    from kpisheets.formatting import percent
    from kpisheets.legend import legend_lines

    rows = []
    for k in result.kpis:
        row = kpi_row(k)
        # No colour here: the word after the arrow says whether the move is good.
        trend = f"{row.trend_arrow} {row.trend_label}".strip() if row.trend_arrow else ""
        rows.append(
            [
                k.id,
                k.name,
                k.period.label,
                row.actual,
                row.target,
                row.expected,
                row.achievement,
                k.status.label,
                trend,
            ]
        )
    title = f"{result.title} — as of {result.as_of.isoformat()}"
    counts = ", ".join(
        f"{result.overall.counts.get(s, 0)} {s.label.lower()}" for s in result.overall.counts
    )
    table = text_table(
        [
            "ID",
            "KPI",
            "Period",
            "Actual",
            "Target",
            "Expected",
            "% of target",
            "Status",
            "Trend",
        ],
        rows,
        right={3, 4, 5, 6},
    )
    overall = percent(result.overall.score)
    legend = "\n".join(
        textwrap.fill(line, width=80, break_on_hyphens=False) for line in legend_lines(result)
    )
    text = f"{title}\n\n{since_text(result)}{table}\n\nOverall score {overall}; {counts}."
    text += attention_text(result)
    return f"{text}\n\n{legend}" if result.kpis else text


def attention_text(result: Result) -> str:
    """What needs attention (driver sentence, actions) and each funnel's bottleneck,
    wrapped at 80 columns; ``""`` when there is nothing to say."""
    import textwrap

    from kpisheets.export.meeting import attention, bottleneck_sentence

    def wrap(text: str, indent: str) -> str:
        return textwrap.fill(
            text, width=80, initial_indent=indent, subsequent_indent=indent + "  ",
            break_on_hyphens=False,
        )  # fmt: skip

    lines: list[str] = []
    for item in attention(result):
        k = item.kpi
        lines.append(wrap(f"{k.name} ({k.status.label.lower()})", "- "))
        if item.driver:
            lines.append(wrap(item.driver, "    "))
        for text, overdue in item.actions:
            lines.append(wrap(("OVERDUE: " if overdue else "Action: ") + text, "    "))
        if item.no_action_planned:
            lines.append("    No action planned.")
    out = "\n\nNeeds attention:\n" + "\n".join(lines) if lines else ""
    for f in result.funnels:
        out += "\n\n" + wrap(f"Funnel {f.name}: {bottleneck_sentence(f)}", "")
    return out


def since_text(result: Result) -> str:
    """What changed since the last review, a heading and an indented line per kind,
    followed by a blank line; empty when the result was not compared."""
    if result.since is None:
        return ""
    from kpisheets.reviews import since_heading, since_lines

    lines = [since_heading(result.since)]
    lines += [
        f"  {label}: {text}" if label else f"  {text}" for label, text in since_lines(result.since)
    ]
    return "\n".join(lines) + "\n\n"
