"""Ray Tune orchestration: run the remaining trial budget on a started Ray, return records."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hpsearch.config import SweepConfig
from hpsearch.errors import SweepInterrupted
from hpsearch.evaluation.trial import TrialContext
from hpsearch.launch import seconds_since_launch
from hpsearch.status import TrialStatus
from hpsearch.store.paths import SweepPaths
from hpsearch.store.records import TrialRecord, load_records
from hpsearch.tracking.writer import Unwritten
from hpsearch.tune.context import SearchHooks
from hpsearch.tune.failure_stop import FailureStopper
from hpsearch.tune.interrupts import InterruptGuard
from hpsearch.tune.runtime import resolve_concurrency
from hpsearch.tune.sampler import make_searcher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchOutcome:
    """What the search produced; selection works only from ``records``."""

    records: tuple[TrialRecord, ...]
    stopped_for_failures: bool
    elapsed_s: float
    concurrency: int
    sampler_states: dict[str, int] = field(default_factory=dict)
    unwritten: Unwritten | None = None  # child runs a store outage kept out of MLflow


def next_run_name(paths: SweepPaths) -> str:
    """``run-1``, ``run-2``...: one Tune experiment per run or resume of the sweep."""
    existing = list(paths.tune.glob("run-*")) if paths.tune.exists() else []
    return f"run-{len(existing) + 1}"


def _tuner(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    ctx: TrialContext,
    search_alg: Any,
    remaining: int,
    stopper: FailureStopper,
    callbacks: list[Any],
    previous: list[TrialRecord],
) -> Any:
    from ray import tune

    from hpsearch.tune.fold_stopping import make_scheduler
    from hpsearch.tune.trainable import FoldTrainable

    trainable = tune.with_resources(
        tune.with_parameters(FoldTrainable, ctx=ctx), {"cpu": config.ray.cpus_per_trial}
    )
    return tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            search_alg=search_alg,
            scheduler=make_scheduler(config=config, previous=previous),
            num_samples=remaining,
            reuse_actors=True,
            time_budget_s=config.search.time_budget_s,
        ),
        run_config=tune.RunConfig(
            name=next_run_name(paths),
            storage_path=str(paths.tune),
            verbose=0,
            stop=stopper,
            callbacks=callbacks,
            failure_config=tune.FailureConfig(max_failures=3, fail_fast=False),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1, checkpoint_at_end=False),
            log_to_file=False,
            progress_reporter=tune.CLIReporter(),  # verbose=0: none (Jupyter's would draw)
        ),
    )


def _recorder(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    hooks: SearchHooks,
    concurrency: int,
    show_progress: bool,
    interrupt: threading.Event,
    excluded: frozenset[str],
) -> Any:
    from hpsearch.tune.recorder import Tail, TrialRecorder

    tail = None
    if hooks.on_tail is not None:
        tail = Tail(
            begin=hooks.on_tail, concurrency=concurrency, cpus_per_trial=config.ray.cpus_per_trial
        )
    return TrialRecorder(
        tail=tail,
        records_path=paths.trials,
        parent=hooks.parent,
        on_parent=hooks.on_parent,
        n_folds=config.cv.folds,
        total=config.search.trials,
        metric=config.primary_metric,
        mode=config.mode,
        show_progress=show_progress,
        interrupt=interrupt,
        excluded=excluded,
    )


def _failure_stopper(
    *, config: SweepConfig, previous: list[TrialRecord], interrupt: threading.Event
) -> FailureStopper:
    return FailureStopper(
        budget=config.search.trials,
        max_fraction=config.search.max_failure_fraction,
        interrupt=interrupt,
        failed=sum(r.status == TrialStatus.FAILED for r in previous),
        finished=len(previous),
    )


@dataclass(frozen=True)
class _Budget:
    """What this run of the sweep has to do, from the durable record."""

    previous: list[TrialRecord]
    retry: list[TrialRecord]
    remaining: int
    concurrency: int


def _fit(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    ctx: TrialContext,
    hooks: SearchHooks,
    searcher: Any,
    budget: _Budget,
    show_progress: bool,
    excluded: frozenset[str],
) -> tuple[FailureStopper, Unwritten | None]:
    """One Tune experiment over the remaining budget; raises ``SweepInterrupted``."""
    from ray.tune.search import ConcurrencyLimiter

    from hpsearch.compat.ray_tune import (
        actors_on_prestarted_workers,
        cached_trainable_lookups,
        no_callback_usage_tags,
        quiet_result_fetch,
    )

    with InterruptGuard() as guard:
        recorder = _recorder(
            config=config,
            paths=paths,
            hooks=hooks,
            concurrency=budget.concurrency,
            show_progress=show_progress,
            interrupt=guard.event,
            excluded=excluded,
        )
        stopper = _failure_stopper(config=config, previous=budget.previous, interrupt=guard.event)
        tuner = _tuner(
            config=config,
            paths=paths,
            ctx=ctx,
            search_alg=ConcurrencyLimiter(searcher, max_concurrent=budget.concurrency),
            remaining=budget.remaining,
            stopper=stopper,
            callbacks=[recorder],
            previous=budget.previous,
        )
        try:
            with (
                cached_trainable_lookups(),
                quiet_result_fetch(),
                actors_on_prestarted_workers(),
                no_callback_usage_tags(),
            ):
                tuner.fit()
            logger.debug("ending: Tune returned at %.2f s", seconds_since_launch())
        finally:
            recorder.close()  # every finished trial's child run is written before we go on
            logger.debug("ending: child runs written at %.2f s", seconds_since_launch())
        _raise_if_stopped(recorder=recorder, guard=guard, paths=paths)
    return stopper, recorder.unwritten


def _raise_if_stopped(*, recorder: Any, guard: InterruptGuard, paths: SweepPaths) -> None:
    """``SweepInterrupted`` when the search ended on a full disk or a signal."""
    if recorder.disk_full is not None:
        raise SweepInterrupted(
            f"sweep stopped: no space left on the device of {paths.trials} "
            f"({recorder.disk_full.strerror}). Fix: free space there (df -h {paths.root})"
        )
    if guard.interrupted:
        raise SweepInterrupted(f"sweep interrupted by {guard.signal_name}")


def run_search(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    ctx: TrialContext,
    hooks: SearchHooks,
    show_progress: bool = True,
    excluded: frozenset[str] = frozenset(),
) -> SearchOutcome:
    """Run the remaining trial budget through Ray Tune and return every record.

    The parent run (``hooks``) may still be opening: it begins once a trial runs.

    Trials recorded in ``trials.jsonl`` count toward the budget and seed the sampler,
    except those in ``excluded`` (failed trials being retried: their configs run again).
    Raises ``SweepInterrupted`` after a graceful stop on SIGINT/SIGTERM."""
    previous = load_records(paths.trials, excluded=excluded)
    budget = _Budget(
        previous=previous,
        retry=[r for r in load_records(paths.trials) if r.trial_id in excluded],
        remaining=config.search.trials - len(previous),
        concurrency=resolve_concurrency(config),
    )
    start = time.monotonic()
    if budget.remaining <= 0:
        return SearchOutcome(
            records=tuple(previous),
            stopped_for_failures=False,
            elapsed_s=0.0,
            concurrency=budget.concurrency,
        )
    searcher = make_searcher(
        config=config, spaces=ctx.spaces, previous=previous, retry=budget.retry
    )
    from hpsearch.compat.ray_tune import tune_patches

    with tune_patches():  # Tune is as it was once the search is over
        stopper, unwritten = _fit(
            config=config,
            paths=paths,
            ctx=ctx,
            hooks=hooks,
            searcher=searcher,
            budget=budget,
            show_progress=show_progress,
            excluded=excluded,
        )
    return SearchOutcome(
        records=tuple(load_records(paths.trials, excluded=excluded)),
        stopped_for_failures=stopper.too_many_failures,
        elapsed_s=time.monotonic() - start,
        concurrency=budget.concurrency,
        sampler_states=dict(Counter(t.state.name for t in searcher.study.trials)),
        unwritten=unwritten,
    )
