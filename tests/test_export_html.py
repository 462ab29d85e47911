"""The HTML export: self-contained, escaped, readable on a phone and printable."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kpisheets.export import export_result
from kpisheets.export.html import result_html
from kpisheets.export.meeting import kpi_row
from tests.export_results import HOSTILE, hostile_result, sample_result

SAMPLES = Path(__file__).resolve().parent.parent / "sample_workbooks"


class _Collector(HTMLParser):
    """Tags, attributes and text, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return parser


def test_every_kpi_and_figure_is_on_the_page(tmp_path: Path) -> None:
    result = sample_result()
    out = export_result(result, tmp_path / "summary.html")
    page = _parse(out.read_text(encoding="utf-8"))
    text = " ".join(page.text)
    for k in result.kpis:
        assert k.name in text
        assert k.id in text
        row = kpi_row(k)
        for figure in (row.actual, row.target, row.expected, row.achievement):
            assert figure in text, (k.id, figure)
    assert "Zażółć gęślą jaźń" in text and "顧客満足度" in text
    assert page.tags.count("svg") >= 8  # inline sparklines
    assert "On track" in text and "Overall score" in text


def test_hostile_text_is_escaped_everywhere() -> None:
    page_source = result_html(hostile_result())
    page = _parse(page_source)
    assert "script" not in page.tags
    assert all(not name.startswith("on") for name, _ in page.attrs)
    text = " ".join(page.text)
    for hostile in HOSTILE[:3]:
        assert hostile in text  # shown as typed …
    assert "<script>" not in page_source  # … but never as markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_source
    assert '" onmouseover=' not in page_source
    assert "Entries!C4 holds" in text  # problems are listed (and escaped)
    # the title is escaped inside <title> too
    assert "<title>&lt;script&gt;" in page_source


def test_self_contained_no_network_no_scripts() -> None:
    page_source = result_html(sample_result())
    assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9]", page_source)
    assert not re.search(r"(?i)<(script|link|img|iframe|object|embed)\b", page_source)
    assert "@import" not in page_source and "url(" not in page_source
    assert '<meta name="viewport"' in page_source  # phones
    assert "@media screen and (max-width" in page_source  # cards on narrow screens
    assert "@media print" in page_source


CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)
# Measures each category table's first row in the browser: (left, width) of every cell.
MEASURE = """<script>
const rows = [];
for (const t of document.querySelectorAll('main table')) {
  const cells = [...t.querySelectorAll('tbody tr:first-child > *')];
  rows.push(cells.map(c => { const r = c.getBoundingClientRect();
    return Math.round(r.left) + ':' + Math.round(r.width); }).join(','));
}
const m = document.createElement('pre'); m.id = 'measure';
m.textContent = rows.join('\\n') + '\\npage:' + document.documentElement.scrollWidth;
document.body.appendChild(m);
</script>"""


# Every table cell whose content is wider than the cell (figures running into the next
# column): "text|content width|cell width".
OVERFLOWS = """<script>
const over = [];
for (const c of document.querySelectorAll('main table td, main table th')) {
  if (c.offsetWidth && c.scrollWidth > c.clientWidth + 1)
    over.push(c.textContent.trim() + '|' + c.scrollWidth + '|' + c.clientWidth);
}
const m = document.createElement('pre'); m.id = 'measure';
m.textContent = over.join('\\n') + '\\npage:' + document.documentElement.scrollWidth;
document.body.appendChild(m);
</script>"""


def _measure(page: str, width: int, tmp_path: Path) -> tuple[list[list[tuple[int, int]]], int]:
    """Lay ``page`` out in headless Chromium at ``width`` px; per table the cells'
    (left, width), and the page's scroll width."""
    *tables, page_line = _laid_out(page, MEASURE, width, tmp_path).splitlines()
    cells = [[tuple(int(n) for n in c.split(":")) for c in t.split(",")] for t in tables]
    return cells, int(page_line.split(":")[1])  # type: ignore[misc]


def _laid_out(page: str, script: str, width: int, tmp_path: Path) -> str:
    """Lay ``page`` out in headless Chromium at ``width`` px with ``script`` added at
    the end of its body; return the text of the ``<pre id="measure">`` it wrote."""
    html = tmp_path / f"m{width}.html"
    html.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / f'profile{width}'}",
            f"--window-size={width},1000",
            "--virtual-time-budget=2000",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    text = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert text, dom[-500:]
    return text.group(1).strip()


def _run_in_chromium(page: str, script: str, width: int, tmp_path: Path) -> list[str]:
    """The lines ``script`` wrote into ``<pre id="measure">`` (:func:`_laid_out`)."""
    return _laid_out(page, script, width, tmp_path).splitlines()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [901, 1000, 1400])
def test_columns_line_up_across_category_tables_and_notes_keep_room(
    width: int, tmp_path: Path
) -> None:
    tables, page_width = _measure(result_html(sample_result()), width, tmp_path)
    assert len(tables) >= 2
    assert all(t == tables[0] for t in tables)  # same left and width, table after table
    note_left, note_width = tables[0][-2]  # the Actions column comes last
    assert note_width >= (100 if width < 1000 else 150)  # was ~50 px between 721 and 1000 px
    actions_left, actions_width = tables[0][-1]
    assert actions_width >= 100
    assert actions_left + actions_width <= width and page_width <= width  # no sideways scroll


# Every figure cell whose content is wider than the cell: it ran into the next column.
OVERFLOW = """<script>
const wide = [...document.querySelectorAll('td.num')]
  .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.trim());
const m = document.createElement('pre'); m.id = 'measure';
m.textContent = 'overflow:' + JSON.stringify(wide);
document.body.appendChild(m);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [820, 1000, 1400])
def test_figures_with_units_stay_inside_their_columns(width: int, tmp_path: Path) -> None:
    """Figures "30,165 visits" and "46,000 visits" ran into one another at 1400 px; a figure
    with a unit may put the unit on a second line, never over the next column."""
    from kpisheets import status
    from kpisheets.samples import AS_OF
    from tests.conftest import ROOT

    result = status(ROOT / "sample_workbooks" / "marketing-kpis.xlsx", AS_OF)
    text = _laid_out(result_html(result), OVERFLOW, width, tmp_path)
    assert text == "overflow:[]"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("width", [820, 901, 1000, 1400])
def test_figures_stay_inside_their_columns(width: int, tmp_path: Path) -> None:
    """The sales sample's figures ("27 proposals", "$174,667", "▲ +108%") ran into the
    next column at 820 and 1000 px: no cell's content may be wider than the cell."""
    import kpisheets

    result = kpisheets.status(SAMPLES / "sales-kpis.xlsx")
    *over, page_line = _run_in_chromium(result_html(result), OVERFLOWS, width, tmp_path)
    assert over == []
    assert int(page_line.split(":")[1]) <= width  # no sideways scroll


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_cards_up_to_900_px(tmp_path: Path) -> None:
    """At 820 px (a tablet held upright) each KPI is a card: its cells stacked, each
    as wide as the card, so a note has the whole width."""
    tables, page_width = _measure(result_html(sample_result()), 820, tmp_path)
    first = [(left, w) for left, w in tables[0] if w]  # an empty note or actions: no box
    assert len({left for left, _ in first}) == 1 and min(w for _, w in first) > 700
    assert page_width <= 820
    # a card leaves out an empty note or actions line (it showed a bare "Actions:")
    script = MEASURE.replace(
        "const rows = [];",
        "const rows = [[...document.querySelectorAll('td.actions:empty, td.note:empty')]"
        ".filter(c => c.offsetHeight > 0).length + ''];",
    ).replace("for (const t of document.querySelectorAll('main table'))", "for (const t of [])")
    empty_shown, _ = _run_in_chromium(result_html(sample_result()), script, 820, tmp_path)
    assert empty_shown == "0"


def test_notes_wrap_between_words() -> None:
    css = result_html(sample_result())
    note_rule = re.search(r"\.note \{[^}]*\}", css)
    assert note_rule and "overflow-wrap: break-word" in note_rule.group(0)
    assert "anywhere" not in note_rule.group(0)  # 'anywhere' broke words mid-word


@pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None,
    reason="chromium and poppler-utils are not installed (.ci/run installs them)",
)
def test_printed_page_keeps_the_table(tmp_path: Path) -> None:
    """Paper is narrower than 900 CSS px too: printing keeps the table (cards printed
    one KPI a page, 8 pages for the sales sample)."""
    import kpisheets

    html = tmp_path / "s.html"
    html.write_text(result_html(kpisheets.status(SAMPLES / "sales-kpis.xlsx")), encoding="utf-8")
    pdf = tmp_path / "s.pdf"
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}", html.as_uri(),
        ],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Latest note" in text  # the table's header row (cards have none)
    assert text.count("\f") <= 4
