"""Apache POI as one more independent reader in the tests.

Debian's ``libapache-poi-java`` ships POI without the generated OOXML schema classes,
so ``XSSFWorkbook`` cannot load anything; ``tests/java/OpenWorkbooks.java`` reads a
package the way POI's event API does instead: POI's package layer (openxml4j, strict
about part names, content types and relationships), every XML part through the JDK's
namespace-aware parser, and each sheet found through the workbook's relationships.
It is compiled into a temporary folder and runs once for many files (one JVM).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).parent / "java" / "OpenWorkbooks.java"
JARS = (
    "poi",
    "poi-ooxml",
    "commons-collections4",
    "commons-compress",
    "commons-codec",
    "commons-io",
)


def classpath() -> str | None:
    """The jars POI's package layer needs, when Debian's packages are installed."""
    jars = [Path("/usr/share/java") / f"{name}.jar" for name in JARS]
    if not all(j.exists() for j in jars) or not shutil.which("javac"):
        return None
    return ":".join(map(str, jars))


def open_with_poi(paths: list[Path], workdir: Path) -> dict[Path, str]:
    """Open every file with POI in one JVM: ``"OK"`` or the reason it failed."""
    cp = classpath()
    assert cp, "Apache POI or the JDK is not installed"
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOURCE, workdir / SOURCE.name)
    subprocess.run(
        ["javac", "-nowarn", "-cp", cp, SOURCE.name], cwd=workdir, check=True, timeout=300
    )
    run = subprocess.run(
        ["java", "-cp", f"{cp}:.", "OpenWorkbooks", *map(str, paths)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=1200,
        check=True,
    )
    found: dict[Path, str] = {}
    for line in run.stdout.splitlines():
        status, _, rest = line.partition(" ")
        for path in paths:
            if rest == str(path) or rest.startswith(f"{path} ") or rest.startswith(f"{path}:"):
                found[path] = "OK" if status == "OK" else rest[len(str(path)) + 1 :].strip()
    return found
