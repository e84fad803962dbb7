"""``SearchCV``'s fold cache: a ``Pipeline`` whose tuned parameters all belong to its last
step has the same fitted preprocessing in every trial, so it is fitted once per fold.

The steps before the last are fitted with ``fit_transform`` on the fold's training rows only,
as ``Pipeline.fit`` does (a cross-fitting ``TargetEncoder`` included), and transform the fold's
test rows; each trial then fits and scores only the last step on that output. That is the
same arithmetic as fitting the whole pipeline per trial, so the scores are equal. No Ray in
here: ``ray_pool`` runs ``fit_prefix`` as one task per fold and hands the results to every
trial by reference.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from hpsearch.searchcv.evaluate import FoldData, FoldPlan, take


@dataclass(frozen=True)
class PrefixPlan:
    """Whether the plan's estimator has a cacheable prefix, and why not when it has none."""

    cacheable: bool
    reason: str


def prefix_plan(*, plan: FoldPlan, keys: Iterable[str], scoring: Any) -> PrefixPlan:
    """Cacheable when the estimator is a ``Pipeline`` of two or more steps, no tuned key and
    no fit parameter addresses a step but the last, its last step is an estimator, it has no
    ``memory``, and every scorer is a scikit-learn name (a callable of the user's may expect
    the pipeline's input)."""
    estimator = plan.estimator
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return PrefixPlan(cacheable=False, reason="not a Pipeline of two or more steps")
    last, final = estimator.steps[-1]
    if final is None or final == "passthrough" or estimator.memory is not None:
        return PrefixPlan(cacheable=False, reason="no final estimator, or Pipeline(memory=)")
    own = [k for k in keys if k != last and not k.startswith(f"{last}__")]
    own += [k for k in plan.fit_params if not k.startswith(f"{last}__")]
    if own:
        return PrefixPlan(cacheable=False, reason=f"{own[0]!r} is not a parameter of {last!r}")
    if not _named_scoring(scoring):
        return PrefixPlan(cacheable=False, reason="a callable scorer")
    return PrefixPlan(cacheable=True, reason="")


def _named_scoring(scoring: Any) -> bool:
    if scoring is None or isinstance(scoring, str):
        return True
    if isinstance(scoring, Mapping):
        return all(isinstance(s, str) for s in scoring.values())
    if isinstance(scoring, list | tuple | set):
        return all(isinstance(s, str) for s in scoring)
    return False


def fit_prefix(plan: FoldPlan, X: Any, y: Any, fold: int) -> FoldData | None:
    """The prefix fitted on fold ``fold``'s training rows and its output on both sides, or
    ``None`` when it cannot be fitted (each trial then fits the whole pipeline and meets
    the error itself, under ``error_score``)."""
    train, test = plan.splits[fold]
    prefix = clone(plan.estimator[:-1])
    started = time.perf_counter()
    try:
        X_train = prefix.fit_transform(take(X, train), take(y, train))
        X_test = prefix.transform(take(X, test))
    except Exception:
        return None
    return FoldData(X_train=X_train, X_test=X_test, fit_time=time.perf_counter() - started)


def nbytes(data: FoldData | None) -> int:
    """Memory the cached fold holds (numpy, sparse and pandas; else the pickle-free guess)."""
    if data is None:
        return 0
    return _size(data.X_train) + _size(data.X_test)


def _size(value: Any) -> int:
    if hasattr(value, "memory_usage"):
        return int(value.memory_usage(deep=True).sum())
    if hasattr(value, "data") and hasattr(value, "indices"):  # scipy sparse
        return int(value.data.nbytes + value.indices.nbytes + value.indptr.nbytes)
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    return sys.getsizeof(value)
