"""What a model accepts and how it is set up for one trial: seed, threads, categories.

Some estimators (CatBoost) list only the arguments set explicitly in ``get_params``; their
constructor's signature names the rest, so paths, seeds and thread caps use both.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from sklearn.base import BaseEstimator

from hpsearch.spaces.columns import ColumnTypes

THREAD_PARAMS = ("n_jobs", "nthread", "thread_count")
SEED_PARAMS = ("random_state",)
# libraries whose thread parameter left unset (None/-1) means every core of the machine
ALL_CORES_BY_DEFAULT = ("xgboost", "lightgbm", "catboost")


def model_params(model: BaseEstimator) -> dict[str, Any]:
    """``get_params(deep=False)`` plus every constructor argument it leaves out."""
    params = dict(model.get_params(deep=False))
    try:
        signature = inspect.signature(type(model).__init__)
    except (TypeError, ValueError):
        return params
    for name, parameter in signature.parameters.items():
        if name in ("self", "args", "kwargs") or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        params.setdefault(name, None if parameter.default is parameter.empty else parameter.default)
    return params


def model_param_paths(model: BaseEstimator) -> set[str]:
    """Every ``model__<argument>`` path ``set_params`` accepts for this model."""
    nested = {f"model__{k}" for k in model.get_params(deep=True)}
    return nested | {f"model__{k}" for k in model_params(model)}


def _library(model: BaseEstimator) -> str:
    return type(model).__module__.split(".", 1)[0]


def seed_model(
    *, model: BaseEstimator, fixed: Mapping[str, Any], params: Mapping[str, Any], seed: int
) -> None:
    """Seed every ``random_state`` of the model (nested ones too) unset and not tuned."""
    known = {**model.get_params(deep=True), **model_params(model)}
    updates = {
        key: seed
        for key, value in known.items()
        if (key in SEED_PARAMS or key.endswith("__random_state"))
        and value is None
        and key not in fixed
        and f"model__{key}" not in params
    }
    model.set_params(**updates)


def _estimators(model: BaseEstimator) -> list[BaseEstimator]:
    """The model and every estimator nested in its parameters (a wrapper's classifier)."""
    nested = [v for v in model.get_params(deep=True).values() if isinstance(v, BaseEstimator)]
    return [model, *nested]


def cap_threads(*, model: BaseEstimator, n_jobs: int) -> None:
    """``cap_model_threads`` for the model and every estimator nested in it."""
    for estimator in _estimators(model):
        cap_model_threads(model=estimator, n_jobs=n_jobs)


def cap_model_threads(*, model: BaseEstimator, n_jobs: int) -> None:
    """Cap the model's thread parameter at the trial's CPUs: negative values and values
    above become ``n_jobs``. ``None`` is left alone for scikit-learn (one job, or what an
    enclosing ``joblib.parallel_config`` says) but capped for libraries where it means
    every core."""
    limit = max(1, int(n_jobs))
    params = model_params(model)
    everything = _library(model) in ALL_CORES_BY_DEFAULT
    for name in THREAD_PARAMS:
        if name not in params:
            continue
        current = params[name]
        if (current is None and everything) or (
            current is not None and (current < 1 or current > limit)
        ):
            model.set_params(**{name: limit})
        if everything:
            return  # one thread parameter per library (aliases would conflict)


def wire_categories(*, model: BaseEstimator, column_types: ColumnTypes) -> None:
    """Tell a native-categorical model which columns are categories (CatBoost needs the
    names; XGBoost a switch; LightGBM reads pandas categories by itself)."""
    for estimator in _estimators(model):
        params = model_params(estimator)
        if "cat_features" in params and params["cat_features"] is None:
            estimator.set_params(cat_features=tuple(column_types.all_categorical))
        if "enable_categorical" in params and not params["enable_categorical"]:
            estimator.set_params(enable_categorical=True)
