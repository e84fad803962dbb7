"""The XGBoost, LightGBM and CatBoost families: native categories fitted on training rows,
thread caps, seeds, cheap starting configurations first. No Ray."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from factories import mixed_classification_frame, regression_frame
from hpsearch.config import parse_sweep
from hpsearch.errors import BadInputError
from hpsearch.prepare.profile import infer_column_types
from hpsearch.spaces import load_space, split_config
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.tune.sampler import make_searcher, start_configs
from hpsearch_runtime.categories import MISSING, CategoricalColumns

FAMILIES = ("xgboost", "lightgbm", "catboost")
THREADS = {"xgboost": "n_jobs", "lightgbm": "n_jobs", "catboost": "thread_count"}


def _innermost(model: object) -> object:
    return getattr(model, "classifier", None) or model


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_fits_and_predicts_with_categories_and_gaps(task: str, family: str) -> None:
    frame = (
        mixed_classification_frame(n_rows=240, n_classes=3, seed=2, missing=0.1)
        if task == "classification"
        else regression_frame(n_rows=240, seed=2, missing=0.1)
    )
    X, y = frame.drop(columns="target"), frame["target"]
    space = load_space(entry=family, task=task)  # type: ignore[arg-type]
    pipeline = build_pipeline(
        space=space, params=dict(space.start[0]), column_types=infer_column_types(X), seed=3
    )
    pipeline.fit(X.iloc[:200], y.iloc[:200])
    predicted = np.asarray(pipeline.predict(X.iloc[200:])).ravel()
    assert len(predicted) == 40
    if task == "classification":
        assert set(predicted) <= set(y)  # original labels, not codes
        assert list(pipeline.classes_) == sorted(set(y.iloc[:200]))
        assert np.allclose(pipeline.predict_proba(X.iloc[200:]).sum(axis=1), 1.0)
    model = _innermost(pipeline.named_steps["model"])
    params = model.get_params()  # type: ignore[attr-defined]
    assert params[THREADS[family]] == 1  # capped at the trial's CPUs, not every core
    assert params["random_state"] == 3


def test_native_categories_are_learnt_on_training_rows_only() -> None:
    train = pd.DataFrame(
        {"city": ["Oslo", "Lima", None, "Oslo"], "flag": [True, False, True, None]}
    )
    validation = pd.DataFrame({"city": ["Pune", "Lima", None], "flag": [False, None, True]})
    encoder = CategoricalColumns().fit(train)
    assert encoder.categories_ == [["Lima", "Oslo", MISSING], ["False", "True", MISSING]]
    out = encoder.transform(validation)
    assert list(out["city"].cat.categories) == ["Lima", "Oslo", MISSING]
    assert list(out["city"]) == [MISSING, "Lima", MISSING]  # unseen Pune: missing
    assert list(out["flag"]) == ["False", MISSING, "True"]


def test_a_5000_level_column_stays_one_column() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"title": [f"job {i}" for i in rng.permutation(5000)], "x": rng.normal(size=5000)}
    )
    y = pd.Series(rng.integers(0, 2, 5000))
    space = load_space(entry="lightgbm", task="classification")
    pipeline = build_pipeline(
        space=space, params=dict(space.start[0]), column_types=infer_column_types(X), seed=0
    )
    transformed = pipeline[:-1].fit_transform(X, y)
    assert transformed.shape == (5000, 2)
    assert isinstance(transformed["title"].dtype, pd.CategoricalDtype)
    assert len(transformed["title"].cat.categories) == 5001  # every title, plus missing


def test_start_configs_come_first_family_by_family() -> None:
    config = parse_sweep(
        raw={
            "name": "s",
            "data": {"source": "sklearn:iris"},
            "search": {"spaces": ["xgboost", "lightgbm", "logistic_regression"], "trials": 9},
        },
        path=Path("s.yaml"),
    )
    spaces = tuple(
        load_space(entry=e, task="classification") for e in ("xgboost", "lightgbm", "knn")
    )
    assert [c["family"] for c in start_configs(spaces)] == ["xgboost", "lightgbm"]
    searcher = make_searcher(config=config, spaces=spaces, previous=[], retry=[])
    for index, space in enumerate(spaces[:2]):
        suggested = searcher.suggest(f"t{index}")
        assert suggested is not None
        family, params = split_config(suggested)
        assert family == space.family
        assert params.items() >= dict(space.start[0]).items()  # the rest sampled


def test_a_start_value_outside_the_space_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "family: mine\nestimator: lightgbm.LGBMClassifier\npreprocessing: native\n"
        "start: [{model__n_estimators: 5000}]\n"
        "params:\n  model__n_estimators: {type: int, low: 10, high: 100}\n"
    )
    with pytest.raises(BadInputError, match=r"start value model__n_estimators=5000 is outside"):
        load_space(entry=str(path), task="classification")


def test_an_unknown_preprocessing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("family: mine\nestimator: lightgbm.LGBMClassifier\npreprocessing: natve\n")
    with pytest.raises(BadInputError, match="`preprocessing` must be one of onehot, native"):
        load_space(entry=str(path), task="classification")


optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_rounds_are_chosen_on_training_rows_never_the_folds_validation_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lightgbm

    from hpsearch.config.metrics import get_metric
    from hpsearch.evaluation.fold import evaluate_fold
    from hpsearch.evaluation.rounds import EarlyStop
    from hpsearch.evaluation.scoring import score_model  # noqa: F401  (imported for clarity)

    frame = mixed_classification_frame(n_rows=300, n_classes=2, seed=5, missing=0.05)
    X, y = frame.drop(columns="target"), frame["target"]
    seen: dict[str, list[int]] = {}
    original = lightgbm.LGBMClassifier.fit

    def recording_fit(self: object, X_fit: pd.DataFrame, y_fit: object, **kwargs: object) -> object:
        seen["fit"] = list(X_fit.index)
        eval_set = kwargs["eval_set"]
        seen["stop"] = list(eval_set[0][0].index)  # type: ignore[index]
        return original(self, X_fit, y_fit, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lightgbm.LGBMClassifier, "fit", recording_fit)
    space = load_space(entry="lightgbm", task="classification")
    pipeline = build_pipeline(
        space=space, params={"model__n_estimators": 400}, column_types=infer_column_types(X),
        seed=0,
    )  # fmt: skip
    train_idx, val_idx = np.arange(0, 200), np.arange(200, 300)
    score = evaluate_fold(
        pipeline=pipeline, X=X, y=y, fold=0, train_idx=train_idx, val_idx=val_idx,
        metrics=[get_metric(name="roc_auc", task="classification")],
        stop=EarlyStop(patience=10, seed=0),
    )  # fmt: skip
    assert sorted(seen["fit"] + seen["stop"]) == list(train_idx)  # only training rows
    assert not set(seen["stop"]) & set(val_idx)
    assert len(seen["stop"]) == 20  # 10% of the fold's training rows
    assert score.rounds is not None and 1 <= score.rounds <= 400


def test_the_refit_uses_the_rounds_learnt_in_cv() -> None:
    from hpsearch.prepare.fingerprint import fingerprint
    from hpsearch.prepare.split import DataPart
    from hpsearch.report.select import refit
    from hpsearch.status import TrialStatus
    from hpsearch.store.records import TrialRecord

    frame = mixed_classification_frame(n_rows=200, n_classes=2, seed=6, missing=0.0)
    X, y = frame.drop(columns="target"), frame["target"]
    part = DataPart(
        X=X, y=y, row_ids=tuple(map(str, range(200))), groups=None, times=None,
        fingerprint=fingerprint(X, y),
    )  # fmt: skip
    record = TrialRecord(
        trial_id="t", number=0, family="xgboost",
        params={"model__classifier__n_estimators": 500}, config={}, status=TrialStatus.COMPLETED,
        objective=0.9, metrics={"rounds_mean": 37.4}, fold_scores={}, folds_completed=3,
        node_id="n", started=0.0, ended=1.0,
    )  # fmt: skip
    spaces = (load_space(entry="xgboost", task="classification"),)
    model = refit(
        record=record, spaces=spaces, development=part, column_types=infer_column_types(X),
        seed=0, n_jobs=1,
    )  # fmt: skip
    assert model.named_steps["model"].classifier_.n_estimators == 37
    # after the search the refit may use every CPU; each library's model keeps the trial's
    # thread setting (CatBoost refuses to change a fitted model's parameters)
    for family, name in (("catboost", "thread_count"), ("lightgbm", "n_jobs")):
        fitted = refit(
            record=dataclasses.replace(record, family=family, params={}, metrics={}),
            spaces=(load_space(entry=family, task="classification"),), development=part,
            column_types=infer_column_types(X), seed=0, n_jobs=1, fit_jobs=2,
        )  # fmt: skip
        assert fitted.named_steps["model"].get_params()[name] == 1
        assert len(fitted.predict(X)) == 200
