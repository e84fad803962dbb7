"""The metrics hpsearch tracks: names, direction, and how each is computed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from sklearn import metrics as skm

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class Metric:
    """One metric: its name, task, direction and whether it needs class probabilities."""

    name: str
    task: Task
    greater_is_better: bool
    needs_proba: bool = False


def _metrics(*items: Metric) -> Mapping[str, Metric]:
    return MappingProxyType({m.name: m for m in items})


CLASSIFICATION_METRICS: Mapping[str, Metric] = _metrics(
    Metric("accuracy", "classification", True),
    Metric("balanced_accuracy", "classification", True),
    Metric("precision", "classification", True),
    Metric("recall", "classification", True),
    Metric("f1", "classification", True),
    Metric("roc_auc", "classification", True, needs_proba=True),
    Metric("log_loss", "classification", False, needs_proba=True),
)
REGRESSION_METRICS: Mapping[str, Metric] = _metrics(
    Metric("r2", "regression", True),
    Metric("rmse", "regression", False),
    Metric("mae", "regression", False),
)


def metrics_for(task: Task) -> Mapping[str, Metric]:
    """All metrics defined for a task."""
    return CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS


def default_primary(task: Task) -> str:
    """The primary metric used when the sweep file names none."""
    return "roc_auc" if task == "classification" else "r2"


def get_metric(*, name: str, task: Task) -> Metric:
    """Look a metric up, or raise ``KeyError`` with the valid names."""
    table = metrics_for(task)
    if name not in table:
        raise KeyError(f"unknown {task} metric {name!r}; valid: {', '.join(table)}")
    return table[name]


def meets_threshold(*, metric: Metric, value: float, threshold: float) -> bool:
    """True when ``value`` satisfies ``threshold`` in the metric's direction."""
    return value >= threshold if metric.greater_is_better else value <= threshold


def compute_metric(
    *,
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    classes: np.ndarray | None,
) -> float:
    """Compute one metric. Raises ``ValueError`` when it is undefined for the data."""
    name = metric.name
    if metric.task == "regression":
        if name == "r2":
            return float(skm.r2_score(y_true, y_pred))
        if name == "rmse":
            return float(skm.root_mean_squared_error(y_true, y_pred))
        return float(skm.mean_absolute_error(y_true, y_pred))
    if name == "accuracy":
        return float(skm.accuracy_score(y_true, y_pred))
    if name == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(y_true, y_pred))
    if name in ("precision", "recall", "f1"):
        fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
        return float(fn[name](y_true, y_pred, average="weighted", zero_division=0))
    if y_proba is None or classes is None:
        raise ValueError(f"metric {name!r} needs predict_proba, which the model lacks")
    if name == "log_loss":
        return float(skm.log_loss(y_true, y_proba, labels=classes))
    if len(classes) == 2:
        return float(skm.roc_auc_score(y_true, y_proba[:, 1]))
    return float(
        skm.roc_auc_score(y_true, y_proba, multi_class="ovr", average="macro", labels=classes)
    )
