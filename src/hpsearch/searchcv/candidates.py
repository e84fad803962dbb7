"""What ``RandomizedSearchCV`` users write as ``param_distributions``, as one Optuna space.

Accepted per parameter: a list (any values; sampled by index, so estimators and None work
too), the scipy.stats distributions that have an Optuna equivalent (``randint``,
``uniform``, ``loguniform``/``reciprocal``), an Optuna distribution, or the sweep file's
``{type: ..., low: ..., high: ...}`` form. A list of dicts is a conditional space: a
categorical choice of the dict first, then its parameters only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpsearch.errors import BadInputError
from hpsearch.spaces.distributions import distribution_from_spec

SUBSPACE = "__space__"
SCIPY_SUPPORTED = ("randint", "uniform", "loguniform", "reciprocal")


@dataclass(frozen=True)
class Parameter:
    name: str
    distribution: BaseDistribution
    choices: tuple[Any, ...] | None = None  # a list: the distribution samples its index


@dataclass(frozen=True)
class CandidateSpace:
    """One or more sub-spaces (a list of dicts); ``decode`` turns a sampled trial into the
    estimator parameters."""

    subspaces: tuple[tuple[Parameter, ...], ...]

    def distributions(self, chosen: int | None = None) -> dict[str, BaseDistribution]:
        """Optuna names: ``s<i>:<name>`` within sub-space ``i``, plus the sub-space choice."""
        if chosen is None:
            if len(self.subspaces) == 1:
                return {f"s0:{p.name}": p.distribution for p in self.subspaces[0]}
            return {SUBSPACE: CategoricalDistribution(list(range(len(self.subspaces))))}
        return {f"s{chosen}:{p.name}": p.distribution for p in self.subspaces[chosen]}

    def decode(self, chosen: int, sampled: Mapping[str, Any]) -> dict[str, Any]:
        params = {}
        for p in self.subspaces[chosen]:
            value = sampled[f"s{chosen}:{p.name}"]
            params[p.name] = p.choices[int(value)] if p.choices is not None else value
        return params


def _scipy(name: str, frozen: Any) -> BaseDistribution:
    kind = getattr(getattr(frozen, "dist", None), "name", "")
    if kind not in SCIPY_SUPPORTED:
        raise BadInputError(
            f"param_distributions[{name!r}]: scipy.stats.{kind or type(frozen).__name__} has "
            f"no Optuna equivalent; supported: {', '.join(SCIPY_SUPPORTED)}, lists, Optuna "
            "distributions and {type: int|float|categorical, ...}. Fix: use one of them."
        )
    lower, upper = float(frozen.support()[0]), float(frozen.support()[1])
    if kind == "randint":  # support() is [low, high - 1]
        return IntDistribution(low=int(lower), high=int(upper))
    if kind == "uniform":
        return FloatDistribution(low=lower, high=upper)
    return FloatDistribution(low=lower, high=upper, log=True)


def parameter(name: str, spec: Any) -> Parameter:
    if isinstance(spec, BaseDistribution):
        return Parameter(name=name, distribution=spec)
    if hasattr(spec, "rvs") and hasattr(spec, "dist"):
        return Parameter(name=name, distribution=_scipy(name, spec))
    if isinstance(spec, Mapping):
        at = f"param_distributions[{name!r}]"
        found = distribution_from_spec(key=name, spec=dict(spec), at=at)
        return Parameter(name=name, distribution=found)
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        if len(spec) == 0:
            raise BadInputError(
                f"param_distributions[{name!r}] is an empty list. Fix: list at least one value."
            )
        index = CategoricalDistribution(list(range(len(spec))))
        return Parameter(name=name, distribution=index, choices=tuple(spec))
    raise BadInputError(
        f"param_distributions[{name!r}] = {spec!r} is not a list, a scipy.stats distribution, "
        "an Optuna distribution or {type: ..., low: ..., high: ...}. Fix: use one of them."
    )


def candidate_space(param_distributions: Any) -> CandidateSpace:
    spaces = param_distributions if isinstance(param_distributions, list) else [param_distributions]
    if not spaces or not all(isinstance(s, Mapping) for s in spaces):
        raise BadInputError(
            "param_distributions must be a dict of parameter -> values or distribution, or a "
            f"list of such dicts; got {type(param_distributions).__name__}. Fix: e.g. "
            "{'C': scipy.stats.loguniform(1e-3, 1e3)}."
        )
    return CandidateSpace(
        subspaces=tuple(
            tuple(parameter(str(name), spec) for name, spec in space.items()) for space in spaces
        )
    )
