"""Sweeps that share one SQLite store: created at once in a new folder, or a resume beside
a run. Real CLI processes, each with its own local Ray."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from processes import start
from test_legacy_sweep import _relocate

from factories import write_sweep

pytestmark = pytest.mark.integration
TRIALS = 3


def _sweep(folder: Path, name: str) -> Path:
    return write_sweep(
        folder / f"{name}.yaml",
        name=name,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": TRIALS, "early_stopping": False},
        thresholds={},
        tracking={"experiment": name},
    )


def _runs_per_experiment(client: MlflowClient, name: str) -> tuple[int, int]:
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None, name
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert all(r.info.status == "FINISHED" for r in runs)
    trial_ids = [r.data.tags["hpsearch.trial_id"] for r in children]
    assert len(trial_ids) == len(set(trial_ids))  # no child run twice
    return len(runs) - len(children), len(trial_ids)


def test_three_sweeps_started_at_once_in_a_new_folder(tmp_path: Path) -> None:
    names = ("first", "second", "third")
    paths = [_sweep(tmp_path, name) for name in names]
    assert not (tmp_path / "mlflow.db").exists()  # the default store does not exist yet
    procs = [start(tmp_path, "run", str(p), "--no-progress") for p in paths]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out + err
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    for name in names:
        assert _runs_per_experiment(client, name) == (1, TRIALS)


def test_a_resume_beside_a_run_on_one_store(tmp_path: Path) -> None:
    legacy = _relocate(tmp_path)  # an interrupted sweep (3 of 8 trials) and its store
    fresh = _sweep(tmp_path, "beside")
    procs = [
        start(tmp_path, "resume", str(legacy), "--no-progress"),
        start(tmp_path, "run", str(fresh), "--no-progress"),
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out + err
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert _runs_per_experiment(client, "legacy") == (1, 8)
    assert _runs_per_experiment(client, "beside") == (1, TRIALS)
