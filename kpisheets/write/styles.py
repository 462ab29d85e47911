"""Merge the generated sheets' styles into the user's styles part, appending only.

The scratch package's number formats, fonts, fills, borders, cell formats (cellXfs)
and conditional-format formats (dxfs) are added to the user's stylesheet, each only
when an equal entry is not there yet; existing entries keep their positions, so no
cell of the user's changes style, and a second refresh finds everything the first
one added (the part does not grow). :class:`StyleMap` tells the splice how the
scratch's indexes map into the user's.

Entries are compared by a digest of their element tree (local names, plain
attributes, children in the stylesheet's own namespace) computed without recursion,
so a stylesheet nested thousands deep is handled. The part is edited as text (see
:mod:`kpisheets.xmltext`): new entries are bound to the namespace of the user's
``<styleSheet>`` — today's SpreadsheetML, or a pre-release Excel 2007 one — with the
prefix it uses, and every byte around them stays as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kpisheets.xmltext import (
    Document,
    Element,
    Encoding,
    TextEdits,
    XmlTextError,
    escape_attr,
    markup,
    set_attribute,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STYLES_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# The order of styleSheet's children (ECMA-376 CT_Stylesheet).
STYLE_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
MERGED = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")
# Every cell format refers to cell style format 0 (the Normal style); a stylesheet
# without one gets one, or the cells point at a format the file lacks.
NORMAL_STYLE_XF: dict[str, str] = {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0"}


@dataclass
class Entry:
    """A style entry to add: local name, plain attributes, child entries."""

    local: str
    attrs: dict[str, str]
    children: list[Entry] = field(default_factory=list)

    @classmethod
    def of(cls, el: Element, ns: str) -> Entry:
        """An entry copied from a stylesheet element: only its plain (and ``xml:``)
        attributes and its children in the stylesheet namespace (no extensions)."""
        made: dict[int, Entry] = {}
        for node in reversed(list(el.iter())):
            if node is not el and node.ns != ns:
                continue
            made[id(node)] = cls(
                node.local,
                _plain(node.attrs),
                [made[id(c)] for c in node.children if c.ns == ns and id(c) in made],
            )
        return made[id(el)]

    def digest(self) -> bytes:
        """What equal entries share (attribute order and prefixes do not count)."""
        digests: dict[int, bytes] = {}
        stack: list[tuple[Entry, bool]] = [(self, False)]
        while stack:
            entry, ready = stack.pop()
            if not ready:
                stack.append((entry, True))
                stack.extend((c, False) for c in entry.children)
                continue
            h = hashlib.blake2b(digest_size=16)
            h.update(entry.local.encode())
            for k, v in sorted(entry.attrs.items()):
                h.update(b"\0" + k.encode() + b"=" + v.encode())
            for c in entry.children:
                h.update(b"\1" + digests.pop(id(c)))
            digests[id(entry)] = h.digest()
        return digests[id(self)]


def _plain(attrs: dict[str, str]) -> dict[str, str]:
    return {
        k: v for k, v in attrs.items() if k != "xmlns" and (":" not in k or k.startswith("xml:"))
    }


def _element_digest(el: Element, ns: str) -> bytes:
    return Entry.of(el, ns).digest()


class StyleSheet:
    """A user's styles part, read as a :class:`~kpisheets.xmltext.Document` and
    edited by appending entries to its containers."""

    def __init__(self, doc: Document, encoding: Encoding | None = None) -> None:
        root = doc.root
        if root.local != "styleSheet":
            raise XmlTextError(f"the styles part's root is <{root.qname}>, not a styleSheet")
        self.doc = doc
        self.encoding = encoding or Encoding()
        self.ns = root.ns
        self.root = root
        self.containers: dict[str, Element | None] = {}
        self.keys: dict[str, dict[bytes, int]] = {}
        self.sizes: dict[str, int] = {}
        self.added: dict[str, list[Entry]] = {c: [] for c in STYLE_ORDER}
        for name in STYLE_ORDER:
            container = root.find(self.ns, name)
            self.containers[name] = container
            entries = [c for c in container.children if c.ns == self.ns] if container else []
            self.sizes[name] = len(entries)
            keys: dict[bytes, int] = {}
            if name in MERGED and name != "numFmts":
                for i, entry in enumerate(entries):
                    keys.setdefault(_element_digest(entry, self.ns), i)
            self.keys[name] = keys
        self.num_fmt_ids: dict[str, int] = {}  # format code → id
        self.used_num_fmt_ids: set[int] = set()
        num_fmts = self.containers["numFmts"]
        for nf in num_fmts.findall(self.ns, "numFmt") if num_fmts is not None else []:
            nid = (nf.get("numFmtId") or "").strip()
            if not nid.isdigit():
                continue
            self.used_num_fmt_ids.add(int(nid))
            self.num_fmt_ids.setdefault(nf.get("formatCode") or "", int(nid))
        if self.sizes["cellStyleXfs"] == 0:
            self._append("cellStyleXfs", Entry("xf", dict(NORMAL_STYLE_XF)))

    def num_fmt(self, code: str) -> int:
        """The id of a custom number format, added when the workbook lacks it."""
        if code in self.num_fmt_ids:
            return self.num_fmt_ids[code]
        nid = max(self.used_num_fmt_ids | {163}) + 1
        self.used_num_fmt_ids.add(nid)
        self.num_fmt_ids[code] = nid
        self._append("numFmts", Entry("numFmt", {"numFmtId": str(nid), "formatCode": code}))
        return nid

    def add(self, container: str, entry: Entry) -> int:
        """The index of an entry equal to ``entry`` in ``container``, added if absent."""
        key = entry.digest()
        keys = self.keys[container]
        if key not in keys:
            keys[key] = self._append(container, entry)
        return keys[key]

    def _append(self, container: str, entry: Entry) -> int:
        index = self.sizes[container]
        self.sizes[container] += 1
        self.added[container].append(entry)
        return index

    def changed(self) -> bool:
        """Whether anything was added."""
        return any(self.added.values())

    def render(self) -> bytes:
        """The styles part with the added entries appended, in its own encoding."""
        doc = self.doc
        edits = TextEdits(doc.text)
        new_blocks: list[str] = []
        for name in STYLE_ORDER:
            entries = self.added[name]
            if not entries:
                continue
            container = self.containers[name]
            if container is not None:
                text = "".join(_markup(container, self.ns, e) for e in entries)
                count_attr = "count" in container.attrs
                if container.empty:
                    tag = doc.text[container.start : container.start_tag_end]
                    if count_attr:
                        tag = set_attribute(doc, container, "count", str(self.sizes[name]))
                    opened = tag[: -len("/>")].rstrip() + ">"
                    edits.replace(
                        container.start, container.end, f"{opened}{text}</{container.qname}>"
                    )
                else:
                    if count_attr:
                        edits.replace(
                            container.start,
                            container.start_tag_end,
                            set_attribute(doc, container, "count", str(self.sizes[name])),
                        )
                    edits.insert(container.content_end, text)
            else:
                inner = "".join(_markup(self.root, self.ns, e) for e in entries)
                block = markup(self.root, self.ns, name, [("", "count", str(len(entries)))], inner)
                later = [
                    c
                    for other in STYLE_ORDER[STYLE_ORDER.index(name) + 1 :]
                    if (c := self.containers[other]) is not None
                ]
                if later:
                    edits.insert(min(c.start for c in later), block)
                else:
                    new_blocks.append(block)
        if new_blocks:
            edits.append_child(doc, self.root, "".join(new_blocks))
        return self.encoding.encode(edits.apply())


def _markup(parent: Element, ns: str, entry: Entry) -> str:
    """An entry as markup inside ``parent``, bound to the stylesheet namespace."""
    inner = "".join(_markup(parent, ns, c) for c in entry.children)  # entries are shallow
    attrs = [("", k, v) for k, v in entry.attrs.items() if not k.startswith("xml:")]
    text = markup(parent, ns, entry.local, attrs, inner)
    xml_attrs = "".join(
        f' {k}="{escape_attr(v)}"' for k, v in entry.attrs.items() if k.startswith("xml:")
    )
    if xml_attrs:
        head_end = text.index("/>") if not inner else text.index(">")
        text = text[:head_end] + xml_attrs + text[head_end:]
    return text


@dataclass
class StyleMap:
    """How the scratch's style indexes map into the user's stylesheet."""

    xf: dict[int, int]
    dxf: dict[int, int]


def merge_styles(user: StyleSheet, scratch: Document) -> StyleMap:
    """Add the scratch's cell formats and dxfs to ``user``; return the index maps."""
    root = scratch.root
    ns = root.ns

    def entries(name: str) -> list[Entry]:
        container = root.find(ns, name)
        if container is None:
            return []
        return [Entry.of(c, ns) for c in container.children if c.ns == ns]

    def index(entry: Entry, name: str) -> int:
        value = entry.attrs.get(name, "0").strip()
        return int(value) if value.isdigit() else 0

    num_fmt_map: dict[int, int] = {}
    for nf in entries("numFmts"):
        num_fmt_map[index(nf, "numFmtId")] = user.num_fmt(nf.attrs.get("formatCode", "General"))
    font_map = {i: user.add("fonts", e) for i, e in enumerate(entries("fonts"))}
    fill_map = {i: user.add("fills", e) for i, e in enumerate(entries("fills"))}
    border_map = {i: user.add("borders", e) for i, e in enumerate(entries("borders"))}
    xf_map: dict[int, int] = {}
    for i, xf in enumerate(entries("cellXfs")):
        nid = index(xf, "numFmtId")
        xf.attrs["numFmtId"] = str(num_fmt_map.get(nid, nid))
        xf.attrs["fontId"] = str(font_map.get(index(xf, "fontId"), 0))
        xf.attrs["fillId"] = str(fill_map.get(index(xf, "fillId"), 0))
        xf.attrs["borderId"] = str(border_map.get(index(xf, "borderId"), 0))
        xf.attrs["xfId"] = "0"  # the user's Normal style
        xf_map[i] = user.add("cellXfs", xf)
    dxf_map: dict[int, int] = {}
    for i, dxf in enumerate(entries("dxfs")):
        for child in dxf.children:
            if child.local == "numFmt":
                child.attrs["numFmtId"] = str(
                    user.num_fmt(child.attrs.get("formatCode", "General"))
                )
        dxf_map[i] = user.add("dxfs", dxf)
    return StyleMap(xf=xf_map, dxf=dxf_map)
