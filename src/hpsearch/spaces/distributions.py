"""One ``params`` entry of a space file into an Optuna distribution, checked completely."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpsearch.errors import BadInputError
from hpsearch.spaces.files import FORMAT_HINT

SEPARATOR = ":"
_DIST_KEYS = {
    "int": ("type", "low", "high", "step", "log"),
    "float": ("type", "low", "high", "step", "log"),
    "categorical": ("type", "choices"),
}


def parse_distribution(*, key: str, spec: Any, where: str) -> BaseDistribution:
    at = f"{where}: params.{key}"
    if "__" not in key or SEPARATOR in key or "/" in key:
        raise BadInputError(
            f"{at}: a parameter path looks like model__<param> and contains no ':' or '/'. "
            "Fix: prefix the estimator argument with model__."
        )
    return distribution_from_spec(key=key, spec=spec, at=at)


def distribution_from_spec(*, key: str, spec: Any, at: str) -> BaseDistribution:
    """``{type: int|float|categorical, ...}`` as an Optuna distribution (``at`` names it)."""
    if not isinstance(spec, dict):
        raise BadInputError(
            f"{at} must be a mapping such as {{type: int, low: 1, high: 10}}, got {spec!r}. "
            f"Fix: {FORMAT_HINT}."
        )
    kind = spec.get("type")
    if kind not in _DIST_KEYS:
        raise BadInputError(
            f"{at}: unknown distribution type {kind!r}; valid: {', '.join(_DIST_KEYS)}. "
            "Fix: set `type` to one of them."
        )
    extra = [k for k in spec if k not in _DIST_KEYS[kind]]
    if extra:
        raise BadInputError(
            f"{at}: unknown key {extra[0]!r} for type {kind}; allowed: "
            f"{', '.join(_DIST_KEYS[kind])}. Fix: remove or correct it."
        )
    if kind == "categorical":
        return _categorical(spec=spec, at=at)
    missing = [k for k in ("low", "high") if k not in spec]
    if missing:
        raise BadInputError(f"{at}: type {kind} needs `{missing[0]}`. Fix: add it.")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise BadInputError(f"{at}: `log` must be true or false, got {log!r}. Fix: correct it.")
    number = _integer if kind == "int" else _real
    low, high = number(spec["low"], name="low", at=at), number(spec["high"], name="high", at=at)
    step = spec.get("step", 1 if kind == "int" else None)
    step = None if step is None else number(step, name="step", at=at)
    try:
        if kind == "int":
            return IntDistribution(low=int(low), high=int(high), log=log, step=int(step or 1))
        return FloatDistribution(low=low, high=high, log=log, step=step)
    except ValueError as exc:
        raise BadInputError(f"{at}: {exc} Fix: correct the range of {key!r}.") from None


def _integer(value: Any, *, name: str, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"{at}: `{name}` must be an integer, got {value!r}. Fix: correct it.")
    return value


def _real(value: Any, *, name: str, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInputError(f"{at}: `{name}` must be a number, got {value!r}. Fix: correct it.")
    return float(value)


def _categorical(*, spec: Mapping[str, Any], at: str) -> CategoricalDistribution:
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BadInputError(
            f"{at}: type categorical needs a non-empty list `choices`, got {choices!r}. "
            "Fix: e.g. choices: [sqrt, log2, null]."
        )
    bad = [c for c in choices if c is not None and not isinstance(c, bool | int | float | str)]
    if bad:
        raise BadInputError(
            f"{at}: choice {bad[0]!r} is not null, a bool, a number or a string. Fix: use "
            "plain values (sklearn objects go in a custom estimator, not in choices)."
        )
    return CategoricalDistribution(choices=choices)


def parse_start(
    value: Any, *, params: Mapping[str, BaseDistribution], where: str
) -> tuple[Mapping[str, Any], ...]:
    """``start``: configurations to try first (cheap, known good), each inside the space."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise BadInputError(
            f"{where}: `start` must be a list of mappings from parameter path to value, got "
            f"{value!r}. Fix: e.g. start: [{{model__n_estimators: 100}}]."
        )
    for config in value:
        for key, chosen in config.items():
            dist = params.get(key)
            if dist is None:
                raise BadInputError(
                    f"{where}: start names {key!r}, which is not tuned under `params` "
                    f"({', '.join(params) or 'none'}). Fix: tune it, or remove it from start."
                )
            if not _contains(dist, chosen):
                raise BadInputError(
                    f"{where}: start value {key}={chosen!r} is outside its distribution "
                    f"{dist}. Fix: choose a value inside the range (or the choices)."
                )
    return tuple(dict(c) for c in value)


def _contains(dist: BaseDistribution, value: Any) -> bool:
    if isinstance(dist, CategoricalDistribution):
        return value in dist.choices
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(dist, IntDistribution) and not float(value).is_integer():
        return False
    if not isinstance(dist, IntDistribution | FloatDistribution):
        return False
    return bool(dist.low <= value <= dist.high)
