"""Render each template's KPIs sheet to a PNG for the docs (needs LibreOffice, poppler).

    python -m tests.render_template_images docs/images

Each template's input sheets are written with the same code as ``kpisheets new``;
the other sheets are hidden so LibreOffice prints the KPIs sheet alone, and the
page is cropped to its content.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import xlsxwriter
from PIL import Image, ImageChops

from kpisheets.templates import FIXED_REFERENCE, TEMPLATE_NAMES, build_input_sheets
from tests.libreoffice import convert, pdf_to_png


def render_kpis_sheet(template: str, out: Path, dpi: int = 150) -> Path:
    """Write ``out`` (PNG) showing the KPIs sheet of ``template``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        book_path = work / f"{template}.xlsx"
        book = xlsxwriter.Workbook(str(book_path), {"strings_to_formulas": False})
        build_input_sheets(book, template, reference=FIXED_REFERENCE)
        for ws in book.worksheets():
            if ws.name != "KPIs":
                ws.hide()
        book.close()
        pdf = convert(book_path, "pdf", work)
        (png,) = pdf_to_png(pdf, work / "page", 1, 1, dpi)
        crop(png, out)
    return out


def crop(png: Path, out: Path, pad: int = 12) -> Path:
    """Save ``png`` to ``out`` cropped to its non-white content plus ``pad`` pixels."""
    image = Image.open(png).convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box:
        image = image.crop(
            (
                max(box[0] - pad, 0),
                max(box[1] - pad, 0),
                min(box[2] + pad, image.width),
                min(box[3] + pad, image.height),
            )
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    return out


def main(argv: list[str]) -> None:
    folder = Path(argv[0] if argv else "docs/images")
    for template in TEMPLATE_NAMES:
        print(render_kpis_sheet(template, folder / f"template-{template}-kpis.png"))


if __name__ == "__main__":
    main(sys.argv[1:])
