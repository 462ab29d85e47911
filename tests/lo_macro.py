"""Edit workbooks the way a LibreOffice user does: a StarBasic macro run by the real
LibreOffice, headless, in one process for many files.

The macro opens each workbook, types text into cells with ``XCell.setFormula`` — the
same parsing as typing into the cell: ``2026-11-05`` becomes a date, ``12`` a number,
``=A1`` a formula — optionally changes the range of a named database range (what
Data › Define Range › Modify does; LibreOffice imports each Excel Table as one), and
saves the result as an Excel 2007–365 workbook. LibreOffice does not extend an Excel
Table when a row is typed under it, which is what the tests of rows below a Table need.

The macro lives in the Standard library of a fresh profile made for the run (its own
``-env:UserInstallation``, so parallel runs never share a lock).
"""

from __future__ import annotations

import html
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.libreoffice import soffice


@dataclass
class Edit:
    """One workbook to open, edit and save as ``target``.

    ``typed`` holds ``(sheet, a1, text)``: text typed into a cell. ``resize`` holds
    ``(database range, last row)`` (1-based): the range's new last row.
    """

    source: Path
    target: Path
    typed: Sequence[tuple[str, str, str]] = ()
    resize: Sequence[tuple[str, int]] = field(default_factory=list)


def _basic_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cell(a1: str) -> tuple[int, int]:
    letters = a1.rstrip("0123456789")
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col - 1, int(a1[len(letters) :]) - 1


def _macro(edits: Sequence[Edit]) -> str:
    lines = [
        "Sub Main",
        "  Dim load(0) As New com.sun.star.beans.PropertyValue",
        '  load(0).Name = "Hidden"',
        "  load(0).Value = True",
        "  Dim store(0) As New com.sun.star.beans.PropertyValue",
        '  store(0).Name = "FilterName"',
        '  store(0).Value = "Calc MS Excel 2007 XML"',
    ]
    for edit in edits:
        lines.append(
            "  doc = StarDesktop.loadComponentFromURL("
            f'{_basic_string(edit.source.resolve().as_uri())}, "_blank", 0, load())'
        )
        for sheet, a1, text in edit.typed:
            col, row = _cell(a1)
            lines.append(
                f"  doc.Sheets.getByName({_basic_string(sheet)})"
                f".getCellByPosition({col}, {row}).setFormula({_basic_string(text)})"
            )
        for name, last_row in edit.resize:
            lines += [
                f"  area = doc.DatabaseRanges.getByName({_basic_string(name)}).DataArea",
                f"  area.EndRow = {last_row - 1}",
                f"  doc.DatabaseRanges.getByName({_basic_string(name)}).DataArea = area",
            ]
        lines += [
            f"  doc.storeToURL({_basic_string(edit.target.resolve().as_uri())}, store())",
            "  doc.close(True)",
        ]
    lines.append("End Sub")
    return "\n".join(lines)


def edit_in_libreoffice(edits: Sequence[Edit], timeout: float = 300) -> None:
    """Apply ``edits`` in one LibreOffice process; every target must be written.

    Raises AssertionError with LibreOffice's output when a target is missing.
    """
    binary = soffice()
    assert binary, "LibreOffice is not installed"
    with tempfile.TemporaryDirectory(prefix="lo-rows-") as profile:
        base = [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
        # The first start creates the profile and its empty Standard library.
        subprocess.run([*base, "--terminate_after_init"], capture_output=True, timeout=timeout)
        module = Path(profile) / "user" / "basic" / "Standard" / "Module1.xba"
        assert module.parent.is_dir(), f"LibreOffice made no profile in {profile}"
        module.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN"'
            ' "module.dtd">\n'
            '<script:module xmlns:script="http://openoffice.org/2000/script"'
            ' script:name="Module1" script:language="StarBasic">'
            f"{html.escape(_macro(edits), quote=True)}\n</script:module>\n",
            encoding="utf-8",
        )
        proc = subprocess.run(
            [*base, "macro:///Standard.Module1.Main"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    missing = [e.target.name for e in edits if not e.target.exists()]
    assert not missing, f"LibreOffice did not write {missing}: {proc.stdout}\n{proc.stderr}"
