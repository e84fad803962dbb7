"""Ray Tune orchestration: start or join Ray, run the trials, return their records."""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from hpsearch.callbacks import FailureStopper, TrialRecorder, load_records
from hpsearch.config import SweepConfig
from hpsearch.data import DataPart
from hpsearch.metrics import get_metric
from hpsearch.pipelines import ColumnTypes
from hpsearch.records import TrialRecord
from hpsearch.searcher import HonestOptunaSearch
from hpsearch.spaces import ConditionalSpace, SearchSpace
from hpsearch.stopping import FoldMedianStopping
from hpsearch.sweepdir import SweepPaths
from hpsearch.tracking import SweepTracker
from hpsearch.trainable import TrialContext, run_trial

logger = logging.getLogger(__name__)

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class SearchOutcome:
    """What the search produced; selection works only from ``records``."""

    records: tuple[TrialRecord, ...]
    stopped_for_failures: bool
    elapsed_s: float
    concurrency: int


def quiet_ray_env() -> None:
    """Environment that keeps Ray quiet and offline; set before ``import ray``."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_MAX_PENDING_TRIALS_PG", "16")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")


def init_ray(*, address: str | None, cpus_per_trial: int) -> None:
    """Join the cluster at ``address``, or start a local Ray instance."""
    quiet_ray_env()
    import ray

    if ray.is_initialized():
        return
    env = {name: str(cpus_per_trial) for name in THREAD_ENV}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        address=address,
        include_dashboard=False if address is None else None,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": env},
    )


def available_cpus() -> int:
    import ray

    return max(1, int(ray.available_resources().get("CPU", ray.cluster_resources().get("CPU", 1))))


def resolve_concurrency(config: SweepConfig) -> int:
    """``auto`` = CPUs in the Ray cluster // cpus per trial; never more than the budget."""
    import ray

    if config.search.concurrency == "auto":
        total = int(ray.cluster_resources().get("CPU", 1))
        value = max(1, math.floor(total / config.ray.cpus_per_trial))
    else:
        value = int(config.search.concurrency)
    return max(1, min(value, config.search.trials))


def make_context(
    *,
    config: SweepConfig,
    development: DataPart,
    spaces: tuple[SearchSpace, ...],
    column_types: ColumnTypes,
) -> TrialContext:
    return TrialContext(
        X=development.X,
        y=development.y,
        groups=development.groups,
        by_time=development.times is not None,
        spaces=spaces,
        column_types=column_types,
        task=config.task,
        metrics=config.all_metrics,
        primary=config.primary_metric,
        folds=config.cv.folds,
        seed=config.seed,
        cpus=max(1, int(config.ray.cpus_per_trial)),
        fingerprint=development.fingerprint,
        report_every_fold=config.search.early_stopping,
    )


def optimisation_mode(config: SweepConfig) -> str:
    metric = get_metric(name=config.primary_metric, task=config.task)
    return "max" if metric.greater_is_better else "min"


def make_searcher(
    *, config: SweepConfig, spaces: tuple[SearchSpace, ...], previous: list[TrialRecord]
) -> HonestOptunaSearch:
    """Seeded TPE over the conditional space; earlier trials are given to the sampler."""
    n_startup = max(4, min(10, config.search.trials // 5))
    sampler = optuna.samplers.TPESampler(
        seed=config.seed, n_startup_trials=n_startup, multivariate=True, group=True
    )
    searcher = HonestOptunaSearch(
        n_folds=config.cv.folds,
        space=ConditionalSpace(spaces),
        metric="objective",
        mode=optimisation_mode(config),
        sampler=sampler,
    )
    return searcher


def run_search(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    ctx: TrialContext,
    tracker: SweepTracker,
    parent_run_id: str,
    show_progress: bool = True,
) -> SearchOutcome:
    """Run the remaining trial budget through Ray Tune and return every record."""
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    previous = load_records(paths.trials)
    remaining = config.search.trials - len(previous)
    start = time.monotonic()
    concurrency = resolve_concurrency(config)
    if remaining <= 0:
        return SearchOutcome(tuple(previous), False, 0.0, concurrency)
    mode = optimisation_mode(config)
    searcher = make_searcher(config=config, spaces=ctx.spaces, previous=previous)
    limited = ConcurrencyLimiter(searcher, max_concurrent=concurrency)
    scheduler: Any
    if config.search.early_stopping and config.cv.folds >= 3:
        scheduler = FoldMedianStopping(mode=mode, n_folds=config.cv.folds)
    else:
        scheduler = tune.schedulers.FIFOScheduler()
    recorder = TrialRecorder(
        records_path=paths.trials,
        tracker=tracker,
        parent_run_id=parent_run_id,
        n_folds=config.cv.folds,
        total=config.search.trials,
        metric=config.primary_metric,
        mode=mode,
        show_progress=show_progress,
    )
    stopper = FailureStopper(
        budget=config.search.trials, max_fraction=config.search.max_failure_fraction
    )
    trainable = tune.with_resources(
        tune.with_parameters(run_trial, ctx=ctx), {"cpu": config.ray.cpus_per_trial}
    )
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            search_alg=limited,
            scheduler=scheduler,
            num_samples=remaining,
            reuse_actors=True,
            time_budget_s=config.search.time_budget_s,
        ),
        run_config=tune.RunConfig(
            name="tune",
            storage_path=str(paths.root),
            verbose=0,
            stop=stopper,
            callbacks=[recorder],
            failure_config=tune.FailureConfig(max_failures=1, fail_fast=False),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            log_to_file=False,
        ),
    )
    tuner.fit()
    records = load_records(paths.trials)
    return SearchOutcome(
        records=tuple(records),
        stopped_for_failures=stopper.stop_all(),
        elapsed_s=time.monotonic() - start,
        concurrency=concurrency,
    )


def tune_experiment_dir(paths: SweepPaths) -> Path:
    return paths.tune
