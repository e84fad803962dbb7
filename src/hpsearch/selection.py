"""Pick the best trial, refit it on all development rows, judge it once on the hold-out set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from hpsearch.data import DataPart
from hpsearch.errors import HpsearchError
from hpsearch.evaluate import score_model
from hpsearch.metrics import Metric, Task, get_metric, meets_threshold
from hpsearch.pipelines import ColumnTypes, build_pipeline
from hpsearch.records import TrialRecord
from hpsearch.spaces import SearchSpace


class NoSelectableTrialError(HpsearchError):
    """No trial completed every fold: nothing can be selected."""

    exit_code = 1


@dataclass(frozen=True)
class Verdict:
    """The hold-out judgement of the selected model."""

    best: TrialRecord
    holdout: dict[str, float]
    baseline: dict[str, float]
    thresholds: dict[str, float]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def select_best(records: Sequence[TrialRecord], *, mode: str) -> TrialRecord:
    """Best primary CV mean among trials that completed every fold (ties: earliest)."""
    candidates = [r for r in records if r.selectable]
    if not candidates:
        counts = {s: sum(r.status == s for r in records) for s in {r.status for r in records}}
        raise NoSelectableTrialError(
            f"no trial completed every fold (statuses: {counts or 'no trials'}); nothing to "
            "select. Fix: check the failed trials' errors in MLflow, or raise search.trials."
        )
    sign = 1.0 if mode == "max" else -1.0
    return max(candidates, key=lambda r: (sign * float(r.objective or 0.0), -r.number))


def refit(
    *,
    record: TrialRecord,
    spaces: Sequence[SearchSpace],
    development: DataPart,
    column_types: ColumnTypes,
    seed: int,
    n_jobs: int,
) -> Pipeline:
    """Fit the selected configuration on every development row."""
    space = next(s for s in spaces if s.family == record.family)
    pipeline = build_pipeline(
        space=space, params=record.params, column_types=column_types, n_jobs=n_jobs, seed=seed
    )
    with threadpool_limits(limits=n_jobs), parallel_config(n_jobs=n_jobs):
        pipeline.fit(development.X, development.y)
    return pipeline


def baseline_model(task: Task) -> BaseEstimator:
    if task == "classification":
        return DummyClassifier(strategy="prior")
    return DummyRegressor(strategy="mean")


def _dummy_scores(
    *, task: Task, development: DataPart, holdout: DataPart, metrics: Sequence[Metric]
) -> dict[str, float]:
    dummy = Pipeline([("model", baseline_model(task))])
    dummy.fit(development.X, development.y)
    return score_model(model=dummy, X=holdout.X, y=holdout.y, metrics=metrics)


def judge(
    *,
    best: TrialRecord,
    model: Pipeline,
    task: Task,
    development: DataPart,
    holdout: DataPart,
    metric_names: Sequence[str],
    primary: str,
    thresholds: Mapping[str, float],
) -> Verdict:
    """Score once on the hold-out set; pass = every threshold met and the dummy beaten."""
    metrics = [get_metric(name=m, task=task) for m in metric_names]
    scores = score_model(model=model, X=holdout.X, y=holdout.y, metrics=metrics)
    baseline = _dummy_scores(task=task, development=development, holdout=holdout, metrics=metrics)
    failures = threshold_failures(scores=scores, thresholds=thresholds, task=task)
    primary_metric = get_metric(name=primary, task=task)
    beats = (
        scores[primary] > baseline[primary]
        if primary_metric.greater_is_better
        else scores[primary] < baseline[primary]
    )
    if not beats:
        failures.append(
            f"{primary} = {scores[primary]:.4f} does not beat the dummy baseline "
            f"({baseline[primary]:.4f})"
        )
    return Verdict(
        best=best,
        holdout=scores,
        baseline=baseline,
        thresholds=dict(thresholds),
        failures=tuple(failures),
    )


def threshold_failures(
    *, scores: Mapping[str, float], thresholds: Mapping[str, float], task: Task
) -> list[str]:
    """Human-readable lines for every threshold not met."""
    failures = []
    for name, threshold in thresholds.items():
        metric = get_metric(name=name, task=task)
        value = scores[name]
        if not np.isfinite(value) or not meets_threshold(
            metric=metric, value=value, threshold=threshold
        ):
            rule = ">=" if metric.greater_is_better else "<="
            failures.append(f"{name} = {value:.4f}, required {rule} {threshold}")
    return failures


def holdout_frame(verdict: Verdict) -> pd.DataFrame:
    """Metric table: hold-out value, threshold, dummy baseline."""
    rows = [
        {
            "metric": name,
            "holdout": value,
            "threshold": verdict.thresholds.get(name),
            "dummy": verdict.baseline.get(name),
        }
        for name, value in verdict.holdout.items()
    ]
    return pd.DataFrame(rows)
