"""Preprocessing for models that handle missing values and categories themselves.

Gradient-boosting libraries (XGBoost, LightGBM, CatBoost) split on categories natively and
route missing values themselves: one-hot encoding would only blow up high-cardinality
columns. ``preprocessing: native`` in a space file keeps numeric columns as they are and
turns categorical columns into pandas ``category`` columns whose categories are learnt on
the training rows of each fold (missing and unseen values become the category
``"missing"``, so validation and hold-out rows are coded exactly as training rows are).
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import FunctionTransformer

from hpsearch.spaces.columns import ColumnTypes
from hpsearch_runtime.categories import CategoricalColumns
from hpsearch_runtime.columns import date_part_names, date_parts


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
