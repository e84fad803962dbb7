"""The report files of a sweep: leaderboard, plots and model card, saved and logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from hpsearch.evaluation.scoring import labels
from hpsearch.report.judge import Verdict
from hpsearch.report.leaderboard import best_per_family, leaderboard
from hpsearch.report.model_card import CardData, render_card
from hpsearch.report.preprocessing import describe_preprocessing
from hpsearch.report.publish import Published
from hpsearch.status import TrialStatus
from hpsearch.store.lineage import environment, git_commit, key_versions
from hpsearch.store.records import TrialRecord, count_statuses
from hpsearch.tracking.registry import attach_card
from hpsearch.tracking.session import SweepSession


@dataclass(frozen=True)
class Reports:
    """What the terminal shows after a sweep, and the plot files."""

    leaderboard: pd.DataFrame
    best_per_family: pd.DataFrame
    plots: tuple[Path, ...]


def _plots(
    *, session: SweepSession, records: Sequence[TrialRecord], best_family: str, y_pred: np.ndarray
) -> tuple[tuple[Path, ...], str]:
    """The plots made, and what the importance plot shows or why it is missing."""
    from hpsearch.report.plots import (  # matplotlib: not on the way to the first trial
        family_best,
        holdout_diagnostics,
        optimisation_history,
        parameter_importance,
    )

    config, pre, folder = session.config, session.pre, session.paths.plots
    metric, mode = config.primary_metric, config.mode
    diagnostics = "confusion_matrix.png" if config.task == "classification" else "residuals.png"
    made = [
        optimisation_history(records, metric=metric, mode=mode, path=folder / "history.png"),
        family_best(records, metric=metric, mode=mode, path=folder / "families.png"),
        holdout_diagnostics(
            task=config.task, y_true=pre.data.holdout.y, y_pred=y_pred, path=folder / diagnostics
        ),
    ]
    space = next(s for s in pre.spaces if s.family == best_family)
    importance = parameter_importance(
        records, space=space, mode=mode, path=folder / "importance.png"
    )
    if importance.path is not None:
        made.append(importance.path)
    return tuple(made), importance.note


def card_data(
    *,
    session: SweepSession,
    records: Sequence[TrialRecord],
    verdict: Verdict,
    published: Published,
    model: Pipeline | None = None,
    plots: Sequence[Path] = (),
    plot_notes: Sequence[str] = (),
) -> CardData:
    """Everything the model card states, from the session and the outcome."""
    config, data, best = session.config, session.pre.data, verdict.best
    inputs = [str(c) for c in data.development.X.columns]
    counts = count_statuses(records)
    version = published.model_version
    return CardData(
        name=config.name,
        task=config.task,
        data_source=config.data.source,
        target=config.data.target,
        n_development=data.development.n_rows,
        n_holdout=data.holdout.n_rows,
        n_features=data.development.X.shape[1],
        development_fingerprint=data.development.fingerprint,
        holdout_fingerprint=data.holdout.fingerprint,
        split_kind=data.split_kind,
        leakage=session.pre.leakage,
        families=[s.family for s in session.pre.spaces],
        trials_total=len(records),
        trials_completed=counts[TrialStatus.COMPLETED],
        trials_pruned=counts[TrialStatus.PRUNED],
        trials_failed=counts[TrialStatus.FAILED],
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
        model_uri=published.model_uri,
        registered=f"models:/{config.registered_model_name}/{version}" if version else None,
        environment=environment(),
        packages=key_versions(),
        git_commit=git_commit(Path.cwd()),
        refit_rows=config.selection.refit if verdict.passed else "development",
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        best_number=best.number,
        features=[(p.name, p.kind, p.reason) for p in data.profiles],
        preprocessing=() if model is None else describe_preprocessing(model, inputs=inputs),
        intervals=verdict.intervals,
        plots=[p.name for p in plots],
        plot_notes=plot_notes,
    )


def write_reports(
    *,
    session: SweepSession,
    records: Sequence[TrialRecord],
    verdict: Verdict,
    model: Pipeline,
    published: Published,
) -> Reports:
    """Leaderboard, plots and model card in the sweep directory, logged to the parent run."""
    paths, config = session.paths, session.config
    board = leaderboard(records, primary=config.primary_metric, mode=config.mode)
    board.to_csv(paths.leaderboard, index=False)
    y_pred = labels(model.predict(session.pre.data.holdout.X))
    plots, note = _plots(
        session=session, records=records, best_family=verdict.best.family, y_pred=y_pred
    )
    card = card_data(
        session=session, records=records, verdict=verdict, published=published, model=model,
        plots=plots, plot_notes=[note],
    )  # fmt: skip
    text = render_card(card)
    paths.model_card.write_text(text, encoding="utf-8")
    if published.model_version is not None:  # the registry's page of the version shows it
        attach_card(
            tracking_uri=session.parent.tracking_uri, name=config.registered_model_name,
            version=published.model_version, model_uri=published.model_uri,
            card=paths.model_card,
        )  # fmt: skip
    session.parent.log_artifact(paths.leaderboard, "reports")
    session.parent.log_artifact(paths.model_card, "reports")
    session.parent.log_artifact(paths.plots, "plots")
    return Reports(
        leaderboard=board,
        best_per_family=best_per_family(board, primary=config.primary_metric),
        plots=plots,
    )
