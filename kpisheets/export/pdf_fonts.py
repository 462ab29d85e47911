"""Fonts for the PDF export: any text a user types renders, or falls back visibly.

* Latin (with every accent, Polish ąęłśżź…), Greek, Cyrillic, arrows and most
  symbols: DejaVu Sans Condensed, shipped in ``kpisheets/data`` (Bitstream Vera /
  DejaVu licence beside it) and embedded in the PDF, so a fresh machine needs no
  fonts installed.
* Japanese kana and CJK ideographs: ReportLab's built-in CID font ``HeiseiKakuGo-W5``;
  Korean Hangul: ``HYGothic-Medium``. CID fonts are not embedded — PDF viewers supply
  them (Acrobat, Preview, poppler with CJK fonts do).
* Anything else (emoji, scripts DejaVu lacks such as Devanagari or Thai) becomes
  U+FFFD ``�`` — a visible replacement mark, never a silent empty box.
* Hebrew and Arabic: ReportLab draws characters in the order they are stored, which
  shows right-to-left words backwards and Arabic letters unjoined. :func:`visual`
  joins Arabic letters (arabic-reshaper) and reverses each right-to-left run for the
  page's left-to-right lines, keeping numbers inside it in reading order.

Text is split into runs, one font per run: :func:`markup` for Paragraphs and
:func:`draw_string` / :func:`string_width` for the canvas.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape as xml_escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

SANS = "KpiSans"
SANS_BOLD = "KpiSans-Bold"
JAPANESE = "HeiseiKakuGo-W5"
KOREAN = "HYGothic-Medium"
REPLACEMENT = "\ufffd"

_CJK_RANGES = (
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3200, 0x33FF),  # enclosed CJK, compatibility
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # half- and full-width forms
)
_HANGUL_RANGES = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))


@cache
def register() -> None:
    """Register the fonts with ReportLab once per process."""
    data = resources.files("kpisheets") / "data"
    with resources.as_file(data / "DejaVuSansCondensed.ttf") as regular:
        pdfmetrics.registerFont(TTFont(SANS, str(regular)))
    with resources.as_file(data / "DejaVuSansCondensed-Bold.ttf") as bold:
        pdfmetrics.registerFont(TTFont(SANS_BOLD, str(bold)))
    pdfmetrics.registerFontFamily(
        SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
    )
    pdfmetrics.registerFont(UnicodeCIDFont(JAPANESE))
    pdfmetrics.registerFont(UnicodeCIDFont(KOREAN))


@cache
def _covered(font_name: str) -> frozenset[int]:
    register()
    font = pdfmetrics.getFont(font_name)
    return frozenset(font.face.charToGlyph)


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def font_for(ch: str, bold: bool = False) -> tuple[str, str]:
    """The font that can draw ``ch`` and the character to draw (U+FFFD if none can)."""
    code = ord(ch)
    main = SANS_BOLD if bold else SANS
    if code in _covered(main):
        return main, ch
    if bold and code in _covered(SANS):
        return SANS, ch
    if _in(code, _CJK_RANGES):
        return JAPANESE, ch
    if _in(code, _HANGUL_RANGES):
        return KOREAN, ch
    return main, REPLACEMENT


_RTL_CLASSES = frozenset({"R", "AL"})
_NUMBER_CLASSES = frozenset({"EN", "AN"})
_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")
_OPENERS, _CLOSERS = "([{«", ")]}»"
# Inside a right-to-left run: digits with their separators (3.5, 1,200, 12:30) keep
# their order, everything else is reversed.
_RTL_PIECE = re.compile(r"\d+(?:[.,:/]\d+)*|.", re.DOTALL)


def _is_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in _RTL_CLASSES


def visual(text: str) -> str:
    """``text`` in the order a left-to-right line shows it: Arabic letters joined and
    each right-to-left run (letters, with the spaces, punctuation and numbers between
    them) reversed. Text without Hebrew or Arabic comes back unchanged.

    >>> visual("Owner: אבי כהן")
    'Owner: ןהכ יבא'
    >>> visual("שלב 12.5 הושלם")
    'םלשוה 12.5 בלש'
    """
    if not any(_is_rtl(ch) for ch in text):
        return text
    import arabic_reshaper

    text = arabic_reshaper.reshape(text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if not _is_rtl(text[i]):
            out.append(text[i])
            i += 1
            continue
        # The run goes to the last right-to-left letter before the next left-to-right one.
        end = last = i
        while end < n and unicodedata.bidirectional(text[end]) not in ("L", "LRE", "LRO"):
            if _is_rtl(text[end]) or unicodedata.bidirectional(text[end]) in _NUMBER_CLASSES:
                last = end
            end += 1
        # A bracket opened inside the run and closed just after it belongs to it.
        while last + 1 < n and text[last + 1] in _CLOSERS:
            run = text[i : last + 1]
            if sum(map(run.count, _OPENERS)) <= sum(map(run.count, _CLOSERS)):
                break
            last += 1
        pieces = _RTL_PIECE.findall(text[i : last + 1])
        out.append("".join(reversed(pieces)).translate(_MIRRORED))
        i = last + 1
    return "".join(out)


def runs(text: str, bold: bool = False) -> list[tuple[str, str]]:
    """``text`` as ``(font, text)`` runs in display order (see :func:`visual`);
    control characters become spaces.

    >>> runs("Zażółć 日本")
    [('KpiSans', 'Zażółć '), ('HeiseiKakuGo-W5', '日本')]
    """
    out: list[tuple[str, str]] = []
    for ch in visual(text):
        if ch in "\r\n\t" or ord(ch) < 32:
            ch = " "
        font, glyph = font_for(ch, bold)
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + glyph)
        else:
            out.append((font, glyph))
    return out


def markup(text: str | None, bold: bool = False) -> str:
    """Paragraph markup for user text: XML-escaped, non-Latin runs in their own font."""
    if not text:
        return ""
    parts = []
    for font, chunk in runs(str(text), bold):
        escaped = xml_escape(chunk)
        if font in (SANS, SANS_BOLD):
            parts.append(f'<font face="{font}">{escaped}</font>' if bold else escaped)
        else:
            parts.append(f'<font face="{font}">{escaped}</font>')
    return "".join(parts)


def string_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in points as :func:`draw_string` draws it."""
    return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs(text, bold))


def draw_string(
    canvas: Canvas, x: float, y: float, text: str, size: float, bold: bool = False
) -> float:
    """Draw ``text`` run by run from (x, y); return the x after it."""
    for font, chunk in runs(text, bold):
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)
    return x


def fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width`` points."""
    if string_width(text, size, bold) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if string_width(text[:mid].rstrip() + "…", size, bold) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"
