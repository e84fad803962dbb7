"""The reports a data scientist reads: plots that show what happened, the hold-out
interval, and what the fitted preprocessing made of each column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from optuna.distributions import FloatDistribution
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hpsearch.config.metrics import get_metric
from hpsearch.report import plots
from hpsearch.report.preprocessing import describe_preprocessing, shown_columns
from hpsearch.report.uncertainty import bootstrap_intervals
from hpsearch.spaces.model import FrozenMapping, SearchSpace
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord


def _record(
    number: int, status: TrialStatus, folds: list[float], family: str = "lr"
) -> TrialRecord:
    completed = status == TrialStatus.COMPLETED
    return TrialRecord(
        trial_id=f"t{number:03d}", number=number, family=family,
        params={"model__C": 0.1 * (number + 1)}, config={}, status=status,
        objective=float(np.mean(folds)) if completed else None, metrics={},
        fold_scores={"roc_auc": folds}, folds_completed=len(folds), node_id="n",
        started=0.0, ended=1.0,
    )  # fmt: skip


def _axes_drawn(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], object]) -> Any:
    """The axes a plot function drew, as they were when it saved the figure."""
    seen = []
    original = plots._save

    def keep(fig: plt.Figure, path: Path) -> Path:
        seen.append(fig.axes[0])
        return original(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    draw()
    return seen[0]


def test_family_bars_are_zoomed_so_close_scores_stay_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        _record(0, TrialStatus.COMPLETED, [0.9949] * 3, "lr"),
        _record(1, TrialStatus.COMPLETED, [0.9997] * 3, "rf"),
    ]
    axes = _axes_drawn(
        monkeypatch,
        lambda: plots.family_best(records, metric="roc_auc", mode="max", path=tmp_path / "f.png"),
    )
    low, high = axes.get_xlim()
    assert 0.99 < low < 0.9949 and 0.9997 < high < 1.01  # not from 0
    # the two bars differ by more than a tenth of the axis
    assert (0.9997 - 0.9949) / (high - low) > 0.1


def test_history_draws_pruned_trials_at_their_partial_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        _record(0, TrialStatus.COMPLETED, [0.9, 0.8, 0.85]),
        _record(1, TrialStatus.PRUNED, [0.6]),
        _record(2, TrialStatus.PRUNED, [0.7, 0.5]),
        _record(3, TrialStatus.FAILED, []),
    ]
    axes = _axes_drawn(
        monkeypatch,
        lambda: plots.optimisation_history(
            records, metric="roc_auc", mode="max", path=tmp_path / "h.png"
        ),
    )
    pruned, completed = ([tuple(p) for p in c.get_offsets()] for c in axes.collections)
    assert sorted(pruned) == [(1.0, 0.6), (2.0, 0.6)]
    assert completed == [(0.0, pytest.approx(0.85))]
    assert axes.get_title() == "Optimisation history (1 completed, 2 pruned)"


def test_importance_needs_enough_completed_trials_and_says_why(tmp_path: Path) -> None:
    space = SearchSpace(
        family="lr", task="classification", estimator="sklearn.linear_model.LogisticRegression",
        fixed=FrozenMapping({}), params=FrozenMapping({"model__C": FloatDistribution(0.01, 10)}),
        source="test",
    )  # fmt: skip
    few = [_record(i, TrialStatus.COMPLETED, [0.8 + 0.01 * i]) for i in range(4)]
    missing = plots.parameter_importance(few, space=space, mode="max", path=tmp_path / "i.png")
    assert missing.path is None and "4 completed trial(s) of `lr`" in missing.note
    assert not (tmp_path / "i.png").exists()
    enough = [_record(i, TrialStatus.COMPLETED, [0.8 + 0.01 * i]) for i in range(12)]
    made = plots.parameter_importance(enough, space=space, mode="max", path=tmp_path / "i.png")
    assert made.path == tmp_path / "i.png" and made.path.exists()


def test_bootstrap_interval_brackets_the_score_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400)})
    y = (X["a"] + rng.normal(scale=1.0, size=400) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    metrics = [get_metric(name=n, task="classification") for n in ("accuracy", "roc_auc")]
    intervals = bootstrap_intervals(model=model, X=X, y=y, metrics=metrics, seed=3)
    score = accuracy_score(y, model.predict(X))
    acc = intervals["accuracy"]
    assert acc.low < score < acc.high and 0.02 < acc.high - acc.low < 0.15
    assert intervals == bootstrap_intervals(model=model, X=X, y=y, metrics=metrics, seed=3)
    # ROC AUC is undefined on one class: no interval rather than a wrong one
    one_class = bootstrap_intervals(
        model=model, X=X.head(5), y=pd.Series([1] * 5), metrics=metrics[1:], seed=0
    )
    assert one_class == {}


def test_preprocessing_says_what_each_column_group_became() -> None:
    frame = pd.DataFrame(
        {"age": [30.0, None, 50.0, 41.0], "city": ["a", "b", "a", "c"], "n": [1, 2, 3, 4]}
    )
    encode = ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                ["age", "n"],
            ),
            ("cat", OneHotEncoder(), ["city"]),
            ("empty", StandardScaler(), []),
        ]
    )
    model = Pipeline([("preprocess", encode), ("model", LogisticRegression())])
    model.fit(frame, [0, 1, 0, 1])
    groups = describe_preprocessing(model, inputs=list(frame.columns))
    assert [(g.columns, g.steps, g.outputs) for g in groups] == [
        (("age", "n"), "SimpleImputer(strategy=median) -> StandardScaler", 2),
        (("city",), "OneHotEncoder", 3),
    ]
    assert shown_columns([f"c{i}" for i in range(10)]).endswith("`c7` and 2 more")
