"""Early stopping on boosting rounds inside a fold, honestly.

A boosting family whose space sets ``early_stopping_rounds`` fits each fold on 90% of the
fold's *training* rows and stops adding rounds when the other 10% (also training rows,
stratified for classification, seeded) stop improving; the fold's validation rows, which
score the trial, and the hold-out rows are never seen. The rounds used are reported per
fold; the refit on every development row uses their mean (``report.select.refit``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

STOP_FRACTION = 0.1


@dataclass(frozen=True)
class EarlyStop:
    """Stop after ``patience`` rounds without improvement on the stopping rows."""

    patience: int
    seed: int
    fraction: float = STOP_FRACTION


def _inner(model: Any) -> Any:
    """The boosting estimator itself (inside ``EncodedLabels``, its ``classifier``)."""
    return getattr(model, "classifier", None) or model


def boosting_library(model: Any) -> str | None:
    root = type(_inner(model)).__module__.split(".", 1)[0]
    return root if root in ("xgboost", "lightgbm", "catboost") else None


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if isinstance(X, pd.DataFrame | pd.Series) else X[rows]


def _stopping_split(*, y: pd.Series, stop: EarlyStop, classify: bool) -> tuple[Any, Any]:
    positions = np.arange(len(y))
    counts = y.value_counts()
    stratify = y.to_numpy() if classify and counts.min() >= 2 else None
    fit_rows, stop_rows = train_test_split(
        positions, test_size=stop.fraction, random_state=stop.seed, stratify=stratify
    )
    return np.sort(fit_rows), np.sort(stop_rows)


def _fit_kwargs(*, library: str, model: Any, eval_set: tuple[Any, Any], patience: int) -> dict:
    if library == "xgboost":
        key = "classifier__early_stopping_rounds" if _inner(model) is not model else None
        model.set_params(**{key or "early_stopping_rounds": patience})
        return {"eval_set": [eval_set], "verbose": False}
    if library == "lightgbm":
        import lightgbm

        # LightGBM 4.7 deprecates eval_set for eval_X/eval_y, but its classifier encodes the
        # labels of eval_set only (eval_y with string labels fails): keep eval_set
        return {
            "eval_set": [eval_set],
            "callbacks": [lightgbm.early_stopping(patience, verbose=False)],
        }
    return {"eval_set": eval_set, "early_stopping_rounds": patience}


def _rounds_used(*, library: str, fitted: Any) -> int:
    if library == "xgboost":
        return int(fitted.best_iteration) + 1
    if library == "lightgbm":
        best = int(fitted.best_iteration_ or 0)
        return best if best > 0 else int(fitted.n_estimators)
    return int(fitted.get_best_iteration()) + 1


def fit_model(*, model: Any, X: Any, y: pd.Series, stop: EarlyStop | None) -> int | None:
    """Fit ``model`` on (X, y); with ``stop`` and a boosting model, choose its rounds on a
    split of these same rows and return them (``None`` otherwise)."""
    library = boosting_library(model)
    if stop is None or stop.patience <= 0 or library is None:
        model.fit(X, y)
        return None
    fit_rows, stop_rows = _stopping_split(y=y, stop=stop, classify=is_classifier(model))
    eval_set = (_take(X, stop_rows), _take(y, stop_rows))
    kwargs = _fit_kwargs(library=library, model=model, eval_set=eval_set, patience=stop.patience)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'eval_set' is deprecated.*")
        model.fit(_take(X, fit_rows), _take(y, fit_rows), **kwargs)
    fitted = getattr(model, "classifier_", model)
    return _rounds_used(library=library, fitted=fitted)


def rounds_param(model: Any) -> str | None:
    """The parameter path that sets a boosting model's number of rounds."""
    if boosting_library(model) is None:
        return None
    return (
        "model__classifier__n_estimators" if _inner(model) is not model else "model__n_estimators"
    )
