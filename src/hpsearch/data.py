"""Load the data, check its quality, split off the hold-out set first, fingerprint both parts."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn import datasets
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold, train_test_split

from hpsearch.config import DATA_SUFFIXES, SKLEARN_DATASETS, SweepConfig
from hpsearch.errors import BadInputError, LeakageError
from hpsearch.pipelines import ColumnTypes, infer_column_types

__all__ = [
    "DataPart",
    "QualityReport",
    "SplitData",
    "fingerprint",
    "id_like_columns",
    "load_frame",
    "prepare_data",
]

_LISTED = 20  # at most this many names or ids in one message


@dataclass(frozen=True, eq=False)
class DataPart:
    """One side of the hold-out split: features, target and what identifies each row."""

    X: pd.DataFrame
    y: pd.Series
    row_ids: tuple[str, ...]
    groups: pd.Series | None
    times: pd.Series | None
    fingerprint: str

    @property
    def n_rows(self) -> int:
        return len(self.y)


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


@dataclass(frozen=True, eq=False)
class SplitData:
    """The development part (for the search) and the hold-out part (read once, at the end)."""

    development: DataPart
    holdout: DataPart
    column_types: ColumnTypes
    quality: QualityReport
    split_kind: str


def _listed(items: Iterable[object]) -> str:
    names = [str(i) for i in items]
    more = f" (and {len(names) - _LISTED} more)" if len(names) > _LISTED else ""
    return ", ".join(repr(n) for n in names[:_LISTED]) + more


def load_frame(source: str) -> pd.DataFrame:
    """Read a .csv/.parquet file or a bundled ``sklearn:NAME`` dataset into a DataFrame."""
    if source.startswith("sklearn:"):
        return _load_bundled(source.removeprefix("sklearn:"))
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise BadInputError(
            f"data source {source!r} has unsupported file type {suffix or '(none)'!r}. "
            "Fix: use a .csv, .parquet or .pq file, or one of "
            + ", ".join(f"sklearn:{n}" for n in SKLEARN_DATASETS)
            + "."
        )
    if not path.is_file():
        raise BadInputError(
            f"data file {path} does not exist. Fix: correct data.source in the sweep file "
            "(relative paths resolve against the sweep file's folder)."
        )
    kind = "CSV" if suffix == ".csv" else "Parquet"
    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except Exception as exc:  # pandas and pyarrow raise many unrelated types here
        raise BadInputError(
            f"data file {path} could not be read as {kind}: {type(exc).__name__}: {exc}. "
            f"Fix: check that it is a valid, complete {kind} file with a header row "
            "and that its extension matches its content."
        ) from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise BadInputError(
            f"data file {path} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns). "
            "Fix: point data.source at a file with a header row and at least one data row."
        )
    frame.columns = pd.Index([str(c) for c in frame.columns])
    return frame


def _load_bundled(name: str) -> pd.DataFrame:
    if name not in SKLEARN_DATASETS:
        raise BadInputError(
            f"unknown bundled dataset {name!r}. Fix: use one of "
            + ", ".join(f"sklearn:{n}" for n in SKLEARN_DATASETS)
            + "."
        )
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame: pd.DataFrame = bunch.frame.reset_index(drop=True)
    return frame


def fingerprint(X: pd.DataFrame, y: pd.Series) -> str:
    """sha256 of the content of ``X`` and ``y``: values and column names, not the index."""
    digest = hashlib.sha256()
    names = [str(c) for c in X.columns] + [str(y.name)]
    digest.update(json.dumps(names).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(y, index=False).to_numpy().tobytes())
    return digest.hexdigest()


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


def _check_columns(*, frame: pd.DataFrame, config: SweepConfig) -> None:
    data = config.data
    available = f"available columns: {_listed(frame.columns)}"
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


def _checked_target(*, frame: pd.DataFrame, config: SweepConfig) -> pd.Series:
    name = config.data.target
    y = frame[name]
    n_missing = int(y.isna().sum())
    if n_missing:
        rows = np.flatnonzero(y.isna().to_numpy())
        raise BadInputError(
            f"target column {name!r} has {n_missing} missing value(s) of {len(y)} "
            f"(row positions {_listed(rows)}); the target must be known for every row. "
            "Fix: drop or fill those rows before the sweep."
        )
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if config.task == "regression":
        if not numeric:
            raise BadInputError(
                f"task is regression but target column {name!r} is not numeric "
                f"(dtype {y.dtype}, e.g. {_listed(y.unique()[:3])}). "
                "Fix: set task: classification, or convert the target to numbers."
            )
        return y.astype(float)
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = pd.Series(np.asarray(y), name=name)
    if numeric and pd.api.types.is_float_dtype(y):
        if not np.all(np.mod(y.to_numpy(dtype=float), 1.0) == 0.0):
            raise BadInputError(
                f"task is classification but target column {name!r} holds continuous values "
                f"(e.g. {_listed(y.unique()[:3])}). Fix: set task: regression, "
                "or give the target class labels."
            )
        y = y.astype("int64")
    if y.nunique() < 2:
        raise BadInputError(
            f"target column {name!r} has a single class {_listed(y.unique())}; "
            "classification needs at least two. Fix: use data with both outcomes."
        )
    return y


def _role_column(*, frame: pd.DataFrame, column: str | None, role: str) -> pd.Series | None:
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


def _times(frame: pd.DataFrame, column: str | None) -> pd.Series | None:
    times = _role_column(frame=frame, column=column, role="data.time_column")
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


def _row_ids(frame: pd.DataFrame, column: str | None) -> pd.Series:
    ids = _role_column(frame=frame, column=column, role="data.id_column")
    if ids is None:
        return pd.Series([str(i) for i in range(len(frame))], dtype=object)
    as_str = pd.Series([str(v) for v in ids], dtype=object)
    duplicated = as_str[as_str.duplicated()]
    if len(duplicated):
        raise BadInputError(
            f"data.id_column {column!r} must identify each row, but {len(duplicated)} value(s) "
            f"repeat: {_listed(duplicated.unique())}. Fix: name a unique id column, "
            "or use data.group_column for ids shared by several rows."
        )
    return as_str


def _features(
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
            f"group/time/drop columns, all-missing columns {_listed(all_missing)} and constant "
            f"columns {_listed(constant)}. Fix: check data.drop_columns and the data file."
        )
    return X, all_missing, constant


def _duplicate_groups(*, X: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, pd.Series]:
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


def _check_sizes(*, y: pd.Series, config: SweepConfig) -> tuple[tuple[str, int], ...] | None:
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


def _split(
    *, y: pd.Series, groups: pd.Series | None, times: pd.Series | None, config: SweepConfig
) -> tuple[np.ndarray, np.ndarray, str]:
    """Positions of the development and hold-out rows, and the kind of split."""
    fraction, seed, n_rows = config.holdout.fraction, config.seed, len(y)
    positions = np.arange(n_rows)
    if times is not None:
        order = np.argsort(times.to_numpy(), kind="stable")
        n_hold = math.ceil(n_rows * fraction)
        return order[: n_rows - n_hold], order[n_rows - n_hold :], "time"
    if groups is not None:
        dev, hold = _group_split(y=y, groups=groups, config=config)
        return np.sort(dev), np.sort(hold), "group"
    classification = config.task == "classification"
    dev, hold = train_test_split(
        positions,
        test_size=fraction,
        random_state=seed,
        stratify=y.to_numpy() if classification else None,
    )
    return np.sort(dev), np.sort(hold), "stratified" if classification else "random"


def _group_split(
    *, y: pd.Series, groups: pd.Series, config: SweepConfig
) -> tuple[np.ndarray, np.ndarray]:
    fraction, seed = config.holdout.fraction, config.seed
    n_groups = groups.nunique()
    if n_groups < 2:
        raise BadInputError(
            f"a group-aware hold-out split needs at least 2 groups, got {n_groups} "
            f"(data.group_column={config.data.group_column!r}, identical rows grouped). "
            "Fix: use a group column with more groups, or leakage.duplicate_rows: drop."
        )
    positions = np.arange(len(y))
    n_splits = max(2, round(1.0 / fraction))
    if config.task == "classification" and n_groups >= n_splits:
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            dev, hold = next(splitter.split(positions, y.to_numpy(), groups.to_numpy()))
        if len(hold) and len(dev) and y.iloc[dev].nunique() == y.nunique():
            return dev, hold
    shuffle = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    dev, hold = next(shuffle.split(positions, groups=groups.to_numpy()))
    return dev, hold


def _part(
    *,
    X: pd.DataFrame,
    y: pd.Series,
    ids: pd.Series,
    groups: pd.Series | None,
    times: pd.Series | None,
    rows: np.ndarray,
) -> DataPart:
    part_X = X.iloc[rows].reset_index(drop=True)
    part_y = y.iloc[rows].reset_index(drop=True)
    return DataPart(
        X=part_X,
        y=part_y,
        row_ids=tuple(ids.iloc[rows]),
        groups=None if groups is None else groups.iloc[rows].reset_index(drop=True),
        times=None if times is None else times.iloc[rows].reset_index(drop=True),
        fingerprint=fingerprint(part_X, part_y),
    )


def prepare_data(config: SweepConfig) -> SplitData:
    """Load, check quality, handle duplicates, split off the hold-out set and fingerprint."""
    data = config.data
    frame = load_frame(data.source)
    _check_columns(frame=frame, config=config)
    y = _checked_target(frame=frame, config=config).reset_index(drop=True)
    ids = _row_ids(frame, data.id_column)
    declared = _role_column(frame=frame, column=data.group_column, role="data.group_column")
    groups = None if declared is None else pd.Series([str(g) for g in declared], dtype=object)
    times = _times(frame, data.time_column)
    times = None if times is None else times.reset_index(drop=True)
    X, all_missing, constant = _features(frame=frame, config=config)
    notes = []
    if all_missing:
        notes.append(f"dropped {len(all_missing)} all-missing column(s): {_listed(all_missing)}")
    if constant:
        notes.append(f"dropped {len(constant)} constant column(s): {_listed(constant)}")
    id_like = id_like_columns(X)
    if id_like:
        notes.append(
            f"column(s) {_listed(id_like)} have a distinct value in every row and look like "
            "identifiers; a model can memorise them. Fix: declare data.id_column or add them "
            "to data.drop_columns unless they carry real signal"
        )
    is_dup, merged = _duplicate_groups(X=X, labels=groups if groups is not None else ids)
    n_dup, policy = int(is_dup.sum()), config.leakage.duplicate_rows
    if n_dup and policy == "error":
        raise LeakageError(
            f"{n_dup} row(s) have exactly the same features as an earlier row "
            f"(leakage.duplicate_rows=error); row ids {_listed(ids[is_dup])}. "
            "Fix: remove the duplicates, or set leakage.duplicate_rows to 'group' (identical "
            "rows stay on one side of every split) or 'drop' (keep the first occurrence)."
        )
    if n_dup and policy == "drop":
        keep = ~is_dup
        X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
        ids = ids[keep].reset_index(drop=True)
        groups = None if groups is None else groups[keep].reset_index(drop=True)
        times = None if times is None else times[keep].reset_index(drop=True)
        notes.append(f"dropped {n_dup} row(s) whose features duplicate an earlier row")
    elif n_dup and times is not None:
        notes.append(
            f"{n_dup} row(s) duplicate the features of an earlier row; the time split keeps "
            "time order, so a later repeat may land in the hold-out part (leakage report)"
        )
    elif n_dup:
        groups = merged
        notes.append(
            f"{n_dup} row(s) duplicate the features of an earlier row; identical rows are "
            "grouped so the hold-out split and CV keep each group on one side"
        )
    class_counts = _check_sizes(y=y, config=config)
    dev_rows, hold_rows, split_kind = _split(y=y, groups=groups, times=times, config=config)
    if config.task == "classification" and y.iloc[hold_rows].nunique() < y.nunique():
        notes.append("the hold-out part lacks some classes (group-aware split)")
    quality = QualityReport(
        n_rows=frame.shape[0],
        n_columns=frame.shape[1],
        dropped_constant=constant,
        dropped_all_missing=all_missing,
        id_like_columns=id_like,
        duplicate_rows=n_dup,
        duplicate_policy=policy,
        class_counts=class_counts,
        warnings=tuple(notes),
    )
    dev, hold = (
        _part(X=X, y=y, ids=ids, groups=groups, times=times, rows=rows)
        for rows in (dev_rows, hold_rows)
    )
    return SplitData(
        development=dev,
        holdout=hold,
        column_types=infer_column_types(X),
        quality=quality,
        split_kind=split_kind,
    )
