"""Preprocessing for models that handle missing values and categories themselves.

Gradient-boosting libraries (XGBoost, LightGBM, CatBoost) split on categories natively and
route missing values themselves: one-hot encoding would only blow up high-cardinality
columns. ``preprocessing: native`` in a space file keeps numeric columns as they are and
turns categorical columns into pandas ``category`` columns whose categories are learnt on
the training rows of each fold (missing and unseen values become the category
``"missing"``, so validation and hold-out rows are coded exactly as training rows are).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import FunctionTransformer

from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.encoders import date_part_names, date_parts

MISSING = "missing"


class CategoricalColumns(TransformerMixin, BaseEstimator):
    """Categorical columns as pandas ``category`` dtype with categories fitted on ``fit``."""

    def fit(self, X: Any, y: Any = None) -> CategoricalColumns:
        frame = _as_strings(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.categories_ = [sorted(set(frame[c].dropna()) | {MISSING}) for c in frame.columns]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        frame = _as_strings(X)
        out = {}
        for column, categories in zip(frame.columns, self.categories_, strict=True):
            values = frame[column].where(frame[column].isin(categories), MISSING)
            out[column] = pd.Categorical(values, categories=categories)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_in_, dtype=object)


def _as_strings(X: Any) -> pd.DataFrame:
    """Values as ``str`` (missing kept missing), whatever the column's dtype."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    frame = frame.rename(columns=str)
    missing = frame.isna()
    return frame.astype(object).astype(str).mask(missing)


def build_native_preprocessor(column_types: ColumnTypes) -> ColumnTransformer:
    """``num``: passed through (missing values stay NaN); ``cat`` (high-cardinality ones
    too): ``CategoricalColumns``; ``date``: date parts; free text is dropped.

    The output is a DataFrame with the input's column names, so the boosting libraries see
    which columns are categorical (XGBoost's ``enable_categorical``, LightGBM's pandas
    categories, CatBoost's ``cat_features``)."""
    transformer = ColumnTransformer(
        [
            ("num", "passthrough", list(column_types.numeric)),
            ("cat", CategoricalColumns(), list(column_types.all_categorical)),
            (
                "date",
                FunctionTransformer(date_parts, feature_names_out=date_part_names),
                list(column_types.datetime),
            ),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return transformer.set_output(transform="pandas")
