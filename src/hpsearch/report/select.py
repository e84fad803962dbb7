"""Pick the best trial and refit its configuration on every development row."""

from __future__ import annotations

import os
from collections.abc import Sequence

from joblib import parallel_config
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from hpsearch.errors import NoSelectableTrialError
from hpsearch.evaluation.rounds import rounds_param
from hpsearch.prepare.split import DataPart
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.model import SearchSpace
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.store.records import TrialRecord, count_statuses

__all__ = ["NoSelectableTrialError", "available_cpus", "refit", "select_best"]


def select_best(records: Sequence[TrialRecord], *, mode: str) -> TrialRecord:
    """Best primary CV mean among trials that completed every fold (ties: earliest)."""
    candidates = [r for r in records if r.selectable]
    if not candidates:
        counts = {str(s): n for s, n in count_statuses(records).items() if n}
        raise NoSelectableTrialError(
            f"no trial completed every fold (statuses: {counts or 'no trials'}); nothing to "
            "select. Fix: check the failed trials' errors in MLflow, or raise search.trials."
        )
    sign = 1.0 if mode == "max" else -1.0
    return max(candidates, key=lambda r: (sign * float(r.objective or 0.0), -r.number))


def available_cpus() -> int:
    """The CPUs this process may run on (after the search: the refit's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def refit(
    *,
    record: TrialRecord,
    spaces: Sequence[SearchSpace],
    development: DataPart,
    column_types: ColumnTypes,
    seed: int,
    n_jobs: int,
    fit_jobs: int | None = None,
) -> Pipeline:
    """Fit the selected configuration on every development row.

    The model keeps the trial's thread setting (``n_jobs``: what it was tuned with, and what
    it predicts with where it is deployed); the fit may use ``fit_jobs`` CPUs where the
    parallelism comes from outside the model: joblib (scikit-learn's forests) and the
    BLAS/OpenMP pools (scikit-learn's histogram boosting). A boosting library's own thread
    parameter is not raised for the fit (CatBoost refuses to change a fitted model's).

    A boosting family whose rounds early stopping chose in CV is refit with the mean of
    those rounds (``rounds_mean``): there is no stopping split left to choose them on."""
    space = next(s for s in spaces if s.family == record.family)
    params = dict(record.params)
    rounds = record.metrics.get("rounds_mean")
    jobs = max(1, fit_jobs or n_jobs)
    pipeline = build_pipeline(
        space=space, params=params, column_types=column_types, n_jobs=n_jobs, seed=seed
    )
    path = rounds_param(pipeline.named_steps["model"])
    if rounds is not None and path is not None:
        pipeline.set_params(**{path: max(1, round(rounds))})
    with threadpool_limits(limits=jobs), parallel_config(n_jobs=jobs):
        pipeline.fit(development.X, development.y)
    return pipeline
