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
    from kpisheets.result import FunnelResult, KpiResult, Result


def problem_lines(
    problems: list[Problem],
    path: Path | None = None,
    as_of: dt.date | None = None,
    grouped: bool = True,
) -> list[str]:
    """Problems as lines for stderr, errors first, one line per group of repeated
    problems (one code in one column, :mod:`kpisheets.problems`): its cells as compact
    ranges, its count and the first problem's message; then, when some were grouped,
    the command that lists each one (``kpisheets check PATH --format json``). With
    ``grouped=False`` (``-v``) one line per problem."""
    from kpisheets.problems import errors_first, group_problems

    if not grouped:
        ordered = sorted(problems, key=lambda p: p.severity != "error")
        return [
            f"{p.severity}: {p.cell or p.sheet or ''}{': ' if p.cell or p.sheet else ''}"
            f"{p.message} ({p.code}) — {p.hint}"
            for p in ordered
        ]
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


# The width tables are fitted to: the terminal's (or $COLUMNS), 80 when piped.
DEFAULT_WIDTH = 80


def wrapped(line: str, width: int, indent: str = "  ") -> str:
    """``line`` broken between words to lines of at most ``width`` characters, the
    continuation lines indented, for a person reading a terminal (a terminal would break
    it mid-word at its edge). A word longer than the width (a long cell range, a path) is
    kept whole on its own line.

    >>> print(wrapped("error: Entries!C31: 'lots' is not a number. (bad-number)", 30))
    error: Entries!C31: 'lots' is
      not a number. (bad-number)
    """
    import textwrap

    return textwrap.fill(
        line,
        width=max(width, 20),
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def terminal_width() -> int:
    """The columns of the terminal stdout goes to, $COLUMNS when set, else 80."""
    import shutil

    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, 40)


def text_table(
    headers: list[str],
    rows: list[list[str]],
    right: set[int] | None = None,
    *,
    width: int | None = None,
    shrink: list[tuple[int, int] | None] | None = None,
) -> str:
    """A fixed-width table for terminals, at most ``width`` columns wide (default: the
    terminal's, 80 when piped).

    A line break or tab typed in a cell (a KPI name on two lines) becomes a space.
    When the table is too wide, the columns in ``shrink`` ((column, the narrowest it
    may get), in the order they give way; ``None``: first try one space between
    columns) give up room, and their cells wrap at
    spaces (a word longer than the column is cut with "…"); headers wrap too. Every
    line fits ``width`` as long as the columns' minimums do.

    >>> print(text_table(["KPI", "Actual"], [["Net revenue retention", "104%"]], {1},
    ...                  width=16, shrink=[(0, 6)]))
    KPI       Actual
    --------  ------
    Net         104%
    revenue
    retenti…
    """
    import textwrap

    right = right or set()
    shrink = shrink or []
    width = width or terminal_width()
    rows = [[" ".join(v.split()) for v in r] for r in rows]
    natural = [len(h) for h in headers]
    for r in rows:
        for i, v in enumerate(r):
            natural[i] = max(natural[i], len(v))

    def fitted(gap: int, steps: list[tuple[int, int] | None]) -> tuple[list[int], int]:
        """Widths within ``width`` at this gap (as near as the minimums allow): the
        columns give up room in the order of ``steps``, each down to its minimum; a
        column listed twice gives a first share, then more after the others."""
        widths = list(natural)
        excess = sum(widths) + gap * (len(widths) - 1) - width
        for step in steps:
            if excess <= 0:
                break
            if step is None:
                continue
            i, least = step
            least = max(least, longest_word([headers[i]]))  # headers wrap, never cut
            give = min(max(widths[i] - least, 0), excess)
            widths[i] -= give
            excess -= give
        return widths, excess

    # Two spaces between columns; where the table does not fit by the steps before
    # ``None`` in ``shrink``, one space, and then the rest of the steps.
    steps = list(shrink)
    cheap = steps[: steps.index(None)] if None in steps else steps
    gap = 2
    widths, excess = fitted(gap, cheap)
    if excess > 0:
        gap = 1
        widths, _ = fitted(gap, steps)

    def cell_lines(text: str, w: int) -> list[str]:
        if len(text) <= w:
            return [text]
        lines = textwrap.wrap(text, w, break_long_words=False, break_on_hyphens=False)
        return [line if len(line) <= w else line[: max(w - 1, 0)] + "…" for line in lines]

    def block(values: list[str]) -> list[str]:
        cells = [cell_lines(v, widths[i]) for i, v in enumerate(values)]
        height = max((len(c) for c in cells), default=1)
        out = []
        for n in range(height):
            parts = []
            for i, c in enumerate(cells):
                v = c[n] if n < len(c) else ""
                parts.append(v.rjust(widths[i]) if i in right else v.ljust(widths[i]))
            out.append((" " * gap).join(parts).rstrip())
        return out

    out = block(headers) + [(" " * gap).join("-" * w for w in widths)]
    for r in rows:
        out += block(r)
    return "\n".join(out)


def problems_table(problems: list[Problem], width: int | None = None, grouped: bool = True) -> str:
    """Problems as a terminal table, errors first, then by sheet and row; repeated
    problems of one code in one column are one line (:mod:`kpisheets.problems`).
    Fitted to ``width`` columns (default: the terminal's, 80 when piped)."""
    from kpisheets.problems import group_problems

    if not grouped:  # -v: one row per problem
        rows = [
            [p.severity, p.cell or p.sheet or "", p.code, f"{p.message} Hint: {p.hint}"]
            for p in sorted(
                problems, key=lambda p: (p.severity != "error", p.sheet or "", p.row or 0)
            )
        ]
        return text_table(
            ["severity", "where", "code", "problem and what to do"],
            rows,
            width=width,
            shrink=[(3, 30), (1, 12), (2, 12), None, (3, 20)],
        )
    groups = sorted(
        group_problems(problems),
        key=lambda g: (g.severity != "error", g.sheet or "", g.first.row or 0),
    )
    # Message and hint share one column, the hint on its own line: two narrow
    # columns of prose would wrap into a word a line at 80 columns.
    rows = [[g.severity, g.where(), g.code, f"{g.message()} Hint: {g.first.hint}"] for g in groups]
    return text_table(
        ["severity", "where", "code", "problem and what to do"],
        rows,
        width=width,
        shrink=[(3, 30), (1, 12), (2, 12), None, (3, 20)],
    )


SHORT_TREND = {"improving": "good", "worsening": "bad"}


def longest_word(texts: list[str]) -> int:
    """The length of the longest word in ``texts`` (at least 1)."""
    return max((len(word) for text in texts for word in text.split()), default=1)


def status_table(result: Result, width: int | None = None) -> str:
    """The ``status --format table`` text: a title, what changed since the last review,
    one row per KPI, the status counts and the legend, all within ``width`` columns
    (default: the terminal's, 80 when piped): long names, periods and trends wrap."""
    import textwrap

    from kpisheets.export.meeting import compact_row, kpi_row
    from kpisheets.formatting import percent
    from kpisheets.legend import legend_lines

    width = width or terminal_width()
    # No colour here: the word after the arrow says whether the move is good; a
    # terminal under 100 columns gets the short word so the figures keep their room.
    judgement = SHORT_TREND if width < 100 else {}
    rows = []
    for k in result.kpis:
        row = compact_row(kpi_row(k))
        label = judgement.get(row.trend_label, row.trend_label)
        trend = f"{row.trend_arrow} {label}".strip() if row.trend_arrow else ""
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
        width=width,
        # What gives way first: long names, the "% of target" header, trend words,
        # periods and statuses (wrapping), then names again; the figures' unit words
        # ("27 proposals" over two lines); long IDs; last the trend word under its
        # arrow and "On track" over two lines. A period's date ("2026-11-16") and a figure's
        # number are never cut.
        shrink=[
            (1, 14),
            (6, 6),
            None,
            (8, 6),
            (2, min(longest_word([r[2] for r in rows]), 12)),
            (7, 8),
            (1, 8),
            *[(i, longest_word([r[i] for r in rows])) for i in (5, 4, 3)],
            (0, min(longest_word([r[0] for r in rows]), 10)),
            (8, 4),
            (7, 5),
        ],
    )
    overall = percent(result.overall.score)
    legend = "\n".join(
        textwrap.fill(line, width=width, break_on_hyphens=False) for line in legend_lines(result)
    )
    title = textwrap.fill(title, width=width)
    text = f"{title}\n\n{since_text(result, width)}{table}\n\n" + textwrap.fill(
        f"Overall score {overall}; {counts}.", width=width
    )
    text += attention_text(result, width)
    return f"{text}\n\n{legend}" if result.kpis else text


def attention_text(result: Result, width: int | None = None) -> str:
    """What needs attention — per At risk or Off track KPI its driver sentence, a
    table of its segments, its open actions (or "No action planned") — the actions
    done this period with their Result, and a table per funnel with its bottleneck,
    wrapped at ``width`` columns (default: the terminal's, 80 when piped); ``""`` when
    there is nothing to say."""
    import textwrap

    from kpisheets.explain import action_text
    from kpisheets.export.meeting import attention, done_this_period

    width = width or terminal_width()

    def wrap(text: str, indent: str) -> str:
        """``indent`` on the first line ("- " or spaces), two more spaces after it."""
        return textwrap.fill(
            text, width=width, initial_indent=indent,
            subsequent_indent=" " * len(indent) + "  ", break_on_hyphens=False,
        )  # fmt: skip

    lines: list[str] = []
    for item in attention(result):
        k = item.kpi
        lines.append(wrap(f"{k.name} ({k.status.label.lower()})", "- "))
        if item.driver:
            lines.append(wrap(item.driver, "    "))
        if item.driver and k.segments:  # (a funnel stage's driver is its bottleneck)
            lines.append(segments_table(k, width, indent="      "))
        for text, overdue in item.actions:
            lines.append(wrap(("OVERDUE: " if overdue else "Action: ") + text, "    "))
        if item.no_action_planned:
            lines.append("    No action planned.")
    out = "\n\nNeeds attention:\n" + "\n".join(lines) if lines else ""
    done = done_this_period(result)
    if done:
        out += "\n\nDone this period:\n" + "\n".join(
            wrap(f"{k.name}: {action_text(a, result.as_of)}", "- ") for k, a in done
        )
    for f in result.funnels:
        out += "\n\n" + funnel_text(f, width)
    return out


def segments_table(k: KpiResult, width: int | None = None, indent: str = "") -> str:
    """A KPI's segments as a small table (largest first, at most five, then how many
    more): value now and before, change, share of the KPI (Sum and Count), and target
    and status where segments have targets; each line starts with ``indent`` and
    the whole fits ``width`` columns."""
    from kpisheets.export.meeting import segment_lines, segments_left_over

    width = width or terminal_width()
    lines = segment_lines(k)
    headers = ["Segment", "Now", "Before", "Change"]
    rows = [[s.name, s.now, s.before, s.change] for s in lines]
    if any(s.share for s in lines):
        headers.append("Share")
        for row, s in zip(rows, lines, strict=True):
            row.append(s.share)
    if any(s.target for s in lines):
        headers += ["Target", "Status"]
        for row, s in zip(rows, lines, strict=True):
            row += [s.target, s.status]
    figures = {i for i, header in enumerate(headers) if header not in ("Segment", "Status")}
    table = text_table(
        headers,
        rows,
        right=figures,
        width=max(width - len(indent), 40),
        shrink=[(0, 10), None, (0, 8)],
    )
    more = segments_left_over(k)
    if more:
        table += f"\nand {more} more segment{'s' if more != 1 else ''}"
    return "\n".join(indent + line for line in table.splitlines())


def funnel_text(f: FunnelResult, width: int | None = None) -> str:
    """A funnel as the terminal shows it: a heading, a table of its stages (values
    now, the same days of the last period, target, and the conversion into each
    stage now, before and at target, the bottleneck marked) and the sentence naming
    the bottleneck, within ``width`` columns."""
    import textwrap

    from kpisheets.export.meeting import bottleneck_sentence, funnel_lines

    width = width or terminal_width()
    rows = [
        [
            f"{line.stage} ◀ bottleneck" if line.bottleneck else line.stage,
            line.now,
            line.before,
            line.target,
            line.conversion,
            line.conversion_before,
            line.conversion_target,
        ]
        for line in funnel_lines(f)
    ]
    # Figures are never cut: the conversion headers and the stage names wrap instead.
    widest = [max((len(r[i]) for r in rows), default=1) for i in range(7)]
    table = text_table(
        ["Stage", "Now", "Last period", "Target", "Conv. now", "Conv. before", "Conv. target"],
        rows,
        right={1, 2, 3, 4, 5, 6},
        width=width - 2,
        shrink=[(0, 16), (4, widest[4]), (5, widest[5]), (6, widest[6]), (2, widest[2]),
                (0, min(longest_word([r[0] for r in rows]), 14)), None, (0, 8)],
    )  # fmt: skip
    heading = textwrap.fill(f"Funnel: {f.name} · {f.period.label}", width=width)
    sentence = textwrap.fill(
        bottleneck_sentence(f), width=width, initial_indent="  ", subsequent_indent="    ",
        break_on_hyphens=False,
    )  # fmt: skip
    body = "\n".join("  " + line for line in table.splitlines())
    return f"{heading}\n{body}\n{sentence}"


def since_text(result: Result, width: int | None = None) -> str:
    """What changed since the last review, a heading and an indented paragraph per
    kind within ``width`` columns, followed by a blank line; empty when the result was
    not compared."""
    if result.since is None:
        return ""
    import textwrap

    from kpisheets.reviews import since_heading, since_lines

    width = width or terminal_width()
    lines = [since_heading(result.since)]
    for label, text in since_lines(result.since):
        lines += textwrap.wrap(
            f"{label}: {text}" if label else text,
            width=width,
            initial_indent="  ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
    return "\n".join(lines) + "\n\n"
