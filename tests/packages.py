"""Build the odd packages other producers write, by rewriting one made by XlsxWriter.

Each function changes a package the way a producer (or damage) does: parts at the
zip root, Strict Open XML, a prefixed main namespace, UTF-16 parts, backslash or
odd-case member names, a broken CRC… Members not named are copied as they are.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def members(path: Path) -> dict[str, bytes]:
    """Every member's bytes, in zip order."""
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_members(path: Path, parts: dict[str, bytes]) -> Path:
    """Write ``parts`` (in order) as a deflated zip at ``path``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def rewrite(path: Path, edit: Callable[[str, bytes], tuple[str, bytes] | None]) -> Path:
    """Pass every member through ``edit(name, data)`` → ``(name, data)``, or None to drop it."""
    out: dict[str, bytes] = {}
    for name, data in members(path).items():
        new = edit(name, data)
        if new is not None:
            out[new[0]] = new[1]
    return write_members(path, out)


def set_member(path: Path, name: str, data: bytes | str | None) -> Path:
    """Replace (or add, or with None remove) one member."""
    parts = members(path)
    if data is None:
        parts.pop(name, None)
    else:
        parts[name] = data.encode("utf-8") if isinstance(data, str) else data
    return write_members(path, parts)


def member_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def parts_at_root(path: Path) -> Path:
    """Move everything under ``xl/`` to the zip root (as some generators do)."""

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "_rels/.rels":
            data = data.replace(b'Target="xl/workbook.xml"', b'Target="workbook.xml"')
        if name == "[Content_Types].xml":
            data = data.replace(b'PartName="/xl/', b'PartName="/')
        return (name[3:] if name.startswith("xl/") else name), data

    return rewrite(path, edit)


def utf16_parts(path: Path, names: set[str]) -> Path:
    """Re-encode some XML parts as UTF-16 with a byte order mark (declaration updated)."""

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name in names:
            text = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
            return name, text.encode("utf-16")
        return name, data

    return rewrite(path, edit)


def prefix_main_namespace(path: Path, names: set[str], prefix: str = "x") -> Path:
    """Write the SpreadsheetML main namespace with a prefix (``<x:workbook>``), as
    the Open XML SDK does."""

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name not in names:
            return name, data
        text = data.decode("utf-8")
        head_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
        head, body = text[:head_end], text[head_end:]
        body = re.sub(r"<(/?)([A-Za-z]+)(?=[\s/>])", rf"<\1{prefix}:\2", body)
        body = body.replace(f'xmlns="{MAIN}"', f'xmlns:{prefix}="{MAIN}"')
        return name, (head + body).encode("utf-8")

    return rewrite(path, edit)


def local_relationship_prefix(path: Path, part: str = "xl/workbook.xml") -> Path:
    """Declare the relationships prefix on each ``<sheet>`` instead of the root, as
    openpyxl does."""

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name != part:
            return name, data
        text = data.decode("utf-8").replace(f' xmlns:r="{RELS}"', "")
        text = re.sub(r"<((?:\w+:)?sheet) ", rf'<\1 xmlns:r="{RELS}" ', text)
        return name, text.encode("utf-8")

    return rewrite(path, edit)


def raw_offsets(path: Path, name: str) -> tuple[int, int, int]:
    """A member's local header offset, data offset and compressed size."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    offset = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[offset + 26 : offset + 30])
    return offset, offset + 30 + name_len + extra_len, info.compress_size


def corrupt_crc(path: Path, name: str) -> Path:
    """Give a member a wrong CRC-32 in its local header and the central directory
    (its bytes inflate fine: only the check can notice)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        crc = z.getinfo(name).CRC
    offset, _, _ = raw_offsets(path, name)
    data[offset + 14 : offset + 18] = struct.pack("<I", crc ^ 0xFFFF)
    central = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack("<I", data[central + 16 : central + 20])[0]
    pos = cd_offset
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        if data[pos + 46 : pos + 46 + n].decode("utf-8") == name:
            data[pos + 16 : pos + 20] = struct.pack("<I", crc ^ 0xFFFF)
        pos += 46 + n + e + c
    path.write_bytes(bytes(data))
    return path


def break_deflate(path: Path, name: str) -> Path:
    """Overwrite the middle of a member's deflate stream so it no longer inflates."""
    data = bytearray(path.read_bytes())
    _, start, size = raw_offsets(path, name)
    middle = start + size // 2
    data[middle : middle + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    return path


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


STRICT_NAMESPACES = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
        "http://purl.oclc.org/ooxml/spreadsheetml/main"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        "http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/main": (
        "http://purl.oclc.org/ooxml/drawingml/main"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/chart": (
        "http://purl.oclc.org/ooxml/drawingml/chart"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": (
        "http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing"
    ),
}


def to_strict(path: Path) -> Path:
    """Rewrite a transitional package in Strict Open XML's namespaces and relationship
    types, as Excel's "Strict Open XML Spreadsheet" does."""

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if not name.endswith((".xml", ".rels")):
            return name, data
        text = data.decode("utf-8")
        for old, new in STRICT_NAMESPACES.items():
            text = text.replace(old, new)
        if name.endswith("workbook.xml"):
            text = re.sub(r"(<workbook\b)", r'\1 conformance="strict"', text, count=1)
        return name, text.encode("utf-8")

    return rewrite(path, edit)


def edited_parts(path: Path) -> set[str]:
    """The members a splice may edit: [Content_Types].xml, the workbook part (found
    through the package relationships), its relationships part and its styles part."""
    with zipfile.ZipFile(path) as z:
        names = {n.replace("\\", "/").lstrip("/").lower(): n for n in z.namelist()}

        def rels_of(part: str) -> list[ET.Element]:
            folder, base = part.rsplit("/", 1) if "/" in part else ("", part)
            rels = f"{folder}/_rels/{base}.rels".lstrip("/")
            return list(ET.fromstring(z.read(names[rels.lower()])).iter(PKG_RELS))

        def target(source: str, rel: ET.Element) -> str:
            t = rel.get("Target", "").replace("\\", "/")
            if t.startswith("/"):
                return t.lstrip("/")
            base = PurePosixPath(source).parent
            parts: list[str] = []
            for piece in (base / t).parts:
                if piece == "..":
                    parts.pop()
                elif piece != ".":
                    parts.append(piece)
            return "/".join(parts)

        office = next(r for r in rels_of("") if r.get("Type", "").endswith("/officeDocument"))
        workbook = target("", office)
        edited = {names["[content_types].xml"], names[workbook.lower()]}
        folder, base = workbook.rsplit("/", 1) if "/" in workbook else ("", workbook)
        rels_name = f"{folder}/_rels/{base}.rels".lstrip("/").lower()
        if rels_name in names:
            edited.add(names[rels_name])
            for rel in rels_of(workbook):
                if rel.get("Type", "").endswith("/styles"):
                    styles = target(workbook, rel).lower()
                    if styles in names:
                        edited.add(names[styles])
        return edited
