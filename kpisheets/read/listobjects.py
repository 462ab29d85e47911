"""Excel Tables (ListObjects) as the package describes them: sheet, range, columns.

python-calamine's ``get_table_by_name`` parses the Table's whole sheet to answer, and
the reader reads that sheet again for its cells (with repeated values shared), so a
Table-based Entries sheet of a million rows was parsed twice, or once per input sheet
that looked for its Table. The Table parts are small: read from the package, they
say where each Table is, and the sheet's cells are read once (docs/performance.md).

The objects have what the reader uses of python-calamine's ``CalamineTable``:
``name``, ``sheet``, ``start`` and ``end`` (0-based; the first and last data row, so
the header is the row above ``start`` and a totals row is left out) and ``columns``;
and what python-calamine does not say: ``totals``, the rows of the totals row, so
that the reader knows where the rows typed under the Table begin
(:mod:`kpisheets.read.below`).
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from kpisheets.model import column_index

TABLE_RELATIONSHIP = "/table"  # the end of the relationship type (any namespace year)


@dataclass(frozen=True)
class ListObject:
    """One Excel Table: where it is and what its columns are called."""

    name: str
    sheet: str
    start: tuple[int, int]  # (first data row, first column), 0-based
    end: tuple[int, int]  # (last data row, last column), 0-based
    columns: list[str]
    totals: int = 0  # rows of the totals row (0 or 1), under ``end``

    @property
    def bottom(self) -> int:
        """The Table's last row, 0-based: its totals row when it has one."""
        return self.end[0] + self.totals


def list_objects(path: Path, sheet_parts: dict[str, str]) -> list[ListObject] | None:
    """Every Table on the sheets of ``sheet_parts`` (real sheet name → sheet part), in
    sheet order; ``None`` when the package cannot be read this way (a part missing or
    not XML, a Table without a header row), so that the caller asks python-calamine."""
    found: list[ListObject] = []
    try:
        with zipfile.ZipFile(path) as z:
            members = set(z.namelist())
            for sheet, part in sheet_parts.items():
                for table_part in _table_parts(z, members, part):
                    table = _list_object(z.read(table_part), sheet)
                    if table is None:
                        return None
                    found.append(table)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, ET.ParseError):
        return None
    return found


def _table_parts(z: zipfile.ZipFile, members: set[str], sheet_part: str) -> Iterable[str]:
    """The Table parts the sheet's relationships point at (KeyError when one is missing)."""
    folder, name = posixpath.split(sheet_part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in members:
        return []
    parts = []
    for rel in ET.fromstring(z.read(rels)).iter():
        if not rel.tag.endswith("Relationship") or rel.get("TargetMode") == "External":
            continue
        if not (rel.get("Type") or "").endswith(TABLE_RELATIONSHIP):
            continue
        target = (rel.get("Target") or "").replace("\\", "/")
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        part = posixpath.normpath(part)
        if part not in members:
            raise KeyError(part)
        parts.append(part)
    return parts


def _list_object(xml: bytes, sheet: str) -> ListObject | None:
    """The Table of one table part; None for a Table the reader cannot take this way
    (no header row, or no range)."""
    root = ET.fromstring(xml)
    ref = root.get("ref") or ""
    if int(root.get("headerRowCount", "1") or 1) != 1 or ":" not in ref:
        return None
    (top, left), (bottom, right) = (_cell(c) for c in ref.split(":", 1))
    totals = int(root.get("totalsRowCount", "0") or 0)
    columns = [
        c.get("name") or ""
        for c in root.iter()
        if c.tag.endswith("tableColumn") and not c.tag.endswith("tableColumns")
    ]
    if len(columns) != right - left + 1:
        return None
    name = root.get("displayName") or root.get("name") or ""
    return ListObject(name, sheet, (top + 1, left), (bottom - totals, right), columns, totals)


def _cell(reference: str) -> tuple[int, int]:
    """``B3`` → (2, 1), 0-based row and column (``$`` signs ignored)."""
    text = reference.replace("$", "").strip().upper()
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    if not letters or not digits:
        raise ValueError(reference)
    return int(digits) - 1, column_index(letters)
