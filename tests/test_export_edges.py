"""Exports at the edges (issue 14): figures up to the largest float and beyond, user
text that looks like XML in a Unit or Format, and very long titles, categories and
units. Every format is written and read back; none may fail or carry markup."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pptx import Presentation

from kpisheets.calc import compute
from kpisheets.export import KNOWN_SUFFIXES, export_result
from kpisheets.export.pdf import _ticks
from kpisheets.result import Result
from tests.builders import kpi, tracker
from tests.conftest import requires_libreoffice
from tests.libreoffice import convert

AS_OF = dt.date(2026, 11, 20)
MONTHS = [dt.date(2026, m, 3) for m in range(1, 12)]


def _huge() -> Result:
    """Figures at and past the float limits, as lines and as columns."""
    kpis = [
        kpi("MAXLINE", aggregation="last", target=1.7e308, category="Huge"),
        kpi("NEGLINE", aggregation="last", target=-1.7e308, category="Huge"),
        kpi("MIXED", aggregation="last", target=1e300, category="Huge"),
        kpi("TINY", aggregation="last", target=5e-324, category="Huge"),
        kpi("OVER", target=1, category="Huge"),  # the Sum overflows: blank
        kpi("BIGSUM", target=1e300, category="Huge", unit="$"),
        kpi("FLAT", aggregation="last", target=1.7976931348623157e308, category="Huge"),
    ]
    entries = []
    for i, day in enumerate(MONTHS):
        entries += [
            (day, "MAXLINE", 1.7e308 if i % 2 else -1.7e308),
            (day, "NEGLINE", -1.7e308),
            (day, "MIXED", 1e300 * (i + 1) if i % 3 else -1e-300),
            (day, "TINY", 5e-324 * i),
            (day, "OVER", 1.7e308),
            (day + dt.timedelta(days=1), "OVER", 1.7e308),
            (day, "BIGSUM", 1e300),
            (day, "FLAT", 1.7976931348623157e308),
        ]
    return compute(tracker(kpis, entries, history_periods=12), AS_OF)


def _markup() -> Result:
    """A Unit and Formats that hold XML specials and a well-formed fragment."""
    fragment = '0" </c:formatCode><c:evil/><c:formatCode>"'
    kpis = [
        kpi("RD", unit="R&D hours", target=100, category="R&D <lab>"),
        kpi("KM", unit="km", number_format='0 "<km>"', target=100, aggregation="last"),
        kpi("FRAG", number_format=fragment, target=100, aggregation="last"),
        kpi("AMP", number_format='#,##0 "A&B"', unit="&lt;", target=100),
    ]
    entries = [(d, k.id, 10 + i) for i, d in enumerate(MONTHS) for k in kpis]
    return compute(tracker(kpis, entries, title="R&D <b>bold</b> & co"), AS_OF)


def _long() -> Result:
    """A 300-character title, a 12,000-character category, a 1,700-character unit."""
    kpis = [
        kpi("A", category="C" * 12_000, target=10, name="N" * 5_000, owner="O" * 3_000),
        kpi("B", unit="U" * 1_700, target=10, category="Short"),
        kpi("C", number_format='0 "' + "F" * 2_000 + '"', target=10, category="Short"),
    ]
    entries = [(d, k.id, 3, "note " * 3_000) for d in MONTHS for k in kpis]
    return compute(tracker(kpis, entries, title="T" * 300), AS_OF)


@pytest.mark.parametrize("suffix", KNOWN_SUFFIXES)
@pytest.mark.parametrize("make", [_huge, _markup, _long], ids=["huge", "markup", "long"])
def test_every_export_writes_edge_results(tmp_path: Path, suffix: str, make: object) -> None:
    result = make()  # type: ignore[operator]
    out = export_result(result, tmp_path / f"out{suffix}")
    data = out.read_bytes()
    assert data
    if suffix in (".xlsx", ".pptx"):
        with zipfile.ZipFile(out) as package:
            for name in package.namelist():
                if name.endswith((".xml", ".rels")):
                    root = etree.fromstring(package.read(name))  # well-formed
                    assert not root.xpath("//*[local-name()='evil']"), name
    if suffix == ".pdf":
        assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]


def test_pptx_formats_are_escaped_not_injected(tmp_path: Path) -> None:
    result = _markup()
    deck = Presentation(str(export_result(result, tmp_path / "m.pptx")))
    charts = [s.chart for slide in deck.slides for s in slide.shapes if s.has_chart]
    codes = {}
    for chart in charts:
        name = chart.chart_title.text_frame.text.split(" — ")[0]
        codes[name] = {c.text for c in chart._chartSpace.xpath(".//c:formatCode")}
        codes[name].add(chart.value_axis.tick_labels.number_format)
    by_name = {k.name: k.number_format for k in result.kpis}
    for name, fmt in by_name.items():
        assert codes[name] == {fmt}, name
    assert deck.core_properties.title == "R&D <b>bold</b> & co"


def test_pptx_title_of_300_characters_is_shortened(tmp_path: Path) -> None:
    deck = Presentation(str(export_result(_long(), tmp_path / "l.pptx")))
    assert len(deck.core_properties.title) == 255
    assert deck.core_properties.title.endswith("…")


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (0, 1.7976931348623157e308),
        (-1.7976931348623157e308, 1.7976931348623157e308),
        (1.7e308, 1.7e308),
        (1e300, 1e300 * (1 + 1e-15)),
        (-1e-300, 1e300),
        (5e-324, 5e-324),
        (0, 5e-324),
        (0, 0),
        (-5, -5),
        (1e15, 1e15 + 1),
    ],
)
def test_axis_ticks_cover_the_range_with_a_few_finite_ticks(low: float, high: float) -> None:
    ticks = _ticks(low, high)
    assert 2 <= len(ticks) <= 8
    assert all(t == t and abs(t) != float("inf") for t in ticks)
    assert ticks == sorted(set(ticks))
    assert ticks[0] <= low and ticks[-1] >= high


def test_pdf_shows_huge_figures_and_long_text_within_the_page(tmp_path: Path) -> None:
    from tests.test_export_pdf import pdf_text  # noqa: PLC0415

    text = pdf_text(export_result(_huge(), tmp_path / "h.pdf"))
    assert "E+308" in text or "E+300" in text
    long_text = pdf_text(export_result(_long(), tmp_path / "l.pdf"))
    assert "CCCC" in long_text and "…" in long_text
    assert re.search(r"3 U{5,}…", long_text)


def _table_cells(deck: Any) -> list[str]:
    """The text of every table cell on every slide of ``deck``."""
    return [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]


def test_slides_show_huge_figures_compactly(tmp_path: Path) -> None:
    # 1.7E+308 written out is 309 digits: a summary or attention cell ran off the slide.
    deck = Presentation(str(export_result(_huge(), tmp_path / "h.pptx")))
    cells = _table_cells(deck)
    assert any("1.7E+308" in c for c in cells)
    assert max(len(c) for c in cells) < 200
    titles = [
        s.chart.chart_title.text_frame.text for sl in deck.slides for s in sl.shapes if s.has_chart
    ]
    assert titles and max(len(t) for t in titles) < 120


def test_percent_of_target_beyond_a_trillion_percent_is_compact(tmp_path: Path) -> None:
    # An actual of 1E+300 against a target of 10 is 1E+301% of target: written out it
    # was a 300-digit figure that ran down the PDF page and off the summary slide.
    from kpisheets.export.meeting import kpi_row

    result = compute(tracker([kpi("R", target=10)], [(MONTHS[-1], "R", 1e300)]), AS_OF)
    assert kpi_row(result.kpis[0]).achievement == "1E+301%"
    md = export_result(result, tmp_path / "r.md").read_text()
    html = export_result(result, tmp_path / "r.html").read_text()
    deck = Presentation(str(export_result(result, tmp_path / "r.pptx")))
    cells = " ".join(
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    )
    for text in (md, html, cells):
        assert "1E+301%" in text
        assert not re.search(r"\d{30}", text)


LONG_NUMBER = re.compile(r"\d[\d,]{29,}")  # a figure written out to 30 digits or more


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_huge_figures_are_compact_in_markdown_and_html(tmp_path: Path, suffix: str) -> None:
    """1.7E+308 as 1.7E+308 (as on the slides), not 309 digits that push the other
    columns off the page; the largest float and its negative alike."""
    text = export_result(_huge(), tmp_path / f"h{suffix}").read_text(encoding="utf-8")
    assert not LONG_NUMBER.search(text), LONG_NUMBER.search(text)
    assert "1.7E+308" in text and "-1.7E+308" in text
    assert "1.8E+308" in text  # the largest float, rounded to three figures
    assert "$1E+300" in text  # the currency sign stays


def test_huge_figures_are_compact_in_the_terminal_table() -> None:
    from kpisheets.terminal import status_table  # noqa: PLC0415

    text = status_table(_huge(), width=80)
    assert not LONG_NUMBER.search(text.replace("\n", ""))
    assert "1.7E+308" in text and "$1E+300" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_slides_cut_long_names_and_owners_in_the_summary_table(tmp_path: Path) -> None:
    # A 5,000-character KPI name wrapped down past the slide's foot, over the
    # left-out line and the legend.
    deck = Presentation(str(export_result(_long(), tmp_path / "l.pptx")))
    cells = _table_cells(deck)
    assert any(c.startswith("NNN") and "…" in c for c in cells)
    assert max(len(c) for c in cells) <= 120


def _wordy_kpis() -> Result:
    """Ten KPIs whose names, owners and notes wrap onto three lines on a slide."""
    names = [
        "Net new annual recurring revenue from enterprise customers EMEA",
        "Qualified marketing leads handed to sales within two days",
        "Average first response time for priority support tickets",
    ]
    kpis = [
        kpi(f"K{i}", name=f"{names[i % 3]} {i}", owner="Maria Gonzalez-Smith", target=100)
        for i in range(10)
    ]
    note = "Pipeline slipped after the pricing change; two deals moved to Q1 next year"
    entries = [(dt.date(2026, 11, d), k.id, 5, note) for k in kpis for d in (3, 10)]
    return compute(tracker(kpis, entries), AS_OF)


@pytest.mark.libreoffice
@requires_libreoffice
def test_slides_put_the_legend_under_rows_that_wrap(tmp_path: Path) -> None:
    """Rows whose name and note wrap are taller than a one-line row: the summary slides
    take as many as fit, and the text under the table stands below the last row as
    LibreOffice draws it (it was drawn over the last rows, and the table ran off the
    slide)."""
    pdf = convert(export_result(_wordy_kpis(), tmp_path / "w.pptx"), "pdf", tmp_path)
    words = etree.fromstring(
        subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True)
        .stdout.replace(b"<!DOCTYPE", b"<!-- ")
        .replace(b'.dtd">', b'.dtd" -->')
    )
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    summary_pages = 0
    for page in words.iterfind(".//x:page", ns):
        texts = [(w.text or "", float(w.get("yMin")), float(w.get("yMax")))
                 for w in page.iterfind(".//x:word", ns)]  # fmt: skip
        rows = [y_max for t, _, y_max in texts if re.fullmatch(r"\(K\d\)", t)]
        if not rows:  # not a summary slide (title, attention, charts)
            continue
        summary_pages += 1
        height = float(page.get("height"))
        # "Expected" heads a column and opens the legend: the legend's is the lowest
        legend = max(y_min for t, y_min, _ in texts if t == "Expected")
        assert max(rows) < legend, (max(rows), legend)
        assert max(y for _, _, y in texts) < height  # nothing past the slide's foot
    assert summary_pages >= 2
