"""The sweep's Optuna study: seeded TPE, told every trial of earlier runs of the sweep."""

from __future__ import annotations

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import TrialState

from hpsearch.config import SweepConfig
from hpsearch.spaces.conditional import FAMILY_KEY, ConditionalSpace, join_config, param_name
from hpsearch.spaces.model import SearchSpace
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord
from hpsearch.tune.searcher import AskTellSearcher


def distributions(spaces: tuple[SearchSpace, ...]) -> dict[str, BaseDistribution]:
    """Every Optuna parameter of the conditional space, by its flat name."""
    out: dict[str, BaseDistribution] = {
        FAMILY_KEY: CategoricalDistribution([s.family for s in spaces])
    }
    for space in spaces:
        for path, dist in space.params.items():
            out[param_name(family=space.family, path=path)] = dist
    return out


def running_means(values: list[float]) -> dict[int, float]:
    """``{k: mean of the first k values}`` for k = 1..n: a trial's curve over folds."""
    return {k + 1: float(sum(values[: k + 1]) / (k + 1)) for k in range(len(values))}


def seed_study(
    *,
    study: optuna.Study,
    records: list[TrialRecord],
    spaces: tuple[SearchSpace, ...],
    primary: str,
) -> int:
    """Tell the sampler every finished trial of earlier runs of this sweep."""
    known = distributions(spaces)
    added = 0
    for record in records:
        params = {k: v for k, v in record.config.items() if k in known}
        curve = running_means(record.fold_scores.get(primary, []))
        if record.status == TrialStatus.COMPLETED and record.objective is not None:
            state, value = TrialState.COMPLETE, record.objective
        elif record.status == TrialStatus.PRUNED:
            state, value = TrialState.PRUNED, None
        else:
            state, value = TrialState.FAIL, None
        try:
            trial = optuna.trial.create_trial(
                params=params,
                distributions={k: known[k] for k in params},
                value=value,
                state=state,
                intermediate_values=curve or None,
            )
        except ValueError:
            continue  # a value outside the (unchanged) space cannot happen; skip defensively
        study.add_trial(trial)
        added += 1
    return added


def start_configs(spaces: tuple[SearchSpace, ...]) -> list[dict[str, object]]:
    """Each family's ``start`` configurations, the families taking turns: what TPE is
    told first, so the best-so-far rises early on cheap, known-good settings."""
    queue: list[dict[str, object]] = []
    depth = max((len(s.start) for s in spaces), default=0)
    for index in range(depth):
        for space in spaces:
            if index < len(space.start):
                queue.append(join_config(family=space.family, params=space.start[index]))
    return queue


def make_searcher(
    *,
    config: SweepConfig,
    spaces: tuple[SearchSpace, ...],
    previous: list[TrialRecord],
    retry: list[TrialRecord],
) -> AskTellSearcher:
    """Seeded TPE over the conditional space, told every earlier finished trial; the
    configs of ``retry`` (failed trials run again) are enqueued first."""
    n_startup = max(4, min(10, config.search.trials // 5))
    sampler = optuna.samplers.TPESampler(
        seed=config.seed + len(previous),
        n_startup_trials=n_startup,
        multivariate=True,
        group=True,
    )
    study = optuna.create_study(
        sampler=sampler,
        pruner=optuna.pruners.NopPruner(),
        direction="maximize" if config.mode == "max" else "minimize",
    )
    seed_study(study=study, records=previous, spaces=spaces, primary=config.primary_metric)
    for record in retry:
        study.enqueue_trial(dict(record.config), skip_if_exists=False)
    for start in start_configs(spaces):
        study.enqueue_trial(start, skip_if_exists=True)  # already tried: not again
    return AskTellSearcher(
        space=ConditionalSpace(spaces),
        study=study,
        n_folds=config.cv.folds,
        metric="objective",
        mode=config.mode,
    )
