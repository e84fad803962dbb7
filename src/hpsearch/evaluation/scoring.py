"""Scoring a fitted model: every metric of the catalogue, computed with plain numpy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hpsearch.config.metrics import Metric


def labels(predicted: Any) -> np.ndarray:
    """Predictions as one column (CatBoost's classifiers answer with shape (n, 1))."""
    values = np.asarray(predicted)
    return values[:, 0] if values.ndim == 2 and values.shape[1] == 1 else values


Predicted = tuple[np.ndarray, "np.ndarray | None", "np.ndarray | None"]


def score_model(
    *,
    model: Any,
    X: Any,
    y: pd.Series,
    metrics: Sequence[Metric],
) -> dict[str, float]:
    """Every metric of a fitted model (a pipeline or a final estimator) on (X, y)."""
    return score_predictions(
        predicted=predictions(model=model, X=X, metrics=metrics), y=y, metrics=metrics
    )


def score_predictions(
    *, predicted: Predicted, y: Any, metrics: Sequence[Metric]
) -> dict[str, float]:
    """Every metric from one pass of predictions (``predictions``) against ``y``."""
    y_pred, y_proba, classes = predicted
    y_true = np.asarray(y)
    return {
        m.name: compute_metric(
            metric=m, y_true=y_true, y_pred=y_pred, y_proba=y_proba, classes=classes
        )
        for m in metrics
    }


def predictions(
    *, model: Any, X: Any, metrics: Sequence[Metric]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(labels, probabilities, classes): probabilities only when a metric needs them."""
    if any(m.needs_proba for m in metrics) and hasattr(model, "predict_proba"):
        # one pass through the pipeline: the label is the most probable class, as in
        # scikit-learn's classifiers' own predict
        y_proba = np.asarray(model.predict_proba(X))
        classes = np.asarray(model.classes_)
        return classes[np.argmax(y_proba, axis=1)], y_proba, classes
    return labels(model.predict(X)), None, None


def compute_metric(
    *,
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray | None,
    classes: np.ndarray | None,
) -> float:
    """Compute one metric. Raises ``ValueError`` when it is undefined for the data.

    Numerically the same as scikit-learn's functions (the unit tests compare them), but
    computed from one confusion matrix / one ranking with plain numpy: scikit-learn's input
    validation costs milliseconds per call, and a trial computes 28 of them.
    """
    if metric.task == "regression":
        return _regression(
            metric.name, np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        )
    if metric.needs_proba:
        if y_proba is None or classes is None:
            raise ValueError(f"metric {metric.name!r} needs predict_proba, which the model lacks")
        if metric.name == "log_loss":
            return _log_loss(y_true, y_proba, classes)
        return _roc_auc(y_true, y_proba, classes)
    return _from_confusion(metric.name, confusion(y_true, y_pred))


def _regression(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    residual = y_true - y_pred
    if name == "rmse":
        return float(np.sqrt(np.mean(residual**2)))
    if name == "mae":
        return float(np.mean(np.abs(residual)))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    if total == 0.0:
        raise ValueError("r2 is undefined when the target is constant in a fold")
    return 1.0 - float(np.sum(residual**2)) / total


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Confusion matrix over the labels present in either array (sorted), rows = truth."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.unique(np.concatenate([y_true, y_pred]))
    k = len(labels)
    t = np.searchsorted(labels, y_true)
    p = np.searchsorted(labels, y_pred)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(float)


def _from_confusion(name: str, cm: np.ndarray) -> float:
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    n = cm.sum()
    if name == "accuracy":
        return float(tp.sum() / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        denominator = 2 * tp + (predicted - tp) + (support - tp)
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    if name == "balanced_accuracy":
        return float(np.mean(recall[support > 0]))
    per_class = {"precision": precision, "recall": recall, "f1": f1}[name]
    return float(np.sum(per_class * support) / n)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (``scipy.stats.rankdata``'s default),
    without its argument handling, which dominates on fold-sized arrays."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    group = np.cumsum(starts) - 1
    bounds = np.concatenate((np.flatnonzero(starts), [len(values)]))
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = 0.5 * (bounds[group] + 1 + bounds[group + 1])
    return ranks


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC is undefined: only one class present in y_true")
    ranks = _average_ranks(np.asarray(score, dtype=float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(y_true: np.ndarray, y_proba: np.ndarray, classes: np.ndarray) -> float:
    y_true = np.asarray(y_true)
    if len(classes) == 2:
        return _binary_auc(y_true == classes[1], y_proba[:, 1])
    return float(np.mean([_binary_auc(y_true == c, y_proba[:, i]) for i, c in enumerate(classes)]))


def _log_loss(y_true: np.ndarray, y_proba: np.ndarray, classes: np.ndarray) -> float:
    y_true = np.asarray(y_true)
    index = np.searchsorted(classes, y_true)
    if np.any(index >= len(classes)) or np.any(
        classes[np.minimum(index, len(classes) - 1)] != y_true
    ):
        raise ValueError("log_loss: y_true holds a label the model never saw")
    proba = np.asarray(y_proba, dtype=float)
    eps = np.finfo(proba.dtype).eps
    proba = np.clip(proba, eps, 1 - eps)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(proba[np.arange(len(y_true)), index])))
