"""Optuna inside Ray Tune, told the truth about every trial.

Ray's ``OptunaSearch`` tells Optuna "COMPLETE" with the partial-fold mean when a
scheduler stops a trial, and cannot tell a failed trial that reported a result.
``HonestOptunaSearch`` tells PRUNED for a trial that did not finish its folds and
FAIL for a trial whose folds raised, so TPE learns only from full CV scores.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search.optuna import OptunaSearch

from hpsearch.trainable import STATUS_COMPLETED, STATUS_FAILED


def outcome_state(result: dict[str, Any] | None, *, error: bool, n_folds: int) -> TrialState:
    """The Optuna state a finished Tune trial deserves."""
    if error or not result or result.get("hpsearch_status") == STATUS_FAILED:
        return TrialState.FAIL
    complete = (
        result.get("hpsearch_status") == STATUS_COMPLETED
        and int(result.get("folds_completed", 0)) >= n_folds
    )
    return TrialState.COMPLETE if complete else TrialState.PRUNED


class HonestOptunaSearch(OptunaSearch):
    """``OptunaSearch`` that reports pruned and failed trials as such."""

    def __init__(self, *, n_folds: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._n_folds = n_folds

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        if result.get("hpsearch_status") == STATUS_FAILED or self.metric not in result:
            return
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is None or trial_id in self._completed_trials:
            return
        ot_trial.report(float(result[self.metric]), int(result.get("folds_completed", 0)))

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        if trial_id in self._completed_trials or trial_id not in self._ot_trials:
            return
        ot_trial = self._ot_trials[trial_id]
        state = outcome_state(result, error=error, n_folds=self._n_folds)
        value = float(result[self.metric]) if state == TrialState.COMPLETE and result else None
        self.study.tell(ot_trial, value, state=state)
        self._completed_trials.add(trial_id)

    @property
    def study(self) -> optuna.Study:
        """The underlying Optuna study (sampler history)."""
        study = self._ot_study
        if study is None:
            raise RuntimeError("the Optuna study is not set up yet")
        return study
