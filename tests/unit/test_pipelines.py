"""Pipelines: column typing, preprocessing on pandas 3 data, and building sampled configs."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest

from hpsearch.config.metrics import Task
from hpsearch.errors import BadInputError
from hpsearch.prepare.profile import infer_column_types
from hpsearch.spaces import (
    ConditionalSpace,
    FrozenMapping,
    SearchSpace,
    load_space,
    shipped_families,
    split_config,
)
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.pipelines import build_pipeline, build_preprocessor
from hpsearch_runtime.categories import to_category_strings

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _frame(n: int = 90, seed: int = 0) -> pd.DataFrame:
    """Numeric, nullable-int, pandas-3 ``str``, bool and category columns, all with gaps."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "colour": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
            "flag": rng.choice([True, False], n),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n)),
        }
    )
    frame.loc[::7, "x1"] = np.nan
    frame.loc[::5, "x2"] = pd.NA
    frame.loc[::6, "colour"] = None
    frame.loc[::9, "size"] = np.nan
    return frame


def _target(frame: pd.DataFrame, task: Task) -> np.ndarray:
    signal = frame["x1"].fillna(0).to_numpy() + (frame["colour"] == "red").to_numpy()
    if task == "classification":
        return (signal > np.median(signal)).astype(int)
    return 100.0 + 30.0 * signal


def _space(fixed: dict[str, object] | None = None, estimator: str | None = None) -> SearchSpace:
    return SearchSpace(
        family="t",
        task="classification",
        estimator=estimator or "sklearn.ensemble.RandomForestClassifier",
        fixed=FrozenMapping(fixed or {}),
        params=FrozenMapping({}),
        source="/tmp/t.yaml",
    )


# ----------------------------------------------------------------------------- column types


def test_infer_column_types_on_pandas3_dtypes() -> None:
    frame = _frame()
    assert str(frame["colour"].dtype) == "str"  # pandas 3: not object
    types = infer_column_types(frame)
    assert types == ColumnTypes(numeric=("x1", "x2"), categorical=("colour", "flag", "size"))
    assert types.columns == ("x1", "x2", "colour", "flag", "size")


def test_infer_column_types_rejects_non_string_names() -> None:
    with pytest.raises(BadInputError, match="column names must be strings, got 0"):
        infer_column_types(pd.DataFrame({0: [1.0], "a": [2.0]}))


def test_to_category_strings_keeps_missing_as_nan() -> None:
    frame = pd.DataFrame({"s": pd.Series(["a", None], dtype="str"), "b": [True, False]})
    out = to_category_strings(frame)
    assert out.dtype == object
    assert out[0, 0] == "a" and out[0, 1] == "True" and out[1, 1] == "False"
    assert isinstance(out[1, 0], float) and np.isnan(out[1, 0])


# ----------------------------------------------------------------------------- preprocessor


def test_preprocessor_handles_missing_strings_and_unknown_categories() -> None:
    frame = _frame()
    pre = build_preprocessor(infer_column_types(frame))
    out = pre.fit_transform(frame)
    names = list(pre.get_feature_names_out())
    assert out.shape == (len(frame), len(names))
    assert not np.isnan(out).any()
    assert "cat__colour_missing" in names and "cat__flag_True" in names
    unseen = frame.head(2).copy()
    unseen["colour"] = pd.Series(["purple", None], dtype="str", index=unseen.index)
    assert pre.transform(unseen).shape == (2, len(names))


def test_scaler_is_fit_only_on_the_rows_passed() -> None:
    frame = _frame(n=90)
    pipeline = build_pipeline(
        space=_space({"n_estimators": 5}),
        params={},
        column_types=infer_column_types(frame),
        seed=0,
    )
    train = frame.iloc[:60]
    pipeline.fit(train, _target(frame, "classification")[:60])
    numeric = pipeline.named_steps["preprocess"].named_transformers_["num"]
    assert numeric.named_steps["scale"].n_samples_seen_ == 60
    assert numeric.named_steps["scale"].mean_[0] == pytest.approx(
        train["x1"].fillna(train["x1"].median()).mean()
    )
    onehot = pipeline.named_steps["preprocess"].named_transformers_["cat"].named_steps["onehot"]
    assert onehot.n_features_in_ == 3


@pytest.mark.parametrize("keep", [["x1", "x2"], ["colour", "flag"]])
def test_preprocessor_with_one_kind_of_column(keep: list[str]) -> None:
    frame = _frame()[keep]
    pre = build_preprocessor(infer_column_types(frame))
    out = pre.fit_transform(frame)
    assert out.shape[0] == len(frame) and not np.isnan(out).any()
    # both branches exist, so preprocessing parameter paths are valid for any data
    assert {"num__scale__with_mean", "cat__onehot__min_frequency"} <= set(pre.get_params())


# ----------------------------------------------------------------------------- build_pipeline


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_shipped_family_fits_sampled_configs(task: Task) -> None:
    frame = _frame(n=90)
    y = _target(frame, task)
    column_types = infer_column_types(frame)
    for family in shipped_families(task):
        space = load_space(entry=family, task=task)
        conditional = ConditionalSpace([space])
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=7))
        for _ in range(2):
            trial = study.ask()
            conditional(trial)
            sampled_family, params = split_config(trial.params)
            assert sampled_family == family
            pipeline = build_pipeline(
                space=space, params=params, column_types=column_types, n_jobs=1, seed=0
            )
            with warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)
                pipeline.fit(frame.iloc[:70], y[:70])
            predictions = pipeline.predict(frame.iloc[70:])
            assert predictions.shape == (20,)
            if task == "classification":
                proba = pipeline.predict_proba(frame.iloc[70:])
                assert proba.shape == (20, 2)
                assert np.allclose(proba.sum(axis=1), 1.0)
            study.tell(trial, 0.0)


def test_multi_family_tpe_configs_build() -> None:
    spaces = [load_space(entry=f, task="classification") for f in ("knn", "logistic_regression")]
    by_family = {s.family: s for s in spaces}
    conditional = ConditionalSpace(spaces)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    frame = _frame()
    y = _target(frame, "classification")
    for _ in range(6):
        trial = study.ask()
        conditional(trial)
        family, params = split_config(trial.params)
        pipeline = build_pipeline(
            space=by_family[family], params=params, column_types=infer_column_types(frame)
        )
        study.tell(trial, float(pipeline.fit(frame, y).score(frame, y)))
    assert len(study.trials) == 6


def test_seed_goes_to_unset_random_states_including_nested() -> None:
    types = infer_column_types(_frame())
    rf = build_pipeline(space=_space(), params={}, column_types=types, seed=11)
    assert rf.named_steps["model"].random_state == 11
    fixed = build_pipeline(
        space=_space({"random_state": 3}), params={}, column_types=types, seed=11
    )
    assert fixed.named_steps["model"].random_state == 3
    tuned = build_pipeline(
        space=_space(), params={"model__random_state": 5}, column_types=types, seed=11
    )
    assert tuned.named_steps["model"].random_state == 5
    unseeded = build_pipeline(space=_space(), params={}, column_types=types, seed=None)
    assert unseeded.named_steps["model"].random_state is None
    svm = build_pipeline(
        space=load_space(entry="svm", task="classification"),
        params={},
        column_types=types,
        seed=11,
    )
    assert svm.named_steps["model"].estimator.random_state == 11


def test_nested_fixed_estimators_are_fresh_per_pipeline() -> None:
    space = load_space(entry="svm", task="regression")
    types = infer_column_types(_frame())
    first = build_pipeline(space=space, params={"model__regressor__C": 2.0}, column_types=types)
    second = build_pipeline(space=space, params={}, column_types=types)
    assert first.named_steps["model"].regressor is not second.named_steps["model"].regressor
    assert first.named_steps["model"].regressor.C == 2.0
    assert second.named_steps["model"].regressor.C == 1.0


@pytest.mark.parametrize(
    ("fixed_jobs", "limit", "expected"),
    [(None, 2, None), (-1, 2, 2), (8, 2, 2), (1, 4, 1), (3, 4, 3)],
)
def test_n_jobs_is_capped(fixed_jobs: int | None, limit: int, expected: int | None) -> None:
    fixed = {} if fixed_jobs is None else {"n_jobs": fixed_jobs}
    pipeline = build_pipeline(
        space=_space(fixed), params={}, column_types=infer_column_types(_frame()), n_jobs=limit
    )
    assert pipeline.named_steps["model"].n_jobs == expected


def test_params_are_applied_to_model_and_preprocessing() -> None:
    pipeline = build_pipeline(
        space=_space(),
        params={"model__max_depth": 4, "preprocess__num__scale__with_mean": False},
        column_types=infer_column_types(_frame()),
    )
    assert pipeline.named_steps["model"].max_depth == 4
    assert pipeline.get_params()["preprocess__num__scale__with_mean"] is False


def test_unknown_param_lists_valid_keys() -> None:
    with pytest.raises(BadInputError) as info:
        build_pipeline(
            space=_space(),
            params={"model__max_dept": 4},
            column_types=infer_column_types(_frame()),
        )
    message = str(info.value)
    assert "'model__max_dept'" in message and "/tmp/t.yaml" in message
    assert "Valid parameters are:" in message and "'model__max_depth'" in message


def test_estimator_that_does_not_import() -> None:
    with pytest.raises(BadInputError, match=r"'sklearn\.ensemble\.Nope' does not import"):
        build_pipeline(
            space=_space(estimator="sklearn.ensemble.Nope"),
            params={},
            column_types=infer_column_types(_frame()),
        )


def test_fitted_pipeline_pickles() -> None:
    frame = _frame()
    y = _target(frame, "classification")
    pipeline = build_pipeline(
        space=load_space(entry="logistic_regression", task="classification"),
        params={"model__C": 0.5},
        column_types=infer_column_types(frame),
        seed=0,
    )
    pipeline.fit(frame, y)
    clone = pickle.loads(pickle.dumps(pipeline))
    assert np.array_equal(clone.predict(frame), pipeline.predict(frame))


def test_object_columns_behind_read_only_buffers_are_not_written() -> None:
    """pandas copy-on-write hands out read-only arrays (as does Ray's object store)."""
    frame = pd.DataFrame({"a": np.array(["x", None, "y"], dtype=object)})
    assert not frame.astype(object).astype(str).to_numpy(dtype=object).flags.writeable
    values = to_category_strings(frame)
    assert values[0, 0] == "x" and values[1, 0] != values[1, 0]  # NaN for missing
    X = pd.DataFrame(
        {
            "num": np.arange(40, dtype=float),
            "cat": np.array(["p", None, "q", "r"] * 10, dtype=object),
        }
    )
    y = pd.Series([0, 1] * 20)
    space = load_space(entry="logistic_regression", task="classification")
    pipeline = build_pipeline(
        space=space, params={}, column_types=infer_column_types(X), n_jobs=1, seed=0
    )
    pipeline.fit(X, y)
    assert pipeline.predict(X).shape == (40,)
