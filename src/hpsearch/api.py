"""hpsearch from Python: ``run``, ``check`` and ``resume``, what the CLI commands do.

The heavy stack (Ray, MLflow, Optuna) is imported inside the calls, so ``import hpsearch``
stays cheap. A call changes no global state it does not put back: MLflow's tracking URI is
set only around the calls that need it, Tune's patches only while the search runs, signal
handlers only during the search. A local Ray started by the first call stays up for the
next calls in the same process (it stops when the process exits); a Ray the caller started
or joined is used as it is. Logging is left to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpsearch.errors import EXIT_LEAKAGE, BadInputError, LeakageError

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from hpsearch.config import SweepConfig
    from hpsearch.endings import SweepEnding
    from hpsearch.prepare.preflight import Preflight

__all__ = ["SweepResult", "check", "resume", "run"]


@dataclass(frozen=True)
class SweepResult:
    """What a sweep ended with. ``best_estimator`` is the fitted pipeline that was
    published (registered when ``passed``); it is None when the sweep ended before
    selection (interrupted, too many failures)."""

    passed: bool
    exit_code: int
    status: str
    message: str
    sweep_dir: Path
    parent_run_id: str
    tracking_uri: str
    best_estimator: Pipeline | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    best_family: str | None = None
    best_trial_id: str | None = None
    cv_score: float | None = None
    holdout_metrics: dict[str, float] = field(default_factory=dict)
    leaderboard: pd.DataFrame | None = None
    model_uri: str | None = None
    registered_uri: str | None = None
    model_version: str | None = None


def _config(sweep: Any, *, data: Any, storage: Path) -> tuple[SweepConfig, Path | None]:
    """A validated config (and the sweep file, when given one); ``data`` replaces the
    source."""
    from hpsearch.config import SweepConfig, load_sweep
    from hpsearch.config.loading import parse_sweep, resolve_paths
    from hpsearch.store.frames import save_frame

    sweep_file: Path | None = None
    if isinstance(sweep, SweepConfig):
        config = sweep
    elif isinstance(sweep, Mapping):
        raw = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in sweep.items()}
        if data is not None:  # the source is filled in below
            raw["data"] = {**raw.get("data", {}), "source": "dataframe.parquet"}
        config = resolve_paths(config=parse_sweep(raw=raw, path=Path("<dict>")), base=Path.cwd())
    elif isinstance(sweep, (str, Path)):
        sweep_file = Path(sweep)
        config = load_sweep(sweep_file)
    else:
        raise BadInputError(
            f"sweep must be a path to a sweep file, a dict or a SweepConfig, got "
            f"{type(sweep).__name__}. Fix: pass e.g. 'examples/demo.yaml'."
        )
    if data is not None:
        source = str(save_frame(data, storage=storage))
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"source": source})}
        )
    return config, sweep_file


def _result(ending: SweepEnding) -> SweepResult:
    selection = ending.selection
    base: dict[str, Any] = {
        "passed": ending.exit_code == 0,
        "exit_code": ending.exit_code,
        "status": str(ending.status),
        "message": ending.message,
        "sweep_dir": ending.paths.root,
        "parent_run_id": ending.parent_run_id,
        "tracking_uri": ending.tracking_uri,
    }
    if selection is None:
        return SweepResult(**base)
    best = selection.verdict.best
    return SweepResult(
        **base,
        best_estimator=selection.estimator,
        best_params=dict(best.params),
        best_family=best.family,
        best_trial_id=best.trial_id,
        cv_score=best.objective,
        holdout_metrics=dict(selection.verdict.holdout),
        leaderboard=selection.leaderboard,
        model_uri=selection.model_uri,
        registered_uri=selection.registered_uri,
        model_version=selection.model_version,
    )


def _raise_leakage(ending: SweepEnding) -> None:
    if ending.exit_code == EXIT_LEAKAGE:  # the report is in the sweep directory, as for the CLI
        raise LeakageError(ending.message)


def run(
    sweep: str | Path | Mapping[str, Any] | SweepConfig,
    *,
    data: pd.DataFrame | None = None,
    trials: int | None = None,
    storage: str | Path = "sweeps",
    tracking_uri: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run a sweep as ``hpsearch run`` does: search, refit the best, validate on the
    hold-out rows, register the model if it passes.

    ``sweep`` is a sweep file, a dict of the same keys or a ``SweepConfig``; ``data`` a
    DataFrame (with the target column) used instead of ``data.source`` and recorded like a
    file. Bad input raises ``BadInputError`` and leakage ``LeakageError``, with the CLI's
    messages; every other ending (passed, failed validation, interrupted) is a result with
    the CLI's exit code.
    """
    from hpsearch.config import with_overrides
    from hpsearch.tune.optuna_output import quiet_optuna
    from hpsearch.tune.runtime import begin_ray

    where = Path(storage).expanduser()
    config, sweep_file = _config(sweep, data=data, storage=where)
    config = with_overrides(config, trials=trials, tracking_uri=tracking_uri)
    ray = begin_ray(config)
    from hpsearch.sweep import run_sweep

    with quiet_optuna():
        ending = run_sweep(
            config=config, storage=where, sweep_file=sweep_file, show_progress=progress, ray=ray
        )
    _raise_leakage(ending)
    return _result(ending)


def check(
    sweep: str | Path | Mapping[str, Any] | SweepConfig,
    *,
    data: pd.DataFrame | None = None,
    storage: str | Path = "sweeps",
) -> Preflight:
    """Preflight as ``hpsearch check`` does (data, hold-out split, leakage gate, spaces)
    without searching; raises ``BadInputError`` or ``LeakageError`` as the CLI exits 2 or 3.
    A DataFrame is stored under ``storage`` as for ``run``, so a later run reuses it."""
    from hpsearch.prepare.findings import raise_if_failed
    from hpsearch.prepare.preflight import run_preflight

    config, _ = _config(sweep, data=data, storage=Path(storage).expanduser())
    pre = run_preflight(config)
    raise_if_failed(pre.leakage)
    return pre


def resume(
    sweep_dir: str | Path,
    *,
    trials: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> SweepResult:
    """Resume an interrupted sweep (or extend a finished one to ``trials``) as
    ``hpsearch resume`` does; a sweep started from a DataFrame reads its stored copy."""
    from hpsearch.resume import resume_sweep
    from hpsearch.tune.optuna_output import quiet_optuna

    with quiet_optuna():
        ending = resume_sweep(
            sweep_dir=sweep_dir, trials=trials, retry_failed=retry_failed, show_progress=progress
        )
    _raise_leakage(ending)
    return _result(ending)
