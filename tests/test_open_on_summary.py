"""Which sheet a refreshed workbook opens on: Summary, unless someone chose a sheet of
their own (which then stays chosen, its part byte-identical). Read back by openpyxl
(``Workbook.active``, each sheet's ``tabSelected``) as well as from the XML."""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpisheets.opc import PackageZip
from kpisheets.refresh import refresh_workbook
from kpisheets.templates import new_tracker
from kpisheets.write.package import Package

AS_OF = dt.date(2026, 11, 20)
USER_SHEETS = ("Instructions", "KPIs", "Entries", "Targets", "Settings", "Actions", "Sources")


def sheet_parts(path: Path) -> dict[str, bytes]:
    """Each sheet's name → the bytes of its part."""
    with PackageZip(path=path) as source:
        pkg = Package(source)
        return {s.name: source.read(s.part) for s in pkg.sheets if s.part is not None}


def workbook_xml(path: Path) -> str:
    with PackageZip(path=path) as source:
        return source.read(Package(source).workbook_part).decode("utf-8")


def opened_on(path: Path) -> tuple[str, list[str]]:
    """openpyxl's reading: the active sheet and the sheets whose tab is selected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sparklines: an extension
        book = openpyxl.load_workbook(path)
    try:
        selected = [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected]
        return book.active.title, selected  # type: ignore[union-attr]
    finally:
        book.close()


def choose(path: Path, sheet: str) -> None:
    """Mark ``sheet`` as the one on screen, as Excel does when it saves: the tab
    selected on the sheet's view, ``activeTab`` on the workbook's window."""
    with PackageZip(path=path) as source:
        pkg = Package(source)
        index = next(i for i, s in enumerate(pkg.sheets) if s.name == sheet)
        part = pkg.sheets[index].part
        assert part is not None
        members = {name: source.zip.read(name) for name in source.zip.namelist()}
        workbook_part = pkg.workbook_part
    members[part] = re.sub(rb"<sheetView\b", b'<sheetView tabSelected="1"', members[part], count=1)
    book = re.sub(rb'\sactiveTab="\d+"', b"", members[workbook_part])
    members[workbook_part] = book.replace(
        b"<workbookView", f'<workbookView activeTab="{index}"'.encode(), 1
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "team.xlsx"
    new_tracker(path, template="sales", reference=AS_OF, created=dt.datetime(2026, 11, 1))
    return path


def test_a_new_tracker_marks_no_sheet_and_opens_on_instructions(tracker: Path) -> None:
    assert not any(b"tabSelected" in data for data in sheet_parts(tracker).values())
    assert "activeTab" not in workbook_xml(tracker)
    assert opened_on(tracker) == ("Instructions", [])


def test_a_new_tracker_opens_on_summary_after_refresh(tracker: Path) -> None:
    before = sheet_parts(tracker)
    refresh_workbook(tracker, as_of=AS_OF)
    after = sheet_parts(tracker)
    assert opened_on(tracker) == ("Summary", ["Summary"])
    names = list(after)
    assert f'activeTab="{names.index("Summary")}"' in workbook_xml(tracker)
    for name in USER_SHEETS:
        assert after[name] == before[name], name
    # Refreshed again (the workbook now opens on Summary, a sheet kpisheets owns):
    # still Summary, and still no other sheet selected.
    refresh_workbook(tracker, as_of=AS_OF)
    assert opened_on(tracker) == ("Summary", ["Summary"])


@pytest.mark.parametrize("sheet", ["Entries", "Instructions"])
def test_the_sheet_a_user_chose_stays_chosen(tracker: Path, sheet: str) -> None:
    choose(tracker, sheet)
    before, book_before = sheet_parts(tracker), workbook_xml(tracker)
    view = re.search(r"<workbookView\b[^>]*>", book_before)
    assert view is not None
    refresh_workbook(tracker, as_of=AS_OF)
    after = sheet_parts(tracker)
    assert opened_on(tracker) == (sheet, [sheet])
    assert view[0] in workbook_xml(tracker)  # the window as the user left it
    for name in USER_SHEETS:
        assert after[name] == before[name], name
    assert b"tabSelected" not in after["Summary"]


def test_a_workbook_left_on_history_opens_on_summary(tracker: Path) -> None:
    """History is kpisheets' sheet: being on it is not a choice a refresh keeps (its
    part is rewritten anyway), so the workbook opens on Summary."""
    refresh_workbook(tracker, as_of=AS_OF)
    choose(tracker, "History")
    assert opened_on(tracker)[0] == "History"
    refresh_workbook(tracker, as_of=AS_OF)
    assert opened_on(tracker) == ("Summary", ["Summary"])
