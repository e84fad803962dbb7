"""Commands on sweeps: check, run, resume, sync, ls, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hpsearch.cli.app import Verbose, app, fail, make_console, setup_logging
from hpsearch.errors import EXIT_INTERRUPTED, EXIT_LEAKAGE, HpsearchError
from hpsearch.store.commands import resume_command


@app.command()
def check(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    verbose: Verbose = False,
) -> None:
    """Preflight a sweep without searching: data, hold-out split, leakage gate, spaces."""
    setup_logging(verbose)
    from hpsearch.cli.render import print_preflight
    from hpsearch.config import load_sweep
    from hpsearch.prepare.preflight import run_preflight

    try:
        config = load_sweep(sweep_file)
        pre = run_preflight(config)
    except HpsearchError as exc:
        raise fail(exc) from None
    print_preflight(make_console(), pre)
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
    setup_logging(verbose, with_ray=True)
    from hpsearch.config import load_sweep, with_overrides
    from hpsearch.tune.runtime import begin_ray

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
        raise fail(exc) from None
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted before the search started; nothing to resume")
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    from hpsearch.cli.render import print_result

    print_result(make_console(), result)
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
    setup_logging(verbose, with_ray=True)
    from hpsearch.cli.render import print_result
    from hpsearch.resume import resume_sweep

    try:
        result = resume_sweep(
            sweep_dir=sweep_dir, trials=trials, retry_failed=retry_failed, show_progress=progress
        )
    except HpsearchError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        Console(stderr=True).print(
            f"interrupted; resume again with: {resume_command(sweep_dir.resolve())}"
        )
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    print_result(make_console(), result)
    raise typer.Exit(code=result.exit_code)


@app.command()
def sync(
    sweep_dir: Annotated[Path, typer.Argument(help="A sweep directory (see `hpsearch ls`).")],
    verbose: Verbose = False,
) -> None:
    """Write the child runs MLflow lacks from trials.jsonl (after a tracking outage)."""
    setup_logging(verbose)
    from hpsearch.sync import sync_sweep

    try:
        report = sync_sweep(str(sweep_dir))
    except HpsearchError as exc:
        raise fail(exc) from None
    make_console().print(
        f"synced {sweep_dir}: {report.records} recorded trials, {report.logged} child runs "
        f"written, {report.deleted} half-written ones replaced; parent run "
        f"{report.parent_run_id} {report.parent_status} in {report.tracking_uri}",
        markup=False,
    )


@app.command(name="ls")
def list_command(
    storage: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding one directory per sweep. Left out: ./sweeps and every "
            "storage a sweep of yours was started in."
        ),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """List every sweep: status, trials done/total, best score, verdict, registered
    version, age, directory."""
    setup_logging(verbose)
    from hpsearch.cli.render import print_sweeps
    from hpsearch.store.known import known_storages
    from hpsearch.store.listing import list_sweeps

    if storage is not None:
        print_sweeps(make_console(), list_sweeps(storage), storage=storage)
        return
    folders = [Path("sweeps")] if Path("sweeps").is_dir() else []
    folders += [p for p in known_storages() if p not in {f.resolve() for f in folders}]
    console = make_console()
    if not folders:
        print_sweeps(console, [], storage=Path("sweeps"))
    for folder in folders:
        print_sweeps(console, list_sweeps(folder), storage=folder)


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
    setup_logging(verbose)
    from hpsearch.cli.render import print_validation
    from hpsearch.report.validate import parse_thresholds, validate_model
    from hpsearch.tracking.uri import resolve_tracking_uri

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
        raise fail(exc) from None
    print_validation(make_console(), report)
    raise typer.Exit(code=0 if report.passed else 4)
