"""The console script's entry point: every command registered, bad input never a traceback."""

from __future__ import annotations

import os
import sys

from rich.console import Console

from hpsearch.cli import jobs, sweeps  # noqa: F401  (registers the commands)
from hpsearch.cli.app import app
from hpsearch.errors import EXIT_BAD_INPUT, HpsearchError

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; bad input never shows a traceback."""
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
