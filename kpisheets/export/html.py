"""The summary as ONE self-contained HTML file.

Inline CSS, inline SVG sparklines, no scripts, no fonts or images fetched from
anywhere: it opens offline, from an email attachment, on a phone (the table turns
into cards on narrow screens) and prints on landscape pages. Every piece of user
text — title, names, IDs, owners, categories, units, notes, problem messages — goes
through ``html.escape(..., quote=True)``; nothing a user typed becomes markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from kpisheets.explain import action_text, driver_sentence, needs_driver_sentence
from kpisheets.export.meeting import (
    ACTUAL_COLOUR,
    STATUS_FILL,
    STATUS_TEXT,
    TARGET_COLOUR,
    bottleneck_sentence,
    by_category,
    compact_figure,
    compact_row,
    funnel_lines,
    kpi_row,
    left_out_text,
    legend_lines,
    period_line,
    status_counts,
)
from kpisheets.formatting import format_value, percent, shorten
from kpisheets.palette import SCORE_FILL, SCORE_TEXT, WARNING_INK
from kpisheets.problems import errors_first, group_problems
from kpisheets.result import FunnelResult, KpiResult, Result

NOTE_LIMIT = 280
BOTTLENECK = "#C62828"
FUNNEL_BAR = "#8EA9DB"


def esc(text: object) -> str:
    """User text as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def sparkline_svg(k: KpiResult, width: int = 96, height: int = 24) -> str:
    """An inline SVG of the KPI's history: actual as a line, target dashed."""
    values = [h.value for h in k.history]
    targets = [h.target for h in k.history]
    known = [v for v in values + targets if v is not None]
    if len([v for v in values if v is not None]) < 2 or not known:
        return '<span class="muted">—</span>'
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    pad = 2.0

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / max(len(values) - 1, 1)
        y = height - pad - (height - 2 * pad) * (v - low) / span
        return f"{x:.1f},{y:.1f}"

    def polyline(series: Sequence[float | None], colour: str, extra: str = "") -> str:
        points = " ".join(xy(i, v) for i, v in enumerate(series) if v is not None)
        return (
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"{extra}/>'
        )

    parts = [
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{esc(sparkline_label(k))}">'
    ]
    if any(t is not None for t in targets):
        parts.append(polyline(targets, TARGET_COLOUR, ' stroke-dasharray="3 2" opacity="0.7"'))
    parts.append(polyline(values, ACTUAL_COLOUR))
    last = max(i for i, v in enumerate(values) if v is not None)
    lx, ly = xy(last, values[last]).split(",")  # type: ignore[arg-type]
    parts.append(f'<circle cx="{lx}" cy="{ly}" r="2.2" fill="{STATUS_FILL[k.status]}"/>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline_label(k: KpiResult) -> str:
    """What a screen reader says for the sparkline: every period's value and target.

    >>> # "History of Revenue: Oct 2026 $5,200 (target $6,000); Nov 2026 $6,100 (target $6,000)"
    """
    points = []
    for point in k.history:
        value = format_value(point.value, k.number_format, blank="no data")
        text = f"{point.label} {compact_figure(value, point.value)}"
        if point.target is not None:
            target = format_value(point.target, k.number_format)
            text += f" (target {compact_figure(target, point.target)})"
        points.append(text)
    return f"History of {k.name}: " + "; ".join(points)


_CSS = """
:root { --ink:#202124; --muted:#5F6368; --line:#DADCE0; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
  "Hiragino Sans", "Yu Gothic", "Noto Sans CJK JP", Arial, sans-serif; color: var(--ink);
  margin: 0 auto; padding: 16px; max-width: 1400px; font-size: 14px; line-height: 1.35; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 22px 0 6px; border-bottom: 2px solid var(--line); padding-bottom: 3px; }
.meta { color: var(--muted); margin-bottom: 12px; }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 14px; }
.tile { border-radius: 6px; padding: 6px 12px; min-width: 92px; }
.tile b { display: block; font-size: 22px; }
/* Every category table has the same column widths (fixed layout, one colgroup), so the
   columns line up from one table to the next. The figure, period and trend columns are
   as wide as their longest text (the page's own widths, set after this sheet); the
   notes take the room that is left. */
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
col.c-status { width: 86px; } col.c-kpi { width: 13%; } col.c-history { width: 114px; }
col.c-actions { width: 13%; }
th.c-actual, th.c-target, th.c-expected, th.c-pct { text-align: right; }
.since { margin: 4px 0 12px; padding: 8px 12px; border-left: 4px solid var(--ink);
  background: #F8F9FA; }
.since h2 { font-size: 15px; margin: 0 0 4px; border: none; padding: 0; }
.since ul { margin: 0; padding-left: 18px; } .since li { margin: 2px 0; }
/* the heading above shows the category; the caption names the table for screen readers */
caption { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.legend { color: var(--muted); font-size: 12px; margin: 14px 0 0; max-width: 1100px; }
.legend p { margin: 3px 0; }
th { text-align: left; font-size: 12px; color: var(--muted); border-bottom: 2px solid var(--line);
  padding: 4px 6px; }
td, th[scope=row] { border-bottom: 1px solid var(--line); padding: 5px 6px; vertical-align: middle; }
th[scope=row] { font-size: inherit; color: var(--ink); font-weight: normal; text-align: left; }
/* A figure never breaks inside its number; its unit may go to a second line
   ("30,165 visits" in a narrow column), rather than run over the next column. */
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px;
  white-space: nowrap; font-weight: 600; }
.kpi-name { font-weight: 600; }
.small, .muted { color: var(--muted); font-size: 12px; }
/* Notes wrap between words; only a single word longer than the column breaks. */
.note { font-size: 12.5px; overflow-wrap: break-word; hyphens: auto; }
.kpi-name, th[scope=row] { overflow-wrap: break-word; }
.trend { white-space: nowrap; font-weight: 600; }
.problems li { margin: 2px 0; }
/* Between phone and desktop widths the sparkline column gives its room to the notes. */
@media (min-width: 901px) and (max-width: 1000px), print and (max-width: 1000px) {
  body { font-size: 13px; padding: 12px; }
  /* the cells stay (hiding them would shift the others left); they take no room */
  col.c-history { width: 0; }
  td.c-history, th.c-history { padding: 0; border-left: 0; border-right: 0; font-size: 0; }
  td.c-history > * { display: none; }
  col.c-status { width: 72px; } col.c-kpi { width: 13%; } col.c-actions { width: 13%; }
  td, th, th[scope=row] { padding-left: 4px; padding-right: 4px; }
  /* a figure's unit word goes under its number, a trend's figure under its arrow */
  td.num, .trend { white-space: normal; }
  .status { padding: 1px 5px; font-size: 11px; }
}
.actions { font-size: 12px; overflow-wrap: break-word; }
.actions ul { margin: 0; padding-left: 14px; }
.actions li.none { list-style: none; margin-left: -14px; color: #7A4F00; font-style: italic; }
.actions li.done { color: var(--muted); }
.overdue { color: #B3261E; font-weight: 600; }
.ok { color: #2E7D32; }
tr.driver td { border-bottom: 1px solid var(--line); font-size: 12.5px; font-style: italic;
  background: #F7F9FC; padding: 3px 6px 5px; }
table.funnel { width: auto; min-width: 60%; }
table.funnel tr.bottleneck th, table.funnel tr.bottleneck td { background: #FDE2E1; }
.fbar { width: 220px; display: flex; justify-content: center; }
.fbar span { display: block; height: 14px; border-radius: 2px; min-width: 2px; }
/* A phone or a tablet held upright: one card per KPI (on screen; paper keeps the table). */
@media screen and (max-width: 900px) {
  body { padding: 10px; }
  thead { display: none; }
  table, tbody, tr, td, th[scope=row] { display: block; width: 100%; }
  tr { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; padding: 6px 8px; }
  td, th[scope=row] { border: none; padding: 2px 0; text-align: left !important; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
  td.name-cell::before, td.status-cell::before { content: none; }
  td.note:empty, td.actions:empty { display: none; }
  .note { max-width: none; }
}
@media print {
  @page { size: landscape; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10.5px; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  .tile, .status { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
_CSS += f"""
.left-out {{ color: {WARNING_INK}; font-weight: 600; margin: 8px 0 0; }}
.left-out a {{ color: inherit; }}
"""


def _ch(text: str) -> float:
    """About how many ``ch`` (digit widths) ``text`` takes in a sans-serif font: digits
    and signs one each, a space half, lowercase letters less, capitals and symbols
    more. Erring wide only costs the notes a little room."""
    widths = {" ": 0.5, ",": 0.5, ".": 0.5, ":": 0.5, "i": 0.45, "l": 0.45, "j": 0.45}
    widths |= {"m": 1.5, "w": 1.3, "f": 0.6, "t": 0.65, "r": 0.7}
    total = 0.0
    for c in text:
        if c in widths:
            total += widths[c]
        elif c.isdigit() or c in "$%+-−()":
            total += 1.0
        elif c.islower():
            total += 0.95
        else:
            total += 1.25
    return total


def _column_css(result: Result) -> str:
    """The widths of the columns that hold short texts, from the longest text each
    holds on this page (in ``ch``, the width of a digit, with a character to spare and
    the cell's padding): whole on a wide screen; between 901 and 1000 px only the
    longest word, as the figures' unit words and the trend's figure wrap there."""

    def longest(texts: list[str], words: bool) -> float:
        parts = [w for t in texts for w in t.split()] if words else texts
        return round(max((_ch(t) for t in parts), default=0.0) + 1, 1)

    rows = [kpi_row(k) for k in result.kpis]
    figures = [t for r in rows for t in (r.actual, r.target, r.expected)]
    figures += ["Target", "Expected"]  # the headers' words
    periods = [k.period.label for k in result.kpis] + ["Period"]
    trends = [r.trend for r in rows] + ["Trend"]
    percents = [r.achievement for r in rows] + ["target"]

    def widths(words: bool, padding: int) -> str:
        # A period wraps between its words on every screen ("Week of" / "2026-11-16").
        cols = {
            "period": longest(periods, True),
            "actual": longest(figures, words),
            "target": longest(figures, words),
            "expected": longest(figures, words),
            "pct": longest(percents, True),
            "trend": longest(trends, words),
        }
        return " ".join(
            f"col.c-{key} {{ width: calc({n}ch + {padding}px); }}" for key, n in cols.items()
        )

    return (
        f"{widths(False, 12)}\n"
        "@media (min-width: 901px) and (max-width: 1000px), print and (max-width: 1000px) "
        f"{{ {widths(True, 8)} }}\n"
    )


def _status_badge(k: KpiResult) -> str:
    return (
        f'<span class="status" style="background:{STATUS_FILL[k.status]};'
        f'color:{STATUS_TEXT[k.status]}">{esc(k.status.label)}</span>'
    )


def _kpi_tr(k: KpiResult, as_of: dt.date) -> str:
    row = compact_row(kpi_row(k))
    trend = ""
    if row.trend:
        label = f" ({row.trend_label})" if row.trend_label else ""
        trend = (
            f'<span class="trend" style="color:{row.trend_colour}" '
            f'title="{esc(row.trend_label)}" aria-label="{esc(row.trend + label)}">'
            f"{esc(row.trend)}</span>"
        )
    who = " · ".join(esc(x) for x in (k.id, k.owner) if x)
    stale = ' <span class="muted">(stale)</span>' if k.stale else ""
    cells = [
        f'<td class="status-cell">{_status_badge(k)}</td>',
        f'<th scope="row" class="name-cell"><div class="kpi-name">{esc(k.name)}</div>'
        f'<div class="small">{who}</div></th>',
        f'<td data-label="Period">{esc(k.period.label)}</td>',
        f'<td class="num" data-label="Actual">{esc(row.actual)}{stale}</td>',
        f'<td class="num" data-label="Target">{esc(row.target)}</td>',
        f'<td class="num" data-label="Expected">{esc(row.expected)}</td>',
        f'<td class="num" data-label="% of target" style="background:{row.achievement_tint}">'
        f"{esc(row.achievement)}</td>",
        f'<td data-label="Trend">{trend}</td>',
        f'<td class="c-history" data-label="History">{sparkline_svg(k)}</td>',
        f'<td class="note" data-label="Note">{esc(shorten(k.note, NOTE_LIMIT))}</td>',
        f'<td class="actions" data-label="Actions">{_actions_cell(k, as_of)}</td>',
    ]
    tr = "<tr>" + "".join(cells) + "</tr>"
    if needs_driver_sentence(k):
        tr += (
            f'<tr class="driver"><td></td><td colspan="{len(cells) - 1}">↳ '
            f"{esc(driver_sentence(k))}</td></tr>"
        )
    return tr


def _actions_cell(k: KpiResult, as_of: dt.date) -> str:
    """Open actions (overdue ones marked), done this period, or "No action planned"."""
    items = []
    for a in k.open_actions:
        mark = '<span class="overdue">⚠</span> ' if a.overdue else ""
        items.append(f"<li>{mark}{esc(action_text(a, as_of))}</li>")
    for a in k.actions:
        if a.done_this_period:
            items.append(f'<li class="done">✓ Done: {esc(action_text(a, as_of))}</li>')
    if k.no_action_planned:
        items.insert(0, '<li class="none">No action planned</li>')
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _funnel_section(f: FunnelResult) -> str:
    """A funnel: its stage table (bottleneck marked) beside centred bars, and the
    sentence naming the bottleneck."""
    lines = funnel_lines(f)
    widest = max((line.value for line in lines), default=0.0) or 1.0
    rows = []
    for line in lines:
        cls = ' class="bottleneck"' if line.bottleneck else ""
        mark = ' <span class="overdue">◀ bottleneck</span>' if line.bottleneck else ""
        share = 100 * line.value / widest
        bar = (
            f'<div class="fbar"><span style="width:{share:.1f}%;'
            f'background:{BOTTLENECK if line.bottleneck else FUNNEL_BAR}"></span></div>'
        )
        rows.append(
            f'<tr{cls}><th scope="row">{esc(line.stage)}{mark}</th>'
            f'<td class="num">{esc(line.now)}</td><td class="num">{esc(line.before)}</td>'
            f'<td class="num">{esc(line.target)}</td><td class="num"><b>{esc(line.conversion)}</b></td>'
            f'<td class="num">{esc(line.conversion_before)}</td>'
            f'<td class="num">{esc(line.conversion_target)}</td><td>{bar}</td></tr>'
        )
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in ("Stage", "Now", "Same day last period", "Target", "Conversion", "Before",
                  "Target conversion", "")
    )  # fmt: skip
    sentence_class = "overdue" if f.bottleneck else "ok"
    return (
        f"<h2>Funnel: {esc(f.name)} · {esc(f.period.label)}</h2>"
        f'<table class="funnel"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<p class="{sentence_class}"><b>{esc(bottleneck_sentence(f))}</b></p>'
    )


def since_html(result: Result) -> str:
    """What changed since the last review (:func:`kpisheets.reviews.since_lines`), as a
    section under the as-of line; empty when the result was not compared."""
    if result.since is None:
        return ""
    from kpisheets.reviews import since_heading, since_lines

    items = "".join(
        f"<li><b>{esc(label)}:</b> {esc(text)}</li>" if label else f"<li>{esc(text)}</li>"
        for label, text in since_lines(result.since)
    )
    return (
        f'<section class="since"><h2>{esc(since_heading(result.since))}</h2>'
        f"<ul>{items}</ul></section>"
    )


def result_html(result: Result) -> str:
    """The whole page as a string (UTF-8 declared)."""
    tiles = "".join(
        f'<div class="tile" style="background:{STATUS_FILL[s]};color:{STATUS_TEXT[s]}">'
        f"<b>{n}</b>{esc(s.label)}</div>"
        for s, n in status_counts(result)
    )
    tiles += (
        f'<div class="tile" style="background:{SCORE_FILL};color:{SCORE_TEXT}">'
        f"<b>{esc(percent(result.overall.score))}</b>Overall score</div>"
    )
    columns = (
        ("status", "Status"),
        ("kpi", "KPI"),
        ("period", "Period"),
        ("actual", "Actual"),
        ("target", "Target"),
        ("expected", "Expected by now"),
        ("pct", "% of target"),
        ("trend", "Trend"),
        ("history", "History"),
        ("note", "Latest note"),
        ("actions", "Actions"),
    )
    colgroup = "<colgroup>" + "".join(f'<col class="c-{key}">' for key, _ in columns)
    head = (
        colgroup
        + "</colgroup><thead><tr>"
        + "".join(f'<th scope="col" class="c-{key}">{name}</th>' for key, name in columns)
        + "</tr></thead>"
    )
    sections = []
    rollups = {c.name: c for c in result.categories}
    for category, kpis in by_category(result):
        rollup = rollups.get(category)
        score = f" — score {esc(percent(rollup.score))}" if rollup else ""
        rows = "".join(_kpi_tr(k, result.as_of) for k in kpis)
        caption = f"{esc(category)}: {len(kpis)} KPI{'' if len(kpis) == 1 else 's'}{score}"
        sections.append(
            f'<h2>{esc(category)}<span class="small">{score}</span></h2>'
            f"<table><caption>{caption}</caption>{head}"
            f"<tbody>{rows}</tbody></table>"
        )
    legend = ""
    if result.kpis:
        legend = (
            '<div class="legend">'
            + "".join(f"<p>{esc(line)}</p>" for line in legend_lines(result))
            + "</div>"
        )
    funnels = "".join(_funnel_section(f) for f in result.funnels)
    problems = ""
    if result.problems:
        # Repeats of one code in one column are one item with their cells' ranges.
        items = "".join(
            f"<li><b>{esc(g.severity)}</b> {esc(g.where())} "
            f'{esc(g.message())} <span class="muted">({esc(g.code)}) {esc(g.first.hint)}'
            "</span></li>"
            for g in errors_first(group_problems(result.problems))
        )
        problems = f'<h2 id="problems">Problems</h2><ul class="problems">{items}</ul>'
    left_out = ""
    if result.left_out_count:
        line = left_out_text(result, where="")
        link = '<a href="#problems">see Problems</a>' if problems else "see Problems"
        left_out = f'<p class="left-out">{esc(line)} — {link}.</p>'
    meta = f"As of {esc(result.as_of.isoformat())}"
    if period_line(result):
        meta += f" · {esc(period_line(result))}"
    meta += f" · {len(result.kpis)} KPIs"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(result.title)} — {esc(result.as_of.isoformat())}</title>"
        f"<style>{_CSS}{_column_css(result)}</style></head><body>"
        f'<header><h1>{esc(result.title)}</h1><div class="meta">{meta}</div>'
        f'{since_html(result)}{left_out}<div class="tiles">{tiles}</div></header>'
        f"<main>{''.join(sections)}{legend}{funnels}{problems}</main>"
        '<footer class="muted">Made with kpisheets.</footer>'
        "</body></html>\n"
    )
