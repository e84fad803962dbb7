"""Commands for clusters: submit a sweep as a Ray job, follow, inspect or stop it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hpsearch.cli.app import Verbose, app, fail, make_console, setup_logging
from hpsearch.errors import EXIT_INTERRUPTED, BadInputError, HpsearchError


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
    setup_logging(verbose)
    from hpsearch.jobs import submit as jobs

    if not address:
        raise fail(BadInputError("--address is required, e.g. --address http://HEAD:8265"))
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
        raise fail(exc) from None
    console = make_console()
    console.print(f"submitted job {job_id} to {address}")
    console.print(f"follow it:  hpsearch job logs {job_id} --address {address} --follow")
    console.print(f"stop it:    hpsearch job stop {job_id} --address {address}")
    if wait:
        _wait_for(console=console, address=address, job_id=job_id)


def _wait_for(*, console: Console, address: str, job_id: str) -> None:
    """Stream the job's logs; exit with the sweep's own exit code."""
    from hpsearch.jobs import submit as jobs

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
    setup_logging(False)
    from hpsearch.jobs import submit as jobs

    try:
        outcome = jobs.job_outcome(address=address, job_id=job_id)
    except HpsearchError as exc:
        raise fail(exc) from None
    code = "-" if outcome.exit_code < 0 else str(outcome.exit_code)
    make_console().print(f"{job_id}: {outcome.status} (exit code {code}) {outcome.message}".strip())


@job_app.command("logs")
def job_logs(
    job_id: str,
    address: Address,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream until it ends.")] = False,
) -> None:
    """Print a job's logs (stream them with --follow)."""
    setup_logging(False)
    from hpsearch.jobs import submit as jobs

    try:
        if follow:
            outcome = jobs.follow_logs(
                address=address, job_id=job_id, sink=lambda s: print(s, end="", flush=True)
            )
            raise typer.Exit(code=outcome.exit_code)
        print(jobs.job_logs(address=address, job_id=job_id), end="")
    except HpsearchError as exc:
        raise fail(exc) from None


@job_app.command("stop")
def job_stop(job_id: str, address: Address) -> None:
    """Stop a job; the sweep saves its resumable state (SIGINT, then a grace period)."""
    setup_logging(False)
    from hpsearch.jobs import submit as jobs

    try:
        stopped = jobs.stop_job(address=address, job_id=job_id)
    except HpsearchError as exc:
        raise fail(exc) from None
    make_console().print(
        f"stop requested for {job_id}" if stopped else f"{job_id} had already finished"
    )
