"""What the command line shows while it works, and how much: ``-q``/``-v`` and progress.

Every command takes ``-q/--quiet`` (only what the command is for — the table, the
JSON, the problems — and no progress or "Wrote …" lines) and ``-v/--verbose`` (each
stage with its time, and every problem rather than one line per group). A stage
that may take more than a second ("Reading tracker.xlsx", "Checking 500,000
entries", "Writing summary.pdf: page 3") is shown on stderr:

* on a terminal, as one line rewritten in place, with a spinner and the seconds
  elapsed, erased when the command is done (so the output that stays is the result);
* when stderr is piped or redirected, not at all — logs and CI stay clean — unless
  ``-v`` asks for the stages, which are then printed one line each with their times.

A small hand-written display rather than a terminal library: it needs a carriage
return and a thread, and keeps ``kpisheets`` free of a dependency that would cost
tens of milliseconds at every start (see docs/command-line.md).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK = 0.1  # seconds between redraws of the live line


class Console:
    """The output policy of one command run.

    >>> import io
    >>> console = Console(quiet=False, verbose=True, stream=io.StringIO())
    >>> with console.progress() as stage:
    ...     stage("Reading tracker.xlsx")
    >>> [line.split(" s  ")[1] for line in console.stream.getvalue().splitlines()]
    ['Reading tracker.xlsx', 'Done']
    """

    def __init__(self, quiet: bool = False, verbose: bool = False, stream: TextIO | None = None):
        self.quiet = quiet
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty()) and not quiet

    @contextlib.contextmanager
    def progress(self) -> Iterator[_Stages]:
        """A stage callback for the duration of the block; the live line is erased
        when the block ends, however it ends."""
        stages = _Stages(self)
        try:
            yield stages
        finally:
            stages.close()


class _Stages:
    """Called with each stage as it starts: ``stage("Reading tracker.xlsx")``."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.message = ""
        self.started = time.monotonic()
        self.stage_started = self.started
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.width = 0

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        with self.lock:
            previous, self.message = self.message, message
            if self.console.verbose and previous:
                self._print(previous, now - self.stage_started)
            self.stage_started = now
            if self.console.live:
                self._draw(now)
                if self.thread is None:
                    self.thread = threading.Thread(target=self._spin, daemon=True)
                    self.thread.start()

    def echo(self, line: str) -> None:
        """Print a line on stdout while the live line is showing: the live line is
        erased first and drawn again under it."""
        import click

        with self.lock:
            if self.console.live and self.width:
                self.console.stream.write("\r" + " " * self.width + "\r")
                self.console.stream.flush()
                self.width = 0
            click.echo(line)
            if self.console.live and self.message:
                self._draw(time.monotonic())

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            now = time.monotonic()
            if self.console.live and self.width:
                self.console.stream.write("\r" + " " * self.width + "\r")
                self.console.stream.flush()
                self.width = 0
            if self.console.verbose and self.message:
                self._print(self.message, now - self.stage_started)
                self._print("Done", now - self.started)
            self.message = ""

    def _spin(self) -> None:
        while not self.stop.wait(TICK):
            with self.lock:
                if self.message:
                    self._draw(time.monotonic())

    def _draw(self, now: float) -> None:
        frame = SPINNER[int((now - self.started) / TICK) % len(SPINNER)]
        text = f"{frame} {self.message}… {now - self.started:4.1f} s"
        limit = max(terminal_columns(self.console.stream) - 1, 20)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        pad = max(self.width - len(text), 0)
        self.console.stream.write("\r" + text + " " * pad)
        self.console.stream.flush()
        self.width = len(text)

    def _print(self, message: str, seconds: float) -> None:
        line = f"{seconds:6.2f} s  {message}"
        if self.console.live and self.width:
            line = "\r" + line + " " * max(self.width - len(line), 0)
            self.width = 0
        self.console.stream.write(line + "\n")
        self.console.stream.flush()


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to; $COLUMNS or 80 when it reports none."""
    import os
    import shutil

    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    # A terminal that reports no size (a fresh pseudo-terminal: `script`, CI, an editor's
    # shell) is taken as $COLUMNS or 80, not as 0 columns (which cut every line to "…").
    return columns or shutil.get_terminal_size((80, 24)).columns
