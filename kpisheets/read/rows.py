"""Rows of a sheet from python-calamine that never fail on one cell.

``worksheet.iter_rows()`` converts every cell formatted as a date or a duration, and a
number beyond what the conversion holds stops the read: Python's timedelta ends at
999,999,999 days (a ``[h]:mm:ss`` cell of 1.5E+9 days raises OverflowError) and
calamine's dates near ±1.07E+11 days panic in Rust (a PyO3 ``PanicException``, a
``BaseException``). :func:`sheet_rows` reads such a row from the sheet's XML instead,
as plain numbers and text, so that validation can name the bad cell.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from kpisheets.model import ErrorValue
from kpisheets.read.package import column_index


def sheet_rows(worksheet: Any, path: Path | None, part: str | None) -> Iterator[list[Any]]:
    """``worksheet.iter_rows()``, except that a row python-calamine cannot convert — a
    cell formatted as a date or a duration (``[h]:mm:ss``) whose number is beyond
    what Python's timedeltas (1.5E+9 days) or calamine's dates (−1.07E+11) hold — is
    read from the sheet's XML as plain numbers and text, so validation names the bad
    cell instead of the whole read failing."""
    rows = iter(worksheet.iter_rows())
    index = 0  # iter_rows() starts at row 1 (index 0)
    while True:
        try:
            for row in rows:
                yield row
                index += 1
            return
        except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
            # Python's OverflowError for a timedelta of more than 999,999,999 days; a
            # PyO3 PanicException from chrono for a date-formatted number beyond about
            # ±1.07E+11 days. Anything else is not ours to handle here.
            if not isinstance(exc, OverflowError) and type(exc).__name__ != "PanicException":
                raise
            yield _raw_row(path, part, index + 1, worksheet.start[1], worksheet.width)
            index += 1


def _raw_row(
    path: Path | None, part: str | None, excel_row: int, first_col: int, width: int
) -> list[Any]:
    """The cells of one row as the XML stores them: numbers, text (shared or inline),
    booleans and error values, without any date conversion; ``""`` where empty."""
    cells: list[Any] = [""] * width
    if path is None or part is None:
        return cells
    with zipfile.ZipFile(path) as package:
        shared = _shared_strings(package)
        with package.open(part) as stream:
            for _, element in ElementTree.iterparse(stream):
                if not element.tag.endswith("}row"):
                    continue
                if int(element.get("r") or 0) == excel_row:
                    for cell in element:
                        col = column_index(re.sub(r"\d", "", cell.get("r") or "")) - first_col
                        if 0 <= col < width:
                            cells[col] = _raw_value(cell, shared)
                    break
                element.clear()
    return cells


def _shared_strings(package: zipfile.ZipFile) -> list[str]:
    name = next((n for n in package.namelist() if n.lower().endswith("sharedstrings.xml")), None)
    if name is None:
        return []
    root = ElementTree.fromstring(package.read(name))
    return ["".join(t.text or "" for t in si.iter() if t.tag.endswith("}t")) for si in root]


def _raw_value(cell: Any, shared: list[str]) -> Any:
    kind = cell.get("t") or "n"
    value = next((c.text for c in cell if c.tag.endswith("}v")), None)
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
    if value is None:
        return ""
    if kind == "s":
        index = int(value)
        return shared[index] if 0 <= index < len(shared) else ""
    if kind == "b":
        return value.strip() == "1"
    if kind == "e":
        return ErrorValue(value.strip())
    if kind in ("str", "d"):
        return value
    try:
        return float(value)
    except ValueError:
        return value
