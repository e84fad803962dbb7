"""Fold-level early stopping: a quantile rule on the running CV mean.

After fold ``k`` a trial is stopped when its running mean of the primary metric is
worse than the ``quantile`` of the running means, at the same fold, of the trials that
completed every fold (at least ``min_completed`` of them, so early trials are never
judged against noise). ``quantile`` 0.5 is the median stopping rule; 0.75 (the sweep
file's default, ``search.stopping_quantile``) asks a trial to stay within the best
quarter. Every trial sees the same folds, so the comparison at fold ``k`` is paired, and
TPE spends most of a budget near the best configurations, where the median rule lets
almost every trial run to the end (measured in ``docs/benchmarks.md``). Stopped trials
are PRUNED: told to Optuna as such, never selected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from hpsearch.status import TrialStatus


class FoldQuantileStopping(FIFOScheduler):
    """Quantile stopping rule over folds completed (``folds_completed`` in results)."""

    def __init__(
        self,
        *,
        mode: str,
        n_folds: int,
        quantile: float,
        min_completed: int = 5,
        grace_folds: int = 1,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.n_folds = n_folds
        self.quantile = quantile  # the share of completed trials one must not fall behind
        self._level = quantile if mode == "max" else 1.0 - quantile  # of the sorted values
        self.min_completed = min_completed
        self.grace_folds = grace_folds
        self._curves: dict[str, list[float]] = {}
        self._completed: list[list[float]] = []

    def seed_history(self, curves: list[list[float]]) -> None:
        """Running-mean curves of trials completed before a resume."""
        self._completed.extend(c for c in curves if len(c) >= self.n_folds)

    def _worse(self, value: float, reference: float) -> bool:
        return value < reference if self.mode == "max" else value > reference

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        folds = int(result.get("folds_completed", 0) or 0)
        if "objective" not in result or folds == 0:
            return str(TrialScheduler.CONTINUE)
        curve = self._curves.setdefault(trial.trial_id, [])
        curve.append(float(result["objective"]))
        if result.get("hpsearch_status") == TrialStatus.COMPLETED or folds >= self.n_folds:
            return str(TrialScheduler.CONTINUE)
        if folds < self.grace_folds or len(self._completed) < self.min_completed:
            return str(TrialScheduler.CONTINUE)
        reference = float(np.quantile([c[folds - 1] for c in self._completed], self._level))
        if self._worse(curve[-1], reference):
            return str(TrialScheduler.STOP)
        return str(TrialScheduler.CONTINUE)

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        curve = self._curves.pop(trial.trial_id, [])
        # a result marked done (the last fold) reaches the scheduler only here, not
        # through on_trial_result
        folds = int((result or {}).get("folds_completed", 0) or 0)
        if result and "objective" in result and folds == len(curve) + 1:
            curve.append(float(result["objective"]))
        if (
            result
            and result.get("hpsearch_status") == TrialStatus.COMPLETED
            and len(curve) >= self.n_folds
        ):
            self._completed.append(curve)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self._curves.pop(trial.trial_id, None)

    def debug_string(self) -> str:
        return (
            f"FoldQuantileStopping(q={self.quantile}): {len(self._completed)} completed trials "
            "as reference"
        )
