"""Excel number formats rendered as Excel renders them, for every output that is not
Excel: the terminal table, PDF, HTML, Markdown, slides and chart axes.

The Summary sheet shows a figure through Excel's own formatting; an export shows the
text :func:`render` returns for the same value and format, so a KPI whose Format is
``$#,##0.0,,"M"`` reads ``$0.7M`` in both places. What is covered, and where Excel and
LibreOffice disagree, is in ``docs/number-formats.md``; ``tests/test_numfmt_oracle.py``
checks the renderer against LibreOffice's own rendering of hundreds of format/value
pairs.

How it works: a format is split into up to four sections (positive; negative; zero;
text) and each section into tokens once (:func:`parse`, cached). A number is first
turned into the decimal Excel displays — 15 significant digits, as Excel keeps — and
then scaled (``%``, trailing commas) and rounded half away from zero in
:class:`decimal.Decimal`, so 1.005 shows as 1.01 as it does in Excel, not 1.00 as
binary rounding gives. Dates and times use Excel's 1900 date system, including its
fictitious 29 February 1900.

>>> render(651000, '$#,##0.0,,"M"')
'$0.7M'
>>> render(-1234, "#,##0;(#,##0)")
'(1,234)'
>>> render(0.000123, "0.00E+00")
'1.23E-04'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "HASHES",
    "FormatCode",
    "more_decimals",
    "parse",
    "render",
    "shown_number",
    "unrendered",
]

# What Excel shows in a cell whose date or time it cannot display (a negative date,
# or one after 9999-12-31): the cell is filled with #.
HASHES = "########"

_WIDE = Context(prec=400)  # every float, scaled by % and rounded, fits in 400 digits
_LAST_SERIAL = 2958466  # 10000-01-01: Excel's dates end the day before
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_COLOURS = {"black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"}
_CONDITION = re.compile(r"^(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$")
_ELAPSED = re.compile(r"^(h+|m+|s+)$", re.IGNORECASE)
# Characters Excel shows as themselves without quotes.
_PLAIN_LITERALS = set("$-+/():!^&'~{}<>=| ")


# ---------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class _Token:
    """One piece of a section: ``kind`` is one of
    lit (text shown as is), digit (0 # ?), point, comma, percent, exp (E+/E-),
    slash (fraction bar), denom (a fixed fraction denominator), text (@),
    general, date (y m d h s with its letters), ampm (AM/PM or A/P), elapsed ([h]),
    subsec (the .0 after seconds)."""

    kind: str
    text: str = ""
    at: int = -1  # where a digit placeholder or decimal point stands in its section


@dataclass(frozen=True)
class _Section:
    text: str
    tokens: tuple[_Token, ...]
    condition: tuple[str, Decimal] | None
    kind: str  # "number", "date", "text", "general"
    problems: tuple[str, ...]


@dataclass(frozen=True)
class FormatCode:
    """A parsed number format: its sections and what kpisheets cannot show exactly."""

    code: str
    sections: tuple[_Section, ...]
    problems: tuple[str, ...]


def _bracket(content: str, problems: list[str]) -> _Token | tuple[str, Decimal] | None:
    """The token a ``[...]`` stands for, a condition, or None (a colour: ignored)."""
    lower = content.lower()
    if lower in _COLOURS or re.fullmatch(r"color\s*\d{1,2}", lower):
        return None
    match = _CONDITION.match(content.strip())
    if match:
        return (match.group(1), Decimal(match.group(2)))
    if _ELAPSED.match(content):
        return _Token("elapsed", content.lower())
    if content.startswith("$"):
        symbol, _, locale = content[1:].partition("-")
        if locale and symbol == "" and not _english_locale(locale):
            problems.append(f"the locale [{content}] (names are shown in English)")
        return _Token("lit", symbol) if symbol else None
    problems.append(f"[{content}]")
    return None


def _english_locale(code: str) -> bool:
    """Whether a ``[$-xxxx]`` locale id is an English one (month and day names as shown)."""
    try:
        lcid = int(code, 16)
    except ValueError:
        return False
    return lcid & 0xFF == 0x09 or lcid == 0


def _tokens(section: str, problems: list[str]) -> tuple[list[_Token], tuple[str, Decimal] | None]:
    tokens: list[_Token] = []
    condition: tuple[str, Decimal] | None = None
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        low = ch.lower()
        if ch == '"':
            end = section.find('"', i + 1)
            if end < 0:
                problems.append("an unclosed quote")
                end = n
            tokens.append(_Token("lit", section[i + 1 : end]))
            i = end + 1
        elif ch == "\\":
            tokens.append(_Token("lit", section[i + 1 : i + 2]))
            i += 2
        elif ch == "_":  # space the width of the next character
            tokens.append(_Token("lit", " "))
            i += 2
        elif ch == "*":  # repeat the next character to fill the cell: nothing in text
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            if end < 0:
                problems.append("an unclosed [")
                end = n
            found = _bracket(section[i + 1 : end], problems)
            if isinstance(found, tuple):
                condition = found
            elif found is not None:
                tokens.append(found)
            i = end + 1
        elif ch in "0#?":
            tokens.append(_Token("digit", ch, i))
            i += 1
        elif ch == ".":
            tokens.append(_Token("point", ".", i))
            i += 1
        elif ch == ",":
            tokens.append(_Token("comma", ","))
            i += 1
        elif ch == "%":
            tokens.append(_Token("percent", "%"))
            i += 1
        elif low == "e" and section[i + 1 : i + 2] in ("+", "-"):
            tokens.append(_Token("exp", section[i + 1]))
            i += 2
        elif ch == "/":
            tokens.append(_Token("slash", "/"))
            i += 1
        elif ch == "@":
            tokens.append(_Token("text", "@"))
            i += 1
        elif section[i : i + 7].lower() == "general":
            tokens.append(_Token("general"))
            i += 7
        elif section[i : i + 5].lower() == "am/pm":
            tokens.append(_Token("ampm", "AM/PM"))
            i += 5
        elif section[i : i + 3].lower() == "a/p":
            tokens.append(_Token("ampm", section[i : i + 3]))
            i += 3
        elif low in "ymdhs":
            j = i
            while j < n and section[j].lower() == low:
                j += 1
            tokens.append(_Token("date", low * (j - i)))
            i = j
        elif ch in "123456789" and tokens and tokens[-1].kind in ("slash", "denom"):
            j = i
            while j < n and section[j].isdigit():
                j += 1
            tokens.append(_Token("denom", section[i:j]))
            i = j
        else:
            if ch.isascii() and ch.isalpha() or ch.isdigit():
                problems.append(f"the unquoted {ch!r}")
            tokens.append(_Token("lit", ch))
            i += 1
    return tokens, condition


def _split_sections(code: str) -> list[str]:
    """``code`` split at the semicolons that are not quoted, escaped or bracketed."""
    sections, current, i = [], [], 0
    quoted = bracketed = False
    while i < len(code):
        ch = code[i]
        if ch == "\\" and not quoted and not bracketed:
            current.append(code[i : i + 2])
            i += 2
            continue
        if ch == '"' and not bracketed:
            quoted = not quoted
        elif ch == "[" and not quoted:
            bracketed = True
        elif ch == "]" and not quoted:
            bracketed = False
        elif ch == ";" and not quoted and not bracketed:
            sections.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    sections.append("".join(current))
    return sections


def _section(text: str) -> _Section:
    problems: list[str] = []
    tokens, condition = _tokens(text, problems)
    kinds = {t.kind for t in tokens}
    if kinds & {"date", "ampm", "elapsed"}:
        kind = "date"
        tokens, stray = _minutes_and_subseconds(tokens)
        if stray:
            problems.append("digit placeholders, % or E in a date")
        for t in tokens:
            if t.kind == "date" and t.text[0] in "y" and len(t.text) > 4:
                problems.append(f"the date code {t.text!r}")
    elif "general" in kinds:
        kind = "general"
    elif kinds & {"digit"}:
        kind = "number"
        if sum(t.kind == "exp" for t in tokens) > 1 or sum(t.kind == "point" for t in tokens) > 1:
            problems.append("more than one E or decimal point")
    elif "text" in kinds:
        kind = "text"
    else:
        kind = "number"  # literal text only: shown whatever the value
    return _Section(text, tuple(tokens), condition, kind, tuple(problems))


def _minutes_and_subseconds(tokens: list[_Token]) -> tuple[list[_Token], bool]:
    """``m`` means minutes right after an hour or right before a second; ``.0`` after
    seconds is a fraction of a second. Also says whether number codes (0 # ? % E)
    stand elsewhere in the date, which kpisheets shows as plain characters."""
    out = list(tokens)
    codes = [i for i, t in enumerate(out) if t.kind in ("date", "elapsed")]
    for pos, i in enumerate(codes):
        t = out[i]
        if t.kind != "date" or t.text[0] != "m" or len(t.text) > 2:
            continue
        before = out[codes[pos - 1]] if pos else None
        after = out[codes[pos + 1]] if pos + 1 < len(codes) else None
        if (before is not None and before.text[0] == "h" or before and "[h" in before.text) or (
            after is not None and (after.text[0] == "s" or after.text.startswith("[s"))
        ):
            out[i] = _Token("minute", t.text)
    # .0, .00, .000 after seconds
    result: list[_Token] = []
    stray = False
    i = 0
    while i < len(out):
        t = out[i]
        if (
            t.kind == "point"
            and result
            and (result[-1].kind in ("date", "elapsed") and "s" in result[-1].text)
        ):
            j = i + 1
            while j < len(out) and out[j].kind == "digit" and out[j].text == "0":
                j += 1
            if j > i + 1:
                result.append(_Token("subsec", "0" * (j - i - 1)))
                i = j
                continue
        if t.kind in ("point", "comma", "slash", "percent", "digit", "exp", "denom"):
            # in a date, these are plain characters ("dd/mm/yyyy", "d mmm, yyyy")
            stray = stray or t.kind in ("digit", "percent", "exp")
            t = _Token("lit", t.text if t.kind != "exp" else "E" + t.text)
        result.append(t)
        i += 1
    return result, stray


@lru_cache(maxsize=512)
def parse(number_format: str) -> FormatCode:
    """The sections of ``number_format`` (cached: a KPI's format is used for every figure).

    >>> len(parse("#,##0;(#,##0);-").sections)
    3
    """
    code = number_format if number_format and number_format.strip() else "General"
    texts = _split_sections(code)
    problems: list[str] = []
    if len(texts) > 4:
        problems.append(f"{len(texts)} sections (Excel allows four)")
        texts = texts[:4]
    sections = tuple(_section(t) for t in texts)
    for s in sections:
        problems += s.problems
    return FormatCode(code, sections, tuple(dict.fromkeys(problems)))


def unrendered(number_format: str) -> str | None:
    """What in ``number_format`` kpisheets cannot show exactly as Excel does, or None.

    >>> unrendered('#,##0 "visits"') is None
    True
    >>> unrendered("[DBNum1]0")
    '[DBNum1]'
    """
    problems = parse(number_format).problems
    return "; ".join(problems) if problems else None


def more_decimals(number_format: str, places: int) -> str:
    """``number_format`` showing ``places`` more decimals in each of its number sections
    (dates, fractions, General and text sections are left as they are).

    >>> more_decimals("0%", 1)
    '0.0%'
    >>> more_decimals('#,##0.0,,"M";(#,##0.0,,"M")', 2)
    '#,##0.000,,"M";(#,##0.000,,"M")'
    """
    if places <= 0:
        return number_format
    fmt = parse(number_format)
    texts = []
    for section in fmt.sections:
        texts.append(_with_more_decimals(section, places))
    return ";".join(texts)


def _with_more_decimals(section: _Section, places: int) -> str:
    tokens = section.tokens
    kinds = [t.kind for t in tokens]
    if section.kind != "number" or "digit" not in kinds:
        return section.text
    if "slash" in kinds and _is_fraction(tokens):
        return section.text
    end = kinds.index("exp") if "exp" in kinds else len(tokens)
    mantissa = tokens[:end]
    digits = [t for t in mantissa if t.kind == "digit"]
    points = [t for t in mantissa if t.kind == "point"]
    if not digits:
        return section.text
    if points:
        after = max([points[0], *[d for d in digits if d.at > points[0].at]], key=lambda t: t.at)
        # after # decimals more # (a 0 there would be shown where Excel drops zeros)
        insert = ("#" if after.text == "#" else "0") * places
    else:
        after = digits[-1]
        insert = "." + "0" * places
    at = after.at + 1
    return section.text[:at] + insert + section.text[at:]


def shown_number(value: float, number_format: str) -> Decimal | None:
    """The number that ``render(value, number_format)`` shows, in ``value``'s own units
    (so ``0.997`` under ``0%`` shows ``1``), or None when the format shows no plain
    number (a date, a fraction, General, text).

    >>> shown_number(0.997, "0%") == 1
    True
    >>> shown_number(651000, '$#,##0.0,,"M"')
    Decimal('7E+5')
    """
    if not math.isfinite(value):
        return None
    fmt = parse(number_format)
    x = _displayed(value)
    section, absolute = _choose(fmt, x)
    tokens = section.tokens
    kinds = [t.kind for t in tokens]
    if section.kind != "number" or "digit" not in kinds:
        return None
    if "slash" in kinds and _is_fraction(tokens):
        return None
    if "exp" in kinds:
        return x if x == 0 else _scientific_value(tokens, x)
    scaled, scaling = _scale(tokens, x)
    point = next((i for i, t in enumerate(tokens) if t.kind == "point"), None)
    decimals = sum(t.kind == "digit" for t in tokens[point + 1 :]) if point is not None else 0
    rounded = scaled.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_WIDE)
    percent = 2 if "percent" in kinds else 0
    return rounded.scaleb(3 * len(scaling) - percent, _WIDE)


def _scientific_value(tokens: tuple[_Token, ...], x: Decimal) -> Decimal:
    e_at = next(i for i, t in enumerate(tokens) if t.kind == "exp")
    mantissa_tokens = tokens[:e_at]
    point = next((i for i, t in enumerate(mantissa_tokens) if t.kind == "point"), None)
    decimals = (
        sum(t.kind == "digit" for t in mantissa_tokens[point + 1 :]) if point is not None else 0
    )
    magnitude = abs(x)
    exponent = magnitude.adjusted()
    rounded = magnitude.scaleb(-exponent, _WIDE).quantize(
        Decimal(1).scaleb(-decimals), ROUND_HALF_UP, _WIDE
    )
    value = rounded.scaleb(exponent, _WIDE)
    return -value if x < 0 else value


# ---------------------------------------------------------------------------
# Choosing a section


def _holds(condition: tuple[str, Decimal], x: Decimal) -> bool:
    op, limit = condition
    return {
        "<": x < limit,
        "<=": x <= limit,
        ">": x > limit,
        ">=": x >= limit,
        "=": x == limit,
        "<>": x != limit,
    }[op]


def _choose(fmt: FormatCode, x: Decimal) -> tuple[_Section, bool]:
    """The section for number ``x`` and whether it shows the value without its sign."""
    sections = list(fmt.sections)
    # A last section with @ (and fewer than four) is for text only.
    if len(sections) < 4 and len(sections) > 1 and sections[-1].kind == "text":
        sections = sections[:-1]
    first = sections[0]
    second = sections[1] if len(sections) > 1 else None
    if first.condition or (second is not None and second.condition):
        if first.condition and _holds(first.condition, x):
            return first, _negative_only(first.condition)
        if second is not None and second.condition and _holds(second.condition, x):
            return second, _negative_only(second.condition)
        if first.condition and second is not None and not second.condition:
            return second, False
        if len(sections) > 2:
            return sections[2], False
        if first.condition and second is None:
            return first, False
        return sections[-1], False
    if len(sections) == 1:
        return first, False
    if x < 0:
        return sections[1], True
    if x == 0 and len(sections) > 2:
        return sections[2], False
    return first, False


def _negative_only(condition: tuple[str, Decimal]) -> bool:
    """A condition only negative numbers meet (``[<0]``): its section drops the sign."""
    op, limit = condition
    return (op == "<" and limit <= 0) or (op in ("<=", "=") and limit < 0)


# ---------------------------------------------------------------------------
# Rendering


def render(value: object, number_format: str = "General") -> str:
    """``value`` as Excel shows it with ``number_format``.

    Text goes through the text section (``@``); numbers through the section their
    sign (or a ``[>=1000]`` condition) picks, colours ignored. The result keeps
    Excel's spaces (``_)`` padding, ``?`` placeholders): strip it for a table cell.

    >>> render(1234.5, '"$"#,##0')
    '$1,235'
    >>> render(0.256, "0.0%")
    '25.6%'
    >>> render(1.5, "[h]:mm")
    '36:00'
    """
    fmt = parse(number_format)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return _render_text(fmt, value)
    if isinstance(value, dt.datetime | dt.date):
        value = _serial(value)
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return "#NUM!"
    if math.isinf(number):
        return "#NUM!"
    x = _displayed(number)
    section, absolute = _choose(fmt, x)
    if section.kind == "general":
        return _render_general_section(section, x, absolute)
    if section.kind == "date":
        if x < 0 or x >= _LAST_SERIAL:
            return HASHES
        return _render_date(section, x)
    if section.kind == "text":
        return _render_general(abs(x) if absolute else x)
    shown = abs(x) if absolute else x
    return _render_number(section, shown)


def _displayed(number: float) -> Decimal:
    """The decimal Excel works from: the float to 15 significant digits."""
    if number == 0:
        return Decimal(0)
    return Decimal(f"{number:.15g}")


def _serial(value: dt.date) -> float:
    if isinstance(value, dt.datetime):
        day = value.date()
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    else:
        day, seconds = value, 0.0
    serial = (day - dt.date(1899, 12, 30)).days
    if serial < 61:  # Excel's 1900 counts a 29 February that never was
        serial -= 1
    return serial + seconds / 86400


def _render_text(fmt: FormatCode, value: str) -> str:
    sections = fmt.sections
    text_section = None
    if len(sections) == 4:
        text_section = sections[3]
    elif sections[-1].kind == "text":
        text_section = sections[-1]
    if text_section is None:
        return value
    out = []
    for t in text_section.tokens:
        if t.kind == "text":
            out.append(value)
        elif t.kind == "lit":
            out.append(t.text)
    return "".join(out)


def _render_general(x: Decimal) -> str:
    """General in a column wide enough: up to 15 significant digits, scientific for
    very large and very small numbers."""
    if x == 0:
        return "0"
    magnitude = abs(x)
    if Decimal("1e-5") <= magnitude < Decimal("1e16"):
        text = format(x, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa, exponent = f"{x:E}".split("E")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}E{sign}{abs(int(exponent)):02d}"


def _render_general_section(section: _Section, x: Decimal, absolute: bool) -> str:
    shown = abs(x) if absolute else x
    out = []
    for t in section.tokens:
        if t.kind == "general":
            out.append(_render_general(abs(shown)))
        elif t.kind == "lit":
            out.append(t.text)
    text = "".join(out)
    return "-" + text if shown < 0 else text


def _render_number(section: _Section, x: Decimal) -> str:
    tokens = section.tokens
    kinds = [t.kind for t in tokens]
    negative = x < 0
    magnitude = -x if negative else x
    if "slash" in kinds and _is_fraction(tokens):
        body = _fraction(tokens, magnitude)
    elif "exp" in kinds:
        body = _scientific(tokens, magnitude)
    elif "digit" in kinds:
        body = _fixed(tokens, magnitude)
    else:
        body = "".join(t.text for t in tokens if t.kind in ("lit", "percent"))
    return "-" + body if negative else body


def _scale(tokens: tuple[_Token, ...], x: Decimal) -> tuple[Decimal, set[int]]:
    """``x`` multiplied by 100 per % and divided by 1000 per scaling comma; the indexes
    of the commas that scale (the others group thousands or are literal)."""
    # One % or several, the number is shown in hundredths once (as Excel and
    # LibreOffice do); a second % is only a character.
    x = x.scaleb(2 if any(t.kind == "percent" for t in tokens) else 0, _WIDE)
    scaling: set[int] = set()
    digit_at = [i for i, t in enumerate(tokens) if t.kind == "digit"]
    if not digit_at:
        return x, scaling
    first_digit = digit_at[0]
    boundary = next((i for i, t in enumerate(tokens) if t.kind in ("exp", "slash")), len(tokens))
    for i, t in enumerate(tokens):
        if t.kind != "comma" or i < first_digit or i > boundary:
            continue
        # a comma followed (within the number) by another digit placeholder groups
        # thousands; one after the last placeholder scales by 1000
        rest = tokens[i + 1 : boundary]
        if any(r.kind == "digit" for r in rest):
            continue
        # only a run of commas right after a placeholder scales
        j = i - 1
        while j >= 0 and tokens[j].kind == "comma":
            j -= 1
        if j >= 0 and tokens[j].kind in ("digit", "point"):
            scaling.add(i)
    return x.scaleb(-3 * len(scaling), _WIDE), scaling


def _fixed(tokens: tuple[_Token, ...], x: Decimal) -> str:
    x, scaling = _scale(tokens, x)
    point = next((i for i, t in enumerate(tokens) if t.kind == "point"), None)
    int_tokens = tokens[:point] if point is not None else tokens
    dec_tokens = tokens[point + 1 :] if point is not None else ()
    decimals = sum(t.kind == "digit" for t in dec_tokens)
    rounded = x.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_WIDE)
    digits = format(rounded, "f")
    int_digits, _, frac_digits = digits.partition(".")
    int_digits = int_digits.lstrip("0")
    grouping = any(
        t.kind == "comma" and i not in scaling and _between_digits(int_tokens, i)
        for i, t in enumerate(int_tokens)
    )
    out = _integer_part(int_tokens, int_digits, grouping, scaling)
    if point is not None:
        out += "." + _decimal_part(dec_tokens, frac_digits, point + 1, scaling)
    return out


def _between_digits(tokens: tuple[_Token, ...], i: int) -> bool:
    before = any(t.kind == "digit" for t in tokens[:i])
    after = any(t.kind == "digit" for t in tokens[i + 1 :])
    return before and after


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(p for p in parts if p)


def _integer_part(
    tokens: tuple[_Token, ...], digits: str, grouping: bool, scaling: set[int]
) -> str:
    """Fill the integer placeholders from the right; extra digits go before the first."""
    slots = [i for i, t in enumerate(tokens) if t.kind == "digit"]
    pieces: dict[int, str] = {}
    remaining = digits
    for n, i in enumerate(reversed(slots)):
        last = n == len(slots) - 1
        if last:
            take, remaining = remaining, ""
        else:
            take, remaining = remaining[-1:], remaining[:-1]
        if take:
            pieces[i] = take
        else:
            pieces[i] = {"0": "0", "?": " ", "#": ""}[tokens[i].text]
    if grouping:
        # group the digits actually written (placeholders' zeros included)
        written = "".join(pieces.get(i, "") for i in slots)
        number = written.strip()
        pad = written[: len(written) - len(written.lstrip())]
        grouped = pad + _group(number) if number else written
    out: list[str] = []
    placed = False
    for i, t in enumerate(tokens):
        if t.kind == "digit":
            if grouping:
                if not placed:
                    out.append(grouped)
                    placed = True
            else:
                out.append(pieces[i])
        elif t.kind == "comma":
            if i not in scaling and not _between_digits(tokens, i) and not _after_digits(tokens, i):
                out.append(",")
        elif t.kind in ("lit", "percent"):
            out.append(t.text)
    return "".join(out)


def _after_digits(tokens: tuple[_Token, ...], i: int) -> bool:
    return any(t.kind == "digit" for t in tokens[:i])


def _decimal_part(tokens: tuple[_Token, ...], digits: str, offset: int, scaling: set[int]) -> str:
    slots = [i for i, t in enumerate(tokens) if t.kind == "digit"]
    shown = list(digits)
    # trailing zeros under # vanish, under ? become spaces; stop at a 0 placeholder
    for n in range(len(slots) - 1, -1, -1):
        kind = tokens[slots[n]].text
        if kind == "0" or shown[n] != "0":
            break
        shown[n] = "" if kind == "#" else " "
    out: list[str] = []
    n = 0
    for i, t in enumerate(tokens):
        if t.kind == "digit":
            out.append(shown[n])
            n += 1
        elif t.kind == "comma":
            if i + offset not in scaling:
                out.append(",")
        elif t.kind in ("lit", "percent"):
            out.append(t.text)
    return "".join(out)


def _scientific(tokens: tuple[_Token, ...], x: Decimal) -> str:
    e_at = next(i for i, t in enumerate(tokens) if t.kind == "exp")
    mantissa_tokens = tokens[:e_at]
    exp_tokens = tokens[e_at + 1 :]
    x, _ = _scale(mantissa_tokens, x)
    point = next((i for i, t in enumerate(mantissa_tokens) if t.kind == "point"), None)
    int_tokens = mantissa_tokens[:point] if point is not None else mantissa_tokens
    dec_tokens = mantissa_tokens[point + 1 :] if point is not None else ()
    int_places = max(sum(t.kind == "digit" for t in int_tokens), 1)
    decimals = sum(t.kind == "digit" for t in dec_tokens)
    # Exponents are multiples of the integer placeholders' count: ##0.0E+0 is
    # engineering notation (E+3, E+6…), 0.0E+0 plain scientific.
    if x == 0:
        exponent = 0
        mantissa = Decimal(0)
    else:
        exponent = math.floor(x.adjusted() / int_places) * int_places
        mantissa = x.scaleb(-exponent, _WIDE)
        rounded = mantissa.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP, _WIDE)
        if rounded >= Decimal(10) ** int_places:  # 9.99E+0 rounding up to 10.0
            exponent += int_places
            mantissa = x.scaleb(-exponent, _WIDE)
    rounded = mantissa.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP, _WIDE)
    int_digits, _, frac_digits = format(rounded, "f").partition(".")
    int_digits = int_digits.lstrip("0")
    out = _integer_part(int_tokens, int_digits, False, set())
    if point is not None:
        out += "." + _decimal_part(dec_tokens, frac_digits, point + 1, set())
    sign = tokens[e_at].text
    exp_sign = "-" if exponent < 0 else ("+" if sign == "+" else "")
    exp_places = sum(t.kind == "digit" for t in exp_tokens)
    exp_digits = str(abs(exponent)).rjust(exp_places, "0")
    rest = _integer_part(exp_tokens, exp_digits.lstrip("0") or "0", False, set())
    if exponent == 0 or not exp_digits.lstrip("0"):
        rest = _integer_part(exp_tokens, "", False, set())
        if not rest.strip():
            rest = "0"
    return f"{out}E{exp_sign}{rest}"


def _is_fraction(tokens: tuple[_Token, ...]) -> bool:
    slash = next(i for i, t in enumerate(tokens) if t.kind == "slash")
    before = tokens[slash - 1] if slash else None
    after = tokens[slash + 1] if slash + 1 < len(tokens) else None
    return (
        before is not None
        and before.kind == "digit"
        and after is not None
        and after.kind in ("digit", "denom")
    )


def _fraction(tokens: tuple[_Token, ...], x: Decimal) -> str:
    slash = next(i for i, t in enumerate(tokens) if t.kind == "slash")
    # numerator: the run of placeholders right before the slash
    start = slash
    while start > 0 and tokens[start - 1].kind == "digit":
        start -= 1
    num_tokens = tokens[start:slash]
    end = slash + 1
    while end < len(tokens) and tokens[end].kind in ("digit", "denom"):
        end += 1
    den_tokens = tokens[slash + 1 : end]
    head = tokens[:start]
    tail = tokens[end:]
    whole_slots = [t for t in head if t.kind == "digit"]
    x, _ = _scale(head, x)
    value = Fraction(x)
    fixed = next((int(t.text) for t in den_tokens if t.kind == "denom"), None)
    if whole_slots:
        whole = int(value)
        part = value - whole
    else:
        whole, part = 0, value
    if fixed:
        numerator = int(
            (Decimal(part.numerator) * fixed / Decimal(part.denominator)).quantize(
                Decimal(1), ROUND_HALF_EVEN, _WIDE
            )
        )
        denominator = fixed
    else:
        places = sum(t.kind == "digit" for t in den_tokens)
        approx = part.limit_denominator(10**places - 1)
        numerator, denominator = approx.numerator, approx.denominator
    if whole_slots and numerator == denominator and numerator:
        whole += 1
        numerator = 0
    num_text = str(numerator)
    den_text = str(denominator)
    if whole_slots:
        whole_text = _integer_part(head, str(whole) if whole else "", False, set())
        if numerator == 0:
            # no fraction: the integer, then blanks where the fraction would be
            den_width = 0 if fixed else max(len(den_tokens), len(den_text))
            blank = " " * (len(num_tokens) + 1 + den_width)
            if not whole:
                whole_text = _integer_part(head, "0", False, set())
            return whole_text + blank + _literals(tail)
        return (
            whole_text
            + _pad_left(num_text, num_tokens)
            + "/"
            + _pad_right(den_text, den_tokens)
            + _literals(tail)
        )
    return (
        _literals(head)
        + _pad_left(num_text, num_tokens)
        + "/"
        + _pad_right(den_text, den_tokens)
        + _literals(tail)
    )


def _literals(tokens: tuple[_Token, ...]) -> str:
    return "".join(t.text for t in tokens if t.kind in ("lit", "percent"))


def _pad_left(text: str, slots: tuple[_Token, ...]) -> str:
    width = len(slots)
    if len(text) >= width:
        return text
    fill = "".join(
        {"0": "0", "?": " ", "#": ""}[t.text]
        for t in slots[: width - len(text)]
        if t.kind == "digit"
    )
    return fill + text


def _pad_right(text: str, slots: tuple[_Token, ...]) -> str:
    if any(t.kind == "denom" for t in slots):
        return text
    width = len(slots)
    if len(text) >= width:
        return text
    fill = "".join(
        {"0": "0", "?": " ", "#": ""}[t.text] for t in slots[len(text) :] if t.kind == "digit"
    )
    return text + fill


# ---------------------------------------------------------------------------
# Dates and times


def _render_date(section: _Section, x: Decimal) -> str:
    tokens = section.tokens
    subsec = max((len(t.text) for t in tokens if t.kind == "subsec"), default=0)
    # Excel rounds the time to the smallest unit shown (a second, or a fraction of one)
    unit = Decimal(1).scaleb(-subsec)
    seconds = (x * 86400).quantize(unit, rounding=ROUND_HALF_EVEN, context=_WIDE)
    seconds = seconds.quantize(unit, rounding=ROUND_HALF_UP, context=_WIDE)
    whole_seconds = int(seconds)
    fraction = seconds - whole_seconds
    serial = whole_seconds // 86400
    in_day = whole_seconds % 86400
    hour, minute, second = in_day // 3600, in_day % 3600 // 60, in_day % 60
    year, month, day, weekday = _calendar(serial)
    twelve = any(t.kind == "ampm" for t in tokens)
    out: list[str] = []
    for t in tokens:
        kind, text = t.kind, t.text
        if kind == "lit":
            out.append(text)
        elif kind == "elapsed":
            letter, width = text.strip("[]")[0], len(text.strip("[]"))
            total = {"h": whole_seconds // 3600, "m": whole_seconds // 60, "s": whole_seconds}[
                letter
            ]
            out.append(str(total).rjust(width, "0"))
        elif kind == "minute":
            out.append(str(minute).rjust(len(text), "0"))
        elif kind == "subsec":
            out.append("." + format(fraction, "f").partition(".")[2].ljust(len(text), "0"))
        elif kind == "ampm":
            pm = hour >= 12
            if text.lower() == "a/p":
                out.append(("P" if pm else "A") if text[0].isupper() else ("p" if pm else "a"))
            else:
                out.append("PM" if pm else "AM")
        elif kind == "date":
            out.append(_date_code(text, year, month, day, weekday, hour, minute, second, twelve))
    return "".join(out)


def _date_code(
    code: str,
    year: int,
    month: int,
    day: int,
    weekday: int,
    hour: int,
    minute: int,
    second: int,
    twelve: bool,
) -> str:
    letter, width = code[0], len(code)
    if letter == "y":
        return f"{year % 100:02d}" if width <= 2 else f"{year:04d}"
    if letter == "m":
        if width == 1:
            return str(month)
        if width == 2:
            return f"{month:02d}"
        name = _MONTHS[month - 1]
        return name[:3] if width == 3 else name[0] if width == 5 else name
    if letter == "d":
        if width == 1:
            return str(day)
        if width == 2:
            return f"{day:02d}"
        name = _DAYS[weekday]
        return name[:3] if width == 3 else name
    if letter == "h":
        shown = hour % 12 or 12 if twelve else hour
        return str(shown).rjust(min(width, 2), "0")
    if letter == "s":
        return str(second).rjust(min(width, 2), "0")
    return code


def _calendar(serial: int) -> tuple[int, int, int, int]:
    """Year, month, day and weekday (0 = Sunday) of an Excel 1900-system serial."""
    weekday = (serial + 6) % 7
    if serial == 0:
        return 1900, 1, 0, weekday
    if serial == 60:
        return 1900, 2, 29, weekday
    day = dt.date(1899, 12, 31) + dt.timedelta(days=serial - (1 if serial > 60 else 0))
    return day.year, day.month, day.day, weekday
