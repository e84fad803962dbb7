"""After the search: select, refit, judge on hold-out, register, and write every report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hpsearch.config import SweepConfig
from hpsearch.leaderboard import best_per_family, leaderboard
from hpsearch.lineage import environment, git_commit, key_versions
from hpsearch.model_card import CardData, render_card
from hpsearch.plots import (
    family_best,
    holdout_diagnostics,
    optimisation_history,
    parameter_importance,
)
from hpsearch.preflight import Preflight
from hpsearch.registry import log_model, register_candidate
from hpsearch.search import SearchOutcome, optimisation_mode
from hpsearch.selection import Verdict, judge, refit, select_best
from hpsearch.sweepdir import SweepPaths
from hpsearch.tracking import TAG_SWEEP_DIR, SweepTracker


@dataclass(frozen=True)
class SelectionOutcome:
    verdict: Verdict
    model_uri: str
    model_version: str | None
    leaderboard: pd.DataFrame
    best_per_family: pd.DataFrame
    plots: tuple[Path, ...]


def _plots(
    *,
    config: SweepConfig,
    pre: Preflight,
    search: SearchOutcome,
    paths: SweepPaths,
    best_family: str,
    y_pred: np.ndarray,
) -> tuple[Path, ...]:
    mode = optimisation_mode(config)
    metric = config.primary_metric
    made = [
        optimisation_history(
            search.records, metric=metric, mode=mode, path=paths.plots / "history.png"
        ),
        family_best(search.records, metric=metric, mode=mode, path=paths.plots / "families.png"),
        holdout_diagnostics(
            task=config.task,
            y_true=pre.data.holdout.y,
            y_pred=y_pred,
            path=paths.plots
            / ("confusion_matrix.png" if config.task == "classification" else "residuals.png"),
        ),
    ]
    space = next(s for s in pre.spaces if s.family == best_family)
    importance = parameter_importance(
        search.records, space=space, mode=mode, path=paths.plots / "importance.png"
    )
    if importance is not None:
        made.append(importance)
    return tuple(made)


def select_and_report(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    pre: Preflight,
    tracker: SweepTracker,
    parent: str,
    search: SearchOutcome,
) -> SelectionOutcome:
    mode = optimisation_mode(config)
    best = select_best(search.records, mode=mode)
    development, holdout = pre.data.development, pre.data.holdout
    model = refit(
        record=best,
        spaces=pre.spaces,
        development=development,
        column_types=pre.data.column_types,
        seed=config.seed,
        n_jobs=max(1, int(config.ray.cpus_per_trial)),
    )
    verdict = judge(
        best=best,
        model=model,
        task=config.task,
        development=development,
        holdout=holdout,
        metric_names=config.all_metrics,
        primary=config.primary_metric,
        thresholds=config.thresholds,
    )
    tracker.log_metrics(
        parent,
        {
            **{f"holdout_{k}": v for k, v in verdict.holdout.items()},
            **{f"baseline_{k}": v for k, v in verdict.baseline.items()},
            **{f"best_{k}": v for k, v in best.metrics.items()},
        },
    )
    tracker.set_tags(
        parent,
        {
            "hpsearch.verdict": "passed" if verdict.passed else "failed",
            "hpsearch.best_trial_id": best.trial_id,
            "hpsearch.best_family": best.family,
        },
    )
    model_uri = log_model(
        tracking_uri=tracker.tracking_uri,
        parent_run_id=parent,
        model=model,
        X_example=development.X,
    )
    version = None
    if verdict.passed:
        version = register_candidate(
            tracking_uri=tracker.tracking_uri,
            model_uri=model_uri,
            name=config.registered_model_name,
            tags={TAG_SWEEP_DIR: str(paths.root), "hpsearch.parent_run_id": parent},
            thresholds=dict(config.thresholds),
        )
    board = leaderboard(search.records, primary=config.primary_metric, mode=mode)
    board.to_csv(paths.leaderboard, index=False)
    per_family = best_per_family(board, primary=config.primary_metric)
    y_pred = np.asarray(model.predict(holdout.X))
    plots = _plots(
        config=config, pre=pre, search=search, paths=paths, best_family=best.family, y_pred=y_pred
    )
    card = _card(
        config=config, pre=pre, search=search, verdict=verdict, model_uri=model_uri, version=version
    )
    paths.model_card.write_text(render_card(card), encoding="utf-8")
    tracker.log_artifact(parent, paths.leaderboard, "reports")
    tracker.log_artifact(parent, paths.model_card, "reports")
    tracker.log_artifact(parent, paths.plots, "plots")
    return SelectionOutcome(verdict, model_uri, version, board, per_family, plots)


def _card(
    *,
    config: SweepConfig,
    pre: Preflight,
    search: SearchOutcome,
    verdict: Verdict,
    model_uri: str,
    version: str | None,
) -> CardData:
    best = verdict.best
    counts = {
        s: sum(r.status == s for r in search.records) for s in ("completed", "pruned", "failed")
    }
    return CardData(
        name=config.name,
        task=config.task,
        data_source=config.data.source,
        target=config.data.target,
        n_development=pre.data.development.n_rows,
        n_holdout=pre.data.holdout.n_rows,
        n_features=pre.data.development.X.shape[1],
        development_fingerprint=pre.data.development.fingerprint,
        holdout_fingerprint=pre.data.holdout.fingerprint,
        split_kind=pre.data.split_kind,
        leakage=pre.leakage,
        families=[s.family for s in pre.spaces],
        trials_total=len(search.records),
        trials_completed=counts["completed"],
        trials_pruned=counts["pruned"],
        trials_failed=counts["failed"],
        folds=config.cv.folds,
        seed=config.seed,
        primary=config.primary_metric,
        best_trial=best.trial_id,
        best_family=best.family,
        best_params=best.params,
        cv_means={m: best.metrics[f"cv_{m}_mean"] for m in config.all_metrics},
        cv_stds={m: best.metrics[f"cv_{m}_std"] for m in config.all_metrics},
        holdout=verdict.holdout,
        baseline=verdict.baseline,
        thresholds=verdict.thresholds,
        failures=verdict.failures,
        model_uri=model_uri,
        registered=f"models:/{config.registered_model_name}/{version}" if version else None,
        environment=environment(),
        packages=key_versions(),
        git_commit=git_commit(Path.cwd()),
    )
