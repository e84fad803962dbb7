"""Cross-validate one pipeline configuration: seeded folds, several metrics, no Ray."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
)
from sklearn.pipeline import Pipeline

from hpsearch.errors import TrialError
from hpsearch.fold_cache import FoldCache, TransformedFold, preprocessing_key, size_of
from hpsearch.metrics import Metric, Task, compute_metric


@dataclass(frozen=True)
class FixedFolds:
    """Fold indices computed once (the same seeded folds for every trial), splitter-shaped."""

    folds: tuple[tuple[np.ndarray, np.ndarray], ...]

    def split(
        self, X: object = None, y: object = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield from self.folds

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        return len(self.folds)


Splitter: TypeAlias = (
    KFold | StratifiedKFold | GroupKFold | StratifiedGroupKFold | TimeSeriesSplit | FixedFolds
)


@dataclass(frozen=True)
class FoldScore:
    """Scores of one fold: validation and training values of every metric."""

    fold: int
    validation: dict[str, float]
    train: dict[str, float]
    fit_time_s: float
    n_train: int
    n_validation: int


@dataclass(frozen=True)
class CVResult:
    """All folds of one configuration. ``completed`` is False when stopped early."""

    metrics: tuple[str, ...]
    folds: tuple[FoldScore, ...]
    n_folds: int
    completed: bool = True
    extra: dict[str, float] = field(default_factory=dict)

    def per_fold(self, metric: str) -> list[float]:
        return [f.validation[metric] for f in self.folds]

    def mean(self, metric: str) -> float:
        return float(np.mean(self.per_fold(metric)))

    def std(self, metric: str) -> float:
        return float(np.std(self.per_fold(metric)))

    def gap(self, metric: str) -> float:
        """Mean train score minus mean validation score (overfitting indicator)."""
        return float(np.mean([f.train[metric] - f.validation[metric] for f in self.folds]))

    @property
    def fit_time_s(self) -> float:
        return float(sum(f.fit_time_s for f in self.folds))

    def summary(self) -> dict[str, float]:
        """Flat metric dict: ``cv_<m>_mean``, ``cv_<m>_std``, ``gap_<m>``, ``fit_time_s``."""
        out: dict[str, float] = {}
        for m in self.metrics:
            out[f"cv_{m}_mean"] = self.mean(m)
            out[f"cv_{m}_std"] = self.std(m)
            out[f"gap_{m}"] = self.gap(m)
        out["fit_time_s"] = self.fit_time_s
        out["folds_completed"] = float(len(self.folds))
        return out


FoldCallback = Callable[[FoldScore], bool]
"""Called after each fold; return True to stop the remaining folds (early stopping)."""


def make_splitter(*, task: Task, folds: int, seed: int, grouped: bool, by_time: bool) -> Splitter:
    """The CV splitter that matches the data: time-series, grouped, stratified or plain."""
    if by_time:
        return TimeSeriesSplit(n_splits=folds)
    if grouped:
        if task == "classification":
            return StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    if task == "classification":
        return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return KFold(n_splits=folds, shuffle=True, random_state=seed)


def fixed_folds(
    *, splitter: Splitter, X: pd.DataFrame, y: pd.Series, groups: pd.Series | None
) -> FixedFolds:
    """Materialise a splitter's folds once, so trials do not recompute them."""
    return FixedFolds(
        folds=tuple((np.asarray(a), np.asarray(b)) for a, b in splitter.split(X, y, groups))
    )


def score_model(
    *,
    model: Any,
    X: Any,
    y: pd.Series,
    metrics: Sequence[Metric],
) -> dict[str, float]:
    """Every metric of a fitted model (a pipeline or a final estimator) on (X, y)."""
    y_proba = None
    classes = None
    if any(m.needs_proba for m in metrics) and hasattr(model, "predict_proba"):
        # one pass through the pipeline: the label is the most probable class, as in
        # scikit-learn's classifiers' own predict
        y_proba = np.asarray(model.predict_proba(X))
        classes = np.asarray(model.classes_)
        y_pred = classes[np.argmax(y_proba, axis=1)]
    else:
        y_pred = np.asarray(model.predict(X))
    y_true = np.asarray(y)
    return {
        m.name: compute_metric(
            metric=m, y_true=y_true, y_pred=y_pred, y_proba=y_proba, classes=classes
        )
        for m in metrics
    }


def _transform_fold(
    *, preprocess: Pipeline, X_train: pd.DataFrame, y_train: pd.Series, X_val: pd.DataFrame
) -> TransformedFold:
    """The preprocessing steps fitted on the training rows (no steps: the rows as given)."""
    if len(preprocess) == 0:
        return TransformedFold(X_train=X_train, X_validation=X_val, fit_time_s=0.0, nbytes=0)
    start = time.perf_counter()
    fitted = clone(preprocess)
    Xt_train = fitted.fit_transform(X_train, y_train)
    fit_time = time.perf_counter() - start
    Xt_val = fitted.transform(X_val)
    return TransformedFold(
        X_train=Xt_train,
        X_validation=Xt_val,
        fit_time_s=fit_time,
        nbytes=size_of(Xt_train) + size_of(Xt_val),
    )


def evaluate_fold(
    *,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    fold: int,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    metrics: Sequence[Metric],
    cache: FoldCache | None = None,
    cache_key: str = "",
) -> FoldScore:
    """Fit a fresh clone of ``pipeline`` on one fold's training rows and score it.

    The preprocessing steps (all but the last) are fitted on the training rows, then the
    final estimator on their output, as ``Pipeline.fit`` does. With a ``cache``, the
    preprocessing output of this fold is reused by later trials whose preprocessing steps
    have the same classes and parameters (``cache_key``: ``preprocessing_key`` of those
    steps; the cache is used only with a key). Training scores use the output of
    ``fit_transform`` on the training rows: for hpsearch's imputers, scalers and encoders
    it equals ``transform`` after ``fit``. Raises ``TrialError`` when anything fails and
    when a validation score is not finite: never a silent NaN.
    """
    y_train, y_val = y.iloc[train_idx], y.iloc[val_idx]
    active = cache if cache_key and len(pipeline.steps) > 1 else None
    try:
        part = active.get(fold=fold, key=cache_key) if active is not None else None
        fit_time = 0.0
        if part is None:
            part = _transform_fold(
                preprocess=pipeline[:-1],
                X_train=X.iloc[train_idx],
                y_train=y_train,
                X_val=X.iloc[val_idx],
            )
            fit_time = part.fit_time_s
            if active is not None:
                active.put(fold=fold, key=cache_key, entry=part)
        model = clone(pipeline.steps[-1][1])
        start = time.perf_counter()
        model.fit(part.X_train, y_train)
        fit_time += time.perf_counter() - start
        validation = score_model(model=model, X=part.X_validation, y=y_val, metrics=metrics)
        train = score_model(model=model, X=part.X_train, y=y_train, metrics=metrics)
    except Exception as exc:
        raise TrialError(
            f"fold {fold} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        ) from exc
    bad = [k for k, v in validation.items() if not np.isfinite(v)]
    if bad:
        raise TrialError(f"fold {fold} produced non-finite scores for {', '.join(bad)}")
    return FoldScore(
        fold=fold,
        validation=validation,
        train=train,
        fit_time_s=fit_time,
        n_train=len(train_idx),
        n_validation=len(val_idx),
    )


def cross_validate_pipeline(
    *,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    groups: pd.Series | None,
    splitter: Splitter,
    metrics: Sequence[Metric],
    on_fold: FoldCallback | None = None,
    cache: FoldCache | None = None,
) -> CVResult:
    """Fit a fresh clone per fold; every transformer sees training-fold rows only.

    A fold that raises (fit, predict or an undefined metric) raises ``TrialError``:
    never a silent NaN score. A non-finite score raises too.
    """
    scores: list[FoldScore] = []
    n_folds = splitter.get_n_splits(X, y, groups)
    key = preprocessing_key(pipeline[:-1]) if cache is not None and len(pipeline) > 1 else ""
    for fold, (train_idx, val_idx) in enumerate(splitter.split(X, y, groups)):
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
        if on_fold is not None and on_fold(score) and fold + 1 < n_folds:
            return CVResult(
                metrics=tuple(m.name for m in metrics),
                folds=tuple(scores),
                n_folds=n_folds,
                completed=False,
            )
    return CVResult(metrics=tuple(m.name for m in metrics), folds=tuple(scores), n_folds=n_folds)
