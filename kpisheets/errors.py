"""One small exception tree; the CLI maps it to exit codes (1 for bad data or files)."""

from __future__ import annotations


class KpisheetsError(Exception):
    """Base class: a problem the user can fix, with a one-sentence message."""


class NotATrackerError(KpisheetsError):
    """The file cannot be read as a tracker at all (not a zip, encrypted, .xls,
    truncated, KPIs or Entries missing). The file is left untouched."""


class WorkbookOpenError(KpisheetsError):
    """Excel has the workbook open (its ``~$`` lock file is beside it)."""


class OutputExistsError(KpisheetsError):
    """Refusing to overwrite an existing file without ``--force``."""


class UsageError(KpisheetsError):
    """Arguments that do not fit together (mapped to exit code 2)."""


class NotInExcelError(KpisheetsError):
    """An Excel entry point was called outside Excel."""


class DateError(KpisheetsError, ValueError):
    """A date given to the library (``as_of``, ``since``) that cannot be read; the
    message lists the accepted forms."""
