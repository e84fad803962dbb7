"""Interrupted sweeps: SIGKILL of the whole process group and Ctrl-C, then `hpsearch resume`.

Real processes, real signals, real local Ray and a real MLflow SQLite store.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from processes import hpsearch, kill_group, start, sweep_dir, wait_for_records, wait_no_group

from factories import write_sweep
from hpsearch.store.records import load_records

pytestmark = pytest.mark.integration

TRIALS = 30  # long enough that the signal lands mid-sweep
REGISTERED = "resumable"


def _sweep(tmp_path: Path, *, trials: int = TRIALS) -> Path:
    return write_sweep(
        tmp_path / "sweep.yaml",
        name="resumable",
        seed=3,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression", "random_forest"], "trials": trials},
        thresholds={"accuracy": 0.8},
        tracking={"uri": f"sqlite:///{tmp_path / 'mlflow.db'}", "registered_model": "resumable"},
    )


def _raw_trial_lines(root: Path) -> list[dict[str, object]]:
    lines = (root / "trials.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip().endswith("}")]


def assert_complete(root: Path, *, trials: int, before: list[str]) -> None:
    """Budget met exactly, one child per trial, nothing RUNNING, nothing run twice."""
    state = json.loads((root / "sweep.json").read_text())
    records = load_records(root / "trials.jsonl")
    assert len(records) == trials
    ids = [str(row["trial_id"]) for row in _raw_trial_lines(root)]
    assert len(ids) == len(set(ids)) == trials, "a trial was recorded twice"
    assert set(before) <= set(ids), "a trial finished before the interruption was lost"
    configs = Counter(json.dumps(r.config, sort_keys=True) for r in records)
    assert max(configs.values()) == 1, "the same configuration ran twice"
    history = state["sampler_history"]
    assert sum(history.values()) == trials and set(history) <= {"COMPLETE", "PRUNED", "FAIL"}
    client = MlflowClient(tracking_uri=state["tracking_uri"])
    parent = client.get_run(state["parent_run_id"])
    assert parent.info.status == "FINISHED"
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{state['parent_run_id']}'",
        max_results=1000,
    )
    child_ids = [c.data.tags["hpsearch.trial_id"] for c in children]
    assert sorted(child_ids) == sorted(ids)
    assert all(c.info.status in ("FINISHED", "FAILED") for c in children)
    all_runs = client.search_runs([parent.info.experiment_id], max_results=1000)
    assert not [r for r in all_runs if r.info.status == "RUNNING"]
    assert len([r for r in all_runs if "mlflow.parentRunId" not in r.data.tags]) == 1
    assert state["status"] == "completed"


def test_sigkill_of_process_group_then_resume(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path)
    storage = tmp_path / "sweeps"
    proc = start(tmp_path, "run", str(sweep), "--storage", str(storage), "--no-progress")
    wait_for_records(storage, 4, proc, limit=240)
    kill_group(proc, signal.SIGKILL)
    proc.wait(timeout=30)
    wait_no_group(proc.pid)
    root = sweep_dir(storage)
    before = [r.trial_id for r in load_records(root / "trials.jsonl")]
    assert 4 <= len(before) < TRIALS
    listed = hpsearch(tmp_path, "ls", "--storage", str(storage))
    assert "interrupted" in listed.stdout and f"/{TRIALS}" in listed.stdout

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # resume from another working directory
    resumed = hpsearch(elsewhere, "resume", str(root), "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_complete(root, trials=TRIALS, before=before)
    # what it printed is true, and its next steps work when pasted (issue 16)
    assert f"(models:/{REGISTERED}@candidate)" in resumed.stdout
    venv_bin = Path(sys.executable).parent
    assert f"open the MLflow UI: {venv_bin / 'mlflow'} ui --backend-store-uri" in resumed.stdout
    assert f"{venv_bin / 'hpsearch'} validate --model-uri models:/{REGISTERED}@candidate" in (
        resumed.stdout
    )

    again = hpsearch(tmp_path, "resume", str(root), "--no-progress")
    assert again.returncode == 0
    assert "already finished" in again.stdout
    assert len(load_records(root / "trials.jsonl")) == TRIALS

    extended = hpsearch(tmp_path, "resume", str(root), "--trials", str(TRIALS + 4), "--no-progress")
    assert extended.returncode == 0, extended.stdout + extended.stderr
    assert_complete(root, trials=TRIALS + 4, before=before)
    listed = hpsearch(tmp_path, "ls", "--storage", str(storage))
    assert "completed" in listed.stdout and f"{TRIALS + 4}/{TRIALS + 4}" in listed.stdout
    assert "passed" in listed.stdout  # the verdict, and the registered version next to it
    # `ls` without --storage, from a folder with no sweeps/: the storage the run remembered
    anywhere = hpsearch(elsewhere, "ls")
    assert str(storage) in anywhere.stdout and "passed" in anywhere.stdout, anywhere.stdout


def test_ctrl_c_exits_130_and_resumes(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path)
    storage = tmp_path / "sweeps"
    proc = start(tmp_path, "run", str(sweep), "--storage", str(storage), "--no-progress")
    wait_for_records(storage, 3, proc, limit=240)
    sent = time.monotonic()
    kill_group(proc, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 30
    assert proc.returncode == 130, out + err
    root = sweep_dir(storage)
    assert f"hpsearch resume {root}" in out
    state = json.loads((root / "sweep.json").read_text())
    assert state["status"] == "interrupted"
    client = MlflowClient(tracking_uri=state["tracking_uri"])
    assert client.get_run(state["parent_run_id"]).info.status == "KILLED"
    before = [r.trial_id for r in load_records(root / "trials.jsonl")]
    recorded = load_records(root / "trials.jsonl")
    if sum(r.status == "completed" for r in recorded) < 5:
        # the stopping rule needs 5 completed trials: anything else cut short was the
        # interrupt, and such trials must not be recorded (resume runs them again)
        assert all(r.status == "completed" for r in recorded)
    wait_no_group(proc.pid)

    resumed = hpsearch(tmp_path, "resume", str(root), "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_complete(root, trials=TRIALS, before=before)


def test_retry_failed_reruns_failed_configs(tmp_path: Path) -> None:
    space = tmp_path / "fragile_knn.yaml"
    space.write_text(
        "family: fragile_knn\n"
        "estimator: sklearn.neighbors.KNeighborsClassifier\n"
        "params:\n"
        "  model__n_neighbors: {type: int, low: 5, high: 600}\n"
    )
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        name="fragile",
        cv={"folds": 3},
        search={
            "spaces": ["fragile_knn.yaml"],
            "trials": 8,
            "max_failure_fraction": 1.0,
            "early_stopping": False,
        },
        thresholds={},
        tracking={"uri": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )
    storage = tmp_path / "sweeps"
    first = hpsearch(tmp_path, "run", str(sweep), "--storage", str(storage), "--no-progress")
    root = sweep_dir(storage)
    records = load_records(root / "trials.jsonl")
    failed = [r for r in records if r.status == "failed"]
    assert first.returncode in (0, 4) and failed and len(records) == 8

    retried = hpsearch(tmp_path, "resume", str(root), "--retry-failed", "--no-progress")
    assert retried.returncode in (0, 4), retried.stdout + retried.stderr
    state = json.loads((root / "sweep.json").read_text())
    assert sorted(state["excluded_trials"]) == sorted(r.trial_id for r in failed)
    after = load_records(root / "trials.jsonl")
    new = [r for r in after if r.trial_id not in {x.trial_id for x in records}]
    assert len(new) == len(failed)
    assert sorted(r.params["model__n_neighbors"] for r in new) == sorted(
        r.params["model__n_neighbors"] for r in failed
    )


def _no_running_runs(tracking_uri: str) -> None:
    client = MlflowClient(tracking_uri=tracking_uri)
    experiments = client.search_experiments()
    runs = client.search_runs([e.experiment_id for e in experiments], max_results=1000)
    assert not [r.info.run_id for r in runs if r.info.status == "RUNNING"]


@pytest.mark.parametrize("moment", ["preparing", "sweep directory just made"])
def test_sigterm_in_the_first_seconds_leaves_nothing_or_a_resumable_sweep(
    tmp_path: Path, moment: str
) -> None:
    """Issue 16 item 8: SIGTERM before the search's own handler exists."""
    storage = tmp_path / "sweeps"
    proc = start(tmp_path, "run", str(_sweep(tmp_path, trials=8)), "--storage", str(storage),
                 "--no-progress")  # fmt: skip
    if moment == "preparing":
        time.sleep(2.0)  # past the imports, before the sweep directory
    else:
        deadline = time.monotonic() + 120
        while not list(storage.glob("*/sweep.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)  # the driver only, as `ray job stop` does
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    wait_no_group(proc.pid)
    roots = [d for d in storage.iterdir() if d.is_dir()] if storage.exists() else []
    if not roots:
        assert "nothing to resume" in err
    else:
        state = json.loads((sweep_dir(storage) / "sweep.json").read_text())
        assert state["status"] == "interrupted", state
        assert "Resume with" in out
    if (tmp_path / "mlflow.db").exists():
        _no_running_runs(f"sqlite:///{tmp_path / 'mlflow.db'}")


def _forget_parent(root: Path, *, status: str) -> str:
    """sweep.json as a driver killed while the store was being opened leaves it."""
    state = json.loads((root / "sweep.json").read_text())
    parent = str(state["parent_run_id"])
    state.update(parent_run_id="", status=status, pid=None)
    (root / "sweep.json").write_text(json.dumps(state))
    return parent


def test_a_sweep_json_without_its_parent_run_is_resumed_and_synced(tmp_path: Path) -> None:
    """The parent run is opened while the first trials run (issue 15): a driver killed
    before sweep.json had its id leaves a sweep that resume and sync still close properly."""
    storage = tmp_path / "sweeps"
    done = hpsearch(tmp_path, "run", str(_sweep(tmp_path, trials=4)), "--storage", str(storage),
                    "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    root = sweep_dir(storage)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    parent = _forget_parent(root, status="interrupted")
    # resume finds the run tagged with this sweep directory: no second parent run
    resumed = hpsearch(tmp_path, "resume", str(root), "--trials", "6", "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json.loads((root / "sweep.json").read_text())["parent_run_id"] == parent
    experiment = client.get_experiment_by_name("resumable")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    assert [r.info.run_id for r in runs if "mlflow.parentRunId" not in r.data.tags] == [parent]
    # the parent run gone as well: sync makes a new one, tagged, and puts every trial under it
    _forget_parent(root, status="interrupted")
    client.delete_run(parent)
    synced = hpsearch(tmp_path, "sync", str(root))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    recovered = json.loads((root / "sweep.json").read_text())["parent_run_id"]
    assert recovered and recovered != parent
    run = client.get_run(recovered)
    assert "hpsearch.recovered" in run.data.tags and run.info.status == "KILLED"
    children = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{recovered}'"
    )
    assert len(children) == 6
    _no_running_runs(uri)
