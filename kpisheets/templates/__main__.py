"""``python -m kpisheets.templates build ROOT``: rebuild the shipped files,
``ROOT/templates/`` and ``ROOT/sample_workbooks/`` (see docs/templates.md).

An entry point only: the samples are built on the templates, so the command that
builds both lives here, above both, and nothing imports it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kpisheets.samples import build_all


def main(argv: list[str]) -> int:
    """Run the command with ``argv`` (without the program name); the exit code."""
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m kpisheets.templates build ROOT", file=sys.stderr)
        return 2
    for path in build_all(Path(argv[1])):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
