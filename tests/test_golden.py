"""Golden `status --format json` outputs of the sample workbooks at a fixed as-of date.

A change in these files is a change in what users see: review the JSON diff. After a
deliberate change, regenerate them with::

    python -m tests.test_golden
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from kpisheets.cli import cli
from kpisheets.samples import (
    AS_OF,
    FIRST_MONTH_QUARTERLY,
    FIRST_MONTH_YEARLY,
    SAMPLE_NAMES,
    sample_file_name,
    sample_sheets,
)
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"


def status_json(name: str) -> Any:
    """What `kpisheets status SAMPLE --format json --as-of AS_OF` prints, parsed."""
    path = ROOT / "sample_workbooks" / sample_file_name(name)
    result = CliRunner().invoke(
        cli, ["status", str(path), "--format", "json", "--as-of", AS_OF.isoformat()]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Paths where two JSON values differ; numbers compare to 1e-9 relative."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected.keys() | actual.keys():
            if key not in actual or key not in expected:
                out.append(f"{where}.{key}: {'missing' if key not in actual else 'added'}")
            else:
                out += differences(expected[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items, now {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{where}[{i}]")]  # fmt: skip
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [f"{where}: {expected!r} → {actual!r}"]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers):
        if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif expected == actual:
        return []
    return [f"{where}: {expected!r} → {actual!r}"]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_status_matches_golden(name: str) -> None:
    golden = GOLDEN / f"{name}.json"
    assert golden.exists(), "no golden file; run `python -m tests.test_golden`"
    found = differences(json.loads(golden.read_text(encoding="utf-8")), status_json(name))
    assert not found, (
        f"{name}: status differs from {golden.name} (review, then regenerate with "
        "`python -m tests.test_golden`):\n" + "\n".join(sorted(found)[:40])
    )


def test_samples_have_no_problems() -> None:
    for name in SAMPLE_NAMES:
        assert status_json(name)["problems"] == [], name


def test_sample_trends_are_plausible() -> None:
    """Every period compared has its whole history: a yearly total compared with a
    previous year of two months showed +1565%."""
    for name in SAMPLE_NAMES:
        for kpi in status_json(name)["kpis"]:
            change = kpi["change"]
            assert change is None or abs(change) < 3, (name, kpi["id"], change)


def test_yearly_and_quarterly_totals_cover_their_previous_periods() -> None:
    for name in SAMPLE_NAMES:
        sheets = sample_sheets(name)
        header = sheets["KPIs"][0]
        kpis = [dict(zip(header, r, strict=True)) for r in sheets["KPIs"][1:]]
        for kpi in kpis:
            first = {"Year": FIRST_MONTH_YEARLY, "Quarter": FIRST_MONTH_QUARTERLY}.get(
                str(kpi["Frequency"])
            )
            if first is None or kpi["Aggregation"] not in ("Sum", "Count"):
                continue
            months = {(r[0].year, r[0].month) for r in sheets["Entries"][1:] if r[1] == kpi["ID"]}
            assert min(months) == (first.year, first.month), (name, kpi["ID"])
            if kpi["Frequency"] == "Year":  # the previous year, month by month
                assert {(AS_OF.year - 1, m) for m in range(1, 13)} <= months, kpi["ID"]


def regenerate() -> None:
    """Rewrite tests/golden/*.json from the current code."""
    GOLDEN.mkdir(exist_ok=True)
    for name in SAMPLE_NAMES:
        path = GOLDEN / f"{name}.json"
        text = json.dumps(status_json(name), indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        print(f"Wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
