"""A Ray Tune searcher on Optuna's public ask-and-tell interface, told the truth.

Ray's ``OptunaSearch`` tells Optuna "COMPLETE" with the partial-fold mean when a
scheduler stops a trial, and cannot tell a failed trial that reported a result; teaching
it otherwise meant reading its private fields. ``AskTellSearcher`` owns its study: each
suggestion is ``study.ask()`` run through the define-by-run ``ConditionalSpace``, each fold
is ``trial.report``, and each trial ends with ``study.tell``: PRUNED for a trial that did
not finish its folds, FAIL for a trial whose folds raised, COMPLETE with the full CV mean
otherwise. TPE learns only from full CV scores.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search import Searcher

from hpsearch.spaces.conditional import ConditionalSpace
from hpsearch.status import TrialStatus


def outcome_state(result: dict[str, Any] | None, *, error: bool, n_folds: int) -> TrialState:
    """The Optuna state a finished Tune trial deserves."""
    if error or not result or result.get("hpsearch_status") == TrialStatus.FAILED:
        return TrialState.FAIL
    complete = (
        result.get("hpsearch_status") == TrialStatus.COMPLETED
        and int(result.get("folds_completed", 0)) >= n_folds
    )
    return TrialState.COMPLETE if complete else TrialState.PRUNED


class AskTellSearcher(Searcher):
    """Suggests configs from an Optuna study and reports every outcome to it."""

    def __init__(
        self,
        *,
        space: ConditionalSpace,
        study: optuna.Study,
        n_folds: int,
        metric: str,
        mode: str,
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self._space = space
        self._study = study
        self._n_folds = n_folds
        self._trials: dict[str, optuna.Trial] = {}
        self._told: set[str] = set()

    @property
    def study(self) -> optuna.Study:
        """The Optuna study (the sampler's whole history)."""
        return self._study

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        return True  # the space, metric and mode are fixed at construction

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        trial = self._trials.get(trial_id)
        if trial is None:
            trial = self._study.ask()
            self._space(trial)
            self._trials[trial_id] = trial
        return dict(trial.params)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        failed = result.get("hpsearch_status") == TrialStatus.FAILED
        if failed or self.metric not in result or "rung" in result:
            return  # only folds at full fidelity are the sampler's intermediate values
        trial = self._trials.get(trial_id)
        if trial is None or trial_id in self._told:
            return
        trial.report(float(result[self.metric]), int(result.get("folds_completed", 0)))

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        trial = self._trials.get(trial_id)
        if trial is None or trial_id in self._told:
            return
        state = outcome_state(result, error=error, n_folds=self._n_folds)
        value = float(result[self.metric]) if state == TrialState.COMPLETE and result else None
        self._study.tell(trial, value, state=state)
        self._told.add(trial_id)

    def save(self, checkpoint_path: str) -> None:
        """Nothing to save: hpsearch resumes from ``trials.jsonl``, not Tune's state."""

    def restore(self, checkpoint_path: str) -> None:
        """Nothing to restore (see ``save``)."""
