"""After the search, in order: select, refit, judge on hold-out, publish, write reports."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from hpsearch.launch import seconds_since_launch
from hpsearch.prepare.split import DataPart, every_row
from hpsearch.report.files import write_reports
from hpsearch.report.judge import Verdict, judge
from hpsearch.report.prefit import Prefit
from hpsearch.report.publish import publish
from hpsearch.report.select import available_cpus, refit, select_best
from hpsearch.store.records import TrialRecord
from hpsearch.tracking.session import SweepSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelectionOutcome:
    """The selected model's verdict, where it was published, and the reports."""

    verdict: Verdict
    estimator: Pipeline  # the fitted pipeline that was published
    model_uri: str
    model_version: str | None
    registered_uri: str | None  # models:/NAME@candidate when it passed
    leaderboard: pd.DataFrame
    best_per_family: pd.DataFrame
    plots: tuple[Path, ...]


def refitting(session: SweepSession) -> Callable[[TrialRecord, int], Pipeline]:
    """``fit(record, fit_jobs)``: a trial's configuration refit on the development rows."""
    config, data = session.config, session.pre.data

    def fit(record: TrialRecord, fit_jobs: int) -> Pipeline:
        return refit(
            record=record,
            spaces=session.pre.spaces,
            development=data.development,
            column_types=data.column_types,
            seed=config.seed,
            n_jobs=max(1, int(config.ray.cpus_per_trial)),
            fit_jobs=fit_jobs,
        )

    return fit


def conclude(
    *, session: SweepSession, records: Sequence[TrialRecord], prefit: Prefit | None = None
) -> SelectionOutcome:
    """Each stage is its own function over the session; the hold-out rows are read here
    for the first time, by ``judge``. With ``selection.refit: all`` a model that passed is
    refit on every row, and that model is the one published. The refit on the development
    rows may have been made in the search's tail (``prefit``), for the same trial."""
    config, data = session.config, session.pre.data
    best = select_best(records, mode=config.mode)

    def fitted_on(rows: DataPart) -> Pipeline:
        return refit(
            record=best,
            spaces=session.pre.spaces,
            development=rows,
            column_types=data.column_types,
            seed=config.seed,
            n_jobs=max(1, int(config.ray.cpus_per_trial)),
            fit_jobs=available_cpus(),  # the search is over: every CPU here is free
        )

    model = (prefit.take(best) if prefit else None) or fitted_on(data.development)
    logger.debug("ending: refit model ready at %.2f s", seconds_since_launch())
    verdict = judge(
        best=best,
        model=model,
        task=config.task,
        development=data.development,
        holdout=data.holdout,
        metric_names=config.all_metrics,
        primary=config.primary_metric,
        thresholds=config.thresholds,
        seed=config.seed,
    )
    logger.debug("ending: hold-out judged at %.2f s", seconds_since_launch())
    passed_all = verdict.passed and config.selection.refit == "all"
    final = fitted_on(every_row(data)) if passed_all else model
    if passed_all:
        logger.debug("ending: refit on every row at %.2f s", seconds_since_launch())
    published = publish(session=session, verdict=verdict, model=final)
    logger.debug("ending: published to MLflow at %.2f s", seconds_since_launch())
    reports = write_reports(
        session=session, records=records, verdict=verdict, model=model, published=published
    )
    logger.debug("ending: reports written at %.2f s", seconds_since_launch())
    return SelectionOutcome(
        verdict=verdict,
        estimator=final,
        model_uri=published.model_uri,
        model_version=published.model_version,
        registered_uri=(
            f"models:/{config.registered_model_name}@candidate" if published.model_version else None
        ),
        leaderboard=reports.leaderboard,
        best_per_family=reports.best_per_family,
        plots=reports.plots,
    )
