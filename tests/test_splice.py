"""Unit tests of the splice (kpisheets.write.package) with scratch packages built by
XlsxWriter: styles, conditional formats with dxfs, sparklines, charts, tables, data
validation and defined names, into user workbooks built by XlsxWriter or saved by Excel."""

from __future__ import annotations

import io
import re
import shutil
import struct
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter

from kpisheets.errors import NotATrackerError, WorkbookOpenError
from kpisheets.write import package
from kpisheets.write.package import (
    OWNER_NAME,
    SheetNameTakenError,
    owned_sheets,
    splice,
)
from tests.conftest import CORPUS, requires_corpus
from tests.packages import edited_parts

EDITED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


def scratch(variant: int = 0, extra_sheet: bool = False) -> bytes:
    """Generated sheets as XlsxWriter makes them: Summary and History."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    summary = book.add_worksheet("Summary")
    title = book.add_format({"bold": True, "font_size": 18, "bg_color": "#DDEEFF"})
    money = book.add_format({"num_format": "$#,##0.00;[Red]-$#,##0.00", "bottom": 1})
    pct = book.add_format({"num_format": "0.0%"})
    red = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    green = book.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    summary.write_string("A1", "Team KPIs — <Q4> & more", title)
    summary.write_string("A2", '=HYPERLINK("http://x")')  # user text stays text
    summary.write_number("B3", 1234.5 + variant, money)
    summary.write_number("C3", 0.85, pct)
    summary.write_formula("D3", "=B3*2", money, 2469 + 2 * variant)
    summary.set_column("A:A", 30)
    summary.set_column("E:E", 12, pct)
    summary.conditional_format(
        "C3:C20", {"type": "cell", "criteria": "<", "value": 0.9, "format": red}
    )
    summary.conditional_format(
        "C3:C20", {"type": "cell", "criteria": ">=", "value": 1, "format": green}
    )
    summary.conditional_format("B3:B20", {"type": "data_bar", "data_bar_2010": True})
    summary.add_sparkline("F3", {"range": "History!A1:E1"})
    summary.print_area("A1:F20")
    summary.repeat_rows(0, 1)
    summary.set_landscape()
    summary.activate()
    history = book.add_worksheet("History")
    history.write_row("A1", [1, 2, 3, 4, 5 + variant])
    history.add_table(
        "A3:C6",
        {
            "name": "HistoryTable",
            "columns": [
                {"header": "Period"},
                {"header": "Value", "format": money},
                {"header": "T"},
            ],
        },
    )
    chart = book.add_chart({"type": "line"})
    chart.add_series({"values": "=History!$A$1:$E$1", "name": "Sales"})
    history.insert_chart("E5", chart)
    history.data_validation("A10", {"validate": "list", "source": ["yes", "no"]})
    if extra_sheet:
        book.add_worksheet("Problems").write_string("A1", "No problems")
    book.close()
    return buffer.getvalue()


def user_workbook(path: Path, *, summary: bool = False) -> Path:
    """A user's workbook with its own styles, table, chart, names and shared strings."""
    book = xlsxwriter.Workbook(str(path))
    name = "Budget" if not summary else "Summary"
    sheet = book.add_worksheet(name)
    fancy = book.add_format({"italic": True, "font_color": "#123456", "num_format": "0.000"})
    yellow = book.add_format({"bg_color": "#FFFF00"})
    sheet.write_string("A1", "Budget line")
    sheet.write_number("B1", 3.14159, fancy)
    sheet.conditional_format(
        "B1:B9", {"type": "cell", "criteria": ">", "value": 3, "format": yellow}
    )
    sheet.add_table(
        "A3:B5", {"name": "HistoryTable", "columns": [{"header": "x"}, {"header": "y"}]}
    )
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": f"={name}!$B$1:$B$2"})
    sheet.insert_chart("D2", chart)
    book.define_name("Rate", "=0.19")
    book.define_name(f"{name}!Local", f"={name}!$A$1")
    book.add_worksheet("Notes").write_string("A1", "Budget line")
    book.close()
    return path


def raw_members(path: Path) -> dict[str, tuple[int, int, int, bytes]]:
    """Each member's CRC, sizes and compressed bytes, read straight from the file."""
    out = {}
    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            offset = info.header_offset
            name_len, extra_len = struct.unpack("<HH", data[offset + 26 : offset + 30])
            start = offset + 30 + name_len + extra_len
            out[info.filename] = (
                info.CRC,
                info.compress_size,
                info.file_size,
                data[start : start + info.compress_size],
            )
    return out


def assert_untouched(original: Path, spliced: Path, edited: set[str] = EDITED) -> None:
    """Every member not edited by the splice is byte-identical, raw and decompressed."""
    before, after = raw_members(original), raw_members(spliced)
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(spliced) as zs:
        for name, raw in before.items():
            if name in edited:
                continue
            assert name in after, f"{name} disappeared"
            assert after[name] == raw, f"{name} changed"
            assert zs.read(name) == zo.read(name)


def member(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        # openpyxl does not support x14 extensions (sparklines, data bars) and says so.
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path)


@pytest.fixture
def budget(tmp_path: Path) -> Path:
    return user_workbook(tmp_path / "budget.xlsx")


def test_splice_adds_sheets_and_keeps_every_other_part(budget: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.xlsx"
    shutil.copy(budget, original)
    result = splice(budget, scratch(), generated=True)
    assert result.added == ["Summary", "History"] and result.replaced == []
    assert_untouched(original, budget)
    book = load(budget)
    assert book.sheetnames == ["Budget", "Notes", "Summary", "History"]
    assert owned_sheets(budget) == ["Summary", "History"]
    summary = book["Summary"]
    assert summary["A1"].value == "Team KPIs — <Q4> & more"
    assert summary["A1"].font.b and summary["A1"].font.sz == 18
    assert summary["A1"].fill.fgColor.rgb.endswith("DDEEFF")
    assert summary["A2"].value == '=HYPERLINK("http://x")' and summary["A2"].data_type == "s"
    assert summary["B3"].number_format == "$#,##0.00;[Red]-$#,##0.00"
    assert summary["B3"].border.bottom.style == "thin"
    assert summary["C3"].number_format == "0.0%"
    assert summary["D3"].value == "=B3*2"
    assert summary.column_dimensions["E"].number_format == "0.0%"
    # The user's own cells keep their formats.
    assert book["Budget"]["B1"].number_format == "0.000" and book["Budget"]["B1"].font.i


def test_conditional_format_dxfs_are_remapped(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    book = load(budget)
    fills = {}
    for cf_range in book["Summary"].conditional_formatting:
        for rule in cf_range.rules:
            if rule.dxf is not None and rule.dxf.fill is not None:
                fills[rule.operator] = rule.dxf.fill.bgColor.rgb[-6:]
    assert fills == {"lessThan": "FFC7CE", "greaterThanOrEqual": "C6EFCE"}
    # The user's rule still points at the user's dxf.
    rule = next(iter(book["Budget"].conditional_formatting)).rules[0]
    assert rule.dxf.fill.bgColor.rgb.endswith("FFFF00")
    # The x14 data bar and the sparkline came along.
    sheet_xml = member(budget, "xl/worksheets/sheet3.xml")
    assert "x14:dataBar" in sheet_xml and "x14:sparklineGroup" in sheet_xml


def test_shared_strings_become_inline_and_sharedstrings_is_untouched(budget: Path) -> None:
    before = member(budget, "xl/sharedStrings.xml")
    splice(budget, scratch(), generated=True)
    assert member(budget, "xl/sharedStrings.xml") == before
    for part in ("xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml"):
        xml = member(budget, part)
        assert 't="s"' not in xml
    assert 't="inlineStr"' in member(budget, "xl/worksheets/sheet3.xml")
    values = python_calamine.CalamineWorkbook.from_path(str(budget))
    assert values.get_sheet_by_name("Summary").to_python()[0][0] == "Team KPIs — <Q4> & more"
    assert values.get_sheet_by_name("Notes").to_python() == [["Budget line"]]


def test_only_one_tab_stays_selected(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    selected = [
        name
        for name in ("sheet1", "sheet2", "sheet3", "sheet4")
        if 'tabSelected="1"' in member(budget, f"xl/worksheets/{name}.xml")
    ]
    assert selected == ["sheet1"]


def test_second_splice_replaces_in_place_without_growth(budget: Path, tmp_path: Path) -> None:
    splice(budget, scratch(), generated=True)
    first = tmp_path / "first.xlsx"
    shutil.copy(budget, first)
    styles_after_first = member(budget, "xl/styles.xml")
    result = splice(budget, scratch(variant=1), generated=True)
    assert result.added == [] and result.replaced == ["Summary", "History"]
    assert member(budget, "xl/styles.xml") == styles_after_first
    assert member(budget, "xl/workbook.xml") == member(first, "xl/workbook.xml")
    assert member(budget, "[Content_Types].xml") == member(first, "[Content_Types].xml")
    assert sorted(zipfile.ZipFile(budget).namelist()) == sorted(zipfile.ZipFile(first).namelist())
    book = load(budget)
    assert book["Summary"]["B3"].value == 1235.5
    assert book.sheetnames == ["Budget", "Notes", "Summary", "History"]
    # The same content again gives the same file, byte for byte.
    again = splice(budget, scratch(variant=1), generated=True)
    assert again.replaced == ["Summary", "History"]
    before = budget.read_bytes()
    splice(budget, scratch(variant=1), generated=True)
    assert budget.read_bytes() == before


def test_styles_merge_reuses_equal_entries(tmp_path: Path) -> None:
    """Formats the user's workbook already has are reused, not added again."""
    book = tmp_path / "same.xlsx"
    # The user's workbook *is* a previous XlsxWriter scratch: every style already exists.
    book.write_bytes(scratch(extra_sheet=False))
    # Rename its sheets so the splice does not collide with them.
    rename_sheets(book, {"Summary": "Mine", "History": "Old"})
    before = member(book, "xl/styles.xml")
    splice(book, scratch(), generated=True)
    assert member(book, "xl/styles.xml") == before


def test_tables_get_unique_ids_and_names(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    ids, names = [], []
    with zipfile.ZipFile(budget) as z:
        for name in z.namelist():
            if name.startswith("xl/tables/"):
                xml = z.read(name).decode()
                ids.append(re.search(r'\sid="(\d+)"', xml).group(1))  # type: ignore[union-attr]
                names.append(re.search(r'displayName="([^"]*)"', xml).group(1))  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids) == 2
    assert sorted(names) == ["HistoryTable", "HistoryTable_2"]
    assert load(budget)["History"].tables["HistoryTable_2"].ref == "A3:C6"


def test_defined_names_added_with_sheet_index_and_user_names_untouched(budget: Path) -> None:
    before = re.findall(r"<definedName\b.*?</definedName>", member(budget, "xl/workbook.xml"))
    splice(budget, scratch(), generated=True)
    after = re.findall(r"<definedName\b.*?</definedName>", member(budget, "xl/workbook.xml"))
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert (
        '<definedName name="_xlnm.Print_Area" localSheetId="2">Summary!$A$1:$F$20</definedName>'
        in added
    )
    assert (
        '<definedName name="_xlnm.Print_Titles" localSheetId="2">Summary!$1:$2</definedName>'
        in added
    )
    markers = [a for a in added if OWNER_NAME in a]
    assert [re.search(r'localSheetId="(\d)"', m).group(1) for m in markers] == ["2", "3"]  # type: ignore[union-attr]
    assert all('hidden="1"' in m for m in markers)
    summary = load(budget)["Summary"]
    assert summary.print_title_rows == "$1:$2"


def test_user_sheet_called_summary_is_refused(tmp_path: Path) -> None:
    path = user_workbook(tmp_path / "mine.xlsx", summary=True)
    before = path.read_bytes()
    with pytest.raises(SheetNameTakenError, match="'Summary' that kpisheets did not create"):
        splice(path, scratch(), generated=True)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_renamed_generated_sheet_is_left_alone(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    rename_sheets(budget, {"Summary": "Summary Nov"})
    result = splice(budget, scratch(variant=1), generated=True)
    assert result.added == ["Summary"] and result.replaced == ["History"]
    book = load(budget)
    assert book.sheetnames == ["Budget", "Notes", "Summary Nov", "History", "Summary"]
    assert book["Summary Nov"]["B3"].value == 1234.5
    assert book["Summary"]["B3"].value == 1235.5


def test_generated_sheet_moved_by_the_user_stays_where_it_is(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    move_last_sheets_first(budget)
    assert load(budget).sheetnames == ["Summary", "History", "Budget", "Notes"]
    splice(budget, scratch(variant=1), generated=True)
    book = load(budget)
    assert book.sheetnames == ["Summary", "History", "Budget", "Notes"]
    assert book["Summary"]["B3"].value == 1235.5
    assert book["Summary"].print_title_rows == "$1:$2"


def test_parts_only_the_old_sheet_used_are_removed(budget: Path) -> None:
    splice(budget, scratch(extra_sheet=True), generated=True)
    names_first = set(zipfile.ZipFile(budget).namelist())
    # History without its chart: the old drawing and chart must go.
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("History").write_number("A1", 1)
    book.close()
    splice(budget, buffer.getvalue(), generated=True)
    names = set(zipfile.ZipFile(budget).namelist())
    gone = names_first - names
    assert {n for n in gone if "chart" in n or "drawing" in n or "table" in n} == {
        "xl/charts/chart2.xml",
        "xl/drawings/drawing2.xml",
        "xl/drawings/_rels/drawing2.xml.rels",
        "xl/tables/table2.xml",
    }
    assert "xl/worksheets/_rels/sheet4.xml.rels" not in names
    ct = member(budget, "[Content_Types].xml")
    assert "/xl/charts/chart2.xml" not in ct and "/xl/tables/table2.xml" not in ct
    # The user's chart and table are still there.
    assert {"xl/charts/chart1.xml", "xl/tables/table1.xml"} <= names
    load(budget)


def test_comment_drawings_get_their_own_shape_ids(tmp_path: Path) -> None:
    path = tmp_path / "comments.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Data").write_comment("A1", "The user's comment")
    book.close()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Problems").write_comment("B2", "A note from kpisheets")
    book.close()
    splice(path, buffer.getvalue(), generated=True)
    with zipfile.ZipFile(path) as z:
        vml = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".vml")}
    assert len(vml) == 2
    blocks = sorted(re.search(r'data="(\d+)"', v).group(1) for v in vml.values())  # type: ignore[union-attr]
    assert blocks == ["1", "2"]
    new = next(v for v in vml.values() if 'data="2"' in v)
    assert "_x0000_s2049" in new and "_x0000_s1025" not in new
    book_ = load(path)
    assert book_["Problems"]["B2"].comment.text == "A note from kpisheets"
    assert book_["Data"]["A1"].comment.text == "The user's comment"


def test_calc_chain_dropped_only_when_it_lists_a_replaced_sheet(budget: Path) -> None:
    splice(budget, scratch(), generated=True)
    add_calc_chain(budget, '<c r="B1" i="1"/>')
    splice(budget, scratch(), generated=True)
    assert "xl/calcChain.xml" in zipfile.ZipFile(budget).namelist()
    add_calc_chain(budget, '<c r="B1" i="1"/><c r="D3" i="3"/>')
    result = splice(budget, scratch(), generated=True)
    assert result.dropped_calc_chain
    assert "xl/calcChain.xml" not in zipfile.ZipFile(budget).namelist()
    assert "calcChain" not in member(budget, "xl/_rels/workbook.xml.rels")
    assert "calcChain" not in member(budget, "[Content_Types].xml")
    load(budget)


def test_output_leaves_the_source_untouched(budget: Path, tmp_path: Path) -> None:
    before = budget.read_bytes()
    out = tmp_path / "out" / "refreshed.xlsx"
    out.parent.mkdir()
    splice(budget, scratch(), out, generated=True)
    assert budget.read_bytes() == before
    assert load(out).sheetnames[-2:] == ["Summary", "History"]


def test_lock_file_refused(budget: Path) -> None:
    (budget.parent / ("~$" + budget.name)).write_bytes(b"lock")
    before = budget.read_bytes()
    with pytest.raises(WorkbookOpenError, match="open in Excel.*close it.*Refresh button"):
        splice(budget, scratch(), generated=True)
    assert budget.read_bytes() == before


def test_symlinked_workbook_keeps_its_link(budget: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.xlsx"
    link.symlink_to(budget)
    splice(link, scratch(), generated=True)
    assert link.is_symlink()
    assert load(budget).sheetnames[-1] == "History"


def test_failure_while_writing_leaves_the_file_whole(
    budget: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = budget.read_bytes()

    def broken(self: package.ZipSink) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(package.ZipSink, "close", broken)
    with pytest.raises(OSError, match="disk full"):
        splice(budget, scratch(), generated=True)
    assert budget.read_bytes() == before
    assert sorted(p.name for p in budget.parent.iterdir()) == ["budget.xlsx"]


def test_not_a_zip_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    with pytest.raises(NotATrackerError, match="old.xlsx is damaged or incomplete"):
        splice(path, scratch(), generated=True)


def test_damaged_part_is_one_sentence(budget: Path) -> None:
    rewrite_members(budget, {"xl/styles.xml": "<styleSheet><fonts>"})
    before = budget.read_bytes()
    with pytest.raises(NotATrackerError, match="budget.xlsx has a part kpisheets cannot read"):
        splice(budget, scratch(), generated=True)
    assert budget.read_bytes() == before
    rewrite_members(budget, {"[Content_Types].xml": None})
    with pytest.raises(NotATrackerError, match="cannot be read"):
        splice(budget, scratch(), generated=True)


def test_strict_open_xml_is_one_sentence(budget: Path) -> None:
    rels = member(budget, "_rels/.rels").replace(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
        "http://purl.oclc.org/ooxml/officeDocument/relationships/",
    )
    rewrite_members(budget, {"_rels/.rels": rels})
    with pytest.raises(NotATrackerError, match="Strict Open XML"):
        splice(budget, scratch(), generated=True)


def test_non_generated_splice_does_not_mark_and_refuses_existing(budget: Path) -> None:
    splice(budget, scratch(), generated=False, sheets=["History"])
    assert load(budget).sheetnames == ["Budget", "Notes", "History"]
    assert owned_sheets(budget) == []
    assert OWNER_NAME not in member(budget, "xl/workbook.xml")
    with pytest.raises(SheetNameTakenError):
        splice(budget, scratch(), generated=True)


def test_prefixed_spreadsheetml_is_handled(budget: Path, tmp_path: Path) -> None:
    """Files written by the Open XML SDK use an ``x:`` prefix for the main namespace."""
    prefix_main_namespace(budget, ["xl/workbook.xml", "xl/styles.xml"])
    original = tmp_path / "original.xlsx"
    shutil.copy(budget, original)
    splice(budget, scratch(), generated=True)
    assert_untouched(original, budget)
    assert '<x:sheet name="Summary"' in member(budget, "xl/workbook.xml")
    assert '<x:definedName name="_xlnm.Print_Area"' in member(budget, "xl/workbook.xml")
    book = load(budget)
    assert book["Summary"]["B3"].number_format == "$#,##0.00;[Red]-$#,##0.00"
    before = len(member(budget, "xl/styles.xml"))
    splice(budget, scratch(), generated=True)
    assert len(member(budget, "xl/styles.xml")) == before


@requires_corpus
@pytest.mark.parametrize(
    "name",
    [
        "excel/button07.xlsm",
        "excel/chart_area01.xlsx",
        "epplus/SparklineDemos.xlsx",
        "epplus/AllConditionalFormatting.xlsx",
        "epplus/Slicers.xlsx",
        # Other producers: openpyxl, LibreOffice (every part by override, no
        # defaults), ONLYOFFICE, prefixes of its own, parts at the zip root, no styles.
        "producers/calamine__date_quoted_format.xlsx",
        "producers/ClosedXML__colorscale.xlsx",
        "producers/ClosedXML__InvalidFirstPageNumber.xlsx",
        "producers/calamine__nonstandard-xml-ns-prefix.xlsx",
        "producers/PhpSpreadsheet__rootZipFiles.xlsx",
        "producers/poi__59021.xlsx",
    ],
)
def test_splice_into_files_other_programs_made(name: str, tmp_path: Path) -> None:
    original = CORPUS / name
    path = tmp_path / original.name
    shutil.copy(original, path)
    edited = edited_parts(original)
    splice(path, scratch(), generated=True)
    styles = member_bytes(path, next(n for n in edited_parts(path) if "tyle" in n))
    splice(path, scratch(variant=1), generated=True)
    assert member_bytes(path, next(n for n in edited_parts(path) if "tyle" in n)) == styles
    assert_untouched(original, path, edited)
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.lower().endswith((".xml", ".rels")) and part not in edited:
                continue  # copied raw: checked byte for byte above
            if part.lower().endswith((".xml", ".rels")):
                ET.fromstring(z.read(part))  # namespace-aware: every prefix bound
    values = python_calamine.CalamineWorkbook.from_path(str(path))
    assert values.sheet_names[-2:] == ["Summary", "History"]
    assert values.get_sheet_by_name("History").to_python()[0] == [1.0, 2.0, 3.0, 4.0, 6.0]
    if not name.startswith("producers/PhpSpreadsheet__rootZipFiles"):
        assert load(path)["Summary"]["B3"].value == 1235.5


def member_bytes(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


# ---------------------------------------------------------------------------
# Edits a user (or Excel) makes between refreshes, simulated on the package.


def rewrite_members(path: Path, edit: dict[str, str | None]) -> None:
    """Rewrite some members of a zip (None: delete); others are recompressed too,
    which is fine for tests that only simulate a user's save."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i)) for i in z.infolist()]
    names = {i.filename for i, _ in items}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename in edit:
                new = edit[info.filename]
                if new is not None:
                    z.writestr(info.filename, new)
            else:
                z.writestr(info, data)
        for name, new in edit.items():
            if name not in names and new is not None:
                z.writestr(name, new)


def rename_sheets(path: Path, names: dict[str, str]) -> None:
    xml = member(path, "xl/workbook.xml")
    for old, new in names.items():
        xml = xml.replace(f'name="{old}"', f'name="{new}"')
    rewrite_members(path, {"xl/workbook.xml": xml})


def move_last_sheets_first(path: Path) -> None:
    """Move the last two sheets to the front, as dragging the tabs in Excel does
    (sheet-scoped names follow their sheets)."""
    xml = member(path, "xl/workbook.xml")
    sheets = re.findall(r"<sheet [^>]*/>", xml)
    order = sheets[-2:] + sheets[:-2]
    xml = xml.replace("".join(sheets), "".join(order))
    old_to_new = {len(sheets) - 2: 0, len(sheets) - 1: 1}
    for i in range(len(sheets) - 2):
        old_to_new[i] = i + 2
    xml = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{old_to_new[int(m[1])]}"', xml)
    rewrite_members(path, {"xl/workbook.xml": xml})


def add_calc_chain(path: Path, cells: str) -> None:
    chain = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{cells}</calcChain>"
    )
    rels = member(path, "xl/_rels/workbook.xml.rels")
    ct = member(path, "[Content_Types].xml")
    if "calcChain" not in rels:
        rels = rels.replace(
            "</Relationships>",
            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
        )
        ct = ct.replace(
            "</Types>",
            '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.calcChain+xml"/></Types>',
        )
    rewrite_members(
        path,
        {"xl/calcChain.xml": chain, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": ct},
    )


def prefix_main_namespace(path: Path, parts: list[str]) -> None:
    edits: dict[str, str | None] = {}
    for part in parts:
        xml = member(path, part)
        body_start = xml.index("?>") + 2
        head, body = xml[:body_start], xml[body_start:]
        body = re.sub(r"<(/?)([A-Za-z])", r"<\1x:\2", body)
        body = body.replace(
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        )
        edits[part] = head + body
    rewrite_members(path, edits)
