"""A sweep directory written by hpsearch 0.1 still lists and resumes (tests/fixtures)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from processes import hpsearch

from hpsearch.store.records import load_records

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy-0.1"
WRITTEN_AT = "/tmp/bl/fixture"

pytestmark = pytest.mark.integration


def _relocate(tmp_path: Path) -> Path:
    """Copy the fixture and point its absolute paths at the copy; return the sweep dir."""
    for name in ("mlflow.db", "mlartifacts", "sweeps", "sweep.yaml"):
        source = FIXTURE / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copyfile(source, tmp_path / name)
    sweep_dir = next((tmp_path / "sweeps").iterdir())
    state_file = sweep_dir / "sweep.json"
    state = json.loads(state_file.read_text())
    assert "schema_version" not in state  # really the 0.1 layout
    for key in ("tracking_uri", "sweep_file"):
        state[key] = state[key].replace(WRITTEN_AT, str(tmp_path))
    state_file.write_text(json.dumps(state, indent=2, sort_keys=True))
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        db.execute(
            "UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)",
            (WRITTEN_AT, str(tmp_path)),
        )
        db.execute(
            "UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)",
            (WRITTEN_AT, str(tmp_path)),
        )
    return sweep_dir


def test_a_0_1_sweep_lists_and_resumes(tmp_path: Path) -> None:
    sweep_dir = _relocate(tmp_path)
    assert len(load_records(sweep_dir / "trials.jsonl")) == 3

    listed = hpsearch(tmp_path, "ls", "--storage", "sweeps")
    assert listed.returncode == 0, listed.stderr
    assert "legacy" in listed.stdout and "interrupted" in listed.stdout and "3/8" in listed.stdout

    resumed = hpsearch(tmp_path, "resume", str(sweep_dir), "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "PASSED" in resumed.stdout
    assert "Leaderboard (top 8 of 8, CV" in resumed.stdout  # not "top 10 of 8"
    assert "(models:/legacy@candidate)" in resumed.stdout  # the registry URI, not m-<id>
    records = load_records(sweep_dir / "trials.jsonl")
    assert len(records) == 8 and len({r.trial_id for r in records}) == 8
    state = json.loads((sweep_dir / "sweep.json").read_text())
    assert state["status"] == "completed" and state["schema_version"] == 1
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    parent = client.get_run(state["parent_run_id"])
    assert parent.info.status == "FINISHED"
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{state['parent_run_id']}'",
    )
    assert sorted(c.data.tags["hpsearch.trial_id"] for c in children) == sorted(
        r.trial_id for r in records
    )
    assert all(c.info.status == "FINISHED" for c in children)
