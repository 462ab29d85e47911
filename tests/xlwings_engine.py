"""An in-memory xlwings engine for testing kpisheets' Excel adapter without Excel.

xlwings' public objects (``xw.Book``, ``xw.Sheet``, ``xw.Range``, converters,
``.options(...)``) are thin wrappers over an *engine*'s implementation objects. The
free xlwings registers an engine only on Windows and macOS (Excel itself); the engines
that run without Excel are xlwings PRO. This module registers a small engine through
``xlwings.engines.add`` whose objects hold a workbook in memory, so the REAL xlwings
wrapper and conversion code runs in the tests.

It behaves like Excel where that matters to kpisheets:

* reads return what Excel's COM interface returns: numbers as floats, dates as
  datetimes, empty cells as None, error cells as the COM error integers (Windows
  flavour) or, with ``err_to_str``, as ``"#N/A"`` strings (macOS flavour: None without);
* writing a string parses it like typing into a cell: ``=...`` becomes a formula,
  ``"12"`` a number, and only a leading apostrophe keeps it text (the quote prefix);
* ``Sheet.clear()`` clears values, formats, merges and conditional formats but not
  charts or column widths; deleting and adding sheets works as in Excel;
* dates follow the book's date system (``MemBook.date1904``): a date handed over
  (a ``datetime``) is stored as that day whatever the system, while a *number* in a
  date-formatted cell reads back (as COM's ``Range.Value`` returns it) as the day that
  serial number means in the book's system — 1,462 days later in a 1904 book.
  :meth:`MemBook.serial` gives the number Excel stores for a cell.

Every value read and write is counted in :attr:`MemBook.calls`, so tests can assert
that kpisheets reads and writes in bulk.

Only what kpisheets and the xlwings wrappers it uses call is implemented; anything
else raises ``NotImplementedError`` from ``xlwings.base_classes``.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlwings as xw
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from xlwings import base_classes, utils

ENGINE_NAME = "kpisheets-test"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

# The integers Excel's COM interface returns for error cells (xlwings._xlwindows).
COM_ERRORS = {
    "#DIV/0!": -2146826281,
    "#N/A": -2146826246,
    "#NAME?": -2146826259,
    "#NULL!": -2146826288,
    "#NUM!": -2146826252,
    "#REF!": -2146826265,
    "#VALUE!": -2146826273,
}
COM_ERROR_CODES = {v: k for k, v in COM_ERRORS.items()}


@dataclass(frozen=True)
class XlError:
    """An error cell such as ``#N/A`` stored in the in-memory sheet."""

    code: str


@dataclass
class MemChart:
    name: str
    left: float
    top: float
    width: float
    height: float
    chart_type: str | None = None
    title: str | None = None
    source: str | None = None  # "Sheet!$A$1:$C$4"
    plot_by: str | None = None
    categories: str | None = None
    series: list[dict[str, Any]] = field(default_factory=list)
    style: int | None = None


@dataclass
class MemTable:
    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    totals: bool = False


@dataclass
class MemSheet:
    """One worksheet: cells keyed by 1-based (row, column)."""

    name: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    quote_prefix: set[tuple[int, int]] = field(default_factory=set)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    fills: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    fonts: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    alignment: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    borders: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    column_widths: dict[int, float] = field(default_factory=dict)
    row_heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    charts: list[MemChart] = field(default_factory=list)
    tables: list[MemTable] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # sheet-scoped: name → refers_to
    # (row, column) → (address, text to display, screen tip), as Range.add_hyperlink
    hyperlinks: dict[tuple[int, int], tuple[str, str, str]] = field(default_factory=dict)
    freeze: str | None = None
    print_area: str | None = None
    show_gridlines: bool = True
    visible: bool = True

    def snapshot(self) -> dict[str, Any]:
        """Everything about the sheet, for before/after comparisons."""
        state = copy.deepcopy(self.__dict__)
        state["quote_prefix"] = sorted(state["quote_prefix"])
        return state

    def value(self, a1: str) -> Any:
        """The stored value of one cell (``"B3"``), for tests."""
        (row, col), _ = utils.a1_to_tuples(a1)
        return self.values.get((row, col))

    def used_bounds(self) -> tuple[int, int, int, int] | None:
        keys = set(self.values) | set(self.formulas)
        if not keys:
            return None
        rows = [k[0] for k in keys]
        cols = [k[1] for k in keys]
        return min(rows), min(cols), max(rows), max(cols)


@dataclass
class AppleScriptProperty:
    """An appscript property reference: its value comes with ``.get()``."""

    value: Any

    def get(self) -> Any:
        return self.value


class MemBook:
    """The in-memory workbook behind a :class:`Book` implementation object."""

    def __init__(self, fullname: str, sheet_names: list[str] | None = None) -> None:
        self.fullname = fullname
        self.sheets: list[MemSheet] = [
            MemSheet(n) for n in (sheet_names if sheet_names is not None else ["Sheet1"])
        ]
        self.calls: Counter[str] = Counter()
        self.pdf_exports: list[dict[str, Any]] = []
        self.active_sheet = 0
        self.date1904 = False

    @property
    def epoch(self) -> dt.datetime:
        """Day 0 of the book's date system (1900's day 1 is 1900-01-01; Excel counts
        the fictitious 1900-02-29, so later serials are days since 1899-12-30)."""
        return dt.datetime(1904, 1, 1) if self.date1904 else dt.datetime(1899, 12, 30)

    @property
    def Date1904(self) -> bool:  # noqa: N802 - COM's name
        """COM's ``Workbook.Date1904`` (the Windows flavour's ``book.api``)."""
        if getattr(self, "flavour", "windows") != "windows":
            raise AttributeError("Date1904")
        return self.date1904

    @property
    def date_1904(self) -> AppleScriptProperty:
        """AppleScript's ``date 1904`` workbook property (the macOS flavour's
        ``book.api``, read with ``.get()``)."""
        if getattr(self, "flavour", "windows") != "mac":
            raise AttributeError("date_1904")
        return AppleScriptProperty(self.date1904)

    def serial(self, sheet: str, a1: str) -> float | None:
        """The number Excel stores for a cell: a date as days since the epoch of the
        book's date system, a number as itself."""
        value = self.sheet(sheet).value(a1)
        if isinstance(value, dt.datetime):
            return (value - self.epoch) / dt.timedelta(days=1)
        return float(value) if isinstance(value, int | float) else None

    def read_as_com(self, sheet: MemSheet, key: tuple[int, int], value: Any) -> Any:
        """A stored value as COM's ``Range.Value`` returns it: a number in a
        date-formatted cell comes back as the date it means in this book."""
        if isinstance(value, float) and not isinstance(value, bool):
            fmt = sheet.number_formats.get(key)
            if fmt and is_date_format(fmt):
                return self.epoch + dt.timedelta(days=value)
        return value

    def sheet(self, name: str) -> MemSheet:
        for s in self.sheets:
            if s.name.lower() == name.lower():
                return s
        raise KeyError(name)


# ---------------------------------------------------------------------------
# Value conversion, as Excel does it


_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def _store_value(sheet: MemSheet, key: tuple[int, int], value: Any) -> None:
    """Store a value the way Excel stores what COM hands it (like typing)."""
    sheet.formulas.pop(key, None)
    sheet.quote_prefix.discard(key)
    if value is None or value == "":
        sheet.values.pop(key, None)
        return
    if isinstance(value, str):
        if value.startswith("'"):
            sheet.values[key] = value[1:]
            sheet.quote_prefix.add(key)
            return
        if value.startswith("=") and len(value) > 1:
            sheet.formulas[key] = value
            sheet.values.pop(key, None)  # no calculation engine here
            return
        if _NUMBER.match(value):
            sheet.values[key] = float(value)
            return
        if value.upper() in ("TRUE", "FALSE"):
            sheet.values[key] = value.upper() == "TRUE"
            return
        if value in COM_ERRORS:
            sheet.values[key] = XlError(value)
            return
        sheet.values[key] = value
        return
    if isinstance(value, bool):
        sheet.values[key] = value
    elif isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            sheet.values.pop(key, None)
        else:
            sheet.values[key] = float(value)
    elif isinstance(value, dt.datetime):
        sheet.values[key] = value.replace(tzinfo=None)
    elif isinstance(value, dt.date):
        sheet.values[key] = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, XlError):
        sheet.values[key] = value
    else:
        raise TypeError(f"Excel cannot hold a {type(value).__name__}: {value!r}")


def _color(value: Any) -> tuple[int, int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(utils.hex_to_rgb(value.lstrip("#")))  # type: ignore[return-value]
    if isinstance(value, int):
        return tuple(utils.int_to_rgb(value))  # type: ignore[return-value]
    return tuple(int(v) for v in value)  # type: ignore[return-value]


def _clean_element(
    value: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
) -> Any:
    if value is None:
        return empty_as
    if isinstance(value, int) and not isinstance(value, bool) and value in COM_ERROR_CODES:
        return COM_ERROR_CODES[value] if err_to_str else None
    if isinstance(value, dt.datetime) and datetime_builder is not dt.datetime:
        return datetime_builder(
            year=value.year,
            month=value.month,
            day=value.day,
            hour=value.hour,
            minute=value.minute,
            second=value.second,
            microsecond=value.microsecond,
            tzinfo=None,
        )
    if number_builder is not None and isinstance(value, float):
        return number_builder(value)
    return value


class Engine:
    """The engine implementation object (``xw.engines[...].impl``)."""

    def __init__(self) -> None:
        self.apps = Apps()

    name = ENGINE_NAME
    type = "desktop"

    @staticmethod
    def clean_value_data(
        data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
    ) -> Any:
        return [
            [_clean_element(c, datetime_builder, empty_as, number_builder, err_to_str) for c in row]
            for row in data
        ]

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        # As xlwings' macOS engine: None/NaN become empty, numpy/pandas scalars plain.
        try:
            import pandas as pd

            if x is not None and not isinstance(x, str | list | tuple) and pd.isna(x):
                return ""
            if isinstance(x, pd.Timestamp):
                return x.to_pydatetime().replace(tzinfo=None)
        except (TypeError, ValueError):
            pass
        if x is None:
            return ""
        if hasattr(x, "item") and not isinstance(x, str | bytes):
            return x.item()
        return x


class Apps(base_classes.Apps):
    def __init__(self) -> None:
        self._apps: list[App] = []

    def keys(self) -> list[int]:
        return [a.pid for a in self._apps]

    def add(
        self, spec: Any = None, add_book: Any = True, xl: Any = None, visible: Any = None
    ) -> App:
        app = App(self)
        self._apps.insert(0, app)
        if add_book:
            app.books.add()
        return app

    def cleanup(self) -> None:
        pass

    def __iter__(self) -> Any:
        return iter(list(self._apps))

    def __len__(self) -> int:
        return len(self._apps)

    def __getitem__(self, pid: int) -> App:
        for a in self._apps:
            if a.pid == pid:
                return a
        raise KeyError(pid)


class App(base_classes.App):
    _next_pid = 90000

    def __init__(self, apps: Apps) -> None:
        self.apps = apps
        self._pid = App._next_pid
        App._next_pid += 1
        self._books = Books(self)
        self.status_bar_value: str | bool = False
        self.status_bar_history: list[Any] = []
        self.alerts: list[dict[str, Any]] = []
        self._screen_updating = True
        self._display_alerts = True
        self._calculation = "automatic"

    @property
    def engine(self) -> Engine:
        return engine

    @property
    def api(self) -> Any:
        return self

    @property
    def books(self) -> Books:
        return self._books

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def hwnd(self) -> int:
        return self._pid

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def visible(self) -> bool:
        return True

    @visible.setter
    def visible(self, value: bool) -> None:
        pass

    def activate(self, steal_focus: bool = False) -> None:
        pass

    def quit(self) -> None:
        self.apps._apps.remove(self)

    def kill(self) -> None:
        self.quit()

    @property
    def status_bar(self) -> str | bool:
        return self.status_bar_value

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self.status_bar_value = value
        self.status_bar_history.append(value)

    @property
    def screen_updating(self) -> bool:
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._screen_updating = value

    @property
    def display_alerts(self) -> bool:
        return self._display_alerts

    @display_alerts.setter
    def display_alerts(self, value: bool) -> None:
        self._display_alerts = value

    @property
    def calculation(self) -> str:
        return self._calculation

    @calculation.setter
    def calculation(self, value: str) -> None:
        self._calculation = value

    def calculate(self) -> None:
        pass

    def alert(
        self, prompt: str, title: str | None, buttons: str, mode: str | None, callback: Any
    ) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class Books(base_classes.Books):
    def __init__(self, app: App) -> None:
        self.app = app
        self.books: list[Book] = []
        self._active: Book | None = None

    @property
    def api(self) -> Any:
        return self.books

    @property
    def active(self) -> Book | None:
        return self._active

    def add(self) -> Book:
        book = Book(self, MemBook(f"Book{len(self.books) + 1}"))
        self.books.append(book)
        self._active = book
        return book

    def open(self, fullname: str, *args: Any, **kwargs: Any) -> Book:
        book = Book(self, load_membook(Path(fullname)))
        self.books.append(book)
        self._active = book
        return book

    def attach(self, mem: MemBook) -> Book:
        book = Book(self, mem)
        self.books.append(book)
        self._active = book
        return book

    def __call__(self, name_or_index: int | str) -> Book:
        if isinstance(name_or_index, int):
            return self.books[name_or_index - 1]
        for b in self.books:
            if name_or_index.lower() in (b.name.lower(), b.fullname.lower()):
                return b
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self.books)

    def __iter__(self) -> Any:
        return iter(list(self.books))


class Book(base_classes.Book):
    def __init__(self, books: Books, mem: MemBook) -> None:
        self.books = books
        self.mem = mem

    @property
    def api(self) -> MemBook:
        return self.mem

    @property
    def name(self) -> str:
        return Path(self.mem.fullname).name

    @property
    def fullname(self) -> str:
        return self.mem.fullname

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @property
    def app(self) -> App:
        return self.books.app

    @property
    def names(self) -> Names:
        return Names()

    def close(self) -> None:
        self.books.books.remove(self)

    def save(self, path: Any = None, password: Any = None) -> None:
        self.mem.calls["save"] += 1

    def activate(self) -> None:
        self.books._active = self

    def to_pdf(self, path: str, quality: str | None = None) -> None:
        visible = [s.name for s in self.mem.sheets if s.visible]
        self.mem.pdf_exports.append({"path": path, "sheets": visible, "quality": quality})


class Name(base_classes.Name):
    def __init__(self, store: dict[str, str], name: str, sheet: str | None) -> None:
        self.store = store
        self._name = name
        self.sheet = sheet

    @property
    def api(self) -> Name:
        return self

    @property
    def name(self) -> str:
        return f"{quote(self.sheet)}!{self._name}" if self.sheet else self._name

    @property
    def refers_to(self) -> str:
        return self.store[self._name]

    def delete(self) -> None:
        del self.store[self._name]


class Names(base_classes.Names):
    """Defined names of a sheet (``sheet`` set) or of the book (empty in this engine)."""

    def __init__(self, store: dict[str, str] | None = None, sheet: str | None = None) -> None:
        self.store = store if store is not None else {}
        self.sheet = sheet

    @property
    def api(self) -> dict[str, str]:
        return self.store

    def snapshot(self) -> list[tuple[str, Name]]:
        return [(n, Name(self.store, n, self.sheet)) for n in self.store]

    def __call__(self, name_or_index: Any) -> Name:
        key = name_or_index.split("!")[-1]
        for n in self.store:
            if n.lower() == key.lower():
                return Name(self.store, n, self.sheet)
        raise KeyError(name_or_index)

    def contains(self, name_or_index: Any) -> bool:
        key = str(name_or_index).split("!")[-1].lower()
        return any(n.lower() == key for n in self.store)

    def __len__(self) -> int:
        return len(self.store)

    def add(self, name: str, refers_to: str) -> Name:
        self.store[name] = refers_to
        return Name(self.store, name, self.sheet)


class Sheets(base_classes.Sheets):
    def __init__(self, book: Book) -> None:
        self.book = book

    @property
    def api(self) -> Any:
        return self.book.mem.sheets

    @property
    def active(self) -> Sheet:
        return Sheet(self.book, self.book.mem.sheets[self.book.mem.active_sheet])

    def __call__(self, name_or_index: int | str) -> Sheet:
        mem = self.book.mem
        if isinstance(name_or_index, int):
            return Sheet(self.book, mem.sheets[name_or_index - 1])
        try:
            return Sheet(self.book, mem.sheet(name_or_index))
        except KeyError:
            raise xw.NoSuchObjectError(f"Sheet {name_or_index} doesn't exist.") from None

    def __len__(self) -> int:
        return len(self.book.mem.sheets)

    def __iter__(self) -> Any:
        for s in list(self.book.mem.sheets):
            yield Sheet(self.book, s)

    def add(
        self, before: Sheet | None = None, after: Sheet | None = None, name: str | None = None
    ) -> Sheet:
        mem = self.book.mem
        if name is None:
            n = len(mem.sheets) + 1
            while any(s.name.lower() == f"sheet{n}" for s in mem.sheets):
                n += 1
            name = f"Sheet{n}"
        new = MemSheet(name)
        if before is not None:
            index = mem.sheets.index(before.mem)
        elif after is not None:
            index = mem.sheets.index(after.mem) + 1
        else:
            index = mem.active_sheet  # Excel inserts before the active sheet
        mem.sheets.insert(index, new)
        mem.active_sheet = index
        mem.calls["sheets.add"] += 1
        return Sheet(self.book, new)


class Sheet(base_classes.Sheet):
    def __init__(self, book: Book, mem: MemSheet) -> None:
        self._book = book
        self.mem = mem

    @property
    def api(self) -> MemSheet:
        return self.mem

    @property
    def name(self) -> str:
        return self.mem.name

    @name.setter
    def name(self, value: str) -> None:
        self.mem.name = value

    @property
    def index(self) -> int:
        return self._book.mem.sheets.index(self.mem) + 1

    @property
    def book(self) -> Book:
        return self._book

    def range(self, arg1: Any, arg2: Any = None) -> Range:
        return Range(self, arg1, arg2)

    @property
    def cells(self) -> Range:
        return Range(self, (1, 1), (MAX_ROWS, MAX_COLUMNS))

    @property
    def used_range(self) -> Range:
        bounds = self.mem.used_bounds()
        if bounds is None:
            return Range(self, (1, 1))
        r1, c1, r2, c2 = bounds
        return Range(self, (r1, c1), (r2, c2))

    def activate(self) -> None:
        self._book.mem.active_sheet = self.index - 1

    def select(self) -> None:
        self.activate()

    def clear_contents(self) -> None:
        self.cells.clear_contents()

    def clear_formats(self) -> None:
        self.cells.clear_formats()

    def clear(self) -> None:
        self.cells.clear()

    def delete(self) -> None:
        mem = self._book.mem
        if len(mem.sheets) == 1:
            raise RuntimeError("A workbook must contain at least one visible worksheet.")
        mem.sheets.remove(self.mem)
        mem.active_sheet = min(mem.active_sheet, len(mem.sheets) - 1)
        mem.calls["sheet.delete"] += 1

    @property
    def charts(self) -> Charts:
        return Charts(self)

    @property
    def names(self) -> Names:
        return Names(self.mem.names, self.mem.name)

    @property
    def tables(self) -> Tables:
        return Tables(self)

    @property
    def visible(self) -> bool:
        return self.mem.visible

    @visible.setter
    def visible(self, value: bool) -> None:
        self.mem.visible = value

    @property
    def show_gridlines(self) -> bool:
        return self.mem.show_gridlines

    @show_gridlines.setter
    def show_gridlines(self, value: bool) -> None:
        self.mem.show_gridlines = value

    @property
    def page_setup(self) -> PageSetup:
        return PageSetup(self)

    @property
    def freeze_panes(self) -> FreezePanes:
        return FreezePanes(self)


class PageSetup(base_classes.PageSetup):
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> Any:
        return None

    @property
    def print_area(self) -> str | None:
        return self.sheet.mem.print_area

    @print_area.setter
    def print_area(self, value: str | None) -> None:
        self.sheet.mem.print_area = value


class FreezePanes:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    def freeze_at(self, frozen_range: str) -> None:
        self.sheet.mem.freeze = frozen_range

    def unfreeze(self) -> None:
        self.sheet.mem.freeze = None


def _bounds(arg1: Any, arg2: Any) -> tuple[int, int, int, int]:
    if isinstance(arg1, Range):
        a, b = arg1, arg2 if isinstance(arg2, Range) else arg1
        return (min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2), max(a.c2, b.c2))
    if isinstance(arg1, str):
        t1, t2 = utils.a1_to_tuples(arg1.replace("$", "").split("!")[-1])
        if not t1:
            raise xw.NoSuchObjectError(f"The address/named range '{arg1}' doesn't exist.")
        t2 = t2 or t1
        return t1[0], t1[1], t2[0], t2[1]
    if len(arg1) == 4:
        row, col, nrows, ncols = arg1
        return row, col, row + max(nrows, 1) - 1, col + max(ncols, 1) - 1
    t2 = arg2 if arg2 is not None else arg1
    return (min(arg1[0], t2[0]), min(arg1[1], t2[1]), max(arg1[0], t2[0]), max(arg1[1], t2[1]))


class Range(base_classes.Range):
    """A rectangle on a :class:`MemSheet`, 1-based inclusive bounds."""

    def __init__(self, sheet: Sheet, arg1: Any, arg2: Any = None) -> None:
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = _bounds(arg1, arg2)
        self.options: dict[str, Any] = {}
        self.arg1_input = arg1 if isinstance(arg1, str) else ""

    @property
    def mem(self) -> MemSheet:
        return self.sheet.mem

    @property
    def calls(self) -> Counter[str]:
        return self.sheet.book.mem.calls

    def cells(self) -> Any:
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                yield (r, c)

    def _keys_in(self, store: Any) -> list[tuple[int, int]]:
        """The stored keys inside this range (fast for whole-sheet ranges)."""
        return [k for k in list(store) if self.r1 <= k[0] <= self.r2 and self.c1 <= k[1] <= self.c2]

    @property
    def api(self) -> Range:
        return self

    def __len__(self) -> int:
        return (self.r2 - self.r1 + 1) * (self.c2 - self.c1 + 1)

    @property
    def coords(self) -> tuple[str, int, int, int, int]:
        nrows, ncols = self.shape
        return self.sheet.name, self.r1, self.c1, nrows, ncols

    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    def get_address(
        self, row_absolute: bool = True, col_absolute: bool = True, external: bool = False
    ) -> str:
        def cell(r: int, c: int) -> str:
            return (
                ("$" if col_absolute else "")
                + utils.col_name(c)
                + ("$" if row_absolute else "")
                + str(r)
            )

        address = cell(self.r1, self.c1)
        if (self.r1, self.c1) != (self.r2, self.c2):
            address += ":" + cell(self.r2, self.c2)
        if external:
            return f"[{self.sheet.book.name}]{self.sheet.name}!{address}"
        return address

    @property
    def address(self) -> str:
        return self.get_address()

    def __call__(self, arg1: int, arg2: int | None = None) -> Range:
        if arg2 is None:
            ncols = self.shape[1]
            col = (arg1 - 1) % ncols
            row = (arg1 - 1 - col) // ncols
            return self(row + 1, col + 1)
        return Range(self.sheet, (self.r1 + arg1 - 1, self.c1 + arg2 - 1))

    # -- values ---------------------------------------------------------------

    @property
    def raw_value(self) -> list[list[Any]]:
        self.calls["read"] += 1
        self.calls["cells_read"] += len(self)
        err_to_str = bool(self.options.get("err_to_str", False))
        book = self.sheet.book.mem
        flavour = getattr(book, "flavour", "windows")
        out = []
        values, formulas = self.mem.values, self.mem.formulas
        for r in range(self.r1, self.r2 + 1):
            row = []
            for c in range(self.c1, self.c2 + 1):
                v = book.read_as_com(self.mem, (r, c), values.get((r, c)))
                if v is None and (r, c) in formulas:
                    v = 0.0  # an uncalculated formula reads as 0 in this engine
                if isinstance(v, XlError):
                    if flavour == "windows":
                        v = COM_ERRORS.get(v.code, COM_ERRORS["#VALUE!"])
                    else:  # macOS: the engine substitutes strings only with err_to_str
                        v = v.code if err_to_str else None
                row.append(v)
            out.append(row)
        return out

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        self.calls["write"] += 1
        self.calls["cells_written"] += len(self)
        if not isinstance(data, list | tuple):
            for key in self.cells():
                _store_value(self.mem, key, data)
            return
        rows = [list(r) if isinstance(r, list | tuple) else [r] for r in data]
        nrows, ncols = self.shape
        if len(rows) != nrows or any(len(r) != ncols for r in rows):
            raise ValueError(f"shape {len(rows)}x{len(rows[0])} does not fit {self.address}")
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                _store_value(self.mem, (self.r1 + i, self.c1 + j), v)

    @property
    def formula(self) -> Any:
        f = [
            [
                self.mem.formulas.get((r, c), self.mem.values.get((r, c), ""))
                for c in range(self.c1, self.c2 + 1)
            ]
            for r in range(self.r1, self.r2 + 1)
        ]
        return f[0][0] if len(self) == 1 else f

    @formula.setter
    def formula(self, value: Any) -> None:
        self.calls["formula"] += 1
        self.raw_value = value

    @property
    def has_array(self) -> bool:
        return False

    def clear_contents(self) -> None:
        self.calls["clear_contents"] += 1
        for store in (self.mem.values, self.mem.formulas):
            for k in self._keys_in(store):
                del store[k]
        self.mem.quote_prefix -= set(self._keys_in(self.mem.quote_prefix))

    def clear_formats(self) -> None:
        self.calls["clear_formats"] += 1
        for store in (
            self.mem.number_formats,
            self.mem.fills,
            self.mem.fonts,
            self.mem.alignment,
            self.mem.borders,
        ):
            for k in self._keys_in(store):
                del store[k]
        self.mem.merges = [m for m in self.mem.merges if not self._contains(m)]
        self.conditional_formats.clear()

    def clear(self) -> None:
        # Excel's Range.Clear ("Clear All") also removes the cells' hyperlinks.
        self.clear_contents()
        self.clear_formats()
        for k in self._keys_in(self.mem.hyperlinks):
            del self.mem.hyperlinks[k]

    def add_hyperlink(self, address: str, text_to_display: str, screen_tip: str) -> None:
        self.calls["add_hyperlink"] += 1
        self.mem.hyperlinks[(self.r1, self.c1)] = (address, text_to_display, screen_tip)
        _store_value(self.mem, (self.r1, self.c1), text_to_display)

    def _contains(self, box: tuple[int, int, int, int]) -> bool:
        r1, c1, r2, c2 = box
        return self.r1 <= r1 and r2 <= self.r2 and self.c1 <= c1 and c2 <= self.c2

    def _overlaps(self, box: tuple[int, int, int, int]) -> bool:
        r1, c1, r2, c2 = box
        return not (r2 < self.r1 or r1 > self.r2 or c2 < self.c1 or c1 > self.c2)

    # -- formats --------------------------------------------------------------

    def _first(self, store: dict[tuple[int, int], Any], default: Any = None) -> Any:
        return store.get((self.r1, self.c1), default)

    def _set_all(self, store: dict[tuple[int, int], Any], value: Any) -> None:
        for key in self.cells():
            if value is None:
                store.pop(key, None)
            else:
                store[key] = value

    @property
    def number_format(self) -> str:
        return self._first(self.mem.number_formats, "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.calls["number_format"] += 1
        self._set_all(self.mem.number_formats, None if value == "General" else value)

    @property
    def color(self) -> tuple[int, int, int] | None:
        return self._first(self.mem.fills)

    @color.setter
    def color(self, color_or_rgb: Any) -> None:
        self.calls["color"] += 1
        self._set_all(self.mem.fills, _color(color_or_rgb))

    @property
    def font(self) -> Font:
        return Font(self)

    def _align(self, key: str) -> Any:
        return self._first(self.mem.alignment, {}).get(key)

    def _set_align(self, key: str, value: Any) -> None:
        self.calls["alignment"] += 1
        for k in self.cells():
            self.mem.alignment.setdefault(k, {})[key] = value

    @property
    def horizontal_alignment(self) -> str | None:
        return self._align("horizontal")

    @horizontal_alignment.setter
    def horizontal_alignment(self, value: str) -> None:
        self._set_align("horizontal", value)

    @property
    def vertical_alignment(self) -> str | None:
        return self._align("vertical")

    @vertical_alignment.setter
    def vertical_alignment(self, value: str) -> None:
        self._set_align("vertical", value)

    @property
    def wrap_text(self) -> bool:
        return bool(self._align("wrap"))

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self._set_align("wrap", value)

    def adjust_indent(self, amount: int) -> None:
        for k in self.cells():
            cell = self.mem.alignment.setdefault(k, {})
            cell["indent"] = max(0, cell.get("indent", 0) + amount)

    @property
    def borders(self) -> Borders:
        return Borders(self)

    @property
    def column_width(self) -> float:
        return self.mem.column_widths.get(self.c1, 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        self.calls["column_width"] += 1
        for c in range(self.c1, self.c2 + 1):
            self.mem.column_widths[c] = value

    @property
    def left(self) -> float:
        return sum(self.mem.column_widths.get(c, 8.43) * 5.25 for c in range(1, self.c1))

    @property
    def top(self) -> float:
        return sum(self.mem.row_heights.get(r, 15.0) for r in range(1, self.r1))

    @property
    def row_height(self) -> float:
        return self.mem.row_heights.get(self.r1, 15.0)

    @row_height.setter
    def row_height(self, value: float) -> None:
        self.calls["row_height"] += 1
        for r in range(self.r1, self.r2 + 1):
            self.mem.row_heights[r] = value

    def merge(self, across: bool = False) -> None:
        self.calls["merge"] += 1
        box = (self.r1, self.c1, self.r2, self.c2)
        self.mem.merges = [m for m in self.mem.merges if not self._overlaps(m)]
        if across:
            for r in range(self.r1, self.r2 + 1):
                self.mem.merges.append((r, self.c1, r, self.c2))
        else:
            self.mem.merges.append(box)

    def unmerge(self) -> None:
        self.mem.merges = [m for m in self.mem.merges if not self._overlaps(m)]

    @property
    def merge_cells(self) -> bool:
        return any(self._overlaps(m) for m in self.mem.merges)

    @property
    def merge_area(self) -> Range:
        for m in self.mem.merges:
            if m[0] <= self.r1 <= m[2] and m[1] <= self.c1 <= m[3]:
                return Range(self.sheet, (m[0], m[1]), (m[2], m[3]))
        return self

    @property
    def conditional_formats(self) -> ConditionalFormats:
        return ConditionalFormats(self)

    def end(self, direction: str) -> Range:
        raise NotImplementedError("Range.end is not used by kpisheets")


class Font(base_classes.Font):
    def __init__(self, rng: Range) -> None:
        self.rng = rng

    @property
    def api(self) -> Any:
        return None

    def _get(self, key: str, default: Any = None) -> Any:
        return self.rng._first(self.rng.mem.fonts, {}).get(key, default)

    def _set(self, key: str, value: Any) -> None:
        self.rng.calls["font"] += 1
        for k in self.rng.cells():
            self.rng.mem.fonts.setdefault(k, {})[key] = value

    @property
    def bold(self) -> bool:
        return bool(self._get("bold", False))

    @bold.setter
    def bold(self, value: bool) -> None:
        self._set("bold", value)

    @property
    def italic(self) -> bool:
        return bool(self._get("italic", False))

    @italic.setter
    def italic(self, value: bool) -> None:
        self._set("italic", value)

    @property
    def size(self) -> float:
        return float(self._get("size", 11))

    @size.setter
    def size(self, value: float) -> None:
        self._set("size", value)

    @property
    def color(self) -> tuple[int, int, int]:
        return self._get("color", (0, 0, 0))

    @color.setter
    def color(self, value: Any) -> None:
        self._set("color", _color(value))

    @property
    def name(self) -> str:
        return self._get("name", "Calibri")

    @name.setter
    def name(self, value: str) -> None:
        self._set("name", value)


class Borders(base_classes.Borders):
    def __init__(self, rng: Range) -> None:
        self.rng = rng

    def set(
        self,
        sides: Any,
        line_style: Any = base_classes._UNSET,
        weight: Any = base_classes._UNSET,
        color: Any = base_classes._UNSET,
    ) -> None:
        self.rng.calls["borders"] += 1
        r = self.rng
        for side in sides:
            if side == "edge_bottom":
                cells = [(r.r2, c) for c in range(r.c1, r.c2 + 1)]
            elif side == "edge_top":
                cells = [(r.r1, c) for c in range(r.c1, r.c2 + 1)]
            elif side == "edge_left":
                cells = [(row, r.c1) for row in range(r.r1, r.r2 + 1)]
            elif side == "edge_right":
                cells = [(row, r.c2) for row in range(r.r1, r.r2 + 1)]
            else:
                cells = list(r.cells())
            for key in cells:
                b = r.mem.borders.setdefault(key, {}).setdefault(side, {})
                if line_style is not base_classes._UNSET:
                    b["line_style"] = line_style
                if weight is not base_classes._UNSET:
                    b["weight"] = weight
                if color is not base_classes._UNSET:
                    b["color"] = color


class ConditionalFormat(base_classes.ConditionalFormat):
    def __init__(self, sheet: MemSheet, rule: dict[str, Any]) -> None:
        self.sheet = sheet
        self.rule = rule

    @property
    def api(self) -> dict[str, Any]:
        return self.rule

    def __getattr__(self, name: str) -> Any:
        rule = self.__dict__.get("rule", {})
        if name in rule:
            return rule[name]
        if name in (
            "operator",
            "formula",
            "fill_color",
            "font_color",
            "font_bold",
            "font_italic",
            "colors",
            "bar_color",
            "gradient",
            "show_value",
            "icon_set",
            "reverse_order",
            "threshold_types",
            "thresholds",
        ):
            return None
        raise AttributeError(name)

    @property
    def type(self) -> str:
        return self.rule["type"]

    @property
    def stop_if_true(self) -> bool:
        return bool(self.rule.get("stop_if_true", False))

    def delete(self) -> None:
        self.sheet.conditional_formats.remove(self.rule)


class ConditionalFormats(base_classes.ConditionalFormats):
    def __init__(self, rng: Range) -> None:
        self.rng = rng

    @property
    def api(self) -> Any:
        return None

    def _add(self, kind: str, spec: dict[str, Any]) -> ConditionalFormat:
        self.rng.calls["conditional_format"] += 1
        rule = {"range": self.rng.address.replace("$", ""), "type": kind, **spec}
        self.rng.mem.conditional_formats.insert(0, rule)  # new rules go on top
        return ConditionalFormat(self.rng.mem, rule)

    def add_cell_value(self, spec: dict[str, Any]) -> ConditionalFormat:
        return self._add("cell_value", spec)

    def add_custom(self, spec: dict[str, Any]) -> ConditionalFormat:
        return self._add("custom", spec)

    def add_color_scale(self, spec: dict[str, Any]) -> ConditionalFormat:
        return self._add("color_scale", spec)

    def add_data_bar(self, spec: dict[str, Any]) -> ConditionalFormat:
        return self._add("data_bar", spec)

    def add_icon_set(self, spec: dict[str, Any]) -> ConditionalFormat:
        return self._add("icon_set", spec)

    def _rules(self) -> list[dict[str, Any]]:
        out = []
        for rule in self.rng.mem.conditional_formats:
            t1, t2 = utils.a1_to_tuples(rule["range"].split(" ")[0])
            t2 = t2 or t1
            if self.rng._overlaps((t1[0], t1[1], t2[0], t2[1])):
                out.append(rule)
        return out

    def clear(self) -> None:
        for rule in self._rules():
            self.rng.mem.conditional_formats.remove(rule)

    def __call__(self, key: int) -> ConditionalFormat:
        return ConditionalFormat(self.rng.mem, self._rules()[key - 1])

    def __len__(self) -> int:
        return len(self._rules())

    def __iter__(self) -> Any:
        for rule in self._rules():
            yield ConditionalFormat(self.rng.mem, rule)


class Chart(base_classes.Chart):
    def __init__(self, sheet: Sheet, mem: MemChart) -> None:
        self.sheet = sheet
        self.mem = mem

    @property
    def api(self) -> MemChart:
        return self.mem

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def name(self) -> str:
        return self.mem.name

    @name.setter
    def name(self, value: str) -> None:
        self.mem.name = value

    @property
    def chart_type(self) -> str | None:
        return self.mem.chart_type

    @chart_type.setter
    def chart_type(self, value: str) -> None:
        self.mem.chart_type = value

    @property
    def title(self) -> str | None:
        return self.mem.title

    @title.setter
    def title(self, value: str | None) -> None:
        self.mem.title = value

    def set_source_data(self, source: Range, plot_by: str | None = None) -> None:
        self.mem.source = f"{quote(source.sheet.name)}!{source.address}"
        self.mem.plot_by = plot_by
        by_rows = plot_by == "rows"
        lines = range(source.r1, source.r2 + 1) if by_rows else range(source.c1, source.c2 + 1)
        self.mem.series = []
        for line in lines:
            if by_rows:
                rng = Range(source.sheet, (line, source.c1), (line, source.c2))
            else:
                rng = Range(source.sheet, (source.r1, line), (source.r2, line))
            self.mem.series.append(
                {"name": None, "values": f"{quote(source.sheet.name)}!{rng.address}"}
            )

    def set_x_axis_values(self, source: Range) -> None:
        self.mem.categories = f"{quote(source.sheet.name)}!{source.address}"

    @property
    def series(self) -> ChartSeriesCollection:
        return ChartSeriesCollection(self)

    @property
    def left(self) -> float:
        return self.mem.left

    @left.setter
    def left(self, value: float) -> None:
        self.mem.left = value

    @property
    def top(self) -> float:
        return self.mem.top

    @top.setter
    def top(self, value: float) -> None:
        self.mem.top = value

    @property
    def width(self) -> float:
        return self.mem.width

    @width.setter
    def width(self, value: float) -> None:
        self.mem.width = value

    @property
    def height(self) -> float:
        return self.mem.height

    @height.setter
    def height(self, value: float) -> None:
        self.mem.height = value

    def delete(self) -> None:
        self.sheet.mem.charts.remove(self.mem)


class ChartSeries(base_classes.ChartSeries):
    def __init__(self, chart: Chart, index: int) -> None:
        self.chart = chart
        self.index = index

    @property
    def api(self) -> dict[str, Any]:
        return self.chart.mem.series[self.index]

    @property
    def name(self) -> str | None:
        return self.api["name"]

    @name.setter
    def name(self, value: str) -> None:
        self.api["name"] = value

    def set(self, **attributes: Any) -> None:
        for key, value in attributes.items():
            if value is not base_classes._UNSET:
                self.api[key] = value


class ChartSeriesCollection:
    def __init__(self, chart: Chart) -> None:
        self.chart = chart

    @property
    def api(self) -> Any:
        return self.chart.mem.series

    def __call__(self, key: int) -> ChartSeries:
        return ChartSeries(self.chart, key - 1)

    def __len__(self) -> int:
        return len(self.chart.mem.series)

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield ChartSeries(self.chart, i)


class Charts:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> list[MemChart]:
        return self.sheet.mem.charts

    @property
    def parent(self) -> Sheet:
        return self.sheet

    def add(
        self,
        left: float,
        top: float,
        width: float,
        height: float,
        chart_type: str | None = None,
        source: Range | None = None,
        plot_by: str | None = None,
        name: str | None = None,
        anchor: Any = None,
        style: int | None = None,
    ) -> Chart:
        self.sheet.book.mem.calls["chart"] += 1
        if anchor is not None:
            # 64 points per default column, 15 per default row, as a rough Excel grid
            left = (anchor.column - 1) * 48.0
            top = (anchor.row - 1) * 15.0
        mem = MemChart(
            name or f"Chart {len(self.sheet.mem.charts) + 1}",
            left,
            top,
            width,
            height,
            chart_type=chart_type,
            style=style,
        )
        self.sheet.mem.charts.append(mem)
        chart = Chart(self.sheet, mem)
        if source is not None:
            chart.set_source_data(source, plot_by)
        return chart

    def __call__(self, key: int | str) -> Chart:
        if isinstance(key, int):
            return Chart(self.sheet, self.sheet.mem.charts[key - 1])
        for c in self.sheet.mem.charts:
            if c.name == key:
                return Chart(self.sheet, c)
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        return any(c.name == key for c in self.sheet.mem.charts)

    def __len__(self) -> int:
        return len(self.sheet.mem.charts)

    def __iter__(self) -> Any:
        for c in list(self.sheet.mem.charts):
            yield Chart(self.sheet, c)


class Table:
    def __init__(self, sheet: Sheet, mem: MemTable) -> None:
        self.sheet = sheet
        self.mem = mem

    @property
    def api(self) -> MemTable:
        return self.mem

    @property
    def name(self) -> str:
        return self.mem.name

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def range(self) -> Range:
        t = self.mem
        return Range(self.sheet, (t.first_row, t.first_col), (t.last_row, t.last_col))

    @property
    def header_row_range(self) -> Range:
        t = self.mem
        return Range(self.sheet, (t.first_row, t.first_col), (t.first_row, t.last_col))

    @property
    def data_body_range(self) -> Range | None:
        t = self.mem
        if t.last_row <= t.first_row:
            return None
        return Range(self.sheet, (t.first_row + 1, t.first_col), (t.last_row, t.last_col))

    @property
    def show_headers(self) -> bool:
        return True

    @property
    def show_totals(self) -> bool:
        return self.mem.totals


class Tables:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> list[MemTable]:
        return self.sheet.mem.tables

    @property
    def parent(self) -> Sheet:
        return self.sheet

    def __call__(self, key: int | str) -> Table:
        if isinstance(key, int):
            return Table(self.sheet, self.sheet.mem.tables[key - 1])
        for t in self.sheet.mem.tables:
            if t.name.lower() == key.lower():
                return Table(self.sheet, t)
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        return any(t.name.lower() == key.lower() for t in self.sheet.mem.tables)

    def __len__(self) -> int:
        return len(self.sheet.mem.tables)

    def __iter__(self) -> Any:
        for t in list(self.sheet.mem.tables):
            yield Table(self.sheet, t)


def quote(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# Registration and loading

engine = Engine()


def register() -> xw.main.Engine:
    """Register the engine once and return it (``xw.engines[ENGINE_NAME]``)."""
    for e in xw.engines:
        if e.name == ENGINE_NAME:
            return e
    wrapped = xw.main.Engine(impl=engine)
    xw.engines.add(wrapped)
    return wrapped


def new_app() -> xw.App:
    """A fresh app of the test engine, with no books."""
    register()
    return xw.App(impl=engine.apps.add(add_book=False))


def load_membook(path: Path, flavour: str = "windows") -> MemBook:
    """Load a workbook file into memory: values (errors kept as errors), number formats,
    fills, merges, column widths and tables, read with openpyxl (read only, never saved).
    """
    import openpyxl

    with warnings.catch_warnings():
        # Sparklines and x14 rules are extensions openpyxl does not read; values are.
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, data_only=True)
    mem = MemBook(str(Path(path).resolve()), [])
    mem.flavour = flavour  # type: ignore[attr-defined]
    mem.date1904 = wb.epoch == CALENDAR_MAC_1904
    for ws in wb.worksheets:
        sheet = MemSheet(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                key = (cell.row, cell.column)
                v = cell.value
                if cell.data_type == "e" and isinstance(v, str):
                    sheet.values[key] = XlError(v)
                elif v is not None and v != "":
                    if isinstance(v, bool | str | dt.datetime):
                        sheet.values[key] = v
                    elif isinstance(v, dt.date):
                        sheet.values[key] = dt.datetime(v.year, v.month, v.day)
                    elif isinstance(v, int | float):
                        sheet.values[key] = float(v)
                    else:
                        sheet.values[key] = v
                if cell.number_format and cell.number_format != "General":
                    sheet.number_formats[key] = cell.number_format
                fill = cell.fill
                if fill is not None and fill.fill_type == "solid" and fill.fgColor.type == "rgb":
                    sheet.fills[key] = _color(fill.fgColor.rgb[-6:])  # type: ignore[assignment]
        for merged in ws.merged_cells.ranges:
            sheet.merges.append((merged.min_row, merged.min_col, merged.max_row, merged.max_col))
        for letter, dim in ws.column_dimensions.items():
            if dim.width:
                sheet.column_widths[utils.address_to_index_tuple(f"{letter}1")[1]] = dim.width
        for name, ref in ws.tables.items():
            (r1, c1), (r2, c2) = utils.a1_to_tuples(ref)
            table = ws.tables[name]
            sheet.tables.append(MemTable(name, r1, c1, r2, c2, bool(table.totalsRowCount)))
        for name, defined in ws.defined_names.items():
            sheet.names[name] = "=" + str(defined.attr_text)
        sheet.visible = ws.sheet_state == "visible"
        mem.sheets.append(sheet)
    wb.close()
    return mem


def open_book(path: Path, flavour: str = "windows", app: xw.App | None = None) -> xw.Book:
    """Load ``path`` into the test engine and return it as a real ``xw.Book``."""
    app = app or new_app()
    impl = app.impl.books.attach(load_membook(path, flavour))
    return xw.Book(impl=impl)


def book_from_sheets(
    sheets: dict[str, list[list[Any]]],
    fullname: str = "/tmp/tracker.xlsm",
    flavour: str = "windows",
    app: xw.App | None = None,
) -> xw.Book:
    """A book built directly from rows (first row = header), without a file."""
    app = app or new_app()
    mem = MemBook(fullname, [])
    mem.flavour = flavour  # type: ignore[attr-defined]
    for name, rows in sheets.items():
        sheet = MemSheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if isinstance(v, XlError):
                    sheet.values[(r, c)] = v
                elif v is not None:
                    _store_value(sheet, (r, c), "'" + v if isinstance(v, str) else v)
        sheet.quote_prefix.clear()
        mem.sheets.append(sheet)
    return xw.Book(impl=app.impl.books.attach(mem))
