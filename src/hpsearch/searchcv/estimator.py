"""``SearchCV``: ``RandomizedSearchCV``'s interface, Optuna's TPE sampler, trials on Ray.

Each trial is a Ray task that runs the candidate over the CV folds in order and stops
after a fold where it falls behind the quantile rule (``early_stopping``); the data goes
to the object store once per ``fit``. Ray starts locally on the first ``fit`` of the
process (or joins ``ray_address``) and is reused by later fits. What ``fit`` leaves is
scikit-learn's: ``cv_results_`` with its keys, ``best_*``, ``refit_time_``, ``scorer_``,
``n_splits_``, ``multimetric_``; the search itself is reproducible for a given
``random_state`` and concurrency.
"""

from __future__ import annotations

import contextlib
import numbers
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, get_tags, indexable
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from hpsearch.searchcv.evaluate import CandidateResult, FoldData, FoldPlan, evaluate_candidate
from hpsearch.searchcv.prefix import fit_prefix, nbytes, prefix_plan
from hpsearch.searchcv.results import cv_results, statuses
from hpsearch.searchcv.scoring import check_failures, make_scorers


def _run_task(
    plan: FoldPlan, X: Any, y: Any, params: dict[str, Any], thresholds: list[float | None],
    *folds: FoldData,
) -> CandidateResult:  # fmt: skip
    """The body of one Ray task (module-level: workers import it by name)."""
    return evaluate_candidate(
        plan=plan, X=X, y=y, params=params, thresholds=thresholds, folds=folds or None
    )


def _prefix_task(plan: FoldPlan, X: Any, y: Any, fold: int) -> tuple[FoldData | None, int]:
    """One fold of the fold cache and its size (-1: it could not be fitted)."""
    data = fit_prefix(plan, X, y, fold)
    return data, nbytes(data) if data is not None else -1


def _estimator_has(attr: str) -> Callable[[Any], bool]:
    """The fitted best estimator (or, before fit, the estimator) has ``attr``."""

    def check(self: Any) -> bool:
        getattr(getattr(self, "best_estimator_", self.estimator), attr)
        return True

    return check


class SearchCV(MetaEstimatorMixin, BaseEstimator):
    """Hyperparameter search over ``param_distributions``, a drop-in for
    ``sklearn.model_selection.RandomizedSearchCV``.

    ``param_distributions``: a dict (or a list of dicts: a conditional space) of parameter
    -> list, ``scipy.stats`` ``randint``/``uniform``/``loguniform``, Optuna distribution or
    ``{"type": "float", "low": ..., "high": ..., "log": true}``. ``n_trials`` candidates are
    sampled by Optuna's TPE, seeded by ``random_state``. ``early_stopping`` stops a trial
    after a fold where its running mean falls behind the best quarter of the completed
    trials (such a trial is in ``cv_results_`` with NaN scores and is never selected).
    ``concurrency``: trials at once ("auto": the Ray cluster's CPUs). ``ray_address``: a
    cluster to join (None: a local Ray, started once per process). ``fold_cache``: when the
    estimator is a ``Pipeline`` and only its last step is tuned, its other steps are fitted
    once per fold (on that fold's training rows) instead of once per trial and fold; the
    scores are the same, and each trial's fit time includes the fold's share.
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_trials: int = 50,
        cv: Any = 5,
        scoring: Any = None,
        refit: bool | str | Callable[[dict[str, Any]], int] = True,
        random_state: Any = None,
        early_stopping: bool = True,
        concurrency: int | str = "auto",
        ray_address: str | None = None,
        tracking_uri: str | None = None,
        experiment: str | None = None,
        error_score: Any = np.nan,
        fold_cache: bool = True,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.concurrency = concurrency
        self.ray_address = ray_address
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.error_score = error_score
        self.fold_cache = fold_cache

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    # ------------------------------------------------------------------ fitting

    def _scorers(self) -> tuple[dict[str, Any], str, bool]:
        return make_scorers(estimator=self.estimator, scoring=self.scoring, refit=self.refit)

    def _seed(self) -> int | None:
        state = self.random_state
        if state is None or isinstance(state, numbers.Integral):
            return None if state is None else int(state)
        return int(check_random_state(state).randint(np.iinfo(np.int32).max))

    def _check_params(self) -> None:
        if not isinstance(self.n_trials, numbers.Integral) or self.n_trials < 1:
            raise ValueError(f"n_trials must be an integer >= 1, got {self.n_trials!r}")
        auto = self.concurrency == "auto"
        if not auto and (
            not isinstance(self.concurrency, numbers.Integral) or self.concurrency < 1
        ):
            raise ValueError(
                f"concurrency must be 'auto' or an integer >= 1, got {self.concurrency!r}"
            )

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> SearchCV:
        """Run the search on ``X, y`` (``groups`` for group splitters; ``fit_params`` go to
        the estimator's ``fit``, per-sample ones cut to each fold), then refit the best."""
        from hpsearch.searchcv.candidates import candidate_space  # Optuna: not at import

        self._check_params()
        space = candidate_space(self.param_distributions)
        scorers, refit_metric, multimetric = self._scorers()
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = [(np.asarray(a), np.asarray(b)) for a, b in cv.split(X, y, groups)]
        plan = FoldPlan(
            estimator=clone(self.estimator), scorers=scorers, refit_metric=refit_metric,
            splits=splits, error_score=self.error_score, fit_params=fit_params,
        )  # fmt: skip
        run = self._open_run(n_splits=len(splits))
        try:
            results = self._search(plan=plan, space=space, X=X, y=y)
            check_failures(results, error_score=self.error_score)
            self.cv_results_ = cv_results(
                results, metrics=list(scorers), n_splits=len(splits), single=not multimetric
            )
            self.trial_statuses_ = statuses(results)
            self.multimetric_ = multimetric
            self.n_splits_ = len(splits)
            self.scorer_ = scorers if multimetric else scorers["score"]
            self._select(refit_metric=refit_metric, multimetric=multimetric)
            if self.refit:
                self._refit(X, y, fit_params)
        except BaseException:
            if run is not None:
                with contextlib.suppress(Exception):  # the fit's own error is the one to see
                    run.close(failed=True)
            raise
        if run is not None:
            best = {"best_cv_score": self.best_score_} if hasattr(self, "best_score_") else {}
            run.close(results=results, refit_metric=refit_metric, best=best)
            self.parent_run_id_ = run.run_id
        return self

    def _search(self, *, plan: FoldPlan, space: Any, X: Any, y: Any) -> list[CandidateResult]:
        from hpsearch.searchcv import ray_pool
        from hpsearch.searchcv.loop import LoopSettings, run_loop

        ray_pool.start(address=self.ray_address)
        settings = LoopSettings(
            n_trials=int(self.n_trials),
            concurrency=ray_pool.concurrency(self.concurrency),
            seed=self._seed(),
            n_folds=len(plan.splits),
            refit_metric=plan.refit_metric,
            early_stopping=bool(self.early_stopping),
        )
        keys = [p.name for sub in space.subspaces for p in sub]
        cache = prefix_plan(plan=plan, keys=keys, scoring=self.scoring).cacheable
        prefix = _prefix_task if cache and self.fold_cache else None
        with ray_pool.shipped(task=_run_task, plan=plan, X=X, y=y, prefix=prefix) as (
            submit,
            fetch,
        ):
            return run_loop(space=space, settings=settings, submit=submit, fetch=fetch)

    def _open_run(self, *, n_splits: int) -> Any:
        """The MLflow parent run, when ``tracking_uri`` or ``experiment`` is set."""
        if self.tracking_uri is None and self.experiment is None:
            return None
        from hpsearch.searchcv.tracking import SearchRun

        params = {
            "n_trials": self.n_trials, "cv_folds": n_splits, "scoring": repr(self.scoring),
            "refit": repr(self.refit), "random_state": repr(self.random_state),
            "early_stopping": self.early_stopping, "param_distributions":
            repr(self.param_distributions),
        }  # fmt: skip
        return SearchRun.open(
            tracking_uri=self.tracking_uri, experiment=self.experiment,
            estimator=self.estimator, params=params,
        )  # fmt: skip

    def _select(self, *, refit_metric: str, multimetric: bool) -> None:
        if callable(self.refit):
            self.best_index_ = int(self.refit(self.cv_results_))
        elif self.refit or not multimetric:
            ranks = self.cv_results_[f"rank_test_{refit_metric}"]
            self.best_index_ = int(np.flatnonzero(ranks == ranks.min())[0])
            self.best_score_ = float(
                self.cv_results_[f"mean_test_{refit_metric}"][self.best_index_]
            )
        else:
            return
        self.best_params_ = self.cv_results_["params"][self.best_index_]

    def _refit(self, X: Any, y: Any, fit_params: dict[str, Any]) -> None:
        model = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
        started = time.perf_counter()
        model.fit(X, y, **fit_params) if y is not None else model.fit(X, **fit_params)
        self.refit_time_ = time.perf_counter() - started
        self.best_estimator_ = model

    # ------------------------------------------------------------------ the fitted model

    @property
    def classes_(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        check_is_fitted(self, "best_estimator_")
        return int(self.best_estimator_.n_features_in_)

    @property
    def feature_names_in_(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.feature_names_in_

    def _fitted(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        return self._fitted().predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        return self._fitted().predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        return self._fitted().predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        return self._fitted().decision_function(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        return self._fitted().score_samples(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        return self._fitted().transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        return self._fitted().inverse_transform(X)

    @available_if(_estimator_has("score"))
    def score(self, X: Any, y: Any = None) -> float:
        """The selecting scorer on ``X, y`` (the estimator's own ``score`` when
        ``scoring`` is None)."""
        model = self._fitted()
        scorer: Any = self.scorer_[str(self.refit)] if self.multimetric_ else self.scorer_
        return float(scorer(model, X, y))
