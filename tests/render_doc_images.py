"""Render the pictures in docs/ from the test fixtures (needs LibreOffice and poppler).

    python -m tests.render_doc_images docs/images

* ``summary.png`` and ``history.png`` (its charts): the generated sheets of the realistic tracker
  in ``tests/report_samples.py``, rendered with XlsxWriter and printed by LibreOffice;
* ``problems.png``: the Problems sheet of the same tracker computed ten days earlier,
  its future-dated entries grouped into one row per column;
* ``summary-pdf.png``: page one of the PDF export of ``tests/export_results.py``;
* ``summary-sales.png`` and ``slide-funnel.png``: the sales sample's Summary (driver
  sentences, actions, the funnel block and chart) and the funnel slide of its deck.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from kpisheets.calc import compute
from kpisheets.export import export_result
from kpisheets.report import build_report
from kpisheets.write.xlsx import render_report
from tests.export_results import sample_result
from tests.libreoffice import convert, pdf_text, pdf_to_png
from tests.render_template_images import crop
from tests.report_samples import realistic_tracker

AS_OF = dt.date(2026, 11, 20)
REFRESHED_AT = dt.datetime(2026, 11, 20, 9, 15)


def render_sheets(folder: Path, dpi: int = 110) -> list[Path]:
    """summary.png and history.png: the first printed page of each generated sheet."""
    result = compute(realistic_tracker(hostile=False), AS_OF)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        report = build_report(result, live_workbook=False, refreshed_at=REFRESHED_AT)
        book = work / "sheets.xlsx"
        render_report(report, book)
        pdf = convert(book, "pdf", work)
        # LibreOffice prints the sheets in order: Summary first; History's charts start
        # on a page of their own headed "Charts".
        pages = pdf_text(pdf).split("\f")
        history = next(i for i, text in enumerate(pages) if text.strip().startswith("Charts"))
        for name, page in (("summary", 1), ("history", history + 1)):
            (png,) = pdf_to_png(pdf, work / name, page, page, dpi)
            written.append(crop(png, folder / f"{name}.png"))
    return written


def render_problems(folder: Path, dpi: int = 110) -> Path:
    """problems.png: the Problems sheet when a refresh at a past date finds entries
    dated after it (grouped: one row, not one per entry)."""
    result = compute(realistic_tracker(hostile=False), AS_OF - dt.timedelta(days=10))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        report = build_report(result, live_workbook=False, refreshed_at=REFRESHED_AT)
        book = work / "sheets.xlsx"
        render_report(report, book)
        pdf = convert(book, "pdf", work)
        pages = pdf_text(pdf).split("\f")
        page = next(i for i, text in enumerate(pages) if "Severity" in text) + 1
        (png,) = pdf_to_png(pdf, work / "problems", page, page, dpi)
        return crop(png, folder / "problems.png")


def render_pdf_page(folder: Path, dpi: int = 100) -> Path:
    """summary-pdf.png: page one of the meeting PDF."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = export_result(sample_result(), Path(tmp) / "summary.pdf")
        (png,) = pdf_to_png(pdf, Path(tmp) / "page", 1, 1, dpi)
        out = folder / "summary-pdf.png"
        out.write_bytes(png.read_bytes())
    return out


def render_sales_sample(folder: Path, dpi: int = 110) -> list[Path]:
    """summary-sales.png and slide-funnel.png from the sales sample at its as-of date."""
    import kpisheets
    from kpisheets.samples import AS_OF as SAMPLE_AS_OF
    from tests.conftest import ROOT

    result = kpisheets.status(ROOT / "sample_workbooks" / "sales-kpis.xlsx", SAMPLE_AS_OF)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        report = build_report(result, live_workbook=False, refreshed_at=REFRESHED_AT)
        book = work / "sales.xlsx"
        render_report(report, book)
        (png,) = pdf_to_png(convert(book, "pdf", work), work / "sales", 1, 1, dpi)
        written.append(crop(png, folder / "summary-sales.png"))
        deck = export_result(result, work / "deck.pptx")
        pdf = convert(deck, "pdf", work)
        pages = pdf_text(pdf).split("\f")
        page = next(i for i, text in enumerate(pages) if text.strip().startswith("Funnel")) + 1
        (png,) = pdf_to_png(pdf, work / "slide", page, page, 80)
        written.append(crop(png, folder / "slide-funnel.png"))
    return written


def main(argv: list[str]) -> None:
    folder = Path(argv[0] if argv else "docs/images")
    folder.mkdir(parents=True, exist_ok=True)
    for path in [
        *render_sheets(folder),
        render_problems(folder),
        render_pdf_page(folder),
        *render_sales_sample(folder),
    ]:
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
