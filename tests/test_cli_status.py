"""`kpisheets status PATH --format json|table|csv` on a workbook written by XlsxWriter
(docs/exports.md, "CSV and JSON"): the JSON fields, the figures, the table, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpisheets.cli import cli
from tests.builders import simple_tracker_sheets, write_workbook
from tests.conftest import ROOT, requires_libreoffice

KPI_FIELDS = {
    "id", "name", "category", "owner", "unit", "direction", "aggregation", "frequency",
    "period", "actual", "target", "expected", "achievement", "score", "status", "forecast",
    "previous", "change", "trend", "last_entry", "stale", "note", "history",
}  # fmt: skip
STATUSES = {"on_track", "at_risk", "off_track", "no_data", "no_target"}


@pytest.fixture(params=[False, True], ids=["range", "table"])
def workbook(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    sheets: dict[str, Sequence[Sequence[Any]]] = {**simple_tracker_sheets()}
    return write_workbook(tmp_path / "t.xlsx", sheets, as_tables=request.param)


def status_json(path: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["status", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def is_iso_date(text: Any) -> bool:
    return isinstance(text, str) and dt.date.fromisoformat(text).isoformat() == text


def test_status_json_has_the_documented_fields(workbook: Path) -> None:
    data = status_json(workbook)
    assert set(data) >= {"title", "as_of", "kpis", "categories", "overall", "problems"}
    assert data["title"] == "Team KPIs"
    assert data["as_of"] == "2026-11-20"  # Settings › As of
    assert [k["id"] for k in data["kpis"]] == ["SALES", "CHURN", "NPS"]
    for k in data["kpis"]:
        assert set(k) >= KPI_FIELDS
        assert k["direction"] in {"higher", "lower", "range"}
        assert k["aggregation"] == k["aggregation"].lower()
        assert k["frequency"] == k["frequency"].lower()
        assert k["status"] in STATUSES
        assert set(k["period"]) >= {"start", "end", "label", "elapsed"}
        assert is_iso_date(k["period"]["start"]) and is_iso_date(k["period"]["end"])
        for name in ("actual", "target", "expected", "achievement", "score", "forecast",
                     "previous", "change"):  # fmt: skip
            assert k[name] is None or isinstance(k[name], int | float)
        assert k["last_entry"] is None or is_iso_date(k["last_entry"])
        assert isinstance(k["stale"], bool)
        assert len(k["history"]) == 12
        for h in k["history"]:
            assert set(h) >= {"start", "value", "target"} and is_iso_date(h["start"])
    assert data["overall"]["kpis"] == 3
    assert {c["name"] for c in data["categories"]} == {"Revenue", "Customers"}


def test_every_json_key_is_named_in_the_docs(workbook: Path) -> None:
    """docs/exports.md names every key `status --format json` gives, at every level."""
    docs = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    section = docs[docs.index("## CSV and JSON") :]
    named = set(re.findall(r"`([a-z_]+)`", section))

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value).union(*(keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value))
        return set()

    data = status_json(workbook)
    found = keys({k: v for k, v in data.items() if k not in ("left_out",)})
    found -= STATUSES  # the overall counts are keyed by status
    assert found - named == set()


def test_status_json_figures(workbook: Path) -> None:
    kpis = {k["id"]: k for k in status_json(workbook)["kpis"]}
    sales = kpis["SALES"]
    # 2500 + 2000 + 1500 by 20 Nov; the December Targets row does not apply yet.
    assert (sales["actual"], sales["target"]) == (6000, 10000)
    assert sales["period"]["label"] == "Nov 2026"
    assert sales["expected"] == pytest.approx(10000 * 20 / 30)
    assert sales["achievement"] == pytest.approx(0.6)
    assert sales["score"] == pytest.approx(0.9)
    assert sales["status"] == "at_risk"
    assert sales["forecast"] == pytest.approx(9000)
    assert (sales["note"], sales["last_entry"], sales["owner"]) == (
        "Slow week",
        "2026-11-16",
        "Ana",
    )
    churn = kpis["CHURN"]
    assert churn["actual"] == pytest.approx(0.05)
    assert (churn["direction"], churn["status"]) == ("lower", "on_track")
    nps = kpis["NPS"]  # Q4 2026: 10, 9, 3 → 100 × (2/3 − 1/3)
    assert nps["actual"] == pytest.approx(100 / 3)
    assert (nps["period"]["label"], nps["frequency"], nps["status"]) == (
        "Q4 2026",
        "quarter",
        "off_track",
    )
    assert nps["note"] == "Unhappy with support"


def test_status_as_of_option_and_future_date_problems(workbook: Path) -> None:
    data = status_json(workbook, "--as-of", "2026-11-10")
    assert data["as_of"] == "2026-11-10"
    sales = next(k for k in data["kpis"] if k["id"] == "SALES")
    assert sales["actual"] == 4500
    future = [p for p in data["problems"] if p["code"] == "future-date"]
    assert [p["cell"] for p in future] == ["Entries!A4", "Entries!A6"]
    assert all(p["severity"] == "warning" for p in future)


def test_status_table(workbook: Path) -> None:
    result = CliRunner().invoke(cli, ["status", str(workbook)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Team KPIs — as of 2026-11-20" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "$6,000" in lines["SALES"] and "At risk" in lines["SALES"] and "60%" in lines["SALES"]
    assert "On track" in lines["CHURN"] and "5.0%" in lines["CHURN"]
    assert "Q4 2026" in lines["NPS"] and "Off track" in lines["NPS"]
    assert "1 on track, 1 at risk, 1 off track" in out


def test_status_csv(workbook: Path) -> None:
    pytest.importorskip("kpisheets.export.tabular")
    result = CliRunner().invoke(cli, ["status", str(workbook), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert len(rows) == 4 and rows[1].startswith("SALES")


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_status_reports_problems_on_stderr_in_every_format(fmt: str, tmp_path: Path) -> None:
    """The figures go to stdout (a CSV stays parseable), the problems to stderr."""
    sheets = simple_tracker_sheets()
    sheets["Entries"].append(["2026-11-03", "SALES", "lots"])
    row = len(sheets["Entries"])
    path = write_workbook(tmp_path / "t.xlsx", sheets)
    result = CliRunner().invoke(cli, ["status", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert f"Entries!C{row}" in result.stderr and "bad-number" in result.stderr
    if fmt != "json":  # JSON lists the problems in its "problems" key as well
        assert f"Entries!C{row}" not in result.stdout
    if fmt == "csv":
        import csv

        rows = list(csv.reader(result.stdout.splitlines()))
        assert rows[0][0] == "id" and {len(r) for r in rows} == {len(rows[0])}


def test_status_of_a_file_that_is_not_a_tracker(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a zip")
    result = CliRunner().invoke(cli, ["status", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_status_bad_as_of_is_a_usage_error(workbook: Path) -> None:
    result = CliRunner().invoke(cli, ["status", str(workbook), "--as-of", "20/11/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


@requires_libreoffice
@pytest.mark.libreoffice
def test_a_tracker_saved_by_libreoffice_gives_the_same_figures(tmp_path: Path) -> None:
    from tests.libreoffice import convert

    sheets: dict[str, Sequence[Sequence[Any]]] = {**simple_tracker_sheets()}
    source = write_workbook(tmp_path / "lo.xlsx", sheets, as_tables=True)
    saved = convert(source, "xlsx", tmp_path / "out")
    original, resaved = status_json(source), status_json(saved)
    assert resaved["kpis"] == original["kpis"]
    assert resaved["overall"] == original["overall"]
