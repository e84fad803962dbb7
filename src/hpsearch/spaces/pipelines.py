"""Build the scikit-learn pipeline for one sampled configuration.

Every transformer lives inside the pipeline, so cross-validation fits imputers, scalers and
encoders on the training rows of each fold only, never on validation or hold-out rows.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes

if TYPE_CHECKING:
    from hpsearch.spaces.model import SearchSpace

__all__ = [
    "build_pipeline",
    "build_preprocessor",
    "check_param_paths",
    "import_estimator",
    "to_category_strings",
]


def to_category_strings(X: Any) -> np.ndarray:
    """Turn categorical columns into an object array of ``str`` values, missing ones as NaN.

    Works for pandas 3 ``str`` columns, ``category``, ``bool`` and mixed objects alike, so the
    imputer and the encoder always see one value type. Module level so pipelines pickle.
    """
    frame = pd.DataFrame(X)
    missing = frame.isna().to_numpy()
    # copy=True: data from Ray's object store is read-only (zero-copy numpy buffers)
    values = frame.astype(object).astype(str).to_numpy(dtype=object, copy=True)
    values[missing] = np.nan
    return values


def build_preprocessor(column_types: ColumnTypes) -> ColumnTransformer:
    """``num``: median impute + scale; ``cat``: constant impute + one-hot.

    Both branches are always present (a branch with no columns is skipped at fit time), so the
    same parameter paths, e.g. ``preprocess__num__scale__with_mean``, are valid for any data.
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("to_str", FunctionTransformer(to_category_strings, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("num", numeric, list(column_types.numeric)),
            ("cat", categorical, list(column_types.categorical)),
        ],
        remainder="drop",
    )


def import_estimator(*, path: str, source: str) -> type[BaseEstimator]:
    """Import an estimator class from ``package.module.Class``; ``source`` names the file."""
    module_name, _, attr = path.rpartition(".")
    fix = "Fix: use a full import path such as sklearn.ensemble.RandomForestClassifier."
    if not module_name or not attr:
        raise BadInputError(
            f"search space {source}: estimator {path!r} is not an import path. {fix}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadInputError(
            f"search space {source}: estimator {path!r} does not import ({exc}). "
            f"{fix} Install the package that provides it if it is not scikit-learn."
        ) from None
    cls = getattr(module, attr, None)
    if cls is None:
        raise BadInputError(
            f"search space {source}: estimator {path!r} does not import: module "
            f"{module_name!r} has no attribute {attr!r}. {fix}"
        )
    if not (isinstance(cls, type) and hasattr(cls, "get_params") and hasattr(cls, "fit")):
        raise BadInputError(
            f"search space {source}: estimator {path!r} is not a scikit-learn estimator class "
            f"(needs fit and get_params). {fix}"
        )
    return cls


def check_param_paths(*, paths: Iterable[str], valid: Iterable[str], source: str) -> None:
    """Raise ``BadInputError`` for the first path not in ``valid``, listing its valid siblings."""
    valid_set = set(valid)
    for path in paths:
        if path in valid_set:
            continue
        head = path.split("__", 1)[0]
        siblings = sorted(v for v in valid_set if v.split("__", 1)[0] == head and "__" in v)
        if not siblings:
            steps = sorted({v.split("__", 1)[0] for v in valid_set})
            siblings = [f"{s}__..." for s in steps]
        raise BadInputError(
            f"search space {source}: invalid parameter {path!r} for the pipeline. "
            f"Valid parameters are: {siblings}. Fix: correct the key under `params:`; "
            "paths look like model__<param> or preprocess__num__<step>__<param>."
        )


def _instantiate(value: Any, *, source: str) -> Any:
    """Turn ``{class: import.path, arg: ...}`` (recursively) into an estimator instance."""
    if not (isinstance(value, Mapping) and "class" in value):
        return value
    cls = import_estimator(path=str(value["class"]), source=source)
    kwargs = {k: _instantiate(v, source=source) for k, v in value.items() if k != "class"}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        valid = sorted(cls().get_params(deep=False)) if _no_arg_ok(cls) else []
        raise BadInputError(
            f"search space {source}: arguments {sorted(kwargs)} are not accepted by "
            f"{value['class']} ({exc}). Valid parameters are: {valid}. "
            "Fix: correct the names under `fixed:` (plain estimator arguments, no model__ prefix)."
        ) from None


def _no_arg_ok(cls: type[BaseEstimator]) -> bool:
    try:
        cls()
    except Exception:
        return False
    return True


def _seed(
    *, model: BaseEstimator, space: SearchSpace, params: Mapping[str, Any], seed: int
) -> None:
    """Seed every ``random_state`` of the model (nested ones too) that is unset and not tuned."""
    updates = {
        key: seed
        for key, value in model.get_params(deep=True).items()
        if (key == "random_state" or key.endswith("__random_state"))
        and value is None
        and key not in space.fixed
        and f"model__{key}" not in params
    }
    model.set_params(**updates)


def build_pipeline(
    *,
    space: SearchSpace,
    params: Mapping[str, Any],
    column_types: ColumnTypes,
    n_jobs: int = 1,
    seed: int | None = None,
) -> Pipeline:
    """``preprocess`` + ``model`` for one configuration of ``space``.

    ``fixed`` values of the form ``{class: import.path, ...}`` become fresh estimator instances
    (e.g. the SVC inside ``CalibratedClassifierCV``). Every unset ``random_state`` of the model,
    nested ones included, gets ``seed`` unless the space fixes or tunes it; ``n_jobs`` (if it has
    one) is capped at ``n_jobs``, the CPUs the trial reserved: negative values and values above
    it become ``n_jobs``. ``None`` is left alone: it means one job, or whatever an enclosing
    ``joblib.parallel_config(n_jobs=...)`` says (some estimators, e.g. LogisticRegression since
    scikit-learn 1.8, warn when ``n_jobs`` is set at all).
    """
    model = _instantiate({"class": space.estimator, **space.fixed}, source=space.source)
    pipeline = Pipeline([("preprocess", build_preprocessor(column_types)), ("model", model)])
    check_param_paths(paths=params, valid=pipeline.get_params(deep=True), source=space.source)
    if seed is not None:
        _seed(model=model, space=space, params=params, seed=seed)
    pipeline.set_params(**params)
    if "n_jobs" in model.get_params(deep=False):
        limit = max(1, int(n_jobs))
        current = model.get_params(deep=False)["n_jobs"]
        if current is not None and (current < 1 or current > limit):
            model.set_params(n_jobs=limit)
    return pipeline
