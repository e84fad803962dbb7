"""Command line: argument parsing, logging set-up, exit codes. No logic lives here."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hpsearch.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_LEAKAGE,
    BadInputError,
    HpsearchError,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Honest, distributed hyperparameter search for scikit-learn pipelines.",
    pretty_exceptions_enable=False,
)

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")]


def _setup_logging(verbose: bool, *, with_ray: bool = False) -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*experimental feature.*")
    if with_ray:
        from hpsearch.ray_runtime import quiet_ray_env

        quiet_ray_env()
        import ray  # noqa: F401  (ray sets its own logger levels on import; override below)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("ray", "mlflow", "alembic", "optuna", "urllib3", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
    if not verbose:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        os.environ.setdefault("RAY_LOG_TO_STDERR", "0")


def _console() -> Console:
    console = Console(stderr=False, soft_wrap=True)
    if not console.is_terminal:  # job logs, pipes: wide enough for the leaderboard
        console = Console(stderr=False, soft_wrap=True, width=140)
    return console


def _fail(error: HpsearchError) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(
        f"[red]error:[/] {escape(str(error))}", highlight=False
    )
    return typer.Exit(code=error.exit_code)


@app.command()
def check(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    verbose: Verbose = False,
) -> None:
    """Preflight a sweep without searching: data, hold-out split, leakage gate, spaces."""
    _setup_logging(verbose)
    from hpsearch.config import load_sweep
    from hpsearch.preflight import run_preflight
    from hpsearch.summary import print_preflight

    try:
        config = load_sweep(sweep_file)
        pre = run_preflight(config)
    except HpsearchError as exc:
        raise _fail(exc) from None
    print_preflight(_console(), pre)
    if not pre.leakage.passed:
        raise typer.Exit(code=EXIT_LEAKAGE)


@app.command()
def run(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    trials: Annotated[int | None, typer.Option(help="Override search.trials.")] = None,
    storage: Annotated[Path, typer.Option(help="Folder holding one directory per sweep.")] = Path(
        "sweeps"
    ),
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: sqlite:///mlflow.db here).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show the live progress line.")] = True,
    verbose: Verbose = False,
) -> None:
    """Run a sweep: search, refit the best, validate on hold-out, register if it passes."""
    _setup_logging(verbose, with_ray=True)
    from hpsearch.config import load_sweep, with_overrides
    from hpsearch.ray_runtime import begin_ray

    try:
        config = with_overrides(load_sweep(sweep_file), trials=trials, tracking_uri=tracking_uri)
        ray = begin_ray(config)  # Ray comes up while the rest is imported and prepared
        from hpsearch.sweep import run_sweep

        result = run_sweep(
            config=config,
            storage=storage.expanduser(),
            sweep_file=sweep_file,
            show_progress=progress,
            ray=ray,
        )
    except HpsearchError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted before the search started; nothing to resume")
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    from hpsearch.summary import print_result

    print_result(_console(), result)
    raise typer.Exit(code=result.exit_code)


@app.command()
def resume(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep directory (see `hpsearch ls`).")],
    trials: Annotated[
        int | None, typer.Option(help="New total budget; extends a finished sweep.")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run the configs of failed trials again.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show the live progress line.")] = True,
    verbose: Verbose = False,
) -> None:
    """Resume an interrupted sweep (or extend a finished one) without repeating trials."""
    _setup_logging(verbose, with_ray=True)
    from hpsearch.resume import resume_sweep
    from hpsearch.summary import print_result

    try:
        result = resume_sweep(
            sweep_dir=sweep_dir, trials=trials, retry_failed=retry_failed, show_progress=progress
        )
    except HpsearchError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        Console(stderr=True).print(f"interrupted; resume again with: hpsearch resume {sweep_dir}")
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    print_result(_console(), result)
    raise typer.Exit(code=result.exit_code)


@app.command(name="ls")
def list_command(
    storage: Annotated[Path, typer.Option(help="Folder holding one directory per sweep.")] = Path(
        "sweeps"
    ),
    verbose: Verbose = False,
) -> None:
    """List every sweep: status, trials done/total, best score, age, directory."""
    _setup_logging(verbose)
    from hpsearch.listing import list_sweeps
    from hpsearch.summary import print_sweeps

    print_sweeps(_console(), list_sweeps(storage), storage=storage)


@app.command()
def validate(
    model_uri: Annotated[
        str, typer.Option(help="models:/NAME@candidate, models:/NAME/3, runs:/...")
    ],
    test_data: Annotated[str, typer.Option(help="Labelled .csv or .parquet file.")],
    target: Annotated[str, typer.Option(help="Target column.")] = "target",
    threshold: Annotated[
        list[str] | None, typer.Option(help="METRIC=VALUE; default: the sweep's thresholds.")
    ] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI.")] = None,
    verbose: Verbose = False,
) -> None:
    """Score a registered model on labelled data against thresholds (exit 4 on failure)."""
    _setup_logging(verbose)
    from hpsearch.summary import print_validation
    from hpsearch.tracking import resolve_tracking_uri
    from hpsearch.validate import parse_thresholds, validate_model

    try:
        source = (
            str(Path(test_data).resolve()) if not test_data.startswith("sklearn:") else test_data
        )
        report = validate_model(
            model_uri=model_uri,
            test_data=source,
            target=target,
            thresholds=parse_thresholds(threshold or []),
            tracking_uri=resolve_tracking_uri(tracking_uri),
        )
    except HpsearchError as exc:
        raise _fail(exc) from None
    print_validation(_console(), report)
    raise typer.Exit(code=0 if report.passed else 4)


@app.command()
def submit(
    sweep_file: Annotated[Path | None, typer.Argument(help="Sweep YAML file.")] = None,
    address: Annotated[str, typer.Option(help="Ray dashboard URL, e.g. http://HEAD:8265.")] = "",
    wait: Annotated[
        bool, typer.Option("--wait", help="Stream logs; exit with the sweep's code.")
    ] = False,
    resume_dir: Annotated[
        str | None, typer.Option("--resume", help="Resume this sweep directory on the cluster.")
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(help="Sweep storage on the cluster: an absolute path shared by all nodes."),
    ] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow server URI.")] = None,
    trials: Annotated[int | None, typer.Option(help="Override search.trials.")] = None,
    python: Annotated[str, typer.Option(help="The cluster's Python interpreter.")] = "python",
    upload_data: Annotated[
        bool, typer.Option(help="Ship a local data file with the job (off: path on cluster).")
    ] = True,
    verbose: Verbose = False,
) -> None:
    """Run a sweep (or resume one) as a Ray job on a cluster; same sweep file as `run`."""
    _setup_logging(verbose)
    from hpsearch import submit as jobs

    if not address:
        raise _fail(BadInputError("--address is required, e.g. --address http://HEAD:8265"))
    try:
        if resume_dir:
            job_id = jobs.submit_resume(
                sweep_dir=resume_dir, address=address, python=python, trials=trials
            )
        elif sweep_file is not None:
            job_id = jobs.submit_sweep(
                sweep_file=sweep_file,
                address=address,
                storage=storage,
                tracking_uri=tracking_uri,
                trials=trials,
                python=python,
                upload_data=upload_data,
            )
        else:
            raise BadInputError("pass a sweep file, or --resume SWEEP_DIR")
    except HpsearchError as exc:
        raise _fail(exc) from None
    console = _console()
    console.print(f"submitted job {job_id} to {address}")
    console.print(f"follow it:  hpsearch job logs {job_id} --address {address} --follow")
    console.print(f"stop it:    hpsearch job stop {job_id} --address {address}")
    if not wait:
        return
    try:
        outcome = jobs.follow_logs(
            address=address, job_id=job_id, sink=lambda s: print(s, end="", flush=True)
        )
    except KeyboardInterrupt:
        console.print(f"stopped following; job {job_id} keeps running")
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    console.print(f"job {job_id}: {outcome.status} (sweep exit code {outcome.exit_code})")
    raise typer.Exit(code=outcome.exit_code)


job_app = typer.Typer(help="Follow, inspect or stop a submitted sweep job.", no_args_is_help=True)
app.add_typer(job_app, name="job")
Address = Annotated[str, typer.Option(help="Ray dashboard URL, e.g. http://HEAD:8265.")]


@job_app.command("status")
def job_status(job_id: str, address: Address) -> None:
    """Show a job's status and, once finished, the sweep's exit code."""
    _setup_logging(False)
    from hpsearch import submit as jobs

    try:
        outcome = jobs.job_outcome(address=address, job_id=job_id)
    except HpsearchError as exc:
        raise _fail(exc) from None
    code = "-" if outcome.exit_code < 0 else str(outcome.exit_code)
    _console().print(f"{job_id}: {outcome.status} (exit code {code}) {outcome.message}".strip())


@job_app.command("logs")
def job_logs(
    job_id: str,
    address: Address,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream until it ends.")] = False,
) -> None:
    """Print a job's logs (stream them with --follow)."""
    _setup_logging(False)
    from hpsearch import submit as jobs

    try:
        if follow:
            outcome = jobs.follow_logs(
                address=address, job_id=job_id, sink=lambda s: print(s, end="", flush=True)
            )
            raise typer.Exit(code=outcome.exit_code)
        print(jobs.job_logs(address=address, job_id=job_id), end="")
    except HpsearchError as exc:
        raise _fail(exc) from None


@job_app.command("stop")
def job_stop(job_id: str, address: Address) -> None:
    """Stop a job; the sweep saves its resumable state (SIGINT, then a grace period)."""
    _setup_logging(False)
    from hpsearch import submit as jobs

    try:
        stopped = jobs.stop_job(address=address, job_id=job_id)
    except HpsearchError as exc:
        raise _fail(exc) from None
    _console().print(
        f"stop requested for {job_id}" if stopped else f"{job_id} had already finished"
    )


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
        from hpsearch.ray_runtime import exit_process

        exit_process(done.code or 0)


if __name__ == "__main__":
    main()
