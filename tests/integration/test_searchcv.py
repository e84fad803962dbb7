"""hpsearch.SearchCV on a real local Ray, against scikit-learn's own searches and checks.

Ray starts in this test process on the first fit and is reused by every later one (as in
a user's process); the module's last fixture step shuts it down.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy.stats import loguniform, randint
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_estimators_nan_inf,
    check_supervised_y_2d,
    parametrize_with_checks,
)

from hpsearch import BadInputError, SearchCV

pytestmark = pytest.mark.integration

# The checks SearchCV fails, each failed by RandomizedSearchCV in the same wrapping too
# (test_randomized_search_cv_fails_the_same_checks proves it).
EXPECTED_FAILURES = {
    "Pipeline": {
        "check_supervised_y_2d": "Ridge takes a 2-D y without a DataConversionWarning, but "
        "the search is tagged single-output, so the check expects the warning "
        "(RandomizedSearchCV fails it the same way)",
    },
    "RandomForestClassifier": {
        "check_estimators_nan_inf": "RandomForestClassifier accepts NaN natively, so fitting "
        "on NaN raises nothing (RandomizedSearchCV fails it the same way)",
    },
}


@pytest.fixture(scope="module", autouse=True)
def _ray_for_this_module() -> Iterator[None]:
    yield
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _wrapped(search: type, **kw: Any) -> list[Any]:
    trials = {"n_trials": 3} if search is SearchCV else {"n_iter": 3}
    common = {"cv": 2, "random_state": 0, **trials, **kw}
    return [
        search(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, **common),
        search(
            make_pipeline(StandardScaler(), Ridge()),
            {"ridge__alpha": loguniform(0.01, 10)},
            **common,
        ),
        search(
            RandomForestClassifier(n_estimators=5, random_state=0),
            {"max_depth": [2, None]},
            **common,
        ),
    ]


def _expected(estimator: Any) -> dict[str, str]:
    return EXPECTED_FAILURES.get(type(estimator.estimator).__name__, {})


@parametrize_with_checks(_wrapped(SearchCV), expected_failed_checks=_expected)
def test_scikit_learn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


def test_randomized_search_cv_fails_the_same_checks() -> None:
    _, pipeline, forest = _wrapped(RandomizedSearchCV)
    with pytest.raises(AssertionError, match="DataConversionWarning"):
        check_supervised_y_2d("RandomizedSearchCV", pipeline)
    with pytest.raises(AssertionError, match="doesn't check for NaN and inf"):
        check_estimators_nan_inf("RandomizedSearchCV", forest)


def test_same_keys_and_equal_scores_as_scikit_learn_for_equal_candidates() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    folds = KFold(4, shuffle=True, random_state=3)
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    space = {f"logisticregression__{k}": v for k, v in grid.items()}
    for scoring, refit in ((None, True), (["accuracy", "roc_auc"], "roc_auc")):
        ours = SearchCV(model, space, n_trials=10, cv=folds, scoring=scoring, refit=refit,
                        random_state=0, early_stopping=False).fit(X, y)  # fmt: skip
        theirs = GridSearchCV(model, space, cv=folds, scoring=scoring, refit=refit).fit(X, y)
        sampled = RandomizedSearchCV(model, space, n_iter=4, cv=folds, scoring=scoring,
                                     refit=refit, random_state=0).fit(X, y)  # fmt: skip
        assert set(ours.cv_results_) == set(sampled.cv_results_)
        names = ["score"] if scoring is None else list(scoring)
        for i, params in enumerate(ours.cv_results_["params"]):
            j = theirs.cv_results_["params"].index(params)
            for name in names:
                for k in range(4):
                    key = f"split{k}_test_{name}"
                    assert ours.cv_results_[key][i] == pytest.approx(theirs.cv_results_[key][j])
        assert ours.best_score_ == pytest.approx(max(ours.cv_results_[f"mean_test_{names[-1]}"]))
        assert ours.n_splits_ == 4 and ours.multimetric_ == (scoring is not None)
        assert ours.refit_time_ > 0 and ours.best_estimator_.score(X, y) > 0.9
        assert list(ours.classes_) == [0, 1] and ours.n_features_in_ == X.shape[1]


def _counting_scaler() -> type:
    """A scaler that appends a line to ``log`` per fit (defined here: Ray workers get it
    pickled by value)."""
    from sklearn.base import BaseEstimator, TransformerMixin

    class CountingScaler(TransformerMixin, BaseEstimator):
        def __init__(self, log: str = "", center: bool = True) -> None:
            self.log = log
            self.center = center

        def fit(self, X: Any, y: Any = None) -> Any:
            with open(self.log, "a", encoding="utf-8") as out:
                out.write(f"{len(X)}\n")
            self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1])
            self.scale_ = X.std(axis=0) + 1e-12
            return self

        def transform(self, X: Any) -> Any:
            return (X - self.mean_) / self.scale_

    return CountingScaler


def test_fold_cache_fits_the_prefix_once_per_fold_with_equal_scores(tmp_path: Any) -> None:
    from sklearn.pipeline import Pipeline

    X, y = load_breast_cancer(return_X_y=True)
    folds = KFold(3, shuffle=True, random_state=0)
    scaler = _counting_scaler()
    fits: dict[str, list[int]] = {}
    results = {}
    for cached in (True, False):
        log = tmp_path / f"fits-{cached}.txt"
        model = Pipeline([("scale", scaler(log=str(log))), ("model", LogisticRegression())])
        search = SearchCV(model, {"model__C": loguniform(1e-3, 1e2)}, n_trials=8, cv=folds,
                          random_state=0, early_stopping=False, fold_cache=cached)  # fmt: skip
        results[cached] = search.fit(X, y).cv_results_
        fits[str(cached)] = [int(n) for n in log.read_text().split()]
    # cached: one prefix fit per fold (on that fold's training rows) and the refit on all
    assert sorted(fits["True"]) == sorted([*(len(t) for t, _ in folds.split(X)), len(X)])
    assert len(fits["False"]) == 8 * 3 + 1
    assert results[True]["params"] == results[False]["params"]
    for k in range(3):
        np.testing.assert_allclose(
            results[True][f"split{k}_test_score"], results[False][f"split{k}_test_score"]
        )
    # a tuned parameter of an earlier step: every trial fits the whole pipeline again
    log = tmp_path / "fits-tuned.txt"
    model = Pipeline([("scale", scaler(log=str(log))), ("model", LogisticRegression())])
    SearchCV(model, {"scale__center": [True, False], "model__C": [0.1, 1.0]}, n_trials=4,
             cv=folds, random_state=0, early_stopping=False).fit(X, y)  # fmt: skip
    assert len(log.read_text().split()) == 4 * 3 + 1


def test_conditional_space_scipy_distributions_and_pruned_trials() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    search = SearchCV(
        RandomForestClassifier(n_estimators=15, random_state=0),
        [{"max_depth": [1, 2, None]}, {"min_samples_leaf": randint(1, 40)}],
        n_trials=30, cv=5, random_state=1,
    )  # fmt: skip
    search.fit(X, y)
    results = search.cv_results_
    pruned = [i for i, s in enumerate(search.trial_statuses_) if s == "pruned"]
    assert pruned, search.trial_statuses_  # the quantile rule stopped some trials
    assert all(np.isnan(results["mean_test_score"][i]) for i in pruned)
    assert search.best_index_ not in pruned and results["rank_test_score"][search.best_index_] == 1
    assert set(search.best_params_) in ({"max_depth"}, {"min_samples_leaf"})
    assert results["param_max_depth"].mask.any() and results["param_min_samples_leaf"].mask.any()
    assert list(search.feature_names_in_) == list(X.columns)
    again = clone(search).fit(X, y)  # seeded: the same candidates
    assert again.cv_results_["params"] == results["params"]


def test_nested_cross_validation_clone_and_pickle() -> None:
    X, y = load_diabetes(return_X_y=True)
    search = SearchCV(Ridge(), {"alpha": loguniform(1e-3, 1e2)}, n_trials=6, cv=3,
                      random_state=0)  # fmt: skip
    outer = cross_validate(search, X, y, cv=3, return_estimator=True)
    assert len(outer["test_score"]) == 3 and np.all(outer["test_score"] > 0.3)
    fitted = outer["estimator"][0]
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict(X[:5]), fitted.predict(X[:5]))


def test_unsupported_distribution_and_refit_are_refused() -> None:
    from scipy.stats import norm

    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(BadInputError, match="supported: randint, uniform, loguniform"):
        SearchCV(LogisticRegression(), {"C": norm(1, 0.1)}, n_trials=2).fit(X, y)
    with pytest.raises(ValueError, match="refit must be the name of a scorer"):
        SearchCV(LogisticRegression(), {"C": [1.0]}, scoring=["accuracy", "f1"]).fit(X, y)


def test_tracking_writes_one_parent_and_one_child_per_trial(tmp_path: Any) -> None:
    from mlflow.tracking import MlflowClient

    X, y = load_breast_cancer(return_X_y=True)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    search = SearchCV(
        LogisticRegression(max_iter=2000), {"C": loguniform(1e-3, 1e2)}, n_trials=12, cv=4,
        scoring=["roc_auc", "accuracy"], refit="roc_auc", random_state=2,
        tracking_uri=uri, experiment="scv",
    ).fit(X, y)  # fmt: skip
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("scv")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert [p.info.run_id for p in parents] == [search.parent_run_id_]
    assert parents[0].info.status == "FINISHED"
    assert parents[0].data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert len(children) == 12
    statuses = sorted(r.data.tags["hpsearch.status"] for r in children)
    assert statuses == sorted(search.trial_statuses_)
    completed = [r for r in children if r.data.tags["hpsearch.status"] == "completed"]
    best = max(r.data.metrics["cv_roc_auc_mean"] for r in completed)
    assert best == pytest.approx(search.best_score_)
    history = client.get_metric_history(completed[0].info.run_id, "fold_accuracy")
    assert len(history) == 4
