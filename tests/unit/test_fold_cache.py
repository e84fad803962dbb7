"""evaluation/fold_cache.py and evaluation/trial.TrialRun: cached preprocessing gives the
same scores as fitting the whole pipeline, is fitted on training rows only, is keyed by every
preprocessing parameter, and stays within its byte budget. No Ray."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline

from factories import RowRecorder, mixed_classification_frame, run_all_steps
from factories import cross_validate as run_folds
from hpsearch.config.metrics import get_metric
from hpsearch.evaluation.fold import CVSummary
from hpsearch.evaluation.fold_cache import FoldCache, TransformedFold, preprocessing_key
from hpsearch.evaluation.trial import ActorState, TrialContext, TrialRun
from hpsearch.prepare.folds import fixed_folds, make_splitter
from hpsearch.prepare.profile import infer_column_types
from hpsearch.spaces import load_space, param_name
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.status import TrialStatus

FOLDS = 3
METRICS = ("roc_auc", "accuracy", "log_loss")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    frame = mixed_classification_frame(n_rows=300, n_classes=3, seed=11, missing=0.05)
    return frame.drop(columns="target"), frame["target"]


def _pipeline(X: pd.DataFrame, **params: Any) -> Pipeline:
    space = load_space(entry="logistic_regression", task="classification")
    return build_pipeline(space=space, params=params, column_types=infer_column_types(X), seed=0)


def _cv(X: pd.DataFrame, y: pd.Series, pipeline: Pipeline, cache: FoldCache | None) -> CVSummary:
    result: CVSummary = run_folds(
        pipeline=pipeline,
        X=X,
        y=y,
        groups=None,
        splitter=make_splitter(
            task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
        ),
        metrics=[get_metric(name=m, task="classification") for m in METRICS],
        cache=cache,
    )
    return result


def test_cached_scores_equal_fitting_the_whole_pipeline(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    cache = FoldCache(max_bytes=64 * 2**20)
    for C in (0.01, 1.0, 30.0):
        pipeline = _pipeline(X, model__C=C)
        cached = _cv(X, y, pipeline, cache)
        plain = _cv(X, y, pipeline, None)
        assert [f.validation for f in cached.folds] == [f.validation for f in plain.folds]
        assert [f.train for f in cached.folds] == [f.train for f in plain.folds]
        # and scikit-learn's own cross-validation of the whole pipeline agrees
        reference = cross_validate(
            pipeline,
            X,
            y,
            cv=make_splitter(
                task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
            ),
            scoring="accuracy",
            return_train_score=True,
        )
        np.testing.assert_allclose(cached.per_fold("accuracy"), reference["test_score"])
        np.testing.assert_allclose(
            [f.train["accuracy"] for f in cached.folds], reference["train_score"]
        )
    # one preprocessing fit per fold; the other two configs reused it
    assert (cache.misses, cache.hits, len(cache)) == (FOLDS, 2 * FOLDS, FOLDS)


def test_a_preprocessing_parameter_gets_its_own_fit(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    cache = FoldCache(max_bytes=64 * 2**20)
    with_mean = _cv(X, y, _pipeline(X, preprocess__num__scale__with_mean=True), cache)
    without = _cv(X, y, _pipeline(X, preprocess__num__scale__with_mean=False), cache)
    assert (cache.misses, cache.hits, len(cache)) == (2 * FOLDS, 0, 2 * FOLDS)
    plain = _cv(X, y, _pipeline(X, preprocess__num__scale__with_mean=False), None)
    assert [f.validation for f in without.folds] == [f.validation for f in plain.folds]
    assert [f.validation for f in with_mean.folds] != [f.validation for f in without.folds]


def test_key_covers_nested_parameters_and_ignores_the_instance(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, _ = data
    first, second = _pipeline(X), _pipeline(X, model__C=5.0)
    assert preprocessing_key(first[:-1]) == preprocessing_key(second[:-1])
    for change in (
        {"preprocess__num__impute__strategy": "mean"},
        {"preprocess__cat__onehot__min_frequency": 5},
        {"preprocess__remainder": "passthrough"},
    ):
        changed = _pipeline(X, **change)
        assert preprocessing_key(changed[:-1]) != preprocessing_key(first[:-1]), change


def test_cached_preprocessing_was_fitted_on_training_rows_only(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    fitted_on: list[list[int]] = []

    def sink(rows: list[int]) -> None:
        fitted_on.append(rows)

    cache = FoldCache(max_bytes=64 * 2**20)
    for C in (0.1, 1.0, 10.0):
        base = _pipeline(X, model__C=C)
        _cv(X, y, Pipeline([("record", RowRecorder(sink)), *base.steps]), cache)
    folds = list(
        make_splitter(
            task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
        ).split(X, y)
    )
    assert len(fitted_on) == FOLDS  # fitted once per fold, then served from the cache
    for rows, (train_idx, val_idx) in zip(fitted_on, folds, strict=True):
        assert sorted(rows) == sorted(X.index[train_idx])
        assert not set(rows) & set(X.index[val_idx])


def _entry(nbytes: int) -> TransformedFold:
    array = np.zeros(nbytes // 8)
    return TransformedFold(X_train=array, X_validation=array[:0], fit_time_s=0.0, nbytes=nbytes)


def test_least_recently_used_entries_go_first_past_the_budget() -> None:
    cache = FoldCache(max_bytes=3000)
    for fold in range(3):
        cache.put(fold=fold, key="k", entry=_entry(1000))
    assert cache.get(fold=0, key="k") is not None  # 0 is now the most recently used
    cache.put(fold=3, key="k", entry=_entry(1000))
    assert cache.get(fold=1, key="k") is None  # the oldest went
    assert all(cache.get(fold=f, key="k") is not None for f in (0, 2, 3))
    assert cache.nbytes <= 3000
    cache.put(fold=4, key="k", entry=_entry(4000))  # larger than the whole budget
    assert cache.get(fold=4, key="k") is None and len(cache) == 3


def test_cached_arrays_are_read_only(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    cache = FoldCache(max_bytes=64 * 2**20)
    _cv(X, y, _pipeline(X), cache)
    pipeline = _pipeline(X)
    entry = cache.get(fold=0, key=preprocessing_key(pipeline[:-1]))
    assert entry is not None
    assert not entry.X_train.flags.writeable and not entry.X_validation.flags.writeable


# ----------------------------------------------------------------------------- TrialRun


def _context(X: pd.DataFrame, y: pd.Series, *, every_fold: bool, cache_mb: int) -> TrialContext:
    space = load_space(entry="logistic_regression", task="classification")
    splitter = make_splitter(
        task="classification", folds=FOLDS, seed=0, grouped=False, by_time=False
    )
    return TrialContext(
        X=X,
        y=y,
        groups=None,
        spaces=(space,),
        column_types=infer_column_types(X),
        task="classification",
        metrics=METRICS,
        primary="roc_auc",
        folds=FOLDS,
        seed=0,
        cpus=1,
        fold_plan=fixed_folds(splitter=splitter, X=X, y=y, groups=None),
        report_every_fold=every_fold,
        cache_mb=cache_mb,
    )


def _config(C: float) -> dict[str, Any]:
    return {
        "family": "logistic_regression",
        param_name(family="logistic_regression", path="model__C"): C,
    }


def test_trial_run_reports_a_fold_per_step_and_reuses_the_actor_cache(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    ctx = _context(X, y, every_fold=True, cache_mb=64)
    actor = ActorState.create(ctx=ctx, node_id="node-1")
    first = run_all_steps(TrialRun(config=_config(1.0), ctx=ctx, actor=actor))
    assert [r["folds_completed"] for r in first] == [1, 2, 3]
    assert [r["hpsearch_status"] for r in first] == [TrialStatus.RUNNING] * 2 + [
        TrialStatus.COMPLETED
    ]
    assert first[-1]["max_threads"] == 1
    second = run_all_steps(TrialRun(config=_config(0.05), ctx=ctx, actor=actor))
    assert (actor.cache.misses, actor.cache.hits) == (FOLDS, FOLDS)
    # the same trial on a fresh actor without a cache scores the same
    plain_ctx = dataclasses.replace(ctx, cache_mb=0)
    plain = run_all_steps(
        TrialRun(
            config=_config(0.05), ctx=plain_ctx, actor=ActorState.create(ctx=ctx, node_id="node-1")
        )
    )
    ours, theirs = json.loads(second[-1]["scores"]), json.loads(plain[-1]["scores"])
    assert (ours["validation"], ours["train"]) == (theirs["validation"], theirs["train"])
    assert second[-1]["objective"] == plain[-1]["objective"]
    assert first[-1]["objective"] != second[-1]["objective"]


def test_trial_run_without_early_stopping_runs_every_fold_in_one_step(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    ctx = _context(X, y, every_fold=False, cache_mb=64)
    results = run_all_steps(
        TrialRun(config=_config(1.0), ctx=ctx, actor=ActorState.create(ctx=ctx, node_id="node-1"))
    )
    assert len(results) == 1
    assert results[0]["hpsearch_status"] == TrialStatus.COMPLETED
    assert results[0]["folds_completed"] == FOLDS


def test_a_failing_config_ends_as_failed_without_raising(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    ctx = _context(X, y, every_fold=True, cache_mb=64)
    actor = ActorState.create(ctx=ctx, node_id="node-1")
    bad = run_all_steps(TrialRun(config=_config(-1.0), ctx=ctx, actor=actor))  # C must be > 0
    assert len(bad) == 1 and bad[0]["hpsearch_status"] == TrialStatus.FAILED
    assert "C" in bad[0]["error"] and bad[0]["folds_completed"] == 0
    # the actor stays usable for the next trial
    good = run_all_steps(TrialRun(config=_config(1.0), ctx=ctx, actor=actor))
    assert good[-1]["hpsearch_status"] == TrialStatus.COMPLETED
