"""An .xlsx/.xlsm file as a package: a zip of parts joined by relationships.

The reader (:mod:`kpisheets.read.package`) and the splice
(:mod:`kpisheets.write.package`) both open workbooks through :class:`PackageZip`,
which holds the rules every producer's file is read by:

* **Parts are found through relationships**, never by a guessed name: the workbook
  is the target of the package's ``officeDocument`` relationship (a type is matched
  by its last segment, so ``…/extended-properties`` is not mistaken for it), its
  sheets and styles are targets of the workbook's relationships.
* **Part names** are matched as Open Packaging says, ignoring case; a zip member
  written with backslashes (``xl\\workbook.xml``) or a leading slash is found under
  its part name, and relationship targets may be relative or absolute.
* **Bounded inflation.** The sizes the zip declares are checked before anything is
  inflated (no part over :data:`MAX_PART_SIZE`, nothing inflating more than
  :data:`MAX_RATIO` times above :data:`RATIO_FLOOR`, at most :data:`MAX_PACKAGE_SIZE`
  in all), and every read is cut at the declared size (zipfile counts while it
  inflates and checks the CRC at the end), so a 7 MB file that would inflate to
  2 GB is refused with a sentence before it costs memory.
* **Damage is noticed**: :meth:`PackageZip.verify` inflates members and checks their
  CRC-32; a broken deflate stream or a bad CRC is "damaged", never copied on.

Every refusal is a :class:`~kpisheets.errors.NotATrackerError` with one sentence.
"""

from __future__ import annotations

import io
import posixpath
import struct
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kpisheets.errors import KpisheetsError, NotATrackerError
from kpisheets.xmltext import Document, Element, Encoding, XmlTextError

PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_RELS_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"

MAX_PART_SIZE = 1 << 30
"""No part may inflate beyond 1 GiB. Excel's largest sheet a tracker could hold —
1,048,576 entry rows — is about 200–400 MB of XML."""
MAX_RATIO = 100
"""A part over :data:`RATIO_FLOOR` may not inflate more than 100× its compressed size
(sheet XML deflates 8–20×; a zip bomb, hundreds to thousands of times)."""
RATIO_FLOOR = 64 << 20
MAX_PACKAGE_SIZE = 2 << 30
"""All parts together may not inflate beyond 2 GiB."""

_CHUNK = 1 << 20


def part_key(name: str) -> str:
    """The key a part name is compared by: ``/`` separators, no leading slash, any case.

    >>> part_key("\\\\XL\\\\Workbook.xml"), part_key("/xl/workbook.xml")
    ('xl/workbook.xml', 'xl/workbook.xml')
    """
    return name.replace("\\", "/").lstrip("/").lower()


def rels_part(part: str) -> str:
    """``xl/worksheets/sheet1.xml`` → ``xl/worksheets/_rels/sheet1.xml.rels``."""
    folder, name = posixpath.split(part.replace("\\", "/"))
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship's target, relative to its source part (or absolute), as a part
    name without a leading slash. ``source_part`` ``""`` is the package itself."""
    target = urllib.parse.unquote(target).replace("\\", "/")
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    folder = posixpath.dirname(source_part.replace("\\", "/"))
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def relative(source_part: str, target_part: str) -> str:
    """The relationship target from ``source_part`` to ``target_part``."""
    folder = posixpath.dirname(source_part.replace("\\", "/")) or "."
    return posixpath.relpath(target_part, folder)


def type_is(rel_type: str, name: str) -> bool:
    """Whether a relationship type ends with the segment ``name``
    (``…/relationships/officeDocument``; transitional, Strict or Microsoft's)."""
    return rel_type.rstrip("/").rsplit("/", 1)[-1] == name


def is_strict(rel_type: str) -> bool:
    """Whether a relationship type is Strict Open XML's."""
    return rel_type.startswith(STRICT_RELS_NS)


@dataclass
class Relationship:
    """One ``<Relationship>`` of a ``.rels`` part."""

    id: str
    type: str
    target: str  # as written
    external: bool
    element: Element


def relationships(doc: Document) -> list[Relationship]:
    """The relationships of a ``.rels`` part (in the package namespace, or in none,
    as some hand-made packages write them)."""
    rels: list[Relationship] = []
    if doc.root.local != "Relationships" or doc.root.ns not in (PKG_RELS_NS, ""):
        return rels
    for el in doc.root.children:
        if el.local == "Relationship" and el.ns == doc.root.ns:
            rels.append(
                Relationship(
                    id=el.get("Id") or "",
                    type=(el.get("Type") or "").strip(),
                    target=(el.get("Target") or "").strip(),
                    external=(el.get("TargetMode") or "").strip() == "External",
                    element=el,
                )
            )
    return rels


class PackageZip:
    """A workbook's zip, opened for reading parts (and copying them raw).

    ``name`` is how sentences call the file (its file name). Raises
    :class:`NotATrackerError` when the zip cannot be read or inflates beyond the
    limits in the module docstring.
    """

    def __init__(
        self, path: Path | None = None, data: bytes | None = None, name: str | None = None
    ) -> None:
        self.path = path
        self.name = name or (path.name if path is not None else "The workbook")
        self._data = data
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data) if data is not None else str(path))
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error) as exc:
            raise NotATrackerError(damaged(self.name)) from exc
        self.infos = self.zip.infolist()
        self.by_name = {i.filename: i for i in self.infos}
        self.keys: dict[str, str] = {}
        for info in self.infos:
            if not info.is_dir():
                self.keys.setdefault(part_key(info.filename), info.filename)
        self._fp: BinaryIO | None = None
        self._documents: dict[str | None, tuple[Document, Encoding]] = {}
        self._check_sizes()

    def _check_sizes(self) -> None:
        total = 0
        for info in self.infos:
            size = info.file_size
            total += size
            ratio_bomb = size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1)
            if size > MAX_PART_SIZE or ratio_bomb or total > MAX_PACKAGE_SIZE:
                raise NotATrackerError(
                    f"{self.name} inflates to more than any workbook kpisheets reads "
                    f"({info.filename} alone would take {size / (1 << 20):,.0f} MB); "
                    "it was not opened. If it is a real tracker, split its entries over "
                    "several workbooks."
                )

    def close(self) -> None:
        """Close the zip (and the raw reader, if one was opened)."""
        self.zip.close()
        if self._fp is not None:
            self._fp.close()

    def __enter__(self) -> PackageZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __contains__(self, part: str) -> bool:
        return part_key(part) in self.keys

    def actual(self, part: str) -> str | None:
        """The zip member holding ``part`` (matched by :func:`part_key`), or None."""
        return self.keys.get(part_key(part))

    def read(self, part: str) -> bytes:
        """A part's bytes (``KeyError`` when absent; ``NotATrackerError`` when damaged)."""
        member = self.actual(part)
        if member is None:
            raise KeyError(part)
        try:
            return self.zip.read(member)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise NotATrackerError(damaged(self.name)) from exc

    def head(self, part: str, size: int) -> bytes:
        """The first ``size`` bytes of a part (``NotATrackerError`` when damaged)."""
        member = self.actual(part)
        if member is None:
            raise KeyError(part)
        try:
            with self.zip.open(self.by_name[member]) as stream:
                return stream.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise NotATrackerError(damaged(self.name)) from exc

    def document(self, part: str) -> tuple[Document, Encoding]:
        """A part tokenised as XML (:class:`~kpisheets.xmltext.Document`); an
        :class:`~kpisheets.xmltext.XmlTextError` names the part."""
        member = self.actual(part)
        if member in self._documents:
            return self._documents[member]
        data = self.read(part)
        try:
            found = Document.from_bytes(data)
        except XmlTextError as exc:
            raise XmlTextError(f"{member}: {exc}") from exc
        self._documents[member] = found  # parts of a zip opened for reading never change
        return found

    def relationships_of(self, part: str) -> list[Relationship]:
        """The relationships whose source is ``part`` (``""``: the package)."""
        rp = rels_part(part) if part else "_rels/.rels"
        if rp not in self:
            return []
        return relationships(self.document(rp)[0])

    def target(self, source: str, rel: Relationship) -> str | None:
        """The member a relationship of ``source`` points to (None: external or missing)."""
        return None if rel.external else self.actual(resolve(source, rel.target))

    def verify(self, members: Iterable[str] | None = None) -> None:
        """Inflate members (default: all) and check each one's CRC-32; a damaged one
        raises :class:`NotATrackerError` with the "damaged" sentence."""
        infos = self.infos if members is None else [self.by_name[m] for m in members]
        for info in infos:
            if info.is_dir():
                continue
            try:
                with self.zip.open(info) as stream:
                    while stream.read(_CHUNK):
                        pass
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise NotATrackerError(damaged(self.name)) from exc

    def raw_chunks(self, member: str) -> tuple[bytes, Iterator[bytes]]:
        """A member's local-header extra field and its compressed bytes as they are
        in the file (read in chunks), for copying without recompressing."""
        info = self.by_name[member]
        if self._fp is None:
            if self._data is not None:
                self._fp = io.BytesIO(self._data)
            else:
                assert self.path is not None
                self._fp = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        fp = self._fp
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise NotATrackerError(damaged(self.name))
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(name_len, 1)
        extra = fp.read(extra_len)
        start = fp.tell()

        def chunks() -> Iterator[bytes]:
            left = info.compress_size
            pos = start
            while left > 0:
                fp.seek(pos)
                chunk = fp.read(min(left, _CHUNK))
                if not chunk:
                    raise NotATrackerError(damaged(self.name))
                pos += len(chunk)
                left -= len(chunk)
                yield chunk

        return extra, chunks()


class CrcCheck:
    """Inflate a raw member's compressed bytes as they stream past, counting and
    checking them against the sizes and CRC-32 the zip declares."""

    def __init__(self, info: zipfile.ZipInfo, name: str) -> None:
        self.info = info
        self.name = name
        if info.compress_type == zipfile.ZIP_DEFLATED:
            self._inflate: zlib._Decompress | None = zlib.decompressobj(-15)
        elif info.compress_type == zipfile.ZIP_STORED:
            self._inflate = None
        else:
            raise NotATrackerError(
                f"{name} stores {info.filename} with a compression method Excel does not "
                "use; open and save it in Excel, then try again."
            )
        self.crc = 0
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        """Account for the next piece of compressed bytes."""
        try:
            data = self._inflate.decompress(chunk, _CHUNK) if self._inflate else chunk
            while True:
                self._count(data)
                if self._inflate is None or not self._inflate.unconsumed_tail:
                    break
                data = self._inflate.decompress(self._inflate.unconsumed_tail, _CHUNK)
        except zlib.error as exc:
            raise NotATrackerError(damaged(self.name)) from exc

    def _count(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.info.file_size:
            raise NotATrackerError(damaged(self.name))
        self.crc = zlib.crc32(data, self.crc)

    def finish(self) -> None:
        """Raise the "damaged" sentence unless size and CRC-32 matched."""
        if self._inflate is not None:
            try:
                self._count(self._inflate.flush())
            except zlib.error as exc:
                raise NotATrackerError(damaged(self.name)) from exc
            if not self._inflate.eof:
                raise NotATrackerError(damaged(self.name))
        if self.size != self.info.file_size or self.crc != self.info.CRC:
            raise NotATrackerError(damaged(self.name))


def damaged(name: str) -> str:
    """The one sentence for a package that cannot be read to the end.

    The library's wording ("Bad CRC-32", "Cfb error") is not shown: it means nothing
    to the user; callers chain it as the exception's ``__cause__``.
    """
    return (
        f"{name} is damaged or incomplete and cannot be read; "
        "restore it from a backup or re-save it in Excel."
    )


def unreadable_part(name: str, exc: XmlTextError) -> str:
    """The sentence for a part that is there but is not readable XML."""
    return (
        f"{name} has a part kpisheets cannot read ({exc}); it was not changed: open "
        "and save it in Excel, then try again."
    )


# ---------------------------------------------------------------------------
# Writing a zip: raw copies of untouched members (CRC-checked) and new members.


class ZipSink:
    """Writes a zip: raw copies of members and new deflated members (no zip64)."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.central: list[bytes] = []
        self.offset = 0

    def _write(self, data: bytes) -> None:
        self.fp.write(data)
        self.offset += len(data)

    def _member(
        self,
        name: str,
        *,
        flags: int,
        method: int,
        dostime: int,
        dosdate: int,
        crc: int,
        csize: int,
        usize: int,
        local_extra: bytes,
        central_extra: bytes,
        payload: Iterable[bytes],
        extract_version: int = 20,
        create_version: int = 20,
        create_system: int = 0,
        internal_attr: int = 0,
        external_attr: int = 0,
        comment: bytes = b"",
    ) -> None:
        if max(csize, usize, self.offset) >= 0xFFFFFFFF:
            raise KpisheetsError("The workbook is larger than 4 GiB; kpisheets cannot write it.")
        encoded = name.encode("utf-8" if flags & 0x800 else "cp437")
        offset = self.offset
        self._write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                extract_version,
                flags,
                method,
                dostime,
                dosdate,
                crc,
                csize,
                usize,
                len(encoded),
                len(local_extra),
            )
            + encoded
            + local_extra
        )
        for chunk in payload:
            self._write(chunk)
        self.central.append(
            struct.pack(
                "<4sBBHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                create_version,
                create_system,
                extract_version,
                flags,
                method,
                dostime,
                dosdate,
                crc,
                csize,
                usize,
                len(encoded),
                len(central_extra),
                len(comment),
                0,
                internal_attr,
                external_attr,
                offset,
            )
            + encoded
            + central_extra
            + comment
        )

    def copy_raw(self, source: PackageZip, member: str) -> None:
        """Copy a member's compressed bytes as they are (CRC and sizes unchanged),
        inflating them on the way to check the CRC-32 (a mismatch is "damaged")."""
        info = source.by_name[member]
        local_extra, chunks = source.raw_chunks(member)
        check = CrcCheck(info, source.name)

        def checked() -> Iterator[bytes]:
            for chunk in chunks:
                check.feed(chunk)
                yield chunk
            check.finish()

        y, mo, d, h, mi, s = info.date_time
        self._member(
            info.filename,
            # Sizes go into the local header, so no data descriptor (bit 3) follows.
            flags=info.flag_bits & ~0x08,
            method=info.compress_type,
            dostime=(h << 11) | (mi << 5) | (s // 2),
            dosdate=((y - 1980) << 9) | (mo << 5) | d,
            crc=info.CRC,
            csize=info.compress_size,
            usize=info.file_size,
            local_extra=local_extra,
            central_extra=info.extra,
            payload=checked(),
            extract_version=info.extract_version,
            create_version=info.create_version,
            create_system=info.create_system,
            internal_attr=info.internal_attr,
            external_attr=info.external_attr,
            comment=info.comment,
        )

    def write(self, name: str, data: bytes, level: int = 6) -> None:
        """A new member, deflated, dated 1980-01-01 like Excel's own."""
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = compressor.compress(data) + compressor.flush()
        self._member(
            name,
            flags=0x800 if not name.isascii() else 0,
            method=8,
            dostime=0,
            dosdate=(1 << 5) | 1,
            crc=zlib.crc32(data),
            csize=len(payload),
            usize=len(data),
            local_extra=b"",
            central_extra=b"",
            payload=[payload],
        )

    def close(self) -> None:
        """Write the central directory."""
        start = self.offset
        for record in self.central:
            self._write(record)
        size = self.offset - start
        count = len(self.central)
        if count >= 0xFFFF:
            raise KpisheetsError("The workbook has too many parts for kpisheets to write.")
        self._write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))


# ---------------------------------------------------------------------------
# The workbook part: where its sheets are, its date system, its defined names.


@dataclass
class SheetRef:
    """One ``<sheet>`` of the workbook: its name, ids and the part it points to
    (``None`` when the relationship or the part is missing)."""

    name: str
    sheet_id: int
    rel_id: str
    part: str | None
    kind: str  # the relationship type's last segment: worksheet, chartsheet, …
    element: Element


class WorkbookPart:
    """The workbook part of a package, found through the ``officeDocument``
    relationship, read as a :class:`~kpisheets.xmltext.Document`.

    Transitional and Strict Open XML are both read (``strict`` says which); a
    package whose office document is not a workbook, or whose workbook part is
    missing, binary or not readable XML, raises :class:`NotATrackerError`.
    """

    def __init__(self, z: PackageZip) -> None:
        self.zip = z
        office = [
            r
            for r in _root_relationships(z)
            if type_is(r.type, "officeDocument") and not r.external
        ]
        if not office:
            raise NotATrackerError(not_a_workbook(z))
        rel = office[0]
        self.strict = is_strict(rel.type)
        member = z.actual(resolve("", rel.target))
        if member is None:
            raise NotATrackerError(
                f"{z.name} is not a complete Excel workbook: its workbook part "
                f"{resolve('', rel.target)} is missing; restore it from a backup."
            )
        if member.lower().endswith(".bin"):
            raise NotATrackerError(
                f"{z.name} is a binary workbook (.xlsb); open it in Excel and save it "
                "as an Excel Workbook (.xlsx), then try again."
            )
        self.part = member
        self.main_ns = STRICT_MAIN_NS if self.strict else MAIN_NS
        self.rels_ns = STRICT_RELS_NS if self.strict else RELS_NS
        try:
            self.doc, self.encoding = z.document(member)
        except XmlTextError as exc:
            raise NotATrackerError(unreadable_part(z.name, exc)) from exc
        root = self.doc.root
        if root.local != "workbook":
            raise NotATrackerError(not_a_workbook(z))
        # The root's own namespace is what its children are in (a pre-release or
        # Strict file uses another one than today's transitional namespace).
        self.ns = root.ns
        self.rels_member = z.actual(rels_part(member))
        self.rels_doc: Document | None = None
        self.rels_encoding = Encoding()
        if self.rels_member is not None:
            try:
                self.rels_doc, self.rels_encoding = z.document(self.rels_member)
            except XmlTextError as exc:
                raise NotATrackerError(unreadable_part(z.name, exc)) from exc
        rel_list = relationships(self.rels_doc) if self.rels_doc is not None else []
        self.rels = {r.id: r for r in rel_list}
        self.sheets_el = root.find(self.ns, "sheets")
        self.sheets: list[SheetRef] = []
        for el in self.sheets_el.findall(self.ns, "sheet") if self.sheets_el is not None else []:
            rid = el.get("id", self.rels_ns) or el.get("id", RELS_NS) or ""
            sheet_rel = self.rels.get(rid)
            sheet_id = el.get("sheetId") or ""
            self.sheets.append(
                SheetRef(
                    name=el.get("name") or "",
                    sheet_id=int(sheet_id) if sheet_id.strip().isdigit() else 0,
                    rel_id=rid,
                    part=z.target(member, sheet_rel) if sheet_rel else None,
                    kind=sheet_rel.type.rsplit("/", 1)[-1] if sheet_rel else "",
                    element=el,
                )
            )
        names = root.find(self.ns, "definedNames")
        self.defined_names_el = names
        self.defined_names = names.findall(self.ns, "definedName") if names is not None else []

    @property
    def date1904(self) -> bool:
        """Whether the workbook counts dates from 1904 (``workbookPr date1904``)."""
        pr = self.doc.root.find(self.ns, "workbookPr")
        value = (pr.get("date1904") or "").strip().lower() if pr is not None else ""
        return value in ("1", "true", "on")

    def related(self, name: str) -> list[Relationship]:
        """The workbook's relationships of one type (``styles``, ``worksheet``…)."""
        return [r for r in self.rels.values() if type_is(r.type, name)]


def _root_relationships(z: PackageZip) -> list[Relationship]:
    if "_rels/.rels" not in z:
        return []
    try:
        return z.relationships_of("")
    except XmlTextError as exc:
        raise NotATrackerError(unreadable_part(z.name, exc)) from exc


def not_a_workbook(z: PackageZip) -> str:
    """The sentence for a zip whose office document is not a workbook."""
    keys = set(z.keys)
    if "content.xml" in keys and "mimetype" in keys:
        return (
            f"{z.name} is an OpenDocument file, not an .xlsx workbook; open it in "
            "LibreOffice or Excel and save it as an Excel Workbook (.xlsx)."
        )
    if "word/document.xml" in keys or "ppt/presentation.xml" in keys:
        return f"{z.name} is a Word or PowerPoint document, not an Excel workbook."
    return (
        f"{z.name} is a zip file but not an Excel workbook; give the path of an .xlsx or "
        ".xlsm tracker, or create one with `kpisheets new`."
    )
