"""Data quality: the target, the role columns, the features, duplicate rows, enough rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from hpsearch.config import SweepConfig
from hpsearch.errors import BadInputError
from hpsearch.prepare.load import listed


@dataclass(frozen=True)
class QualityReport:
    """What the quality checks found and did; ``warnings`` holds human-readable lines."""

    n_rows: int
    n_columns: int
    dropped_constant: tuple[str, ...]
    dropped_all_missing: tuple[str, ...]
    id_like_columns: tuple[str, ...]
    duplicate_rows: int
    duplicate_policy: str
    class_counts: tuple[tuple[str, int], ...] | None
    warnings: tuple[str, ...]


def id_like_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """Columns whose values are unique per row and look like identifiers.

    Text columns qualify when every value is distinct; numeric columns when every value is a
    distinct integer (a range, a permutation, record numbers). Continuous floats do not.
    """
    found = []
    n_rows = len(frame)
    for name in frame.columns:
        col = frame[name]
        if n_rows < 2 or col.isna().any() or col.nunique() != n_rows:
            continue
        if pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_numeric_dtype(col):
            values = col.to_numpy(dtype=float)
            if not np.all(np.mod(values, 1.0) == 0.0):
                continue
        found.append(str(name))
    return tuple(found)


def check_columns(*, frame: pd.DataFrame, config: SweepConfig) -> None:
    data = config.data
    available = f"available columns: {listed(frame.columns)}"
    if data.target not in frame.columns:
        raise BadInputError(
            f"target column {data.target!r} (data.target) is not in {data.source}; {available}. "
            "Fix: set data.target to the name of the column to predict."
        )
    roles = {
        "data.id_column": [data.id_column] if data.id_column else [],
        "data.group_column": [data.group_column] if data.group_column else [],
        "data.time_column": [data.time_column] if data.time_column else [],
        "data.drop_columns": list(data.drop_columns),
    }
    absent = [f"{role}={c!r}" for role, cols in roles.items() for c in cols if c not in frame]
    if absent:
        raise BadInputError(
            f"columns named in the sweep file are not in {data.source}: {', '.join(absent)}; "
            f"{available}. Fix: correct or remove those names."
        )
    for role, cols in roles.items():
        if data.target in cols:
            raise BadInputError(
                f"the target column {data.target!r} is also named in {role}. "
                f"Fix: remove it from {role}."
            )


def checked_target(*, frame: pd.DataFrame, config: SweepConfig) -> pd.Series:
    name = config.data.target
    y = frame[name]
    n_missing = int(y.isna().sum())
    if n_missing:
        rows = np.flatnonzero(y.isna().to_numpy())
        raise BadInputError(
            f"target column {name!r} has {n_missing} missing value(s) of {len(y)} "
            f"(row positions {listed(rows)}); the target must be known for every row. "
            "Fix: drop or fill those rows before the sweep."
        )
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if config.task == "regression":
        if not numeric:
            raise BadInputError(
                f"task is regression but target column {name!r} is not numeric "
                f"(dtype {y.dtype}, e.g. {listed(y.unique()[:3])}). "
                "Fix: set task: classification, or convert the target to numbers."
            )
        return y.astype(float)
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = pd.Series(np.asarray(y), name=name)
    if numeric and pd.api.types.is_float_dtype(y):
        if not np.all(np.mod(y.to_numpy(dtype=float), 1.0) == 0.0):
            raise BadInputError(
                f"task is classification but target column {name!r} holds continuous values "
                f"(e.g. {listed(y.unique()[:3])}). Fix: set task: regression, "
                "or give the target class labels."
            )
        y = y.astype("int64")
    if y.nunique() < 2:
        raise BadInputError(
            f"target column {name!r} has a single class {listed(y.unique())}; "
            "classification needs at least two. Fix: use data with both outcomes."
        )
    return y


def role_column(*, frame: pd.DataFrame, column: str | None, role: str) -> pd.Series | None:
    if column is None:
        return None
    values = frame[column]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise BadInputError(
            f"{role} {column!r} has {n_missing} missing value(s); every row needs one. "
            "Fix: fill or drop those rows."
        )
    return values


def time_values(frame: pd.DataFrame, column: str | None) -> pd.Series | None:
    times = role_column(frame=frame, column=column, role="data.time_column")
    if times is None or pd.api.types.is_numeric_dtype(times):
        return times
    if pd.api.types.is_datetime64_any_dtype(times):
        return times
    try:
        return pd.Series(pd.to_datetime(times), name=column)
    except (ValueError, TypeError) as exc:
        raise BadInputError(
            f"data.time_column {column!r} holds values that are neither numbers nor dates "
            f"({exc}). Fix: use ISO dates (2024-01-31) or numeric timestamps."
        ) from None


def row_id_values(frame: pd.DataFrame, column: str | None) -> pd.Series:
    ids = role_column(frame=frame, column=column, role="data.id_column")
    if ids is None:
        return pd.Series([str(i) for i in range(len(frame))], dtype=object)
    as_str = pd.Series([str(v) for v in ids], dtype=object)
    duplicated = as_str[as_str.duplicated()]
    if len(duplicated):
        raise BadInputError(
            f"data.id_column {column!r} must identify each row, but {len(duplicated)} value(s) "
            f"repeat: {listed(duplicated.unique())}. Fix: name a unique id column, "
            "or use data.group_column for ids shared by several rows."
        )
    return as_str


def feature_frame(
    *, frame: pd.DataFrame, config: SweepConfig
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    data = config.data
    roles = {data.target, data.id_column, data.group_column, data.time_column}
    drop = roles.union(data.drop_columns)
    X = frame[[c for c in frame.columns if c not in drop]]
    all_missing = tuple(str(c) for c in X.columns if X[c].isna().all())
    constant = tuple(
        str(c) for c in X.columns if c not in all_missing and X[c].nunique(dropna=False) <= 1
    )
    X = X.drop(columns=[*all_missing, *constant]).reset_index(drop=True)
    if X.shape[1] == 0:
        raise BadInputError(
            f"no feature columns remain in {data.source} after removing the target, the id/"
            f"group/time/drop columns, all-missing columns {listed(all_missing)} and constant "
            f"columns {listed(constant)}. Fix: check data.drop_columns and the data file."
        )
    return X, all_missing, constant


def duplicate_groups(*, X: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Mark rows that duplicate an earlier row; merge ``labels`` so duplicates share one."""
    row_hash = pd.util.hash_pandas_object(X, index=False).to_numpy()
    codes, _ = pd.factorize(row_hash)
    is_dup = pd.Series(codes).duplicated().to_numpy()
    label_codes, label_values = pd.factorize(labels)
    n_labels, n_codes = len(label_values), int(codes.max()) + 1
    edges = coo_matrix(
        (np.ones(len(codes)), (label_codes, n_labels + codes)),
        shape=(n_labels + n_codes, n_labels + n_codes),
    )
    _, component = connected_components(edges, directed=False)
    per_row = pd.DataFrame({"component": component[label_codes], "label": labels.to_numpy()})
    merged = per_row.groupby("component")["label"].transform("min")
    return is_dup, pd.Series(merged.to_numpy(), dtype=object)


def check_sizes(*, y: pd.Series, config: SweepConfig) -> tuple[tuple[str, int], ...] | None:
    folds, fraction, n_rows = config.cv.folds, config.holdout.fraction, len(y)
    n_hold = math.ceil(n_rows * fraction)
    n_classes = y.nunique() if config.task == "classification" else 1
    if n_rows - n_hold < 2 * folds or n_hold < max(2, n_classes):
        raise BadInputError(
            f"{n_rows} usable rows are too few: the hold-out split (holdout.fraction={fraction}) "
            f"must leave at least {max(2, n_classes)} hold-out rows and {2 * folds} development "
            f"rows for cv.folds={folds}; this data gives {n_hold} and {n_rows - n_hold}. "
            "Fix: add rows, lower cv.folds, or raise holdout.fraction."
        )
    if config.task != "classification":
        return None
    counts = y.value_counts()
    class_counts = tuple(sorted((str(k), int(v)) for k, v in counts.items()))
    needed = max(folds + 1, math.ceil(folds / (1.0 - fraction)))
    short = [(label, n) for label, n in class_counts if n < needed]
    if short:
        smallest = min(n for _, n in class_counts)
        max_folds = min(smallest - 1, math.floor(smallest * (1.0 - fraction)))
        advice = (
            f"set cv.folds to {max_folds} or fewer, or add rows of those classes"
            if max_folds >= 2
            else "add rows of those classes, or merge/remove them"
        )
        raise BadInputError(
            f"each class needs at least {needed} rows (cv.folds={folds} per class in the "
            f"development part after holding out holdout.fraction={fraction}), but "
            + ", ".join(f"class {label!r} has {n}" for label, n in short)
            + f". Fix: {advice}."
        )
    return class_counts
