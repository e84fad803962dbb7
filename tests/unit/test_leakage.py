"""leakage.py: every check catches a planted case and a clean dataset passes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from factories import mixed_classification_frame, regression_frame, write_sweep
from hpsearch.config import SweepConfig, load_sweep
from hpsearch.errors import LeakageError
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.leakage import Finding, LeakageReport, check_leakage, raise_if_failed
from hpsearch.prepare.split import DataPart, SplitData, prepare_data

CHECKS = {
    "id_overlap",
    "row_overlap",
    "group_overlap",
    "time_order",
    "deny_column",
    "proxy_feature",
    "splitter",
}


def _setup(tmp_path: Path, frame: pd.DataFrame, **sections: Any) -> tuple[SplitData, SweepConfig]:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    data = {"source": str(path), **sections.pop("data", {})}
    config = load_sweep(write_sweep(tmp_path, data=data, **sections))
    return prepare_data(config), config


def _part(
    *,
    X: pd.DataFrame,
    y: pd.Series,
    ids: list[str],
    groups: list[str] | None = None,
    times: list[Any] | None = None,
) -> DataPart:
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    return DataPart(
        X=X,
        y=y,
        row_ids=tuple(ids),
        groups=None if groups is None else pd.Series(groups, dtype=object),
        times=None if times is None else pd.Series(times),
        fingerprint=fingerprint(X, y),
    )


def _errors(report: LeakageReport, check: str) -> list[Finding]:
    return [f for f in report.errors if f.check == check]


def test_clean_dataset_passes_every_check(tmp_path: Path) -> None:
    data, config = _setup(tmp_path, mixed_classification_frame(n_rows=400))

    report = check_leakage(data=data, config=config)

    assert report.passed, report.errors
    assert {f.check for f in report.findings} == CHECKS
    assert all(f.severity == "info" for f in report.findings)
    splitter = [f.message for f in report.findings if f.check == "splitter"]
    assert splitter == ["hold-out split: stratified; CV splitter: StratifiedKFold(3 folds)"]
    saved = json.loads(json.dumps(report.to_dict()))
    assert saved["passed"] is True and len(saved["findings"]) == len(report.findings)
    raise_if_failed(report)  # no error


def test_clean_regression_passes(tmp_path: Path) -> None:
    data, config = _setup(tmp_path, regression_frame(n_rows=300), task="regression")

    report = check_leakage(data=data, config=config)

    assert report.passed, report.errors


def test_id_overlap(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["uid"] = [f"u{i}" for i in range(200)]
    data, config = _setup(tmp_path, frame, data={"id_column": "uid"})
    dev, hold = data.development, data.holdout
    reused = list(dev.row_ids[:3])
    leaky_hold = _part(X=hold.X, y=hold.y, ids=reused + list(hold.row_ids[3:]))
    leaky = dataclasses.replace(data, holdout=leaky_hold)

    report = check_leakage(data=leaky, config=config)

    (finding,) = _errors(report, "id_overlap")
    assert finding.ids == tuple(reused)
    assert finding.columns == ("uid",)
    assert "3 id(s) of 'uid'" in finding.message and repr(reused[0]) in finding.message


def test_row_overlap(tmp_path: Path) -> None:
    data, config = _setup(tmp_path, mixed_classification_frame(n_rows=200))
    dev, hold = data.development, data.holdout
    X = pd.concat([hold.X, dev.X.iloc[:2]], ignore_index=True)
    y = pd.concat([hold.y, dev.y.iloc[:2]], ignore_index=True)
    leaky_hold = _part(X=X, y=y, ids=[*hold.row_ids, "copy-a", "copy-b"])
    leaky = dataclasses.replace(data, holdout=leaky_hold)

    report = check_leakage(data=leaky, config=config)

    (finding,) = _errors(report, "row_overlap")
    assert finding.ids == ("copy-a", "copy-b")
    assert "2 hold-out row(s)" in finding.message
    assert repr(dev.row_ids[0]) in finding.message and "'copy-a'" in finding.message


def test_group_overlap(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=300)
    frame["customer"] = [f"c{i % 30}" for i in range(300)]
    data, config = _setup(tmp_path, frame, data={"group_column": "customer"})
    dev, hold = data.development, data.holdout
    assert dev.groups is not None and hold.groups is not None
    stolen = str(dev.groups.iloc[0])
    groups = [stolen, *map(str, hold.groups.iloc[1:])]
    leaky_hold = _part(X=hold.X, y=hold.y, ids=list(hold.row_ids), groups=groups)
    leaky = dataclasses.replace(data, holdout=leaky_hold)

    assert check_leakage(data=data, config=config).passed
    report = check_leakage(data=leaky, config=config)

    (finding,) = _errors(report, "group_overlap")
    assert finding.ids == (stolen,)
    assert "1 group(s)" in finding.message and repr(stolen) in finding.message


def test_time_order(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["t"] = np.arange(200)
    data, config = _setup(tmp_path, frame, data={"time_column": "t"})
    dev, hold = data.development, data.holdout
    assert dev.times is not None and hold.times is not None
    times = [-5, *hold.times.iloc[1:]]
    leaky_hold = _part(X=hold.X, y=hold.y, ids=list(hold.row_ids), times=times)
    leaky = dataclasses.replace(data, holdout=leaky_hold)

    assert check_leakage(data=data, config=config).passed
    report = check_leakage(data=leaky, config=config)

    (finding,) = _errors(report, "time_order")
    assert finding.ids == (hold.row_ids[0],)
    assert "latest development time 159" in finding.message
    assert "earliest hold-out time -5" in finding.message


def test_deny_listed_column_present(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["refund_issued"] = np.random.default_rng(3).integers(0, 2, size=200)

    data, config = _setup(tmp_path, frame, leakage={"deny_columns": ["refund_issued"]})
    report = check_leakage(data=data, config=config)

    (finding,) = _errors(report, "deny_column")
    assert finding.columns == ("refund_issued",)
    assert "'refund_issued'" in finding.message and "data.drop_columns" in finding.message

    data, config = _setup(
        tmp_path,
        frame,
        data={"drop_columns": ["refund_issued"]},
        leakage={"deny_columns": ["refund_issued"]},
    )
    assert check_leakage(data=data, config=config).passed


@pytest.mark.parametrize("n_classes", [2, 3])
def test_proxy_feature_string_copy_of_target(tmp_path: Path, n_classes: int) -> None:
    frame = mixed_classification_frame(n_rows=300, n_classes=n_classes)
    frame["status_code"] = frame["target"].str.upper()

    data, config = _setup(tmp_path, frame)
    report = check_leakage(data=data, config=config)

    (finding,) = _errors(report, "proxy_feature")
    assert finding.columns == ("status_code",)
    assert "column 'status_code' alone predicts the target" in finding.message
    assert "ROC AUC 1.0000 >= leakage.proxy_threshold 0.99" in finding.message


def test_proxy_feature_numeric_encoding(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=300, n_classes=3)
    codes = {"class_0": 10.0, "class_1": 20.0, "class_2": 30.0}
    frame["score_band"] = frame["target"].map(codes)

    data, config = _setup(tmp_path, frame)
    report = check_leakage(data=data, config=config)

    assert [f.columns for f in _errors(report, "proxy_feature")] == [("score_band",)]


def test_proxy_feature_regression_copy(tmp_path: Path) -> None:
    frame = regression_frame(n_rows=120)
    frame["total_price"] = frame["target"] * 1.2 + 5.0

    data, config = _setup(tmp_path, frame, task="regression")
    report = check_leakage(data=data, config=config)

    (finding,) = _errors(report, "proxy_feature")
    assert finding.columns == ("total_price",) and "R² " in finding.message


def test_proxy_threshold_is_configurable(tmp_path: Path) -> None:
    data, config = _setup(
        tmp_path, mixed_classification_frame(n_rows=300), leakage={"proxy_threshold": 0.55}
    )

    report = check_leakage(data=data, config=config)

    assert "num_a" in {c for f in _errors(report, "proxy_feature") for c in f.columns}


def test_splitter_ignoring_groups(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=300)
    frame["customer"] = [f"c{i % 30}" for i in range(300)]
    data, config = _setup(tmp_path, frame, data={"group_column": "customer"})
    dev, hold = data.development, data.holdout
    ungrouped = dataclasses.replace(
        data,
        development=dataclasses.replace(dev, groups=None),
        holdout=dataclasses.replace(hold, groups=None),
        split_kind="stratified",
    )

    grouped_report = check_leakage(data=data, config=config)
    report = check_leakage(data=ungrouped, config=config)

    assert grouped_report.passed
    assert any("BalancedGroupKFold" in f.message for f in grouped_report.findings)
    (finding,) = _errors(report, "splitter")
    assert "data.group_column='customer' is set" in finding.message
    assert "StratifiedKFold" in finding.message


def test_splitter_ignoring_time(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    frame["t"] = np.arange(200)
    data, config = _setup(tmp_path, frame, data={"time_column": "t"})
    shuffled = dataclasses.replace(data, split_kind="stratified")

    report = check_leakage(data=shuffled, config=config)

    (finding,) = _errors(report, "splitter")
    assert "data.time_column='t' is set" in finding.message


def test_raise_if_failed_lists_every_error() -> None:
    report = LeakageReport(
        findings=(
            Finding("deny_column", "error", "deny-listed 'x'", columns=("x",)),
            Finding("id_overlap", "error", "ids shared", columns=("uid",), ids=("7", "9")),
            Finding("time_order", "info", "passed"),
        )
    )

    with pytest.raises(LeakageError) as caught:
        raise_if_failed(report)

    message = str(caught.value)
    assert "2 error(s)" in message
    assert "deny_column: deny-listed 'x' [columns: x]" in message
    assert "id_overlap: ids shared [columns: uid; ids: 7, 9]" in message
    assert "time_order" not in message
    assert caught.value.exit_code == 3


def test_time_split_repeated_features_are_a_warning(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200, missing=0.0)
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)  # early rows recur later
    frame["t"] = np.arange(len(frame))

    data, config = _setup(tmp_path, frame, data={"time_column": "t"})
    report = check_leakage(data=data, config=config)

    assert report.passed, report.errors
    (finding,) = [f for f in report.findings if f.check == "row_overlap"]
    assert finding.severity == "warning"
    assert finding.ids == ("200", "201", "202")
    assert report.to_dict()["findings"][1]["ids"] == ["200", "201", "202"]
