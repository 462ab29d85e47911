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

from kpisheets.model import column_letter, quote_sheet


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
    # Border on all four sides: an XlsxWriter border index (1 thin, 2 medium, 5 thick);
    # ``border_color`` colours it. Tiles use a white medium border as a gap.
    border: int = 0
    shrink: bool = False  # shrink text to fit the cell

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
        if self.border:
            props["border"] = self.border
            if self.border_color:
                props["border_color"] = self.border_color
        if self.border_bottom:
            props["bottom"] = 1
            if self.border_color:
                props["bottom_color"] = self.border_color
        if self.shrink:
            props["shrink"] = True
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


@dataclass(frozen=True)
class Link:
    """Text of kpisheets' own that jumps to a place in the workbook when clicked
    (``target``: ``Problems!A1``, the sheet quoted as a reference needs). Written as a
    hyperlink, never as a formula; a writer that cannot link writes the text."""

    text: str
    target: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Cell:
    row: int
    col: int
    value: Any
    style: Style | None = None


@dataclass
class Merge:
    """A merged range holding one value. kpisheets' own reports merge within one row
    only, which lets the file writer stream rows and use inline strings."""

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
    """One series of a :class:`Chart`. ``kind`` draws it as another chart type than
    the chart's own (``"line"`` in a ``"column"`` chart: a combination chart, columns
    of actual under a target line, on the same axes); ``None`` is the chart's type."""

    name: str
    categories: str  # "=History!$B$2:$B$13"
    values: str
    options: dict[str, Any] = field(default_factory=dict)  # XlsxWriter add_series extras
    kind: str | None = None  # XlsxWriter chart type: line, column…

    def kind_in(self, chart: Chart) -> str:
        """The chart type this series is drawn as in ``chart``."""
        return self.kind or chart.kind


@dataclass
class Chart:
    """A chart placed with its top-left at (row, col).

    ``title`` is plain text (writers keep a leading ``=`` as text). ``options`` keys
    used by kpisheets, each an XlsxWriter options dict: ``x_axis``, ``y_axis``,
    ``legend``, ``chartarea``, ``plotarea``, ``title_font``; ``show_blanks_as``
    (``"gap"``, ``"zero"`` or ``"span"``); ``x_offset`` and ``y_offset`` in pixels from
    the top-left of (row, col). Series names are plain text too.
    """

    kind: str  # XlsxWriter chart type: line, column, bar… (a series may differ)
    title: str
    series: list[ChartSeries]
    row: int
    col: int
    width: int = 480  # pixels
    height: int = 288
    options: dict[str, Any] = field(default_factory=dict)  # axis titles, legend…


@dataclass
class PrintSetup:
    """How a sheet prints: by default landscape, one page wide and as many long as needed."""

    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages as needed
    repeat_rows: tuple[int, int] | None = None  # 0-based first, last
    print_area: str | None = None  # "A1:M40"
    paper: int = 9  # XlsxWriter paper index: 9 = A4, 1 = Letter
    header: str | None = None
    footer: str | None = None
    page_breaks: tuple[int, ...] = ()  # 0-based rows that start a new printed page


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
class SummaryLayout:
    """Where the Summary's blocks ended up (0-based rows), recorded by the blocks as
    they are laid out top to bottom; everything that depends on a row (freeze panes,
    print titles, conditional-format ranges, tests) reads it from here.

    A block that is not shown leaves its row ``None``.
    """

    title_row: int | None = None
    as_of_row: int | None = None
    changed_row: int | None = None  # the "entries changed" line (live workbooks only)
    since_row: int | None = None  # the "Since <date>" heading (what changed since the review)
    left_out_row: int | None = None  # "N entries are left out…" (only when some are)
    tiles_row: int | None = None  # the tile values; their labels are on the next row
    header_row: int | None = None  # the KPI table's column headings
    first_table_row: int | None = None  # the first category row under the header
    kpi_rows: list[int] = field(default_factory=list)  # one per KPI, in table order
    last_table_row: int | None = None  # the table's last row (a KPI or "No KPIs")
    driver_rows: dict[str, int] = field(default_factory=dict)  # KPI ID → its driver sentence
    funnel_rows: dict[str, int] = field(default_factory=dict)  # funnel name → its title row
    end_row: int = 0  # the row after the last block

    @property
    def tile_label_row(self) -> int | None:
        """The row of the tiles' labels, under their values."""
        return None if self.tiles_row is None else self.tiles_row + 1


@dataclass
class Report:
    """All generated sheets, in the order they are appended to the workbook."""

    sheets: list[SheetReport]
    as_of: dt.date | None = None
    title: str = ""
    # When the report was built (shown on the Summary). Writers use ``as_of`` for the
    # file's "created" property so two renders of one report are identical.
    refreshed_at: dt.datetime | None = None
    # True when the sheets may refer to the tracker's own sheets (Entries); False for
    # standalone exports.
    live_workbook: bool = True
    # Where the Summary's blocks are (see kpisheets.report, "Summary").
    summary_layout: SummaryLayout = field(default_factory=SummaryLayout)

    def sheet(self, name: str) -> SheetReport:
        """The sheet with this name (case-insensitive); KeyError when absent."""
        for s in self.sheets:
            if s.name.lower() == name.lower():
                return s
        raise KeyError(name)


# ---------------------------------------------------------------------------
# A1 references for the 0-based coordinates used above.


def cell_a1(row: int, col: int, absolute: bool = False) -> str:
    """A 0-based (row, col) as an A1 reference.

    >>> cell_a1(0, 0), cell_a1(9, 27, absolute=True)
    ('A1', '$AB$10')
    """
    letters = column_letter(col)
    if absolute:
        return f"${letters}${row + 1}"
    return f"{letters}{row + 1}"


def range_a1(
    first_row: int, first_col: int, last_row: int, last_col: int, absolute: bool = False
) -> str:
    """A 0-based rectangle as an A1 range (a single cell when it is one cell).

    >>> range_a1(4, 2, 4, 13)
    'C5:N5'
    """
    first = cell_a1(first_row, first_col, absolute)
    if (first_row, first_col) == (last_row, last_col):
        return first
    return f"{first}:{cell_a1(last_row, last_col, absolute)}"


def sheet_range(
    sheet: str, first_row: int, first_col: int, last_row: int, last_col: int, absolute: bool = True
) -> str:
    """A range on a named sheet, the sheet quoted when it needs it.

    >>> sheet_range("History", 4, 2, 4, 13)
    'History!$C$5:$N$5'
    >>> sheet_range("Team's history", 0, 0, 0, 0, absolute=False)
    "'Team''s history'!A1"
    """
    return f"{quote_sheet(sheet)}!{range_a1(first_row, first_col, last_row, last_col, absolute)}"
