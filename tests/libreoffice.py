"""Run LibreOffice headless as the independent "real spreadsheet program" check.

Each call uses its own profile directory so parallel test runs never fight over
LibreOffice's user-installation lock.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, to: str, outdir: Path, timeout: float = 180) -> Path:
    """Convert ``path`` with LibreOffice (``to`` is e.g. ``"pdf"`` or ``"csv"``) into
    ``outdir``; return the written file. Raises AssertionError with LibreOffice's
    output when nothing was written."""
    binary = soffice()
    assert binary, "LibreOffice is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    written = outdir / (path.stem + "." + to.split(":")[0])
    assert written.exists() and written.stat().st_size > 0, (
        f"LibreOffice did not convert {path.name}: {proc.stdout}\n{proc.stderr}"
    )
    return written


def pdf_to_png(
    pdf: Path, out_prefix: Path, first: int = 1, last: int = 1, dpi: int = 80
) -> list[Path]:
    """Render PDF pages to PNG with poppler's pdftoppm; return the files."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf),
            str(out_prefix),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))


def pdf_text(pdf: Path) -> str:
    """The text of a PDF through poppler's pdftotext (layout kept)."""
    proc = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout
