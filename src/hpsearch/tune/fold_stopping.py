"""Early stopping: successive halving over the first fold's rungs, then a quantile rule on
the running CV mean.

At a rung (a cheaper fidelity of the first fold: ``evaluation.fidelity``) a trial goes on
only when its score is among the best third of the scores at that same rung
(``rung_rule``). After fold ``k`` a trial is stopped when its running mean of the primary
metric is worse than the ``quantile`` of the running means, at the same fold, of the
trials that completed every fold (at least ``min_completed`` of them, so early trials are never
judged against noise). ``quantile`` 0.5 (the sweep file's default,
``search.stopping_quantile``) is the median stopping rule; 0.75 asks a trial to stay
within the best quarter. Every trial sees the same folds, so the comparison at fold ``k``
is paired. Stopped trials are PRUNED: told to Optuna as such, never selected.
"""

from __future__ import annotations

from typing import Any

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from hpsearch.config import SweepConfig
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord
from hpsearch.tune.quantile_rule import QuantileRule
from hpsearch.tune.rung_rule import RungRule
from hpsearch.tune.sampler import running_means

# trials that must complete every fold before the fold rule judges: with 5 and the best
# quarter to stay in (0.75), 5 of 100 random-forest trials completed on a real 6,366-row
# table (each new one had to beat the best of the first five) and the best CV score found
# was 0.9160; with 10 and the median, 38 completed and it was 0.9167 (docs/benchmarks.md)
MIN_COMPLETED = 10


class FoldQuantileStopping(FIFOScheduler):
    """The rung rule on results that carry a ``rung``, and the quantile stopping rule over
    folds completed (``folds_completed``) when ``judge_folds``."""

    def __init__(
        self,
        *,
        mode: str,
        n_folds: int,
        quantile: float,
        min_completed: int = 5,
        grace_folds: int = 1,
        rungs: RungRule | None = None,
        judge_folds: bool = True,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.rungs = rungs or RungRule(mode=mode)
        self.judge_folds = judge_folds
        self.rule = QuantileRule(
            mode=mode,
            n_folds=n_folds,
            quantile=quantile,
            min_completed=min_completed,
            grace_folds=grace_folds,
        )
        self._curves: dict[str, list[float]] = {}

    def seed_history(self, curves: list[list[float]]) -> None:
        """Running-mean curves of trials completed before a resume."""
        for curve in curves:
            self.rule.add_completed(curve)

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        if "rung" in result:
            go_on = self.rungs.promotes(key=str(result["rung"]), score=float(result["rung_score"]))
            return str(TrialScheduler.CONTINUE if go_on else TrialScheduler.STOP)
        folds = int(result.get("folds_completed", 0) or 0)
        if "objective" not in result or folds == 0:
            return str(TrialScheduler.CONTINUE)
        curve = self._curves.setdefault(trial.trial_id, [])
        curve.append(float(result["objective"]))
        if result.get("hpsearch_status") == TrialStatus.COMPLETED or not self.judge_folds:
            return str(TrialScheduler.CONTINUE)
        if self.rule.stops(folds=folds, running_mean=curve[-1]):
            return str(TrialScheduler.STOP)
        return str(TrialScheduler.CONTINUE)

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        curve = self._curves.pop(trial.trial_id, [])
        # a result marked done (the last fold) reaches the scheduler only here, not
        # through on_trial_result
        folds = int((result or {}).get("folds_completed", 0) or 0)
        if result and "objective" in result and folds == len(curve) + 1:
            curve.append(float(result["objective"]))
        if result and result.get("hpsearch_status") == TrialStatus.COMPLETED:
            self.rule.add_completed(curve)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self._curves.pop(trial.trial_id, None)

    def debug_string(self) -> str:
        return (
            f"FoldQuantileStopping(q={self.rule.quantile}): {len(self.rule.completed)} completed "
            "trials as reference"
        )


def make_scheduler(*, config: SweepConfig, previous: list[TrialRecord]) -> Any:
    """The rung and fold rules, told the rung scores and fold curves of earlier trials;
    FIFO when early stopping is off. The fold rule judges from 3 folds on."""
    if not config.search.early_stopping:
        return FIFOScheduler()
    rungs = RungRule(mode=config.mode)
    rungs.seed(r.rung_scores for r in previous)
    stopping = FoldQuantileStopping(
        mode=config.mode,
        n_folds=config.cv.folds,
        quantile=config.search.stopping_quantile,
        rungs=rungs,
        judge_folds=config.cv.folds >= 3,
        min_completed=MIN_COMPLETED,
    )
    curves = [
        list(running_means(r.fold_scores.get(config.primary_metric, [])).values())
        for r in previous
        if r.selectable
    ]
    stopping.seed_history(curves)
    return stopping
