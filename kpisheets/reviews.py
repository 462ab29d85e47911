"""Reviews: what changed since the last meeting.

Each refresh adds a *snapshot* of every KPI — as-of date, status, score, actual,
target, latest entry and a note excerpt — and of its problems (grouped by code, KPI
and sheet) to the ``Snapshots`` sheet, which kpisheets owns and keeps across
refreshes: a snapshot of the same as-of date is replaced, the newest
:data:`KEEP_SNAPSHOTS` are kept. The refresh reads the earlier snapshots from the
workbook (:mod:`kpisheets.read.owned`) before it rewrites the sheet.

The **last review** is the newest snapshot at least *Review every* days (Settings,
default 7) before the as-of date. :func:`compare` lists what moved since then: status
changes, scores that moved by :data:`SCORE_MOVE` (10 points) or more, KPIs that got
their first entry, and problems that are new. The Summary and every export open with
it ("Since 21 Nov 2026"), and ``status --format json`` carries it as ``since``.
docs/generated-sheets.md describes the sheet and the block.

Nothing here imports an Excel library.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpisheets.errors import UsageError
from kpisheets.formatting import finite, percent, shorten
from kpisheets.model import Problem, RawTable, Status, normalise_name

if TYPE_CHECKING:
    from kpisheets.model import Tracker
    from kpisheets.result import Result

SNAPSHOTS_SHEET = "Snapshots"
KEEP_SNAPSHOTS = 500  # as-of dates kept on the Snapshots sheet, newest first
SCORE_MOVE = 0.10  # a score move of 10 points or more is news
SNAPSHOT_NOTE_CHARS = 80
PROBLEM_CELLS = 10  # cells remembered per problem group, to tell new ones from old
LISTED = 6  # KPIs or problems named on one line of the block before "and N more"

# The Snapshots sheet: banner, a sentence, then the table with these columns and widths
# from row SNAPSHOT_HEADER_ROW (0-based; the reader finds it by its first header, "As of").
SNAPSHOT_HEADER_ROW = 2
# KPI rows fill As of … Note; problem rows fill As of, KPI (if any), Name (the sheet),
# Problem, Severity, Count and Cells (space-separated references).
SNAPSHOT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("As of", 12),
    ("KPI", 14),
    ("Name", 28),
    ("Status", 11),
    ("Score", 8),
    ("Actual", 13),
    ("Target", 13),
    ("Last entry", 12),
    ("Note", 40),
    ("Problem", 22),
    ("Severity", 9),
    ("Count", 8),
    ("Cells", 40),
)
_CELL_REF = re.compile(r"'(?:[^']|'')+'!\S+|\S+")  # a quoted sheet name may hold spaces
_STATUS_BY_LABEL = {normalise_name(s.label): s for s in Status}


# ---------------------------------------------------------------------------
# Snapshots


@dataclass(frozen=True)
class KpiSnapshot:
    """One KPI as one refresh saw it."""

    id: str
    name: str
    status: Status | None
    score: float | None
    actual: float | None
    target: float | None
    last_entry: dt.date | None
    note: str = ""


@dataclass(frozen=True)
class ProblemGroup:
    """The problems of one code, KPI and sheet at one refresh: how many, and the first
    :data:`PROBLEM_CELLS` cells (all of them when ``count`` is no larger)."""

    code: str
    severity: str
    kpi: str
    sheet: str
    count: int
    cells: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.code, self.kpi.lower(), self.sheet.lower())

    @property
    def complete(self) -> bool:
        """Whether ``cells`` lists every cell of the group."""
        return self.count <= len(self.cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "kpi": self.kpi or None,
            "sheet": self.sheet or None,
            "count": self.count,
            "cells": list(self.cells),
        }


@dataclass
class Snapshot:
    """Every KPI and problem group at one as-of date."""

    as_of: dt.date
    kpis: dict[str, KpiSnapshot] = field(default_factory=dict)  # lower-case ID →
    problems: dict[tuple[str, str, str], ProblemGroup] = field(default_factory=dict)


def take_snapshot(result: Result) -> Snapshot:
    """The snapshot a refresh at ``result.as_of`` adds."""
    snapshot = Snapshot(result.as_of)
    for k in result.kpis:
        snapshot.kpis[k.id.lower()] = KpiSnapshot(
            id=k.id,
            name=k.name,
            status=k.status,
            score=finite(k.score),
            actual=finite(k.actual),
            target=finite(k.target),
            last_entry=k.last_entry,
            note=shorten(k.note, SNAPSHOT_NOTE_CHARS),
        )
    for group in group_problems(result.problems):
        snapshot.problems[group.key] = group
    return snapshot


def group_problems(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Problems grouped by code, KPI and sheet, in the order first seen."""
    groups: dict[tuple[str, str, str], list[Problem]] = {}
    for p in problems:
        key = (p.code, (p.kpi or "").lower(), (p.sheet or "").lower())
        groups.setdefault(key, []).append(p)
    out = []
    for members in groups.values():
        first = members[0]
        cells = tuple(c for c in (p.cell for p in members[:PROBLEM_CELLS]) if c)
        out.append(
            ProblemGroup(
                code=first.code,
                severity=first.severity,
                kpi=first.kpi or "",
                sheet=first.sheet or "",
                count=len(members),
                cells=cells,
            )
        )
    return out


def keep_snapshots(
    earlier: Sequence[Snapshot], new: Snapshot, limit: int = KEEP_SNAPSHOTS
) -> list[Snapshot]:
    """``earlier`` with ``new`` added, a snapshot of the same as-of date replaced,
    newest first, at most ``limit``.

    >>> old = [Snapshot(dt.date(2026, 11, d)) for d in (7, 14, 21)]
    >>> [s.as_of.day for s in keep_snapshots(old, Snapshot(dt.date(2026, 11, 14)), limit=2)]
    [21, 14]
    """
    kept = {s.as_of: s for s in earlier}
    kept[new.as_of] = new
    return sorted(kept.values(), key=lambda s: s.as_of, reverse=True)[:limit]


def last_review(
    snapshots: Iterable[Snapshot], as_of: dt.date, review_every: int
) -> Snapshot | None:
    """The newest snapshot at least ``review_every`` days before ``as_of``.

    >>> snaps = [Snapshot(dt.date(2026, 11, d)) for d in (7, 14, 21, 28)]
    >>> last_review(snaps, dt.date(2026, 11, 28), 7).as_of
    datetime.date(2026, 11, 21)
    >>> last_review(snaps, dt.date(1, 1, 3), 7) is None
    True
    """
    latest_day = as_of.toordinal() - max(review_every, 0)
    if latest_day < 1:
        return None  # an as-of date in year 1's first days: nothing can be that old
    latest = dt.date.fromordinal(latest_day)
    candidates = [s for s in snapshots if s.as_of <= latest]
    return max(candidates, key=lambda s: s.as_of, default=None)


def chosen_review(snapshots: Sequence[Snapshot], on: dt.date, as_of: dt.date) -> Snapshot:
    """The snapshot ``status --since DATE`` compares with: the newest taken on or
    before ``on`` (and before the as-of date). Raises :class:`UsageError` naming the
    dates there are when there is none."""
    candidates = [s for s in snapshots if s.as_of <= on and s.as_of < as_of]
    if candidates:
        return max(candidates, key=lambda s: s.as_of)
    dates = sorted({s.as_of for s in snapshots if s.as_of < as_of}, reverse=True)
    if not dates:
        raise UsageError(
            f"The tracker has no snapshot before {as_of.isoformat()} to compare with: "
            "each refresh adds one to the Snapshots sheet, so refresh it before each "
            "meeting and compare with an earlier one next time."
        )
    shown = ", ".join(d.isoformat() for d in dates[:5])
    more = f" and {len(dates) - 5} earlier" if len(dates) > 5 else ""
    raise UsageError(
        f"The tracker has no snapshot on or before {on.isoformat()}; it has {shown}{more}. "
        "Give one of those dates to --since."
    )


# ---------------------------------------------------------------------------
# What changed


@dataclass(frozen=True)
class KpiChange:
    """One KPI compared with the review: its status and score then and now."""

    id: str
    name: str
    status_before: Status | None
    status: Status
    score_before: float | None
    score: float | None

    @property
    def points(self) -> float | None:
        """The score's move in points (0.12 → 12.0), None without both scores."""
        if self.score is None or self.score_before is None:
            return None
        return (self.score - self.score_before) * 100

    def to_dict(self) -> dict[str, Any]:
        points = self.points
        return {
            "id": self.id,
            "name": self.name,
            "status_before": self.status_before.value if self.status_before else None,
            "status": self.status.value,
            "score_before": finite(self.score_before),
            "score": finite(self.score),
            "points": None if points is None else round(points, 6),
        }


@dataclass(frozen=True)
class FirstEntry:
    """A KPI whose first entry arrived since the review."""

    id: str
    name: str
    date: dt.date

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "date": self.date.isoformat()}


@dataclass(frozen=True)
class NewProblems:
    """Problems of one code, KPI and sheet that were not there at the review."""

    group: ProblemGroup  # as it is now
    before: int  # how many there were at the review
    new: int  # how many are new
    cells: tuple[str, ...]  # the new ones' cells (the first few)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.group.to_dict(),
            "before": self.before,
            "new": self.new,
            "new_cells": list(self.cells),
        }


@dataclass
class Since:
    """What changed between the review snapshot (``date``) and the result's as-of.

    ``date`` is None when the Snapshots sheet has no snapshot old enough to be the
    last review (a new tracker, or refreshes closer together than Review every).
    ``chosen`` says that the date was asked for (``status --since``).
    """

    as_of: dt.date
    date: dt.date | None
    review_every: int
    chosen: bool = False
    status_changes: list[KpiChange] = field(default_factory=list)
    score_moves: list[KpiChange] = field(default_factory=list)
    first_entries: list[FirstEntry] = field(default_factory=list)
    new_problems: list[NewProblems] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """True when there was a review and nothing on the four lists moved."""
        return self.date is not None and not (
            self.status_changes or self.score_moves or self.first_entries or self.new_problems
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``since`` object of ``status --format json``."""
        return {
            "date": self.date.isoformat() if self.date else None,
            "review_every": self.review_every,
            "chosen": self.chosen,
            "status_changes": [c.to_dict() for c in self.status_changes],
            "score_moves": [c.to_dict() for c in self.score_moves],
            "first_entries": [f.to_dict() for f in self.first_entries],
            "new_problems": [p.to_dict() for p in self.new_problems],
        }


def compare(
    result: Result, review: Snapshot | None, review_every: int = 7, chosen: bool = False
) -> Since:
    """What changed in ``result`` since the ``review`` snapshot (None: no review yet)."""
    since = Since(result.as_of, review.as_of if review else None, review_every, chosen)
    if review is None:
        return since
    for k in result.kpis:
        before = review.kpis.get(k.id.lower())
        score = finite(k.score)
        first = (before is None or before.last_entry is None) and k.last_entry is not None
        if first:
            assert k.last_entry is not None
            since.first_entries.append(FirstEntry(k.id, k.name, k.last_entry))
        if before is None:
            continue
        change = KpiChange(k.id, k.name, before.status, k.status, before.score, score)
        # A first entry ends "No data" by definition: it is listed as a first entry.
        if before.status is not None and before.status is not k.status and not first:
            since.status_changes.append(change)
        points = change.points
        if points is not None and abs(points) >= SCORE_MOVE * 100 - 1e-9:
            since.score_moves.append(change)
    for group in group_problems(result.problems):
        old = review.problems.get(group.key)
        count_before = old.count if old else 0
        old_cells = set(old.cells) if old else set()
        new_cells = tuple(c for c in group.cells if c not in old_cells)
        if old is None or (old.complete and group.complete):
            new = len(new_cells) if group.cells else max(group.count - count_before, 0)
        else:
            new = max(group.count - count_before, 0)
            new_cells = new_cells[:new]
        if new > 0:
            since.new_problems.append(NewProblems(group, count_before, new, new_cells))
    return since


def review_of(
    result: Result,
    snapshots: Sequence[Snapshot],
    review_every: int = 7,
    on: dt.date | None = None,
) -> Since:
    """Compare ``result`` with its last review, or with the snapshot of ``on``."""
    if on is not None:
        return compare(result, chosen_review(snapshots, on, result.as_of), review_every, True)
    return compare(result, last_review(snapshots, result.as_of, review_every), review_every)


def review(result: Result, tracker: Tracker, on: dt.date | None = None) -> list[Snapshot]:
    """Set ``result.since`` from the tracker's Snapshots sheet and return the snapshots
    the refresh writes back (the earlier ones with this refresh's added).

    ``on`` compares with the snapshot of that date instead of the last review.
    """
    earlier = snapshots_from_table(tracker.kept.get(SNAPSHOTS_SHEET))
    result.since = review_of(result, earlier, tracker.settings.review_every, on)
    return keep_snapshots(earlier, take_snapshot(result))


# ---------------------------------------------------------------------------
# The block as people read it (Summary sheet and every export)


def day(date: dt.date) -> str:
    """``21 Nov 2026``: how the block names a date (as the Summary's ``d mmm yyyy``)."""
    return f"{date.day} {date:%b %Y}"


def since_heading(since: Since) -> str:
    """``Since 21 Nov 2026`` (with what it is), or what there is to compare with."""
    if since.date is None:
        return "Since the last review"
    # --since takes the newest snapshot on or before the date given, often earlier
    kind = "the snapshot asked for" if since.chosen else "last review"
    return f"Since {day(since.date)} ({kind})"


def since_lines(since: Since) -> list[tuple[str, str]]:
    """The block's lines as (label, text): status changes, score moves, first
    entries, new problems — only those with something to say."""
    if since.date is None:
        return [
            (
                "",
                f"No earlier refresh at least {since.review_every} days before "
                f"{day(since.as_of)} to compare with yet; this refresh is kept on the "
                "Snapshots sheet for the next review.",
            )
        ]
    if since.quiet:
        return [
            (
                "",
                "No status changes, no score moves of 10 points or more, no first entries "
                "and no new problems.",
            )
        ]
    lines: list[tuple[str, str]] = []
    moved = {c.id for c in since.status_changes}
    if since.status_changes:
        lines.append(("Status", _listed([_status_text(c) for c in since.status_changes])))
    score_only = [c for c in since.score_moves if c.id not in moved]
    if score_only:
        lines.append(("Score", _listed([_score_text(c) for c in score_only])))
    if since.first_entries:
        lines.append(
            (
                "First entries",
                _listed([f"{f.name} ({day(f.date)})" for f in since.first_entries]),
            )
        )
    if since.new_problems:
        lines.append(("New problems", _listed([_problem_text(p) for p in since.new_problems])))
    return lines


def since_sentences(since: Since) -> list[str]:
    """The block as whole sentences, e.g. for speaker notes."""
    out = [since_heading(since) + ":"]
    for label, text in since_lines(since):
        out.append(f"{label}: {text}." if label else text)
    return out


def _status_text(c: KpiChange) -> str:
    before = c.status_before.label if c.status_before else "—"
    text = f"{c.name} {before} → {c.status.label}"
    if c.points is not None and abs(c.points) >= SCORE_MOVE * 100 - 1e-9:
        text += f" (score {percent(c.score_before)} → {percent(c.score)})"
    return text


def _score_text(c: KpiChange) -> str:
    points = c.points or 0.0
    sign = "+" if points > 0 else "−"
    return (
        f"{c.name} {percent(c.score_before)} → {percent(c.score)} "
        f"({sign}{abs(round(points)):.0f} pts)"
    )


def _problem_text(p: NewProblems) -> str:
    g = p.group
    where = f" on {g.kpi}" if g.kpi and not p.cells else ""
    cells = ""
    if p.cells:
        shown = ", ".join(p.cells[:3])
        cells = f" ({shown}{', …' if p.new > 3 else ''})"
    return f"{p.new} {g.code}{where}{cells}"


def _listed(items: list[str]) -> str:
    shown = items[:LISTED]
    text = " · ".join(shown)
    if len(items) > len(shown):
        text += f" and {len(items) - len(shown)} more"
    return text


# ---------------------------------------------------------------------------
# The Snapshots sheet: reading it back and laying it out


def snapshots_from_table(table: RawTable | None) -> list[Snapshot]:
    """The snapshots on a Snapshots sheet as read back (newest first).

    Rows that cannot be read — a date that is not a date, a row typed over by hand —
    are skipped: the sheet is kpisheets' own record, and a damaged row must not stop
    a refresh.
    """
    if table is None or not table.rows:
        return []
    columns = table.columns
    at = {name: columns.get(normalise_name(name)) for name, _ in SNAPSHOT_COLUMNS}

    def get(row: list[Any], name: str) -> Any:
        i = at[name]
        return row[i] if i is not None and i < len(row) else None

    snapshots: dict[dt.date, Snapshot] = {}
    for row in table.rows:
        as_of = _date(get(row, "As of"))
        kpi = _text(get(row, "KPI"))
        if as_of is None:
            continue
        snap = snapshots.setdefault(as_of, Snapshot(as_of))
        code = _text(get(row, "Problem"))
        if code:
            count = _number(get(row, "Count"))
            cells = tuple(_CELL_REF.findall(_text(get(row, "Cells"))))
            group = ProblemGroup(
                code=code,
                severity=_text(get(row, "Severity")).lower() or "warning",
                kpi=kpi,
                sheet=_text(get(row, "Name")),  # problem rows keep their sheet in Name
                count=int(count) if count is not None else len(cells),
                cells=cells,
            )
            snap.problems[group.key] = group
        elif kpi:
            snap.kpis[kpi.lower()] = KpiSnapshot(
                id=kpi,
                name=_text(get(row, "Name")) or kpi,
                status=_STATUS_BY_LABEL.get(normalise_name(get(row, "Status"))),
                score=_number(get(row, "Score")),
                actual=_number(get(row, "Actual")),
                target=_number(get(row, "Target")),
                last_entry=_date(get(row, "Last entry")),
                note=_text(get(row, "Note")),
            )
    return sorted(snapshots.values(), key=lambda s: s.as_of, reverse=True)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
