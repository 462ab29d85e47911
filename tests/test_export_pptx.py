"""The slides export, read back with python-pptx."""

from __future__ import annotations

import math
from pathlib import Path

from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.dml import MSO_LINE_DASH_STYLE

from kpisheets.charts import charted_points, short_labels
from kpisheets.export import export_result
from kpisheets.export.meeting import attention, by_category, done_this_period, kpi_row
from kpisheets.export.pptx import (
    ATTENTION_PER_SLIDE,
    CHARTS_PER_SLIDE,
    ROWS_PER_SLIDE,
    _summary_pages,
)
from tests.export_results import HOSTILE, hostile_result, many_kpis, sample_result


def _texts(slide) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


def test_title_summary_and_one_chart_slide_per_category(tmp_path: Path) -> None:
    result = sample_result()
    deck = Presentation(str(export_result(result, tmp_path / "summary.pptx")))
    slides = list(deck.slides)
    categories = by_category(result)
    needs = _attention_slides(result)
    assert len(slides) == 1 + 1 + needs + len(categories)
    assert slides[0].shapes.title.text == "Team KPIs"
    assert "As of 2026-11-20" in " ".join(_texts(slides[0]))

    table = next(s for s in slides[1].shapes if s.has_table).table
    assert len(table.rows) == len(result.kpis) + 1
    cells = _texts(slides[1])
    for k in result.kpis:
        row = kpi_row(k)
        assert f"{k.name} ({k.id})" in cells
        assert row.actual in cells and row.target in cells and row.achievement in cells
    status_cell = table.cell(1, 0)
    assert status_cell.text == result.kpis[0].status.label
    assert str(status_cell.fill.fore_color.rgb) != "FFFFFF"  # coloured by status

    for slide in slides[2 : 2 + needs]:
        assert slide.shapes.title.text.startswith("Needs attention")
    for slide, (category, kpis) in zip(slides[2 + needs :], categories, strict=True):
        assert slide.shapes.title.text.startswith(category)
        charts = [s.chart for s in slide.shapes if s.has_chart]
        assert len(charts) == len(kpis)
        for chart, k in zip(charts, kpis, strict=True):
            points = charted_points(k)
            # One style per kind of KPI: columns of actual for totals, a line for
            # levels; the target a dashed line in both (a line chart on the same axes).
            if k.aggregation.is_paced:
                assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
                (actual,), (target,) = chart.plots[0].series, chart.plots[1].series
                assert chart.plots[1].__class__.__name__ == "LinePlot"
            else:
                assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
                actual, target = chart.plots[0].series
            assert target.format.line.dash_style == MSO_LINE_DASH_STYLE.DASH
            assert actual.name == "Actual" and target.name == "Target"
            assert list(chart.plots[0].categories) == short_labels(k, points)
            got = [
                None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for v in actual.values
            ]
            assert got == [h.value for h in points]
    notes = [s.notes_slide.notes_text_frame.text for s in slides]
    assert all(notes)  # every slide has speaker notes
    sales = result.kpis[0]
    assert f"{sales.name}: {kpi_row(sales).actual}" in notes[1]


def test_many_kpis_split_over_slides(tmp_path: Path) -> None:
    result = many_kpis(30)
    deck = Presentation(str(export_result(result, tmp_path / "big.pptx")))
    summary = [s for s in deck.slides if s.shapes.title.text.startswith("Summary")]
    # As many rows as fit above the legend (a row whose note wraps is taller), at most
    # ROWS_PER_SLIDE; every KPI once, in order.
    pages = _summary_pages(result)
    assert len(summary) == len(pages) >= math.ceil(30 / ROWS_PER_SLIDE)
    assert all(len(page) <= ROWS_PER_SLIDE for page in pages)
    rows = [
        cell.text
        for slide in summary
        for shape in slide.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
        for cell in list(row.cells)[1:2]
    ]
    assert rows == [f"{k.name} ({k.id})" for k in result.kpis]
    charts = sum(1 for s in deck.slides for shape in s.shapes if shape.has_chart)
    assert charts == 30
    per_category = math.ceil(6 / CHARTS_PER_SLIDE)  # 30 KPIs over 5 areas
    needs = _attention_slides(result)
    assert len(deck.slides) == 1 + len(summary) + needs + 5 * per_category


def _attention_slides(result) -> int:  # type: ignore[no-untyped-def]
    items = len(attention(result))
    if items:
        return math.ceil(items / ATTENTION_PER_SLIDE)
    return 1 if done_this_period(result) else 0


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    deck = Presentation(str(export_result(hostile_result(), tmp_path / "evil.pptx")))
    text = " ".join(t for s in deck.slides for t in _texts(s))
    assert HOSTILE[0] in text and HOSTILE[1] in text


def test_attention_and_funnel_slides(tmp_path: Path) -> None:
    """The sales sample: an attention slide with the off-track KPIs, their actions
    (overdue in red) and "No action planned"; a funnel slide with the stage table,
    the bottleneck marked, and a native stacked bar chart centred by an invisible
    first series."""
    import kpisheets
    from kpisheets.samples import AS_OF
    from tests.conftest import ROOT

    result = kpisheets.status(ROOT / "sample_workbooks" / "sales-kpis.xlsx", AS_OF)
    deck = Presentation(str(export_result(result, tmp_path / "sales.pptx")))
    slides = list(deck.slides)
    (needs,) = [s for s in slides if s.shapes.title.text.startswith("Needs attention")]
    texts = _texts(needs)
    assert "Proposals sent\n27 proposals of 60 proposals" in texts
    assert any(t.startswith("⚠ Borrow a solution engineer") for t in texts)
    assert "No action planned" in " ".join(texts) and "Done this period" in " ".join(texts)
    table = next(s for s in needs.shapes if s.has_table).table
    overdue = [
        p.font.color.rgb
        for row in table.rows
        for p in row.cells[3].text_frame.paragraphs
        if p.text.startswith("⚠")
    ]
    assert overdue and all(str(c) == "B3261E" for c in overdue)

    (funnel,) = [s for s in slides if s.shapes.title.text.startswith("Funnel: Sales funnel")]
    texts = _texts(funnel)
    assert "Proposals sent  ◀ bottleneck" in texts and "17%" in texts
    assert any(t.startswith("Bottleneck: Qualified leads → Proposals sent") for t in texts)
    (chart,) = [s.chart for s in funnel.shapes if s.has_chart]
    assert chart.chart_type == XL_CHART_TYPE.BAR_STACKED
    spacer, stage, neck = chart.plots[0].series
    assert list(chart.plots[0].categories) == [s.name for s in result.funnels[0].stages]
    assert spacer.format.fill.type is not None  # a background (no) fill, not automatic
    assert [v for v in neck.values if v is not None and not math.isnan(v)] == [27.0]
    assert chart.category_axis.reverse_order


def test_since_slide_and_notes_in_sentences(tmp_path: Path) -> None:
    import kpisheets
    from kpisheets.refresh import refresh_workbook
    from tests.builders import write_workbook
    from tests.test_reviews import NOV, tracker_sheets

    path = write_workbook(tmp_path / "t.xlsx", tracker_sheets())
    refresh_workbook(path, as_of=NOV[10])
    result = kpisheets.status(path, NOV[20])
    deck = Presentation(str(export_result(result, tmp_path / "s.pptx")))
    slides = list(deck.slides)
    assert slides[1].shapes.title.text == "Since 10 Nov 2026 (last review)"
    body = " ".join(_texts(slides[1]))
    assert "Status: Sales On track → At risk" in body
    assert "First entries: Leads (12 Nov 2026)" in body
    since_notes = slides[1].notes_slide.notes_text_frame.text
    assert since_notes.startswith("Since 10 Nov 2026 (last review):")
    assert "Status: Sales On track → At risk" in since_notes
    summary_notes = slides[2].notes_slide.notes_text_frame.text
    assert (
        "Sales: $6,000 for Nov 2026 against a target of $10,000 (60% of target); "
        "$6,667 expected by now, so At risk." in summary_notes
    )
    assert "Latest note: “Slow week”." in summary_notes


def test_short_period_labels_and_chart_spans() -> None:
    import datetime as dt

    from kpisheets.model import Frequency
    from kpisheets.report import _example_kpi
    from kpisheets.result import HistoryPoint

    def week(d: dt.date, value: float | None) -> HistoryPoint:
        return HistoryPoint(d, d + dt.timedelta(days=6), f"Week of {d}", value, 10)

    k = _example_kpi(Frequency.WEEK)
    k.history = [week(dt.date(2026, 8, 24) + dt.timedelta(weeks=i), i or None) for i in range(4)]
    points = charted_points(k)
    assert [p.start.day for p in points] == [31, 7, 14]  # from the first value on
    assert short_labels(k, points) == ["31 Aug", "7 Sep", "14 Sep"]
    q = _example_kpi(Frequency.QUARTER)
    quarters = [
        (dt.date(2025, 10, 1), dt.date(2025, 12, 31), "Q4 2025"),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), "Q1 2026"),
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30), "Q2 2026"),
    ]
    q.history = [HistoryPoint(start, end, label, 1.0, None) for start, end, label in quarters]
    assert short_labels(q, q.history) == ["Q4 2025", "Q1 2026", "Q2"]


def test_attention_and_funnel_notes_are_sentences() -> None:
    """The Needs attention and funnel slides' notes were their tables' cells joined with
    " · " ("Stage · Now · … · Target conv.."): now sentences, as on the other slides."""
    import io

    import kpisheets
    from tests.conftest import ROOT

    result = kpisheets.status(ROOT / "sample_workbooks" / "sales-kpis.xlsx")
    deck = Presentation(io.BytesIO(kpisheets.export_bytes(result, "pptx")))
    notes = {
        s.shapes.title.text: s.notes_slide.notes_text_frame.text
        for s in deck.slides
        if s.shapes.title is not None
    }
    attention = notes["Needs attention"]
    assert attention.startswith("Qualified pipeline is off track: $651,000 of $750,000. Action:")
    assert "Win rate is off track: 18.7% of 25.0%. No action planned." in attention
    assert "Done this period: Win rate: Pricing sheet" in attention
    funnel = notes["Funnel: Sales funnel · Nov 2026 to date"]
    assert (
        "Proposals sent: 27 proposals (47 proposals the same day last period, target 60 "
        "proposals); 17% converted from the stage before (34% before, target 30%)." in funnel
    )
    assert funnel.endswith("converts 17% against a target of 30%.")
    assert " · " not in attention + funnel  # no table cells strung together
    for text in notes.values():
        assert ".." not in text and "previous period, flat." not in text
