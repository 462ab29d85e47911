"""The namespace-aware text scanner the splice edits XML parts with (kpisheets.xmltext)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kpisheets.xmltext import Document, TextEdits, XmlTextError, decode, markup

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def test_elements_are_found_by_namespace_whatever_the_prefix() -> None:
    for text in (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="A" r:id="rId1"/>'
        "</sheets></workbook>",
        f'<x:workbook xmlns:x="{MAIN}"><x:sheets><x:sheet xmlns:rel="{RELS}" name="A" '
        'rel:id="rId1"/></x:sheets></x:workbook>',
    ):
        doc = Document(text)
        sheets = list(doc.iter(MAIN, "sheet"))
        assert [s.get("name") for s in sheets] == ["A"]
        assert sheets[0].get("id", RELS) == "rId1" and sheets[0].get("id") is None


def test_markup_inside_comments_cdata_and_instructions_is_not_an_element() -> None:
    doc = Document(
        f'<?xml version="1.0"?><!-- <sheets/> --><workbook xmlns="{MAIN}">'
        "<!--<definedNames><definedName>x</definedName></definedNames>-->"
        "<?pi <sheet/> ?><sheets><sheet name='real'/></sheets></workbook>"
    )
    assert [e.local for e in doc.iter()] == ["workbook", "sheets", "sheet"]


def test_new_elements_are_bound_where_they_go() -> None:
    # The relationships prefix declared on each <sheet> (openpyxl): not in scope at
    # <sheets>, so the new element declares it.
    doc = Document(
        f'<workbook xmlns="{MAIN}"><sheets><sheet xmlns:r="{RELS}" name="A" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    sheets = doc.root.find(MAIN, "sheets")
    assert sheets is not None
    new = markup(sheets, MAIN, "sheet", [("", "name", "B & C"), (RELS, "id", "rId2")])
    assert new == f'<sheet xmlns:r="{RELS}" name="B &amp; C" r:id="rId2"/>'
    edits = TextEdits(doc.text)
    edits.append_child(doc, sheets, new)
    result = ET.fromstring(edits.apply())
    added = result.findall(f"{{{MAIN}}}sheets/{{{MAIN}}}sheet")[-1]
    assert added.get(f"{{{RELS}}}id") == "rId2" and added.get("name") == "B & C"
    # The main namespace as a prefix only, and another default namespace in scope.
    doc = Document(f'<x:workbook xmlns:x="{MAIN}" xmlns="urn:other"><x:sheets/></x:workbook>')
    sheets = doc.root.find(MAIN, "sheets")
    assert sheets is not None
    assert markup(sheets, MAIN, "sheet") == "<x:sheet/>"
    edits = TextEdits(doc.text)
    edits.append_child(doc, sheets, markup(sheets, MAIN, "sheet", [("", "name", "S")]))
    assert edits.apply().endswith('<x:sheets><x:sheet name="S"/></x:sheets></x:workbook>')


def test_deep_nesting_needs_no_recursion() -> None:
    deep = "<a>" * 5000 + "</a>" * 5000
    doc = Document(f'<styleSheet xmlns="{MAIN}"><fonts>{deep}</fonts></styleSheet>')
    assert sum(1 for _ in doc.iter()) == 5002


@pytest.mark.parametrize(
    "text",
    [
        "<a><b></a></b>",
        "<a x='1' x='2'/>",
        "<p:a/>",
        '<a p:x="1"/>',
        '<!DOCTYPE a [<!ENTITY e "x">]><a/>',
        "<a/><b/>",
        "<a>",
    ],
)
def test_malformed_parts_are_refused(text: str) -> None:
    with pytest.raises(XmlTextError):
        Document(text)


def test_parts_keep_their_encoding() -> None:
    xml = f'<?xml version="1.0" encoding="UTF-16"?><workbook xmlns="{MAIN}"/>'
    text, encoding = decode(xml.encode("utf-16"))
    assert text == xml
    assert encoding.encode(text) == xml.encode("utf-16")
    text, encoding = decode(b"\xef\xbb\xbf<a/>")
    assert text == "<a/>" and encoding.encode(text) == b"\xef\xbb\xbf<a/>"
