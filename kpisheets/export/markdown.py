"""The summary as a Markdown table, for chat and wikis.

Status symbols: 🟢 On track, 🟡 At risk, 🔴 Off track, ⚪ No data / No target (the
label follows the symbol, so the two white ones stay distinct and the table reads
without colour). User text is escaped: ``|`` and newlines cannot break the table,
and Markdown or HTML in a note shows as the characters typed.
"""

from __future__ import annotations

from kpisheets.explain import action_text
from kpisheets.export.meeting import (
    STATUS_SYMBOL,
    attention,
    bottleneck_sentence,
    by_category,
    compact_row,
    done_this_period,
    funnel_lines,
    kpi_row,
    left_out_text,
    legend_lines,
    period_line,
    status_counts,
)
from kpisheets.formatting import percent, shorten
from kpisheets.result import Result

# Backslash-escape the ASCII punctuation that starts emphasis, code, links, images,
# headings, HTML tags or table cells. ``&`` becomes an entity so "&lt;" stays literal.
_ESCAPED = set("\\`*_~[]<>|#!")
NOTE_LIMIT = 120


def escape(text: str | None) -> str:
    """User text made inert inside a Markdown table cell.

    >>> escape("a|b <script>")
    'a\\\\|b \\\\<script\\\\>'
    """
    if not text:
        return ""
    flat = " ".join(str(text).split())  # newlines and tabs would end the row
    out = []
    for ch in flat:
        if ch == "&":
            out.append("&amp;")
        elif ch in _ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def since_markdown(result: Result) -> list[str]:
    """What changed since the last review: a bold heading and a bullet per kind
    (:func:`kpisheets.reviews.since_lines`), then a blank line; nothing when the result
    was not compared."""
    if result.since is None:
        return []
    from kpisheets.reviews import since_heading, since_lines

    lines = [f"**{escape(since_heading(result.since))}**", ""]
    for label, text in since_lines(result.since):
        lines.append(f"- **{escape(label)}:** {escape(text)}" if label else f"- {escape(text)}")
    return [*lines, ""]


def _attention(result: Result) -> list[str]:
    """What needs attention: each At risk/Off track KPI with its driver sentence and
    its actions (or "no action planned"); then the actions done this period."""
    items = attention(result)
    done = done_this_period(result)
    if not items and not done:
        return []
    lines = ["## Needs attention", ""] if items else []
    for item in items:
        k = item.kpi
        head = f"- {STATUS_SYMBOL[k.status]} **{escape(k.name)}** ({k.status.label.lower()})"
        if item.driver:
            head += f": {escape(item.driver)}"
        lines.append(head)
        for text, overdue in item.actions:
            lines.append(f"  - {'⚠ ' if overdue else ''}{escape(text)}")
        if item.no_action_planned:
            lines.append("  - _No action planned_")
    if done:
        lines += ["", "**Done this period**", ""] if items else ["## Done this period", ""]
        for k, a in done:
            lines.append(f"- ✓ {escape(k.name)}: {escape(action_text(a, result.as_of))}")
    return [*lines, ""]


def _funnels(result: Result) -> list[str]:
    """One table per funnel: stages, conversions now / before / target, the
    bottleneck marked, and the sentence naming it."""
    lines: list[str] = []
    for f in result.funnels:
        lines += [
            f"## Funnel: {escape(f.name)} · {escape(f.period.label)}",
            "",
            "| Stage | Now | Same day last period | Target | Conversion | Before | Target conversion |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for line in funnel_lines(f):
            stage = (
                f"**{escape(line.stage)}** ◀ bottleneck" if line.bottleneck else escape(line.stage)
            )
            cells = [stage, escape(line.now), escape(line.before), escape(line.target),
                     line.conversion, line.conversion_before, line.conversion_target]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", escape(bottleneck_sentence(f)), ""]
    return lines


def result_markdown(result: Result) -> str:
    """Title, as-of line, status counts, one table per category, what needs attention
    (driver sentences and actions), then the funnels."""
    counts = " · ".join(
        f"{STATUS_SYMBOL[s]} {n} {s.label.lower()}" for s, n in status_counts(result) if n
    )
    lines = [
        f"# {escape(result.title)}",
        "",
        f"As of **{result.as_of.isoformat()}** · {escape(period_line(result))} · "
        f"overall score **{percent(result.overall.score)}**",
        "",
    ]
    lines += since_markdown(result)
    left_out = left_out_text(result)
    if left_out:  # before the figures, as on the Summary sheet
        lines += [f"**{escape(left_out)}.**", ""]
    lines += [counts or "No KPIs.", ""]
    header = (
        "| Status | KPI | Owner | Actual | Target | Expected | % of target | Trend | Latest note |"
    )
    rule = "|---|---|---|--:|--:|--:|--:|:-:|---|"
    for category, kpis in by_category(result):
        lines += [f"## {escape(category)}", "", header, rule]
        for k in kpis:
            row = compact_row(kpi_row(k))
            # No colour in Markdown: the word says whether the move is good.
            trend = f"{row.trend} ({row.trend_label})" if row.trend_label else row.trend
            cells = [
                f"{STATUS_SYMBOL[k.status]} {k.status.label}",
                f"**{escape(k.name)}** ({escape(k.id)})",
                escape(k.owner),
                escape(row.actual),
                escape(row.target),
                escape(row.expected),
                row.achievement,
                trend,
                escape(shorten(k.note, NOTE_LIMIT)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    for line in legend_lines(result) if result.kpis else []:
        lines += [f"_{escape(line)}_", ""]  # a paragraph each
    lines += _attention(result) + _funnels(result)
    errors = sum(1 for p in result.problems if p.severity == "error")
    warnings = len(result.problems) - errors
    if result.problems:
        lines.append(
            f"_{errors} error(s) and {warnings} warning(s) in the tracker; "
            "run `kpisheets check` for details._"
        )
        lines.append("")
    return "\n".join(lines)
