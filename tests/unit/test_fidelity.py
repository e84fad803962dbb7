"""Multi-fidelity beyond folds (issue 15): rungs of the first fold, their rule, their trials."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from factories import mixed_classification_frame, run_all_steps
from hpsearch.evaluation.fidelity import (
    FidelityPlan,
    Rung,
    model_rounds,
    plan_fidelity,
    rung_rounds,
    trial_rungs,
)
from hpsearch.evaluation.trial import ActorState, TrialContext, TrialRun
from hpsearch.prepare.folds import fixed_folds, make_splitter
from hpsearch.prepare.profile import infer_column_types
from hpsearch.spaces import load_space, param_name
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.status import TrialStatus
from hpsearch.tune.fold_stopping import FoldQuantileStopping
from hpsearch.tune.rung_rule import RungRule

METRICS = ("roc_auc", "accuracy")


# ----------------------------------------------------------------------------- the rule


def test_rung_rule_promotes_the_best_third_after_the_grace_trials() -> None:
    rule = RungRule(mode="max", factor=3, grace=3)
    assert [rule.promotes(key="r", score=s) for s in (0.1, 0.2, 0.3)] == [True] * 3
    assert rule.promotes(key="r", score=0.05) is False  # 4 seen: keep 1, the best (0.3)
    assert rule.promotes(key="r", score=0.9) is True
    assert rule.promotes(key="r", score=0.31) is True  # 6 seen: keep 2, it is the second
    assert rule.promotes(key="r", score=0.3) is False  # 7 seen: keep 2 (0.9 and 0.31)


def test_rung_rule_compares_only_within_one_rung_key() -> None:
    rule = RungRule(mode="max", grace=0)
    assert rule.promotes(key="rows:0.1111", score=0.5)
    assert rule.promotes(key="rows:0.3333", score=0.4)  # alone at its rung: the best there
    assert not rule.promotes(key="rows:0.1111", score=0.45)


def test_rung_rule_min_mode_seed_and_non_finite() -> None:
    rule = RungRule(mode="min", grace=0)
    rule.seed([{"k": 1.0}, {"k": 2.0}, {"k": 3.0}])
    assert rule.promotes(key="k", score=0.5)  # the lowest error so far
    assert not rule.promotes(key="k", score=2.5)
    assert not RungRule(mode="max").promotes(key="k", score=float("nan"))


@dataclass
class _Trial:
    trial_id: str


def test_scheduler_applies_the_rung_rule_to_rung_results_only() -> None:
    stopping = FoldQuantileStopping(
        mode="max", n_folds=3, quantile=0.75, rungs=RungRule(mode="max", grace=1)
    )
    rung = {"rung": "rows:0.1111", "hpsearch_status": "running", "folds_completed": 0}
    assert stopping.on_trial_result(None, _Trial("a"), {**rung, "rung_score": 0.9}) == "CONTINUE"
    assert stopping.on_trial_result(None, _Trial("b"), {**rung, "rung_score": 0.5}) == "STOP"
    fold = {"objective": 0.1, "folds_completed": 1, "hpsearch_status": "running"}
    assert stopping.on_trial_result(None, _Trial("b"), fold) == "CONTINUE"  # no reference yet


# ----------------------------------------------------------------------------- the plan


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    frame = mixed_classification_frame(n_rows=1500, n_classes=2, seed=4)
    return frame.drop(columns=["target"]), frame["target"]


def _folds(X: pd.DataFrame, y: pd.Series) -> Any:
    splitter = make_splitter(task="classification", folds=3, seed=0, grouped=False, by_time=False)
    return fixed_folds(splitter=splitter, X=X, y=y, groups=None)


def test_plan_kinds(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    train, _ = _folds(X, y).folds[0]
    common = {"train_idx": train, "y": y, "classify": True, "seed": 0}
    assert plan_fidelity(fidelity="none", **common) == FidelityPlan()
    small = plan_fidelity(fidelity="auto", **common)  # 1,000 training rows: too few for auto
    assert small == FidelityPlan()  # and auto never uses rounds rungs
    rounds = plan_fidelity(fidelity="rounds", **common)
    assert rounds.round_fractions == (1 / 9, 1 / 3) and not rounds.row_rungs
    rows = plan_fidelity(fidelity="rows", **common)
    assert [r.fraction for r in rows.row_rungs] == [1 / 9, 1 / 3] and not rows.round_fractions
    assert plan_fidelity(fidelity="rounds", **common).row_rungs == ()
    big = np.arange(40_000)
    labels = pd.Series(np.tile([0, 1, 1, 0, 1], 8000))
    auto_big = plan_fidelity(fidelity="auto", train_idx=big, y=labels, classify=True, seed=0)
    assert len(auto_big.row_rungs) == 2  # 40,000 rows: rows rungs of 4,445 and 13,334


def _rows_plan(X: pd.DataFrame, y: pd.Series) -> tuple[FidelityPlan, np.ndarray, np.ndarray]:
    train, validation = _folds(X, y).folds[0]
    plan = plan_fidelity(fidelity="rows", train_idx=train, y=y, classify=True, seed=0)
    return plan, train, validation


def test_row_rungs_are_stratified_subsets_of_the_first_folds_training_rows(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    plan, train, validation = _rows_plan(X, y)
    again, _, _ = _rows_plan(X, y)
    for rung, same in zip(plan.row_rungs, again.row_rungs, strict=True):
        assert rung.rows is not None and same.rows is not None
        assert set(rung.rows) <= set(train) and not set(rung.rows) & set(validation)
        assert len(rung.rows) == pytest.approx(len(train) * rung.fraction, abs=1)
        assert (rung.rows == same.rows).all()  # every trial: the same rows
        share = y.iloc[rung.rows].value_counts(normalize=True)
        assert (
            share.round(1).to_dict()
            == y.iloc[train].value_counts(normalize=True).round(1).to_dict()
        )


def test_round_rungs_below_the_trials_own_rounds_keyed_by_family() -> None:
    space = load_space(entry="random_forest", task="classification")
    types = infer_column_types(pd.DataFrame({"a": [1.0]}))
    plan = FidelityPlan(round_fractions=(1 / 9, 1 / 3))

    def rungs(trees: int) -> tuple[Rung, ...]:
        pipeline = build_pipeline(space=space, params={"model__n_estimators": trees},
                                  column_types=types)  # fmt: skip
        model = pipeline.steps[-1][1]
        assert model_rounds(model) == trees
        return trial_rungs(plan=plan, model=model, family="random_forest", largest=300)

    assert [rung_rounds(fraction=r.fraction, largest=300) for r in rungs(300)] == [34, 100]
    assert [r.key for r in rungs(300)] == [
        "rounds:0.1111:random_forest",
        "rounds:0.3333:random_forest",
    ]
    assert len(rungs(60)) == 1 and rungs(30) == ()  # no rung at or above its own trees


# ----------------------------------------------------------------------------- trials


def _context(X: pd.DataFrame, y: pd.Series, *, family: str, plan: FidelityPlan) -> TrialContext:
    return TrialContext(
        X=X, y=y, groups=None, spaces=(load_space(entry=family, task="classification"),),
        column_types=infer_column_types(X), task="classification", metrics=METRICS,
        primary="roc_auc", folds=3, seed=0, cpus=1, fold_plan=_folds(X, y),
        report_every_fold=True, cache_mb=64, fidelity=plan,
    )  # fmt: skip


def test_forest_rungs_warm_start_into_the_full_fold_with_the_same_scores(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    config = {
        "family": "random_forest",
        param_name(family="random_forest", path="model__n_estimators"): 120,
        param_name(family="random_forest", path="model__max_depth"): 6,
    }
    ctx = _context(X, y, family="random_forest", plan=FidelityPlan(round_fractions=(1 / 9, 1 / 3)))
    with_rungs = run_all_steps(
        TrialRun(config=config, ctx=ctx, actor=ActorState.create(ctx=ctx, node_id="n"))
    )
    assert [r.get("rung") for r in with_rungs[:2]] == [
        "rounds:0.1111:random_forest",
        "rounds:0.3333:random_forest",
    ]
    assert [r["folds_completed"] for r in with_rungs] == [0, 0, 1, 2, 3]
    assert all(np.isnan(r["objective"]) for r in with_rungs[:2])
    plain_ctx = dataclasses.replace(ctx, fidelity=FidelityPlan())
    plain = run_all_steps(TrialRun(config=config, ctx=plain_ctx,
                            actor=ActorState.create(ctx=plain_ctx, node_id="n")))  # fmt: skip
    assert [r["folds_completed"] for r in plain] == [1, 2, 3]
    # the forest grown through the rungs (34, 100 trees, then 120) is the forest a fresh
    # fit grows: scikit-learn seeds each tree as without warm_start
    ours, theirs = json.loads(with_rungs[-1]["scores"]), json.loads(plain[-1]["scores"])
    assert ours["validation"] == theirs["validation"]
    assert json.loads(with_rungs[-1]["rung_scores"]).keys() == {
        "rounds:0.1111:random_forest",
        "rounds:0.3333:random_forest",
    }


def test_row_rungs_fit_on_their_subsample_and_score_the_whole_validation_fold(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    plan, _, validation = _rows_plan(X, y)
    ctx = _context(X, y, family="logistic_regression", plan=plan)
    actor = ActorState.create(ctx=ctx, node_id="n")
    config = {"family": "logistic_regression"}
    results = run_all_steps(TrialRun(config=config, ctx=ctx, actor=actor))
    assert [r.get("rung") for r in results[:2]] == ["rows:0.1111", "rows:0.3333"]
    assert [r["folds_completed"] for r in results] == [0, 0, 1, 2, 3]
    # each rung's preprocessing was fitted on its own subsample (its own cache entry)
    entries = list(actor.cache._entries.items())
    rung_rows = sorted(e.X_train.shape[0] for (fold, key), e in entries if "|rows:" in key)
    assert rung_rows == sorted(len(r.rows) for r in plan.row_rungs if r.rows is not None)
    assert all(e.X_validation.shape[0] == len(validation) for (f, _), e in entries if f == 0)


def test_a_failing_rung_fails_the_trial_without_raising(
    data: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = data
    ctx = _context(X, y, family="random_forest", plan=FidelityPlan(round_fractions=(1 / 9,)))
    config = {
        "family": "random_forest",
        param_name(family="random_forest", path="model__n_estimators"): 200,
        param_name(family="random_forest", path="model__max_features"): 7.5,  # invalid: > 1
    }
    run = TrialRun(config=config, ctx=ctx, actor=ActorState.create(ctx=ctx, node_id="n"))
    first = run.step()
    assert first["hpsearch_status"] == TrialStatus.FAILED
    assert "rung rounds:0.1111:random_forest failed" in first["error"]
    assert run.step() is first  # the actor stays usable; the trial stays failed
