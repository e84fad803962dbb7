"""PNG plots of a sweep: history, per-family best, parameter importance, hold-out errors."""

from __future__ import annotations

from collections.abc import Sequence
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


def optimisation_history(
    records: Sequence[TrialRecord], *, metric: str, mode: str, path: Path
) -> Path:
    """Each completed trial's CV score by trial number, and the best so far."""
    done = sorted((r for r in records if r.selectable), key=lambda r: r.number)
    fig, ax = plt.subplots(figsize=(7, 4))
    if done:
        xs = [r.number for r in done]
        ys = [float(r.objective or 0.0) for r in done]
        best = np.maximum.accumulate(ys) if mode == "max" else np.minimum.accumulate(ys)
        ax.scatter(xs, ys, s=14, alpha=0.6, label="trial")
        ax.step(xs, best, where="post", color="C3", label="best so far")
        ax.legend(loc="best")
    pruned = [r.number for r in records if r.status == TrialStatus.PRUNED]
    ax.set_title(f"Optimisation history ({len(done)} completed, {len(pruned)} pruned)")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"CV {metric} (mean)")
    return _save(fig, path)


def family_best(records: Sequence[TrialRecord], *, metric: str, mode: str, path: Path) -> Path:
    """Best CV score per model family."""
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
    ax.barh(names[::-1], [best[n] for n in names[::-1]], color="C0")
    for i, name in enumerate(names[::-1]):
        ax.text(best[name], i, f" {best[name]:.4f}", va="center")
    ax.set_xlabel(f"best CV {metric}")
    ax.set_title("Best score per family")
    return _save(fig, path)


def parameter_importance(
    records: Sequence[TrialRecord], *, space: SearchSpace, mode: str, path: Path
) -> Path | None:
    """fANOVA importance of the family's parameters; None with too few trials."""
    distributions = dict(space.params)
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
    if len(study.trials) < 3 or not distributions:
        return None
    try:
        importance = optuna.importance.get_param_importances(study, normalize=True)
    except (RuntimeError, ValueError):
        return None
    if not importance:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.4 * len(importance)))
    names = list(importance)[::-1]
    ax.barh(names, [importance[n] for n in names], color="C2")
    ax.set_xlabel("importance (fANOVA, normalised)")
    ax.set_title(f"Parameter importance: {space.family} ({len(study.trials)} trials)")
    return _save(fig, path)


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
