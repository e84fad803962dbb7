"""Build the scikit-learn pipeline for one sampled configuration.

Every transformer lives inside the pipeline, so cross-validation fits imputers, scalers and
encoders on the training rows of each fold only, never on validation or hold-out rows.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    StandardScaler,
    TargetEncoder,
)
from sklearn.utils import get_tags

from hpsearch.config.suggestions import did_you_mean
from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.estimators import cap_threads, model_param_paths, seed_model, wire_categories
from hpsearch.spaces.factory import make_estimator
from hpsearch.spaces.native import build_native_preprocessor
from hpsearch_runtime.categories import to_category_strings
from hpsearch_runtime.columns import date_part_names, date_parts, joined_text

if TYPE_CHECKING:
    from hpsearch.spaces.model import SearchSpace

__all__ = [
    "build_pipeline",
    "build_preprocessor",
    "check_param_paths",
    "import_estimator",
]


def _categorical(encoder: BaseEstimator) -> Pipeline:
    return Pipeline(
        [
            ("to_str", FunctionTransformer(to_category_strings, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("encode" if not isinstance(encoder, OneHotEncoder) else "onehot", encoder),
        ]
    )


def _high_cardinality(column_types: ColumnTypes, seed: int) -> Pipeline:
    if column_types.high_cardinality_encoding == "onehot":
        return _categorical(
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=column_types.max_levels,
                sparse_output=False,
            )
        )
    # cross-fitted within the fold's training rows: each row is encoded by the other folds
    return _categorical(TargetEncoder(cv=KFold(n_splits=5, shuffle=True, random_state=seed)))


def build_preprocessor(
    column_types: ColumnTypes, *, seed: int = 0, sparse: bool = False
) -> ColumnTransformer:
    """``num``: median impute + scale; ``cat``: constant impute + one-hot; ``high``: target
    encoding (cross-fitted inside ``fit``) or capped one-hot; ``date``: date parts, imputed
    and scaled; ``text``: hashed words (only when ``column_types.text_features``).

    Every branch is always present (a branch with no columns is skipped at fit time), so the
    same parameter paths, e.g. ``preprocess__num__scale__with_mean``, are valid for any data.
    With ``sparse`` (the model accepts sparse input) the one-hot and hashed columns stay
    sparse and the output is sparse when most of it is zeros.
    """
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    dates = Pipeline(
        [
            ("parts", FunctionTransformer(date_parts, feature_names_out=date_part_names)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]
    )
    text = Pipeline(
        [
            ("join", FunctionTransformer(joined_text)),
            (
                "hash",
                HashingVectorizer(
                    n_features=max(1, column_types.text_features), alternate_sign=False
                ),
            ),
        ]
    )
    hashed = list(column_types.text) if column_types.text_features else []
    return ColumnTransformer(
        [
            ("num", numeric, list(column_types.numeric)),
            (
                "cat",
                _categorical(OneHotEncoder(handle_unknown="ignore", sparse_output=sparse)),
                list(column_types.categorical),
            ),
            ("high", _high_cardinality(column_types, seed), list(column_types.high_cardinality)),
            ("date", dates, list(column_types.datetime)),
            ("text", text, hashed),
        ],
        remainder="drop",
        sparse_threshold=0.3 if sparse else 0.0,
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
            f"search space {source}: invalid parameter {path!r} for the pipeline."
            f"{did_you_mean(path, valid_set)} "
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


def accepts_sparse(model: BaseEstimator) -> bool:
    """What the estimator declares in its scikit-learn tags (``input_tags.sparse``)."""
    try:
        return bool(get_tags(model).input_tags.sparse)
    except (AttributeError, TypeError, ValueError):
        return False


def valid_param_paths(pipeline: Pipeline) -> set[str]:
    """Every path ``pipeline.set_params`` accepts (constructor arguments that the model's
    ``get_params`` leaves out included)."""
    return set(pipeline.get_params(deep=True)) | model_param_paths(pipeline.named_steps["model"])


def build_pipeline(
    *,
    space: SearchSpace,
    params: Mapping[str, Any],
    column_types: ColumnTypes,
    n_jobs: int = 1,
    seed: int | None = None,
) -> Pipeline:
    """``preprocess`` + ``model`` for one configuration of ``space``.

    ``preprocess`` is impute + scale + one-hot, or, for ``preprocessing: native`` spaces,
    the columns as they are with categorical ones as pandas categories (``native.py``); a
    sweep with its own pipeline (``space.pipeline``, ``factory.py``) replaces both.
    ``fixed`` values of the form ``{class: import.path, ...}`` become fresh estimator instances
    (e.g. the SVC inside ``CalibratedClassifierCV``). Every unset ``random_state`` of the model,
    nested ones included, gets ``seed`` unless the space fixes or tunes it; the model's thread
    parameter is capped at ``n_jobs``, the CPUs the trial reserved (``estimators.cap_threads``).
    """
    pipeline, model = _assemble(space=space, column_types=column_types, seed=seed)
    check_param_paths(paths=params, valid=valid_param_paths(pipeline), source=space.source)
    if seed is not None:
        seed_model(model=model, fixed=space.fixed, params=params, seed=seed)
    pipeline.set_params(**params)
    cap_threads(model=model, n_jobs=n_jobs)
    return pipeline


def _assemble(
    *, space: SearchSpace, column_types: ColumnTypes, seed: int | None
) -> tuple[Pipeline, BaseEstimator]:
    """The unparametrised pipeline and its model: the sweep's own pipeline when it has one
    (a full Pipeline, or its transformer in front of the family's model), else hpsearch's."""
    if space.pipeline is not None:
        kind, made = make_estimator(space.pipeline)
        if kind == "full":
            assert isinstance(made, Pipeline)
            fixed = {k: _instantiate(v, source=space.source) for k, v in space.fixed.items()}
            model = made.named_steps["model"]
            model.set_params(**fixed)
            return made, model
        model = _instantiate({"class": space.estimator, **space.fixed}, source=space.source)
        return Pipeline([("preprocess", made), ("model", model)]), model
    model = _instantiate({"class": space.estimator, **space.fixed}, source=space.source)
    if space.preprocessing == "native":
        preprocess = build_native_preprocessor(column_types)
        wire_categories(model=model, column_types=column_types)
    else:
        preprocess = build_preprocessor(
            column_types, seed=0 if seed is None else seed, sparse=accepts_sparse(model)
        )
    return Pipeline([("preprocess", preprocess), ("model", model)]), model
