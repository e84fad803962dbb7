"""The console script's entry point: every command registered, bad input never a traceback."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from rich.console import Console

from hpsearch.cli import jobs, starter, sweeps  # noqa: F401  (registers the commands)
from hpsearch.cli.app import app
from hpsearch.errors import EXIT_BAD_INPUT, HpsearchError

__all__ = ["app", "main"]


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM before the search's own handler (and after it): the path Ctrl-C takes."""
    raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")


def main() -> None:
    """Console-script entry point; bad input never shows a traceback. SIGTERM is turned
    into the KeyboardInterrupt of Ctrl-C from the first moment, so an interruption at any
    point leaves nothing, or a resumable sweep whose parent run is not left RUNNING."""
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    try:
        app()
    except HpsearchError as exc:  # pragma: no cover - commands catch their own
        Console(stderr=True).print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_BAD_INPUT)
    except SystemExit as done:  # Typer's way out, after the command printed everything
        if not isinstance(done.code, int | None):
            raise
        from hpsearch.tune.runtime import exit_process

        exit_process(done.code or 0)
