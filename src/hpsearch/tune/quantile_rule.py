"""The fold-level quantile stopping rule itself, without Ray (see ``fold_stopping``).

After fold ``k`` a trial is stopped when its running CV mean is worse than the
``quantile`` of the running means at fold ``k`` of the trials that completed every fold,
once at least ``min_completed`` of them exist and from fold ``grace_folds`` on.
``FoldQuantileStopping`` applies it inside Ray Tune; ``SearchCV`` hands each trial the
thresholds current when it starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class QuantileRule:
    """The reference curves of completed trials, and the thresholds they give."""

    def __init__(
        self,
        *,
        mode: str,
        n_folds: int,
        quantile: float,
        min_completed: int = 5,
        grace_folds: int = 1,
    ) -> None:
        self.mode = mode
        self.n_folds = n_folds
        self.quantile = quantile  # the share of completed trials one must not fall behind
        self._level = quantile if mode == "max" else 1.0 - quantile  # of the sorted values
        self.min_completed = min_completed
        self.grace_folds = grace_folds
        self.completed: list[list[float]] = []

    def add_completed(self, curve: Sequence[float]) -> None:
        """The running means of a trial that completed every fold."""
        if len(curve) >= self.n_folds:
            self.completed.append(list(curve))

    def threshold(self, folds: int) -> float | None:
        """The value a running mean after ``folds`` folds must not be worse than; None
        while the rule does not judge (grace folds, too few completed trials, last fold)."""
        if folds < self.grace_folds or folds >= self.n_folds:
            return None
        if len(self.completed) < self.min_completed:
            return None
        return float(np.quantile([c[folds - 1] for c in self.completed], self._level))

    def thresholds(self) -> list[float | None]:
        """``threshold`` for every fold 1..n_folds, as of now."""
        return [self.threshold(k) for k in range(1, self.n_folds + 1)]

    def worse(self, value: float, reference: float) -> bool:
        return value < reference if self.mode == "max" else value > reference

    def stops(self, *, folds: int, running_mean: float) -> bool:
        reference = self.threshold(folds)
        return reference is not None and self.worse(running_mean, reference)
