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


def convert_many(
    paths: list[Path], to: str, outdir: Path, timeout: float = 1800
) -> dict[Path, Path | None]:
    """Convert many files with as few LibreOffice processes as possible: one process
    for the whole list; when it stops early (a file it cannot load ends the batch,
    and a crash ends it anywhere), the first file without output is tried once more
    on its own — so a batch artefact is not taken for a file LibreOffice cannot open —
    and another process takes the files after it. Returns each input's output, or
    None where LibreOffice wrote nothing. Inputs must have distinct stems."""
    assert len({p.stem for p in paths}) == len(paths), "inputs need distinct stems"
    outdir.mkdir(parents=True, exist_ok=True)
    suffix = "." + to.split(":")[0]
    result: dict[Path, Path | None] = {}
    todo = list(paths)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        while todo:
            _soffice_batch(todo, to, outdir, profile, timeout)
            done = 0
            for path in todo:
                written = outdir / (path.stem + suffix)
                if not (written.exists() and written.stat().st_size > 0):
                    break
                result[path] = written
                done += 1
            if done < len(todo):
                stopped = todo[done]
                _soffice_batch([stopped], to, outdir, profile, timeout)
                written = outdir / (stopped.stem + suffix)
                ok = written.exists() and written.stat().st_size > 0
                result[stopped] = written if ok else None
                done += 1
            todo = todo[done:]
    return result


def _soffice_batch(paths: list[Path], to: str, outdir: Path, profile: str, timeout: float) -> None:
    binary = soffice()
    assert binary, "LibreOffice is not installed"
    subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# CSV as LibreOffice shows the cells (formatted text, UTF-8), every sheet to its own file.
CSV_EVERY_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true,false,false,-1"


def sheets_as_csv(paths: list[Path], outdir: Path, timeout: float = 600) -> dict[str, Path]:
    """Every sheet of every workbook in ``paths`` as the CSV of its displayed texts, in
    one LibreOffice run; keys ``"<file stem>-<sheet name>"``."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        _soffice_batch(paths, CSV_EVERY_SHEET, outdir, profile, timeout)
    written = {p.stem: p for p in outdir.glob("*.csv")}
    for path in paths:
        assert any(name.startswith(path.stem + "-") for name in written), (
            f"LibreOffice did not convert {path.name}"
        )
    return written
