"""What python-calamine does not tell: the kind of file, the date system, where each
sheet's XML lives, and the cells it shows as blank although they are not.

python-calamine 0.9 returns an Excel error cell (``#N/A``) and a formula saved
without a result both as ``""``. :class:`SheetCells` finds them in the sheet's XML —
error cells (``t="e"``) and formula cells without a ``<v>`` — and only when asked,
because decompressing a 1,000,000-row sheet costs about an eighth of reading it.

Nothing here writes: every file is opened read-only.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from kpisheets.errors import NotATrackerError
from kpisheets.model import OWNER_NAME, CellValue, ErrorValue
from kpisheets.opc import PackageZip, WorkbookPart, type_is
from kpisheets.opc import damaged as opc_damaged

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@dataclass(frozen=True)
class UncalculatedFormula:
    """A formula cell saved without its result (by a program that never calculates).

    Readers that see the file put this where the value would be; validation reports
    it as ``uncalculated-formula``.
    """

    formula: str

    def __str__(self) -> str:
        return "=" + self.formula


def sniff(path: Path) -> None:
    """Raise :class:`NotATrackerError` with one sentence unless ``path`` looks like an
    Office Open XML zip (``.xlsx``/``.xlsm``)."""
    with open(path, "rb") as f:
        head = f.read(8)
    name = path.name
    if not head:
        raise NotATrackerError(
            f"{name} is empty (0 bytes); replace it with a new tracker with "
            f"`kpisheets new {command_path(path)} --force`."
        )
    if head == OLE_MAGIC:
        if _ole_has_stream(path, "EncryptionInfo"):
            raise NotATrackerError(
                f"{name} is password-protected (encrypted); open it in Excel, remove the "
                "password under File › Info › Protect Workbook, save it, and try again."
            )
        raise NotATrackerError(
            f"{name} is a legacy Excel 97–2003 workbook (.xls); open it in Excel or "
            "LibreOffice and save it as an Excel Workbook (.xlsx), then try again."
        )
    if not head.startswith(ZIP_MAGICS):
        kind = "a text file" if _looks_like_text(path) else "not an Excel workbook"
        raise NotATrackerError(
            f"{name} is {kind}, not an .xlsx workbook; open it in Excel and save it as "
            "an Excel Workbook (.xlsx), or create a tracker with `kpisheets new`."
        )


_PLAIN_PATH = re.compile(r"[\w@%+=:,./\\~-]+")


def command_path(path: str | Path) -> str:
    """``path`` as the user gave it, ready to paste into a suggested command: wrapped
    in double quotes (which bash, zsh, cmd and PowerShell all accept) when it holds a
    space or another character a shell would split or expand.

    >>> command_path("corp/macro01.xlsm"), command_path("My KPIs/q4 plan.xlsx")
    ('corp/macro01.xlsm', '"My KPIs/q4 plan.xlsx"')
    """
    text = str(path)
    if _PLAIN_PATH.fullmatch(text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as f:
        sample = f.read(4096)
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(sample) - 3
    return True


def _ole_has_stream(path: Path, stream: str) -> bool:
    """Whether an OLE compound file's directory names ``stream``.

    Directory entries store names in UTF-16LE; an encrypted Office file always has
    ``EncryptionInfo`` beside ``EncryptedPackage``, a legacy ``.xls`` never does.
    """
    needle = stream.encode("utf-16-le")
    with open(path, "rb") as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


@dataclass
class Package:
    """The parts of a workbook package kpisheets needs before reading cells."""

    date1904: bool
    sheet_parts: dict[str, str]  # real sheet name → zip member of its XML
    sheet_sizes: dict[str, int] = field(default_factory=dict)
    # Sheets that carry kpisheets' marker (a refresh wrote them), by real name.
    owned_sheets: list[str] = field(default_factory=list)
    strict: bool = False


def open_package(path: Path, *, verify: bool = True) -> Package:
    """Check the zip holds a workbook and read its date system and sheet parts.

    Every member is checked against the size limits (:mod:`kpisheets.opc`) and, with
    ``verify``, inflated and CRC-checked — python-calamine does not check the CRC of a
    sheet it stops reading before the end — so a damaged chart, picture or sheet is
    noticed by ``check`` too. Raises :class:`NotATrackerError` for a damaged or
    oversized zip, another kind of document (``.docx``, ``.ods``), a binary workbook
    (``.xlsb``), an .xlsx named like another format, or parts in UTF-16 that the
    reader would misread.
    """
    with PackageZip(path) as z:
        workbook = WorkbookPart(z)
        misnamed = _misnamed(path, z)
        if misnamed is not None:
            raise NotATrackerError(misnamed)
        if verify:
            z.verify()
        _refuse_utf16(z, workbook)
        parts = {s.name: s.part for s in workbook.sheets if s.part is not None}
        sizes = {name: z.by_name[part].file_size for name, part in parts.items()}
        return Package(
            date1904=workbook.date1904,
            sheet_parts=parts,
            sheet_sizes=sizes,
            owned_sheets=owned_sheet_names(workbook),
            strict=workbook.strict,
        )


def _refuse_utf16(z: PackageZip, workbook: WorkbookPart) -> None:
    """python-calamine reads only UTF-8 XML: a UTF-16 workbook, relationships, styles
    or shared strings part fails, and a UTF-16 sheet reads as empty (its entries
    silently lost). Such a file is refused with a sentence that says why."""
    parts = [workbook.part, workbook.rels_member, z.actual("_rels/.rels")]
    for rel in workbook.rels.values():
        if any(type_is(rel.type, t) for t in ("worksheet", "styles", "sharedStrings")):
            parts.append(z.target(workbook.part, rel))
    for part in filter(None, parts):
        head = z.head(part, 4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
            raise NotATrackerError(
                f"{z.name} stores {part} as UTF-16 text, which kpisheets cannot read; open "
                "it in Excel and save it (Excel writes UTF-8), then try again."
            )


def owned_sheet_names(workbook: WorkbookPart) -> list[str]:
    """The sheets that carry kpisheets' hidden sheet-scoped marker name, in sheet
    order (a sheet-scoped ``definedName`` points at its sheet by position; a marker
    inside an XML comment is no marker)."""
    positions = set()
    for el in workbook.defined_names:
        local = (el.get("localSheetId") or "").strip()
        if (el.get("name") or "").lower() == OWNER_NAME.lower() and local.isdigit():
            positions.add(int(local))
    return [s.name for i, s in enumerate(workbook.sheets) if i in positions]


# Suffixes that make Excel, LibreOffice and python-calamine expect another format,
# so an .xlsx package named like this fails to open (calamine: "Cfb error").
_OTHER_FORMAT_SUFFIXES = (".xls", ".xla", ".xlt", ".xlsb", ".ods", ".ots", ".csv")


def _misnamed(path: Path, z: PackageZip) -> str | None:
    """The sentence for an .xlsx/.xlsm workbook saved or renamed with the suffix of
    another format (``tracker.xls``), else ``None``.

    Such a file is refused rather than read: Excel itself warns that its format and
    extension do not match, and a refresh would write the mismatch back.
    """
    suffix = path.suffix.lower()
    if suffix not in _OTHER_FORMAT_SUFFIXES:
        return None
    real = ".xlsm" if "xl/vbaproject.bin" in z.keys else ".xlsx"
    return (
        f"{path.name} is an {real} workbook named {path.suffix}; rename it to "
        f"{path.stem}{real} and try again."
    )


def damaged(name: str, exc: BaseException | str | None = None) -> str:
    """The one sentence for a zip that cannot be read to the end.

    ``exc`` (the library's error) is not shown: its wording ("Cfb error", "Bad CRC-32")
    means nothing to the user; callers chain it as the exception's ``__cause__``.
    """
    return opc_damaged(name)


# ---------------------------------------------------------------------------
# The cells calamine shows as blank: error values and formulas without results.

_CELL_START = re.compile(rb"<c[\s>]")
_REF = re.compile(rb'\br\s*=\s*"([A-Za-z]{1,3})([0-9]+)"')
_TYPE = re.compile(rb'\bt\s*=\s*"([A-Za-z]+)"')
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)


def column_index(letters: str) -> int:
    """Excel column letters to a 0-based index: ``A`` → 0, ``AB`` → 27."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def scan_hidden_cells(path: Path, part: str) -> dict[tuple[int, int], CellValue]:
    """Error cells and uncalculated formula cells of one sheet part.

    Keys are ``(excel_row, column_index)`` (row 1-based, column 0-based); values are
    :class:`ErrorValue` or :class:`UncalculatedFormula`. The XML is streamed in
    chunks cut at ``</row>``, and only the cells around ``t="e"`` and ``<f`` are
    parsed.
    """
    found: dict[tuple[int, int], CellValue] = {}
    with zipfile.ZipFile(path) as z, z.open(part) as stream:
        carry = b""
        while True:
            chunk = stream.read(1 << 23)
            buffer = carry + chunk
            if not chunk:
                _scan_chunk(buffer, found)
                break
            cut = buffer.rfind(b"</row>")
            if cut < 0:
                carry = buffer
                continue
            cut += len(b"</row>")
            _scan_chunk(buffer[:cut], found)
            carry = buffer[cut:]
    return found


def _scan_chunk(data: bytes, found: dict[tuple[int, int], CellValue]) -> None:
    seen: set[int] = set()
    for needle in (b't="e"', b"<f"):
        pos = data.find(needle)
        while pos >= 0:
            start = _cell_start(data, pos)
            if needle == b"<f" and data[pos + 2 : pos + 3] not in (b">", b" ", b"/", b"\t"):
                start = -1  # <family …> in rich text, not a formula
            if start >= 0 and start not in seen:
                seen.add(start)
                end = data.find(b"</c>", pos)
                tag_end = data.find(b">", start)
                if data[tag_end - 1 : tag_end] == b"/":
                    end = tag_end  # <c …/> has no content
                cell = data[start : end if end >= 0 else len(data)]
                _classify(cell, found)
            pos = data.find(needle, pos + 1)


def _cell_start(data: bytes, pos: int) -> int:
    """Where the ``<c`` element containing ``pos`` begins (-1 when outside a cell)."""
    start = data.rfind(b"<c", 0, pos + 1)
    while start >= 0 and not _CELL_START.match(data, start):
        start = data.rfind(b"<c", 0, start)
    if start < 0:
        return -1
    closed = data.rfind(b"</c>", start, pos)
    return -1 if closed >= 0 else start


def _classify(cell: bytes, found: dict[tuple[int, int], CellValue]) -> None:
    tag = cell[: cell.find(b">") + 1]
    ref = _REF.search(tag)
    if ref is None:
        return  # a cell without r= cannot be located; calamine still read its value
    key = (int(ref.group(2)), column_index(ref.group(1).decode()))
    kind = _TYPE.search(tag)
    value = _VALUE.search(cell)
    text = html.unescape(value.group(1).decode("utf-8", "replace")).strip() if value else ""
    if kind is not None and kind.group(1) == b"e":
        found[key] = ErrorValue(text or "#N/A")
        return
    formula = _FORMULA.search(cell)
    # A text formula whose result is "" (=IF(A2="","",…)) is saved as t="str" with an
    # empty <v>; that is a real value. No <v>, or an empty numeric one, is no result.
    empty_text = value is not None and kind is not None and kind.group(1) == b"str"
    if formula is not None and not text and not empty_text:
        body = formula.group(1)
        found[key] = UncalculatedFormula(
            html.unescape(body.decode("utf-8", "replace")) if body else "(shared formula)"
        )


# ---------------------------------------------------------------------------
# Rows python-calamine cannot convert, read from the sheet's XML.


def row_values(path: Path, part: str, wanted: Collection[int]) -> dict[int, dict[int, CellValue]]:
    """The cells of some rows of a sheet part as plain values, keyed by Excel row
    (1-based) then 0-based column: numbers as floats (a date-formatted cell stays its
    serial number), text, booleans and error values.

    Used only for rows that make python-calamine panic (a date-formatted cell
    holding −1e11), so that validation can report the cell instead of the whole
    file failing. The sheet is streamed; shared strings are read when needed.
    """
    wanted = set(wanted)
    found: dict[int, dict[int, CellValue]] = {}
    strings: list[str] | None = None
    with PackageZip(path) as z:
        row_number = 0
        with z.zip.open(part) as stream:
            for _event, el in ET.iterparse(stream, events=("end",)):
                local = el.tag.rsplit("}", 1)[-1]
                if local != "row":
                    continue
                r = el.get("r")
                row_number = int(r) if r and r.isdigit() else row_number + 1
                if row_number in wanted:
                    column = -1
                    cells: dict[int, CellValue] = {}
                    for c in el:
                        if c.tag.rsplit("}", 1)[-1] != "c":
                            continue
                        ref = _REF.search(f' r="{c.get("r", "")}"'.encode())
                        column = column_index(ref.group(1).decode()) if ref else column + 1
                        kind = c.get("t", "n")
                        if kind == "s" and strings is None:
                            strings = _shared_strings(z)
                        cells[column] = _cell_value(c, kind, strings or [])
                    found[row_number] = cells
                el.clear()
    return found


def _cell_value(c: ET.Element, kind: str, strings: list[str]) -> CellValue:
    texts = [t.text or "" for t in c.iter() if t.tag.rsplit("}", 1)[-1] in ("v", "t")]
    text = "".join(texts)
    if kind == "inlineStr":
        return text
    value = next((t.text or "" for t in c if t.tag.rsplit("}", 1)[-1] == "v"), "")
    if kind == "s":
        index = int(value) if value.strip().isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else ""
    if kind == "b":
        return value.strip() in ("1", "true")
    if kind == "e":
        return ErrorValue(value.strip() or "#N/A")
    if kind in ("str", "d"):
        return value
    try:
        return float(value) if value.strip() else ""
    except ValueError:
        return value


def _shared_strings(z: PackageZip) -> list[str]:
    workbook = WorkbookPart(z)
    rel = next(iter(workbook.related("sharedStrings")), None)
    member = z.target(workbook.part, rel) if rel else None
    if member is None:
        return []
    strings = []
    with z.zip.open(member) as stream:
        for _event, el in ET.iterparse(stream, events=("end",)):
            if el.tag.rsplit("}", 1)[-1] == "si":
                strings.append(_rich_text(el))
                el.clear()
    return strings


def _rich_text(si: ET.Element) -> str:
    """The text of a shared string: its ``<t>`` or its runs' (phonetic hints left out)."""
    out = []
    for child in si:
        local = child.tag.rsplit("}", 1)[-1]
        if local == "t":
            out.append(child.text or "")
        elif local == "r":
            out.extend(t.text or "" for t in child if t.tag.rsplit("}", 1)[-1] == "t")
    return "".join(out)
