"""The meeting summary as a PDF (ReportLab, pure Python).

Page one: title, as-of date and period, status tiles with counts and the overall
score, then the KPI table grouped by category — status colours, trend arrows,
sparklines of the history and the latest note. Up to about 25 KPIs it is fitted to
one landscape page (type size and note length shrink a little as needed); more KPIs
flow onto further pages, the title banner and the column header repeated. Then one
page per category with each KPI's actual against target over the history periods.

Fonts: see :mod:`kpisheets.export.pdf_fonts`.
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kpisheets.charts import charted_points, short_labels
from kpisheets.explain import action_text, driver_sentence, needs_driver_sentence
from kpisheets.export.meeting import (
    ACTUAL_COLOUR,
    STATUS_FILL,
    STATUS_TEXT,
    TARGET_COLOUR,
    attention,
    bottleneck_sentence,
    by_category,
    done_this_period,
    funnel_lines,
    kpi_row,
    left_out_text,
    legend_lines,
    period_line,
    status_counts,
)
from kpisheets.export.pdf_fonts import (
    SANS,
    SANS_BOLD,
    draw_string,
    fit,
    markup,
    register,
    string_width,
)
from kpisheets.formatting import finite, format_value, percent, shorten
from kpisheets.palette import SCORE_FILL, SCORE_TEXT, WARNING_INK
from kpisheets.result import FunnelResult, KpiResult, Result

PAPER_SIZES = {"a4": landscape(A4), "letter": landscape(LETTER)}
MARGIN = 28.0
BANNER = 34.0  # height of the repeated title banner
FOOTER = 14.0
INK = colors.HexColor("#202124")
MUTED = colors.HexColor("#5F6368")
RULE = colors.HexColor("#DADCE0")
BAND = colors.HexColor("#F1F3F4")
CHARTS_PER_ROW = 3
CHART_ROWS = 2
NOTE_CHARS = 400  # a note is cut to this before fitting it to its cell
NAME_CHARS = 70  # a longer KPI name is cut so one row cannot take half a page
CATEGORY_CHARS = 120  # a category heading longer than this is cut (two lines at most)
OVERDUE = colors.HexColor("#B3261E")
NO_PLAN = colors.HexColor("#7A4F00")
BOTTLENECK = "#C62828"
BOTTLENECK_TINT = colors.HexColor("#FDE2E1")
FUNNEL_BAR = "#8EA9DB"
ACTION_MARK = "#ED7D31"  # the charts' "action logged" diamonds
ACTIONS_SHOWN = 8  # open actions listed per KPI on the attention page

# (font size, note lines) tried in order until the summary fits on page one.
FIT_STEPS = (
    (10.0, 2),
    (9.5, 2),
    (9.0, 2),
    (8.5, 2),
    (8.0, 2),
    (8.0, 1),
    (7.5, 1),
    (7.0, 1),
    (6.5, 1),
)


def result_pdf(
    result: Result, paper: str = "a4", progress: Callable[[str], None] | None = None
) -> bytes:
    """The PDF bytes of the meeting summary (``paper``: ``"a4"`` or ``"letter"``)."""
    register()
    say = progress or (lambda message: None)
    page_size = PAPER_SIZES[paper]
    width, height = page_size
    frame_w = width - 2 * MARGIN
    frame_h = height - 2 * MARGIN - BANNER - FOOTER
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=page_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + BANNER,
        bottomMargin=MARGIN + FOOTER,
        title=result.title,
        author="kpisheets",
        subject=f"KPI summary as of {result.as_of.isoformat()}",
    )
    frame = Frame(MARGIN, MARGIN + FOOTER, frame_w, frame_h, 0, 0, 0, 0, id="body")
    pages = _PageCounter(say)
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=_banner(result, page_size, pages))]
    )
    say("laying out the summary")
    story: list[Flowable] = []
    since = _since(result)  # what changed since the last review, first
    since_h = sum(p.wrap(frame_w, frame_h)[1] for p in since)
    story += since
    left_out = _left_out(result)  # before the figures, as on the Summary sheet
    left_out_h = sum(p.wrap(frame_w, frame_h)[1] + 4 for p in left_out)
    tiles = _tiles(result, frame_w, big=len(result.kpis) <= 15)
    story += [*left_out, tiles, Spacer(1, 8)]
    _, tiles_h = tiles.wrap(frame_w, frame_h)
    tiles_h += left_out_h
    legend = _legend(result)
    legend_h = sum(p.wrap(frame_w, frame_h)[1] for p in legend) + 6
    story.append(_fitted_summary_table(result, frame_w, frame_h - since_h - tiles_h - 8 - legend_h))
    story += [Spacer(1, 6), *legend]
    story += _attention_pages(result, frame_w)
    for funnel in result.funnels:
        story += _funnel_flowables(funnel, frame_w)
    categories = by_category(result)
    for i, (category, kpis) in enumerate(categories, start=1):
        say(f"charts for {category} ({i} of {len(categories)})")
        story += _category_pages(result, category, kpis, frame_w, frame_h)
    doc.build(story)
    return buffer.getvalue()


class _PageCounter:
    """Counts pages as they are drawn and reports each one."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.count = 0

    def next(self) -> int:
        self.count += 1
        self.say(f"page {self.count}")
        return self.count


def _banner(
    result: Result, page_size: tuple[float, float], pages: _PageCounter
) -> Callable[[Canvas, Any], None]:
    """The title banner and footer drawn on every page (the repeated header)."""
    width, height = page_size

    def draw(canvas: Canvas, doc: Any) -> None:
        number = pages.next()
        canvas.saveState()
        top = height - MARGIN
        canvas.setFillColor(INK)
        meta = f"As of {result.as_of.isoformat()}"
        if period_line(result):
            meta += f"  ·  {period_line(result)}"
        meta_w = string_width(meta, 10)
        title = fit(result.title, 17, width - 2 * MARGIN - meta_w - 20, bold=True)
        draw_string(canvas, MARGIN, top - 17, title, 17, bold=True)
        canvas.setFillColor(MUTED)
        draw_string(canvas, width - MARGIN - meta_w, top - 16, meta, 10)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(1)
        canvas.line(MARGIN, top - 25, width - MARGIN, top - 25)
        canvas.setFont(SANS, 7.5)
        canvas.drawString(
            MARGIN,
            MARGIN,
            f"{len(result.kpis)} KPI{'' if len(result.kpis) == 1 else 's'} · made with kpisheets",
        )
        canvas.drawRightString(width - MARGIN, MARGIN, f"Page {number}")
        canvas.restoreState()

    return draw


def _style(size: float, bold: bool = False, colour: Any = INK, align: int = 0) -> ParagraphStyle:
    return ParagraphStyle(
        "cell",
        fontName=SANS_BOLD if bold else SANS,
        fontSize=size,
        leading=size * 1.18,
        textColor=colour,
        alignment=align,
    )


def _tiles(result: Result, width: float, big: bool = True) -> Table:
    """One coloured tile per status with its count, and the overall score
    (smaller when the KPI table needs the room)."""
    number = 17 if big else 13
    cells: list[Any] = []
    fills: list[str] = []
    for status, count in status_counts(result):
        colour = colors.HexColor(STATUS_TEXT[status])
        cells.append(
            [
                Paragraph(str(count), _style(number, True, colour, TA_CENTER)),
                Paragraph(status.label, _style(8, False, colour, TA_CENTER)),
            ]
        )
        fills.append(STATUS_FILL[status])
    score_colour = colors.HexColor(SCORE_TEXT)
    cells.append(
        [
            Paragraph(percent(result.overall.score), _style(number, True, score_colour, TA_CENTER)),
            Paragraph("Overall score", _style(8, False, score_colour, TA_CENTER)),
        ]
    )
    fills.append(SCORE_FILL)
    gap = 6.0
    tile_w = (width - gap * (len(cells) - 1)) / len(cells)
    row: list[Any] = []
    col_widths: list[float] = []
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for i, (cell, fill) in enumerate(zip(cells, fills, strict=True)):
        if i:
            row.append("")
            col_widths.append(gap)
        row.append(cell)
        col_widths.append(tile_w)
        style.append(("BACKGROUND", (len(row) - 1, 0), (len(row) - 1, 0), colors.HexColor(fill)))
    table = Table([row], colWidths=col_widths, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _fitted_summary_table(result: Result, width: float, first_page_h: float) -> Table:
    """The KPI table at the largest type size that fits page one; if none does
    (many KPIs) the compact size flows onto further pages."""
    fallback = None
    for size, note_lines in FIT_STEPS:
        table, squeezed = _summary_table(result, width, size, note_lines)
        _, h = table.wrap(width, first_page_h)
        if h <= first_page_h and not squeezed:
            return table
        if fallback is None and (size == 7.5 or h <= first_page_h):
            fallback = table
    assert fallback is not None
    return fallback


def _summary_table(
    result: Result, width: float, size: float, note_lines: int
) -> tuple[LongTable, bool]:
    """The KPI table at type size ``size``, and whether its columns had to be
    squeezed below their content's width to fit ``width``."""
    periods = {k.period.label for k in result.kpis}
    show_period = len(periods) > 1
    small = size - 1
    spark_w, spark_h = size * 9, size * 1.45
    rows = [kpi_row(k) for k in result.kpis]

    def widest(texts: Sequence[str], font_size: float, bold: bool = False) -> float:
        return max((string_width(t, font_size, bold) for t in texts), default=0.0) + 10

    def fixed(header: str, texts: Sequence[str], bold: bool = False) -> float:
        # Capped, so an absurd figure (1e300 written out) cannot squeeze the other
        # columns below their padding; such a figure overflows its own cell instead.
        return min(max(widest(texts, size, bold), widest([header], small, True)), width * 0.15)

    kpi_texts = [f"{k.name}  {k.id}" for k in result.kpis]
    columns: list[tuple[str, float, int]] = [  # header, width, alignment
        ("Status", widest(["No target"], small, True), TA_CENTER),
        ("KPI", min(widest(kpi_texts, size, True), width * 0.26), 0),
        ("Owner", min(fixed("Owner", [k.owner for k in result.kpis]), width * 0.1), 0),
    ]
    if show_period:
        columns.append(("Period", widest(sorted(periods), small), 0))
    columns += [
        ("Actual", fixed("Actual", [r.actual for r in rows], True), TA_RIGHT),
        ("Target", fixed("Target", [r.target for r in rows]), TA_RIGHT),
        ("Expected", fixed("Expected", [r.expected for r in rows]), TA_RIGHT),
        ("% of target", fixed("% of target", [r.achievement for r in rows], True), TA_RIGHT),
        ("Trend", fixed("Trend", [f"{r.trend_arrow} {r.change}" for r in rows]), TA_CENTER),
        ("History", spark_w + 6, TA_CENTER),
    ]
    used = sum(w for _, w, _ in columns)
    note_w = max(width - used, width * 0.18)
    if used + note_w > width:  # the KPI names give way first, then the note
        name, name_w, align = columns[1]
        columns[1] = (name, max(name_w - (used + note_w - width), width * 0.14), align)
        used = sum(w for _, w, _ in columns)
        note_w = max(width - used, width * 0.1)
    columns.append(("Latest note", note_w, 0))
    total = used + note_w
    squeezed = total > width + 0.01
    if squeezed:  # scale every column but the sparkline's down to the page
        keep = spark_w + 6
        factor = (width - keep) / (total - keep)
        columns = [(h, w if h == "History" else w * factor, a) for h, w, a in columns]
        note_w = columns[-1][1]
    col_widths = [w for _, w, _ in columns]
    header = [Paragraph(h, _style(small, True, MUTED, a)) for h, _, a in columns]
    data: list[list[Any]] = [header]
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        # the smallest type sizes (many KPIs) also close up the rows
        ("TOPPADDING", (0, 0), (-1, -1), 1.6 if size > 7 else 0.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2 if size > 7 else 1.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, RULE),
    ]
    rollups = {c.name: c for c in result.categories}
    for category, kpis in by_category(result):
        rollup = rollups.get(category)
        band = markup(shorten(category, CATEGORY_CHARS), bold=True)
        if rollup is not None:
            count = f"{len(kpis)} KPI" + ("s" if len(kpis) != 1 else "")
            band += (
                f'<font face="{SANS}" color="#5F6368">  ·  {count}  ·  '
                f"score {percent(rollup.score)}</font>"
            )
        data.append([Paragraph(band, _style(size, True))] + [""] * (len(columns) - 1))
        r = len(data) - 1
        style += [
            ("SPAN", (0, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), BAND),
            ("TOPPADDING", (0, r), (-1, r), 2.5),
        ]
        for k in kpis:
            data.append(_kpi_cells(k, columns, size, note_lines, note_w, spark_w, spark_h))
            r = len(data) - 1
            style += [
                ("BACKGROUND", (0, r), (0, r), colors.HexColor(STATUS_FILL[k.status])),
                ("LINEBELOW", (0, r), (-1, r), 0.4, RULE),
            ]
            pct_col = [h for h, _, _ in columns].index("% of target")
            tint = kpi_row(k).achievement_tint
            style.append(("BACKGROUND", (pct_col, r), (pct_col, r), colors.HexColor(tint)))
            if needs_driver_sentence(k):
                # Where the gap comes from, in one sentence under the KPI's row.
                sentence = Paragraph("↳ " + markup(driver_sentence(k)), _style(small, colour=INK))
                data.append(["", sentence] + [""] * (len(columns) - 2))
                r = len(data) - 1
                style += [
                    ("SPAN", (1, r), (-1, r)),
                    ("LINEBELOW", (0, r), (-1, r), 0.4, RULE),
                    ("TOPPADDING", (0, r), (-1, r), 0.5),
                ]
    table = LongTable(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table, squeezed


def _since(result: Result) -> list[Flowable]:
    """What changed since the last review, above the tiles: a heading and a line per
    kind (:func:`kpisheets.reviews.since_lines`); nothing when not compared."""
    if result.since is None:
        return []
    from kpisheets.reviews import since_heading, since_lines

    out: list[Flowable] = [
        Paragraph(markup(since_heading(result.since), bold=True), _style(9.5, True))
    ]
    for label, text in since_lines(result.since):
        lead = markup(label + ":", bold=True) + " " if label else ""
        out.append(Paragraph(lead + markup(text), _style(8)))
    out.append(Spacer(1, 5))
    return out


def _left_out(result: Result) -> list[Flowable]:
    """The line saying how many entries problems left out of the figures (none when
    nothing was left out)."""
    line = left_out_text(result)
    if not line:
        return []
    style = _style(9, bold=True, colour=colors.HexColor(WARNING_INK))
    style.spaceAfter = 4
    return [Paragraph(markup(line + "."), style)]


def _attention_pages(result: Result, width: float) -> list[Flowable]:
    """What needs attention — each At risk/Off track KPI with its driver sentence and
    open actions (overdue marked, or "No action planned") — and the actions done this
    period, on a page of their own."""
    items = attention(result)
    done = done_this_period(result)
    if not items and not done:
        return []
    story: list[Flowable] = [PageBreak(), Paragraph("Needs attention", _style(15, True))]
    story.append(Spacer(1, 6))
    rows: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    status_w = string_width("Off track", 8.5, True) + 14
    for item in items:
        k = item.kpi
        # Cut to lengths that keep a row shorter than a page (a table row cannot split).
        what = [Paragraph(markup(shorten(k.name, NAME_CHARS), bold=True), _style(10))]
        if item.driver:
            what.append(Paragraph(markup(shorten(item.driver, 600)), _style(8.5, colour=INK)))
        actions = [
            Paragraph(
                ("⚠ " if overdue else "• ") + markup(shorten(text, 240)),
                _style(8.5, colour=OVERDUE if overdue else INK),
            )
            for text, overdue in item.actions[:ACTIONS_SHOWN]
        ]
        if len(item.actions) > ACTIONS_SHOWN:
            more = len(item.actions) - ACTIONS_SHOWN
            actions.append(Paragraph(f"and {more} more", _style(8.5, colour=MUTED)))
        if item.no_action_planned:
            actions.insert(0, Paragraph("<i>No action planned</i>", _style(8.5, colour=NO_PLAN)))
        status = Paragraph(
            k.status.label, _style(8.5, True, colors.HexColor(STATUS_TEXT[k.status]), TA_CENTER)
        )
        rows.append([status, what, actions])
        r = len(rows) - 1
        style += [
            ("BACKGROUND", (0, r), (0, r), colors.HexColor(STATUS_FILL[k.status])),
            ("LINEBELOW", (0, r), (-1, r), 0.4, RULE),
        ]
    if rows:
        rest = width - status_w
        table = Table(rows, colWidths=[status_w, rest * 0.6, rest * 0.4], hAlign="LEFT")
        table.setStyle(TableStyle(style))
        story.append(table)
    if done:
        story += [Spacer(1, 10), Paragraph("Done this period", _style(12, True))]
        for k, a in done:
            story.append(
                Paragraph(
                    f"✓ {markup(shorten(k.name, NAME_CHARS), bold=True)}: "
                    f"{markup(shorten(action_text(a, result.as_of), 400))}",
                    _style(8.5),
                )
            )
    return story


def _funnel_flowables(f: FunnelResult, width: float) -> list[Flowable]:
    """A funnel: its stage table (the bottleneck row shaded) beside a funnel chart,
    and the sentence naming the bottleneck."""
    lines = funnel_lines(f)
    headers = ["Stage", "Now", "Same day last period", "Target", "Conversion", "Before",
               "Target conversion"]  # fmt: skip
    data: list[list[Any]] = [
        [
            Paragraph(h, _style(7.5, True, MUTED, 0 if i == 0 else TA_RIGHT))
            for i, h in enumerate(headers)
        ]
    ]
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 1.0, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for line in lines:
        neck = line.bottleneck
        ink = colors.HexColor(BOTTLENECK) if neck else INK
        name = markup(shorten(line.stage, NAME_CHARS), bold=True) + (
            "  ◀ bottleneck" if neck else ""
        )
        cells = [line.now, line.before, line.target, line.conversion, line.conversion_before,
                 line.conversion_target]  # fmt: skip
        data.append(
            [Paragraph(name, _style(9, colour=ink))]
            + [
                Paragraph(markup(c), _style(9, i in (0, 3), ink if i == 3 else INK, TA_RIGHT))
                for i, c in enumerate(cells)
            ]
        )
        r = len(data) - 1
        style.append(("LINEBELOW", (0, r), (-1, r), 0.4, RULE))
        if neck:
            style.append(("BACKGROUND", (0, r), (-1, r), BOTTLENECK_TINT))
    table_w = width * 0.58
    widths = [table_w * 0.31] + [table_w * 0.69 / 6] * 6
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    chart = funnel_chart(f, width * 0.38, max(24.0 * len(lines) + 20, 110.0))
    side = Table([[table, chart]], colWidths=[table_w + 8, width - table_w - 8], hAlign="LEFT")
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
    ink = colors.HexColor(BOTTLENECK) if f.bottleneck else colors.HexColor("#2E7D32")
    return [
        Spacer(1, 14),
        KeepTogether(
            [
                Paragraph(
                    markup(f"Funnel: {shorten(f.name, NAME_CHARS)}", bold=True)
                    + f'<font face="{SANS}" color="#5F6368" size="10">  ·  '
                    f"{markup(f.period.label)} to date</font>",
                    _style(13, True),
                ),
                Spacer(1, 4),
                side,
                Spacer(1, 4),
                Paragraph(markup(bottleneck_sentence(f), bold=True), _style(10, colour=ink)),
            ]
        ),
    ]


def funnel_chart(f: FunnelResult, width: float, height: float) -> Drawing:
    """Stages as centred bars, widest first, each joined to the next by a trapezoid;
    the bottleneck's stage in red, values in the bars."""
    drawing = Drawing(width, height)
    lines = funnel_lines(f)
    if not lines:
        return drawing
    widest = max(line.value for line in lines) or 1.0
    bar_h = (height - 8) / len(lines)
    centre = width / 2
    previous: tuple[float, float] | None = None
    for i, line in enumerate(lines):
        w = max(width * 0.96 * line.value / widest, 2.0)
        top = height - 4 - i * bar_h
        y = top - bar_h * 0.7
        colour = colors.HexColor(BOTTLENECK if line.bottleneck else FUNNEL_BAR)
        if previous is not None:
            pw, py = previous
            drawing.add(
                Polygon(
                    [centre - pw / 2, py, centre + pw / 2, py, centre + w / 2, top,
                     centre - w / 2, top],
                    fillColor=colors.HexColor("#E8EEF7"),
                    strokeColor=None,
                )
            )  # fmt: skip
        drawing.add(Rect(centre - w / 2, y, w, bar_h * 0.7, fillColor=colour, strokeColor=None))
        label = f"{line.stage}: {line.now}"
        inside = string_width(label, 7.5) < w - 6
        drawing.add(
            String(
                centre if inside else centre + w / 2 + 4,
                y + bar_h * 0.35 - 2.6,
                label,
                fontName=SANS_BOLD if line.bottleneck else SANS,
                fontSize=7.5,
                fillColor=colors.white if line.bottleneck and inside else INK,
                textAnchor="middle" if inside else "start",
            )
        )
        previous = (w, y)
    return drawing


def _legend(result: Result) -> list[Flowable]:
    """The legend lines under the KPI table (none without KPIs)."""
    if not result.kpis:
        return []
    return [Paragraph(markup(line), _style(7, colour=MUTED)) for line in legend_lines(result)]


def _kpi_cells(
    k: KpiResult,
    columns: Sequence[tuple[str, float, int]],
    size: float,
    note_lines: int,
    note_w: float,
    spark_w: float,
    spark_h: float,
) -> list[Any]:
    row = kpi_row(k)
    small = size - 1
    width = {h: w - 6 for h, w, _ in columns}  # less the cell padding
    values: dict[str, Any] = {
        "Status": Paragraph(
            k.status.label, _style(small, True, colors.HexColor(STATUS_TEXT[k.status]), TA_CENTER)
        ),
        "KPI": Paragraph(
            markup(shorten(k.name, NAME_CHARS), bold=True)
            + f'<font size="{small}" color="#5F6368">  {markup(k.id)}</font>',
            _style(size),
        ),
        "Owner": Paragraph(markup(shorten(k.owner, 40)), _style(small, colour=MUTED)),
        "Period": Paragraph(markup(k.period.label), _style(small)),
        "Actual": Paragraph(
            markup(_figure(row.actual, k.actual, width["Actual"], size, True)),
            _style(size, True, align=TA_RIGHT),
        ),
        "Target": Paragraph(
            markup(_figure(row.target, k.target, width["Target"], size)),
            _style(size, align=TA_RIGHT),
        ),
        "Expected": Paragraph(
            markup(_figure(row.expected, k.expected, width["Expected"], size)),
            _style(size, colour=MUTED, align=TA_RIGHT),
        ),
        "% of target": Paragraph(row.achievement, _style(size, True, align=TA_RIGHT)),
        "Trend": Paragraph(
            f'<font color="{row.trend_colour}">{row.trend_arrow}'
            f'<font size="{small}"> {row.change}</font></font>',
            _style(size, align=TA_CENTER),
        ),
        "History": sparkline(k, spark_w, spark_h),
        "Latest note": _note(k.note, small, note_w - 6, note_lines),
    }
    return [values[h] for h, _, _ in columns]


def _figure(text: str, value: float | None, width: float, size: float, bold: bool = False) -> str:
    """A figure's text for a cell ``width`` points wide: as formatted when it fits;
    a huge or tiny number in scientific notation (``1.7E+308``, not 309 digits);
    otherwise cut with an ellipsis (a unit of a thousand characters)."""
    if string_width(text, size, bold) <= width:
        return text
    if value is not None and value != 0 and not 1e-6 <= abs(value) < 1e15:
        text = f"{value:.3G}"
    return fit(text, size, width, bold)


def _note(note: str | None, size: float, width: float, lines: int) -> Paragraph:
    """The note, cut with an ellipsis so that it wraps to at most ``lines`` lines."""
    style = _style(size, colour=INK)
    text = shorten(note, NOTE_CHARS)
    if lines == 1:
        return Paragraph(markup(fit(text, size, width)), style)

    def wrapped(t: str) -> Paragraph:
        return Paragraph(markup(t), style)

    max_h = lines * style.leading + 0.5
    if wrapped(text).wrap(width, 10_000)[1] <= max_h:
        return wrapped(text)
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if wrapped(text[:mid].rstrip() + "…").wrap(width, 10_000)[1] <= max_h:
            low = mid
        else:
            high = mid - 1
    return wrapped(text[:low].rstrip() + "…")


def sparkline(k: KpiResult, width: float, height: float) -> Drawing:
    """The history as a small line: actual solid, target dashed, the last point
    coloured by status."""
    drawing = Drawing(width, height)
    values = [finite(h.value) for h in k.history]
    targets = [finite(h.target) for h in k.history]
    known = [v for v in values + targets if v is not None]
    if len([v for v in values if v is not None]) < 2 or not known:
        drawing.add(
            String(
                width / 2,
                height / 2 - 2,
                "—",
                fontName=SANS,
                fontSize=7,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return drawing
    low, high = min(known), max(known)
    pad = 1.5

    def point(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * i / max(len(values) - 1, 1)
        y = pad + (height - 2 * pad) * _position(v, low, high)
        return x, y

    def line(series: Sequence[float | None], colour: str, dashed: bool) -> None:
        points: list[float] = []
        for i, v in enumerate(series):
            if v is not None:
                points += point(i, v)
        if len(points) >= 4:
            drawing.add(
                PolyLine(
                    points,
                    strokeColor=colors.HexColor(colour),
                    strokeWidth=0.7 if dashed else 1.1,
                    strokeLineJoin=1,
                    strokeDashArray=[2, 1.5] if dashed else None,
                )
            )

    line(targets, TARGET_COLOUR, True)
    line(values, ACTUAL_COLOUR, False)
    last = max(i for i, v in enumerate(values) if v is not None)
    x, y = point(last, values[last])  # type: ignore[arg-type]
    drawing.add(
        Circle(x, y, 1.8, fillColor=colors.HexColor(STATUS_FILL[k.status]), strokeColor=None)
    )
    return drawing


# ---------------------------------------------------------------------------
# Category pages: actual against target over the history periods.


def _category_pages(
    result: Result, category: str, kpis: list[KpiResult], width: float, height: float
) -> list[Flowable]:
    per_page = CHARTS_PER_ROW * CHART_ROWS
    heading_h = 26.0
    cell_w = width / CHARTS_PER_ROW
    cell_h = (height - heading_h) / CHART_ROWS
    chart_w, chart_h = cell_w - 14, cell_h - 40
    story: list[Flowable] = []
    chunks = [kpis[i : i + per_page] for i in range(0, len(kpis), per_page)]
    for n, chunk in enumerate(chunks):
        story.append(PageBreak())
        suffix = f" (continued, {n + 1} of {len(chunks)})" if len(chunks) > 1 else ""
        story.append(
            Paragraph(
                markup(shorten(category, CATEGORY_CHARS), bold=True)
                + f'<font face="{SANS}" color="#5F6368" size="10">  —  actual against target over the last '
                f"{_history_length(chunk)} periods{suffix}</font>",
                _style(13, True),
            )
        )
        story.append(Spacer(1, 6))
        rows: list[list[Any]] = []
        for i in range(0, len(chunk), CHARTS_PER_ROW):
            row: list[Any] = []
            for k in chunk[i : i + CHARTS_PER_ROW]:
                row.append([_chart_title(k, chart_w), history_chart(k, chart_w, chart_h)])
            row += [""] * (CHARTS_PER_ROW - len(row))
            rows.append(row)
        grid = Table(rows, colWidths=[cell_w] * CHARTS_PER_ROW, rowHeights=[cell_h] * len(rows))
        grid.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ]
            )
        )
        story.append(grid)
    return story


def _history_length(kpis: list[KpiResult]) -> int:
    return max((len(charted_points(k)) for k in kpis), default=0)


def _chart_title(k: KpiResult, width: float) -> Paragraph:
    row = kpi_row(k)
    actual = _figure(row.actual, k.actual, width * 0.3, 8)
    target = _figure(row.target, k.target, width * 0.3, 8)
    badge = (
        f'<font color="{STATUS_FILL[k.status]}">●</font> '
        f'<font size="8" color="#5F6368">{k.status.label} · {markup(actual)} of '
        f"{markup(target)} ({row.achievement})</font>"
    )
    name = markup(fit(k.name, 10, width * 0.95, bold=True), bold=True)
    return Paragraph(f"{name}<br/>{badge}", _style(10, True))


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering low..high: at most ``count`` + 2, all finite.

    Worked out in exact decimals, so that figures near the largest float (whose span
    overflows) or below the smallest step a float can add (where ``t += step`` never
    moves) still give a few ticks; ticks beyond the largest float are clamped to it.
    """
    lo, hi = Decimal(low), Decimal(high)
    if hi <= lo:
        hi = lo + max(abs(lo) / 10, Decimal(1))
    raw = (hi - lo) / count
    magnitude = Decimal(10) ** raw.adjusted()
    step = next(m * magnitude for m in (1, 2, Decimal("2.5"), 5, 10) if m * magnitude >= raw)
    start = (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step
    exact = [start + n * step for n in range(count + 2) if start + n * step <= hi + step / 1000]
    if exact[-1] < hi:
        exact.append(exact[-1] + step)
    largest = sys.float_info.max
    return sorted({min(max(float(t), -largest), largest) for t in exact})


def _position(value: float, low: float, high: float) -> float:
    """Where ``value`` sits between ``low`` and ``high``, 0..1, without overflowing
    when the span is wider than the largest float."""
    span = high - low
    if not span:
        return 0.0
    if math.isfinite(span):
        return (value - low) / span
    return (value / 2 - low / 2) / (high / 2 - low / 2)


def _tick_label(value: float, number_format: str) -> str:
    """An axis label in the KPI's format; a long one is shortened to k/M/B keeping the
    format's currency and unit (``$1,200,000`` → ``$1.2M``)."""
    text = format_value(value, number_format)
    if len(text) <= 8:
        return text
    if abs(value) >= 1e15:
        return f"{value:.2G}"
    parts = re.match(r"^(-?)([^\d-]*?)(\d[\d,.]*)(.*)$", text)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            short = f"{abs(value) / limit:.3g}{suffix}"
            if parts and "E" not in parts.group(4):
                sign, before, _, after = parts.groups()
                return f"{sign}{before}{short}{after}"
            return f"{'-' if value < 0 else ''}{short}"
    return f"{value:g}"


def history_chart(k: KpiResult, width: float, height: float) -> Drawing:
    """Actual (columns for Sum/Count KPIs, a line otherwise) against the target
    (a dashed line) over the periods with data, with labelled axes and short period
    labels (:mod:`kpisheets.charts`, as on the slides)."""
    drawing = Drawing(width, height)
    # A target typed as 1e400 reads as infinite: nothing a chart can place.
    periods = charted_points(k)
    values = [finite(h.value) for h in periods]
    targets = [finite(h.target) for h in periods]
    labels = short_labels(k, periods)
    known = [v for v in values + targets if v is not None]
    if not known:
        drawing.add(
            String(
                width / 2,
                height / 2,
                "No history yet",
                fontName=SANS,
                fontSize=9,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return drawing
    bars = k.aggregation.is_paced
    low, high = min(known), max(known)
    if bars or (low >= 0 and low < 0.5 * high):
        low = min(low, 0.0)
    ticks = _ticks(low, high)
    low, high = ticks[0], ticks[-1]
    left, bottom, right, top = 44.0, 16.0, 4.0, 14.0
    plot_w, plot_h = width - left - right, height - bottom - top
    n = max(len(values), 1)
    slot = plot_w / n

    def y_of(v: float) -> float:
        return bottom + plot_h * _position(v, low, high)

    def x_of(i: int) -> float:
        return left + slot * (i + 0.5)

    for t in ticks:
        y = y_of(t)
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.5))
        drawing.add(
            String(
                left - 3,
                y - 2.5,
                _tick_label(t, k.number_format),
                fontName=SANS,
                fontSize=6.5,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    every = max(1, math.ceil(n / max(plot_w / 48, 1)))
    for i, label in enumerate(labels):
        if (n - 1 - i) % every == 0:
            drawing.add(
                String(
                    x_of(i),
                    4,
                    label,
                    fontName=SANS,
                    fontSize=6,
                    fillColor=MUTED,
                    textAnchor="middle",
                )
            )
    actual = colors.HexColor(ACTUAL_COLOUR)
    current = colors.HexColor(STATUS_FILL[k.status])
    if bars:
        base = y_of(max(low, 0.0))
        for i, v in enumerate(values):
            if v is None:
                continue
            y = y_of(v)
            drawing.add(
                Rect(
                    x_of(i) - slot * 0.32,
                    min(base, y),
                    slot * 0.64,
                    abs(y - base),
                    fillColor=current if i == n - 1 else actual,
                    strokeColor=None,
                )
            )
    else:
        points: list[float] = []
        for i, v in enumerate(values):
            if v is not None:
                points += [x_of(i), y_of(v)]
        if len(points) >= 4:
            drawing.add(PolyLine(points, strokeColor=actual, strokeWidth=1.6, strokeLineJoin=1))
        for i, v in enumerate(values):
            if v is not None:
                drawing.add(
                    Circle(
                        x_of(i),
                        y_of(v),
                        2.0 if i < n - 1 else 3.0,
                        fillColor=current if i == n - 1 else actual,
                        strokeColor=None,
                    )
                )
    target_points: list[float] = []
    for i, goal in enumerate(targets):
        if goal is not None:
            target_points += [x_of(i), y_of(goal)]
    if len(target_points) >= 4:
        drawing.add(
            PolyLine(
                target_points,
                strokeColor=colors.HexColor(TARGET_COLOUR),
                strokeWidth=1.1,
                strokeDashArray=[4, 2],
            )
        )
    elif len(target_points) == 2:
        x, y = target_points
        drawing.add(
            Line(
                x - slot * 0.4,
                y,
                x + slot * 0.4,
                y,
                strokeColor=colors.HexColor(TARGET_COLOUR),
                strokeWidth=1.1,
            )
        )
    # Where an action was logged: an orange diamond on the period's value.
    marked = False
    for i, point in enumerate(periods):
        if not any(a.date and point.start <= a.date <= point.end for a in k.actions):
            continue
        v = values[i] if values[i] is not None else targets[i]
        if v is None:
            continue
        x, y = x_of(i), y_of(v)
        drawing.add(
            Polygon(
                [x, y + 4.5, x + 3.5, y, x, y - 4.5, x - 3.5, y],
                fillColor=colors.HexColor(ACTION_MARK),
                strokeColor=colors.white,
                strokeWidth=0.6,
            )
        )
        marked = True
    legend_y = height - 9
    if marked:
        x = left + 96
        drawing.add(
            Polygon(
                [x, legend_y + 6, x + 3, legend_y + 2.5, x, legend_y - 1, x - 3, legend_y + 2.5],
                fillColor=colors.HexColor(ACTION_MARK),
                strokeColor=None,
            )
        )
        drawing.add(
            String(x + 6, legend_y, "Action logged", fontName=SANS, fontSize=6.5, fillColor=MUTED)
        )
    if bars:
        drawing.add(Rect(left, legend_y, 8, 5, fillColor=actual, strokeColor=None))
    else:
        drawing.add(
            Line(
                left, legend_y + 2.5, left + 8, legend_y + 2.5, strokeColor=actual, strokeWidth=1.6
            )
        )
    drawing.add(String(left + 11, legend_y, "Actual", fontName=SANS, fontSize=6.5, fillColor=MUTED))
    drawing.add(
        Line(
            left + 44,
            legend_y + 2.5,
            left + 56,
            legend_y + 2.5,
            strokeColor=colors.HexColor(TARGET_COLOUR),
            strokeWidth=1.1,
            strokeDashArray=[4, 2],
        )
    )
    drawing.add(String(left + 59, legend_y, "Target", fontName=SANS, fontSize=6.5, fillColor=MUTED))
    return drawing
