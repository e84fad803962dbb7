"""The proxy check: a single feature that alone predicts the target almost perfectly."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone, is_regressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import TargetEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from hpsearch.config import SweepConfig
from hpsearch.prepare.findings import Finding
from hpsearch.prepare.quality import id_like_columns
from hpsearch.prepare.split import DataPart, SplitData

_PROXY_ROWS = 5000
_CLASSIFIER_DEPTH = 4  # shallow: a proxy needs no depth, and depth overfits weak columns
_REGRESSOR_DEPTH = 6


def _proxy_models(*, numeric: bool, task: str, seed: int) -> tuple[Any, ...]:
    """Single-feature models; the best of them scores the feature."""
    if task == "classification":
        tree: Any = DecisionTreeClassifier(max_depth=_CLASSIFIER_DEPTH, random_state=seed)
    else:
        tree = DecisionTreeRegressor(max_depth=_REGRESSOR_DEPTH, random_state=seed)
    if not numeric:
        target_type = "continuous" if task == "regression" else "auto"
        return (make_pipeline(TargetEncoder(target_type=target_type, random_state=seed), tree),)
    # A shallow tree cannot extrapolate a copied continuous target on small data: add a line.
    return (tree, LinearRegression()) if task == "regression" else (tree,)


def _encode(column: pd.Series, *, numeric: bool) -> np.ndarray:
    """One feature as a float column: numbers with missing/inf set below the minimum
    (a tree can split that value off, like a missing indicator), other kinds as codes."""
    if not numeric:
        return pd.factorize(column)[0].astype(float).reshape(-1, 1)
    values = column.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    sentinel = values[finite].min() - 1.0 if finite.any() else 0.0
    return np.where(finite, values, sentinel).reshape(-1, 1)


def _proxy_inputs(part: DataPart, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = part.X, part.y.to_numpy()
    if len(y) > _PROXY_ROWS:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(len(y), size=_PROXY_ROWS, replace=False))
        X, y = X.iloc[rows], y[rows]
    return X.reset_index(drop=True), y


def _proxy_score(
    *, column: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], model: Any
) -> float:
    """Out-of-fold ROC AUC (macro one-vs-rest when multiclass) or R², pooled over folds."""
    if is_regressor(model):
        predicted = np.zeros(len(y))
        for train, test in folds:
            predicted[test] = clone(model).fit(column[train], y[train]).predict(column[test])
        return float(r2_score(y, predicted))
    classes = np.unique(y)
    proba = np.zeros((len(y), len(classes)))
    for train, test in folds:
        fitted = clone(model).fit(column[train], y[train])
        where = np.searchsorted(classes, fitted.classes_)
        proba[np.ix_(test, where)] = fitted.predict_proba(column[test])
    if len(classes) == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes))


def _proxy_scores(*, data: SplitData, config: SweepConfig) -> tuple[dict[str, float], list[str]]:
    X, y = _proxy_inputs(data.development, config.seed)
    seed, task = config.seed, config.task
    skip = set(data.quality.id_like_columns) | set(id_like_columns(X))
    cv: KFold | StratifiedKFold
    if task == "classification":
        smallest = int(pd.Series(y).value_counts().min())
        cv = StratifiedKFold(n_splits=max(2, min(3, smallest)), shuffle=True, random_state=seed)
    else:
        cv = KFold(n_splits=3, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folds = list(cv.split(np.zeros(len(y)), y))
    numeric = set(data.column_types.numeric)
    scores: dict[str, float] = {}
    failed: list[str] = []
    for name in X.columns:
        if name in skip:
            continue
        is_numeric = name in numeric
        models = _proxy_models(numeric=is_numeric, task=task, seed=seed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                column = _encode(X[name], numeric=is_numeric)
                scores[str(name)] = max(
                    _proxy_score(column=column, y=y, folds=folds, model=m) for m in models
                )
        except ValueError as exc:
            failed.append(f"{name!r} ({exc})")
    return scores, failed


def check_proxies(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    threshold = config.leakage.proxy_threshold
    scores, failed = _proxy_scores(data=data, config=config)
    label = "ROC AUC" if config.task == "classification" else "R²"
    findings = [
        Finding(
            "proxy_feature",
            "error",
            f"column {name!r} alone predicts the target with cross-validated {label} "
            f"{score:.4f} >= leakage.proxy_threshold {threshold}; a single feature this strong "
            "is usually a copy or consequence of the target. Fix: add it to data.drop_columns "
            "(or leakage.deny_columns), or raise leakage.proxy_threshold if it is truly known "
            "at prediction time.",
            columns=(name,),
        )
        for name, score in scores.items()
        if score >= threshold
    ]
    if failed:
        findings.append(
            Finding("proxy_feature", "warning", "could not score: " + "; ".join(failed))
        )
    if not any(f.severity == "error" for f in findings):
        top = sorted(scores.items(), key=lambda kv: -kv[1])[:3]
        best = ", ".join(f"{n}={s:.3f}" for n, s in top) or "none scored"
        findings.append(
            Finding(
                "proxy_feature",
                "info",
                f"passed: no single feature reaches {label} {threshold} (best: {best})",
            )
        )
    return findings
