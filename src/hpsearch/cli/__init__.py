"""Stage 11: the command line. Argument parsing, logging set-up, exit codes; no logic."""

from hpsearch.cli.main import app, main

__all__ = ["app", "main"]
