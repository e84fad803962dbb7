"""The code that runs inside a Ray Tune trial: one config, cross-validated, fold by fold.

The development data arrives once through the object store (``tune.with_parameters``);
the hold-out part is never in ``TrialContext``. Every result carries the data
fingerprint the trial saw, so tests can prove it.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import parallel_config
from threadpoolctl import ThreadpoolController

from hpsearch.evaluate import FixedFolds, FoldScore, cross_validate_pipeline
from hpsearch.metrics import Task, get_metric
from hpsearch.pipelines import ColumnTypes, build_pipeline
from hpsearch.spaces import SearchSpace, split_config

STATUS_COMPLETED = "completed"
STATUS_PRUNED = "pruned"
STATUS_FAILED = "failed"
STATUS_RUNNING = "running"


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


def data_fingerprint(X: pd.DataFrame, y: pd.Series) -> str:
    """Content hash of what a trial received (same definition as ``data.py``'s)."""
    from hpsearch.data import fingerprint

    return fingerprint(X, y)


def _max_threads(controller: ThreadpoolController) -> int:
    """The most threads any BLAS/OpenMP pool the controller found would use now."""
    return max((int(info.get("num_threads", 1)) for info in controller.info()), default=1)


def _fold_payload(*, ctx: TrialContext, scores: list[FoldScore]) -> dict[str, Any]:
    values = {m: [s.validation[m] for s in scores] for m in ctx.metrics}
    train = {m: [s.train[m] for s in scores] for m in ctx.metrics}
    summary: dict[str, float] = {"fit_time_s": float(sum(s.fit_time_s for s in scores))}
    for m in ctx.metrics:
        summary[f"cv_{m}_mean"] = float(np.mean(values[m]))
        summary[f"cv_{m}_std"] = float(np.std(values[m]))
        summary[f"gap_{m}"] = float(np.mean(train[m]) - np.mean(values[m]))
    # Tune tracks statistics of every numeric key of every result on the driver: the
    # scores travel as one string, only what the scheduler and searcher read is numeric
    return {
        "objective": float(np.mean(values[ctx.primary])),
        "folds_completed": len(scores),
        "scores": json.dumps({"summary": summary, "validation": values, "train": train}),
    }


def evaluate_config(
    *, config: Mapping[str, Any], ctx: TrialContext, report: Callable[[dict[str, Any]], None]
) -> None:
    """Cross-validate one sampled config, calling ``report(dict)`` after every fold
    (or only after the last one when ``report_every_fold`` is off).

    The last report has ``hpsearch_status`` "completed" or, when a fold raised,
    "failed" with the error: a failing trial does not raise, so the actor stays reusable.
    """
    family, params = split_config(config)
    space = next(s for s in ctx.spaces if s.family == family)
    base: dict[str, Any] = {
        "family": family,
        "node_id": _node_id(),
        "data_rows": len(ctx.X),
        "data_fingerprint": data_fingerprint(ctx.X, ctx.y),
        "n_folds": ctx.folds,
    }
    metrics = [get_metric(name=m, task=ctx.task) for m in ctx.metrics]
    scores: list[FoldScore] = []
    try:
        pipeline = build_pipeline(
            space=space,
            params=params,
            column_types=ctx.column_types,
            n_jobs=ctx.cpus,
            seed=ctx.seed,
        )
        # BLAS/OpenMP threads and joblib workers (estimators with n_jobs=None) stay within
        # the CPUs this trial reserved. The pools are found once per trial (a scan of the
        # loaded libraries, a few ms), after building the pipeline has imported the
        # estimator's own native libraries; pools loaded later start from the actor's
        # OMP_NUM_THREADS/OPENBLAS_NUM_THREADS/MKL_NUM_THREADS, set to the same number.
        pools = ThreadpoolController()

        def on_fold(score: FoldScore) -> bool:
            scores.append(score)
            last = len(scores) == ctx.folds
            if ctx.report_every_fold or last:
                payload = {**base, **_fold_payload(ctx=ctx, scores=scores)}
                payload["hpsearch_status"] = STATUS_COMPLETED if last else STATUS_RUNNING
                if last:  # after the fits: what the limits left each pool
                    payload["max_threads"] = _max_threads(pools)
                report(payload)
            return False

        with pools.limit(limits=ctx.cpus), parallel_config(n_jobs=ctx.cpus):
            cross_validate_pipeline(
                pipeline=pipeline,
                X=ctx.X,
                y=ctx.y,
                groups=ctx.groups,
                splitter=ctx.fold_plan,
                metrics=metrics,
                on_fold=on_fold,
            )
    except Exception as exc:
        message = str(exc).splitlines()[0][:500] if str(exc) else ""
        report(
            {
                **base,
                "hpsearch_status": STATUS_FAILED,
                "objective": float("nan"),
                "folds_completed": len(scores),
                "error": f"{type(exc).__name__}: {message}",
                "traceback": traceback.format_exc()[-8000:],
            }
        )


def _node_id() -> str:
    try:
        import ray

        if not ray.is_initialized():  # the runtime context would start Ray
            return os.uname().nodename
        return str(ray.get_runtime_context().get_node_id())
    except Exception:  # outside Ray (unit tests)
        return os.uname().nodename


def run_trial(config: dict[str, Any], ctx: TrialContext) -> None:
    """Ray Tune function trainable: a report per fold, the last one final."""
    from ray import tune

    evaluate_config(config=config, ctx=ctx, report=tune.report)
