"""The Typer app and what every command shares: logging set-up, the console, errors."""

from __future__ import annotations

import logging
import os
import warnings
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from hpsearch.errors import HpsearchError
from hpsearch.store.files import is_disk_full

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Honest, distributed hyperparameter search for scikit-learn pipelines.",
    pretty_exceptions_enable=False,
)

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")]


def _disk_full_without_traceback() -> None:
    """A full disk is reported by hpsearch with the fix; a library's log of the same error
    keeps its message and the OS error, not a traceback (``--verbose`` keeps it). A record
    factory, because Ray replaces its log handlers when it starts."""
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and is_disk_full(error):
            record.msg, record.args = f"{record.getMessage()}{error}", ()
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)


def setup_logging(verbose: bool, *, with_ray: bool = False) -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*experimental feature.*")
    if with_ray:
        from hpsearch.tune.runtime import quiet_ray_env

        quiet_ray_env()
        import ray  # noqa: F401  (ray sets its own logger levels on import; override below)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("ray", "mlflow", "alembic", "optuna", "urllib3", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
    if not verbose:
        _disk_full_without_traceback()
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        os.environ.setdefault("RAY_LOG_TO_STDERR", "0")


def make_console() -> Console:
    console = Console(stderr=False, soft_wrap=True)
    if not console.is_terminal:  # job logs, pipes: wide enough for the leaderboard
        console = Console(stderr=False, soft_wrap=True, width=140)
    return console


def fail(error: HpsearchError) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(
        f"[red]error:[/] {escape(str(error))}", highlight=False
    )
    return typer.Exit(code=error.exit_code)
