"""Leakage checks on the split data: pure functions that return a report, no I/O."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from hpsearch.config import SweepConfig
from hpsearch.prepare.findings import Finding, LeakageReport, raise_if_failed
from hpsearch.prepare.folds import make_splitter
from hpsearch.prepare.proxies import check_proxies
from hpsearch.prepare.split import SplitData

__all__ = ["Finding", "LeakageReport", "check_leakage", "raise_if_failed"]

_MAX_IDS = 20


def _examples(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)[:_MAX_IDS]


def _shown(values: Iterable[object]) -> str:
    return ", ".join(repr(v) for v in values)


def _check_ids(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    if config.data.id_column is None:
        return [Finding("id_overlap", "info", "skipped: no data.id_column declared")]
    holdout_ids = set(data.holdout.row_ids)
    shared = [i for i in data.development.row_ids if i in holdout_ids]
    if shared:
        ids = _examples(shared)
        return [
            Finding(
                "id_overlap",
                "error",
                f"{len(shared)} id(s) of {config.data.id_column!r} appear in both the "
                f"development and the hold-out part, e.g. {_shown(ids[:5])}. "
                "Fix: deduplicate the ids or declare data.group_column for repeated entities.",
                columns=(config.data.id_column,),
                ids=ids,
            )
        ]
    return [Finding("id_overlap", "info", "passed: no id is in both parts")]


def _row_hashes(X: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(X, index=False).to_numpy()


def _check_rows(data: SplitData) -> list[Finding]:
    dev, hold = data.development, data.holdout
    if list(dev.X.columns) != list(hold.X.columns):
        return [
            Finding(
                "row_overlap",
                "error",
                "the development and hold-out parts have different feature columns: "
                f"{list(dev.X.columns)} vs {list(hold.X.columns)}. Fix: build both parts "
                "from one frame (prepare_data does).",
            )
        ]
    dev_hash, hold_hash = _row_hashes(dev.X), _row_hashes(hold.X)
    shared = np.isin(hold_hash, dev_hash)
    if not shared.any():
        return [Finding("row_overlap", "info", "passed: no feature row is in both parts")]
    hold_ids = _examples(np.asarray(hold.row_ids, dtype=object)[shared])
    dev_ids = _examples(np.asarray(dev.row_ids, dtype=object)[np.isin(dev_hash, hold_hash)])
    # Under a time split a later row may repeat earlier features: recorded, not fatal.
    severity = "warning" if data.split_kind == "time" else "error"
    return [
        Finding(
            "row_overlap",
            severity,
            f"{int(shared.sum())} hold-out row(s) have exactly the features of a development "
            f"row: hold-out ids {_shown(hold_ids[:5])} match development ids "
            f"{_shown(dev_ids[:5])}. Fix: set leakage.duplicate_rows to 'group' or 'drop' "
            "so identical rows cannot straddle the split.",
            ids=hold_ids,
        )
    ]


def _check_groups(data: SplitData) -> list[Finding]:
    dev, hold = data.development.groups, data.holdout.groups
    if dev is None or hold is None:
        return [Finding("group_overlap", "info", "skipped: no groups in the data")]
    shared = sorted(set(map(str, dev)) & set(map(str, hold)))
    if not shared:
        return [Finding("group_overlap", "info", "passed: every group is on one side")]
    ids = _examples(shared)
    return [
        Finding(
            "group_overlap",
            "error",
            f"{len(shared)} group(s) have rows in both the development and the hold-out part, "
            f"e.g. {_shown(ids[:5])}. Fix: split by group (prepare_data does so when "
            "data.group_column is set).",
            ids=ids,
        )
    ]


def _check_time(data: SplitData) -> list[Finding]:
    dev, hold = data.development.times, data.holdout.times
    if dev is None or hold is None or not len(dev) or not len(hold):
        return [Finding("time_order", "info", "skipped: no data.time_column")]
    latest_dev = dev.max()
    early = (hold < latest_dev).to_numpy()
    if not early.any():
        return [Finding("time_order", "info", f"passed: hold-out starts at or after {latest_dev}")]
    ids = _examples(np.asarray(data.holdout.row_ids, dtype=object)[early])
    return [
        Finding(
            "time_order",
            "error",
            f"the latest development time {latest_dev} is after the earliest hold-out time "
            f"{hold.min()}; {int(early.sum())} hold-out row(s) precede development rows, e.g. "
            f"{_shown(ids[:5])}. Fix: hold out the latest rows (prepare_data does so when "
            "data.time_column is set).",
            ids=ids,
        )
    ]


def _check_deny(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    deny = config.leakage.deny_columns
    if not deny:
        return [Finding("deny_column", "info", "skipped: leakage.deny_columns is empty")]
    present = tuple(c for c in deny if c in data.development.X.columns)
    if not present:
        return [Finding("deny_column", "info", f"passed: none of {_shown(deny)} is a feature")]
    return [
        Finding(
            "deny_column",
            "error",
            f"deny-listed column(s) {_shown(present)} are among the features "
            "(leakage.deny_columns). Fix: add them to data.drop_columns.",
            columns=present,
        )
    ]


def _check_splitter(*, data: SplitData, config: SweepConfig) -> list[Finding]:
    dev = data.development
    grouped, by_time = dev.groups is not None, dev.times is not None
    splitter = make_splitter(
        task=config.task,
        folds=config.cv.folds,
        seed=config.seed,
        grouped=grouped,
        by_time=by_time,
        group_splitter=config.cv.group_splitter,
    )
    name = type(splitter).__name__
    problems = []
    if config.data.time_column and (data.split_kind != "time" or not by_time):
        problems.append(f"data.time_column={config.data.time_column!r} is set")
    elif config.data.group_column and (data.split_kind != "group" or not grouped):
        problems.append(f"data.group_column={config.data.group_column!r} is set")
    elif grouped and data.split_kind not in ("group", "time"):
        problems.append("the rows carry groups")
    findings = [
        Finding(
            "splitter",
            "info",
            f"hold-out split: {data.split_kind}; CV splitter: {name}({config.cv.folds} folds)",
        )
    ]
    if problems:
        findings.append(
            Finding(
                "splitter",
                "error",
                f"{problems[0]} but the {data.split_kind} split and the {name} CV splitter "
                "ignore it, so related rows can land on both sides. Fix: build the split "
                "with prepare_data, which splits by time or group when these are declared.",
            )
        )
    return findings


def check_leakage(*, data: SplitData, config: SweepConfig) -> LeakageReport:
    """Run every leakage check; errors in the report stop the sweep via ``raise_if_failed``."""
    findings = [
        *_check_ids(data=data, config=config),
        *_check_rows(data),
        *_check_groups(data),
        *_check_time(data),
        *_check_deny(data=data, config=config),
        *check_proxies(data=data, config=config),
        *_check_splitter(data=data, config=config),
    ]
    return LeakageReport(findings=tuple(findings))
