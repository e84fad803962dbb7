"""PNG plots of a sweep: history, per-family best, parameter importance, hold-out errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import ConfusionMatrixDisplay

from hpsearch.spaces.model import SearchSpace
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _stopped_at(record: TrialRecord, metric: str) -> float | None:
    """A pruned trial's running mean over the folds it ran (what the stopping rule judged)."""
    values = record.fold_scores.get(metric, [])[: record.folds_completed]
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def optimisation_history(
    records: Sequence[TrialRecord], *, metric: str, mode: str, path: Path
) -> Path:
    """Each completed trial's CV score by trial number, the best so far, and each pruned
    trial at the running mean of the folds it ran (hollow: not comparable, never selected)."""
    done = sorted((r for r in records if r.selectable), key=lambda r: r.number)
    stopped = [
        (r.number, value, r.folds_completed)
        for r in records
        if r.status == TrialStatus.PRUNED and (value := _stopped_at(r, metric)) is not None
    ]
    fig, ax = plt.subplots(figsize=(7, 4))
    if stopped:
        ax.scatter(
            [n for n, _, _ in stopped], [v for _, v, _ in stopped], s=18, marker="o",
            facecolors="none", edgecolors="0.55",
            label="pruned: mean of its first folds only (not comparable)",
        )  # fmt: skip
    if done:
        xs = [r.number for r in done]
        ys = [float(r.objective or 0.0) for r in done]
        best = np.maximum.accumulate(ys) if mode == "max" else np.minimum.accumulate(ys)
        ax.scatter(xs, ys, s=14, alpha=0.7, label="completed")
        ax.step(xs, best, where="post", color="C3", label="best so far")
    if done or stopped:
        ax.legend(loc="best")
    ax.set_title(f"Optimisation history ({len(done)} completed, {len(stopped)} pruned)")
    ax.set_xlabel("trial number")
    ax.set_ylabel(f"CV {metric} (mean)")
    return _save(fig, path)


def score_limits(values: Sequence[float]) -> tuple[float, float]:
    """An axis range around the values (not from 0): close scores stay apart."""
    low, high = min(values), max(values)
    span = high - low
    pad = span * 0.35 if span > 0 else max(abs(high) * 0.01, 1e-3)
    return low - pad, high + pad * 1.6  # room on the right for the value labels


def family_best(records: Sequence[TrialRecord], *, metric: str, mode: str, path: Path) -> Path:
    """Best CV score per model family, on an axis zoomed to the scores."""
    best: dict[str, float] = {}
    for r in records:
        if not r.selectable:
            continue
        value = float(r.objective or 0.0)
        current = best.get(r.family)
        if current is None or (value > current if mode == "max" else value < current):
            best[r.family] = value
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.5 * max(1, len(best))))
    names = sorted(best, key=lambda f: best[f], reverse=mode == "max")
    if names:
        low, high = score_limits([best[n] for n in names])
        ax.barh(
            names[::-1], [best[n] - low for n in names[::-1]], left=low, color="C0"
        )  # bars start at the axis' left edge, not at 0
        ax.set_xlim(low, high)
        for i, name in enumerate(names[::-1]):
            ax.text(best[name], i, f" {best[name]:.4f}", va="center")
    ax.set_xlabel(f"best CV {metric} (axis zoomed to the scores)")
    ax.set_title("Best score per family")
    return _save(fig, path)


MIN_IMPORTANCE_TRIALS = 10  # fANOVA on fewer completed trials of one family is noise


@dataclass(frozen=True)
class Importance:
    """The importance plot, or why there is none (the model card says which)."""

    path: Path | None
    note: str


def parameter_importance(
    records: Sequence[TrialRecord], *, space: SearchSpace, mode: str, path: Path
) -> Importance:
    """fANOVA importance of the family's parameters over its completed trials, from
    ``MIN_IMPORTANCE_TRIALS`` of them."""
    distributions = dict(space.params)
    if not distributions:
        return Importance(None, f"no importance plot: `{space.family}` tunes no parameters")
    study = optuna.create_study(direction="maximize" if mode == "max" else "minimize")
    for r in records:
        if r.family != space.family or not r.selectable:
            continue
        params = {k: v for k, v in r.params.items() if k in distributions}
        try:
            trial = optuna.trial.create_trial(
                params=params,
                distributions={k: distributions[k] for k in params},
                value=float(r.objective or 0.0),
            )
        except ValueError:
            continue
        study.add_trial(trial)
    n = len(study.trials)
    if n < MIN_IMPORTANCE_TRIALS:
        return Importance(
            None,
            f"no importance plot: {n} completed trial(s) of `{space.family}`, fewer than the "
            f"{MIN_IMPORTANCE_TRIALS} a parameter importance needs (run more trials)",
        )
    try:
        importance = optuna.importance.get_param_importances(study, normalize=True)
    except (RuntimeError, ValueError) as exc:
        return Importance(None, f"no importance plot: fANOVA failed ({exc})")
    if not importance:
        return Importance(None, "no importance plot: the parameters did not vary")
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.4 * len(importance)))
    names = list(importance)[::-1]
    ax.barh(names, [importance[n] for n in names], color="C2")
    ax.set_xlabel("importance (fANOVA, normalised)")
    ax.set_title(f"Parameter importance: {space.family} ({n} completed trials)")
    return Importance(_save(fig, path), f"importance over {n} completed `{space.family}` trials")


def holdout_diagnostics(*, task: str, y_true: pd.Series, y_pred: np.ndarray, path: Path) -> Path:
    """Confusion matrix (classification) or residuals (regression) on the hold-out set."""
    if task == "classification":
        fig, ax = plt.subplots(figsize=(5.5, 5))
        ConfusionMatrixDisplay.from_predictions(
            np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), ax=ax, colorbar=False
        )
        ax.set_title("Hold-out confusion matrix")
        return _save(fig, path)
    fig, ax = plt.subplots(figsize=(6, 4))
    residuals = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    ax.scatter(y_pred, residuals, s=12, alpha=0.6)
    ax.axhline(0.0, color="C3", lw=1)
    ax.set_xlabel("predicted")
    ax.set_ylabel("residual (true - predicted)")
    ax.set_title("Hold-out residuals")
    return _save(fig, path)
