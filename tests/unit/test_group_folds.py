"""prepare/group_folds: stratified folds that keep groups whole, against StratifiedGroupKFold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hpsearch.prepare.folds import make_splitter
from hpsearch.prepare.group_folds import BalancedGroupKFold, assign_groups


def _data(n: int, n_groups: int, positive: float, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.random(n) < positive).astype(int), rng.integers(0, n_groups, n)


@pytest.mark.parametrize(("n", "n_groups"), [(6000, 5000), (20000, 1500), (3000, 3000)])
def test_groups_stay_whole_and_folds_are_balanced_and_stratified(n: int, n_groups: int) -> None:
    y, groups = _data(n, n_groups, positive=0.1)
    fold = assign_groups(y=y, groups=groups, n_splits=5, seed=3)
    assert (pd.Series(fold).groupby(groups).nunique() == 1).all()  # no group split
    sizes = np.bincount(fold, minlength=5)
    largest_group = np.bincount(groups).max()
    assert sizes.max() - sizes.min() <= largest_group + 1
    positives = np.array([(y[fold == k] == 1).sum() for k in range(5)])
    assert positives.max() - positives.min() <= largest_group + 1


def test_same_seed_same_folds_other_seed_other_folds() -> None:
    y, groups = _data(2000, 1800, positive=0.3)
    first = assign_groups(y=y, groups=groups, n_splits=4, seed=1)
    assert (first == assign_groups(y=y, groups=groups, n_splits=4, seed=1)).all()
    assert (first != assign_groups(y=y, groups=groups, n_splits=4, seed=2)).any()


def test_multiclass_and_string_labels() -> None:
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 900, p=[0.6, 0.3, 0.1])
    groups = np.repeat(np.arange(300), 3)
    rng.shuffle(groups)
    folds = list(BalancedGroupKFold(n_splits=3, random_state=0).split(None, y, groups))
    assert len(folds) == 3
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(900))  # every row tested exactly once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        counts = pd.Series(y[test]).value_counts()
        assert counts["c"] >= 20 and counts["a"] >= 160


def test_splitter_choice_and_legacy_resume(tmp_path: Path) -> None:
    grouped = {"task": "classification", "folds": 5, "seed": 0, "grouped": True}
    assert type(make_splitter(**grouped, by_time=False)).__name__ == "BalancedGroupKFold"
    legacy = make_splitter(**grouped, by_time=False, group_splitter="sklearn")
    assert type(legacy).__name__ == "StratifiedGroupKFold"
    # a sweep made before cv.group_splitter resumes with scikit-learn's splitter
    from hpsearch.resume import frozen_config
    from hpsearch.status import SweepStatus
    from hpsearch.store.paths import SweepPaths
    from hpsearch.store.state import SweepState

    root = tmp_path / "sweep"
    root.mkdir()
    doc = {"name": "old", "data": {"source": "sklearn:iris"}, "cv": {"folds": 3}}
    (root / "config.yaml").write_text(yaml.safe_dump(doc))
    state = SweepState(
        name="old", status=SweepStatus.INTERRUPTED, created_at="", primary_metric="roc_auc",
        mode="max", tracking_uri="sqlite:///x.db", experiment="old", parent_run_id="",
        trials=4, seed=0,
    )  # fmt: skip
    config = frozen_config(paths=SweepPaths(root=root), state=state)
    assert config.cv.group_splitter == "sklearn"
    doc["cv"]["group_splitter"] = "balanced"
    (root / "config.yaml").write_text(yaml.safe_dump(doc))
    assert frozen_config(paths=SweepPaths(root=root), state=state).cv.group_splitter == "balanced"
