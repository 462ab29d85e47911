"""XML parts read as text, their elements located by namespace — for in-place edits.

A refresh edits four parts of the user's package (the workbook, its relationships,
the content types and the styles) and must leave every byte it does not edit as it
was: the producer's prefixes, declarations, attribute order and quoting. So those
parts are not parsed into a tree and serialised again; :class:`Document` tokenises
the text once and records, for every element, where its start tag, content and end
tag are, its namespace and local name (whatever prefix the producer chose — default
or ``x:``, declared at the root or on the element itself) and the prefixes in scope
inside it. Edits are then splices of text at those positions (:class:`TextEdits`),
and new elements are written by :func:`markup` with prefixes bound in scope at the
insertion point, declaring one locally when the producer bound none.

Markup inside comments, CDATA sections and processing instructions is skipped, so a
commented-out ``<sheets>`` or defined name is never acted on. Nothing here recurses:
a part nested 5,000 deep is handled like any other. A part that is not well-formed,
has a document type declaration (which Open XML packages may not have) or uses an
undeclared prefix raises :class:`XmlTextError`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

XML_NS = "http://www.w3.org/XML/1998/namespace"
XMLNS_NS = "http://www.w3.org/2000/xmlns/"


class XmlTextError(ValueError):
    """An XML part that is not well-formed or not namespace-well-formed."""


# ---------------------------------------------------------------------------
# Bytes ↔ text, keeping the part's own encoding.


@dataclass(frozen=True)
class Encoding:
    """How a part's bytes were encoded, so edited text is written back the same way."""

    codec: str = "utf-8"
    bom: bytes = b""

    def encode(self, text: str) -> bytes:
        """``text`` as bytes in this encoding (characters it cannot hold become
        character references, which is only ever needed inside values)."""
        return self.bom + text.encode(self.codec, "xmlcharrefreplace")


_DECLARED = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def decode(data: bytes) -> tuple[str, Encoding]:
    """The text of an XML part and its encoding: UTF-8 (with or without a byte order
    mark), UTF-16 with its mark, or what the XML declaration names.

    >>> decode('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"))[0][-4:]
    '<a/>'
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), Encoding("utf-8", codecs.BOM_UTF8)
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[2:].decode(codec), Encoding(codec, bom)
    if data[:4] == b"<\x00?\x00":
        return data.decode("utf-16-le"), Encoding("utf-16-le")
    if data[:4] == b"\x00<\x00?":
        return data.decode("utf-16-be"), Encoding("utf-16-be")
    m = _DECLARED.match(data)
    codec = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        codec = codecs.lookup(codec).name
    except LookupError as exc:
        raise XmlTextError(f"unknown encoding {codec!r}") from exc
    if codec.startswith("utf-16"):
        codec = "utf-8"  # declared UTF-16 without a mark: the bytes are what count
    try:
        return data.decode(codec), Encoding(codec)
    except UnicodeDecodeError as exc:
        raise XmlTextError(f"not {codec} text ({exc.reason})") from exc


# ---------------------------------------------------------------------------
# Escaping.

_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(text: str) -> str:
    """Replace XML character and entity references (the five predefined ones)."""
    if "&" not in text:
        return text

    def ref(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        if m.group(2):
            return chr(int(m.group(2)))
        return _ENTITIES[m.group(3)]

    return _ENTITY.sub(ref, text)


def escape_attr(value: str) -> str:
    """Escape a value for a double-quoted attribute (line breaks and tabs as
    references, so a parser's attribute normalisation keeps them)."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def escape_text(value: str) -> str:
    """Escape character data."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------
# The tokeniser.

_NAME = r"[^\s<>/=\"'!?]+"
_START = re.compile(rf"""<({_NAME})((?:\s+{_NAME}\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(/?)>""", re.S)
_ATTR = re.compile(rf"""({_NAME})\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_END = re.compile(rf"</({_NAME})\s*>")


@dataclass(eq=False)
class Element:
    """One element of a :class:`Document`: where it is and what it is called.

    ``start``/``end`` span the whole element; ``start_tag_end`` is just after the
    start tag's ``>``; ``content_end`` is where the end tag begins (for an empty
    element, ``start_tag_end``). ``scope`` maps each prefix in scope inside the
    element (``""`` for the default namespace) to its namespace.
    """

    ns: str
    local: str
    qname: str
    start: int
    start_tag_end: int
    empty: bool
    scope: dict[str, str]
    attrs: dict[str, str]  # qualified attribute name as written → unescaped value
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)
    content_end: int = -1
    end: int = -1

    @property
    def prefix(self) -> str:
        """The prefix as written (``"x"`` for ``<x:sheet>``, ``""`` unprefixed)."""
        return self.qname.split(":", 1)[0] if ":" in self.qname else ""

    def get(self, local: str, ns: str = "") -> str | None:
        """An attribute's value by namespace and local name (``ns=""``: unprefixed)."""
        for qname, value in self.attrs.items():
            if ":" in qname:
                prefix, name = qname.split(":", 1)
                if prefix != "xmlns" and name == local and self.scope.get(prefix) == ns and ns:
                    return value
            elif qname == local and not ns:
                return value
        return None

    def find(self, ns: str, local: str) -> Element | None:
        """The first child element ``{ns}local``."""
        return next((c for c in self.children if c.ns == ns and c.local == local), None)

    def findall(self, ns: str, local: str) -> list[Element]:
        """The child elements ``{ns}local``."""
        return [c for c in self.children if c.ns == ns and c.local == local]

    def iter(self, ns: str | None = None, local: str | None = None) -> Iterator[Element]:
        """This element and its descendants in document order (optionally only
        ``{ns}local``), without recursion."""
        stack = [self]
        while stack:
            el = stack.pop()
            if (ns is None or el.ns == ns) and (local is None or el.local == local):
                yield el
            stack.extend(reversed(el.children))

    def prefix_for(self, ns: str, *, attribute: bool = False) -> str | None:
        """A prefix bound to ``ns`` inside this element (``""`` when it is the default
        namespace and ``attribute`` is false), or None when none is in scope."""
        if not attribute and self.scope.get("", "") == ns:
            return ""
        for prefix, uri in self.scope.items():
            if prefix and uri == ns:
                return prefix
        return None


class Document:
    """An XML part's text with every element located (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = self._tokenise(text)

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple[Document, Encoding]:
        """Decode ``data`` (see :func:`decode`) and tokenise it."""
        text, encoding = decode(data)
        return cls(text), encoding

    def iter(self, ns: str | None = None, local: str | None = None) -> Iterator[Element]:
        """Every element (optionally only ``{ns}local``) in document order."""
        return self.root.iter(ns, local)

    def inner_text(self, el: Element) -> str:
        """The unescaped character data directly inside ``el`` (CDATA included)."""
        if el.empty:
            return ""
        raw = self.text[el.start_tag_end : el.content_end]
        out = []
        for piece in re.split(r"(<!\[CDATA\[.*?\]\]>|<!--.*?-->|<[^>]*>)", raw, flags=re.S):
            if piece.startswith("<![CDATA["):
                out.append(piece[9:-3])
            elif not piece.startswith("<"):
                out.append(unescape(piece))
        return "".join(out)

    @staticmethod
    def _tokenise(text: str) -> Element:
        stack: list[Element] = []
        root: Element | None = None
        pos = text.find("<")
        while pos >= 0:
            if text.startswith("<!--", pos):
                close = text.find("-->", pos + 4)
                nxt = close + 3
            elif text.startswith("<![CDATA[", pos):
                if not stack:
                    raise XmlTextError("CDATA outside the root element")
                close = text.find("]]>", pos + 9)
                nxt = close + 3
            elif text.startswith("<?", pos):
                close = text.find("?>", pos + 2)
                nxt = close + 2
            elif text.startswith("<!", pos):
                raise XmlTextError("a document type declaration (not allowed in a package)")
            elif text.startswith("</", pos):
                m = _END.match(text, pos)
                if m is None or not stack or stack[-1].qname != m.group(1):
                    raise XmlTextError(f"mismatched end tag at character {pos}")
                el = stack.pop()
                el.content_end = pos
                el.end = m.end()
                close, nxt = pos, m.end()
            else:
                m = _START.match(text, pos)
                if m is None:
                    raise XmlTextError(f"malformed tag at character {pos}")
                if root is not None and not stack:
                    raise XmlTextError("more than one root element")
                el = _element(m, stack[-1] if stack else None)
                if stack:
                    stack[-1].children.append(el)
                else:
                    root = el
                if el.empty:
                    el.content_end = el.start_tag_end
                    el.end = el.start_tag_end
                else:
                    stack.append(el)
                close, nxt = pos, m.end()
            if close < 0:
                raise XmlTextError(f"unterminated markup at character {pos}")
            pos = text.find("<", nxt)
        if stack or root is None:
            raise XmlTextError(
                "the document ends inside an element" if stack else "no root element"
            )
        return root


def _element(m: re.Match[str], parent: Element | None) -> Element:
    qname = m.group(1)
    attrs: dict[str, str] = {}
    # Elements that declare nothing share their parent's scope (no copy per element).
    scope = parent.scope if parent is not None else {"xml": XML_NS}
    for am in _ATTR.finditer(m.group(2)):
        name = am.group(1)
        value = am.group(2) if am.group(2) is not None else am.group(3)
        if name in attrs:
            raise XmlTextError(f"attribute {name!r} appears twice")
        # A parser normalises whitespace characters in attribute values to spaces.
        attrs[name] = unescape(re.sub(r"[\t\n\r]", " ", value))
        if name == "xmlns" or name.startswith("xmlns:"):
            if parent is not None and scope is parent.scope:
                scope = dict(scope)
            scope[name[6:]] = attrs[name]
    prefix, local = qname.split(":", 1) if ":" in qname else ("", qname)
    if prefix and prefix not in scope:
        raise XmlTextError(f"the prefix {prefix!r} of <{qname}> is not declared")
    for name in attrs:
        if ":" in name and not name.startswith("xmlns:"):
            ap = name.split(":", 1)[0]
            if ap not in scope:
                raise XmlTextError(f"the prefix {ap!r} of attribute {name!r} is not declared")
    return Element(
        ns=scope.get(prefix, ""),
        local=local,
        qname=qname,
        start=m.start(),
        start_tag_end=m.end(),
        empty=m.group(3) == "/",
        scope=scope,
        attrs=attrs,
        parent=parent,
    )


# ---------------------------------------------------------------------------
# Writing new elements, and edits.


def markup(
    parent: Element,
    ns: str,
    local: str,
    attrs: Iterable[tuple[str, str, str]] = (),
    inner: str = "",
) -> str:
    """A new element ``{ns}local`` to be inserted inside ``parent``, with prefixes
    in scope there; a namespace ``parent`` has no prefix for is declared on the new
    element itself. ``attrs`` are ``(namespace, local name, value)`` (namespace ``""``
    for plain attributes); ``inner`` is markup written inside the element as it is.

    >>> doc = Document('<x:a xmlns:x="urn:main"><x:b/></x:a>')
    >>> markup(doc.root, "urn:main", "b", [("", "n", "1"), ("urn:rel", "id", "r7")])
    '<x:b xmlns:r="urn:rel" n="1" r:id="r7"/>'
    """
    declarations: list[str] = []
    taken = set(parent.scope)
    local_scope: dict[str, str] = {}

    def prefix(uri: str, wanted: str, attribute: bool) -> str:
        for p, u in local_scope.items():
            if u == uri and (p or not attribute):
                return p
        found = parent.prefix_for(uri, attribute=attribute)
        if found is not None:
            return found
        if not attribute and not parent.scope.get(""):
            declarations.append(f' xmlns="{escape_attr(uri)}"')
            local_scope[""] = uri
            return ""
        candidate, n = wanted, 1
        while candidate in taken or candidate in local_scope:
            n += 1
            candidate = f"{wanted}{n}"
        declarations.append(f' xmlns:{candidate}="{escape_attr(uri)}"')
        local_scope[candidate] = uri
        return candidate

    element_prefix = prefix(ns, "x", attribute=False)
    parts = []
    for attr_ns, attr_local, value in attrs:
        if attr_ns:
            p = prefix(attr_ns, "r", attribute=True)
            parts.append(f' {p}:{attr_local}="{escape_attr(value)}"')
        else:
            parts.append(f' {attr_local}="{escape_attr(value)}"')
    qname = f"{element_prefix}:{local}" if element_prefix else local
    head = f"<{qname}{''.join(declarations)}{''.join(parts)}"
    return f"{head}/>" if not inner else f"{head}>{inner}</{qname}>"


class TextEdits:
    """Non-overlapping replacements on a text, applied at once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, new: str) -> None:
        """Replace ``text[start:end]`` by ``new``."""
        self.edits.append((start, end, new))

    def insert(self, at: int, new: str) -> None:
        """Insert ``new`` at ``at`` (inserts at one position keep their order)."""
        self.edits.append((at, at, new))

    def append_child(self, doc: Document, parent: Element, new: str) -> None:
        """Insert ``new`` as the last content of ``parent``; an empty element
        (``<sheets/>``) is opened up into a start and an end tag."""
        if parent.empty:
            tag = doc.text[parent.start : parent.start_tag_end]
            opened = re.sub(r"\s*/>$", ">", tag)
            self.replace(parent.start, parent.end, f"{opened}{new}</{parent.qname}>")
        else:
            self.insert(parent.content_end, new)

    def apply(self) -> str:
        """The text with every edit made."""
        out = []
        pos = 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < pos:
                raise ValueError("overlapping edits")
            out.append(self.text[pos:start])
            out.append(new)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


def set_attribute(doc: Document, el: Element, name: str, value: str) -> str:
    """``el``'s start tag with the plain attribute ``name`` set to ``value`` (added
    at the end when absent); every other byte of the tag as it was."""
    tag = doc.text[el.start : el.start_tag_end]
    pattern = re.compile(rf"""(\s{re.escape(name)}\s*=\s*)(?:"[^"]*"|'[^']*')""")
    if pattern.search(tag):
        return pattern.sub(lambda m: f'{m.group(1)}"{escape_attr(value)}"', tag, count=1)
    close = -2 if tag.endswith("/>") else -1
    body = tag[:close].rstrip()
    return f'{body} {name}="{escape_attr(value)}"{tag[close:]}'
