"""Categorical columns in the two forms the pipelines use: strings for the one-hot and
target encoders, pandas categories (levels learnt at ``fit``) for the boosting libraries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

MISSING = "missing"


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
