"""What the library accepts from a caller: a workbook as a path or a binary file object,
and dates as ``datetime.date`` or ISO text. Standard library only, so ``import
kpisheets`` stays light."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kpisheets.errors import DateError, KpisheetsError

# A workbook to read: a path, or a binary file object (an upload, a BytesIO…).
Source = str | os.PathLike[str] | IO[bytes]

ACCEPTED_DATES = (
    "a datetime.date, ISO text such as '2026-11-28' (also '2026-11-28T09:30'), or 'today'"
)


def as_date(value: object, name: str = "as_of") -> dt.date | None:
    """A date argument of the library as a ``datetime.date`` (None stays None).

    >>> as_date("2026-11-28"), as_date(dt.datetime(2026, 11, 28, 9, 30))
    (datetime.date(2026, 11, 28), datetime.date(2026, 11, 28))
    >>> as_date("28/11/2026")
    Traceback (most recent call last):
    ...
    kpisheets.errors.DateError: as_of='28/11/2026' is not a date kpisheets can read; give a datetime.date, ISO text such as '2026-11-28' (also '2026-11-28T09:30'), or 'today'.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "today":
            return dt.date.today()
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(text).date()
    raise DateError(f"{name}={value!r} is not a date kpisheets can read; give {ACCEPTED_DATES}.")


def is_file(value: object) -> bool:
    return value is not None and not isinstance(value, str | os.PathLike)


@contextlib.contextmanager
def workbook_path(source: Source) -> Iterator[Path]:
    """``source`` as a path: a path as it is, a binary file object copied into a
    temporary file (named like the object, or by its contents .xlsx/.xlsm) that is
    removed afterwards."""
    if isinstance(source, str | os.PathLike):
        yield Path(source)
        return
    if not hasattr(source, "read"):
        raise TypeError(f"expected a path or a binary file object, not {type(source).__name__}")
    with contextlib.suppress(AttributeError, OSError):
        source.seek(0)
    data = source.read()
    if isinstance(data, str):
        raise KpisheetsError(
            "The workbook was opened as text; open it in binary mode, e.g. open(path, 'rb')."
        )
    name = Path(str(getattr(source, "name", "") or "")).name
    if Path(name).suffix.lower() not in (".xlsx", ".xlsm"):
        name = "tracker" + suffix_of(data)
    with tempfile.TemporaryDirectory(prefix="kpisheets-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def suffix_of(data: bytes) -> str:
    """``.xlsm`` for a workbook with macros, else ``.xlsx`` (the reader refuses what is
    neither, with its own sentence)."""
    with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(io.BytesIO(data)) as z:
        if "xl/vbaProject.bin" in z.namelist():
            return ".xlsm"
    return ".xlsx"
