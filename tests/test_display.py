"""How figures are shown in every output: rounding that never contradicts the status,
trend arrows that show the value's direction, the legend, Expected beside % of target,
the tint that follows its figure, the palette's contrast and the HTML's accessibility."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from kpisheets.calc import compute
from kpisheets.cli import cli, status_table
from kpisheets.export import export_result
from kpisheets.export.html import result_html
from kpisheets.export.markdown import result_markdown
from kpisheets.export.meeting import kpi_row
from kpisheets.export.pptx import result_pptx
from kpisheets.formatting import figure_formats
from kpisheets.legend import legend_lines
from kpisheets.model import Status, Trend
from kpisheets.palette import BAD, GOOD, STATUS_TINT, TEXT_ON_FILL, TREND_COLOURS, contrast
from kpisheets.result import Result
from tests.builders import kpi, tracker
from tests.conftest import requires_libreoffice

AS_OF = dt.date(2026, 11, 20)


def _result() -> Result:
    """Attrition just above a lower-is-better target; a scaled currency; a paced total
    whose pace and % of target disagree; KPIs moving up and down."""
    kpis = [
        kpi(
            "ATTR",
            name="Voluntary attrition",
            category="People",
            unit="%",
            direction="lower",
            aggregation="average",
            target=0.10,
        ),
        kpi(
            "ARR",
            name="Annual recurring revenue",
            category="Revenue",
            number_format='$#,##0.0,,"M"',
            aggregation="last",
            target=700000,
        ),
        kpi(
            "DEMOS",
            name="Demos held",
            category="Revenue",
            unit="demos",
            target=100,
        ),
        kpi(
            "CYCLE",
            name="Sales cycle length",
            category="Revenue",
            unit="days",
            direction="lower",
            aggregation="average",
            target=30,
        ),
    ]
    entries = [
        (dt.date(2026, 10, 10), "ATTR", 0.12),
        (dt.date(2026, 11, 10), "ATTR", 0.1003),
        (dt.date(2026, 10, 10), "ARR", 600000),
        (dt.date(2026, 11, 10), "ARR", 651000),
        (dt.date(2026, 10, 5), "DEMOS", 50),
        (dt.date(2026, 11, 5), "DEMOS", 70),  # 70 of 100 by day 20 of 30: ahead of pace
        (dt.date(2026, 10, 5), "CYCLE", 40),
        (dt.date(2026, 11, 5), "CYCLE", 33),  # down: good for a lower-is-better KPI
    ]
    return compute(tracker(kpis, entries), AS_OF)


def _kpi(result: Result, kpi_id: str):  # type: ignore[no-untyped-def]
    return next(k for k in result.kpis if k.id == kpi_id)


def test_rounding_never_contradicts_the_status() -> None:
    result = _result()
    attrition = _kpi(result, "ATTR")
    assert attrition.status is Status.AT_RISK
    row = kpi_row(attrition)
    # 10.0% · 10.0% · 100% beside "At risk" was the contradiction
    assert (row.actual, row.target, row.achievement) == ("10.03%", "10.0%", "99.7%")
    assert figure_formats(attrition).actual == "0.00%"
    table = status_table(result)
    line = next(line for line in table.splitlines() if line.startswith("ATTR"))
    assert "10.03%" in line and "99.7%" in line and "At risk" in line
    markdown = result_markdown(result)
    assert "10.03%" in markdown and "99.7%" in markdown


def test_a_scaled_currency_gets_the_decimal_that_shows_the_gap() -> None:
    arr = _kpi(_result(), "ARR")  # 651,000 of 700,000
    row = kpi_row(arr)
    # $0.7M against $0.7M would look met; one decimal more shows the gap
    assert (row.actual, row.target, row.achievement) == ("$0.65M", "$0.7M", "93%")
    assert figure_formats(arr).actual == '$#,##0.00,,"M"'


def test_trend_arrow_is_the_values_direction_and_the_colour_its_judgement() -> None:
    result = _result()
    cycle = kpi_row(_kpi(result, "CYCLE"))  # 40 → 33 days, lower is better
    assert (cycle.trend_arrow, cycle.trend_label, cycle.trend_colour) == ("▼", "improving", GOOD)
    attrition = kpi_row(_kpi(result, "ATTR"))  # 12% → 10.03%: down, improving
    assert attrition.trend_arrow == "▼" and attrition.kpi.trend is Trend.IMPROVING
    arr = kpi_row(_kpi(result, "ARR"))  # up, higher is better
    assert (arr.trend_arrow, arr.trend_colour) == ("▲", GOOD)
    assert arr.trend.startswith("▲ +")
    assert "▼ +" not in result_markdown(result) and "▲ -" not in result_markdown(result)


def test_the_tint_of_percent_of_target_follows_that_figure() -> None:
    demos = _kpi(_result(), "DEMOS")
    assert demos.status is Status.ON_TRACK  # ahead of pace…
    assert demos.achievement is not None and demos.achievement < 0.9  # …but 70% of target
    row = kpi_row(demos)
    assert row.achievement_tint == STATUS_TINT[Status.OFF_TRACK]
    html = result_html(_result())
    assert f'style="background:{STATUS_TINT[Status.OFF_TRACK]}">70%</td>' in html


def test_the_legend_is_in_every_output(tmp_path: Path) -> None:
    result = _result()
    lines = legend_lines(result)
    assert len(lines) == 2
    assert "Expected by now" in lines[0] and "Score" in lines[0] and "% of target" in lines[0]
    assert "day 20 of Nov 2026" in lines[1]  # totals are compared up to this day
    assert "Category and Overall score" in lines[1]

    def flat(text: str) -> str:
        return " ".join(text.split())

    deck = zipfile.ZipFile(io.BytesIO(result_pptx(result)))
    slide_texts = [
        " ".join(re.findall(r"<a:t>([^<]*)</a:t>", deck.read(n).decode()))
        for n in deck.namelist()
        if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)
    ]
    outputs = {
        "Markdown": flat(result_markdown(result).replace("\\", "")),
        "HTML": flat(lxml_html.fromstring(result_html(result)).text_content()),
        "status": flat(status_table(result)),
        "slides": flat(" ".join(slide_texts).replace("&amp;", "&")),
    }
    if shutil.which("pdftotext"):  # poppler-utils, installed by .ci/run
        pdf = export_result(result, tmp_path / "s.pdf")
        text = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        outputs["PDF"] = flat(text)
    for output, text in outputs.items():
        for line in lines:
            assert flat(line) in text, f"{output} lacks the legend line {line[:40]!r}…"


def test_slides_show_expected_beside_percent_of_target_and_format_the_axis() -> None:
    deck = zipfile.ZipFile(io.BytesIO(result_pptx(_result())))
    summary = deck.read("ppt/slides/slide2.xml").decode()
    headers = re.findall(r"<a:t>([^<]*)</a:t>", summary)
    assert headers.index("Expected by now") + 1 == headers.index("% of target")
    assert "10.03%" in summary and "99.7%" in summary
    axis_formats = []
    for name in deck.namelist():
        if name.startswith("ppt/charts/chart"):
            tree = etree.fromstring(deck.read(name))
            ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
            axis_formats += [
                (e.get("formatCode"), e.get("sourceLinked"))
                for e in tree.findall(".//c:valAx/c:numFmt", ns)
            ]
    assert ('$#,##0.0,,"M"', "0") in axis_formats  # quotes survive as XML escapes


def test_html_tables_have_scope_caption_and_sparkline_values() -> None:
    html = result_html(_result())
    assert html.count('<th scope="col" class="c-') >= 10
    assert '<th scope="row" class="name-cell">' in html
    assert "<caption>People: 1 KPI" in html
    labels = re.findall(r'aria-label="(History of [^"]*)"', html)
    arr = next(label for label in labels if "Annual recurring revenue" in label)
    assert "Oct 2026 $0.6M" in arr and "Nov 2026 $0.7M (target $0.7M)" in arr


@pytest.mark.parametrize(("where", "text", "fill"), TEXT_ON_FILL)
def test_every_text_on_fill_pair_reaches_wcag_aa(where: str, text: str, fill: str) -> None:
    assert contrast(text, fill) >= 4.5, f"{where}: {text} on {fill} is {contrast(text, fill):.2f}:1"


def test_status_command_prints_the_table_with_the_legend(tmp_path: Path) -> None:
    from tests.builders import write_workbook

    book = write_workbook(
        tmp_path / "t.xlsx",
        {
            "KPIs": [
                ["ID", "KPI", "Unit", "Direction", "Aggregation", "Target"],
                ["ATTR", "Voluntary attrition", "%", "lower", "average", 0.1],
            ],
            "Entries": [["Date", "KPI", "Value"], [dt.date(2026, 11, 10), "ATTR", 0.1003]],
        },
    )
    out = CliRunner().invoke(cli, ["status", str(book), "--as-of", "2026-11-20"])
    assert out.exit_code == 0, out.output
    assert "10.03%" in out.stdout and "99.7%" in out.stdout and "Expected by now:" in out.stdout


def test_pdf_axis_labels_keep_the_formats_currency_when_shortened() -> None:
    from kpisheets.export.pdf import _tick_label

    assert _tick_label(1_200_000, '"$"#,##0') == "$1.2M"
    assert _tick_label(700_000, '$#,##0.0,,"M"') == "$0.7M"
    assert _tick_label(-2_500_000, '#,##0 "visits"') == "-2.5M visits"


def _summary_cells(result: Result) -> tuple[dict, dict[str, int]]:
    from kpisheets.report import build_report

    report = build_report(result, refreshed_at=dt.datetime(2026, 11, 20, 9, 0))
    summary = report.sheet("Summary")
    grid = summary.grid()
    rows = {
        cell.value: r for (r, c), cell in grid.items() if c == 0 and isinstance(cell.value, str)
    }
    return {"sheet": summary, "grid": grid}, rows


def test_the_summary_sheet_uses_the_same_formats_trend_colours_and_legend() -> None:
    from kpisheets.report import COL

    result = _result()
    built, rows = _summary_cells(result)
    grid, sheet = built["grid"], built["sheet"]
    attrition = rows["Voluntary attrition"]
    assert grid[(attrition, COL["actual"])].style.num_format == "0.00%"  # 10.03%
    assert grid[(attrition, COL["target"])].style.num_format == "0.0%"
    assert grid[(attrition, COL["achievement"])].style.num_format == "0.0%"  # 99.7%
    assert grid[(attrition, COL["trend"])].value == "▼"
    # % of target is tinted by its own band, as in the exports: Demos held is On track
    # (ahead of pace) but at 70% of target, so its % of target is tinted Off track.
    demos = rows["Demos held"]
    assert grid[(demos, COL["status"])].value == "On track"
    assert grid[(demos, COL["achievement"])].style.fill == STATUS_TINT[Status.OFF_TRACK]
    assert grid[(attrition, COL["achievement"])].style.fill == STATUS_TINT[Status.AT_RISK]
    cycle = rows["Sales cycle length"]  # lower is better: down is green, up red
    ref = f"{chr(ord('A') + COL['trend'])}{cycle + 1}"
    rules = {
        rule.options["value"]: rule.options["format"].font_color
        for rule in sheet.conditional_formats
        if rule.range == ref
    }
    assert rules == {'"▼"': GOOD, '"▲"': BAD, '"▶"': TREND_COLOURS["flat"]}
    texts = [cell.value for cell in grid.values() if isinstance(cell.value, str)]
    for line in legend_lines(result):
        assert line in texts
    legend_row = rows[legend_lines(result)[0]]
    assert legend_row > max(rows[k.name] for k in result.kpis)  # under the KPI table


@requires_libreoffice
@pytest.mark.libreoffice
def test_libreoffice_shows_the_summary_figures_as_the_exports_do(tmp_path: Path) -> None:
    import csv

    from tests.libreoffice import convert

    result = _result()
    book = export_result(result, tmp_path / "summary.xlsx")  # Summary is its first sheet
    shown = convert(
        book, "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true", tmp_path / "csv"
    )
    rows = list(csv.reader(shown.read_text(encoding="utf-8").splitlines()))
    for k in result.kpis:
        row = next(r for r in rows if r and r[0] == k.name)
        texts = kpi_row(k)
        assert row[2:6] == [texts.actual, texts.target, texts.expected, texts.achievement], k.id


def test_kpis_without_unit_read_as_whole_numbers_when_their_figures_are_whole() -> None:
    """A count with no Unit read `12.0` against `30.0`; the cells it was typed into
    (General) show whole numbers, so the Summary and the exports do too."""
    kpis = [
        kpi("CALLS", name="Support calls", aggregation="count", target=30),
        kpi("DEMOS", name="Demos", target=40),  # Sum of whole entries
        kpi("HOURS", name="Hours billed", target=40),  # Sum with a half hour
        kpi("AVG", name="Calls per agent", aggregation="average", target=8),
    ]
    entries = [(dt.date(2026, 11, d), "CALLS", None) for d in range(1, 13)]
    entries += [(dt.date(2026, 11, 3), "DEMOS", 12), (dt.date(2026, 11, 9), "DEMOS", 9)]
    entries += [(dt.date(2026, 11, 3), "HOURS", 7.5), (dt.date(2026, 11, 9), "HOURS", 8)]
    entries += [(dt.date(2026, 11, 3), "AVG", 7), (dt.date(2026, 11, 9), "AVG", 8)]
    result = compute(tracker(kpis, entries), dt.date(2026, 11, 12))
    calls, demos, hours, average = (_kpi(result, i) for i in ("CALLS", "DEMOS", "HOURS", "AVG"))
    assert (calls.number_format, demos.number_format) == ("#,##0", "#,##0")
    assert (hours.number_format, average.number_format) == ("#,##0.0#", "#,##0.0#")
    row = kpi_row(calls)  # 12 calls against 30 × 12/30 = 12 expected by now
    assert (row.actual, row.target, row.expected) == ("12", "30", "12")
    assert kpi_row(hours).actual == "15.5" and kpi_row(average).actual == "7.5"
    assert "| 12 | 30 |" in result_markdown(result).replace("\\", "")


def test_expected_by_now_gets_the_decimal_that_shows_it_is_not_reached() -> None:
    """12 calls against 12.4 expected read "12" and "12" beside "At risk"."""
    kpis = [kpi("CALLS", name="Support calls", aggregation="count", target=31, amber_at=0.9)]
    entries = [(dt.date(2026, 11, d), "CALLS", None) for d in range(1, 13)]
    calls = compute(tracker(kpis, entries), dt.date(2026, 11, 12)).kpis[0]
    assert calls.expected == pytest.approx(31 * 12 / 30) and calls.status is Status.AT_RISK
    row = kpi_row(calls)
    assert (row.actual, row.target, row.expected) == ("12", "31", "12.4")
    reached = compute(tracker(kpis, [*entries, (dt.date(2026, 11, 12), "CALLS", None)]),
                      dt.date(2026, 11, 12)).kpis[0]  # fmt: skip
    assert reached.status is Status.ON_TRACK
    assert (kpi_row(reached).actual, kpi_row(reached).expected) == ("13", "12")
