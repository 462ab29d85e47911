"""Every output reads each KPI's figures exactly as the workbook shows them.

Three sample trackers are refreshed and exported as a user would (`kpisheets refresh`,
`kpisheets export -o …`, `kpisheets status`); LibreOffice — its own number-format
engine, not kpisheets' — renders the refreshed workbook's Summary sheet and the summary
workbook to CSV. For every KPI, the PDF's text, the HTML, the Markdown, the slides'
tables, the summary workbook and the `status` table must show the same Actual, Target,
Expected by now and % of target as the Summary sheet, and the same trend arrow.
"""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

import kpisheets
from kpisheets.cli import cli
from kpisheets.samples import AS_OF, sample_file_name
from tests.conftest import ROOT, requires_libreoffice
from tests.libreoffice import pdf_text, sheets_as_csv

pytestmark = [pytest.mark.libreoffice, requires_libreoffice]

# Samples with every kind of figure: currencies, % of fractions, words, a Count, an
# Average, Formula ratios with a Format ("0.00%", '"$"#,##0.00'), an NPS without Unit,
# a '0.0 "hours"' Format, weekly, quarterly and yearly KPIs.
SAMPLES = ("sales", "marketing", "customer-success")
ARROWS = "▲▼▶"


@dataclass(frozen=True)
class Shown:
    """What one output shows for a KPI: Actual, Target, Expected by now, % of target,
    and the trend arrow ("" when there is none). A missing figure is a blank cell on a
    sheet and "—" in the exports: both read as ""."""

    figures: tuple[str, str, str, str]
    arrow: str

    def __post_init__(self) -> None:
        figures = tuple("" if f == "—" else f for f in self.figures)
        object.__setattr__(self, "figures", figures)


def _arrow(text: str) -> str:
    text = text.strip()
    return text[0] if text and text[0] in ARROWS else ""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("agreement")
    runner = CliRunner()
    as_of = AS_OF.isoformat()
    made: dict[str, dict[str, Path]] = {}
    for name in SAMPLES:
        book = folder / sample_file_name(name)
        shutil.copy(ROOT / "sample_workbooks" / sample_file_name(name), book)
        out = runner.invoke(cli, ["refresh", str(book), "--as-of", as_of])
        assert out.exit_code == 0, out.output
        files = {kind: folder / f"{name}-export.{kind}" for kind in ("pdf", "html", "md", "pptx")}
        files["xlsx"] = folder / f"{name}-summary.xlsx"
        args = ["export", str(book), "--as-of", as_of]
        for path in files.values():
            args += ["-o", str(path)]
        out = runner.invoke(cli, args)
        assert out.exit_code == 0, out.output
        out = runner.invoke(cli, ["status", str(book), "--as-of", as_of], env={"COLUMNS": "400"})
        assert out.exit_code == 0, out.output
        files["status"] = folder / f"{name}-status.txt"
        files["status"].write_text(out.stdout, encoding="utf-8")
        made[name] = {"book": book, **files}
    books = [m["book"] for m in made.values()] + [m["xlsx"] for m in made.values()]
    csvs = sheets_as_csv(books, folder / "csv")
    for m in made.values():
        m["sheet"] = csvs[f"{m['book'].stem}-Summary"]
        m["summary-xlsx"] = csvs[f"{m['xlsx'].stem}-Summary"]
    return made


def _kpis(book: Path) -> list[tuple[str, str]]:
    """(ID, name) of every KPI shown, in the Summary's order."""
    result = kpisheets.status(book, as_of=AS_OF)
    return [(k.id, k.name) for k in result.kpis]


# --- readers, one per output -------------------------------------------------------


def from_sheet_csv(path: Path, names: set[str]) -> dict[str, Shown]:
    """The KPI table of a Summary sheet as LibreOffice displays it: from its header row
    (KPI, Owner, Actual…) to the legend."""
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    start = next(i for i, r in enumerate(rows) if r[:3] == ["KPI", "Owner", "Actual"])
    header = rows[start]
    at = {
        h: header.index(h) for h in ("Actual", "Target", "Expected by now", "% of target", "Trend")
    }
    shown: dict[str, Shown] = {}
    for row in rows[start + 1 :]:
        if row and row[0].startswith("Expected by now:"):
            break
        if row and row[0] in names:
            shown[row[0]] = Shown(
                (row[at["Actual"]], row[at["Target"]], row[at["Expected by now"]],
                 row[at["% of target"]]),
                _arrow(row[at["Trend"]]),
            )  # fmt: skip
    return shown


def from_markdown(path: Path, ids: dict[str, str]) -> dict[str, Shown]:
    """The KPI tables of the Markdown export (cells split on unescaped pipes)."""
    shown: dict[str, Shown] = {}
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [re.sub(r"\\(.)", r"\1", c).strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if "Actual" in cells:
            header = cells
            continue
        if not header or set(cells[0]) <= set("-:"):
            continue
        kpi = re.search(r"\(([^()]+)\)$", cells[header.index("KPI")])
        if kpi and kpi.group(1) in ids:
            pick = [cells[header.index(h)] for h in ("Actual", "Target", "Expected", "% of target")]
            shown[ids[kpi.group(1)]] = Shown(tuple(pick), _arrow(cells[header.index("Trend")]))
    return shown


def from_html(path: Path) -> dict[str, Shown]:
    """The KPI rows of the HTML export: a row header with the name, cells by data-label."""
    tree = lxml_html.fromstring(path.read_bytes())
    shown: dict[str, Shown] = {}
    for row in tree.iter("tr"):
        name = row.xpath("./th[@scope='row']//div[@class='kpi-name']")
        cells = {td.get("data-label"): td.text_content().strip() for td in row.iter("td")}
        if name and "Actual" in cells:
            shown[name[0].text_content().strip()] = Shown(
                (cells["Actual"], cells["Target"], cells["Expected"], cells["% of target"]),
                _arrow(cells.get("Trend", "")),
            )
    return shown


def from_pptx(path: Path, ids: dict[str, str]) -> dict[str, Shown]:
    """The summary tables of the slides (header row with Actual), KPI as "Name (ID)"."""
    from pptx import Presentation

    shown: dict[str, Shown] = {}
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            rows = [[c.text for c in r.cells] for r in shape.table.rows]
            header = rows[0]
            if "Actual" not in header:
                continue
            for row in rows[1:]:
                kpi = re.search(r"\(([^()]+)\)$", row[header.index("KPI")])
                if kpi and kpi.group(1) in ids:
                    pick = [row[header.index(h)]
                            for h in ("Actual", "Target", "Expected by now", "% of target")]  # fmt: skip
                    shown[ids[kpi.group(1)]] = Shown(
                        tuple(pick),
                        _arrow(row[header.index("Trend")]),
                    )
    return shown


def from_status(path: Path, ids: dict[str, str]) -> dict[str, Shown]:
    """The `kpisheets status` table, columns cut where its rule of dashes is cut."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans = [m.span() for m in re.finditer(r"-+", lines[rule])]

    def cut(line: str) -> list[str]:
        return [line[a:b].strip() for a, b in spans]

    header = cut(lines[rule - 1])
    shown: dict[str, Shown] = {}
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        cells = cut(line.ljust(spans[-1][1]))
        if cells[0] in ids:
            pick = [cells[header.index(h)] for h in ("Actual", "Target", "Expected", "% of target")]
            shown[ids[cells[0]]] = Shown(tuple(pick), _arrow(cells[header.index("Trend")]))
    return shown


def pdf_in_order(path: Path, expected: list[tuple[str, Shown]]) -> list[str]:
    """The KPIs whose figures (and arrow) the PDF's text does not show, in order: each
    KPI's four figures must follow each other on one line, after the previous KPI's."""
    text = pdf_text(path)
    missing, position = [], 0
    for name, want in expected:
        pattern = r"\s+".join(re.escape(f or "—") for f in want.figures)
        if want.arrow:
            pattern += r"\s+" + want.arrow
        found = re.compile(pattern).search(text, position)
        if found is None:
            missing.append(f"{name}: {want}")
        else:
            position = found.end()
    return missing


# --- the test ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_output_shows_the_figures_the_summary_sheet_shows(
    outputs: dict[str, dict[str, Path]], name: str
) -> None:
    files = outputs[name]
    kpis = _kpis(files["book"])
    ids = dict(kpis)
    names = set(ids.values())
    sheet = from_sheet_csv(files["sheet"], names)
    assert set(sheet) == names, f"the Summary sheet lacks {names - set(sheet)}"
    assert any(s.arrow for s in sheet.values())  # the comparison covers trend arrows

    readers = {
        "summary workbook": from_sheet_csv(files["summary-xlsx"], names),
        "Markdown": from_markdown(files["md"], ids),
        "HTML": from_html(files["html"]),
        "slides": from_pptx(files["pptx"], ids),
        "status": from_status(files["status"], ids),
    }
    for output, shown in readers.items():
        differ = [
            f"{kpi}: sheet {sheet[kpi]} · {output} {shown.get(kpi)}"
            for kpi in sorted(names)
            if shown.get(kpi) != sheet[kpi]
        ]
        assert not differ, f"{name}: {output} differs from the Summary sheet:\n" + "\n".join(differ)
    in_order = [(n, sheet[n]) for _, n in kpis]
    assert not pdf_in_order(files["pdf"], in_order), pdf_in_order(files["pdf"], in_order)


def test_the_readers_see_a_difference(outputs: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    """The comparison can fail: one figure changed in a copy of the Markdown and of the
    slides is found."""
    files = outputs["sales"]
    ids = dict(_kpis(files["book"]))
    sheet = from_sheet_csv(files["sheet"], set(ids.values()))
    markdown = files["md"].read_text(encoding="utf-8").replace("| $294,600 |", "| $294,601 |")
    changed = tmp_path / "changed.md"
    changed.write_text(markdown, encoding="utf-8")
    assert from_markdown(changed, ids)["Revenue (closed won)"] != sheet["Revenue (closed won)"]
    deck = tmp_path / "changed.pptx"
    with zipfile.ZipFile(files["pptx"]) as src, zipfile.ZipFile(deck, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("ppt/slides/slide") and b"Sales growth" in data:
                data = data.replace(b">16.0%<", b">16%<", 1)
            dst.writestr(item, data)
    assert from_pptx(deck, ids)["Sales growth (year on year)"].figures[0] == "16%"
    assert pdf_in_order(files["pdf"], [("x", Shown(("$294,601", "$1", "$2", "3%"), ""))])
