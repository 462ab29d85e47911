"""The documented library API: load, compute, status, refresh."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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


def test_load_status_and_refresh_take_a_binary_file_object(tmp_path: Path) -> None:
    import io
    import zipfile

    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    expected = kpisheets.status(path, "2026-11-20").to_dict()
    with open(path, "rb") as f:
        assert kpisheets.status(f, "2026-11-20").to_dict() == expected
    with open(path, "rb") as f:
        tracker = kpisheets.load(f)
    assert tracker.path == str(path)  # the object's name, not a temporary copy's

    upload = io.BytesIO(path.read_bytes())  # no name: the format comes from the bytes
    before = upload.getvalue()
    result = kpisheets.refresh(upload, as_of="2026-11-20")
    assert result.to_dict()["kpis"] == expected["kpis"]
    assert upload.getvalue() != before  # refreshed in place, in memory
    with zipfile.ZipFile(upload) as z:
        assert any(n.startswith("xl/worksheets/") for n in z.namelist())
    assert kpisheets.status(io.BytesIO(upload.getvalue()), "2026-11-20").since is not None

    copy = io.BytesIO()
    kpisheets.refresh(path, as_of="2026-11-20", output=copy)
    assert copy.getvalue()[:2] == b"PK"
    with pytest.raises(kpisheets.KpisheetsError, match="binary mode"):
        kpisheets.load(io.StringIO("text"))


@pytest.mark.parametrize("bad", ["20/11/2026", "Nov 20", 20261120])
def test_a_bad_as_of_raises_the_packages_error_with_the_accepted_forms(
    bad: object, tmp_path: Path
) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    with pytest.raises(kpisheets.DateError) as info:
        kpisheets.status(path, bad)  # type: ignore[arg-type]
    message = str(info.value)
    assert f"as_of={bad!r}" in message and "'2026-11-28'" in message and "'today'" in message
    assert isinstance(info.value, ValueError)  # callers catching ValueError still do
    tracker = kpisheets.load(path)
    with pytest.raises(kpisheets.DateError, match="since="):
        kpisheets.compute(tracker, "2026-11-20", since="yesterday")
    assert kpisheets.compute(tracker, "2026-11-20T17:45").as_of.isoformat() == "2026-11-20"


def test_export_to_a_path_a_file_object_and_bytes(tmp_path: Path) -> None:
    import io

    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    result = kpisheets.status(path, "2026-11-20")
    kpisheets.export(result, tmp_path / "summary.md")
    text = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# Team KPIs")
    buffer = io.BytesIO()
    kpisheets.export(result, buffer, format="md")
    assert buffer.getvalue().decode("utf-8") == text
    assert kpisheets.export_bytes(result, ".MD") == buffer.getvalue()
    assert kpisheets.export_bytes(result, "pdf")[:5] == b"%PDF-"
    import kpisheets.export as package  # the package is callable as the function too

    package(result, tmp_path / "again.md")
    assert (tmp_path / "again.md").read_text(encoding="utf-8") == text
    with pytest.raises(kpisheets.KpisheetsError, match="format='pdf'"):
        kpisheets.export(result, io.BytesIO())
    with pytest.raises(kpisheets.KpisheetsError, match="Unknown export format 'docx'"):
        kpisheets.export_bytes(result, "docx")


def test_frames_have_dates_nan_and_every_column_even_when_empty(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    result = kpisheets.status(path, "2026-11-20")
    frame = result.to_frame()
    for name in ("period_start", "period_end", "last_entry"):
        assert frame[name].dtype == "datetime64[ns]", name
    assert frame["forecast"].dtype == "float64"
    assert pd.isna(frame.loc["CHURN", "forecast"])  # an Average KPI has no forecast
    assert frame.loc["SALES", "period_start"] == pd.Timestamp("2026-11-01")

    history = result.history_frame()
    assert len(history) == sum(len(k.history) for k in result.kpis)
    sales = history[history["id"] == "SALES"]
    assert sales["period_start"].is_monotonic_increasing
    assert sales["current"].tolist()[-1] and sales["current"].sum() == 1
    assert sales[sales["current"]]["value"].iloc[0] == 6000
    assert history["value"].dtype == "float64" and history["value"].isna().any()

    sheets = simple_tracker_sheets()
    sheets["KPIs"] = sheets["KPIs"][:1]  # a tracker without KPIs yet
    sheets["Entries"] = sheets["Entries"][:1]
    empty = kpisheets.status(write_workbook(tmp_path / "empty.xlsx", sheets), "2026-11-20")
    assert empty.to_frame().empty and list(empty.to_frame().columns) == list(frame.columns)
    assert [str(t) for t in empty.to_frame().dtypes] == [str(t) for t in frame.dtypes]
    assert empty.history_frame().empty
    assert list(empty.history_frame().columns) == list(history.columns)
    # the same dtypes as with KPIs (the text columns were object when empty)
    assert [str(t) for t in empty.history_frame().dtypes] == [str(t) for t in history.dtypes]


def test_refresh_can_be_called_again_after_its_module_is_imported(tmp_path: Path) -> None:
    import kpisheets.refresh  # noqa: F401  (takes the name kpisheets.refresh)

    path = write_workbook(tmp_path / "t.xlsx", simple_tracker_sheets())
    assert kpisheets.refresh(path, "2026-11-20").as_of.isoformat() == "2026-11-20"
    assert kpisheets.refresh(path, "2026-11-20").as_of.isoformat() == "2026-11-20"
