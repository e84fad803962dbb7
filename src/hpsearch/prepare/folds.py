"""The cross-validation folds of a sweep: which splitter fits the data, computed once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
)

from hpsearch.config.metrics import Task
from hpsearch.prepare.group_folds import BalancedGroupKFold


@dataclass(frozen=True)
class FixedFolds:
    """Fold indices computed once (the same seeded folds for every trial), splitter-shaped."""

    folds: tuple[tuple[np.ndarray, np.ndarray], ...]

    def split(
        self, X: object = None, y: object = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield from self.folds

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        return len(self.folds)


Splitter: TypeAlias = (
    KFold
    | StratifiedKFold
    | GroupKFold
    | StratifiedGroupKFold
    | BalancedGroupKFold
    | TimeSeriesSplit
    | FixedFolds
)


def make_splitter(
    *, task: Task, folds: int, seed: int, grouped: bool, by_time: bool,
    group_splitter: str = "balanced",
) -> Splitter:  # fmt: skip
    """The CV splitter that matches the data: time-series, grouped, stratified or plain;
    grouped classification folds are ``group_folds.BalancedGroupKFold`` unless
    ``group_splitter`` is "sklearn" (``StratifiedGroupKFold``, sweeps made before it)."""
    if by_time:
        return TimeSeriesSplit(n_splits=folds)
    if grouped:
        if task == "classification" and group_splitter == "balanced":
            return BalancedGroupKFold(n_splits=folds, random_state=seed)
        if task == "classification":
            return StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    if task == "classification":
        return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return KFold(n_splits=folds, shuffle=True, random_state=seed)


def fixed_folds(
    *, splitter: Splitter, X: pd.DataFrame, y: pd.Series, groups: pd.Series | None
) -> FixedFolds:
    """Materialise a splitter's folds once, so trials do not recompute them."""
    return FixedFolds(
        folds=tuple((np.asarray(a), np.asarray(b)) for a, b in splitter.split(X, y, groups))
    )
