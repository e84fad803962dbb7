"""One fold of one configuration: fit on the fold's training rows, score both sides, no Ray."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from hpsearch.config.metrics import Metric
from hpsearch.errors import TrialError
from hpsearch.evaluation.fold_cache import FoldCache, TransformedFold, size_of
from hpsearch.evaluation.scoring import score_model


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
class CVSummary:
    """The folds a trial has scored so far, summarised as its child run logs them."""

    metrics: tuple[str, ...]
    folds: tuple[FoldScore, ...]

    def per_fold(self, metric: str) -> list[float]:
        return [f.validation[metric] for f in self.folds]

    def mean(self, metric: str) -> float:
        return float(np.mean(self.per_fold(metric)))

    def std(self, metric: str) -> float:
        return float(np.std(self.per_fold(metric)))

    def gap(self, metric: str) -> float:
        """Mean train score minus mean validation score (overfitting indicator)."""
        return float(np.mean([f.train[metric] for f in self.folds]) - self.mean(metric))

    @property
    def fit_time_s(self) -> float:
        return float(sum(f.fit_time_s for f in self.folds))

    def summary(self) -> dict[str, float]:
        """Flat metric dict: ``cv_<m>_mean``, ``cv_<m>_std``, ``gap_<m>``, ``fit_time_s``."""
        out: dict[str, float] = {"fit_time_s": self.fit_time_s}
        for m in self.metrics:
            out[f"cv_{m}_mean"] = self.mean(m)
            out[f"cv_{m}_std"] = self.std(m)
            out[f"gap_{m}"] = self.gap(m)
        return out


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
