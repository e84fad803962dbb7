"""The hold-out judgement: score once, compare with the thresholds and a dummy baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from hpsearch.config.metrics import Metric, Task, get_metric, meets_threshold
from hpsearch.evaluation.scoring import predictions, score_model, score_predictions
from hpsearch.prepare.split import DataPart
from hpsearch.report.uncertainty import Interval, bootstrap_intervals
from hpsearch.store.records import TrialRecord


@dataclass(frozen=True)
class Verdict:
    """The hold-out judgement of the selected model."""

    best: TrialRecord
    holdout: dict[str, float]
    baseline: dict[str, float]
    thresholds: dict[str, float]
    failures: tuple[str, ...]
    intervals: Mapping[str, Interval] = field(default_factory=dict)  # bootstrap 95%, hold-out

    @property
    def passed(self) -> bool:
        return not self.failures


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
    seed: int = 0,
) -> Verdict:
    """Score once on the hold-out set; pass = every threshold met and the dummy beaten.
    The primary and threshold metrics get a bootstrap interval over the hold-out rows
    (reported, not part of the verdict)."""
    metrics = [get_metric(name=m, task=task) for m in metric_names]
    predicted = predictions(model=model, X=holdout.X, metrics=metrics)  # the one pass
    scores = score_predictions(predicted=predicted, y=holdout.y, metrics=metrics)
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
    judged = [get_metric(name=m, task=task) for m in dict.fromkeys([primary, *thresholds])]
    intervals = bootstrap_intervals(
        model=model, X=holdout.X, y=holdout.y, metrics=judged, seed=seed, predicted=predicted
    )
    return Verdict(
        best=best,
        holdout=scores,
        baseline=baseline,
        thresholds=dict(thresholds),
        failures=tuple(failures),
        intervals=intervals,
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
