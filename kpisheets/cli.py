"""The ``kpisheets`` command line: parses, calls the library, prints.

Library exceptions become exit code 1 with one sentence on stderr (never a
traceback); usage errors exit 2. Imports are lazy so ``--help`` is instant.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kpisheets.terminal import (
    left_out_sentence,
    problem_lines,
    problems_table,
    status_table,
    wrapped,
)

if TYPE_CHECKING:
    from kpisheets.console import Console
    from kpisheets.model import Problem
    from kpisheets.result import Result

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class IsoDate(click.ParamType):
    """A date given as ``YYYY-MM-DD`` (or ``today``)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if text.lower() == "today":
            return dt.date.today()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28.", param, ctx
            )


ISO_DATE = IsoDate()

# readable=False: a file that exists but cannot be read is the file's problem (exit 1
# and a sentence naming it), not a usage error (exit 2 and the usage text).
TRACKER_PATH = click.Path(exists=True, dir_okay=False, readable=False, path_type=Path)

as_of_option = click.option(
    "--as-of",
    type=ISO_DATE,
    default=None,
    help="Compute at this date (YYYY-MM-DD). Default: Settings › As of, else today.",
)


def output_format(*choices: str) -> Callable[[F], F]:
    """The shared ``--format`` option of listing commands."""

    def decorator(fn: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices), case_sensitive=False),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )(fn)

    return decorator


UNEXPECTED_DETAIL_CHARS = 200


def verbosity(fn: F) -> F:
    """The shared ``-q/--quiet`` and ``-v/--verbose`` options of every command; the
    command receives a :class:`kpisheets.console.Console` as ``console``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        from kpisheets.console import Console

        if quiet and verbose:
            raise click.UsageError("-q/--quiet and -v/--verbose ask for opposite things; use one.")
        return fn(*args, console=Console(quiet=quiet, verbose=verbose), **kwargs)

    wrapper = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Show each stage with its time, and every problem (not one line per group).",
    )(wrapper)
    wrapper = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="Show only the result and the problems: no progress, no 'Wrote …' lines.",
    )(wrapper)
    return wrapper  # type: ignore[return-value]


def handle_errors(fn: F) -> F:
    """Turn library exceptions into one sentence and exit code 1 (2 for usage)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kpisheets.errors import KpisheetsError, UsageError

        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from exc
        except KpisheetsError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"Error: {os_error_sentence(exc)}", err=True)
            sys.exit(1)
        except click.ClickException:
            raise
        except Exception as exc:  # a bug in kpisheets: still one sentence, not a traceback
            if os.environ.get("KPISHEETS_DEBUG"):
                raise
            from kpisheets.formatting import shorten

            # The library's text may quote a whole cell of the user's (a 300-character
            # title): one line of it is enough to recognise the failure.
            detail = shorten(str(exc), UNEXPECTED_DETAIL_CHARS)
            click.echo(
                f"Error: kpisheets failed unexpectedly ({type(exc).__name__}: {detail}); this is "
                "a bug, please report it with the command you ran (set KPISHEETS_DEBUG=1 "
                "to see the traceback).",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def os_error_sentence(exc: OSError) -> str:
    """One sentence for a file-system error that names the file or folder the user
    knows (not kpisheets' hidden scratch file beside it) and what to do."""
    reason = exc.strerror or str(exc)
    if not exc.filename:
        return f"{reason}."
    path = Path(os.fsdecode(exc.filename))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        if path.exists():
            return f"kpisheets cannot use {path} ({reason}); check its permissions."
        if path.name.startswith("."):
            # The atomic write's scratch file: the folder is what cannot be written.
            folder = "the current folder" if str(path.parent) == "." else path.parent
            return (
                f"kpisheets cannot write in {folder} ({reason}); choose a folder you can "
                "write to, or ask for write permission."
            )
        return f"kpisheets cannot create {path} ({reason}); choose a folder you can write to."
    return f"{reason} ({path})."


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="kpisheets", prog_name="kpisheets")
def cli() -> None:
    """Keep a team's KPI tracker in an ordinary Excel workbook.

    \b
    Example:
        kpisheets demo
        kpisheets new tracker.xlsx --template sales
        kpisheets refresh tracker.xlsx
    """


# kpisheets.templates.TEMPLATE_NAMES, repeated so --help need not import XlsxWriter
# (tests/test_cli_help.py checks the two agree).
TEMPLATE_NAMES = ["blank", "sales", "marketing", "customer-success", "people"]


def template_option(help_text: str) -> Callable[[F], F]:
    """The shared ``--template`` option of ``new`` and ``init``."""
    return click.option(
        "--template",
        type=click.Choice(TEMPLATE_NAMES, case_sensitive=False),
        default="blank",
        show_default=True,
        help=help_text,
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@template_option("Example KPIs and entries to start from.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@verbosity
@handle_errors
def new(path: Path, template: str, force: bool, console: Console) -> None:
    """Create a new tracker workbook from a template.

    A PATH ending in .xlsm gets a Refresh button wired to Python through xlwings,
    and a companion module <name>.py beside it.

    \b
    Example:
        kpisheets new tracker.xlsx --template sales
        kpisheets new team_kpis.xlsm --template marketing
    """
    from kpisheets.templates import new_tracker

    with console.progress() as stage:
        stage(f"Writing {path.name}")
        written = new_tracker(path, template=template.lower(), force=force)
    if not console.quiet:
        for p in written:
            click.echo(f"Wrote {p}")


@cli.command(
    context_settings=CONTEXT_SETTINGS, short_help="Add the input sheets to an existing workbook."
)
@click.argument("path", type=TRACKER_PATH)
@template_option("Example rows to put in the new sheets.")
@verbosity
@handle_errors
def init(path: Path, template: str, console: Console) -> None:
    """Add the KPIs, Entries, Targets and Settings sheets to an existing workbook.

    Nothing that was in the workbook changes.

    \b
    Example:
        kpisheets init budget.xlsx --template sales
    """
    from kpisheets.init import init_workbook

    with console.progress() as stage:
        stage(f"Adding the input sheets to {path.name}")
        added = init_workbook(path, template=template.lower())
    if not console.quiet:
        click.echo(
            f"Added {', '.join(added)} to {path}" if added else f"{path} is already a tracker."
        )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=TRACKER_PATH)
@as_of_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the refreshed workbook here and leave PATH untouched.",
)
@click.option(
    "--import",
    "import_first",
    is_flag=True,
    help="Import the Sources into the Imported sheet first (see `kpisheets import`).",
)
@click.option(
    "--source",
    metavar="NAME",
    default=None,
    help="With --import: import only this source.",
)
@verbosity
@handle_errors
def refresh(
    path: Path,
    as_of: dt.date | None,
    output: Path | None,
    import_first: bool,
    source: str | None,
    console: Console,
) -> None:
    """Compute and rewrite the Summary, History and Problems sheets.

    Only those sheets change (and Imported, with --import); every other part of the
    workbook stays byte-identical.

    \b
    Example:
        kpisheets refresh tracker.xlsx
        kpisheets refresh tracker.xlsx --as-of 2026-11-30 -o tracker-nov.xlsx
        kpisheets refresh tracker.xlsx --import
    """
    from kpisheets.refresh import refresh_workbook

    if source is not None and not import_first:
        raise click.UsageError("--source names a source to import: use it with --import.")
    with console.progress() as stage:
        result = refresh_workbook(
            path,
            as_of=as_of,
            output=output,
            progress=stage,
            import_sources=import_first,
            source=source,
            source_progress=source_progress(stage) if import_first else None,
        )
    print_problems(result.problems, path, as_of, verbose=console.verbose)
    print_left_out(result)
    if not console.quiet:
        target = output or path
        counts = result.overall.counts
        import textwrap

        from kpisheets.model import Status
        from kpisheets.terminal import terminal_width

        click.echo(
            textwrap.fill(
                f"Refreshed {target} as of {result.as_of.isoformat()}: {len(result.kpis)} KPIs — "
                + ", ".join(f"{counts.get(s, 0)} {s.label.lower()}" for s in Status)
                + ".",
                width=terminal_width(),
                break_on_hyphens=False,
                break_long_words=False,
            )
        )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=TRACKER_PATH)
@as_of_option
@output_format("table", "json")
@verbosity
@handle_errors
def check(path: Path, as_of: dt.date | None, fmt: str, console: Console) -> None:
    """Validate a tracker without writing anything.

    Exit code 1 when there is an error-level problem.

    \b
    Example:
        kpisheets check tracker.xlsx
        kpisheets check tracker.xlsx --format json
    """
    from kpisheets.validate import check_workbook

    with console.progress() as stage:
        stage(f"Checking {path.name}")
        problems = check_workbook(path, as_of=as_of)
    if fmt == "json":
        import json

        click.echo(json.dumps([p.to_dict() for p in problems], indent=2, ensure_ascii=False))
    elif console.quiet:
        pass  # the exit code says it
    elif problems:
        click.echo(problems_table(problems, grouped=not console.verbose))
    else:
        click.echo(f"{path}: no problems.")
    if any(p.severity == "error" for p in problems):
        sys.exit(1)


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    short_help="Print the figures and what changed since the last review.",
)
@click.argument("path", type=TRACKER_PATH)
@as_of_option
@click.option(
    "--since",
    type=ISO_DATE,
    default=None,
    help="Compare with the snapshot of this date (YYYY-MM-DD; the newest on or before it) "
    "instead of the last review.",
)
@output_format("table", "json", "csv")
@verbosity
@handle_errors
def status(
    path: Path, as_of: dt.date | None, since: dt.date | None, fmt: str, console: Console
) -> None:
    """Print every KPI's figures and status, and what changed since the last review;
    writes nothing.

    \b
    Example:
        kpisheets status tracker.xlsx --as-of 2026-11-28
        kpisheets status tracker.xlsx --since 2026-11-01
        kpisheets status tracker.xlsx --format json > status.json
    """
    with console.progress() as stage:
        result = read_and_compute(path, as_of, since, stage)
    if fmt == "json":
        from kpisheets.export.tabular import result_json

        click.echo(result_json(result), nl=False)
    elif fmt == "csv":
        from kpisheets.export.tabular import result_csv

        click.echo(result_csv(result), nl=False)
    else:
        click.echo(status_table(result))
    # Every format: stdout stays the figures alone, stderr says what is missing from them.
    print_problems(result.problems, path, as_of, verbose=console.verbose)
    print_left_out(result)


TEXT_FORMATS = ("md", "html", "csv", "json")


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    short_help="Write a meeting summary: .pdf .html .md .xlsx .pptx .csv .json.",
)
@click.argument("path", type=TRACKER_PATH)
@click.option(
    "-o",
    "--output",
    "outputs",
    metavar="OUT",
    multiple=True,
    required=True,
    help="The file to write; its suffix picks the format (.pdf .html .md .xlsx .pptx .csv "
    ".json). Repeat it for several formats in one run; '-' writes a text format to stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TEXT_FORMATS, case_sensitive=False),
    default=None,
    help="With -o -: the text format to write to stdout.",
)
@as_of_option
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    default="a4",
    show_default=True,
    help="Paper size for PDF.",
)
@verbosity
@handle_errors
def export(
    path: Path,
    outputs: tuple[str, ...],
    fmt: str | None,
    as_of: dt.date | None,
    paper: str,
    console: Console,
) -> None:
    """Write a meeting-ready summary; the format comes from OUT's suffix.

    \b
    Example:
        kpisheets export tracker.xlsx -o summary.pdf
        kpisheets export tracker.xlsx -o summary.pdf -o summary.pptx -o summary.html
        kpisheets export tracker.xlsx -o - --format md | pbcopy
    """
    from kpisheets.export import KNOWN_SUFFIXES, export_bytes, export_result

    targets: list[Path | None] = []  # None: stdout
    for out in outputs:
        if out == "-":
            if fmt is None:
                raise click.UsageError(
                    f"-o - writes to stdout: say which text format with --format "
                    f"({'|'.join(TEXT_FORMATS)})."
                )
            targets.append(None)
            continue
        output = Path(out)
        if output.suffix.lower() not in KNOWN_SUFFIXES:
            raise click.UsageError(
                f"Unknown export format {output.suffix or '(no suffix)'!r} in -o {out}; "
                f"use one of {', '.join(KNOWN_SUFFIXES)}."
            )
        if output.exists() and output.samefile(path):
            raise click.UsageError(
                f"-o {output} is the tracker itself, and the export would replace it; "
                f"write the summary to another file, e.g. -o {path.stem}-summary{output.suffix}."
            )
        targets.append(output)
    if fmt is not None and None not in targets:
        raise click.UsageError("--format is for -o - (stdout); a file's suffix gives its format.")
    if targets.count(None) > 1:
        raise click.UsageError("-o - can be given once: stdout takes one format.")

    text: str | None = None  # the summary for stdout (-o -)
    written: list[Path] = []
    with console.progress() as stage:
        result = read_and_compute(path, as_of, None, stage)
        for target in targets:
            if target is None:
                assert fmt is not None
                stage(f"Writing the {fmt} summary")
                text = export_bytes(result, fmt, paper=paper.lower()).decode("utf-8-sig")
                continue
            name = target.name
            stage(f"Writing {name}")
            export_result(
                result,
                target,
                paper=paper.lower(),
                progress=lambda message, name=name: stage(f"Writing {name}: {message}"),  # type: ignore[misc]
            )
            written.append(target)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))
    print_problems(result.problems, path, as_of, verbose=console.verbose)
    print_left_out(result)
    if not console.quiet:
        for output in written:
            # On stderr when stdout carries the summary itself.
            click.echo(f"Wrote {output}", err=text is not None)


def read_and_compute(
    path: Path, as_of: dt.date | None, since: dt.date | None, stage: Callable[[str], None]
) -> Result:
    """:func:`kpisheets.status` with a progress stage for reading and for computing."""
    import kpisheets

    stage(f"Reading {path.name}")
    tracker = kpisheets.load(path)
    stage(f"Computing {len(tracker.kpis):,} KPIs")
    return kpisheets.compute(tracker, as_of, since)


@cli.command(
    "import",
    context_settings=CONTEXT_SETTINGS,
    short_help="Pull the Sources (exports, files, SQL) into the Imported sheet.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", metavar="NAME", default=None, help="Import only this source.")
@verbosity
@handle_errors
def import_(path: Path, source: str | None, console: Console) -> None:
    """Read every source on the Sources sheet and rewrite the Imported sheet.

    Each source's earlier rows are replaced; a source that fails keeps them and is
    reported (exit code 1), the others still import. Nothing else in the workbook
    changes: refresh afterwards (or use `kpisheets refresh --import`).

    \b
    Example:
        kpisheets import tracker.xlsx
        kpisheets import tracker.xlsx --source hubspot-won
    """
    from kpisheets.refresh import import_workbook

    with console.progress() as stage:
        stage(f"Importing the sources of {path.name}")
        outcome = import_workbook(path, source=source, progress=source_progress(stage))
    print_problems(outcome.problems, path, verbose=console.verbose)
    for name, count in outcome.imported.items() if not console.quiet else ():
        click.echo(f"Imported {name}: {count:,} daily row{'s' if count != 1 else ''}.")
    if outcome.failed:
        click.echo(
            f"{len(outcome.failed)} source{'s' if len(outcome.failed) != 1 else ''} failed "
            f"({', '.join(outcome.failed)}); their earlier rows are kept.",
            err=True,
        )
        sys.exit(1)
    if console.quiet:
        return
    if not outcome.imported:
        click.echo(f"{path} has no sources to import: fill in its Sources sheet.")
    else:
        click.echo(f"Wrote the Imported sheet of {path}; refresh to update the Summary.")


def source_progress(
    stage: Callable[[str], None],
) -> Callable[[Any], Callable[[float], None] | None]:
    """How far a large source has been read, as the progress stage ("Reading
    hubspot-won: 42%"); shown only where progress is (on a terminal, or with -v)."""

    def for_source(spec: Any) -> Callable[[float], None]:
        def show(share: float) -> None:
            stage(f"Reading {spec.name}: {share:.0%}")

        return show

    return for_source


@cli.command(
    context_settings=CONTEXT_SETTINGS, short_help="Build, refresh and export a sample tracker."
)
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="kpisheets-demo"
)
@verbosity
@handle_errors
def demo(directory: Path, console: Console) -> None:
    """Build a sample tracker, refresh it, export it, and say which files to open.

    \b
    Example:
        kpisheets demo
        kpisheets demo /tmp/kpi-demo
    """
    from kpisheets.demo import run_demo

    with console.progress() as stage:
        written = run_demo(
            directory,
            echo=(lambda line: None) if console.quiet else stage.echo,
            warn=lambda line: click.echo(line, err=True),
            progress=stage,
        )
    if console.quiet:  # the result: the files it made, one a line (for scripts)
        for path in written:
            click.echo(str(path))


# ---------------------------------------------------------------------------
# Printing helpers shared by the commands (the text itself: kpisheets.terminal).


def print_problems(
    problems: list[Problem],
    path: Path | None = None,
    as_of: dt.date | None = None,
    verbose: bool = False,
) -> None:
    """Problems on stderr, errors first, repeated ones grouped
    (:func:`kpisheets.terminal.problem_lines`); with ``verbose`` every one."""
    for line in problem_lines(problems, path, as_of, grouped=not verbose):
        _echo_err(line)


def print_left_out(result: Result) -> None:
    """On stderr, how many entries problems left out of the figures (nothing when
    none did; :func:`kpisheets.terminal.left_out_sentence`)."""
    line = left_out_sentence(result)
    if line:
        _echo_err(line)


def _echo_err(line: str) -> None:
    """A line on stderr: on a terminal broken between words at its width; piped, one
    line per problem as written (for grep and logs)."""
    if sys.stderr.isatty():
        from kpisheets.console import terminal_columns

        line = wrapped(line, terminal_columns(sys.stderr))
    click.echo(line, err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kpisheets")


if __name__ == "__main__":
    main()
