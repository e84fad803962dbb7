"""The driver's loop: Optuna asks, Ray tasks evaluate, results are told in trial order.

``concurrency`` tasks are in flight. Results are told to the sampler (and to the stopping
rule) in the order the trials were asked, and trial ``i + concurrency`` is asked only once
trial ``i`` is told, so a seeded search samples the same candidates on every run
whatever the order in which tasks finish: ``fit`` is reproducible, as scikit-learn's
estimator checks require.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna

from hpsearch.searchcv.candidates import SUBSPACE, CandidateSpace
from hpsearch.searchcv.evaluate import CandidateResult
from hpsearch.spaces.conditional import suggest
from hpsearch.status import TrialStatus
from hpsearch.tune.optuna_output import quiet_optuna
from hpsearch.tune.quantile_rule import QuantileRule

Submit = Callable[[dict[str, Any], list[float | None]], Any]  # -> a Ray object ref
Fetch = Callable[[Any], CandidateResult]


@dataclass(frozen=True)
class LoopSettings:
    n_trials: int
    concurrency: int
    seed: int | None
    n_folds: int
    refit_metric: str
    early_stopping: bool
    quantile: float = 0.75  # SearchCV's own (measured in its section of docs/benchmarks.md)


def _sample(trial: optuna.Trial, space: CandidateSpace) -> dict[str, Any]:
    chosen = 0
    if len(space.subspaces) > 1:
        chosen = int(suggest(trial, SUBSPACE, space.distributions()[SUBSPACE]))
    sampled = {name: suggest(trial, name, d) for name, d in space.distributions(chosen).items()}
    return space.decode(chosen, sampled)


def _curve(result: CandidateResult, metric: str) -> list[float]:
    values = result.scores[metric][: result.folds_completed]
    return [sum(values[: k + 1]) / (k + 1) for k in range(len(values))]


def _tell(
    *, study: optuna.Study, trial: optuna.Trial, result: CandidateResult, settings: LoopSettings
) -> None:
    curve = _curve(result, settings.refit_metric)
    if result.status == TrialStatus.COMPLETED and curve and curve[-1] == curve[-1]:  # not NaN
        study.tell(trial, curve[-1])
    elif result.status == TrialStatus.PRUNED:
        for step, value in enumerate(curve, start=1):
            trial.report(value, step)
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    else:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)


def run_loop(
    *, space: CandidateSpace, settings: LoopSettings, submit: Submit, fetch: Fetch
) -> list[CandidateResult]:
    """Every trial's result, in the order the trials were asked."""
    with quiet_optuna():
        return _loop(space=space, settings=settings, submit=submit, fetch=fetch)


def _loop(
    *, space: CandidateSpace, settings: LoopSettings, submit: Submit, fetch: Fetch
) -> list[CandidateResult]:
    n_startup = max(4, min(10, settings.n_trials // 5))
    sampler = optuna.samplers.TPESampler(
        seed=settings.seed, n_startup_trials=n_startup, multivariate=True, group=True
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    rule = QuantileRule(mode="max", n_folds=settings.n_folds, quantile=settings.quantile)
    no_stopping: list[float | None] = [None] * settings.n_folds
    in_flight: deque[tuple[optuna.Trial, Any]] = deque()
    results: list[CandidateResult] = []
    asked = 0
    while asked < settings.n_trials or in_flight:
        while asked < settings.n_trials and len(in_flight) < settings.concurrency:
            trial = study.ask()
            thresholds = rule.thresholds() if settings.early_stopping else no_stopping
            in_flight.append((trial, submit(_sample(trial, space), thresholds)))
            asked += 1
        trial, ref = in_flight.popleft()
        result = fetch(ref)  # the oldest first: told in order
        _tell(study=study, trial=trial, result=result, settings=settings)
        if result.status == TrialStatus.COMPLETED:
            rule.add_completed(_curve(result, settings.refit_metric))
        results.append(result)
    return results
