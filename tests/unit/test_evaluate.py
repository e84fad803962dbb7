"""evaluation/fold.py: fold hygiene, seeded folds, metrics and failures, no Ray.

Each fold's score carries no fitted model, so the fitted clone of each fold is captured by
wrapping ``hpsearch.evaluation.fold.clone``; a recording step inside the pipeline proves the
same thing independently of the scikit-learn internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
)
from sklearn.pipeline import Pipeline

import hpsearch.evaluation.fold as evaluate
from factories import RowRecorder, cross_validate, mixed_classification_frame, regression_frame
from hpsearch.config.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, Metric, get_metric
from hpsearch.errors import TrialError
from hpsearch.evaluation.fold import CVSummary, FoldScore
from hpsearch.prepare.folds import make_splitter
from hpsearch.prepare.group_folds import BalancedGroupKFold
from hpsearch.prepare.profile import infer_column_types
from hpsearch.spaces import load_space
from hpsearch.spaces.pipelines import build_pipeline

FOLDS = 4


def _xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns="target"), frame["target"]


@pytest.fixture(scope="module")
def cls_data() -> tuple[pd.DataFrame, pd.Series]:
    return _xy(mixed_classification_frame(n_rows=240, n_classes=3, seed=3, missing=0.05))


def _cls_metrics(*names: str) -> list[Metric]:
    return [get_metric(name=n, task="classification") for n in names]


def _lr_pipeline(X: pd.DataFrame, **params: Any) -> Pipeline:
    space = load_space(entry="logistic_regression", task="classification")
    return build_pipeline(space=space, params=params, column_types=infer_column_types(X), seed=0)


def _run(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    pipeline: Pipeline,
    seed: int = 0,
    metrics: list[Metric] | None = None,
    after_fold: Callable[[FoldScore], None] | None = None,
    task: str = "classification",
) -> CVSummary:
    splitter = make_splitter(task=task, folds=FOLDS, seed=seed, grouped=False, by_time=False)  # type: ignore[arg-type]
    result: CVSummary = cross_validate(
        pipeline=pipeline,
        X=X,
        y=y,
        groups=None,
        splitter=splitter,
        metrics=metrics or _cls_metrics("accuracy", "roc_auc"),
        after_fold=after_fold,
    )
    return result


# ----------------------------------------------------------------------------- fold hygiene


def test_every_transformer_is_fit_on_training_rows_only(
    cls_data: tuple[pd.DataFrame, pd.Series], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = cls_data
    clones: list[Pipeline] = []

    def recording_clone(estimator: Any, **kwargs: Any) -> Any:
        fresh = clone(estimator, **kwargs)
        clones.append(fresh)
        return fresh

    monkeypatch.setattr(evaluate, "clone", recording_clone)
    splitter = make_splitter(
        task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
    )
    expected_folds = list(splitter.split(X, y))
    numeric = list(infer_column_types(X).numeric)
    checked: list[int] = []

    def after_fold(score: FoldScore) -> None:
        # the clones fitted for this fold: the preprocessing steps, then the model
        steps, model = clones[-2], clones[-1]
        train_idx, val_idx = expected_folds[score.fold]
        assert score.n_train == len(train_idx) and score.n_validation == len(val_idx)
        pre = steps.named_steps["preprocess"]
        num = pre.named_transformers_["num"]
        scaler, imputer = num.named_steps["scale"], num.named_steps["impute"]
        assert scaler.n_samples_seen_ == len(train_idx)
        train_num = X.iloc[train_idx][numeric]
        np.testing.assert_allclose(imputer.statistics_, train_num.median().to_numpy())
        np.testing.assert_allclose(
            scaler.mean_, train_num.fillna(train_num.median()).mean().to_numpy()
        )
        # the statistics differ from those of all rows: the check above can fail
        assert not np.allclose(imputer.statistics_, X[numeric].median().to_numpy())
        onehot = pre.named_transformers_["cat"].named_steps["onehot"]
        seen = set(X.iloc[train_idx]["city"].dropna()) | {"missing"}
        assert set(onehot.categories_[list(pre.transformers_[1][2]).index("city")]) <= seen
        assert model.n_features_in_ == scaler.n_features_in_ + sum(
            len(c) for c in onehot.categories_
        )
        checked.append(score.fold)

    pipeline = _lr_pipeline(X)
    result = _run(X, y, pipeline=pipeline, after_fold=after_fold)

    assert checked == list(range(FOLDS))
    assert len(clones) == 2 * FOLDS and all(c is not pipeline for c in clones)
    assert not hasattr(pipeline.named_steps["model"], "coef_")  # the template stays unfitted
    assert len(result.folds) == FOLDS


def test_recording_step_sees_training_rows_only(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    fitted_on: list[list[int]] = []

    def sink(rows: list[int]) -> None:  # a function survives clone() (deepcopy keeps it)
        fitted_on.append(rows)

    base = _lr_pipeline(X)
    pipeline = Pipeline([("record", RowRecorder(sink)), *base.steps])
    folds = list(
        make_splitter(
            task="classification", folds=FOLDS, seed=5, grouped=False, by_time=False
        ).split(X, y)
    )

    _run(X, y, pipeline=pipeline, seed=5)

    assert len(fitted_on) == FOLDS
    for rows, (train_idx, val_idx) in zip(fitted_on, folds, strict=True):
        assert sorted(rows) == sorted(X.index[train_idx])
        assert not set(rows) & set(X.index[val_idx])


def test_grouped_splitter_keeps_groups_apart(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    groups = pd.Series(np.arange(len(X)) % 30)
    fitted_on: list[list[int]] = []

    def sink(rows: list[int]) -> None:
        fitted_on.append(rows)

    pipeline = Pipeline([("record", RowRecorder(sink)), *_lr_pipeline(X).steps])
    splitter = make_splitter(
        task="classification", folds=FOLDS, seed=0, grouped=True, by_time=False
    )
    result = cross_validate(
        pipeline=pipeline,
        X=X,
        y=y,
        groups=groups,
        splitter=splitter,
        metrics=_cls_metrics("accuracy"),
    )
    assert len(result.folds) == FOLDS and len(fitted_on) == FOLDS
    for rows, fold in zip(fitted_on, result.folds, strict=True):
        train_groups = set(groups.iloc[rows])
        val_rows = sorted(set(range(len(X))) - set(rows))
        assert len(val_rows) == fold.n_validation
        assert not train_groups & set(groups.iloc[val_rows])


# ----------------------------------------------------------------------------- seeds


def _folds(seed: int, X: pd.DataFrame, y: pd.Series) -> list[tuple[list[int], list[int]]]:
    splitter = make_splitter(
        task="classification", folds=FOLDS, seed=seed, grouped=False, by_time=False
    )
    return [(list(a), list(b)) for a, b in splitter.split(X, y)]


def test_same_seed_same_folds_and_scores(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    assert _folds(7, X, y) == _folds(7, X, y)

    first = _run(X, y, pipeline=_lr_pipeline(X), seed=7)
    second = _run(X, y, pipeline=_lr_pipeline(X), seed=7)

    assert first.per_fold("roc_auc") == second.per_fold("roc_auc")
    assert first.per_fold("accuracy") == second.per_fold("accuracy")
    assert [f.train for f in first.folds] == [f.train for f in second.folds]


def test_other_seed_other_folds(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    a, b = _folds(0, X, y), _folds(1, X, y)
    assert a != b
    assert a[0][1] != b[0][1]  # the first validation fold differs
    # both are partitions of the same rows
    for folds in (a, b):
        assert sorted(i for _, val in folds for i in val) == list(range(len(X)))

    scores_a = _run(X, y, pipeline=_lr_pipeline(X), seed=0).per_fold("roc_auc")
    scores_b = _run(X, y, pipeline=_lr_pipeline(X), seed=1).per_fold("roc_auc")
    assert scores_a != scores_b


# ----------------------------------------------------------------------------- failures


def test_failing_fold_raises_trial_error(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    bad = _lr_pipeline(X, model__C=-1.0)  # valid path, invalid value: fit raises

    with pytest.raises(TrialError, match=r"^fold 0 failed: InvalidParameterError") as info:
        _run(X, y, pipeline=bad)

    assert "'C' parameter" in str(info.value)
    assert "Traceback" in str(info.value)  # the traceback is kept for the child run
    assert isinstance(info.value.__cause__, ValueError)


class FailsOnSecondFit(BaseEstimator):
    """A classifier that fits once per process, then raises: a failure in fold 1."""

    calls: list[int] = []  # noqa: RUF012 - shared across clones on purpose

    def fit(self, X: Any, y: Any) -> FailsOnSecondFit:
        self.calls.append(len(X))
        if len(self.calls) > 1:
            raise RuntimeError("boom in a later fold")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


def test_later_fold_failure_names_the_fold(cls_data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cls_data
    FailsOnSecondFit.calls = []
    pipeline = Pipeline([("model", FailsOnSecondFit())])
    X_num = X[["num_a", "num_b"]].fillna(0.0)
    seen: list[int] = []

    def after_fold(score: FoldScore) -> None:
        seen.append(score.fold)

    with pytest.raises(TrialError, match=r"^fold 1 failed: RuntimeError: boom in a later fold"):
        _run(X_num, y, pipeline=pipeline, metrics=_cls_metrics("accuracy"), after_fold=after_fold)
    assert seen == [0]


class NanRegressor(BaseEstimator):
    def fit(self, X: Any, y: Any) -> NanRegressor:
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), np.nan)


def test_nan_predictions_raise_never_a_nan_score() -> None:
    X, y = _xy(regression_frame(n_rows=80))
    pipeline = Pipeline([("model", NanRegressor())])
    with pytest.raises(TrialError, match="fold 0"):
        _run(
            X[["x1"]],
            y,
            pipeline=pipeline,
            metrics=[REGRESSION_METRICS["r2"]],
            task="regression",
        )


# ----------------------------------------------------------------------------- metrics


def test_regression_metrics_match_sklearn() -> None:
    X, y = _xy(regression_frame(n_rows=200, seed=2, missing=0.05))
    space = load_space(entry="ridge", task="regression")
    pipeline = build_pipeline(
        space=space, params={"model__alpha": 1.0}, column_types=infer_column_types(X), seed=0
    )
    metrics = list(REGRESSION_METRICS.values())
    result = _run(X, y, pipeline=pipeline, metrics=metrics, task="regression")

    assert result.metrics == ("r2", "rmse", "mae")
    splitter = make_splitter(task="regression", folds=FOLDS, seed=0, grouped=False, by_time=False)
    assert isinstance(splitter, KFold)
    for fold, (train_idx, val_idx) in zip(result.folds, splitter.split(X, y), strict=True):
        model = clone(pipeline).fit(X.iloc[train_idx], y.iloc[train_idx])
        pred = model.predict(X.iloc[val_idx])
        truth = y.iloc[val_idx]
        assert fold.validation["r2"] == pytest.approx(skm.r2_score(truth, pred))
        assert fold.validation["rmse"] == pytest.approx(skm.root_mean_squared_error(truth, pred))
        assert fold.validation["mae"] == pytest.approx(skm.mean_absolute_error(truth, pred))
    assert result.mean("r2") > 0.6  # the frame's signal is learnable
    assert 0 < result.mean("mae") < result.mean("rmse")
    summary = result.summary()
    assert summary["cv_r2_mean"] == pytest.approx(np.mean(result.per_fold("r2")))
    assert summary["cv_rmse_std"] == pytest.approx(np.std(result.per_fold("rmse")))
    assert summary["gap_mae"] == pytest.approx(
        np.mean([f.train["mae"] - f.validation["mae"] for f in result.folds])
    )
    assert len(result.folds) == FOLDS
    assert summary["fit_time_s"] == pytest.approx(sum(f.fit_time_s for f in result.folds))


def test_multiclass_roc_auc_and_log_loss_match_sklearn(
    cls_data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cls_data
    pipeline = _lr_pipeline(X, model__C=0.5)
    result = _run(X, y, pipeline=pipeline, metrics=list(CLASSIFICATION_METRICS.values()))

    assert set(result.metrics) == set(CLASSIFICATION_METRICS)
    splitter = make_splitter(
        task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
    )
    for fold, (train_idx, val_idx) in zip(result.folds, splitter.split(X, y), strict=True):
        model = clone(pipeline).fit(X.iloc[train_idx], y.iloc[train_idx])
        proba = model.predict_proba(X.iloc[val_idx])
        truth = y.iloc[val_idx]
        assert proba.shape[1] == 3
        expected_auc = skm.roc_auc_score(
            truth, proba, multi_class="ovr", average="macro", labels=model.classes_
        )
        assert fold.validation["roc_auc"] == pytest.approx(expected_auc)
        assert fold.validation["log_loss"] == pytest.approx(
            skm.log_loss(truth, proba, labels=model.classes_)
        )
        assert fold.validation["f1"] == pytest.approx(
            skm.f1_score(truth, model.predict(X.iloc[val_idx]), average="weighted")
        )
    assert 0.6 < result.mean("roc_auc") <= 1.0
    assert result.mean("log_loss") < np.log(3)  # better than uniform guessing


# ----------------------------------------------------------------------------- splitters


@pytest.mark.parametrize(
    ("task", "grouped", "by_time", "expected"),
    [
        ("classification", False, True, TimeSeriesSplit),
        ("regression", True, True, TimeSeriesSplit),
        ("classification", True, False, BalancedGroupKFold),
        ("regression", True, False, GroupKFold),
        ("classification", False, False, StratifiedKFold),
        ("regression", False, False, KFold),
    ],
)
def test_make_splitter(task: str, grouped: bool, by_time: bool, expected: type) -> None:
    splitter = make_splitter(task=task, folds=3, seed=11, grouped=grouped, by_time=by_time)  # type: ignore[arg-type]
    assert type(splitter) is expected
    assert splitter.get_n_splits() == 3
    if expected is not TimeSeriesSplit:
        assert splitter.shuffle is True
        assert splitter.random_state == 11
