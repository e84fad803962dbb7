"""stopping.FoldQuantileStopping: a pure-Python quantile rule over running CV means.

Trials are tiny objects with a ``trial_id``; the scheduler never touches Ray itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hpsearch.status import TrialStatus
from hpsearch.tune.fold_stopping import FoldQuantileStopping

STOP, CONTINUE = "STOP", "CONTINUE"
N_FOLDS = 3


@dataclass(frozen=True)
class FakeTrial:
    trial_id: str


def _result(fold: int, objective: float, *, last: bool = False) -> dict[str, Any]:
    return {
        "folds_completed": fold,
        "objective": objective,
        "hpsearch_status": TrialStatus.COMPLETED if last else TrialStatus.RUNNING,
    }


def _complete(sched: FoldQuantileStopping, trial_id: str, curve: list[float]) -> None:
    """Feed a trial that finishes every fold with running means ``curve``, as Tune does: the
    last fold's result is marked done and reaches the scheduler only as the completion."""
    trial = FakeTrial(trial_id)
    for fold, value in enumerate(curve[:-1], start=1):
        decision = sched.on_trial_result(None, trial, _result(fold, value))
        assert decision == CONTINUE
    sched.on_trial_complete(None, trial, _result(N_FOLDS, curve[-1], last=True))


# reference running means at folds 1..3; medians: fold 1 -> 0.80, fold 2 -> 0.78, fold 3 -> 0.76
REFERENCE = [
    [0.70, 0.68, 0.66],
    [0.75, 0.74, 0.73],
    [0.80, 0.78, 0.76],
    [0.85, 0.84, 0.83],
    [0.90, 0.88, 0.86],
]


def _scheduler(mode: str = "max", **kwargs: Any) -> FoldQuantileStopping:
    kwargs.setdefault("quantile", 0.5)  # the median rule: REFERENCE's medians above
    return FoldQuantileStopping(mode=mode, n_folds=N_FOLDS, min_completed=5, **kwargs)


def test_nothing_stopped_before_min_completed() -> None:
    sched = _scheduler()
    for i, curve in enumerate(REFERENCE[:4]):
        _complete(sched, f"ref{i}", curve)
    hopeless = FakeTrial("bad")
    assert sched.on_trial_result(None, hopeless, _result(1, 0.01)) == CONTINUE
    assert sched.on_trial_result(None, hopeless, _result(2, 0.01)) == CONTINUE
    assert "4 completed" in sched.debug_string()


def test_max_mode_stops_below_median_and_continues_above() -> None:
    sched = _scheduler()
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)
    assert "5 completed" in sched.debug_string()

    assert sched.on_trial_result(None, FakeTrial("low"), _result(1, 0.79)) == STOP
    assert sched.on_trial_result(None, FakeTrial("high"), _result(1, 0.81)) == CONTINUE
    assert sched.on_trial_result(None, FakeTrial("tie"), _result(1, 0.80)) == CONTINUE

    # at fold 2 the median of the fold-2 values (0.78) is the reference, not fold 1's
    mid = FakeTrial("mid")
    assert sched.on_trial_result(None, mid, _result(1, 0.85)) == CONTINUE
    assert sched.on_trial_result(None, mid, _result(2, 0.79)) == CONTINUE  # 0.79 > 0.78
    late = FakeTrial("late")
    assert sched.on_trial_result(None, late, _result(1, 0.85)) == CONTINUE
    assert sched.on_trial_result(None, late, _result(2, 0.77)) == STOP  # 0.77 < 0.78


def test_min_mode_is_mirrored() -> None:
    sched = _scheduler(mode="min")
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)

    assert sched.on_trial_result(None, FakeTrial("high"), _result(1, 0.81)) == STOP
    assert sched.on_trial_result(None, FakeTrial("low"), _result(1, 0.79)) == CONTINUE
    assert sched.on_trial_result(None, FakeTrial("tie"), _result(1, 0.80)) == CONTINUE
    later = FakeTrial("later")
    assert sched.on_trial_result(None, later, _result(1, 0.70)) == CONTINUE
    assert sched.on_trial_result(None, later, _result(2, 0.79)) == STOP  # 0.79 > 0.78


def test_last_fold_is_never_stopped() -> None:
    sched = _scheduler()
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)
    trial = FakeTrial("finishing")
    assert sched.on_trial_result(None, trial, _result(N_FOLDS, 0.01, last=True)) == CONTINUE
    # even without the completed status, the final fold count means nothing is left to save
    other = FakeTrial("other")
    assert sched.on_trial_result(None, other, _result(N_FOLDS, 0.01)) == CONTINUE


def test_grace_folds_protect_the_first_folds() -> None:
    sched = _scheduler(grace_folds=2)
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)
    trial = FakeTrial("slow_starter")
    assert sched.on_trial_result(None, trial, _result(1, 0.10)) == CONTINUE
    assert sched.on_trial_result(None, trial, _result(2, 0.10)) == STOP


def test_results_without_objective_or_folds_continue() -> None:
    sched = _scheduler()
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)
    trial = FakeTrial("t")
    assert sched.on_trial_result(None, trial, {"folds_completed": 1}) == CONTINUE
    assert sched.on_trial_result(None, trial, {"objective": 0.0, "folds_completed": 0}) == CONTINUE
    assert sched.on_trial_result(None, trial, {"objective": 0.0}) == CONTINUE


def test_stopped_and_incomplete_trials_do_not_become_reference() -> None:
    sched = _scheduler()
    for i, curve in enumerate(REFERENCE[:4]):
        _complete(sched, f"ref{i}", curve)
    # a trial stopped after fold 1: its final result is not "completed"
    pruned = FakeTrial("pruned")
    sched.on_trial_result(None, pruned, _result(1, 0.99))
    sched.on_trial_complete(None, pruned, _result(1, 0.99))
    # a "completed" trial that reported only its last fold has too short a curve
    short = FakeTrial("short")
    sched.on_trial_result(None, short, _result(N_FOLDS, 0.99, last=True))
    sched.on_trial_complete(None, short, _result(N_FOLDS, 0.99, last=True))
    # a trial removed (errored) before completion
    removed = FakeTrial("removed")
    sched.on_trial_result(None, removed, _result(1, 0.99))
    sched.on_trial_remove(None, removed)
    assert "4 completed" in sched.debug_string()
    assert sched.on_trial_result(None, FakeTrial("bad"), _result(1, 0.0)) == CONTINUE

    _complete(sched, "ref4", REFERENCE[4])  # the fifth real one switches the rule on
    assert sched.on_trial_result(None, FakeTrial("bad2"), _result(1, 0.0)) == STOP


def test_seed_history_counts_full_curves_only() -> None:
    sched = _scheduler()
    sched.seed_history([*REFERENCE, [0.1], [0.2, 0.3]])
    assert "5 completed" in sched.debug_string()
    assert sched.on_trial_result(None, FakeTrial("low"), _result(1, 0.79)) == STOP
    assert sched.on_trial_result(None, FakeTrial("high"), _result(1, 0.81)) == CONTINUE


@pytest.mark.parametrize("min_completed", [1, 3])
def test_min_completed_is_configurable(min_completed: int) -> None:
    sched = FoldQuantileStopping(
        mode="max", n_folds=N_FOLDS, quantile=0.5, min_completed=min_completed
    )
    for i, curve in enumerate(REFERENCE[:min_completed]):
        _complete(sched, f"ref{i}", curve)
    # median of the first min_completed curves at fold 1
    assert sched.on_trial_result(None, FakeTrial("bad"), _result(1, 0.0)) == STOP


def test_quantile_075_keeps_only_the_best_quarter() -> None:
    # fold-1 values 0.70..0.90: the 75th percentile is 0.85 (the median 0.80)
    sched = FoldQuantileStopping(mode="max", n_folds=N_FOLDS, quantile=0.75)
    for i, curve in enumerate(REFERENCE):
        _complete(sched, f"ref{i}", curve)
    assert "q=0.75" in sched.debug_string()
    assert sched.on_trial_result(None, FakeTrial("above_median"), _result(1, 0.84)) == STOP
    assert sched.on_trial_result(None, FakeTrial("top_quarter"), _result(1, 0.86)) == CONTINUE
    # minimising, the best quarter lies below the 25th percentile (0.75)
    low = FoldQuantileStopping(mode="min", n_folds=N_FOLDS, quantile=0.75)
    for i, curve in enumerate(REFERENCE):
        _complete(low, f"ref{i}", curve)
    assert low.on_trial_result(None, FakeTrial("below_median"), _result(1, 0.76)) == STOP
    assert low.on_trial_result(None, FakeTrial("best_quarter"), _result(1, 0.74)) == CONTINUE
