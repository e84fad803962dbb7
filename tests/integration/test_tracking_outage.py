"""A real `mlflow server` that goes away in the middle of a sweep: for 30 s (MLflow's own
retries cover it), for longer than the retries, or before the sweep starts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow_server import MlflowServer, free_port
from processes import hpsearch, start, sweep_dir, wait_for_records

from factories import write_sweep

pytestmark = pytest.mark.integration
TRIALS = 20
# Fail fast once the server is gone: one retry, one second apart (MLflow's default is 7).
SHORT_RETRIES = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}


def _sweep(folder: Path, *, trials: int) -> Path:
    return write_sweep(
        folder / "sweep.yaml",
        name="outage",
        cv={"folds": 3},
        search={
            "spaces": ["logistic_regression", "random_forest"],
            "trials": trials,
            "early_stopping": False,
        },
        thresholds={},
        tracking={"experiment": "outage"},
    )


def _runs(uri: str) -> tuple[list, list]:
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("outage")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    return parents, children


def _one_child_per_trial(children: list, trials: int) -> None:
    ids = [r.data.tags["hpsearch.trial_id"] for r in children]
    assert len(ids) == trials, (len(ids), trials)
    assert len(set(ids)) == trials  # exactly once each
    assert all(r.info.status == "FINISHED" for r in children)


def test_server_away_for_30_s_is_survived(tmp_path: Path) -> None:
    server = MlflowServer(tmp_path / "server")
    server.start()
    try:
        proc = start(tmp_path, "run", str(_sweep(tmp_path, trials=30)), "--no-progress",
                     "--tracking-uri", server.uri, "--storage", "sweeps")  # fmt: skip
        wait_for_records(tmp_path / "sweeps", 4, proc, limit=300)
        server.stop()
        time.sleep(30)
        server.start()
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
        parents, children = _runs(server.uri)
        assert [p.info.status for p in parents] == ["FINISHED"]
        _one_child_per_trial(children, 30)
    finally:
        server.stop()


def test_server_gone_for_good_ends_resumable_then_sync_and_resume(tmp_path: Path) -> None:
    server = MlflowServer(tmp_path / "server")
    server.start()
    storage = tmp_path / "sweeps"
    try:
        proc = start(tmp_path, "run", str(_sweep(tmp_path, trials=TRIALS)), "--no-progress",
                     "--tracking-uri", server.uri, "--storage", "sweeps",
                     env=SHORT_RETRIES)  # fmt: skip
        wait_for_records(storage, 3, proc, limit=300)
        server.stop()
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 130, out + err
        assert "Traceback" not in out + err
        assert "unavailable" in out and "Nothing is lost" in out
        folder = sweep_dir(storage)
        state = json.loads((folder / "sweep.json").read_text())
        assert state["status"] == "interrupted"
        assert f"sync {folder.resolve()}" in state["message"]
        lines = (folder / "trials.jsonl").read_text().splitlines()
        assert len(lines) == TRIALS  # the trials went on without the server

        server.start()
        _, before = _runs(server.uri)
        assert len(before) < TRIALS  # some child runs really were missing
        synced = hpsearch(tmp_path, "sync", str(folder))
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert f"{TRIALS - len(before)} child runs written" in synced.stdout
        parents, children = _runs(server.uri)
        assert [p.info.status for p in parents] == ["KILLED"]
        _one_child_per_trial(children, TRIALS)
        again = hpsearch(tmp_path, "sync", str(folder))
        assert again.returncode == 0 and "0 child runs written" in again.stdout, again.stdout

        resumed = hpsearch(tmp_path, "resume", str(folder), "--no-progress")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        parents, children = _runs(server.uri)
        assert [p.info.status for p in parents] == ["FINISHED"]
        _one_child_per_trial(children, TRIALS)
        final = json.loads((folder / "sweep.json").read_text())
        assert final["status"] == "completed" and final["model_version"]
    finally:
        server.stop()


def test_server_down_at_start_is_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = hpsearch(tmp_path, "run", str(_sweep(tmp_path, trials=2)), "--no-progress",
                    "--tracking-uri", uri, "--storage", "sweeps", env=SHORT_RETRIES)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot be reached" in done.stderr and uri in done.stderr
    assert "Traceback" not in done.stderr
    sweeps = tmp_path / "sweeps"
    assert not sweeps.exists() or not any(sweeps.iterdir())


def test_sqlite_store_that_cannot_open_is_bad_input_and_leaves_nothing(tmp_path: Path) -> None:
    # a local SQLite store is opened while the first trials run (start-up, issue 15): one
    # that cannot be opened still ends the command in exit 2 with nothing kept
    database = tmp_path / "store-is-a-folder.db"
    (database / "inside").mkdir(parents=True)
    uri = f"sqlite:///{database}"
    done = hpsearch(tmp_path, "run", str(_sweep(tmp_path, trials=4)), "--no-progress",
                    "--tracking-uri", uri, "--storage", "sweeps")  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot be reached or written" in done.stderr and str(database) in done.stderr
    assert "Traceback" not in done.stderr
    sweeps = tmp_path / "sweeps"
    assert not sweeps.exists() or not any(sweeps.iterdir())
