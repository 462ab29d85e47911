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
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kpisheets.errors import NotATrackerError
from kpisheets.model import OWNER_NAME, CellValue, ErrorValue

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


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


def open_package(path: Path) -> Package:
    """Check the zip holds a workbook and read its date system and sheet parts.

    Raises :class:`NotATrackerError` for a damaged zip, another kind of document
    (``.docx``, ``.ods``) or a binary workbook (``.xlsb``).
    """
    name = path.name
    try:
        with zipfile.ZipFile(path) as z:
            members = set(z.namelist())
            workbook_part = _office_document(z, members)
            if workbook_part is None:
                raise NotATrackerError(_not_a_workbook(name, members))
            if workbook_part.endswith(".bin"):
                raise NotATrackerError(
                    f"{name} is a binary workbook (.xlsb); open it in Excel and save it "
                    "as an Excel Workbook (.xlsx), then try again."
                )
            misnamed = _misnamed(path, members)
            if misnamed is not None:
                raise NotATrackerError(misnamed)
            workbook_xml = z.read(workbook_part).decode("utf-8", "replace")
            rels_part = str(
                PurePosixPath(workbook_part).parent
                / "_rels"
                / (PurePosixPath(workbook_part).name + ".rels")
            )
            rels_xml = z.read(rels_part).decode("utf-8", "replace") if rels_part in members else ""
            parts = _sheet_parts(workbook_xml, rels_xml, workbook_part)
            sizes = {s: z.getinfo(p).file_size for s, p in parts.items() if p in members}
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        raise NotATrackerError(damaged(name, exc)) from exc
    return Package(
        date1904=_date1904(workbook_xml),
        sheet_parts=parts,
        sheet_sizes=sizes,
        owned_sheets=owned_sheet_names(workbook_xml),
    )


def owned_sheet_names(workbook_xml: str) -> list[str]:
    """The sheets that carry kpisheets' hidden sheet-scoped marker name, in sheet
    order: the sheet-scoped ``definedName`` points at its sheet by position.

    >>> owned_sheet_names(
    ...     '<sheets><sheet name="KPIs" r:id="rId1"/><sheet name="Summary" r:id="rId2"/></sheets>'
    ...     '<definedNames><definedName name="_kpisheets_generated" localSheetId="1" '
    ...     'hidden="1">"x"</definedName></definedNames>'
    ... )
    ['Summary']
    """
    names = [
        _attr(m.group(0), "name") or ""
        for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook_xml)
    ]
    positions = set()
    for m in re.finditer(r"<(?:\w+:)?definedName\b[^>]*>", workbook_xml):
        tag = m.group(0)
        local = (_attr(tag, "localSheetId") or "").strip()
        if (_attr(tag, "name") or "").lower() == OWNER_NAME.lower() and local.isdigit():
            positions.add(int(local))
    return [name for i, name in enumerate(names) if i in positions]


# Suffixes that make Excel, LibreOffice and python-calamine expect another format,
# so an .xlsx package named like this fails to open (calamine: "Cfb error").
_OTHER_FORMAT_SUFFIXES = (".xls", ".xla", ".xlt", ".xlsb", ".ods", ".ots", ".csv")


def _misnamed(path: Path, members: set[str]) -> str | None:
    """The sentence for an .xlsx/.xlsm workbook saved or renamed with the suffix of
    another format (``tracker.xls``), else ``None``.

    Such a file is refused rather than read: Excel itself warns that its format and
    extension do not match, and a refresh would write the mismatch back.
    """
    suffix = path.suffix.lower()
    if suffix not in _OTHER_FORMAT_SUFFIXES:
        return None
    real = ".xlsm" if "xl/vbaProject.bin" in members else ".xlsx"
    return (
        f"{path.name} is an {real} workbook named {path.suffix}; rename it to "
        f"{path.stem}{real} and try again."
    )


def damaged(name: str, exc: BaseException | str | None = None) -> str:
    """The one sentence for a zip that cannot be read to the end.

    ``exc`` (the library's error) is not shown: its wording ("Cfb error", "Bad CRC-32")
    means nothing to the user; callers chain it as the exception's ``__cause__``.
    """
    return (
        f"{name} is damaged or incomplete and cannot be read; "
        "restore it from a backup or re-save it in Excel."
    )


def _office_document(z: zipfile.ZipFile, members: set[str]) -> str | None:
    """The workbook part named by the package's root relationships."""
    if "_rels/.rels" in members:
        rels = z.read("_rels/.rels").decode("utf-8", "replace")
        for m in re.finditer(r"<Relationship\b[^>]*>", rels):
            tag = m.group(0)
            if "officeDocument" in (_attr(tag, "Type") or ""):
                target = (_attr(tag, "Target") or "").lstrip("/")
                if target.startswith(("xl/", "xl\\")) or target.endswith(
                    ("workbook.xml", "workbook.bin")
                ):
                    return target if target in members else None
    for guess in ("xl/workbook.xml", "xl/workbook.bin"):
        if guess in members:
            return guess
    return None


def _not_a_workbook(name: str, members: set[str]) -> str:
    if "content.xml" in members and "mimetype" in members:
        return (
            f"{name} is an OpenDocument file, not an .xlsx workbook; open it in "
            "LibreOffice or Excel and save it as an Excel Workbook (.xlsx)."
        )
    if "word/document.xml" in members or "ppt/presentation.xml" in members:
        return f"{name} is a Word or PowerPoint document, not an Excel workbook."
    return (
        f"{name} is a zip file but not an Excel workbook; give the path of an .xlsx or "
        ".xlsm tracker, or create one with `kpisheets new`."
    )


def _attr(tag: str, name: str) -> str | None:
    m = re.search(r"(?:^|\s)(?:\w+:)?" + re.escape(name) + r"\s*=\s*(\"[^\"]*\"|'[^']*')", tag)
    return html.unescape(m.group(1)[1:-1]) if m else None


def _date1904(workbook_xml: str) -> bool:
    m = re.search(r"<(?:\w+:)?workbookPr\b[^>]*>", workbook_xml)
    if not m:
        return False
    value = (_attr(m.group(0), "date1904") or "").strip().lower()
    return value in ("1", "true", "on")


def _sheet_parts(workbook_xml: str, rels_xml: str, workbook_part: str) -> dict[str, str]:
    targets: dict[str, str] = {}
    for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels_xml):
        rid, target = _attr(m.group(0), "Id"), _attr(m.group(0), "Target")
        if rid and target:
            if target.startswith("/"):
                targets[rid] = target.lstrip("/")
            else:
                base = PurePosixPath(workbook_part).parent
                parts: list[str] = []
                for piece in (base / target).parts:
                    if piece == "..":
                        if parts:
                            parts.pop()
                    elif piece != ".":
                        parts.append(piece)
                targets[rid] = "/".join(parts)
    sheets: dict[str, str] = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook_xml):
        tag = m.group(0)
        sheet_name = _attr(tag, "name")
        rid = _attr(tag, "id")  # r:id; the prefix is dropped by _attr's pattern
        if sheet_name is not None and rid in targets:
            sheets[sheet_name] = targets[rid]
    return sheets


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
