"""Fold-level early stopping and thread caps, with a real local Ray and a real MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import child_runs, sweep
from mlflow.tracking import MlflowClient

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]

DUMMY = Path(__file__).resolve().parents[2] / "scripts" / "bench_spaces" / "dummy.yaml"


def _sections(early_stopping: bool) -> dict[str, object]:
    # a dummy family (ROC AUC 0.5) beside a real one: once five trials have completed,
    # the dummies' first folds are clearly below the median and get stopped
    return {
        "cv": {"folds": 4},
        "search": {
            "spaces": ["logistic_regression", str(DUMMY)],
            "trials": 18,
            "early_stopping": early_stopping,
        },
        "thresholds": {},
    }


def test_pruned_trials_are_marked_told_and_never_selected(
    tmp_path: Path, tracking_uri: str
) -> None:
    result = sweep(tmp_path, tracking_uri, **_sections(True))
    assert result.search is not None and result.selection is not None
    records = result.search.records
    pruned = [r for r in records if r.status == "pruned"]
    assert pruned, "the stopping rule never fired"
    assert all(r.folds_completed < 4 for r in pruned)
    assert all(r.objective is not None for r in pruned)  # partial mean kept for the report
    best = result.selection.verdict.best
    assert best.status == "completed" and best.folds_completed == 4
    partial_best = max(r.objective or 0 for r in pruned)
    completed_best = max(r.objective or 0 for r in records if r.status == "completed")
    assert best.objective == completed_best
    assert partial_best <= completed_best or best.trial_id not in {r.trial_id for r in pruned}
    client = MlflowClient(tracking_uri=tracking_uri)
    tags = {
        c.data.tags["hpsearch.trial_id"]: c.data.tags["hpsearch.status"]
        for c in child_runs(client, result)
    }
    assert {tid for tid, status in tags.items() if status == "pruned"} == {
        r.trial_id for r in pruned
    }
    state = json.loads((result.paths.root / "sweep.json").read_text())
    assert state["sampler_history"].get("PRUNED", 0) == len(pruned)
    assert sum(state["sampler_history"].values()) == len(records) == 18
    for record in records:
        if record.status == "completed":
            assert 1 <= record.max_threads <= 1, "a trial ran more threads than it reserved"


def test_without_early_stopping_every_trial_completes(tmp_path: Path, tracking_uri: str) -> None:
    result = sweep(tmp_path, tracking_uri, **_sections(False))
    assert result.search is not None
    statuses = {r.status for r in result.search.records}
    assert statuses == {"completed"}
    assert len(result.search.records) == 18


def test_thread_cap_follows_cpus_per_trial(tmp_path: Path, tracking_uri: str) -> None:
    result = sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 2},
        search={"spaces": ["random_forest"], "trials": 2, "early_stopping": False},
        thresholds={},
        ray={"cpus_per_trial": 2},
    )
    assert result.search is not None and result.search.concurrency == 1
    assert all(1 <= r.max_threads <= 2 for r in result.search.records)
