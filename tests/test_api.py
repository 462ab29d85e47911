"""The documented library API: load, compute, status, refresh."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import kpisheets
import kpisheets.calc  # noqa: F401  (importing the subpackage must not shadow the function)
from tests.builders import simple_tracker_sheets, write_workbook


def test_load_compute_frame_and_dict(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets(), as_tables=True)
    tracker = kpisheets.load(path)
    first = kpisheets.compute(tracker, as_of="2026-11-20")
    second = kpisheets.compute(tracker, as_of="2026-11-20")  # callable twice
    assert first.to_dict() == second.to_dict()
    sales = first.kpi("sales")
    assert sales.actual == 6000
    assert sales.target == 10000
    frame = first.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.loc["SALES", "actual"] == 6000
    assert kpisheets.status(path, "2026-11-20").to_dict() == first.to_dict()
