"""Preprocessing that fits the data: high-cardinality, date and free-text columns are told
apart on the development rows, and each is encoded inside the fold without blowing up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from hpsearch.config.schema import PreprocessingConfig
from hpsearch.prepare.profile import column_types, profile_columns
from hpsearch.spaces import load_space
from hpsearch.spaces.pipelines import build_pipeline


def _loans(n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A job-title column with ~2,000 levels, a date column, a free-text column."""
    rng = np.random.default_rng(seed)
    titles = np.array([f"title {i}" for i in range(2000)])
    title = titles[rng.integers(0, 2000, n)]
    start = pd.Timestamp("2020-01-01")
    dates = [
        (start + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d") for d in rng.integers(0, 900, n)
    ]
    words = np.array(["late", "paid", "car", "house", "loan", "small", "business", "debt"])
    notes = [" ".join(rng.choice(words, 5)) + f" #{i}" for i in range(n)]
    income = rng.normal(50, 10, n)
    good_title = np.isin(title, titles[:500])
    y = pd.Series(((income > 50) ^ good_title).astype(int))
    X = pd.DataFrame(
        {"income": income, "grade": rng.choice(list("ABCDE"), n), "title": title,
         "issued": dates, "notes": notes}
    )  # fmt: skip
    return X, y


def test_each_column_gets_its_kind_and_reason() -> None:
    X, _ = _loans()
    kinds = {p.name: (p.kind, p.reason) for p in profile_columns(X, PreprocessingConfig())}
    assert kinds["income"][0] == "numeric"
    assert kinds["grade"] == ("categorical", "5 levels: one-hot")
    assert (
        kinds["title"][0] == "high_cardinality"
        and "> preprocessing.max_onehot_levels 50" in (kinds["title"][1])
    )
    assert kinds["issued"][0] == "datetime"
    assert kinds["notes"][0] == "text" and "dropped" in kinds["notes"][1]


@pytest.mark.parametrize("encoding", ["target", "onehot"])
def test_a_2000_level_column_does_not_become_2000_columns(encoding: str) -> None:
    X, y = _loans()
    options = PreprocessingConfig(high_cardinality=encoding)  # type: ignore[arg-type]
    types = column_types(profile_columns(X, options), options)
    space = load_space(entry="logistic_regression", task="classification")
    pipeline = build_pipeline(space=space, params={}, column_types=types, seed=0)
    transformed = pipeline[:-1].fit_transform(X, y)
    # income 1 + grade 5 + title (1 target-encoded, or 49 levels + "infrequent") + 5 date parts
    width = 1 + 5 + (1 if encoding == "target" else 50) + 5
    assert transformed.shape == (len(X), width)
    assert np.isfinite(transformed).all()


def test_target_encoding_is_fitted_on_training_rows_only() -> None:
    X, y = _loans(n=3000)
    types = column_types(profile_columns(X, PreprocessingConfig()), PreprocessingConfig())
    space = load_space(entry="logistic_regression", task="classification")
    preprocess = build_pipeline(space=space, params={}, column_types=types, seed=0)[:-1]
    train, validation = np.arange(2000), np.arange(2000, 3000)
    fitted = clone(preprocess).fit(X.iloc[train], y.iloc[train])
    encoder = fitted.named_steps["preprocess"].named_transformers_["high"].named_steps["encode"]
    seen = set(X["title"].iloc[train])
    assert set(encoder.categories_[0]) <= seen | {"missing"}
    flipped = y.copy()
    flipped.iloc[validation] = 1 - flipped.iloc[validation]  # validation labels do not matter
    again = clone(preprocess).fit(X.iloc[train], flipped.iloc[train])
    np.testing.assert_allclose(
        fitted.transform(X.iloc[validation]), again.transform(X.iloc[validation])
    )


def test_dates_become_numeric_parts() -> None:
    X, y = _loans(n=500)
    types = column_types(profile_columns(X, PreprocessingConfig()), PreprocessingConfig())
    assert types.datetime == ("issued",)
    native = load_space(entry="lightgbm", task="classification")
    out = build_pipeline(space=native, params={}, column_types=types, seed=0)[:-1].fit_transform(
        X, y
    )
    assert list(out.columns[-5:]) == [
        f"issued_{p}" for p in ("year", "month", "day", "weekday", "hour")
    ]
    first = pd.Timestamp(X["issued"].iloc[0])
    assert out["issued_year"].iloc[0] == first.year and out["issued_month"].iloc[0] == first.month
    assert "notes" not in out.columns  # free text dropped by default


def test_free_text_is_hashed_when_asked() -> None:
    X, y = _loans(n=500)
    options = PreprocessingConfig(text="hash", hash_features=64)
    types = column_types(profile_columns(X, options), options)
    space = load_space(entry="logistic_regression", task="classification")
    transformed = build_pipeline(space=space, params={}, column_types=types, seed=0)[
        :-1
    ].fit_transform(X, y)
    assert transformed.shape[1] == 1 + 5 + 1 + 5 + 64


def test_output_is_sparse_only_for_models_that_accept_it() -> None:
    from scipy import sparse

    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {"x": rng.normal(size=400), "a": rng.choice([f"a{i}" for i in range(40)], 400),
         "b": rng.choice([f"b{i}" for i in range(40)], 400)}
    )  # fmt: skip
    y = pd.Series(rng.integers(0, 2, 400))
    types = column_types(profile_columns(X, PreprocessingConfig()), PreprocessingConfig())
    linear = load_space(entry="logistic_regression", task="classification")
    out = build_pipeline(space=linear, params={}, column_types=types, seed=0)[:-1].fit_transform(
        X, y
    )
    assert sparse.issparse(out) and out.shape == (400, 81)  # 1 + 40 + 40 one-hot columns
    hgb = load_space(entry="hist_gradient_boosting", task="classification")
    dense = build_pipeline(space=hgb, params={}, column_types=types, seed=0)[:-1].fit_transform(
        X, y
    )
    assert isinstance(dense, np.ndarray) and dense.shape == (400, 81)
