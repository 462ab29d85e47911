"""Driver sentences, actions and funnels in every export (PDF, HTML, Markdown, CSV,
JSON; the slides and the summary workbook have tests of their own), from the sample
trackers, and user text in actions kept as text."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import kpisheets
from kpisheets.export import export_result
from kpisheets.result import Result
from kpisheets.samples import AS_OF
from tests.builders import action, kpi, seg, tracker
from tests.conftest import ROOT

BOUNCE = "Bounce rate 49.7% (41.6% → 49.7%): Mobile 61.5% vs Desktop 32.1%"
NECK = "Bottleneck: Qualified leads → Proposals sent converts 17% against a target of 30%"


def sample(name: str) -> Result:
    return kpisheets.status(ROOT / "sample_workbooks" / f"{name}-kpis.xlsx", AS_OF)


def test_markdown(tmp_path: Path) -> None:
    md = export_result(sample("marketing"), tmp_path / "m.md").read_text(encoding="utf-8")
    assert "## Needs attention" in md and BOUNCE in md
    assert "  - ⚠ Lighter mobile landing page" in md and "_No action planned_" in md
    assert "- ✓ Cost per lead: Pause the two worst ad sets" in md
    md = export_result(sample("sales"), tmp_path / "s.md").read_text(encoding="utf-8")
    assert "## Funnel: Sales funnel · Nov 2026" in md and NECK in md
    assert "| **Proposals sent** ◀ bottleneck | 27 proposals | 47 proposals |" in md


def test_attention_says_the_bottleneck_for_the_stage_it_leads_into() -> None:
    """Proposals sent has no segments; the funnel's bottleneck leads into it, so the
    attention list says where its gap comes from with the bottleneck sentence; the
    other off-track KPIs of the sales sample have neither and keep a blank."""
    from kpisheets.export.meeting import attention

    drivers = {item.kpi.id: item.driver for item in attention(sample("sales"))}
    assert drivers["PROPOSALS"] == NECK
    assert drivers["WIN_RATE"] == "" and drivers["PIPELINE"] == ""
    marketing = {item.kpi.id: item.driver for item in attention(sample("marketing"))}
    assert marketing["BOUNCE_RATE"].startswith(BOUNCE)


def test_html(tmp_path: Path) -> None:
    page = export_result(sample("marketing"), tmp_path / "m.html").read_text(encoding="utf-8")
    assert '<tr class="driver">' in page and "↳ " + BOUNCE in page
    assert '<span class="overdue">⚠</span> Lighter mobile landing page' in page
    assert '<li class="none">No action planned</li>' in page
    page = export_result(sample("sales"), tmp_path / "s.html").read_text(encoding="utf-8")
    assert '<table class="funnel">' in page and '<tr class="bottleneck">' in page
    assert NECK in page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf(tmp_path: Path) -> None:
    def text(name: str) -> str:
        pdf = export_result(sample(name), tmp_path / f"{name}.pdf")
        out = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        return " ".join(out.split())

    marketing = text("marketing")
    first_page = marketing.split("\f")[0]
    assert "↳ " + BOUNCE in first_page  # under the KPI in the table
    assert "Needs attention" in marketing and "No action planned" in marketing
    assert "⚠ Lighter mobile landing page" in marketing
    sales = text("sales")
    assert "Funnel: Sales funnel" in sales and NECK in sales
    assert "Proposals sent ◀ bottleneck" in sales


def test_status_table_at_80_columns() -> None:
    """`status` says what needs attention as the Summary does — the driver sentence
    with a table of the KPI's segments, the actions, "No action planned" — then what
    was done this period with its Result and each funnel as a table with its
    bottleneck, every line of them within 80 columns."""
    from kpisheets.terminal import attention_text, status_table

    for name in ("marketing", "sales"):
        said = attention_text(sample(name), width=80)
        assert said and said in status_table(sample(name), width=80)
        assert all(len(line) <= 80 for line in said.splitlines()), name
    text = status_table(sample("marketing"), width=80)
    block = text.split("Needs attention:\n")[1].split("\n\n")[0]
    bounce = block.split("- Bounce rate (off track)\n")[1].split("\n- ")[0]
    flat = " ".join(bounce.split())
    assert flat.startswith(BOUNCE)
    rows = [line.split() for line in bounce.splitlines()]
    assert ["Segment", "Now", "Before", "Change"] in rows  # a ratio: no Share column
    assert ["Mobile", "61.5%", "53.5%", "+15%"] in rows
    assert ["Desktop", "32.1%", "32.0%", "+1%"] in rows
    assert "OVERDUE: Lighter mobile landing page" in flat
    visits = block.split("- Website visits (at risk)\n")[1].split("\n- ")[0]
    visit_rows = [line.split() for line in visits.splitlines()]
    assert ["Segment", "Now", "Before", "Change", "Share"] in visit_rows
    assert ["Mobile", "18,021", "visits", "13,391", "visits", "+35%", "60%"] in visit_rows
    assert "No action planned." in visits
    done = text.split("Done this period:\n")[1].split("\n\n")[0]
    assert " ".join(done.split()) == (
        "- Cost per lead: Pause the two worst ad sets (Sam, due 6 Nov) → Cost per lead down by $4"
    )

    text = status_table(sample("sales"), width=80)
    funnel = text.split("Funnel: Sales funnel · Nov 2026\n")[1].split("\n\n")[0]
    assert " ".join(funnel.split()).endswith(NECK)
    lines = funnel.splitlines()
    (proposals,) = [line for line in lines if line.strip().startswith("Proposals")]
    assert proposals.split()[-6:] == ["proposals", "60", "proposals", "17%", "34%", "30%"]
    marked = lines[lines.index(proposals) : lines.index(proposals) + 3]
    assert "◀" in " ".join(marked) and "bottleneck" in " ".join(marked)
    assert "Done this period:\n- Win rate: Pricing sheet" in text
    block = text.split("Needs attention:\n")[1].split("\n\n")[0]
    proposals_said = block.split("- Proposals sent (off track)\n")[1].split("\n- ")[0]
    assert " ".join(proposals_said.split()).startswith(NECK)  # where its gap comes from
    assert "Segment" not in proposals_said  # no segments: no empty table


def test_segment_table_with_targets_and_more_segments_than_shown() -> None:
    """Segments with targets get Target and Status columns; past five segments the
    table says how many more there are."""
    from kpisheets.terminal import segments_table

    regions = ["EMEA", "APAC", "Americas", "Nordics", "Benelux", "Iberia", "DACH"]
    entries = [seg("2026-11-02", "S", 700 - 100 * i, r) for i, r in enumerate(regions)]
    entries += [seg("2026-10-02", "S", 100, r) for r in regions]
    targets = [("S", "2026-11-01", 1000, "EMEA")]
    result = kpisheets.compute(tracker([kpi("S", target=5000)], entries, targets, as_of=AS_OF))
    text = segments_table(result.kpi("S"), width=80, indent="  ")
    lines = [line.split() for line in text.splitlines()]
    assert lines[0] == ["Segment", "Now", "Before", "Change", "Share", "Target", "Status"]
    emea = lines[2]
    assert emea[:5] == ["EMEA", "700", "100", "+600%", "25%"] and emea[5] == "1,000"
    assert " ".join(emea[6:]) in {"On track", "At risk", "Off track"}
    assert lines[3][:5] == ["APAC", "600", "100", "+500%", "21%"] and len(lines[3]) == 5
    assert len(lines) == 2 + 5 + 1 and text.splitlines()[-1] == "  and 2 more segments"
    assert all(line.startswith("  ") for line in text.splitlines())


def test_csv_and_json(tmp_path: Path) -> None:
    result = sample("marketing")
    rows = {
        r["id"]: r
        for r in csv.DictReader(
            io.StringIO(export_result(result, tmp_path / "m.csv").read_text(encoding="utf-8-sig"))
        )
    }
    bounce = rows["BOUNCE_RATE"]
    assert bounce["top_driver"] == "Mobile" and bounce["driver"].startswith(BOUNCE)
    assert (bounce["open_actions"], bounce["overdue_actions"]) == ("2", "1")
    assert rows["VISITS"]["no_action_planned"] == "true"
    data = json.loads(export_result(sample("sales"), tmp_path / "s.json").read_text())
    assert data["funnels"][0]["bottleneck"] == {"from": "QUALIFIED", "to": "PROPOSALS"}


def test_action_and_segment_text_stays_text(tmp_path: Path) -> None:
    """User text in actions and segment labels: never markup in HTML or Markdown,
    never a formula in CSV."""
    entries = [
        seg("2026-10-02", "S", 100, "<b>Web</b>"),
        seg("2026-11-02", "S", 10, "<b>Web</b>"),
        seg("2026-11-02", "S", 5, "=cmd|' /C calc'!A0"),
    ]
    actions = [action("S", "<script>alert(1)</script>", owner="[x](http://evil)")]
    result = kpisheets.compute(
        tracker([kpi("S", name="=Sales", target=1000)], entries, actions=actions, as_of=AS_OF)
    )
    page = export_result(result, tmp_path / "h.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Web</b>" not in page and "&lt;b&gt;Web&lt;/b&gt;" in page
    md = export_result(result, tmp_path / "h.md").read_text(encoding="utf-8")
    assert "\\<script\\>" in md and "\\[x\\](http://evil)" in md
    text = export_result(result, tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert row[header.index("driver")].startswith("'=Sales")
