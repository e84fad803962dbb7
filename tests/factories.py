"""Data and sweep-file builders and a row-recording transformer shared by the tests
(import with PYTHONPATH=src:tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

COLORS = ("red", "green", "blue", "yellow")
CITIES = ("Oslo", "Lima", "Pune", "Kyiv", "Accra", "Quito")
REGIONS = ("north", "south", "east", "west")


def _with_missing(
    frame: pd.DataFrame, *, fraction: float, rng: np.random.Generator
) -> pd.DataFrame:
    out = frame.copy()
    if fraction <= 0:
        return out
    for name in out.columns:
        mask = rng.random(len(out)) < fraction
        out.loc[mask, name] = None
    return out


def _category(values: np.ndarray, labels: tuple[str, ...]) -> pd.Series:
    return pd.Series([labels[i] for i in values], dtype="str")


def mixed_classification_frame(
    *, n_rows: int = 400, n_classes: int = 3, seed: int = 0, missing: float = 0.05
) -> pd.DataFrame:
    """Numeric and string categorical features with missing values, a learnable noisy signal.

    The target ``target`` holds string labels ``class_0``, ``class_1``, ... with roughly
    balanced classes. No single feature predicts it almost perfectly.
    """
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, 4))
    color = rng.integers(0, len(COLORS), size=n_rows)
    city = rng.integers(0, len(CITIES), size=n_rows)
    visits = rng.poisson(3.0, size=n_rows)
    latent = (
        numeric @ np.array([1.0, -0.8, 0.6, 0.0])
        + np.array([0.8, -0.4, 0.0, 0.4])[color]
        + 0.15 * (visits - 3)
        + rng.normal(scale=0.9, size=n_rows)
    )
    edges = np.quantile(latent, np.linspace(0, 1, n_classes + 1)[1:-1])
    labels = np.digitize(latent, edges)
    features = pd.DataFrame(
        {
            "num_a": numeric[:, 0],
            "num_b": numeric[:, 1],
            "num_c": numeric[:, 2],
            "noise": numeric[:, 3],
            "visits": visits.astype(float),
            "color": _category(color, COLORS),
            "city": _category(city, CITIES),
        }
    )
    frame = _with_missing(features, fraction=missing, rng=rng)
    frame["target"] = pd.Series([f"class_{k}" for k in labels], dtype="str")
    return frame


def regression_frame(*, n_rows: int = 300, seed: int = 0, missing: float = 0.0) -> pd.DataFrame:
    """Numeric features and a ``region`` category; ``target`` is linear plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, 4))
    region = rng.integers(0, len(REGIONS), size=n_rows)
    target = (
        x @ np.array([2.0, -1.0, 0.5, 0.0])
        + np.array([1.0, 0.0, -1.0, 0.5])[region]
        + rng.normal(scale=1.0, size=n_rows)
    )
    features = pd.DataFrame(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
            "x4": x[:, 3],
            "region": _category(region, REGIONS),
        }
    )
    frame = _with_missing(features, fraction=missing, rng=rng)
    frame["target"] = target
    return frame


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def sweep_defaults() -> dict[str, Any]:
    """The small sweep ``write_sweep`` starts from (a fresh dict on every call)."""
    return {
        "name": "t",
        "seed": 0,
        "task": "classification",
        "data": {"source": "sklearn:breast_cancer", "target": "target"},
        "holdout": {"fraction": 0.2},
        "cv": {"folds": 3},
        "search": {"spaces": ["logistic_regression"], "trials": 4},
    }


def write_sweep(path: Path, **sections: Any) -> Path:
    """Write a sweep YAML: small defaults deep-merged with ``sections``; return its path.

    ``path`` may be a directory (the file is ``sweep.yaml`` inside it). Paths and tuples in
    ``sections`` are written as strings and lists. Example:
    ``write_sweep(tmp_path, data={"source": csv}, task="regression")``.
    """
    target = Path(path)
    if target.is_dir():
        target = target / "sweep.yaml"
    raw = _deep_merge(sweep_defaults(), _plain(sections))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return target


class RowRecorder(TransformerMixin, BaseEstimator):
    """Passes X through; reports the index labels of the rows it is fitted on."""

    def __init__(self, sink: Callable[[list[int]], None] | None = None) -> None:
        self.sink = sink

    def fit(self, X: pd.DataFrame, y: Any = None) -> RowRecorder:
        if self.sink is not None:
            self.sink(list(X.index))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X


def cross_validate(
    *,
    pipeline: Any,
    X: pd.DataFrame,
    y: pd.Series,
    groups: pd.Series | None,
    splitter: Any,
    metrics: Any,
    cache: Any = None,
    after_fold: Callable[[Any], None] | None = None,
) -> Any:
    """Every fold of ``splitter`` through production's ``evaluate_fold`` (as ``TrialRun``
    runs them), summarised by production's ``CVSummary``; ``after_fold`` lets a test look
    at each fold's score as it comes."""
    from hpsearch.evaluation.fold import CVSummary, evaluate_fold
    from hpsearch.evaluation.fold_cache import preprocessing_key
    from hpsearch.prepare.folds import fixed_folds

    plan = fixed_folds(splitter=splitter, X=X, y=y, groups=groups)
    key = preprocessing_key(pipeline[:-1]) if cache is not None and len(pipeline) > 1 else ""
    scores = []
    for fold, (train_idx, val_idx) in enumerate(plan.folds):
        score = evaluate_fold(
            pipeline=pipeline,
            X=X,
            y=y,
            fold=fold,
            train_idx=train_idx,
            val_idx=val_idx,
            metrics=metrics,
            cache=cache,
            cache_key=key,
        )
        scores.append(score)
        if after_fold is not None:
            after_fold(score)
    return CVSummary(metrics=tuple(m.name for m in metrics), folds=tuple(scores))


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """A classifier from outside the libraries hpsearch trusts (for the trust check)."""

    def fit(self, X: Any, y: Any) -> MajorityClassifier:
        values, counts = np.unique(np.asarray(y), return_counts=True)
        self.classes_ = values
        self.majority_ = values[np.argmax(counts)]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.majority_)

    def predict_proba(self, X: Any) -> np.ndarray:
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, list(self.classes_).index(self.majority_)] = 1.0
        return proba


def run_all_steps(run: Any) -> list[dict[str, Any]]:
    """Every step of a ``TrialRun`` until it is no longer running, as Tune calls them."""
    from hpsearch.status import TrialStatus

    results = [run.step()]
    while results[-1]["hpsearch_status"] == TrialStatus.RUNNING:
        results.append(run.step())
    return results
