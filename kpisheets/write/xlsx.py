"""Render a :class:`~kpisheets.report_model.Report` as a standalone workbook with XlsxWriter.

The refresh splices the sheet parts of this package into the user's workbook
(``kpisheets.write.package``); the summary-only ``.xlsx`` export uses the package as
it is. The workbook holds exactly the report's sheets.

User text is safe: the workbook is opened with ``strings_to_formulas``,
``strings_to_numbers`` and ``strings_to_urls`` off, and every ``str`` is written with
``write_string``; only :class:`~kpisheets.report_model.Formula` cells become formulas
(with their cached value, for readers that do not calculate). Chart titles and series
names that XlsxWriter would take for a cell reference (``Sheet!A1``) get an invisible
zero-width space after the ``!``.

Rendering is deterministic: the "created" property is the report's as-of date, so
two renders of one report are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kpisheets.report_model import Cell, Chart, Formula, Link, Report, SheetReport, Style

WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    # Build in memory: without it XlsxWriter writes a temporary file per worksheet.
    "in_memory": True,
}
DEFAULT_DATE_FORMAT = "yyyy-mm-dd"
# The dates a date cell can hold, by date system (False: 1900, True: 1904).
FIRST_DATE = {False: dt.date(1900, 1, 1), True: dt.date(1904, 1, 1)}
LAST_DATE = dt.date(9999, 12, 31)
DEFAULT_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
ZERO_WIDTH_SPACE = "\u200b"
# What XlsxWriter's chart code treats as a reference rather than a name.
CHART_REFERENCE = re.compile(r"^=?[^!]+!\$?[A-Z]+\$?\d+")
CHART_SETTERS = {
    "x_axis": "set_x_axis",
    "y_axis": "set_y_axis",
    "legend": "set_legend",
    "chartarea": "set_chartarea",
    "plotarea": "set_plotarea",
}


def _cache_sparkline_styles() -> None:
    """Build XlsxWriter's sparkline styles once per process, not once per sparkline.

    ``Worksheet.add_sparkline`` calls ``_get_sparkline_style``, which makes all 36
    built-in styles (about 250 colour objects) to return one; with a sparkline per
    KPI that was an eighth of the rendering time of a 10,000-entry tracker. The
    styles are only read, so one copy serves every call. If a later XlsxWriter no
    longer has the function, nothing changes.
    """
    module: Any = xlsxwriter.worksheet
    build = getattr(module, "_get_sparkline_style", None)
    if build is not None and not hasattr(build, "cache_info"):
        module._get_sparkline_style = functools.lru_cache(maxsize=None)(build)


_cache_sparkline_styles()


def render_report(
    report: Report, target: str | Path | IO[bytes], *, date_1904: bool = False
) -> None:
    """Write ``report`` as a workbook to ``target`` (a path or a binary file object).

    ``date_1904`` writes dates as serials of the 1904 date system: sheets spliced into
    a workbook that uses it (old Mac workbooks) must, or every date on them would
    show four years and a day late.

    >>> # render_report(build_report(result), "summary.xlsx")
    """
    with _workbook(target, date_1904) as book:
        formats = _Formats(book)
        # The file format's dates have four-digit years from 1900 on (year 1 was
        # written "1-01-01T00:00:00Z", which is no date).
        created = min(max(report.as_of or dt.date(2000, 1, 1), FIRST_DATE[False]), LAST_DATE)
        book.set_properties(
            {
                "created": dt.datetime(created.year, created.month, created.day),
                "title": report.title,
            }
        )
        for sheet in report.sheets:
            _render_sheet(book, book.add_worksheet(sheet.name), sheet, formats)


def render_to_bytes(report: Report, date_1904: bool = False) -> bytes:
    """The rendered workbook as bytes (what the splice takes)."""
    buffer = io.BytesIO()
    render_report(report, buffer, date_1904=date_1904)
    return buffer.getvalue()


@contextmanager
def _workbook(target: str | Path | IO[bytes], date_1904: bool = False) -> Iterator[Workbook]:
    name: Any = str(target) if isinstance(target, str | Path) else target
    book = xlsxwriter.Workbook(name, {**WORKBOOK_OPTIONS, "date_1904": date_1904})
    try:
        yield book
    finally:
        book.close()


class _Formats:
    """One XlsxWriter Format per distinct Style (cells and conditional formats kept
    apart: a conditional format becomes a dxf entry, a cell format an xf entry)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.cells: dict[Style, Format] = {}
        self.rules: dict[Style, Format] = {}

    def cell(self, style: Style | None) -> Format | None:
        if style is None:
            return None
        if style not in self.cells:
            self.cells[style] = self.book.add_format(style.xlsxwriter_format())
        return self.cells[style]

    def rule(self, style: Style) -> Format:
        if style not in self.rules:
            props = style.xlsxwriter_format()
            # A dxf fill is a solid fill of bg_color; XlsxWriter wants no pattern for it.
            props.pop("pattern", None)
            self.rules[style] = self.book.add_format(props)
        return self.rules[style]


def _render_sheet(book: Workbook, ws: Worksheet, sheet: SheetReport, formats: _Formats) -> None:
    for col, width in sorted(sheet.column_widths.items()):
        ws.set_column(col, col, width)
    for row, height in sorted(sheet.row_heights.items()):
        ws.set_row(row, height)

    for merge in sheet.merges:
        style = _style_for(merge.value, merge.style)
        fmt = formats.cell(style)
        ws.merge_range(merge.first_row, merge.first_col, merge.last_row, merge.last_col, "", fmt)
        _write(ws, merge.first_row, merge.first_col, merge.value, fmt)
    for cell in sheet.cells:
        _write_cell(ws, cell, formats)

    for rule in sheet.conditional_formats:
        options = dict(rule.options)
        if isinstance(options.get("format"), Style):
            options["format"] = formats.rule(options["format"])
        ws.conditional_format(rule.range, options)
    for spark in sheet.sparklines:
        ws.add_sparkline(spark.location, {"range": spark.range, **spark.options})
    for chart in sheet.charts:
        _insert_chart(book, ws, chart)

    if sheet.freeze:
        ws.freeze_panes(*sheet.freeze)
    if sheet.tab_color:
        ws.set_tab_color(sheet.tab_color)
    if sheet.hide_gridlines:
        ws.hide_gridlines(2)
    if sheet.zoom:
        ws.set_zoom(sheet.zoom)
    setup = sheet.print_setup
    if setup:
        if setup.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(setup.paper)
        ws.fit_to_pages(setup.fit_width, setup.fit_height)
        if setup.repeat_rows:
            ws.repeat_rows(*setup.repeat_rows)
        if setup.print_area:
            ws.print_area(setup.print_area)
        if setup.page_breaks:
            ws.set_h_pagebreaks(list(setup.page_breaks))
        if setup.header:
            ws.set_header(setup.header)
        if setup.footer:
            ws.set_footer(setup.footer)


def _write_cell(ws: Worksheet, cell: Cell, formats: _Formats) -> None:
    _write(ws, cell.row, cell.col, cell.value, formats.cell(_style_for(cell.value, cell.style)))


def _style_for(value: Any, style: Style | None) -> Style | None:
    """Dates need a number format to show as dates; give them one when the report did not."""
    if isinstance(value, dt.date) and (style is None or not style.num_format):
        fmt = DEFAULT_DATETIME_FORMAT if isinstance(value, dt.datetime) else DEFAULT_DATE_FORMAT
        return replace(style or Style(), num_format=fmt)
    return style


def _write(ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None) -> None:
    """Write one value with the writer matching its type; strings always as strings."""
    if isinstance(value, Link):
        # internal: a jump inside the workbook, no relationship part; the text stays text.
        ws.write_url(row, col, f"internal:{value.target}", fmt, string=value.text)
    elif isinstance(value, Formula):
        cached = value.value
        if isinstance(cached, float) and not math.isfinite(cached):
            cached = ""
        ws.write_formula(row, col, value.text, fmt, "" if cached is None else cached)
    elif value is None:
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            ws.write_number(row, col, _ExactNumber(value), fmt)
        elif fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if FIRST_DATE[ws.date_1904] <= day <= LAST_DATE:
            ws.write_datetime(row, col, value, fmt)
        else:  # a date cell cannot hold it (Excel would show ####): its ISO text
            ws.write_string(row, col, value.isoformat(), fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        # Decimal, numpy scalars: numbers when they are numbers, else their text.
        try:
            number = float(value)
        except (TypeError, ValueError):
            ws.write_string(row, col, str(value), fmt)
        else:
            _write(ws, row, col, number, fmt)


class _ExactNumber(float):
    """A float that XlsxWriter writes with every digit.

    XlsxWriter formats cell numbers with ``.16G``, which can change the last bit
    (266.66666666666663 is read back as 266.6666666666666). Excel itself stores the
    shortest round-trip form, so do the same: the figures read back from the sheet
    then equal ``status --format json`` exactly.
    """

    def __format__(self, spec: str) -> str:
        if spec.upper() == ".16G":
            text = repr(float(self))
            return text[:-2] if text.endswith(".0") else text.upper()
        return super().__format__(spec)


def _plain_text(text: str) -> str:
    """Chart text that XlsxWriter would take for a cell reference (anything with
    ``Sheet!A1`` in it) gets a zero-width space after each ``!``, so it stays text."""
    if CHART_REFERENCE.match(text):
        return text.replace("!", "!" + ZERO_WIDTH_SPACE)
    return text


def _insert_chart(book: Workbook, ws: Worksheet, chart: Chart) -> None:
    kind: dict[str, Any] = {"type": chart.kind}
    if "subtype" in chart.options:  # stacked bars (the Summary's funnel chart)
        kind["subtype"] = chart.options["subtype"]
    xl_chart = book.add_chart(kind)
    if xl_chart is None:  # XlsxWriter warns and returns None for an unknown type
        raise ValueError(f"Unknown chart type {chart.kind!r}.")
    # A series of another type goes into a second chart combined with the first on the
    # same axes (XlsxWriter combines two charts: columns with a line).
    other_kinds = [
        k for k in dict.fromkeys(s.kind_in(chart) for s in chart.series) if k != chart.kind
    ]
    if len(other_kinds) > 1:
        raise ValueError(f"A chart combines two types at most, not {other_kinds!r}.")
    combined = book.add_chart({"type": other_kinds[0]}) if other_kinds else None
    if other_kinds and combined is None:
        raise ValueError(f"Unknown chart type {other_kinds[0]!r}.")
    for series in chart.series:
        target = xl_chart if series.kind_in(chart) == chart.kind else combined
        assert target is not None
        target.add_series(
            {
                "name": _plain_text(series.name),
                "categories": series.categories,
                "values": series.values,
                **series.options,
            }
        )
    if combined is not None:
        xl_chart.combine(combined)
    options = chart.options
    title: dict[str, Any] = {"name": _plain_text(chart.title)} if chart.title else {"none": True}
    if "title_font" in options and chart.title:
        title["name_font"] = options["title_font"]
    xl_chart.set_title(title)
    for key, setter in CHART_SETTERS.items():
        if key in options:
            getattr(xl_chart, setter)(options[key])
    if "show_blanks_as" in options:
        xl_chart.show_blanks_as(options["show_blanks_as"])
    xl_chart.set_size({"width": chart.width, "height": chart.height})
    ws.insert_chart(
        chart.row,
        chart.col,
        xl_chart,
        {"x_offset": options.get("x_offset", 0), "y_offset": options.get("y_offset", 0)},
    )
