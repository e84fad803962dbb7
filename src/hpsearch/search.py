"""Ray Tune orchestration: run the trials on a started Ray, return their records."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import TrialState

from hpsearch.callbacks import FailureStopper, TrialRecorder
from hpsearch.config import SweepConfig
from hpsearch.data import DataPart
from hpsearch.evaluate import fixed_folds, make_splitter
from hpsearch.interrupts import InterruptGuard, SweepInterrupted
from hpsearch.metrics import get_metric
from hpsearch.pipelines import ColumnTypes
from hpsearch.records import TrialRecord, load_records
from hpsearch.searcher import HonestOptunaSearch
from hpsearch.spaces import FAMILY_KEY, ConditionalSpace, SearchSpace, param_name
from hpsearch.stopping import FoldQuantileStopping
from hpsearch.sweepdir import SweepPaths
from hpsearch.tracking import SweepTracker
from hpsearch.trainable import (
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_PRUNED,
    TrialContext,
)
from hpsearch.tune_patch import (
    cached_trainable_lookups,
    keep_starting_actors,
    retry_pending_on_lost_actor,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchOutcome:
    """What the search produced; selection works only from ``records``."""

    records: tuple[TrialRecord, ...]
    stopped_for_failures: bool
    elapsed_s: float
    concurrency: int
    sampler_states: dict[str, int] = field(default_factory=dict)


def resolve_concurrency(config: SweepConfig) -> int:
    """``auto`` = CPUs in the Ray cluster // cpus per trial; never more than the budget."""
    import ray

    if config.search.concurrency == "auto":
        # ray.nodes() asks the GCS; cluster_resources() right after joining may still
        # show only the local node
        alive = [n for n in ray.nodes() if n.get("Alive")]
        total = int(sum(n.get("Resources", {}).get("CPU", 0) for n in alive)) or 1
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
        spaces=spaces,
        column_types=column_types,
        task=config.task,
        metrics=config.all_metrics,
        primary=config.primary_metric,
        folds=config.cv.folds,
        seed=config.seed,
        cpus=max(1, int(config.ray.cpus_per_trial)),
        fold_plan=fixed_folds(
            splitter=make_splitter(
                task=config.task,
                folds=config.cv.folds,
                seed=config.seed,
                grouped=development.groups is not None,
                by_time=development.times is not None,
            ),
            X=development.X,
            y=development.y,
            groups=development.groups,
        ),
        report_every_fold=config.search.early_stopping,
        cache_mb=config.search.preprocess_cache_mb,
    )


def optimisation_mode(config: SweepConfig) -> str:
    metric = get_metric(name=config.primary_metric, task=config.task)
    return "max" if metric.greater_is_better else "min"


def _distributions(spaces: tuple[SearchSpace, ...]) -> dict[str, BaseDistribution]:
    """Every Optuna parameter of the conditional space, by its flat name."""
    out: dict[str, BaseDistribution] = {
        FAMILY_KEY: CategoricalDistribution([s.family for s in spaces])
    }
    for space in spaces:
        for path, dist in space.params.items():
            out[param_name(family=space.family, path=path)] = dist
    return out


def _running_means(values: list[float]) -> dict[int, float]:
    return {k + 1: float(sum(values[: k + 1]) / (k + 1)) for k in range(len(values))}


def seed_study(
    *,
    study: optuna.Study,
    records: list[TrialRecord],
    spaces: tuple[SearchSpace, ...],
    primary: str,
) -> int:
    """Tell the sampler every finished trial of earlier runs of this sweep."""
    distributions = _distributions(spaces)
    added = 0
    for record in records:
        params = {k: v for k, v in record.config.items() if k in distributions}
        dists = {k: distributions[k] for k in params}
        curve = _running_means(record.fold_scores.get(primary, []))
        if record.status == STATUS_COMPLETED and record.objective is not None:
            state, value = TrialState.COMPLETE, record.objective
        elif record.status == STATUS_PRUNED:
            state, value = TrialState.PRUNED, None
        else:
            state, value = TrialState.FAIL, None
        try:
            trial = optuna.trial.create_trial(
                params=params,
                distributions=dists,
                value=value,
                state=state,
                intermediate_values=curve or None,
            )
        except ValueError:
            continue  # a value outside the (unchanged) space cannot happen; skip defensively
        study.add_trial(trial)
        added += 1
    return added


def make_searcher(
    *,
    config: SweepConfig,
    spaces: tuple[SearchSpace, ...],
    previous: list[TrialRecord],
    retry: list[TrialRecord],
) -> HonestOptunaSearch:
    """Seeded TPE over the conditional space, told every earlier finished trial."""
    n_startup = max(4, min(10, config.search.trials // 5))
    sampler = optuna.samplers.TPESampler(
        seed=config.seed + len(previous),
        n_startup_trials=n_startup,
        multivariate=True,
        group=True,
    )
    searcher = HonestOptunaSearch(
        n_folds=config.cv.folds,
        space=ConditionalSpace(spaces),
        metric="objective",
        mode=optimisation_mode(config),
        sampler=sampler,
    )
    seed_study(study=searcher.study, records=previous, spaces=spaces, primary=config.primary_metric)
    for record in retry:
        searcher.study.enqueue_trial(dict(record.config), skip_if_exists=False)
    return searcher


def next_run_name(paths: SweepPaths) -> str:
    """``run-1``, ``run-2``...: one Tune experiment per run or resume of the sweep."""
    existing = list(paths.tune.glob("run-*")) if paths.tune.exists() else []
    return f"run-{len(existing) + 1}"


def run_search(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    ctx: TrialContext,
    tracker: SweepTracker,
    parent_run_id: str,
    show_progress: bool = True,
    excluded: frozenset[str] = frozenset(),
) -> SearchOutcome:
    """Run the remaining trial budget through Ray Tune and return every record.

    Trials recorded in ``trials.jsonl`` count toward the budget and seed the sampler,
    except those in ``excluded`` (failed trials being retried: their configs run again).
    Raises ``SweepInterrupted`` after a graceful stop on SIGINT/SIGTERM.
    """
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    from hpsearch.fold_trainable import FoldTrainable

    keep_starting_actors()
    retry_pending_on_lost_actor()
    all_records = load_records(paths.trials)
    previous = [r for r in all_records if r.trial_id not in excluded]
    retry = [r for r in all_records if r.trial_id in excluded]
    remaining = config.search.trials - len(previous)
    start = time.monotonic()
    concurrency = resolve_concurrency(config)
    if remaining <= 0:
        return SearchOutcome(tuple(previous), False, 0.0, concurrency)
    mode = optimisation_mode(config)
    searcher = make_searcher(config=config, spaces=ctx.spaces, previous=previous, retry=retry)
    limited = ConcurrencyLimiter(searcher, max_concurrent=concurrency)
    scheduler: Any
    if config.search.early_stopping and config.cv.folds >= 3:
        stopping = FoldQuantileStopping(
            mode=mode, n_folds=config.cv.folds, quantile=config.search.stopping_quantile
        )
        stopping.seed_history(
            [
                list(_running_means(r.fold_scores.get(config.primary_metric, [])).values())
                for r in previous
                if r.selectable
            ]
        )
        scheduler = stopping
    else:
        scheduler = tune.schedulers.FIFOScheduler()
    with InterruptGuard() as guard:
        recorder = TrialRecorder(
            records_path=paths.trials,
            tracker=tracker,
            parent_run_id=parent_run_id,
            n_folds=config.cv.folds,
            total=config.search.trials,
            metric=config.primary_metric,
            mode=mode,
            show_progress=show_progress,
            interrupt=guard.event,
            excluded=excluded,
        )
        failed_before = sum(r.status == STATUS_FAILED for r in previous)
        stopper = FailureStopper(
            budget=config.search.trials,
            max_fraction=config.search.max_failure_fraction,
            interrupt=guard.event,
            failed=failed_before,
            finished=len(previous),
        )
        trainable = tune.with_resources(
            tune.with_parameters(FoldTrainable, ctx=ctx), {"cpu": config.ray.cpus_per_trial}
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
                name=next_run_name(paths),
                storage_path=str(paths.tune),
                verbose=0,
                stop=stopper,
                callbacks=[recorder],
                failure_config=tune.FailureConfig(max_failures=3, fail_fast=False),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1, checkpoint_at_end=False),
                log_to_file=False,
            ),
        )
        try:
            with cached_trainable_lookups():
                tuner.fit()
        finally:
            recorder.close()  # every finished trial's child run is written before we go on
        if guard.interrupted:
            raise SweepInterrupted(f"sweep interrupted by {guard.signal_name}")
    records = [r for r in load_records(paths.trials) if r.trial_id not in excluded]
    return SearchOutcome(
        records=tuple(records),
        stopped_for_failures=stopper.too_many_failures,
        elapsed_s=time.monotonic() - start,
        concurrency=concurrency,
        sampler_states=dict(Counter(t.state.name for t in searcher.study.trials)),
    )
