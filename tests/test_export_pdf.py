"""The PDF export: page count, text (pdftotext), pagination, languages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kpisheets.calc import compute
from kpisheets.export import export_result
from kpisheets.export.meeting import attention, done_this_period, kpi_row
from kpisheets.export.pdf_fonts import REPLACEMENT, runs
from kpisheets.result import Result
from tests.builders import kpi, tracker
from tests.export_results import AS_OF, hostile_result, many_kpis, sample_result

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def pdf_text(pdf: Path) -> str:
    """Text in content order (``-raw``), so a name wrapped inside its cell stays whole."""
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _pages(result: Result, tmp_path: Path, paper: str = "a4") -> list[str]:
    out = export_result(result, tmp_path / f"summary-{paper}.pdf", paper=paper)
    assert out.read_bytes().startswith(b"%PDF-")
    pages = pdf_text(out).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _attention_pages(result: Result) -> int:
    """The "Needs attention" page after the summary (one page for these trackers)."""
    return 1 if attention(result) or done_this_period(result) else 0


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_summary_page_has_every_kpi_and_figure(tmp_path: Path, paper: str) -> None:
    result = sample_result()
    pages = _pages(result, tmp_path, paper)
    categories = {k.category for k in result.kpis}
    extra = _attention_pages(result)
    # summary, needs attention, then one chart page per category
    assert len(pages) == 1 + extra + len(categories)
    first = _squash(pages[0])
    assert "Team KPIs" in first and "As of 2026-11-20" in first and "Nov 2026" in first
    for k in result.kpis:
        row = kpi_row(k)
        assert k.name in first, k.name
        for figure in (row.actual, row.target, row.achievement):
            assert figure in first, (k.id, figure)
    for label in ("On track", "At risk", "Off track", "No data", "No target", "Overall score"):
        assert label in first
    assert "▲" in first and "▼" in first  # trend arrows
    for page, rollup in zip(pages[1 + extra :], result.categories, strict=True):
        assert rollup.name in page and "actual against target" in page


def test_up_to_25_kpis_fit_page_one(tmp_path: Path) -> None:
    result = many_kpis(25)
    for paper in ("a4", "letter"):
        pages = _pages(result, tmp_path, paper)
        first = _squash(pages[0])
        assert all(k.name in first for k in result.kpis), paper
        assert "actual against target" in pages[1 + _attention_pages(result)]


def test_more_kpis_flow_onto_further_pages_with_the_header_repeated(tmp_path: Path) -> None:
    result = many_kpis(40)
    pages = _pages(result, tmp_path)
    summary = [p for p in pages if "Latest note" in p]
    assert len(summary) >= 2
    for page in summary:
        assert "Big tracker" in page and "As of 2026-11-20" in page  # banner
        assert "Actual" in page and "Target" in page and "% of target" in page  # column header
    text = _squash(" ".join(summary))
    assert all(k.name in text for k in result.kpis)
    # five categories of eight KPIs at six charts a page: two pages each
    assert len(pages) == len(summary) + _attention_pages(result) + 10


def test_polish_and_japanese_text_extracts(tmp_path: Path) -> None:
    result = sample_result()
    text = _squash(_pages(result, tmp_path)[0])
    assert "Zażółć gęślą jaźń" in text
    assert "Łukasz Wójcik" in text
    assert "顧客満足度" in text.replace(" ", "")
    assert "Chloé" in text and "série" in text


def test_korean_greek_and_mixed_runs_extract(tmp_path: Path) -> None:
    sales = kpi("K", name="매출 한국어 Ελληνικά", owner="Ærø Ōtsuka", target=5)
    entries = [(AS_OF, "K", 3, "日本語とEnglish混在 ÀÉÎÕÜ ß ø")]
    text = _squash(_pages(compute(tracker([sales], entries), AS_OF), tmp_path)[0])
    assert "매출 한국어 Ελληνικά" in text
    assert "Ærø Ōtsuka" in text
    assert "日本語とEnglish混在 ÀÉÎÕÜ ß ø" in text


def test_unrenderable_characters_become_a_visible_mark(tmp_path: Path) -> None:
    assert runs("ok 🚀 हिन्दी") == [("KpiSans", "ok " + REPLACEMENT + " " + REPLACEMENT * 6)]
    rocket = kpi("ROCKET", name="Launch 🚀 readiness", category="Product", target=10)
    entries = [(AS_OF, "ROCKET", 3, "Ελληνικά и кириллица ✓")]
    text = _squash(_pages(compute(tracker([rocket], entries), AS_OF), tmp_path)[0])
    assert "Launch " + REPLACEMENT + " readiness" in text
    assert "Ελληνικά и кириллица ✓" in text


def test_hostile_text_is_just_text(tmp_path: Path) -> None:
    text = _squash(" ".join(_pages(hostile_result(), tmp_path)))
    assert "<script>alert(1)</script>" in text
    assert "=cmd|' /C calc'!A0" in text
    assert "-5" in text


SAMPLES = sorted((Path(__file__).resolve().parent.parent / "sample_workbooks").glob("*.xlsx"))


@pytest.mark.skipif(not SAMPLES, reason="sample_workbooks/ is absent")
@pytest.mark.parametrize("book", SAMPLES, ids=lambda p: p.stem)
def test_sample_summary_stays_inside_the_margins(book: Path, tmp_path: Path) -> None:
    import kpisheets
    from kpisheets.export.pdf import MARGIN

    result = kpisheets.status(book)
    out = export_result(result, tmp_path / "sample.pdf")
    words = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(out), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    page_width = float(re.search(r'<page width="([\d.]+)"', words).group(1))  # type: ignore[union-attr]
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', words)]
    assert right_edges and max(right_edges) <= page_width - MARGIN + 1
    first = _squash(pdf_text(out).split("\f")[0])
    assert all(k.name in first for k in result.kpis)


def test_an_infinite_target_gets_a_chart_without_it(tmp_path: Path) -> None:
    """A Target typed as 1e400 reads as infinity: the history chart leaves it out (it
    raised StopIteration while placing axis ticks)."""
    t = tracker([kpi("S", frequency="week", target=float("inf"))], [("2026-11-16", "S", 5)])
    pages = _pages(compute(t, AS_OF), tmp_path)
    assert any("S" in page for page in pages)
