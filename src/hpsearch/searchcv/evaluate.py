"""One candidate over the CV folds, as a Ray task runs it (no Ray in here).

The folds run in order; after each, the running mean of the refit metric is compared with
the threshold the driver handed over for that fold (the quantile rule as of the trial's
start), and a trial that falls behind stops there: PRUNED, its remaining folds NaN. A fold
whose fit raises gets ``error_score`` and the trial is FAILED (the error's text goes into
the "all fits failed" message); a fold that fitted but cannot be scored gets
``error_score`` as in scikit-learn.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from hpsearch.status import TrialStatus


@dataclass(frozen=True)
class FoldPlan:
    """What every task of one fit shares (shipped once per task, the data by reference)."""

    estimator: Any
    scorers: Mapping[str, Any]
    refit_metric: str
    splits: Sequence[tuple[np.ndarray, np.ndarray]]
    error_score: Any
    fit_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FoldData:
    """A fold's fitted pipeline prefix output (``prefix.fit_prefix``): every trial fits only
    the last step on it."""

    X_train: Any
    X_test: Any
    fit_time: float  # the prefix's fit and transform, added to each trial's fit time


@dataclass(frozen=True)
class CandidateResult:
    params: dict[str, Any]
    status: TrialStatus
    scores: dict[str, list[float]]  # per metric, one value per fold (NaN: not run)
    fit_times: list[float]
    score_times: list[float]
    folds_completed: int
    error: str = ""
    fit_failures: int = 0  # folds whose fit raised
    started: float = 0.0  # wall clock (time.time) on the worker
    ended: float = 0.0


def take(data: Any, rows: np.ndarray) -> Any:
    """Rows of an array-like, a DataFrame/Series, a sparse matrix or a list."""
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[rows]
    if hasattr(data, "shape"):
        return data[rows]
    return [data[i] for i in rows]


def _fold_params(params: Mapping[str, Any], rows: np.ndarray, n_rows: int) -> dict[str, Any]:
    """Per-sample fit parameters (``sample_weight``, ...) cut to the training rows."""
    out = {}
    for key, value in params.items():
        sized = hasattr(value, "__len__") and not isinstance(value, str)
        out[key] = take(value, rows) if sized and len(value) == n_rows else value
    return out


def _score_fold(
    *, plan: FoldPlan, X: Any, y: Any, fold: tuple[np.ndarray, np.ndarray], n_rows: int,
    params: dict[str, Any], cached: FoldData | None,
) -> tuple[dict[str, float], float, float]:  # fmt: skip
    """Fit on the fold's training rows, score on its test rows: (scores, fit s, score s).
    With ``cached``, only the pipeline's last step is fitted, on the prefix's output."""
    train, test = fold
    model = clone(plan.estimator).set_params(**clone(params, safe=False))
    fit_params = _fold_params(plan.fit_params, train, n_rows)
    started = time.perf_counter()
    if cached is None:
        model.fit(take(X, train), take(y, train), **fit_params)
        X_test = take(X, test)
    else:
        last = model.steps[-1][0]
        model = model.steps[-1][1]
        own = {k[len(last) + 2 :]: v for k, v in fit_params.items()}
        model.fit(cached.X_train, take(y, train), **own)
        X_test = cached.X_test
        started -= cached.fit_time
    fitted = time.perf_counter()
    y_test = take(y, test)
    try:
        scores = {name: float(s(model, X_test, y_test)) for name, s in plan.scorers.items()}
    except Exception:  # as scikit-learn: a fold that fitted but cannot be scored
        if plan.error_score == "raise":
            raise
        scores = {name: float(plan.error_score) for name in plan.scorers}
    return scores, fitted - started, time.perf_counter() - fitted


def _behind(value: float, reference: float | None) -> bool:
    """Scores are greater-is-better (scikit-learn's scorers)."""
    return reference is not None and value < reference


def evaluate_candidate(
    *, plan: FoldPlan, X: Any, y: Any, params: dict[str, Any], thresholds: Sequence[float | None],
    folds: Sequence[FoldData] | None = None,
) -> CandidateResult:  # fmt: skip
    """Every fold in order, or fewer when the trial falls behind ``thresholds`` (PRUNED).
    A fold that raises gets ``error_score`` (as in scikit-learn, the other folds still run)
    unless ``error_score`` is ``"raise"``; the trial is then FAILED. ``folds``: the fold
    cache (``prefix``), one per split, or None."""
    began = time.time()
    n_folds = len(plan.splits)
    scores = {name: [float("nan")] * n_folds for name in plan.scorers}
    fit_times: list[float] = []
    score_times: list[float] = []
    errors: list[str] = []
    n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
    for k, fold in enumerate(plan.splits):
        started = time.perf_counter()
        try:
            fold_scores, fit_s, score_s = _score_fold(
                plan=plan, X=X, y=y, fold=fold, n_rows=n_rows, params=params,
                cached=folds[k] if folds else None,
            )  # fmt: skip
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
            fit_times.append(time.perf_counter() - started)
            score_times.append(0.0)
            if plan.error_score == "raise":
                break
            for name in plan.scorers:
                scores[name][k] = float(plan.error_score)
            continue
        for name, value in fold_scores.items():
            scores[name][k] = value
        fit_times.append(fit_s)
        score_times.append(score_s)
        running = float(np.mean(scores[plan.refit_metric][: k + 1]))
        if not errors and k + 1 < n_folds and _behind(running, thresholds[k]):
            return CandidateResult(
                params, TrialStatus.PRUNED, scores, fit_times, score_times, k + 1,
                started=began, ended=time.time(),
            )  # fmt: skip
    status = TrialStatus.FAILED if errors else TrialStatus.COMPLETED
    return CandidateResult(
        params,
        status,
        scores,
        fit_times,
        score_times,
        len(fit_times),
        "\n".join(errors[:1]),
        fit_failures=len(errors),
        started=began,
        ended=time.time(),
    )
