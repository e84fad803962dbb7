"""Leakage checks on the split data: pure functions that return a report, no I/O."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
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
from hpsearch.data import DataPart, SplitData, id_like_columns
from hpsearch.errors import LeakageError
from hpsearch.evaluate import make_splitter

__all__ = ["Finding", "LeakageReport", "check_leakage", "raise_if_failed"]

_MAX_IDS = 20
_PROXY_ROWS = 5000
_CLASSIFIER_DEPTH = 4  # shallow: a proxy needs no depth, and depth overfits weak columns
_REGRESSOR_DEPTH = 6


@dataclass(frozen=True)
class Finding:
    """One result of one check: an error stops the sweep, warnings and info are recorded."""

    check: str
    severity: str
    message: str
    columns: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeakageReport:
    """Every finding of every check, in the order the checks ran."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def passed(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "n_errors": len(self.errors),
            "findings": [
                {**asdict(f), "columns": list(f.columns), "ids": list(f.ids)} for f in self.findings
            ],
        }


def _examples(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)[:_MAX_IDS]


def _shown(values: Iterable[object]) -> str:
    return ", ".join(repr(v) for v in values)


def _check_ids(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    if config.data.id_column is None:
        return [Finding("id_overlap", "info", "skipped: no data.id_column declared")]
    holdout_ids = set(data.holdout.row_ids)
    shared = [i for i in data.development.row_ids if i in holdout_ids]
    if shared:
        ids = _examples(shared)
        return [
            Finding(
                "id_overlap",
                "error",
                f"{len(shared)} id(s) of {config.data.id_column!r} appear in both the "
                f"development and the hold-out part, e.g. {_shown(ids[:5])}. "
                "Fix: deduplicate the ids or declare data.group_column for repeated entities.",
                columns=(config.data.id_column,),
                ids=ids,
            )
        ]
    return [Finding("id_overlap", "info", "passed: no id is in both parts")]


def _row_hashes(X: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(X, index=False).to_numpy()


def _check_rows(data: SplitData) -> list[Finding]:
    dev, hold = data.development, data.holdout
    if list(dev.X.columns) != list(hold.X.columns):
        return [
            Finding(
                "row_overlap",
                "error",
                "the development and hold-out parts have different feature columns: "
                f"{list(dev.X.columns)} vs {list(hold.X.columns)}. Fix: build both parts "
                "from one frame (prepare_data does).",
            )
        ]
    dev_hash, hold_hash = _row_hashes(dev.X), _row_hashes(hold.X)
    shared = np.isin(hold_hash, dev_hash)
    if not shared.any():
        return [Finding("row_overlap", "info", "passed: no feature row is in both parts")]
    hold_ids = _examples(np.asarray(hold.row_ids, dtype=object)[shared])
    dev_ids = _examples(np.asarray(dev.row_ids, dtype=object)[np.isin(dev_hash, hold_hash)])
    # Under a time split a later row may repeat earlier features: recorded, not fatal.
    severity = "warning" if data.split_kind == "time" else "error"
    return [
        Finding(
            "row_overlap",
            severity,
            f"{int(shared.sum())} hold-out row(s) have exactly the features of a development "
            f"row: hold-out ids {_shown(hold_ids[:5])} match development ids "
            f"{_shown(dev_ids[:5])}. Fix: set leakage.duplicate_rows to 'group' or 'drop' "
            "so identical rows cannot straddle the split.",
            ids=hold_ids,
        )
    ]


def _check_groups(data: SplitData) -> list[Finding]:
    dev, hold = data.development.groups, data.holdout.groups
    if dev is None or hold is None:
        return [Finding("group_overlap", "info", "skipped: no groups in the data")]
    shared = sorted(set(map(str, dev)) & set(map(str, hold)))
    if not shared:
        return [Finding("group_overlap", "info", "passed: every group is on one side")]
    ids = _examples(shared)
    return [
        Finding(
            "group_overlap",
            "error",
            f"{len(shared)} group(s) have rows in both the development and the hold-out part, "
            f"e.g. {_shown(ids[:5])}. Fix: split by group (prepare_data does so when "
            "data.group_column is set).",
            ids=ids,
        )
    ]


def _check_time(data: SplitData) -> list[Finding]:
    dev, hold = data.development.times, data.holdout.times
    if dev is None or hold is None or not len(dev) or not len(hold):
        return [Finding("time_order", "info", "skipped: no data.time_column")]
    latest_dev = dev.max()
    early = (hold < latest_dev).to_numpy()
    if not early.any():
        return [Finding("time_order", "info", f"passed: hold-out starts at or after {latest_dev}")]
    ids = _examples(np.asarray(data.holdout.row_ids, dtype=object)[early])
    return [
        Finding(
            "time_order",
            "error",
            f"the latest development time {latest_dev} is after the earliest hold-out time "
            f"{hold.min()}; {int(early.sum())} hold-out row(s) precede development rows, e.g. "
            f"{_shown(ids[:5])}. Fix: hold out the latest rows (prepare_data does so when "
            "data.time_column is set).",
            ids=ids,
        )
    ]


def _check_deny(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    deny = config.leakage.deny_columns
    if not deny:
        return [Finding("deny_column", "info", "skipped: leakage.deny_columns is empty")]
    present = tuple(c for c in deny if c in data.development.X.columns)
    if not present:
        return [Finding("deny_column", "info", f"passed: none of {_shown(deny)} is a feature")]
    return [
        Finding(
            "deny_column",
            "error",
            f"deny-listed column(s) {_shown(present)} are among the features "
            "(leakage.deny_columns). Fix: add them to data.drop_columns.",
            columns=present,
        )
    ]


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


def _check_proxies(*, data: SplitData, config: SweepConfig) -> list[Finding]:
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


def _check_splitter(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    dev = data.development
    grouped, by_time = dev.groups is not None, dev.times is not None
    splitter = make_splitter(
        task=config.task, folds=config.cv.folds, seed=config.seed, grouped=grouped, by_time=by_time
    )
    name = type(splitter).__name__
    problems = []
    if config.data.time_column and (data.split_kind != "time" or not by_time):
        problems.append(f"data.time_column={config.data.time_column!r} is set")
    elif config.data.group_column and (data.split_kind != "group" or not grouped):
        problems.append(f"data.group_column={config.data.group_column!r} is set")
    elif grouped and data.split_kind not in ("group", "time"):
        problems.append("the rows carry groups")
    findings = [
        Finding(
            "splitter",
            "info",
            f"hold-out split: {data.split_kind}; CV splitter: {name}({config.cv.folds} folds)",
        )
    ]
    if problems:
        findings.append(
            Finding(
                "splitter",
                "error",
                f"{problems[0]} but the {data.split_kind} split and the {name} CV splitter "
                "ignore it, so related rows can land on both sides. Fix: build the split "
                "with prepare_data, which splits by time or group when these are declared.",
            )
        )
    return findings


def check_leakage(*, data: SplitData, config: SweepConfig) -> LeakageReport:
    """Run every leakage check; errors in the report stop the sweep via ``raise_if_failed``."""
    findings = [
        *_check_ids(data=data, config=config),
        *_check_rows(data),
        *_check_groups(data),
        *_check_time(data),
        *_check_deny(data=data, config=config),
        *_check_proxies(data=data, config=config),
        *_check_splitter(data=data, config=config),
    ]
    return LeakageReport(findings=tuple(findings))


def raise_if_failed(report: LeakageReport) -> None:
    """Raise ``LeakageError`` listing every error finding; do nothing when the report passed."""
    if report.passed:
        return
    lines = [f"leakage gate failed with {len(report.errors)} error(s):"]
    for f in report.errors:
        extra = []
        if f.columns:
            extra.append(f"columns: {', '.join(f.columns)}")
        if f.ids:
            extra.append(f"ids: {', '.join(f.ids)}")
        suffix = f" [{'; '.join(extra)}]" if extra else ""
        lines.append(f"  - {f.check}: {f.message}{suffix}")
    raise LeakageError("\n".join(lines))
