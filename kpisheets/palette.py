"""One palette wherever kpisheets shows a figure — the Summary sheet, the Instructions
legend, PDF, HTML and slides — so a colour means the same thing in the meeting room
and in the workbook.

Every text colour is chosen for the fill it stands on: :data:`TEXT_ON_FILL` lists
each pair the outputs use, and ``tests/test_palette.py`` computes their contrast
(WCAG 2.1: at least 4.5:1 for normal text) from these values, so a colour cannot be
changed into an unreadable one.
"""

from __future__ import annotations

from kpisheets.model import Status

WHITE = "#FFFFFF"
INK = "#202124"  # body text
MUTED = "#5F6368"  # secondary text, on white and on the light fills below
RULE = "#DADCE0"
BAND = "#F1F3F4"  # category rows in the PDF

# (fill, text) of each status: strong fills with white text read from across a room;
# amber takes dark text because white on amber does not.
STATUS_COLOURS: dict[Status, tuple[str, str]] = {
    Status.ON_TRACK: ("#2E7D32", WHITE),
    Status.AT_RISK: ("#F2B100", "#3D2C00"),
    Status.OFF_TRACK: ("#C62828", WHITE),
    Status.NO_DATA: ("#6B6B6B", WHITE),
    Status.NO_TARGET: ("#5B7083", WHITE),
}
# A light tint of each status, for backgrounds behind dark text (INK).
STATUS_TINT: dict[Status, str] = {
    Status.ON_TRACK: "#E8F5E9",
    Status.AT_RISK: "#FFF8E1",
    Status.OFF_TRACK: "#FFEBEE",
    Status.NO_DATA: "#F2F2F2",
    Status.NO_TARGET: "#EEF1F4",
}

# Trend text: green when the value moved the good way for its Direction, red the bad
# way, grey when flat. The arrow itself shows which way the value moved.
GOOD = "#2E7D32"
BAD = "#C62828"
TREND_COLOURS: dict[str, str] = {"improving": GOOD, "worsening": BAD, "flat": MUTED}

# The overall-score tile.
SCORE_FILL = "#E8F0FE"
SCORE_TEXT = "#174EA6"
# Lines in charts and sparklines (no text on them).
ACTUAL_COLOUR = "#1A73E8"
TARGET_COLOUR = "#5F6368"
# Slide table header.
HEADER_FILL = "#3C4043"

# The generated sheets (Summary, History, Problems).
NAVY = "#1F3864"  # titles, table header fill, the overall-score tile
SHEET_INK = "#1F1F1F"
SHEET_MUTED = "#595959"
CATEGORY_FILL = "#D9E1F2"
BANNER_FILL = "#FFF2CC"
BANNER_INK = "#7F6000"
WARNING_INK = "#C00000"
ATTENTION_INK = "#9C5700"  # "At risk: …" beside the tiles
STALE_FILL = "#F8CBAD"
STALE_INK = "#833C0B"
ERROR_ROW_FILL = "#FFC7CE"
ERROR_ROW_INK = "#9C0006"
WARNING_ROW_FILL = BANNER_FILL
HISTORY_BAND = "#F2F2F2"

# Every (where, text colour, fill colour) pair an output draws.
TEXT_ON_FILL: tuple[tuple[str, str, str], ...] = (
    *((f"{s.label} badge and tile", text, fill) for s, (fill, text) in STATUS_COLOURS.items()),
    *((f"% of target on the {s.label} tint", INK, tint) for s, tint in STATUS_TINT.items()),
    *((f"trend {name}", colour, WHITE) for name, colour in TREND_COLOURS.items()),
    ("overall score tile", SCORE_TEXT, SCORE_FILL),
    ("body text", INK, WHITE),
    ("secondary text", MUTED, WHITE),
    ("category band", MUTED, BAND),
    ("slide table header", WHITE, HEADER_FILL),
    ("sheet title and category name", NAVY, WHITE),
    ("Summary table header and overall-score tile", WHITE, NAVY),
    ("category row", NAVY, CATEGORY_FILL),
    ("category score", SHEET_MUTED, CATEGORY_FILL),
    ("banner", BANNER_INK, BANNER_FILL),
    ("sheet text", SHEET_INK, WHITE),
    ("legend, subtitles", SHEET_MUTED, WHITE),
    ("Entries changed warning", WARNING_INK, WHITE),
    ("at-risk names beside the tiles", ATTENTION_INK, WHITE),
    ("off-track names beside the tiles", STATUS_COLOURS[Status.OFF_TRACK][0], WHITE),
    ("stale Last entry", STALE_INK, STALE_FILL),
    ("error row on Problems", ERROR_ROW_INK, ERROR_ROW_FILL),
    ("warning row on Problems", SHEET_INK, WARNING_ROW_FILL),
    ("History period labels", SHEET_MUTED, HISTORY_BAND),
    ("History actual", NAVY, WHITE),
)


def contrast(text: str, fill: str) -> float:
    """The WCAG 2.1 contrast ratio of two ``#RRGGBB`` colours (1 to 21).

    >>> round(contrast("#FFFFFF", "#000000"), 1)
    21.0
    """

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(text), luminance(fill)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
