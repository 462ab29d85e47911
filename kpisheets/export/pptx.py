"""The summary as slides (python-pptx): a title slide, the summary table (status
colours; ten KPIs a slide), an "attention" slide (the At risk and Off track KPIs with
where the gap comes from and the actions decided), a slide per funnel (its stage
table and a native funnel chart, the bottleneck marked) and one chart slide per
category with a native chart per KPI — columns of actual against target for Sum and
Count KPIs, lines for the others — over the history periods. Charts stay editable in
PowerPoint.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from kpisheets.charts import actual_as_columns, charted_points, short_labels
from kpisheets.explain import action_text
from kpisheets.export.meeting import (
    ACTUAL_COLOUR,
    STATUS_FILL,
    STATUS_TEXT,
    TARGET_COLOUR,
    Attention,
    attention,
    bottleneck_sentence,
    by_category,
    compact_figure,
    done_this_period,
    funnel_lines,
    kpi_row,
    kpi_sentence,
    left_out_text,
    legend_lines,
    period_line,
    status_counts,
)
from kpisheets.formatting import finite, percent, shorten
from kpisheets.palette import HEADER_FILL, INK, MUTED, WARNING_INK
from kpisheets.result import FunnelResult, KpiResult, Result

ROWS_PER_SLIDE = 10  # leaves room for the legend under the table
ATTENTION_PER_SLIDE = 5
OVERDUE = "#B3261E"
NO_PLAN = "#7A4F00"
BOTTLENECK = "#C62828"
BOTTLENECK_TINT = "#FDE2E1"
FUNNEL_BAR = "#8EA9DB"
CHARTS_PER_SLIDE = 4  # 2 × 2
TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CORE_PROPERTY_CHARS = 255


def clean(text: object) -> str:
    """User text as slide text: characters XML cannot hold become spaces."""
    return _CONTROL.sub(" ", "" if text is None else str(text))


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#"))


def result_pptx(result: Result, progress: Callable[[str], None] | None = None) -> bytes:
    """The presentation's bytes."""
    say = progress or (lambda message: None)
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_W, SLIDE_H
    # The document title is limited to 255 characters by the file format.
    deck.core_properties.title = shorten(clean(result.title), CORE_PROPERTY_CHARS)
    deck.core_properties.author = "kpisheets"

    say("title slide")
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_LAYOUT])
    slide.shapes.title.text = clean(result.title)
    counts = ", ".join(f"{n} {s.label.lower()}" for s, n in status_counts(result) if n)
    subtitle = f"As of {result.as_of.isoformat()}"
    if period_line(result):
        subtitle += f" · {clean(period_line(result))}"
    subtitle += f"\n{len(result.kpis)} KPIs: {counts or 'none'}"
    subtitle += f" · overall score {percent(result.overall.score)}"
    if left_out_text(result):
        subtitle += f"\n{clean(left_out_text(result))}."
    slide.placeholders[1].text = subtitle
    # The default layout's placeholders are placed for 4:3 slides: widen them to this
    # 16:9 slide so the subtitle's lines (the left-out line is long) are not cut.
    title, sub = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = (
        Inches(0.75),
        Inches(1.6),
        SLIDE_W - Inches(1.5),
        Inches(1.4),
    )
    sub.left, sub.top, sub.width, sub.height = (
        Inches(0.75),
        Inches(3.2),
        SLIDE_W - Inches(1.5),
        Inches(3.2),
    )
    sub.text_frame.vertical_anchor = MSO_ANCHOR.TOP
    for paragraph in sub.text_frame.paragraphs:
        paragraph.font.size = Pt(20)

    notes = [f"{clean(result.title)}, as of {result.as_of:%d %B %Y}."]
    notes.append(
        f"{len(result.kpis)} KPIs: {counts or 'none'}; overall score "
        f"{percent(result.overall.score)}."
    )
    if left_out_text(result):
        notes.append(clean(left_out_text(result)) + ".")
    _notes(slide, " ".join(notes))
    if result.since is not None:
        say("what changed since the last review")
        _since_slide(deck, result)

    chunks = _summary_pages(result)
    for n, chunk in enumerate(chunks, start=1):
        say(f"summary slide {n} of {len(chunks)}")
        suffix = f" ({n} of {len(chunks)})" if len(chunks) > 1 else ""
        _summary_slide(deck, result, chunk, f"Summary — as of {result.as_of.isoformat()}{suffix}")

    items = attention(result)
    done = done_this_period(result)
    pages = [items[i : i + ATTENTION_PER_SLIDE] for i in range(0, len(items), ATTENTION_PER_SLIDE)]
    if done and not pages:
        pages = [[]]
    for n, page in enumerate(pages, start=1):
        say(f"attention slide {n} of {len(pages)}")
        suffix = f" ({n} of {len(pages)})" if len(pages) > 1 else ""
        _attention_slide(
            deck, result, page, done if n == len(pages) else [], f"Needs attention{suffix}"
        )
    for funnel in result.funnels:
        say(f"funnel {funnel.name}")
        _funnel_slide(deck, funnel)

    categories = by_category(result)
    for i, (category, kpis) in enumerate(categories, start=1):
        say(f"charts for {category} ({i} of {len(categories)})")
        parts = [kpis[j : j + CHARTS_PER_SLIDE] for j in range(0, len(kpis), CHARTS_PER_SLIDE)]
        for m, part in enumerate(parts, start=1):
            suffix = f" ({m} of {len(parts)})" if len(parts) > 1 else ""
            _chart_slide(deck, f"{clean(category)} — actual against target{suffix}", part)
    for slide in deck.slides:  # every slide has notes: its own text when none was written
        if not slide.has_notes_slide:
            _notes(slide, _slide_text(slide))
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _notes(slide: Any, text: str) -> None:
    """The speaker notes of a slide: what to say, in sentences."""
    slide.notes_slide.notes_text_frame.text = clean(text)


def _slide_text(slide: Any) -> str:
    """A slide's own text (title, text boxes, tables) as notes for a slide that has none."""
    parts: list[str] = []
    for shape in slide.shapes:
        if shape.has_text_frame and shape.text_frame.text.strip():
            parts.append(" ".join(shape.text_frame.text.split()))
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [" ".join(c.text.split()) for c in row.cells if c.text.strip()]
                if cells:
                    parts.append(" · ".join(cells))
    return ". ".join(parts)


def _since_slide(deck: Any, result: Result) -> None:
    """What changed since the last review, after the title slide (as the Summary sheet
    and the other exports open with it)."""
    from kpisheets.reviews import since_heading, since_lines, since_sentences

    assert result.since is not None
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, clean(since_heading(result.since)))
    box = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), SLIDE_W - Inches(1.0), Inches(5.5))
    frame = box.text_frame
    frame.word_wrap = True
    for i, (label, text) in enumerate(since_lines(result.since)):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if label:
            lead = paragraph.add_run()
            lead.text = f"{label}: "
            lead.font.bold = True
            lead.font.size = Pt(18)
        run = paragraph.add_run()
        run.text = clean(text)
        run.font.size = Pt(18)
        paragraph.space_after = Pt(12)
    _notes(slide, " ".join(since_sentences(result.since)))


def _title(slide: Any, text: str) -> None:
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = (
        Inches(0.5),
        Inches(0.25),
        Inches(12.3),
        Inches(0.8),
    )
    title.text = text
    paragraph = title.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    paragraph.font.size = Pt(28)
    paragraph.font.bold = True


def _summary_slide(deck: Any, result: Result, kpis: list[KpiResult], heading: str) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, heading)
    _notes(slide, " ".join(kpi_sentence(k) for k in kpis))
    headers = [
        "Status",
        "KPI",
        "Owner",
        "Actual",
        "Target",
        "Expected by now",
        "% of target",
        "Trend",
        "Latest note",
    ]
    widths = SUMMARY_WIDTHS
    numbers = {3, 4, 5, 6}
    heights = [HEADER_ROW_H] + [_summary_row_height(_summary_values(k)) for k in kpis]
    shape = slide.shapes.add_table(
        len(kpis) + 1,
        len(headers),
        Inches(0.5),
        Inches(1.2),
        Inches(sum(widths)),
        Inches(sum(heights)),
    )
    table = shape.table
    for c, w in enumerate(widths):
        table.columns[c].width = Inches(w)
    for c, text in enumerate(headers):
        _set(
            table.cell(0, c),
            text,
            size=12,
            bold=True,
            colour="#FFFFFF",
            fill=HEADER_FILL,
            right=c in numbers,
        )
    for r, k in enumerate(kpis, start=1):
        row = kpi_row(k)
        values = _summary_values(k)
        for c, text in enumerate(values):
            fill = None
            colour = INK
            if c == 0:
                fill, colour = STATUS_FILL[k.status], STATUS_TEXT[k.status]
            elif c == 5:
                colour = MUTED
            elif c == 6:
                fill = row.achievement_tint
            elif c == 7:
                colour = row.trend_colour
            _set(
                table.cell(r, c),
                text,
                size=11 if c != 8 else 9,
                bold=c in (0, 3, 6, 7),
                colour=colour,
                fill=fill or "#FFFFFF",
                right=c in numbers,
            )
        table.rows[r].height = Inches(heights[r])
    table.rows[0].height = Inches(heights[0])
    # Under the table as tall as its rows will be drawn: a row whose name or note wraps
    # grows, and a text box at a fixed place was drawn over the last rows.
    top = Inches(TABLE_TOP + sum(heights) + 0.15)
    lines = _under_summary_lines(result)
    box = slide.shapes.add_textbox(
        Inches(0.5), top, Inches(sum(widths)), Inches(_under_summary_height(lines))
    )
    frame = box.text_frame
    frame.word_wrap = True
    # Every slide with figures says how many entries problems left out of them: the
    # first line, at 12 pt, when there are any.
    for i, (line, size) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.color.rgb = _rgb(MUTED)
        if size == 12:
            paragraph.font.bold = True
            paragraph.font.color.rgb = _rgb(WARNING_INK)


SUMMARY_WIDTHS = [1.15, 2.6, 1.15, 1.25, 1.25, 1.25, 1.0, 0.95, 1.7]  # inches, 12.3 in all
SUMMARY_SIZES = [11, 11, 11, 11, 11, 11, 11, 11, 9]  # points: the note is smaller
HEADER_ROW_H = 0.42  # inches; "Expected by now" and "% of target" take two lines
MIN_ROW_H = 0.42
TABLE_TOP, SLIDE_FOOT = 1.2, 7.4  # inches: under the title; 0.1 in above the slide foot


def _summary_values(k: KpiResult) -> list[str]:
    """The texts of ``k``'s row on a summary slide, in SUMMARY_WIDTHS' columns."""
    row = kpi_row(k)
    return [
        k.status.label,
        # Cut, as in the attention list: a name of hundreds of characters would wrap
        # down past the slide's foot.
        f"{clean(shorten(k.name, 80))} ({clean(shorten(k.id, 30))})",
        clean(shorten(k.owner, 30)),
        compact_figure(row.actual, k.actual),
        compact_figure(row.target, k.target),
        compact_figure(row.expected, k.expected),
        row.achievement,
        row.trend,
        clean(shorten(k.note, 60)),
    ]


def _text_lines(text: str, width: float, size: float) -> int:
    """How many lines ``text`` takes in a box ``width`` inches wide at ``size`` points
    (an estimate that errs tall: an average character is taken as 0.55 em, which is
    DejaVu Sans', wider than Calibri's)."""
    import textwrap

    per_line = max(int(width * 72 / (size * 0.55)), 1)
    return max(len(textwrap.wrap(text, per_line, break_on_hyphens=False)), 1)


def _summary_row_height(values: list[str]) -> float:
    """A summary slide row's height in inches: its tallest wrapped cell, at least
    MIN_ROW_H (cell margins 0.03 in, lines at 1.2 × the font size)."""
    tallest = max(
        _text_lines(text, width - 0.12, size) * size * 1.2 / 72
        for text, width, size in zip(values, SUMMARY_WIDTHS, SUMMARY_SIZES, strict=True)
    )
    return max(MIN_ROW_H, tallest + 0.1)


def _under_summary_lines(result: Result) -> list[tuple[str, int]]:
    """What stands under each summary table, with its size in points: the left-out
    line (12 pt), then the legend (10 pt)."""
    left_out = left_out_text(result)
    return ([(clean(left_out) + ".", 12)] if left_out else []) + [
        (line, 10) for line in legend_lines(result)
    ]


def _under_summary_height(lines: list[tuple[str, int]]) -> float:
    """The height in inches of the text under a summary table, a paragraph a line."""
    width = sum(SUMMARY_WIDTHS) - 0.2
    return sum(_text_lines(line, width, size) * size * 1.2 / 72 for line, size in lines) + 0.1


def _summary_pages(result: Result) -> list[list[KpiResult]]:
    """The KPIs of each summary slide: as many rows as fit above the left-out line and
    the legend (at most ROWS_PER_SLIDE), by each row's wrapped height."""
    room = SLIDE_FOOT - TABLE_TOP - HEADER_ROW_H - 0.15
    room -= _under_summary_height(_under_summary_lines(result))
    pages: list[list[KpiResult]] = []
    page: list[KpiResult] = []
    used = 0.0
    for k in result.kpis:
        height = _summary_row_height(_summary_values(k))
        if page and (len(page) == ROWS_PER_SLIDE or used + height > room):
            pages.append(page)
            page, used = [], 0.0
        page.append(k)
        used += height
    if page:
        pages.append(page)
    return pages


def _attention_slide(
    deck: Any,
    result: Result,
    items: list[Attention],
    done: list[tuple[KpiResult, Any]],
    heading: str,
) -> None:
    """The KPIs to discuss: status, name, where the gap comes from, and the actions
    decided (overdue in red) or "No action planned"; then what was done this period."""
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, heading)
    top = int(Inches(1.2))
    if items:
        widths = [1.15, 2.6, 4.9, 3.65]  # inches, 12.3 in all
        shape = slide.shapes.add_table(
            len(items) + 1, 4, Inches(0.5), top, Inches(sum(widths)), Inches(0.4)
        )
        table = shape.table
        for c, w in enumerate(widths):
            table.columns[c].width = Inches(w)
        for c, text in enumerate(("Status", "KPI", "Where the gap comes from", "Actions")):
            _set(table.cell(0, c), text, size=12, bold=True, colour="#FFFFFF", fill=HEADER_FILL)
        for r, item in enumerate(items, start=1):
            k = item.kpi
            row = kpi_row(k)
            fill, ink = STATUS_FILL[k.status], STATUS_TEXT[k.status]
            _set(table.cell(r, 0), k.status.label, size=11, bold=True, colour=ink, fill=fill)
            _set(
                table.cell(r, 1),
                f"{clean(shorten(k.name, 80))}\n{compact_figure(row.actual, k.actual)} of "
                f"{compact_figure(row.target, k.target)}",
                size=11,
                bold=True,
                colour=INK,
                fill="#FFFFFF",
            )
            _set(
                table.cell(r, 2),
                clean(shorten(item.driver, 400)) or "—",
                size=10,
                bold=False,
                colour=INK if item.driver else MUTED,
                fill="#FFFFFF",
            )
            lines = [("No action planned", NO_PLAN)] if item.no_action_planned else []
            lines += [
                (
                    ("⚠ " if overdue else "• ") + clean(shorten(text, 160)),
                    OVERDUE if overdue else INK,
                )
                for text, overdue in item.actions[:6]
            ]
            _set_lines(table.cell(r, 3), lines, size=10)
        top += int(Inches(0.4)) + int(Inches(1.0)) * len(items)
    done_texts = [f"{k.name}: {action_text(a, result.as_of)}" for k, a in done]
    _notes(slide, attention_sentences(items, done_texts))
    if done:
        box = slide.shapes.add_textbox(
            Inches(0.5), min(top, int(Inches(6.2))), Inches(12.3), Inches(1)
        )
        frame = box.text_frame
        frame.word_wrap = True
        frame.paragraphs[0].text = "Done this period"
        frame.paragraphs[0].font.bold = True
        frame.paragraphs[0].font.size = Pt(12)
        for k, a in done:
            paragraph = frame.add_paragraph()
            paragraph.text = f"✓ {clean(k.name)}: {clean(action_text(a, result.as_of))}"
            paragraph.font.size = Pt(10)


def attention_sentences(items: list[Attention], done: list[str]) -> str:
    """The attention slide's speaker notes: each KPI's status and figures, where the gap
    comes from and what was decided, in sentences; then what was done this period."""
    parts = []
    for item in items:
        k = item.kpi
        row = kpi_row(k)
        text = f"{k.name} is {k.status.label.lower()}"
        if k.actual is not None and k.target is not None:
            text += f": {row.actual} of {row.target}"
        parts.append(text + ".")
        if item.driver:
            parts.append(item.driver.rstrip(".") + ".")
        for action, overdue in item.actions:
            parts.append(("Overdue: " if overdue else "Action: ") + action.rstrip(".") + ".")
        if item.no_action_planned:
            parts.append("No action planned.")
    if done:
        parts.append("Done this period: " + "; ".join(done) + ".")
    return " ".join(parts)


def funnel_sentences(f: FunnelResult) -> str:
    """The funnel slide's speaker notes: each stage's figures and the conversion into
    it, in sentences, then the bottleneck."""
    parts = [f"{f.name}, {f.period.label} to date."]
    for line in funnel_lines(f):
        text = f"{line.stage}: {line.now or 'no figure'}"
        extra = [f"{line.before} the same day last period" if line.before else ""]
        extra.append(f"target {line.target}" if line.target else "")
        said = [e for e in extra if e]
        text += f" ({', '.join(said)})" if said else ""
        if line.conversion:
            text += f"; {line.conversion} converted from the stage before"
            was = [f"{line.conversion_before} before" if line.conversion_before else ""]
            was.append(f"target {line.conversion_target}" if line.conversion_target else "")
            said = [w for w in was if w]
            text += f" ({', '.join(said)})" if said else ""
        parts.append(text + ".")
    parts.append(bottleneck_sentence(f).rstrip(".") + ".")
    return " ".join(parts)


def _set_lines(cell: Any, lines: list[tuple[str, str]], size: int) -> None:
    """A cell of several lines, each in its own colour."""
    cell.fill.solid()
    cell.fill.fore_color.rgb = _rgb("#FFFFFF")
    cell.margin_left = cell.margin_right = Emu(Inches(0.06))
    frame = cell.text_frame
    frame.word_wrap = True
    for i, (text, colour) in enumerate(lines or [("", INK)]):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.font.size = Pt(size)
        paragraph.font.color.rgb = _rgb(colour)


def _funnel_slide(deck: Any, f: FunnelResult) -> None:
    """A funnel: the stage table (bottleneck row shaded) and a native funnel chart —
    a stacked bar chart whose first, invisible series centres the bars — with the
    bottleneck's stage in red, and the sentence naming it."""
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, f"Funnel: {clean(f.name)} · {clean(f.period.label)} to date")
    lines = funnel_lines(f)
    headers = ["Stage", "Now", "Last period, same day", "Target", "Conversion", "Before",
               "Target conv."]  # fmt: skip
    widths = [1.6, 0.95, 1.05, 0.95, 1.1, 0.75, 0.8]  # inches, 7.2 in all
    shape = slide.shapes.add_table(
        len(lines) + 1, len(headers), Inches(0.5), Inches(1.3), Inches(sum(widths)), Inches(0.4)
    )
    table = shape.table
    for c, w in enumerate(widths):
        table.columns[c].width = Inches(w)
    for c, text in enumerate(headers):
        _set(table.cell(0, c), text, size=10, bold=True, colour="#FFFFFF", fill=HEADER_FILL,
             right=c > 0)  # fmt: skip
    for r, line in enumerate(lines, start=1):
        fill = BOTTLENECK_TINT if line.bottleneck else "#FFFFFF"
        ink = BOTTLENECK if line.bottleneck else INK
        values = [clean(line.stage) + ("  ◀ bottleneck" if line.bottleneck else ""), line.now,
                  line.before, line.target, line.conversion, line.conversion_before,
                  line.conversion_target]  # fmt: skip
        for c, text in enumerate(values):
            _set(table.cell(r, c), text, size=11 if c else 12, bold=c in (0, 4),
                 colour=ink if c in (0, 4) else INK, fill=fill, right=c > 0)  # fmt: skip
    widest = max((line.value for line in lines), default=0.0)
    data = CategoryChartData(number_format="#,##0")
    data.categories = [clean(line.stage) for line in lines]
    data.add_series("(centring)", [(widest - line.value) / 2 for line in lines])
    data.add_series("Stage", [None if line.bottleneck else line.value for line in lines])
    data.add_series("Bottleneck", [line.value if line.bottleneck else None for line in lines])
    chart = slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_STACKED, Inches(8.0), Inches(1.2), Inches(4.9), Inches(4.6), data
    ).chart
    chart.has_legend = False
    chart.category_axis.reverse_order = True  # the first stage at the top
    chart.category_axis.tick_labels.font.size = Pt(11)
    chart.category_axis.format.line.fill.background()
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    plot = chart.plots[0]
    plot.gap_width = 40
    spacer, stage, neck = plot.series
    spacer.format.fill.background()  # invisible: it only centres the bars
    for series, colour in ((stage, FUNNEL_BAR), (neck, BOTTLENECK)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(colour)
        series.data_labels.show_value = True
        series.data_labels.number_format = "#,##0"
        series.data_labels.number_format_is_linked = False
        series.data_labels.font.size = Pt(11)
    neck.data_labels.font.color.rgb = _rgb("#FFFFFF")
    box = slide.shapes.add_textbox(Inches(0.5), Inches(6.1), Inches(12.3), Inches(0.6))
    paragraph = box.text_frame.paragraphs[0]
    paragraph.text = clean(bottleneck_sentence(f))
    _notes(slide, funnel_sentences(f))
    paragraph.font.size = Pt(16)
    paragraph.font.bold = True
    paragraph.font.color.rgb = _rgb(BOTTLENECK if f.bottleneck else "#2E7D32")


def _set(
    cell: Any, text: str, size: int, bold: bool, colour: str, fill: str, right: bool = False
) -> None:
    cell.text = text
    cell.fill.solid()
    cell.fill.fore_color.rgb = _rgb(fill)
    cell.margin_left = cell.margin_right = Emu(Inches(0.06))
    cell.margin_top = cell.margin_bottom = Emu(Inches(0.03))
    for paragraph in cell.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.RIGHT if right else PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = _rgb(colour)


def _chart_slide(deck: Any, heading: str, kpis: list[KpiResult]) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
    _title(slide, heading)
    _notes(slide, " ".join(kpi_sentence(k) for k in kpis))
    cell_w, cell_h = Inches(6.15), Inches(2.95)
    for i, k in enumerate(kpis):
        x = Inches(0.5) + cell_w * (i % 2)
        y = Inches(1.2) + cell_h * (i // 2)
        _history_chart(slide, k, x, y, cell_w - Inches(0.15), cell_h - Inches(0.15))


def _history_chart(slide: Any, k: KpiResult, x: int, y: int, w: int, h: int) -> None:
    """Actual as columns (Sum, Count) or a line (the others), the target a dashed line,
    over the periods with data or targets, with short period labels
    (:mod:`kpisheets.charts`, as on the History sheet and in the PDF)."""
    number_format = clean(k.number_format) or "General"
    points = charted_points(k)
    # python-pptx writes a chart data number format into the XML as it is, unescaped
    # (a Format `0 "<km>"` broke the file, and markup in a Format would be injected),
    # so the data is built with General and the KPI's format set afterwards through
    # lxml, which escapes it.
    data = CategoryChartData(number_format="General")
    data.categories = [clean(label) for label in short_labels(k, points)] or ["(no history)"]
    data.add_series("Actual", [finite(p.value) for p in points] or [None])
    data.add_series("Target", [finite(p.target) for p in points] or [None])
    columns = actual_as_columns(k)
    kind = XL_CHART_TYPE.COLUMN_CLUSTERED if columns else XL_CHART_TYPE.LINE_MARKERS
    chart = slide.shapes.add_chart(kind, x, y, w, h, data).chart
    chart.has_title = True
    row = kpi_row(k)
    chart.chart_title.text_frame.text = (
        f"{clean(k.name)} — {k.status.label}, {compact_figure(row.actual, k.actual)} of "
        f"{compact_figure(row.target, k.target)}"
    )
    title_font = chart.chart_title.text_frame.paragraphs[0].font
    title_font.size, title_font.bold = Pt(13), True
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(10)
    chart.category_axis.tick_labels.font.size = Pt(9)
    chart.value_axis.tick_labels.font.size = Pt(9)
    # The axis shows the KPI's own format ($0.7M), not the data's General.
    chart.value_axis.tick_labels.number_format = number_format
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_major_gridlines = True
    for code in chart._chartSpace.xpath(".//c:numCache/c:formatCode"):
        code.text = number_format
    if columns:
        _target_as_line(chart)
        actual = chart.plots[0].series[0]
        actual.format.fill.solid()
        actual.format.fill.fore_color.rgb = _rgb(ACTUAL_COLOUR)
        target = chart.plots[1].series[0]
    else:
        actual, target = chart.plots[0].series
        actual.format.line.color.rgb = _rgb(ACTUAL_COLOUR)
        actual.smooth = False
    target.format.line.color.rgb = _rgb(TARGET_COLOUR)
    target.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
    target.format.line.width = Pt(1.75)
    target.smooth = False


def _target_as_line(chart: Any) -> None:
    """Move the Target series of a column chart into a line chart on the same axes (a
    combination chart, which python-pptx cannot build): columns of actual against a
    dashed target line, as on the History sheet and in the PDF."""
    from pptx.oxml import parse_xml
    from pptx.oxml.ns import nsdecls, qn

    bar = chart._chartSpace.find(".//" + qn("c:barChart"))
    target = bar.findall(qn("c:ser"))[1]
    bar.remove(target)
    for name in ("c:invertIfNegative", "c:shape", "c:pictureOptions"):
        for child in target.findall(qn(name)):
            target.remove(child)
    marker = parse_xml(f'<c:marker {nsdecls("c")}><c:symbol val="none"/></c:marker>')
    anchor = target.find(qn("c:spPr"))
    if anchor is None:
        anchor = target.find(qn("c:tx"))
    anchor.addnext(marker)
    target.find(qn("c:val")).addnext(parse_xml(f'<c:smooth {nsdecls("c")} val="0"/>'))
    line = parse_xml(
        f'<c:lineChart {nsdecls("c")}><c:grouping val="standard"/><c:varyColors val="0"/>'
        '<c:marker val="1"/></c:lineChart>'
    )
    line.find(qn("c:marker")).addprevious(target)
    for axis in bar.findall(qn("c:axId")):
        line.append(parse_xml(f'<c:axId {nsdecls("c")} val="{axis.get("val")}"/>'))
    bar.addnext(line)
