"""The report: the generated sheets described once, independent of any writer.

``kpisheets.report.build_report(result)`` lays out Summary, History and Problems as
a :class:`Report`. Writers apply it: ``kpisheets.write.xlsx`` through XlsxWriter (then
the splice), ``kpisheets.write.excel`` through xlwings into a live workbook, and the
summary-only ``.xlsx`` export. Nothing here imports an Excel library.

Coordinates are 0-based (row, col) like XlsxWriter's; ``a1`` helpers convert.
Conditional formats, sparklines, charts and print options use XlsxWriter's option
vocabulary (documented at xlsxwriter.readthedocs.io) so the file writer passes them
straight through, and other writers translate the subset kpisheets uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Style:
    """A cell style. Colours are ``#RRGGBB``; ``num_format`` an Excel format code."""

    bold: bool = False
    italic: bool = False
    font_size: float | None = None
    font_color: str | None = None
    fill: str | None = None
    num_format: str | None = None
    align: str | None = None  # left | center | right
    valign: str | None = None  # top | vcenter | bottom
    wrap: bool = False
    border_bottom: bool = False
    border_color: str | None = None
    indent: int = 0

    def xlsxwriter_format(self) -> dict[str, Any]:
        """The equivalent ``Workbook.add_format`` properties."""
        props: dict[str, Any] = {}
        if self.bold:
            props["bold"] = True
        if self.italic:
            props["italic"] = True
        if self.font_size:
            props["font_size"] = self.font_size
        if self.font_color:
            props["font_color"] = self.font_color
        if self.fill:
            props["bg_color"] = self.fill
            props["pattern"] = 1
        if self.num_format:
            props["num_format"] = self.num_format
        if self.align:
            props["align"] = self.align
        if self.valign:
            props["valign"] = self.valign
        if self.wrap:
            props["text_wrap"] = True
        if self.border_bottom:
            props["bottom"] = 1
            if self.border_color:
                props["bottom_color"] = self.border_color
        if self.indent:
            props["indent"] = self.indent
        return props


# A cell value in a report: None, bool, int, float, str (always written as text,
# never as a formula), dt.date / dt.datetime, or a Formula.


@dataclass(frozen=True)
class Formula:
    """A formula kpisheets itself wrote (never user text). ``value`` is its cached
    result so readers that do not calculate (calamine) still see a value."""

    text: str  # starts with "="
    value: Any = None


@dataclass
class Cell:
    row: int
    col: int
    value: Any
    style: Style | None = None


@dataclass
class Merge:
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    value: Any
    style: Style | None = None


@dataclass
class ConditionalFormat:
    """XlsxWriter ``conditional_format(range, options)``; ``options['format']`` may be
    a :class:`Style` (writers turn it into their own format object)."""

    range: str  # "G5:G30"
    options: dict[str, Any]


@dataclass
class Sparkline:
    """XlsxWriter ``add_sparkline(cell, options)``: ``location`` and ``range`` in A1."""

    location: str
    range: str  # "History!C2:N2"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChartSeries:
    name: str
    categories: str  # "=History!$B$2:$B$13"
    values: str
    options: dict[str, Any] = field(default_factory=dict)  # XlsxWriter add_series extras


@dataclass
class Chart:
    """A chart placed with its top-left at (row, col)."""

    kind: str  # XlsxWriter chart type: line, column, bar…
    title: str
    series: list[ChartSeries]
    row: int
    col: int
    width: int = 480  # pixels
    height: int = 288
    options: dict[str, Any] = field(default_factory=dict)  # axis titles, legend…


@dataclass
class PrintSetup:
    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages as needed
    repeat_rows: tuple[int, int] | None = None  # 0-based first, last
    print_area: str | None = None  # "A1:M40"
    paper: int = 9  # XlsxWriter paper index: 9 = A4, 1 = Letter
    header: str | None = None
    footer: str | None = None


@dataclass
class SheetReport:
    """One generated sheet."""

    name: str
    cells: list[Cell] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    column_widths: dict[int, float] = field(default_factory=dict)  # col → Excel width
    row_heights: dict[int, float] = field(default_factory=dict)  # row → points
    conditional_formats: list[ConditionalFormat] = field(default_factory=list)
    sparklines: list[Sparkline] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    freeze: tuple[int, int] | None = None  # (row, col) of the first unfrozen cell
    print_setup: PrintSetup | None = None
    tab_color: str | None = None
    hide_gridlines: bool = True
    zoom: int | None = None

    def set(self, row: int, col: int, value: Any, style: Style | None = None) -> None:
        """Add a cell."""
        self.cells.append(Cell(row, col, value, style))

    def grid(self) -> dict[tuple[int, int], Cell]:
        """The cells by position (merged ranges contribute their top-left cell)."""
        out = {(c.row, c.col): c for c in self.cells}
        for m in self.merges:
            out[(m.first_row, m.first_col)] = Cell(m.first_row, m.first_col, m.value, m.style)
        return out


@dataclass
class Report:
    """All generated sheets, in the order they are appended to the workbook."""

    sheets: list[SheetReport]
    as_of: dt.date | None = None
    title: str = ""

    def sheet(self, name: str) -> SheetReport:
        for s in self.sheets:
            if s.name.lower() == name.lower():
                return s
        raise KeyError(name)
