"""Early stopping (rungs of the first fold, then folds) and thread caps, with a real local Ray
and a real MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import child_runs, sweep
from mlflow.tracking import MlflowClient

from factories import mixed_classification_frame
from hpsearch.store.records import TrialRecord
from hpsearch.sweep import SweepEnding

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]

DUMMY = Path(__file__).resolve().parents[2] / "scripts" / "bench_spaces" / "dummy.yaml"


def _sections(early_stopping: bool) -> dict[str, object]:
    # a dummy family (ROC AUC 0.5) beside a real one: once five trials have completed,
    # the dummies' first folds are clearly below the median and get stopped
    return {
        "cv": {"folds": 4},
        "search": {
            "spaces": ["logistic_regression", str(DUMMY)],
            "trials": 28,
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
    assert sum(state["sampler_history"].values()) == len(records) == 28
    for record in records:
        if record.status == "completed":
            assert 1 <= record.max_threads <= 1, "a trial ran more threads than it reserved"


def test_without_early_stopping_every_trial_completes(tmp_path: Path, tracking_uri: str) -> None:
    result = sweep(tmp_path, tracking_uri, **_sections(False))
    assert result.search is not None
    statuses = {r.status for r in result.search.records}
    assert statuses == {"completed"}
    assert len(result.search.records) == 28


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


def _rung_sweep(tmp_path: Path, tracking_uri: str, **search: object) -> SweepEnding:
    return sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 3},
        search={"trials": 20, "early_stopping": True, **search},
        thresholds={},
    )


def _check_rungs(result: SweepEnding, tracking_uri: str, *, kind: str) -> list[TrialRecord]:
    """Trials stopped at a rung are PRUNED everywhere and never selected; every judged
    trial was measured at the same rungs as the others of its kind."""
    assert result.search is not None and result.selection is not None
    records = result.search.records
    at_rung = [r for r in records if r.status == "pruned" and r.folds_completed == 0]
    assert at_rung, "no trial was stopped at a rung"
    assert all(r.rung_scores and r.objective is None for r in at_rung)
    assert all(key.startswith(f"{kind}:") for r in records for key in r.rung_scores)
    best = result.selection.verdict.best
    assert best.status == "completed" and best.folds_completed == 3
    for record in records:  # a completed trial ran every rung below its own fidelity first
        if record.status == "completed" and record.rung_scores:
            assert record.folds_completed == 3
    state = json.loads((result.paths.root / "sweep.json").read_text())
    pruned = sum(r.status == "pruned" for r in records)
    assert state["sampler_history"].get("PRUNED", 0) == pruned  # told to TPE as pruned
    client = MlflowClient(tracking_uri=tracking_uri)
    runs = {c.data.tags["hpsearch.trial_id"]: c for c in child_runs(client, result)}
    for record in at_rung:
        run = runs[record.trial_id]
        assert run.data.tags["hpsearch.status"] == "pruned"
        history = client.get_metric_history(run.info.run_id, "rung_score")
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == list(
            record.rung_scores.values()
        )
    return records


def test_rounds_rungs_stop_trials_of_ensembles_before_their_first_full_fold(
    tmp_path: Path, tracking_uri: str
) -> None:
    result = _rung_sweep(
        tmp_path,
        tracking_uri,
        spaces=["random_forest", "hist_gradient_boosting"],
        fidelity="rounds",
    )
    records = _check_rungs(result, tracking_uri, kind="rounds")
    for record in records:  # rounds rungs compare trials of one family only
        assert all(key.endswith(f":{record.family}") for key in record.rung_scores)


def test_rows_rungs_judge_every_family_on_the_same_subsample(
    tmp_path: Path, tracking_uri: str
) -> None:
    frame = mixed_classification_frame(n_rows=1800, n_classes=2, seed=7)
    source = tmp_path / "rows.csv"
    frame.to_csv(source, index=False)
    result = sweep(
        tmp_path,
        tracking_uri,
        data={"source": str(source)},
        cv={"folds": 3},
        search={
            "spaces": ["logistic_regression", str(DUMMY)],
            "trials": 20,
            "fidelity": "rows",
        },
        thresholds={},
    )
    records = _check_rungs(result, tracking_uri, kind="rows")
    keys = {key for r in records for key in r.rung_scores}
    assert keys == {"rows:0.1111", "rows:0.3333"}  # the same two rungs for both families
