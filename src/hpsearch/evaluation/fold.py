"""One fold of one configuration: fit on the fold's training rows, score both sides, no Ray."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from hpsearch.config.metrics import Metric
from hpsearch.errors import TrialError
from hpsearch.evaluation.fidelity import model_rounds, with_rounds
from hpsearch.evaluation.fold_cache import FoldCache, TransformedFold, size_of
from hpsearch.evaluation.rounds import EarlyStop, fit_model
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
    rounds: int | None = None  # boosting rounds chosen by early stopping, if any


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

    @property
    def rounds(self) -> list[int]:
        """Boosting rounds each fold used (empty without early stopping)."""
        return [f.rounds for f in self.folds if f.rounds is not None]

    def summary(self) -> dict[str, float]:
        """Flat metric dict: ``cv_<m>_mean``, ``cv_<m>_std``, ``gap_<m>``, ``fit_time_s``
        (and ``rounds_mean`` when early stopping chose the boosting rounds)."""
        out: dict[str, float] = {"fit_time_s": self.fit_time_s}
        if self.rounds:
            out["rounds_mean"] = float(np.mean(self.rounds))
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


def fold_rows(
    *,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y_train: pd.Series,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    cached: TransformedFold | None,
) -> tuple[TransformedFold, float]:
    """The fold's preprocessed rows (from the cache, or fitted now) and the fit time spent."""
    if cached is not None:
        return cached, 0.0
    part = _transform_fold(
        preprocess=pipeline[:-1], X_train=X.iloc[train_idx], y_train=y_train, X_val=X.iloc[val_idx]
    )
    return part, part.fit_time_s


def cached_fold_rows(
    *, pipeline: Pipeline, X: pd.DataFrame, y_train: pd.Series, train_idx: np.ndarray,
    val_idx: np.ndarray, cache: FoldCache | None, cache_key: str, fold: int,
) -> tuple[TransformedFold, float]:  # fmt: skip
    """The fold's preprocessed rows from the cache, or fitted now and kept there."""
    active = cache if cache_key and len(pipeline.steps) > 1 else None
    cached = active.get(fold=fold, key=cache_key) if active is not None else None
    part, fit_time = fold_rows(
        pipeline=pipeline, X=X, y_train=y_train, train_idx=train_idx, val_idx=val_idx,
        cached=cached,
    )  # fmt: skip
    if active is not None and cached is None:
        active.put(fold=fold, key=cache_key, entry=part)
    return part, fit_time


TRAIN_SCORE_ROWS = 1000


def train_score_rows(y_train: pd.Series, *, fold: int) -> np.ndarray | None:
    """The training rows the training scores (and so ``gap_<metric>``) are computed on: all
    of them up to ``TRAIN_SCORE_ROWS``, else a seeded subsample of that many, stratified for
    labels, the same for every trial. Predicting every training row cost more than a third
    of a gradient-boosting trial on a large table (flights, 67,000 rows a fold) and 12% of a
    random-forest trial on 4,075 (monica), for an overfitting indicator: 1,000 rows
    estimate it well enough (a train score near 1.0 is what it is there to show)."""
    n = len(y_train)
    if n <= TRAIN_SCORE_ROWS:
        return None
    rng = np.random.default_rng(fold)
    codes, uniques = pd.factorize(y_train.to_numpy())
    if len(uniques) > 20:  # a regression target: a plain sample
        return np.sort(rng.choice(n, TRAIN_SCORE_ROWS, replace=False))
    order = np.lexsort((rng.random(n), codes))  # shuffled within each class
    share = np.bincount(codes) / n
    take = np.maximum(1, np.round(share * TRAIN_SCORE_ROWS)).astype(int)
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes))[:-1]])
    picked = [order[start : start + k] for start, k in zip(starts, take, strict=True)]
    return np.sort(np.concatenate(picked))


def _rows(X: Any, rows: np.ndarray | None) -> Any:
    if rows is None:
        return X
    return X.iloc[rows] if isinstance(X, pd.DataFrame | pd.Series) else X[rows]


def _continued(warm: Any, final: Any) -> Any:
    """The rung's warm-started model, set to go on to the trial's own rounds."""
    rounds = model_rounds(final)
    if rounds is not None:
        with_rounds(warm, rounds)
    return warm


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
    stop: EarlyStop | None = None,
    warm: Any | None = None,
) -> FoldScore:
    """Fit a fresh clone of ``pipeline`` on one fold's training rows and score it.

    The preprocessing steps (all but the last) are fitted on the training rows, then the
    final estimator on their output, as ``Pipeline.fit`` does. With a ``cache``, this fold's
    preprocessing output is reused by later trials whose preprocessing steps have the same
    classes and parameters (``cache_key``: their ``preprocessing_key``). Training scores use
    the output of ``fit_transform`` (for hpsearch's encoders it equals ``transform`` after
    ``fit``), on at most ``TRAIN_SCORE_ROWS`` of the rows (``train_score_rows``). With
    ``stop``, a boosting model's rounds are chosen on a split of the training rows
    (``rounds.fit_model``). ``warm`` is the first fold's model fitted at a rounds
    rung (``evaluation.rung``; a scikit-learn ensemble with ``warm_start``): it goes on to
    the trial's own rounds on the same rows instead of starting again. Raises
    ``TrialError`` when anything fails and when a validation score is not finite: never a
    silent NaN."""
    y_train, y_val = y.iloc[train_idx], y.iloc[val_idx]
    try:
        part, fit_time = cached_fold_rows(
            pipeline=pipeline, X=X, y_train=y_train, train_idx=train_idx, val_idx=val_idx,
            cache=cache, cache_key=cache_key, fold=fold,
        )  # fmt: skip
        final = pipeline.steps[-1][1]
        model = clone(final) if warm is None else _continued(warm, final)
        start = time.perf_counter()
        rounds = fit_model(model=model, X=part.X_train, y=y_train, stop=stop)
        fit_time += time.perf_counter() - start
        validation = score_model(model=model, X=part.X_validation, y=y_val, metrics=metrics)
        rows = train_score_rows(y_train, fold=fold)
        train = score_model(
            model=model, X=_rows(part.X_train, rows), y=_rows(y_train, rows), metrics=metrics
        )
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
        rounds=rounds,
    )
