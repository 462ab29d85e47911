"""CSV and JSON exports, the suffix dispatch and the atomic write."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpisheets.calc import compute
from kpisheets.cli import cli
from kpisheets.errors import UsageError
from kpisheets.export import KNOWN_SUFFIXES, export_result
from kpisheets.export.tabular import CSV_COLUMNS, neutralise, result_csv
from tests.builders import kpi, tracker
from tests.export_results import AS_OF, HOSTILE, hostile_result, sample_result


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_kpi_with_the_figures() -> None:
    result = sample_result()
    rows = _rows(result_csv(result))
    assert [r["id"] for r in rows] == [k.id for k in result.kpis]
    assert list(rows[0]) == list(CSV_COLUMNS)
    for row, k in zip(rows, result.kpis, strict=True):
        for column in ("actual", "target", "expected", "achievement", "score", "forecast"):
            value = getattr(k, column)
            assert (float(row[column]) if row[column] else None) == value, (k.id, column)
        assert row["status"] == k.status.value
        assert row["period_start"] == k.period.start.isoformat()
        assert row["name"] == k.name
    enps = next(r for r in rows if r["id"] == "ENPS")
    assert enps["actual"] == "" and enps["status"] == "no_data"


def test_csv_neutralises_formula_text_but_keeps_negative_numbers() -> None:
    rows = _rows(result_csv(hostile_result()))
    evil, evil2, evil3 = rows
    assert evil["note"] == "'" + HOSTILE[1]
    assert evil["owner"] == "'" + HOSTILE[1]
    assert evil["actual"] == "-5"  # a real number stays a number
    assert float(evil["achievement"]) == pytest.approx(-0.05)
    assert evil2["owner"] == "'@admin"
    assert evil2["note"] == "'" + HOSTILE[3]
    assert evil3["name"] == "'-2+3"
    assert evil3["category"] == "'+cat"
    assert evil3["owner"] == "'\tTab"
    for row in rows:
        for column in ("name", "category", "owner", "note", "unit"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), (column, row)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_neutralise_every_trigger(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_csv_and_json_files(tmp_path: Path) -> None:
    result = sample_result()
    out = export_result(result, tmp_path / "figures.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for UTF-8
    rows = _rows(raw.decode("utf-8-sig"))
    assert rows[2]["owner"] == "Łukasz Wójcik"
    out = export_result(result, tmp_path / "status.json")
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(result.to_dict()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures.csv", "status.json"]


def test_unknown_suffix_is_a_usage_error_listing_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        export_result(sample_result(), tmp_path / "summary.docx")
    for suffix in KNOWN_SUFFIXES:
        assert suffix in str(info.value)
    assert not list(tmp_path.iterdir())


def test_cli_unknown_suffix_exits_2(tmp_path: Path) -> None:
    book = tmp_path / "tracker.xlsx"
    book.write_bytes(b"not read before the suffix is checked")
    run = CliRunner().invoke(cli, ["export", str(book), "-o", str(tmp_path / "out.docx")])
    assert run.exit_code == 2
    for suffix in KNOWN_SUFFIXES:
        assert suffix in run.output


def test_failed_export_leaves_no_file_behind(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        export_result(sample_result(), tmp_path / "summary.pdf", paper="a3")
    assert not list(tmp_path.iterdir())


def test_progress_lines_go_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export_result(sample_result(), tmp_path / "s.md", progress=True)
    err = capsys.readouterr().err
    assert "s.md: done" in err


@pytest.mark.parametrize("suffix", KNOWN_SUFFIXES)
def test_every_format_copes_with_no_kpis_and_no_data(tmp_path: Path, suffix: str) -> None:
    empty = compute(tracker([]), AS_OF)
    quiet = compute(tracker([kpi("ONLY", target=5)]), AS_OF)
    for name, result in (("empty", empty), ("quiet", quiet)):
        out = export_result(result, tmp_path / f"{name}{suffix}")
        assert out.stat().st_size > 0


def test_export_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    import os

    umask = os.umask(0o022)
    try:
        out = export_result(sample_result(), tmp_path / "summary.md")
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644
