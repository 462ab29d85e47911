"""Shared fixtures. Workbooks are built by code here; real files made by other
programs are used from ../shared/corpus and skipped with a reason when absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


requires_libreoffice = pytest.mark.skipif(
    soffice() is None,
    reason="LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)",
)

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent (it is not part of the project)"
)
