"""Split off the hold-out set first (stratified, grouped or by time), then fingerprint both parts.

``prepare_data`` is the whole of step 2 of the data flow: load, check quality, handle
duplicate rows, split, fingerprint. The search receives only ``SplitData.development``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from hpsearch.config import SweepConfig
from hpsearch.errors import BadInputError, LeakageError
from hpsearch.prepare import quality
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.folds import make_splitter
from hpsearch.prepare.load import listed, load_frame
from hpsearch.prepare.profile import ColumnProfile, column_types, profile_columns
from hpsearch.prepare.quality import QualityReport
from hpsearch.spaces.columns import ColumnTypes

__all__ = ["DataPart", "SplitData", "prepare_data"]


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


@dataclass(frozen=True, eq=False)
class SplitData:
    """The development part (for the search) and the hold-out part (read once, at the end)."""

    development: DataPart
    holdout: DataPart
    column_types: ColumnTypes
    quality: QualityReport
    split_kind: str
    profiles: tuple[ColumnProfile, ...] = ()


@dataclass(frozen=True, eq=False)
class _Rows:
    """Every usable row before the split: features, target and the role columns."""

    X: pd.DataFrame
    y: pd.Series
    ids: pd.Series
    groups: pd.Series | None
    times: pd.Series | None

    def subset(self, keep: np.ndarray) -> _Rows:
        def cut(s: pd.Series | None) -> pd.Series | None:
            return None if s is None else s[keep].reset_index(drop=True)

        return _Rows(
            X=self.X[keep].reset_index(drop=True),
            y=self.y[keep].reset_index(drop=True),
            ids=self.ids[keep].reset_index(drop=True),
            groups=cut(self.groups),
            times=cut(self.times),
        )


def _rows(
    *, frame: pd.DataFrame, config: SweepConfig
) -> tuple[_Rows, list[str], tuple[str, ...], tuple[str, ...]]:
    """The checked rows, the quality notes so far, and the dropped all-missing/constant columns."""
    data = config.data
    quality.check_columns(frame=frame, config=config)
    y = quality.checked_target(frame=frame, config=config).reset_index(drop=True)
    ids = quality.row_id_values(frame, data.id_column)
    declared = quality.role_column(frame=frame, column=data.group_column, role="data.group_column")
    groups = None if declared is None else pd.Series([str(g) for g in declared], dtype=object)
    times = quality.time_values(frame, data.time_column)
    times = None if times is None else times.reset_index(drop=True)
    X, all_missing, constant = quality.feature_frame(frame=frame, config=config)
    notes = []
    if all_missing:
        notes.append(f"dropped {len(all_missing)} all-missing column(s): {listed(all_missing)}")
    if constant:
        notes.append(f"dropped {len(constant)} constant column(s): {listed(constant)}")
    return _Rows(X=X, y=y, ids=ids, groups=groups, times=times), notes, all_missing, constant


def _handle_duplicates(*, rows: _Rows, config: SweepConfig, notes: list[str]) -> tuple[_Rows, int]:
    """Apply ``leakage.duplicate_rows`` to rows whose features repeat an earlier row."""
    labels = rows.groups if rows.groups is not None else rows.ids
    is_dup, merged = quality.duplicate_groups(X=rows.X, labels=labels)
    n_dup, policy = int(is_dup.sum()), config.leakage.duplicate_rows
    if not n_dup:
        return rows, 0
    if policy == "error":
        raise LeakageError(
            f"{n_dup} row(s) have exactly the same features as an earlier row "
            f"(leakage.duplicate_rows=error); row ids {listed(rows.ids[is_dup])}. "
            "Fix: remove the duplicates, or set leakage.duplicate_rows to 'group' (identical "
            "rows stay on one side of every split) or 'drop' (keep the first occurrence)."
        )
    if policy == "drop":
        notes.append(f"dropped {n_dup} row(s) whose features duplicate an earlier row")
        return rows.subset(~is_dup), n_dup
    if rows.times is not None:
        notes.append(
            f"{n_dup} row(s) duplicate the features of an earlier row; the time split keeps "
            "time order, so a later repeat may land in the hold-out part (leakage report)"
        )
        return rows, n_dup
    notes.append(
        f"{n_dup} row(s) duplicate the features of an earlier row; identical rows are "
        "grouped so the hold-out split and CV keep each group on one side"
    )
    return _Rows(X=rows.X, y=rows.y, ids=rows.ids, groups=merged, times=rows.times), n_dup


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
        splitter = make_splitter(
            task="classification", folds=n_splits, seed=seed, grouped=True, by_time=False,
            group_splitter=config.cv.group_splitter,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            dev, hold = next(splitter.split(positions, y.to_numpy(), groups.to_numpy()))
        if len(hold) and len(dev) and y.iloc[dev].nunique() == y.nunique():
            return dev, hold
    shuffle = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    dev, hold = next(shuffle.split(positions, groups=groups.to_numpy()))
    return dev, hold


def _part(*, rows: _Rows, positions: np.ndarray) -> DataPart:
    part_X = rows.X.iloc[positions].reset_index(drop=True)
    part_y = rows.y.iloc[positions].reset_index(drop=True)

    def cut(s: pd.Series | None) -> pd.Series | None:
        return None if s is None else s.iloc[positions].reset_index(drop=True)

    return DataPart(
        X=part_X,
        y=part_y,
        row_ids=tuple(rows.ids.iloc[positions]),
        groups=cut(rows.groups),
        times=cut(rows.times),
        fingerprint=fingerprint(part_X, part_y),
    )


def _text_notes(profiles: tuple[ColumnProfile, ...], *, config: SweepConfig) -> list[str]:
    """Warn about free-text columns that will be dropped."""
    if config.preprocessing.text != "drop":
        return []
    dropped = [p.name for p in profiles if p.kind == "text"]
    if not dropped:
        return []
    return [
        f"free-text column(s) {listed(dropped)} (mostly unique, several words) are not used "
        "as features. Fix: set preprocessing.text: hash to use their words, or drop them"
    ]


def prepare_data(config: SweepConfig) -> SplitData:
    """Load, check quality, handle duplicates, split off the hold-out set and fingerprint."""
    frame = load_frame(config.data.source)
    rows, notes, all_missing, constant = _rows(frame=frame, config=config)
    id_like = quality.id_like_columns(rows.X)
    if id_like:
        notes.append(
            f"column(s) {listed(id_like)} have a distinct value in every row and look like "
            "identifiers; a model can memorise them. Fix: declare data.id_column or add them "
            "to data.drop_columns unless they carry real signal"
        )
    rows, n_dup = _handle_duplicates(rows=rows, config=config, notes=notes)
    class_counts = quality.check_sizes(y=rows.y, config=config)
    dev_rows, hold_rows, split_kind = _split(
        y=rows.y, groups=rows.groups, times=rows.times, config=config
    )
    if config.task == "classification" and rows.y.iloc[hold_rows].nunique() < rows.y.nunique():
        notes.append("the hold-out part lacks some classes (group-aware split)")
    development = _part(rows=rows, positions=dev_rows)
    profiles = profile_columns(development.X, config.preprocessing)  # development rows only
    notes.extend(_text_notes(profiles, config=config))
    report = QualityReport(
        n_rows=frame.shape[0],
        n_columns=frame.shape[1],
        dropped_constant=constant,
        dropped_all_missing=all_missing,
        id_like_columns=id_like,
        duplicate_rows=n_dup,
        duplicate_policy=config.leakage.duplicate_rows,
        class_counts=class_counts,
        warnings=tuple(notes),
    )
    return SplitData(
        development=development,
        holdout=_part(rows=rows, positions=hold_rows),
        column_types=column_types(profiles, config.preprocessing),
        quality=report,
        split_kind=split_kind,
        profiles=profiles,
    )


def every_row(data: SplitData) -> DataPart:
    """Development and hold-out rows together, for ``selection.refit: all`` (after the
    hold-out judgement, never before)."""
    X = pd.concat([data.development.X, data.holdout.X], ignore_index=True)
    y = pd.concat([data.development.y, data.holdout.y], ignore_index=True)
    return DataPart(
        X=X,
        y=y,
        row_ids=data.development.row_ids + data.holdout.row_ids,
        groups=None,
        times=None,
        fingerprint=fingerprint(X, y),
    )
