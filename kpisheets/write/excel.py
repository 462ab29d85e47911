"""Apply a :class:`~kpisheets.report_model.Report` to a workbook open in Excel (xlwings).

The same report that :mod:`kpisheets.write.xlsx` renders into a file is applied here
to a live workbook, so the Summary, History and Problems sheets look the same
whichever way the refresh ran: there is one layout (``kpisheets.report``), two writers.

Rules this writer keeps:

* Only the sheets kpisheets owns (``Summary``, ``History``, ``Problems``,
  ``Snapshots``) are touched. An
  existing one is cleared and reused rather than deleted, so a user's formula such as
  ``=Summary!B5`` on another sheet keeps pointing at it (deleting the sheet would turn
  it into ``#REF!`` for good). A missing one is added after the last sheet.
* Bulk transfers: one 2-D value write per sheet (xlwings chunks very large blocks),
  and each format property applied once per rectangle of equal cells, never per cell.
* User text stays text: every string is written with Excel's quote prefix (``'``), so
  ``=HYPERLINK(...)``, ``00123`` or ``Nov 2026`` are neither formulas, numbers nor dates.
  Only :class:`~kpisheets.report_model.Formula` cells (kpisheets' own) become formulas.
* Only xlwings' public API, except behind :func:`windows_excel` for what it lacks
  (sparklines, freeze panes, page orientation and scaling, tab colour, zoom). Where
  that is unavailable (macOS) the feature is skipped and a note is returned, which
  :mod:`kpisheets.xl` shows in the status bar.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from kpisheets.model import OWNED_SHEETS, column_index, column_letter
from kpisheets.report_model import (
    Chart,
    ChartSeries,
    ConditionalFormat,
    Formula,
    Link,
    PrintSetup,
    Report,
    SheetReport,
    Sparkline,
    Style,
)

# The same hidden sheet-scoped marker the file refresh writes, so either refresh
# recognises the other's sheets.
from kpisheets.write.package import OWNER_NAME, OWNER_VALUE, SheetNameTakenError

if TYPE_CHECKING:
    import xlwings as xw


Rect = tuple[int, int, int, int]  # 0-based first_row, first_col, last_row, last_col
POINTS_PER_PIXEL = 0.75
STANDARD_COLUMN_WIDTH = 8.43


def windows_excel(book: xw.Book) -> bool:
    """True when ``book`` lives in desktop Excel on Windows, where ``.api`` is COM."""
    return sys.platform.startswith("win") and book.app.engine.name == "excel"


def apply_report(book: xw.Book, report: Report) -> list[str]:
    """Write every sheet of ``report`` into ``book``; return notes about skipped parts.

    >>> # notes = apply_report(xw.Book.caller(), kpisheets.report.build_report(result))
    """
    notes: list[str] = []
    try:
        previous = book.sheets.active
    except Exception:  # an engine without an active sheet; nothing to restore
        previous = None
    check_sheet_names(book, [s.name for s in report.sheets])
    sheets = []
    for sheet_report in report.sheets:
        sheet = prepare_sheet(book, sheet_report.name, notes)
        write_cells(sheet, sheet_report)
        write_layout(sheet, sheet_report, notes)
        sheets.append((sheet, sheet_report))
    # Charts and sparklines refer to cells of other generated sheets (History), so
    # they come after every sheet's values are in place.
    for sheet, sheet_report in sheets:
        for chart in sheet_report.charts:
            add_chart(book, sheet, chart, notes)
        if sheet_report.sparklines:
            add_sparklines(book, sheet, sheet_report.sparklines, notes)
    if previous is not None:
        with contextlib.suppress(Exception):  # the previous sheet may be gone
            previous.activate()
    return _unique(notes)


# ---------------------------------------------------------------------------
# Sheets


def check_sheet_names(book: xw.Book, names: Iterable[str]) -> None:
    """Refuse, before writing anything, when a sheet of the user's has the name of a
    generated sheet (no kpisheets marker), exactly as the file refresh does."""
    wanted = {n.lower(): n for n in names}
    for sheet in book.sheets:
        ours = wanted.get(sheet.name.strip().lower())
        if ours is not None and not is_generated(sheet):
            raise SheetNameTakenError(
                f"The workbook already has a sheet called {sheet.name!r} that kpisheets "
                "did not create; rename it (or delete it) so a refresh can write its "
                f"{ours} sheet."
            )


def is_generated(sheet: xw.Sheet) -> bool:
    """True when the sheet carries kpisheets' hidden sheet-scoped name."""
    try:
        return any(n.name.split("!")[-1].lower() == OWNER_NAME for n in sheet.names)
    except NotImplementedError:
        return False


def mark_generated(book: xw.Book, sheet: xw.Sheet) -> None:
    """Give a new generated sheet the marker a later refresh recognises it by."""
    name = sheet.names.add(OWNER_NAME, "=" + OWNER_VALUE)
    if windows_excel(book):
        name.api.Visible = False  # hidden, as the file refresh writes it


def prepare_sheet(book: xw.Book, name: str, notes: list[str]) -> xw.Sheet:
    """The generated sheet ``name``, emptied (reused when present, else appended)."""
    if name.lower() not in {g.lower() for g in OWNED_SHEETS}:
        raise ValueError(
            f"{name!r} is not a generated sheet; kpisheets writes only {', '.join(OWNED_SHEETS)}"
        )
    for sheet in book.sheets:
        if sheet.name.strip().lower() == name.lower():
            if not is_generated(sheet):
                check_sheet_names(book, [name])  # raises
            clear_sheet(book, sheet, notes)
            return sheet
    last = book.sheets[len(book.sheets) - 1]
    sheet = book.sheets.add(name, after=last)
    mark_generated(book, sheet)
    return sheet


def clear_sheet(book: xw.Book, sheet: xw.Sheet, notes: list[str]) -> None:
    """Remove everything a previous refresh put on a generated sheet."""
    for chart in list(sheet.charts):
        chart.delete()
    if windows_excel(book):
        # Sparkline groups survive Range.Clear.
        sheet.api.Cells.SparklineGroups.Clear()
    sheet.clear()  # values, formats, merges, conditional formats
    sheet.cells.column_width = STANDARD_COLUMN_WIDTH
    _set_freeze(book, sheet, None, notes)
    sheet.page_setup.print_area = None


# ---------------------------------------------------------------------------
# Values


def excel_value(value: Any) -> Any:
    """A report cell value as handed to Excel: strings quote-prefixed (always text),
    Formula as its formula text, dates as datetimes, NaN/inf as empty."""
    if value is None:
        return None
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, Link):  # the text; write_cells adds the hyperlink
        return "'" + value.text
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return "'" + str(value)


def write_cells(sheet: xw.Sheet, sheet_report: SheetReport) -> None:
    """All values of a sheet in one 2-D write from A1, then the formats by rectangle."""
    grid = sheet_report.grid()
    if grid:
        last_row = max(r for r, _ in grid)
        last_col = max(c for _, c in grid)
        block: list[list[Any]] = [[None] * (last_col + 1) for _ in range(last_row + 1)]
        for (r, c), cell in grid.items():
            block[r][c] = excel_value(cell.value)
        sheet.range((1, 1), (last_row + 1, last_col + 1)).value = block
        for (r, c), cell in grid.items():
            if isinstance(cell.value, Link):
                # "#Sheet!A1": a place in this workbook, as Excel's Insert Link writes it.
                link = cell.value
                cell_range = sheet.range((r + 1, c + 1))
                cell_range.add_hyperlink(f"#{link.target}", link.text, "Go to the Problems sheet")
    for merge in sheet_report.merges:
        _range(sheet, (merge.first_row, merge.first_col, merge.last_row, merge.last_col)).merge()
    apply_styles(sheet, _cell_styles(sheet_report))


def _cell_styles(sheet_report: SheetReport) -> dict[tuple[int, int], Style]:
    styles: dict[tuple[int, int], Style] = {}
    for cell in sheet_report.cells:
        if cell.style is not None:
            styles[(cell.row, cell.col)] = cell.style
    for m in sheet_report.merges:
        if m.style is None:
            continue
        for r in range(m.first_row, m.last_row + 1):
            for c in range(m.first_col, m.last_col + 1):
                styles[(r, c)] = m.style
    return styles


# ---------------------------------------------------------------------------
# Formats


@dataclass(frozen=True)
class _Property:
    """One formatting property: how to read it off a Style and set it on a range."""

    name: str
    get: Callable[[Style], Any]
    apply: Callable[[xw.Range, Any], None]


def _set_border(rng: xw.Range, color: str) -> None:
    rng.borders.set("edge_bottom", line_style="continuous", weight="thin", color=color)


_BORDER_WEIGHTS = {1: "thin", 2: "medium", 5: "thick"}  # XlsxWriter border indexes


def _set_box(rng: xw.Range, border: tuple[int, str]) -> None:
    index, color = border
    weight: Any = _BORDER_WEIGHTS.get(index, "thin")
    rng.borders.set("all", line_style="continuous", weight=weight, color=color)


def _set_shrink(rng: xw.Range, value: bool) -> None:
    if windows_excel(rng.sheet.book):
        rng.api.ShrinkToFit = True  # no public xlwings API; cosmetic elsewhere


def _set_indent(rng: xw.Range, level: int) -> None:
    try:
        rng.adjust_indent(level)  # cells are fresh, so adjusting from 0 sets the level
    except NotImplementedError:
        rng.api.IndentLevel = level  # the desktop engines lack adjust_indent


_ALIGN = {
    "left": "left",
    "center": "center",
    "right": "right",
    "centre": "center",
    "fill": "fill",
    "justify": "justify",
    "center_across": "center_across_selection",
}
_VALIGN = {
    "top": "top",
    "vcenter": "center",
    "center": "center",
    "bottom": "bottom",
    "vjustify": "justify",
}

PROPERTIES = (
    _Property("number_format", lambda s: s.num_format, lambda r, v: setattr(r, "number_format", v)),
    _Property("fill", lambda s: s.fill, lambda r, v: setattr(r, "color", v)),
    _Property("bold", lambda s: s.bold or None, lambda r, v: setattr(r.font, "bold", True)),
    _Property("italic", lambda s: s.italic or None, lambda r, v: setattr(r.font, "italic", True)),
    _Property("font_size", lambda s: s.font_size, lambda r, v: setattr(r.font, "size", v)),
    _Property("font_color", lambda s: s.font_color, lambda r, v: setattr(r.font, "color", v)),
    _Property(
        "align",
        lambda s: _ALIGN.get(s.align or ""),
        lambda r, v: setattr(r, "horizontal_alignment", v),
    ),
    _Property(
        "valign",
        lambda s: _VALIGN.get(s.valign or ""),
        lambda r, v: setattr(r, "vertical_alignment", v),
    ),
    _Property("wrap", lambda s: s.wrap or None, lambda r, v: setattr(r, "wrap_text", True)),
    _Property(
        "border_bottom",
        lambda s: (s.border_color or "#000000") if s.border_bottom else None,
        _set_border,
    ),
    _Property("indent", lambda s: s.indent or None, _set_indent),
    _Property(
        "border",
        lambda s: (s.border, s.border_color or "#000000") if getattr(s, "border", 0) else None,
        _set_box,
    ),
    _Property("shrink", lambda s: getattr(s, "shrink", False) or None, _set_shrink),
)


def apply_styles(sheet: xw.Sheet, styles: dict[tuple[int, int], Style]) -> None:
    """Set each format property once per rectangle of cells that share its value."""
    for prop in PROPERTIES:
        cells = {key: v for key, style in styles.items() if (v := prop.get(style)) is not None}
        for value, rects in rectangles(cells).items():
            for rect in rects:
                prop.apply(_range(sheet, rect), value)


def rectangles(cells: dict[tuple[int, int], Any]) -> dict[Any, list[Rect]]:
    """Cover cells with rectangles of equal value: runs along rows, stacked down.

    >>> rectangles({(0, 0): "a", (0, 1): "a", (1, 0): "a", (1, 1): "a", (2, 0): "b"})
    {'a': [(0, 0, 1, 1)], 'b': [(2, 0, 2, 0)]}
    """
    runs: list[tuple[int, int, int, Any]] = []  # row, first_col, last_col, value
    for r, c in sorted(cells):
        v = cells[(r, c)]
        if runs and runs[-1][0] == r and runs[-1][2] == c - 1 and runs[-1][3] == v:
            runs[-1] = (r, runs[-1][1], c, v)
        else:
            runs.append((r, c, c, v))
    open_rects: dict[tuple[int, int, Any], list[int]] = {}  # (c1, c2, v) → [r1, r2]
    out: dict[Any, list[Rect]] = {}
    for r, c1, c2, v in runs:
        key = (c1, c2, v)
        rect = open_rects.get(key)
        if rect is not None and rect[1] == r - 1:
            rect[1] = r
            continue
        if rect is not None:
            out.setdefault(v, []).append((rect[0], c1, rect[1], c2))
        open_rects[key] = [r, r]
    for (c1, c2, v), (r1, r2) in open_rects.items():
        out.setdefault(v, []).append((r1, c1, r2, c2))
    for v in out:
        out[v].sort()
    return out


# ---------------------------------------------------------------------------
# Layout: widths, heights, conditional formats, panes, printing


def write_layout(sheet: xw.Sheet, sheet_report: SheetReport, notes: list[str]) -> None:
    """Column widths, row heights, conditional formats, gridlines, panes, printing."""
    book = sheet.book
    for (first, last), width in _runs(sheet_report.column_widths).items():
        sheet.range((1, first + 1), (1, last + 1)).column_width = width
    for (first, last), height in _runs(sheet_report.row_heights).items():
        sheet.range((first + 1, 1), (last + 1, 1)).row_height = height
    # xlwings puts each new rule on top; XlsxWriter's first rule has the top priority.
    for cf in reversed(sheet_report.conditional_formats):
        add_conditional_format(sheet, cf, notes)
    sheet.show_gridlines = not sheet_report.hide_gridlines
    if sheet_report.freeze:
        _set_freeze(book, sheet, sheet_report.freeze, notes)
    if sheet_report.print_setup:
        apply_print_setup(book, sheet, sheet_report.print_setup, notes)
    if sheet_report.tab_color:
        if windows_excel(book):
            sheet.api.Tab.Color = _rgb_int(sheet_report.tab_color)
        else:
            notes.append("tab colours need Excel on Windows")
    if sheet_report.zoom and windows_excel(book):
        sheet.activate()
        book.app.api.ActiveWindow.Zoom = sheet_report.zoom


def _runs(sizes: dict[int, float]) -> dict[tuple[int, int], float]:
    """Consecutive indexes with the same size, as (first, last) → size."""
    out: dict[tuple[int, int], float] = {}
    current: list[Any] | None = None
    for index in sorted(sizes):
        size = sizes[index]
        if current and current[1] == index - 1 and current[2] == size:
            current[1] = index
            continue
        if current:
            out[(current[0], current[1])] = current[2]
        current = [index, index, size]
    if current:
        out[(current[0], current[1])] = current[2]
    return out


def _set_freeze(
    book: xw.Book, sheet: xw.Sheet, freeze: tuple[int, int] | None, notes: list[str]
) -> None:
    """Freeze rows above and columns left of the first unfrozen cell (or unfreeze)."""
    try:
        panes = sheet.freeze_panes
        if freeze is None:
            panes.unfreeze()
        else:
            panes.freeze_at(frozen_range(*freeze))
        return
    except NotImplementedError:
        pass  # xlwings' desktop engines implement freeze panes only through .api
    if windows_excel(book):
        sheet.activate()
        window = book.app.api.ActiveWindow
        window.FreezePanes = False
        if freeze is not None:
            window.SplitRow, window.SplitColumn = freeze
            window.FreezePanes = True
    elif freeze is not None:
        notes.append("frozen header rows need Excel on Windows")


def frozen_range(row: int, col: int) -> str:
    """The xlwings ``freeze_at`` range for XlsxWriter's (first unfrozen row, col).

    >>> frozen_range(4, 0), frozen_range(0, 2), frozen_range(4, 2)
    ('1:4', 'A:B', 'A1:B4')
    """
    if col == 0:
        return f"1:{row}"
    if row == 0:
        return f"A:{column_letter(col - 1)}"
    return f"A1:{column_letter(col - 1)}{row}"


def apply_print_setup(book: xw.Book, sheet: xw.Sheet, setup: PrintSetup, notes: list[str]) -> None:
    """Print area through the public API; orientation, scaling, paper, titles and
    header/footer through COM on Windows (xlwings has no public API for them)."""
    if setup.print_area:
        sheet.page_setup.print_area = setup.print_area
    if not windows_excel(book):
        notes.append("page orientation and fit-to-page need Excel on Windows")
        return
    app = book.app.api
    app.PrintCommunication = False  # otherwise each property waits for the printer driver
    try:
        ps = sheet.api.PageSetup
        ps.Orientation = 2 if setup.landscape else 1
        ps.Zoom = False
        ps.FitToPagesWide = setup.fit_width or False
        ps.FitToPagesTall = setup.fit_height or False
        ps.PaperSize = setup.paper  # XlsxWriter's paper indexes are Excel's XlPaperSize
        if setup.repeat_rows:
            first, last = setup.repeat_rows
            ps.PrintTitleRows = f"${first + 1}:${last + 1}"
        for which, text in (("Header", setup.header), ("Footer", setup.footer)):
            for side, part in header_sections(text).items():
                setattr(ps, f"{side}{which}", part)
    finally:
        app.PrintCommunication = True


def header_sections(text: str | None) -> dict[str, str]:
    """Split an XlsxWriter header/footer (``&L…&C…&R…``) into Excel's three parts.

    >>> header_sections("&LKPIs&RPage &P of &N")
    {'Left': 'KPIs', 'Right': 'Page &P of &N'}
    """
    if not text:
        return {}
    parts: dict[str, str] = {}
    side = "Center"
    for piece in re.split(r"(&[LCR])", text):
        if piece in ("&L", "&C", "&R"):
            side = {"&L": "Left", "&C": "Center", "&R": "Right"}[piece]
        elif piece:
            parts[side] = parts.get(side, "") + piece
    return parts


def _rgb_int(color: str) -> int:
    """``#RRGGBB`` as the integer COM wants (blue in the high byte)."""
    red, green, blue = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return red + (green << 8) + (blue << 16)


# ---------------------------------------------------------------------------
# Conditional formats (XlsxWriter vocabulary → xlwings' Range.conditional_formats)

_CRITERIA = {
    "between": "between",
    "not between": "not_between",
    "equal to": "equal_to",
    "==": "equal_to",
    "=": "equal_to",
    "not equal to": "not_equal_to",
    "!=": "not_equal_to",
    "<>": "not_equal_to",
    "greater than": "greater_than",
    ">": "greater_than",
    "less than": "less_than",
    "<": "less_than",
    "greater than or equal to": "greater_than_or_equal",
    ">=": "greater_than_or_equal",
    "less than or equal to": "less_than_or_equal",
    "<=": "less_than_or_equal",
}

# XlsxWriter icon_style → xlwings icon_set (Excel's XlIconSet names).
ICON_SETS = {
    "3_arrows": "3_arrows",
    "3_arrows_gray": "3_arrows_gray",
    "3_flags": "3_flags",
    "3_traffic_lights": "3_traffic_lights_1",
    "3_traffic_lights_rimmed": "3_traffic_lights_2",
    "3_signs": "3_signs",
    "3_symbols_circled": "3_symbols",
    "3_symbols": "3_symbols_2",
    "3_stars": "3_stars",
    "3_triangles": "3_triangles",
    "4_arrows": "4_arrows",
    "4_arrows_gray": "4_arrows_gray",
    "4_red_to_black": "4_red_to_black",
    "4_ratings": "4_rating",
    "4_traffic_lights": "4_traffic_lights",
    "5_arrows": "5_arrows",
    "5_arrows_gray": "5_arrows_gray",
    "5_ratings": "5_rating",
    "5_quarters": "5_quarters",
    "5_boxes": "5_boxes",
}


def _style_kwargs(style: Any) -> dict[str, Any]:
    if isinstance(style, Style):
        return {
            "fill_color": style.fill,
            "font_color": style.font_color,
            "font_bold": True if style.bold else None,
            "font_italic": True if style.italic else None,
        }
    if isinstance(style, dict):  # XlsxWriter format properties
        return {
            "fill_color": style.get("bg_color"),
            "font_color": style.get("font_color"),
            "font_bold": True if style.get("bold") else None,
            "font_italic": True if style.get("italic") else None,
        }
    return {}


def _cf_value(value: Any) -> str | int | float:
    """A cell-value rule operand: numbers as they are, text as an Excel formula."""
    if isinstance(value, bool):
        return "=TRUE" if value else "=FALSE"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return text if text.startswith("=") else "=" + text


def add_conditional_format(sheet: xw.Sheet, cf: ConditionalFormat, notes: list[str]) -> None:
    """Translate one XlsxWriter-style rule into xlwings' conditional-format API."""
    for address in re.split(r"[ ,]+", cf.range.strip()):
        _add_rule(sheet, sheet.range(address), cf.options, notes)


def _add_rule(sheet: xw.Sheet, rng: xw.Range, o: dict[str, Any], notes: list[str]) -> None:
    kind = o.get("type")
    cfs: Any = rng.conditional_formats  # operator names are checked by _CRITERIA
    top_left = rng[0, 0].get_address(False, False)
    style = _style_kwargs(o.get("format"))
    stop = bool(o.get("stop_if_true", False))
    if kind == "cell":
        operator = _CRITERIA.get(str(o.get("criteria", "")).lower())
        if operator is None:
            notes.append(f"a conditional format with criteria {o.get('criteria')!r} was skipped")
            return
        if operator in ("between", "not_between"):
            cfs.add_cell_value(
                operator,
                _cf_value(o["minimum"]),
                _cf_value(o["maximum"]),
                stop_if_true=stop,
                **style,
            )
        else:
            cfs.add_cell_value(operator, _cf_value(o["value"]), stop_if_true=stop, **style)
    elif kind == "formula":
        formula = str(o["criteria"])
        cfs.add_custom(
            formula if formula.startswith("=") else "=" + formula, stop_if_true=stop, **style
        )
    elif kind == "text":
        cfs.add_custom(
            text_rule_formula(str(o["criteria"]), str(o["value"]), top_left),
            stop_if_true=stop,
            **style,
        )
    elif kind in ("blanks", "no_blanks"):
        test = "=0" if kind == "blanks" else ">0"
        cfs.add_custom(f"=LEN(TRIM({top_left})){test}", stop_if_true=stop, **style)
    elif kind in ("2_color_scale", "3_color_scale"):
        _add_color_scale(cfs, o, three=kind == "3_color_scale")
    elif kind == "data_bar":
        kwargs: dict[str, Any] = {
            "gradient": not o.get("bar_solid", False),
            "show_value": not o.get("bar_only", False),
        }
        if o.get("min_type") in ("num", "percent", "percentile") and "min_value" in o:
            kwargs["minimum"] = o["min_value"]
            kwargs["threshold_type"] = _threshold_type(o["min_type"])
        if o.get("max_type") in ("num", "percent", "percentile") and "max_value" in o:
            kwargs["maximum"] = o["max_value"]
            kwargs["threshold_type"] = _threshold_type(o["max_type"])
        cfs.add_data_bar(o.get("bar_color", "#638EC6"), **kwargs)
    elif kind == "icon_set":
        _add_icon_set(cfs, o, notes)
    else:
        notes.append(f"{kind} conditional formats are not available through xlwings")


def text_rule_formula(criteria: str, value: str, cell: str) -> str:
    """The formula Excel itself stores for a "text that contains…" rule.

    >>> text_rule_formula("containing", "Off", "G5")
    '=NOT(ISERROR(SEARCH("Off",G5)))'
    """
    quoted = value.replace('"', '""')
    n = len(value)
    return {
        "containing": f'=NOT(ISERROR(SEARCH("{quoted}",{cell})))',
        "not containing": f'=ISERROR(SEARCH("{quoted}",{cell}))',
        "begins with": f'=LEFT({cell},{n})="{quoted}"',
        "ends with": f'=RIGHT({cell},{n})="{quoted}"',
    }[criteria]


def _threshold_type(xlsxwriter_type: str) -> str:
    return {"num": "number", "number": "number", "percent": "percent", "percentile": "percentile"}[
        xlsxwriter_type
    ]


def _add_color_scale(cfs: Any, o: dict[str, Any], three: bool) -> None:
    colors = [o.get("min_color", "#F8696B")]
    if three:
        colors.append(o.get("mid_color", "#FFEB84"))
    colors.append(o.get("max_color", "#63BE7B"))
    ends = ["min", "mid", "max"] if three else ["min", "max"]
    types = {o.get(f"{e}_type") for e in ends}
    if len(types) == 1 and None not in types and next(iter(types)) != "formula":
        thresholds = [o[f"{e}_value"] for e in ends]
        cfs.add_color_scale(
            colors, thresholds=thresholds, threshold_type=_threshold_type(str(next(iter(types))))
        )
    else:
        cfs.add_color_scale(colors)


def _add_icon_set(cfs: Any, o: dict[str, Any], notes: list[str]) -> None:
    icon_set = ICON_SETS.get(str(o.get("icon_style")))
    if icon_set is None:
        notes.append(f"icon set {o.get('icon_style')!r} is not available through xlwings")
        return
    kwargs: dict[str, Any] = {
        "show_value": not o.get("icons_only", False),
        "reverse_order": bool(o.get("reverse_icons", False)),
    }
    icons = o.get("icons") or []
    if icons:
        # XlsxWriter lists thresholds from the top icon down; xlwings wants them rising.
        kinds = {i.get("type", "percent") for i in icons}
        if len(kinds) == 1 and next(iter(kinds)) in ("number", "percent", "percentile"):
            kwargs["thresholds"] = [i["value"] for i in reversed(icons)]
            kwargs["threshold_type"] = next(iter(kinds))
    cfs.add_icon_set(icon_set, **kwargs)


# ---------------------------------------------------------------------------
# Charts and sparklines

_CHART_TYPES = {
    ("line", None): "line",
    ("line", "stacked"): "line_stacked",
    ("column", None): "column_clustered",
    ("column", "stacked"): "column_stacked",
    ("column", "percent_stacked"): "column_stacked_100",
    ("bar", None): "bar_clustered",
    ("bar", "stacked"): "bar_stacked",
    ("bar", "percent_stacked"): "bar_stacked_100",
    ("area", None): "area",
    ("area", "stacked"): "area_stacked",
    ("pie", None): "pie",
    ("doughnut", None): "doughnut",
    ("scatter", None): "xy_scatter",
    ("radar", None): "radar",
}

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")


@dataclass(frozen=True)
class _Ref:
    sheet: str
    first_row: int  # 1-based, as in A1 references
    first_col: int
    last_row: int
    last_col: int


def parse_ref(ref: str) -> _Ref:
    """``=History!$C$2:$C$13`` → sheet and 1-based bounds.

    >>> parse_ref("='My KPIs'!$B$2:$B$4")
    _Ref(sheet='My KPIs', first_row=2, first_col=2, last_row=4, last_col=2)
    """
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
    c1, r1 = column_index(m.group(3)) + 1, int(m.group(4))
    c2 = column_index(m.group(5)) + 1 if m.group(5) else c1
    r2 = int(m.group(6)) if m.group(6) else r1
    return _Ref(sheet, r1, c1, r2, c2)


def source_block(refs: list[_Ref]) -> tuple[_Ref, str] | None:
    """When the series' values are adjacent single columns (or rows) of one sheet, the
    block they make and the ``plot_by`` that splits it back into the same series."""
    if not refs or len({r.sheet for r in refs}) != 1:
        return None
    first = refs[0]
    if all(r.first_col == r.last_col for r in refs) and all(
        (r.first_row, r.last_row) == (first.first_row, first.last_row)
        and r.first_col == first.first_col + i
        for i, r in enumerate(refs)
    ):
        return _Ref(
            first.sheet, first.first_row, first.first_col, first.last_row, refs[-1].last_col
        ), "columns"
    if all(r.first_row == r.last_row for r in refs) and all(
        (r.first_col, r.last_col) == (first.first_col, first.last_col)
        and r.first_row == first.first_row + i
        for i, r in enumerate(refs)
    ):
        return _Ref(
            first.sheet, first.first_row, first.first_col, refs[-1].last_row, first.last_col
        ), "rows"
    return None


def add_chart(book: xw.Book, sheet: xw.Sheet, chart: Chart, notes: list[str]) -> None:
    """Add one chart: public ``charts.add`` + ``set_source_data`` when the series form
    one block, else series by series through COM on Windows."""
    kind = _CHART_TYPES.get(
        (chart.kind, chart.options.get("subtype")), _CHART_TYPES.get((chart.kind, None), "line")
    )
    refs = [parse_ref(s.values) for s in chart.series]
    block = source_block(refs)
    anchor = sheet.range((chart.row + 1, chart.col + 1))
    width, height = chart.width * POINTS_PER_PIXEL, chart.height * POINTS_PER_PIXEL
    if block is None and not windows_excel(book):
        notes.append(f"the chart {chart.title!r} needs Excel on Windows")
        return
    left = anchor.left + chart.options.get("x_offset", 0) * POINTS_PER_PIXEL
    top = anchor.top + chart.options.get("y_offset", 0) * POINTS_PER_PIXEL
    xl_chart = sheet.charts.add(left=left, top=top, width=width, height=height, chart_type=kind)
    xl_chart.chart_type = kind
    if block is not None:
        ref, plot_by = block
        xl_chart.set_source_data(_ref_range(book, ref), plot_by=cast(Any, plot_by))
        if chart.series and chart.series[0].categories:
            xl_chart.set_x_axis_values(_ref_range(book, parse_ref(chart.series[0].categories)))
        for i, series in enumerate(chart.series):
            xl_chart.series[i].set(
                name=series.name, **series_kind(chart, series), **series_style(series.options)
            )
    else:  # Windows only, checked above
        collection = xl_chart.api[1].SeriesCollection()
        for series in chart.series:
            new = collection.NewSeries()
            new.Name = series.name
            new.Values = series.values
            if series.categories:
                new.XValues = series.categories
        for i, series in enumerate(chart.series):
            xl_chart.series[i].set(**series_kind(chart, series), **series_style(series.options))
    if windows_excel(book):
        _series_lines(xl_chart, chart)
    if chart.title:
        xl_chart.title = chart.title


def series_kind(chart: Chart, series: ChartSeries) -> dict[str, Any]:
    """``chart_type`` for xlwings' ``ChartSeries.set`` when the series is drawn as
    another type than its chart (the target line over columns); else nothing.

    >>> from kpisheets.report_model import Chart, ChartSeries
    >>> columns = Chart("column", "", [], 0, 0)
    >>> series_kind(columns, ChartSeries("Target", "", "", {"marker": {"type": "none"}}, "line"))
    {'chart_type': 'line'}
    >>> series_kind(columns, ChartSeries("Marks", "", "", {"marker": {"type": "diamond"}}, "line"))
    {'chart_type': 'line_markers'}
    >>> series_kind(columns, ChartSeries("Actual", "", "", {}, "column"))
    {}
    """
    kind = series.kind_in(chart)
    if kind == chart.kind:
        return {}
    marker = (series.options.get("marker") or {}).get("type")
    if kind == "line" and marker and marker != "none":
        return {"chart_type": "line_markers"}
    return {"chart_type": _CHART_TYPES.get((kind, None), kind)}


# Office's MsoLineDashStyle values for XlsxWriter's dash types.
_DASH_STYLES = {"solid": 1, "round_dot": 3, "square_dot": 2, "dash": 4, "dash_dot": 5,
                "long_dash": 7, "long_dash_dot": 8, "long_dash_dot_dot": 9}  # fmt: skip


def _series_lines(xl_chart: xw.Chart, chart: Chart) -> None:
    """What xlwings' series API cannot say, through COM on Windows: dashed lines (the
    target), no line between markers (the action diamonds) and line widths. Excel on
    macOS draws those series as solid lines of the default width."""
    collection = xl_chart.api[1].SeriesCollection
    for i, series in enumerate(chart.series, start=1):
        line = series.options.get("line") or {}
        if not line or series.kind_in(chart) != "line":
            continue
        fmt = collection(i).Format.Line
        if line.get("none"):
            fmt.Visible = False
            continue
        if line.get("dash_type") in _DASH_STYLES:
            fmt.DashStyle = _DASH_STYLES[line["dash_type"]]
        if line.get("width"):
            fmt.Weight = float(line["width"])


def series_style(options: dict[str, Any]) -> dict[str, Any]:
    """The XlsxWriter series options xlwings' ``ChartSeries.set`` can express.

    >>> series_style({"line": {"color": "#1F3864"}, "marker": {"type": "circle"}})
    {'line_color': '#1F3864', 'marker_style': 'circle'}
    """
    out: dict[str, Any] = {}
    line = options.get("line") or {}
    if line.get("none"):
        pass
    elif line.get("color"):
        out["line_color"] = line["color"]
    fill = options.get("fill") or {}
    if fill.get("color"):
        out["fill_color"] = fill["color"]
    marker = options.get("marker") or {}
    if marker.get("type") in (
        "automatic",
        "none",
        "square",
        "diamond",
        "triangle",
        "x",
        "star",
        "dot",
        "dash",
        "circle",
        "plus",
    ):
        out["marker_style"] = marker["type"]
        if marker.get("size"):
            out["marker_size"] = int(marker["size"])
        if (marker.get("fill") or {}).get("color"):
            out["marker_background_color"] = marker["fill"]["color"]
        if (marker.get("border") or {}).get("color"):
            out["marker_foreground_color"] = marker["border"]["color"]
    return out


def _ref_range(book: xw.Book, ref: _Ref) -> xw.Range:
    return book.sheets[ref.sheet].range(
        (ref.first_row, ref.first_col), (ref.last_row, ref.last_col)
    )


_SPARKLINE_TYPES = {"line": 1, "column": 2, "win_loss": 3}  # Excel's XlSparkType


def add_sparklines(
    book: xw.Book, sheet: xw.Sheet, sparklines: Iterable[Sparkline], notes: list[str]
) -> None:
    """Sparklines have no xlwings API: COM on Windows, a note elsewhere."""
    if not windows_excel(book):
        notes.append("sparklines need Excel on Windows (the History sheet has the figures)")
        return
    for spark in sparklines:
        kind = _SPARKLINE_TYPES.get(str(spark.options.get("type", "line")), 1)
        group = sheet.api.Range(spark.location).SparklineGroups.Add(
            Type=kind, SourceData=spark.range.lstrip("=")
        )
        color = spark.options.get("series_color")
        if color:
            group.SeriesColor.Color = _rgb_int(color)
        if spark.options.get("markers"):
            group.Points.Markers.Visible = True


# ---------------------------------------------------------------------------


def _range(sheet: xw.Sheet, rect: Rect) -> xw.Range:
    r1, c1, r2, c2 = rect
    return sheet.range((r1 + 1, c1 + 1), (r2 + 1, c2 + 1))


def _unique(notes: list[str]) -> list[str]:
    seen: list[str] = []
    for n in notes:
        if n not in seen:
            seen.append(n)
    return seen
