"""hpsearch's numpy metrics equal scikit-learn's on random data (they replace them for speed)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn import metrics as skm

from hpsearch.config.metrics import get_metric
from hpsearch.evaluation.scoring import _average_ranks, compute_metric


def _proba(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    raw = rng.random((n, k)) ** 3
    raw[rng.random(n) < 0.1, 0] = 1.0  # some near-certain rows
    return raw / raw.sum(axis=1, keepdims=True)


def _score(
    name: str, y: np.ndarray, pred: np.ndarray, proba: np.ndarray, classes: np.ndarray
) -> float:
    return compute_metric(
        metric=get_metric(name=name, task="classification"),
        y_true=y,
        y_pred=pred,
        y_proba=proba,
        classes=classes,
    )


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("seed", range(8))
def test_classification_metrics_match_sklearn(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    classes = np.array([f"c{i}" for i in range(k)])
    y = classes[rng.integers(0, k, n)]
    y[:k] = classes  # every class present
    proba = _proba(rng, n, k)
    pred = classes[np.argmax(proba, axis=1)]
    if seed % 2:  # a class never predicted: zero-division paths
        pred[pred == classes[-1]] = classes[0]
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, average="weighted", zero_division=0),
        "recall": skm.recall_score(y, pred, average="weighted", zero_division=0),
        "f1": skm.f1_score(y, pred, average="weighted", zero_division=0),
        "log_loss": skm.log_loss(y, proba, labels=classes),
        "roc_auc": (
            skm.roc_auc_score(y == classes[1], proba[:, 1])
            if k == 2
            else skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
        ),
    }
    for name, value in expected.items():
        assert _score(name, y, pred, proba, classes) == pytest.approx(value, rel=1e-9, abs=1e-12), (
            name
        )


def test_roc_auc_with_ties_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = np.round(rng.random(200), 1)  # many ties
    proba = np.column_stack([1 - score, score])
    ours = _score("roc_auc", y, (score > 0.5).astype(int), proba, np.array([0, 1]))
    assert ours == pytest.approx(skm.roc_auc_score(y, score), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=150)
    pred = y + rng.normal(scale=0.5, size=150)
    for name, fn in {
        "r2": skm.r2_score,
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
    }.items():
        ours = compute_metric(
            metric=get_metric(name=name, task="regression"),
            y_true=y,
            y_pred=pred,
            y_proba=None,
            classes=None,
        )
        assert ours == pytest.approx(fn(y, pred), rel=1e-12), name


def test_undefined_metrics_raise() -> None:
    one_class = np.array([1, 1, 1])
    proba = np.array([[0.2, 0.8]] * 3)
    with pytest.raises(ValueError, match="only one class"):
        _score("roc_auc", one_class, one_class, proba, np.array([0, 1]))
    with pytest.raises(ValueError, match="never saw"):
        _score("log_loss", np.array([0, 2, 1]), np.array([0, 1, 1]), proba, np.array([0, 1]))
    with pytest.raises(ValueError, match="constant"):
        compute_metric(
            metric=get_metric(name="r2", task="regression"),
            y_true=np.ones(4),
            y_pred=np.zeros(4),
            y_proba=None,
            classes=None,
        )


def test_average_ranks_match_scipy() -> None:
    rng = np.random.default_rng(0)
    for values in (
        rng.normal(size=50),
        rng.integers(0, 5, size=80).astype(float),  # many ties
        np.array([0.3]),
        np.array([1.0, 1.0, 1.0]),
    ):
        np.testing.assert_array_equal(_average_ranks(values), rankdata(values))
