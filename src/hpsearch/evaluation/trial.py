"""What runs inside a trial, without Ray: one config, cross-validated, fold by fold.

``TrialRun`` is one trial; ``ActorState`` is what an actor keeps between the trials it
runs (the data fingerprint, the node, the fold cache, the thread pools). The Ray side is
``hpsearch.tune.trainable.FoldTrainable``. The development data arrives once per actor through the
object store (``tune.with_parameters``); the hold-out part is never in ``TrialContext``.
Every result carries the data fingerprint the trial saw, so tests can prove it.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from joblib import parallel_config
from threadpoolctl import ThreadpoolController

from hpsearch.config.metrics import Metric, Task, get_metric
from hpsearch.evaluation.fidelity import FidelityPlan, Rung, model_rounds, rounds_name, trial_rungs
from hpsearch.evaluation.fold import CVSummary, FoldScore, evaluate_fold
from hpsearch.evaluation.fold_cache import FoldCache, preprocessing_key
from hpsearch.evaluation.rounds import EarlyStop
from hpsearch.evaluation.rung import evaluate_rung
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.folds import FixedFolds
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.conditional import split_config
from hpsearch.spaces.model import SearchSpace
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.status import TrialStatus


@dataclass(frozen=True)
class TrialContext:
    """What every trial needs, shipped once to the object store."""

    X: pd.DataFrame
    y: pd.Series
    groups: pd.Series | None
    spaces: tuple[SearchSpace, ...]
    column_types: ColumnTypes
    task: Task
    metrics: tuple[str, ...]
    primary: str
    folds: int
    seed: int
    cpus: int
    fold_plan: FixedFolds
    report_every_fold: bool = True
    cache_mb: int = 256
    fidelity: FidelityPlan = field(default_factory=FidelityPlan)  # rungs (early stopping)


def _max_threads(controller: ThreadpoolController) -> int:
    """The most threads any BLAS/OpenMP pool the controller found would use now."""
    return max((int(info.get("num_threads", 1)) for info in controller.info()), default=1)


def _fold_payload(*, ctx: TrialContext, scores: list[FoldScore]) -> dict[str, Any]:
    cv = CVSummary(metrics=ctx.metrics, folds=tuple(scores))
    values: dict[str, list[float]] = {m: cv.per_fold(m) for m in ctx.metrics}
    if cv.rounds:  # logged per fold (fold_rounds) beside the scores
        values["rounds"] = [float(r) for r in cv.rounds]
    train = {m: [s.train[m] for s in scores] for m in ctx.metrics}
    # Tune tracks statistics of every numeric key of every result on the driver: the
    # scores travel as one string, only what the scheduler and searcher read is numeric
    return {
        "objective": cv.mean(ctx.primary),
        "folds_completed": len(scores),
        "scores": json.dumps({"summary": cv.summary(), "validation": values, "train": train}),
    }


class ThreadPools:
    """threadpoolctl's view of this process's BLAS/OpenMP pools, found again only when
    modules were imported since the last scan (a scan of the loaded libraries costs a few
    ms; new native libraries arrive with new extension modules)."""

    def __init__(self) -> None:
        self._controller: ThreadpoolController | None = None
        self._modules = -1

    def current(self) -> ThreadpoolController:
        if self._controller is None or len(sys.modules) != self._modules:
            self._controller = ThreadpoolController()
            self._modules = len(sys.modules)
        return self._controller


@dataclass(frozen=True)
class ActorState:
    """What one actor (or process) keeps across the trials it runs."""

    fingerprint: str
    node_id: str
    cache: FoldCache
    pools: ThreadPools

    @classmethod
    def create(cls, *, ctx: TrialContext, node_id: str) -> ActorState:
        return cls(
            fingerprint=fingerprint(ctx.X, ctx.y),
            node_id=node_id,
            cache=FoldCache(max_bytes=ctx.cache_mb * 2**20),
            pools=ThreadPools(),
        )


def _largest_rounds(*, space: SearchSpace, model: Any) -> int | None:
    """The upper bound of the family's rounds in its space (None: the rounds are fixed)."""
    name = rounds_name(model)
    if name is None:
        return None
    for path, dist in space.params.items():
        if path.endswith(f"__{name}") and hasattr(dist, "high"):
            return int(dist.high)
    return None


def _failed(*, base: dict[str, Any], exc: BaseException, folds: int) -> dict[str, Any]:
    message = str(exc).splitlines()[0][:500] if str(exc) else ""
    return {
        **base,
        "hpsearch_status": TrialStatus.FAILED,
        "objective": float("nan"),
        "folds_completed": folds,
        "error": f"{type(exc).__name__}: {message}",
        "traceback": traceback.format_exc()[-8000:],
    }


class TrialRun:
    """One sampled config, cross-validated a fold per ``step()`` (or every fold in one
    step when ``report_every_fold`` is off), after a step per rung of the first fold at a
    cheaper fidelity (``evaluation.fidelity``; with ``report_every_fold`` only).

    Each step returns the result to report. The last has ``hpsearch_status`` "completed",
    or "failed" with the error when building the pipeline or a fold raised: a failing
    trial does not raise, so the actor stays reusable.
    """

    def __init__(self, *, config: Mapping[str, Any], ctx: TrialContext, actor: ActorState) -> None:
        self._ctx = ctx
        self._actor = actor
        self._scores: list[FoldScore] = []
        self._failure: dict[str, Any] | None = None
        self._pipeline: Any = None
        self._cache_key = ""
        self._stop: EarlyStop | None = None
        self._rungs: list[Rung] = []
        self._rung_scores: dict[str, float] = {}
        self._warm: Any = None
        self._largest = 0
        family, params = split_config(config)
        self._base: dict[str, Any] = {
            "family": family,
            "node_id": actor.node_id,
            "data_rows": len(ctx.X),
            "data_fingerprint": actor.fingerprint,
            "n_folds": ctx.folds,
        }
        self._metrics: list[Metric] = [get_metric(name=m, task=ctx.task) for m in ctx.metrics]
        try:
            space = next(s for s in ctx.spaces if s.family == family)
            if space.early_stopping_rounds:
                self._stop = EarlyStop(patience=space.early_stopping_rounds, seed=ctx.seed)
            self._pipeline = build_pipeline(
                space=space,
                params=params,
                column_types=ctx.column_types,
                n_jobs=ctx.cpus,
                seed=ctx.seed,
            )
            self._cache_key = preprocessing_key(self._pipeline[:-1]) if ctx.cache_mb > 0 else ""
            self._plan_rungs(space=space, family=family)
        except Exception as exc:
            self._failure = _failed(base=self._base, exc=exc, folds=0)

    def _plan_rungs(self, *, space: SearchSpace, family: str) -> None:
        """The cheaper fidelities this trial is judged at first (early stopping only)."""
        if not self._ctx.report_every_fold:
            return
        final = self._pipeline.steps[-1][1]
        largest = _largest_rounds(space=space, model=final)
        self._largest = largest or model_rounds(final) or 0
        self._rungs = list(
            trial_rungs(plan=self._ctx.fidelity, model=final, family=family, largest=largest)
        )

    def _rung_step(self) -> dict[str, Any]:
        """The next rung: the primary metric on the first fold at that fidelity."""
        ctx = self._ctx
        rung = self._rungs.pop(0)
        train_idx, val_idx = ctx.fold_plan.folds[0]
        score = evaluate_rung(
            pipeline=self._pipeline, X=ctx.X, y=ctx.y, rung=rung, train_idx=train_idx,
            val_idx=val_idx, metric=self._metrics[0], largest=self._largest, warm=self._warm,
            cache=self._actor.cache, cache_key=self._cache_key, stop=self._stop,
        )  # fmt: skip
        self._warm = score.warm
        self._rung_scores[rung.key] = score.value
        return {
            **self._base,
            "rung": rung.key,
            "rung_score": score.value,
            "rung_scores": json.dumps(self._rung_scores),
            "objective": float("nan"),  # a CV score only comes from full folds
            "folds_completed": 0,
            "hpsearch_status": TrialStatus.RUNNING,
        }

    def step(self) -> dict[str, Any]:
        if self._failure is not None:
            return self._failure
        if self._rungs:
            return self._guarded(self._rung_step)
        return self._guarded(self._fold_step)

    def _guarded(self, run: Any) -> dict[str, Any]:
        """Run a step with the trial's thread caps; a failure ends the trial, never raises.

        BLAS/OpenMP threads and joblib workers (estimators with n_jobs=None) stay within the
        CPUs this trial reserved. OpenMP pools loaded later than the scan start from the
        actor's OMP_NUM_THREADS, which Ray sets to the same number (the actor's CPUs)."""
        ctx = self._ctx
        pools = self._actor.pools.current()
        try:
            with pools.limit(limits=ctx.cpus), parallel_config(n_jobs=ctx.cpus):
                payload: dict[str, Any] = run()
                if payload["hpsearch_status"] == TrialStatus.COMPLETED:
                    payload["max_threads"] = _max_threads(pools)  # what the limits left
        except Exception as exc:
            self._failure = _failed(base=self._base, exc=exc, folds=len(self._scores))
            return self._failure
        return payload

    def _fold_step(self) -> dict[str, Any]:
        """The next fold (every fold when not early stopping), at full fidelity."""
        ctx = self._ctx
        folds = ctx.fold_plan.folds
        while True:
            fold = len(self._scores)
            train_idx, val_idx = folds[fold]
            self._scores.append(
                evaluate_fold(
                    pipeline=self._pipeline,
                    X=ctx.X,
                    y=ctx.y,
                    fold=fold,
                    train_idx=train_idx,
                    val_idx=val_idx,
                    metrics=self._metrics,
                    cache=self._actor.cache,
                    cache_key=self._cache_key,
                    stop=self._stop,
                    warm=self._warm if fold == 0 else None,
                )
            )
            last = len(self._scores) == len(folds)
            if last or ctx.report_every_fold:
                break
        self._warm = None
        payload = {**self._base, **_fold_payload(ctx=ctx, scores=self._scores)}
        payload["hpsearch_status"] = TrialStatus.COMPLETED if last else TrialStatus.RUNNING
        if self._rung_scores:
            payload["rung_scores"] = json.dumps(self._rung_scores)
        return payload
