"""selection.py, records.py and searcher.outcome_state: who may win, and how trials end."""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from optuna.trial import TrialState
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from factories import mixed_classification_frame, regression_frame
from hpsearch.errors import HpsearchError, NoSelectableTrialError
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.profile import infer_column_types
from hpsearch.prepare.split import DataPart
from hpsearch.report.judge import judge, threshold_failures
from hpsearch.report.prefit import Prefit
from hpsearch.report.select import select_best
from hpsearch.spaces import load_space
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord, record_from_result
from hpsearch.tune.searcher import outcome_state


def _record(number: int, status: str, objective: float | None, family: str = "lr") -> TrialRecord:
    return TrialRecord(
        trial_id=f"t{number:03d}",
        number=number,
        family=family,
        params={"model__C": float(number)},
        config={"family": family, f"{family}:model__C": float(number)},
        status=status,
        objective=objective,
        metrics={} if objective is None else {"cv_roc_auc_mean": objective},
        fold_scores={},
        folds_completed=3 if status == TrialStatus.COMPLETED else 1,
        node_id="n",
        started=0.0,
        ended=1.0,
    )


# ----------------------------------------------------------------------------- select_best


def test_never_picks_pruned_or_failed_even_when_higher() -> None:
    records = [
        _record(0, TrialStatus.PRUNED, 0.99),
        _record(1, TrialStatus.COMPLETED, 0.70),
        _record(2, TrialStatus.FAILED, 0.999),
        _record(3, TrialStatus.COMPLETED, 0.80),
        _record(4, TrialStatus.PRUNED, 0.95),
    ]
    best = select_best(records, mode="max")
    assert best.number == 3
    assert best.status == TrialStatus.COMPLETED


def test_min_mode_picks_the_lowest_completed() -> None:
    records = [
        _record(0, TrialStatus.COMPLETED, 0.40),
        _record(1, TrialStatus.PRUNED, 0.01),
        _record(2, TrialStatus.COMPLETED, 0.25),
        _record(3, TrialStatus.COMPLETED, 0.30),
        _record(4, TrialStatus.FAILED, 0.0),
    ]
    assert select_best(records, mode="min").number == 2
    assert select_best(records, mode="max").number == 0


def test_negative_and_zero_objectives() -> None:
    records = [_record(0, TrialStatus.COMPLETED, -0.5), _record(1, TrialStatus.COMPLETED, -0.2)]
    assert select_best(records, mode="max").number == 1
    assert select_best(records, mode="min").number == 0
    zero = [_record(0, TrialStatus.COMPLETED, 0.0), _record(1, TrialStatus.COMPLETED, -0.1)]
    assert select_best(zero, mode="max").number == 0


def test_ties_go_to_the_earliest_trial() -> None:
    records = [
        _record(5, TrialStatus.COMPLETED, 0.8),
        _record(2, TrialStatus.COMPLETED, 0.8),
        _record(9, TrialStatus.COMPLETED, 0.8),
    ]
    assert select_best(records, mode="max").number == 2
    assert select_best(records, mode="min").number == 2


def test_completed_without_objective_is_not_selectable() -> None:
    records = [_record(0, TrialStatus.COMPLETED, None), _record(1, TrialStatus.COMPLETED, 0.1)]
    assert not records[0].selectable
    assert select_best(records, mode="min").number == 1


def test_nothing_completed_raises() -> None:
    records = [
        _record(0, TrialStatus.PRUNED, 0.9),
        _record(1, TrialStatus.FAILED, None),
        _record(2, TrialStatus.FAILED, None),
    ]
    with pytest.raises(NoSelectableTrialError, match="no trial completed every fold") as info:
        select_best(records, mode="max")
    message = str(info.value)
    assert "'pruned': 1" in message and "'failed': 2" in message
    assert isinstance(info.value, HpsearchError)


def test_no_trials_at_all_raises() -> None:
    with pytest.raises(NoSelectableTrialError, match="no trials"):
        select_best([], mode="max")


# ----------------------------------------------------------------------------- thresholds


def test_threshold_failures_greater_is_better() -> None:
    scores = {"accuracy": 0.70, "f1": 0.80, "roc_auc": 0.85}
    failures = threshold_failures(
        scores=scores,
        thresholds={"accuracy": 0.75, "f1": 0.80, "roc_auc": 0.90},
        task="classification",
    )
    assert failures == [
        "accuracy = 0.7000, required >= 0.75",
        "roc_auc = 0.8500, required >= 0.9",
    ]  # f1 equal to its threshold passes


def test_threshold_failures_lower_is_better() -> None:
    failures = threshold_failures(
        scores={"log_loss": 0.50, "accuracy": 0.9},
        thresholds={"log_loss": 0.40, "accuracy": 0.5},
        task="classification",
    )
    assert failures == ["log_loss = 0.5000, required <= 0.4"]
    assert (
        threshold_failures(
            scores={"log_loss": 0.30}, thresholds={"log_loss": 0.40}, task="classification"
        )
        == []
    )


def test_threshold_failures_regression_directions() -> None:
    failures = threshold_failures(
        scores={"r2": 0.5, "rmse": 2.0, "mae": 1.0},
        thresholds={"r2": 0.6, "rmse": 1.5, "mae": 1.0},
        task="regression",
    )
    assert failures == ["r2 = 0.5000, required >= 0.6", "rmse = 2.0000, required <= 1.5"]


def test_nan_score_fails_its_threshold() -> None:
    failures = threshold_failures(
        scores={"log_loss": float("nan")}, thresholds={"log_loss": 10.0}, task="classification"
    )
    assert len(failures) == 1 and failures[0].startswith("log_loss = nan")


# ----------------------------------------------------------------------------- judge


def _part(X: pd.DataFrame, y: pd.Series) -> DataPart:
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    return DataPart(
        X=X,
        y=y,
        row_ids=tuple(str(i) for i in range(len(y))),
        groups=None,
        times=None,
        fingerprint=fingerprint(X, y),
    )


@pytest.fixture(scope="module")
def cls_parts() -> tuple[DataPart, DataPart]:
    frame = mixed_classification_frame(n_rows=300, n_classes=2, seed=4, missing=0.0)
    X, y = frame.drop(columns="target"), frame["target"]
    return _part(X.iloc[:240], y.iloc[:240]), _part(X.iloc[240:], y.iloc[240:])


def _judge(model: Pipeline, parts: tuple[DataPart, DataPart], **kwargs: Any) -> Any:
    dev, hold = parts
    return judge(
        best=_record(0, TrialStatus.COMPLETED, 0.9),
        model=model,
        task=kwargs.pop("task", "classification"),
        development=dev,
        holdout=hold,
        **kwargs,
    )


def test_judge_fails_when_the_dummy_is_not_beaten(cls_parts: tuple[DataPart, DataPart]) -> None:
    dev, _ = cls_parts
    model = Pipeline([("model", DummyClassifier(strategy="prior"))]).fit(dev.X, dev.y)

    verdict = _judge(
        model,
        cls_parts,
        metric_names=["roc_auc", "accuracy"],
        primary="roc_auc",
        thresholds={},
    )

    assert not verdict.passed
    assert verdict.holdout["roc_auc"] == pytest.approx(0.5)
    assert verdict.baseline["roc_auc"] == pytest.approx(0.5)
    assert verdict.failures == ("roc_auc = 0.5000 does not beat the dummy baseline (0.5000)",)


def test_judge_lower_is_better_primary_must_be_lower(
    cls_parts: tuple[DataPart, DataPart],
) -> None:
    dev, _ = cls_parts
    model = Pipeline([("model", DummyClassifier(strategy="prior"))]).fit(dev.X, dev.y)
    verdict = _judge(model, cls_parts, metric_names=["log_loss"], primary="log_loss", thresholds={})
    assert len(verdict.failures) == 1
    assert "log_loss" in verdict.failures[0] and "dummy baseline" in verdict.failures[0]


def test_judge_passes_a_real_model_and_lists_threshold_failures(
    cls_parts: tuple[DataPart, DataPart],
) -> None:
    dev, _ = cls_parts
    space = load_space(entry="logistic_regression", task="classification")
    model = build_pipeline(
        space=space, params={}, column_types=infer_column_types(dev.X), seed=0
    ).fit(dev.X, dev.y)

    good = _judge(
        model,
        cls_parts,
        metric_names=["roc_auc", "accuracy"],
        primary="roc_auc",
        thresholds={"roc_auc": 0.6},
    )
    assert good.passed and good.failures == ()
    assert good.holdout["roc_auc"] > good.baseline["roc_auc"]
    assert good.thresholds == {"roc_auc": 0.6}

    strict = _judge(
        model,
        cls_parts,
        metric_names=["roc_auc", "accuracy"],
        primary="roc_auc",
        thresholds={"accuracy": 0.999},
    )
    assert not strict.passed
    assert len(strict.failures) == 1
    assert strict.failures[0].startswith("accuracy = ")
    assert strict.failures[0].endswith("required >= 0.999")


def test_judge_regression_dummy_fails() -> None:
    frame = regression_frame(n_rows=120, seed=1)
    X, y = frame[["x1", "x2"]], frame["target"]
    parts = (_part(X.iloc[:100], y.iloc[:100]), _part(X.iloc[100:], y.iloc[100:]))
    model = Pipeline([("model", DummyRegressor(strategy="mean"))]).fit(parts[0].X, parts[0].y)
    verdict = _judge(
        model,
        parts,
        task="regression",
        metric_names=["rmse", "r2"],
        primary="rmse",
        thresholds={},
    )
    assert verdict.failures and "rmse" in verdict.failures[0]
    assert verdict.holdout["rmse"] == pytest.approx(verdict.baseline["rmse"])


# ----------------------------------------------------------------------------- records


def _result(**extra: Any) -> dict[str, Any]:
    scores = {
        "summary": {
            "cv_roc_auc_mean": 0.8,
            "cv_roc_auc_std": 0.08,
            "gap_roc_auc": 0.1,
            "fit_time_s": 0.3,
        },
        "validation": {"roc_auc": [0.8, 0.9, 0.7]},
        "train": {"roc_auc": [0.9, 1, 0.8]},
    }
    base = {
        "objective": 0.8,
        "folds_completed": 3,
        "hpsearch_status": TrialStatus.COMPLETED,
        "scores": json.dumps(scores),
        "node_id": "node-1",
        "data_fingerprint": "abc",
        "max_threads": 1,
        "family": "rf",
        "data_rows": 100,
    }
    return {**base, **extra}


def _from(result: dict[str, Any] | None, *, n_folds: int = 3, error: str = "") -> TrialRecord:
    config = {"family": "rf", "rf:model__max_depth": 4, "lr:model__C": 1.0}
    return record_from_result(
        trial_id="abc_00001",
        number=1,
        config=config,
        result=result,
        n_folds=n_folds,
        started=10.0,
        ended=12.5,
        error=error,
    )


def test_record_completed() -> None:
    record = _from(_result())
    assert record.status == TrialStatus.COMPLETED and record.selectable
    assert record.objective == 0.8
    assert record.family == "rf" and record.params == {"model__max_depth": 4}
    assert record.metrics == {
        "cv_roc_auc_mean": 0.8,
        "cv_roc_auc_std": 0.08,
        "gap_roc_auc": 0.1,
        "fit_time_s": 0.3,
    }
    assert record.fold_scores == {"roc_auc": [0.8, 0.9, 0.7]}
    assert (record.node_id, record.data_fingerprint, record.max_threads) == ("node-1", "abc", 1)
    assert TrialRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_record_pruned_when_folds_missing() -> None:
    running = _from(_result(folds_completed=1, hpsearch_status=TrialStatus.RUNNING))
    assert running.status == TrialStatus.PRUNED and not running.selectable
    assert running.objective == 0.8  # kept for the leaderboard, never selectable
    short = _from(_result(folds_completed=2), n_folds=3)  # "completed" with too few folds
    assert short.status == TrialStatus.PRUNED


def test_record_failed_by_status_error_or_no_result() -> None:
    failed = _from(
        _result(hpsearch_status=TrialStatus.FAILED, error="ValueError: bad", traceback="tb...")
    )
    assert failed.status == TrialStatus.FAILED and failed.objective is None
    assert failed.error == "ValueError: bad" and failed.traceback == "tb..."

    errored = _from(_result(), error="actor died")
    assert errored.status == TrialStatus.FAILED and errored.error == "actor died"
    assert errored.objective is None and not errored.selectable

    for empty in (None, {}):
        nothing = _from(empty)
        assert nothing.status == TrialStatus.FAILED
        assert nothing.folds_completed == 0 and nothing.metrics == {}


def test_record_drops_non_finite_metrics() -> None:
    scores = json.loads(_result()["scores"])
    scores["summary"].update(cv_roc_auc_std=float("nan"), gap_roc_auc=float("inf"))
    record = _from(_result(scores=json.dumps(scores)))
    assert "cv_roc_auc_std" not in record.metrics and "gap_roc_auc" not in record.metrics
    assert _from(_result(objective=float("nan"))).objective is None


# ----------------------------------------------------------------------------- outcome_state


@pytest.mark.parametrize(
    ("result", "error", "expected"),
    [
        (
            {"hpsearch_status": TrialStatus.COMPLETED, "folds_completed": 3},
            False,
            TrialState.COMPLETE,
        ),
        (
            {"hpsearch_status": TrialStatus.COMPLETED, "folds_completed": 2},
            False,
            TrialState.PRUNED,
        ),
        ({"hpsearch_status": TrialStatus.RUNNING, "folds_completed": 1}, False, TrialState.PRUNED),
        ({"hpsearch_status": TrialStatus.RUNNING, "folds_completed": 3}, False, TrialState.PRUNED),
        ({"hpsearch_status": TrialStatus.FAILED, "folds_completed": 1}, False, TrialState.FAIL),
        ({"hpsearch_status": TrialStatus.COMPLETED, "folds_completed": 3}, True, TrialState.FAIL),
        (None, False, TrialState.FAIL),
        ({}, False, TrialState.FAIL),
    ],
)
def test_outcome_state(result: dict[str, Any] | None, error: bool, expected: TrialState) -> None:
    assert outcome_state(result, error=error, n_folds=3) is expected


def test_selection_agrees_with_outcome_state() -> None:
    """The record status and the Optuna state must tell the same story for one result."""
    mapping = {
        TrialStatus.COMPLETED: TrialState.COMPLETE,
        TrialStatus.PRUNED: TrialState.PRUNED,
        TrialStatus.FAILED: TrialState.FAIL,
    }
    cases = [
        _result(),
        _result(folds_completed=1, hpsearch_status=TrialStatus.RUNNING),
        _result(hpsearch_status=TrialStatus.FAILED),
        {},
    ]
    for result in cases:
        record = _from(result)
        assert mapping[record.status] is outcome_state(result, error=False, n_folds=3)
    assert np.isfinite(select_best([_from(_result())], mode="max").objective or np.nan)


def test_tail_refit_is_taken_only_for_the_same_best_trial() -> None:
    fitted: list[tuple[int, int]] = []
    done = threading.Event()

    def fit(record: TrialRecord, n_jobs: int) -> Pipeline:
        fitted.append((record.number, n_jobs))
        done.set()
        return Pipeline([("model", DummyClassifier())])

    records = [_record(0, "completed", 0.7), _record(1, "completed", 0.9), _record(2, "pruned", 1)]
    prefit = Prefit(fit=fit, mode="max")
    prefit.begin([_record(3, "pruned", 0.99)], cpus=1)  # nothing selectable: nothing to refit
    assert not done.is_set()
    prefit.begin(records, cpus=2)
    prefit.begin(records, cpus=2)  # once
    model = prefit.take(records[1])
    assert isinstance(model, Pipeline) and fitted == [(1, 2)]
    assert prefit.take(records[0]) is None  # another best: the conclusion refits it
    failing = Prefit(fit=lambda record, n_jobs: 1 / 0, mode="max")  # type: ignore[arg-type,return-value]
    failing.begin(records, cpus=1)
    assert failing.take(records[1]) is None
