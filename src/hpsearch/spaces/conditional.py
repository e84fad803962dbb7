"""Several families as one conditional (define-by-run) Optuna space, and its flat configs.

``ConditionalSpace`` is picklable: first the family, then that family's parameters, named
``"<family>:<param path>"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpsearch.spaces.distributions import SEPARATOR
from hpsearch.spaces.model import SearchSpace

FAMILY_KEY = "family"


def n_dimensions(spaces: Sequence[SearchSpace]) -> int:
    """Number of tuned parameters, plus one for the family choice when there are several."""
    return sum(len(s.params) for s in spaces) + (1 if len(spaces) > 1 else 0)


def param_name(*, family: str, path: str) -> str:
    """The flat name of one tuned parameter in a sampled config."""
    return f"{family}{SEPARATOR}{path}"


def suggest(trial: optuna.Trial, name: str, dist: BaseDistribution) -> Any:
    """Sample ``name`` from ``dist`` through the trial's define-by-run API."""
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    raise TypeError(f"unsupported distribution {dist!r} for {name!r}")


class ConditionalSpace:
    """Picklable define-by-run space: a family, then that family's parameters."""

    def __init__(self, spaces: Sequence[SearchSpace]) -> None:
        if not spaces:
            raise ValueError("ConditionalSpace needs at least one SearchSpace, got none")
        families = [s.family for s in spaces]
        if len(set(families)) != len(families):
            raise ValueError(f"family names must be unique, got {families}")
        self.spaces = tuple(spaces)

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(s.family for s in self.spaces)

    def __call__(self, trial: optuna.Trial) -> None:
        family = trial.suggest_categorical(FAMILY_KEY, list(self.families))
        space = next(s for s in self.spaces if s.family == family)
        for path, dist in space.params.items():
            suggest(trial, param_name(family=family, path=path), dist)

    def __repr__(self) -> str:
        return f"ConditionalSpace(families={list(self.families)})"


def split_config(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Inverse of ``join_config``: the family and its params from a flat sampled config.

    ``{"family": "rf", "rf:model__max_depth": 5}`` -> ``("rf", {"model__max_depth": 5})``; keys of
    other families and non-parameter keys are ignored.
    """
    if FAMILY_KEY not in config:
        raise KeyError(f"sampled config has no {FAMILY_KEY!r} key: {sorted(config)}")
    family = str(config[FAMILY_KEY])
    prefix = f"{family}{SEPARATOR}"
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return family, params


def join_config(*, family: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of ``split_config``: the flat config Optuna/Ray Tune use."""
    return {FAMILY_KEY: family, **{param_name(family=family, path=k): v for k, v in params.items()}}
