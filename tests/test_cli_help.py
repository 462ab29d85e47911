"""Every command has help with an example (sqlite-utils habit)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpisheets.cli import cli

COMMANDS = sorted(cli.commands)


def test_all_spec_commands_exist() -> None:
    assert set(COMMANDS) >= {"new", "init", "refresh", "check", "status", "export", "demo"}


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "kpisheets " + name in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert "kpisheets" in result.output


def test_bad_as_of_is_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"")
    result = CliRunner().invoke(cli, ["status", str(p), "--as-of", "28/11/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_template_choices_are_the_library_templates() -> None:
    from kpisheets import cli as cli_module
    from kpisheets.templates import TEMPLATE_NAMES

    assert tuple(cli_module.TEMPLATE_NAMES) == TEMPLATE_NAMES


def test_help_does_not_import_pandas() -> None:
    """--help is instant: the CLI and the package import no heavy library up front."""
    import subprocess
    import sys

    code = "import sys, kpisheets.cli; print('pandas' in sys.modules, 'xlsxwriter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
