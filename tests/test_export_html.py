"""The HTML export: self-contained, escaped, readable on a phone and printable."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from kpisheets.export import export_result
from kpisheets.export.html import result_html
from kpisheets.export.meeting import kpi_row
from tests.export_results import HOSTILE, hostile_result, sample_result


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
    assert "@media (max-width" in page_source  # cards on narrow screens
    assert "@media print" in page_source
