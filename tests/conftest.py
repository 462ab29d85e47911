"""Shared fixtures. Workbooks are built by code here; real files made by other
programs are used from ../shared/corpus and skipped with a reason when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.libreoffice import soffice

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


requires_libreoffice = pytest.mark.skipif(
    soffice() is None,
    reason="LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)",
)

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent (it is not part of the project)"
)
