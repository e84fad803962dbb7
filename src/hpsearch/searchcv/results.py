"""``cv_results_`` with scikit-learn's keys, and the rank scikit-learn gives NaN scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from hpsearch.searchcv.evaluate import CandidateResult
from hpsearch.status import TrialStatus


def rank(means: np.ndarray) -> np.ndarray:
    """1 for the best mean; NaN (pruned, failed) ranks after every real score."""
    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return np.asarray(rankdata(-filled, method="min"), dtype=np.int32)


def _param_columns(params: Sequence[dict[str, Any]]) -> dict[str, np.ma.MaskedArray]:
    names = sorted({name for p in params for name in p})
    columns = {}
    for name in names:
        column: np.ma.MaskedArray = np.ma.MaskedArray(
            np.empty(len(params), dtype=object), mask=True
        )
        for i, p in enumerate(params):
            if name in p:
                column[i] = p[name]
        columns[f"param_{name}"] = column
    return columns


def cv_results(
    results: Sequence[CandidateResult], *, metrics: Sequence[str], n_splits: int, single: bool
) -> dict[str, Any]:
    """The dict ``RandomizedSearchCV`` builds; a single metric is named ``score``. Folds a
    pruned trial did not run are NaN, so its mean and std are NaN and it ranks last."""
    out: dict[str, Any] = {}
    fit = np.array([r.fit_times + [np.nan] * (n_splits - len(r.fit_times)) for r in results])
    score = np.array([r.score_times + [np.nan] * (n_splits - len(r.score_times)) for r in results])
    for key, times in (("fit_time", fit), ("score_time", score)):
        out[f"mean_{key}"] = np.nanmean(times, axis=1) if times.size else np.array([])
        out[f"std_{key}"] = np.nanstd(times, axis=1) if times.size else np.array([])
    params = [r.params for r in results]
    out.update(_param_columns(params))
    out["params"] = params
    for metric in metrics:
        name = "score" if single else metric
        table = np.array([r.scores[metric] for r in results], dtype=float)
        for k in range(n_splits):
            out[f"split{k}_test_{name}"] = table[:, k]
        with np.errstate(invalid="ignore"):
            means = table.mean(axis=1)
            stds = table.std(axis=1)
        out[f"mean_test_{name}"] = means
        out[f"std_test_{name}"] = stds
        out[f"rank_test_{name}"] = rank(means)
    return out


def statuses(results: Sequence[CandidateResult]) -> list[str]:
    return [str(TrialStatus(r.status)) for r in results]
