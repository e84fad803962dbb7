"""Your own feature engineering in an hpsearch sweep (see sweep.yaml next to this file).

``make_preprocessor`` is what ``pipeline:`` in sweep.yaml names: it returns an unfitted
transformer, which hpsearch puts in front of each family's model. Every step is fitted on
the training rows of each fold only (``ClipOutliers`` learns its bounds there), and the
registered model ships this file, so it loads where neither hpsearch nor this module is
installed. Only numpy, pandas and scikit-learn are imported here, on purpose: the model's
``requirements.txt`` lists those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

RATIOS = (("flavanoids", "total_phenols"), ("color_intensity", "hue"), ("proline", "magnesium"))


class ColumnRatios(TransformerMixin, BaseEstimator):
    """Adds ``a/b`` for each pair of ``pairs`` whose columns are present; with ``log``,
    log-transforms the new ratios (they are skewed)."""

    def __init__(self, pairs: tuple[tuple[str, str], ...] = RATIOS, log: bool = True) -> None:
        self.pairs = pairs
        self.log = log

    def fit(self, X: pd.DataFrame, y: object = None) -> ColumnRatios:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        for a, b in self.pairs:
            if a in X and b in X:
                ratio = X[a] / X[b].where(X[b] != 0)
                out[f"{a}_per_{b}"] = np.log(ratio.clip(lower=1e-6)) if self.log else ratio
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        added = [
            f"{a}_per_{b}"
            for a, b in self.pairs
            if a in self.feature_names_in_ and b in self.feature_names_in_
        ]
        return np.asarray([*self.feature_names_in_, *added], dtype=object)


class ClipOutliers(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clips every column to its ``quantile`` and ``1 - quantile`` on the rows it is fitted on."""

    def __init__(self, quantile: float = 0.01) -> None:
        self.quantile = quantile

    def fit(self, X: pd.DataFrame, y: object = None) -> ClipOutliers:
        # numpy, not pandas, in fitted attributes: skops (how the model is saved) cannot
        # save a pandas Series, and hpsearch refuses such a pipeline before any trial
        self.low_ = np.nanquantile(X.to_numpy(dtype=float), self.quantile, axis=0)
        self.high_ = np.nanquantile(X.to_numpy(dtype=float), 1 - self.quantile, axis=0)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.clip(lower=self.low_, upper=self.high_, axis=1)  # type: ignore[arg-type]


def make_preprocessor() -> Pipeline:
    """Ratios, then outlier clipping, imputation and scaling, all fitted per fold."""
    return Pipeline(
        [
            ("ratios", ColumnRatios()),
            ("clip", ClipOutliers()),
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    ).set_output(transform="pandas")


def make_pipeline() -> Pipeline:
    """The same steps and the model: a whole Pipeline whose last step is named ``model``."""
    return Pipeline([*make_preprocessor().steps, ("model", LogisticRegression(max_iter=2000))])
