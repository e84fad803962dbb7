"""The metrics a sweep file may name: task, direction, whether each needs probabilities.

How they are computed lives in ``hpsearch.evaluation.scoring``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

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
