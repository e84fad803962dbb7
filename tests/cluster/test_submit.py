"""Job submission to a real two-node Ray cluster on loopback with a real MLflow server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import mlflow
import pytest
from conftest import CLUSTER_PASSWORD, CLUSTER_USER, LocalCluster
from mlflow.tracking import MlflowClient
from ray.job_submission import JobSubmissionClient
from sklearn.datasets import load_breast_cancer

from factories import write_sweep
from hpsearch.status import TrialStatus
from hpsearch.store.records import load_records
from integration.mlflow_server import admin_client, create_user, set_password

pytestmark = pytest.mark.cluster


def cli(
    cluster: LocalCluster, cwd: Path, *args: str, timeout: float = 600, token: bool = True
) -> subprocess.CompletedProcess[str]:
    """``hpsearch`` from a submitting shell: no MLflow credentials; the cluster's Ray token
    file (as a user keeps it in ~/.ray/auth_token) unless ``token`` is False."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
    for name in ("RAY_ADDRESS", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(name, None)
    env.pop("RAY_AUTH_TOKEN", None)
    token_path = cluster.env.get("RAY_AUTH_TOKEN_PATH")
    if token and token_path:
        env["RAY_AUTH_TOKEN_PATH"] = token_path
    else:  # a file that does not exist: not even the user's own ~/.ray/auth_token
        env["RAY_AUTH_TOKEN_PATH"] = str(cwd / "no-token")
    return subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sweep_file(tmp_path: Path, cluster: LocalCluster, *, name: str, trials: int) -> Path:
    return write_sweep(
        tmp_path / f"{name}.yaml",
        name=name,
        seed=7,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression", "random_forest"], "trials": trials},
        thresholds={"accuracy": 0.8},
        tracking={"uri": cluster.mlflow_uri, "registered_model": name},
    )


def children(cluster: LocalCluster, parent_run_id: str) -> list[mlflow.entities.Run]:
    client = MlflowClient(tracking_uri=cluster.mlflow_uri)
    parent = client.get_run(parent_run_id)
    return list(
        client.search_runs(
            [parent.info.experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{parent_run_id}'",
            max_results=1000,
        )
    )


def only_sweep(storage: Path) -> Path:
    dirs = [d for d in storage.iterdir() if (d / "sweep.json").exists()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def wait_records(root_parent: Path, count: int, limit: float = 300) -> Path:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if root_parent.exists():
            dirs = [d for d in root_parent.iterdir() if (d / "trials.jsonl").exists()]
            if dirs and len(load_records(dirs[0] / "trials.jsonl")) >= count:
                return dirs[0]
        time.sleep(0.5)
    raise AssertionError(f"{count} trials were not recorded within {limit}s")


def job_id_of(output: str) -> str:
    for word in output.split():
        if word.startswith("raysubmit_"):
            return word
    raise AssertionError(f"no job id in: {output}")


def test_submit_wait_runs_on_both_nodes_and_registers(
    tmp_path: Path, token_cluster: LocalCluster
) -> None:
    trials = 8
    sweep = sweep_file(tmp_path, token_cluster, name="cluster-sweep", trials=trials)
    storage = tmp_path / "sweeps"
    done = cli(
        token_cluster, tmp_path, "submit", str(sweep), "--address", token_cluster.address,
        "--storage", str(storage), "--wait",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SUCCEEDED" in done.stdout
    root = only_sweep(storage)
    state = json.loads((root / "sweep.json").read_text())
    runs = children(token_cluster, state["parent_run_id"])
    assert len(runs) == trials
    assert len({r.data.tags["hpsearch.trial_id"] for r in runs}) == trials
    nodes = Counter(r.data.tags["hpsearch.node_id"] for r in runs)
    assert len(nodes) == 2, f"trials ran on {nodes}: both nodes must be used"
    client = MlflowClient(tracking_uri=token_cluster.mlflow_uri)
    experiment = client.get_experiment_by_name("cluster-sweep")
    assert experiment is not None
    all_runs = client.search_runs([experiment.experiment_id], max_results=1000)
    assert len([r for r in all_runs if "mlflow.parentRunId" not in r.data.tags]) == 1
    version = client.get_model_version_by_alias("cluster-sweep", "candidate")
    mlflow.set_tracking_uri(token_cluster.mlflow_uri)
    model = mlflow.pyfunc.load_model(f"models:/cluster-sweep/{version.version}")
    X = load_breast_cancer(as_frame=True).data.head(20)
    assert len(model.predict(X)) == 20
    artifacts = {a.path for a in client.list_artifacts(state["parent_run_id"], "reports")}
    assert "reports/model_card.md" in artifacts


@pytest.mark.parametrize("how", ["RAY_ADDRESS", "auto"])
def test_run_joins_a_running_ray_instead_of_starting_one(
    tmp_path: Path, token_cluster: LocalCluster, how: str
) -> None:
    """``hpsearch run`` on a machine where Ray already runs: with RAY_ADDRESS set, or with
    ``ray.address: auto`` (the address Ray recorded, else a running GCS found by Ray), the
    sweep's trials run on that cluster's two nodes: no new Ray instance is started."""
    name = f"joined-{how.lower().replace('_', '-')}"
    sweep = sweep_file(tmp_path, token_cluster, name=name, trials=4)
    if how == "auto":
        text = sweep.read_text() + "ray:\n  address: auto\n"
        sweep.write_text(text)
    env = {**token_cluster.env, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("RAY_ADDRESS", None)
    if how == "RAY_ADDRESS":
        env["RAY_ADDRESS"] = "127.0.0.1:6390"  # the token cluster's GCS
    done = subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "run", str(sweep), "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = load_records(only_sweep(tmp_path / "sweeps") / "trials.jsonl")
    assert len(records) == 4
    # a Ray instance of its own would be one node: two node ids are the cluster's nodes
    assert len({r.node_id for r in records}) == 2, "the cluster's two nodes ran the trials"


def test_a_token_cluster_without_its_token_is_a_clear_error_and_leaves_no_sweep(
    tmp_path: Path, token_cluster: LocalCluster
) -> None:
    sweep = sweep_file(tmp_path, token_cluster, name="no-token", trials=2)
    storage = tmp_path / "sweeps"
    submitted = cli(
        token_cluster, tmp_path, "submit", str(sweep), "--address", token_cluster.address,
        "--storage", str(storage), token=False,
    )  # fmt: skip
    assert submitted.returncode == 2, submitted.stdout[-3000:] + submitted.stderr[-3000:]
    assert "uses token authentication" in submitted.stderr and "Fix:" in submitted.stderr
    assert "Traceback" not in submitted.stderr

    env = {**token_cluster.env, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.update(RAY_ADDRESS="127.0.0.1:6390", RAY_AUTH_TOKEN_PATH=str(tmp_path / "no-token"))
    ran = subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "run", str(sweep), "--no-progress",
         "--storage", str(storage)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 2, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "uses token authentication" in ran.stderr and "RAY_AUTH_MODE=token" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not storage.exists() or not any(storage.iterdir()), "no half-written sweep"
    client = MlflowClient(tracking_uri=token_cluster.mlflow_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string="attributes.run_name LIKE 'no-token%'")
    assert runs == [], "nor a parent run left RUNNING"


OWN_MODULE = """
import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin


class Shrink(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    def __init__(self, power=0.5):
        self.power = power

    def fit(self, X, y=None):
        self.scale_ = np.abs(np.asarray(X, dtype=float)).max(axis=0) + 1e-9
        self.n_features_in_ = self.scale_.shape[0]
        return self

    def transform(self, X):
        values = np.asarray(X, dtype=float) / self.scale_
        return np.sign(values) * np.abs(values) ** self.power


def make():
    return Shrink()
"""


def test_own_pipeline_module_is_shipped_to_every_node(
    tmp_path: Path, token_cluster: LocalCluster
) -> None:
    """The module lives only in the submitter's project folder: the nodes import it from
    the job's py_modules, and the registered model carries it (code_paths)."""
    project = tmp_path / "project"
    project.mkdir()
    name = f"own_{tmp_path.name.replace('-', '_')}"
    (project / f"{name}.py").write_text(OWN_MODULE, encoding="utf-8")
    trials = 6
    sweep = write_sweep(
        project / "sweep.yaml",
        name="cluster-own",
        seed=7,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression", "random_forest"], "trials": trials},
        thresholds={"accuracy": 0.8},
        tracking={"uri": token_cluster.mlflow_uri, "registered_model": "cluster-own"},
        pipeline=f"{name}:make",
    )
    storage = tmp_path / "sweeps"
    done = cli(
        token_cluster, tmp_path, "submit", str(sweep), "--address", token_cluster.address,
        "--storage", str(storage), "--wait",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    root = only_sweep(storage)
    records = load_records(root / "trials.jsonl")
    assert len(records) == trials
    assert not [r for r in records if r.status == TrialStatus.FAILED], records
    state = json.loads((root / "sweep.json").read_text())
    runs = children(token_cluster, state["parent_run_id"])
    nodes = Counter(r.data.tags["hpsearch.node_id"] for r in runs)
    assert len(nodes) == 2, f"trials ran on {nodes}: both nodes must import the module"
    assert name not in sys.modules
    mlflow.set_tracking_uri(token_cluster.mlflow_uri)
    model = mlflow.pyfunc.load_model("models:/cluster-own@candidate")
    X = load_breast_cancer(as_frame=True).data.head(20)
    assert len(model.predict(X)) == 20
    assert name in sys.modules  # imported from the model's own code_paths copy


def test_sqlite_tracking_refused_for_remote_address(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "s.yaml", tracking={"uri": "sqlite:///mlflow.db"})
    done = subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "submit", str(sweep), "--address",
         "http://ray-head.example:8265"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "sqlite:///mlflow.db" in done.stderr and "MLflow server" in done.stderr
    assert "Traceback" not in done.stderr


def test_stop_then_resume_on_cluster(tmp_path: Path, token_cluster: LocalCluster) -> None:
    trials = 40  # long enough that the stop lands mid-sweep
    sweep = sweep_file(tmp_path, token_cluster, name="cluster-resume", trials=trials)
    storage = tmp_path / "sweeps"
    submitted = cli(
        token_cluster, tmp_path, "submit", str(sweep), "--address", token_cluster.address,
        "--storage", str(storage),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = job_id_of(submitted.stdout)
    root = wait_records(storage, 3)
    stopped = cli(token_cluster, tmp_path, "job", "stop", job, "--address", token_cluster.address)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 120
    status = ""
    while time.monotonic() < deadline:
        status = cli(
            token_cluster, tmp_path, "job", "status", job, "--address", token_cluster.address
        ).stdout
        if "STOPPED" in status or "FAILED" in status or "SUCCEEDED" in status:
            break
        time.sleep(1)
    assert "STOPPED" in status, status
    state = json.loads((root / "sweep.json").read_text())
    assert state["status"] == "interrupted", state
    before = {r.trial_id for r in load_records(root / "trials.jsonl")}
    assert 3 <= len(before) < trials

    resumed = cli(
        token_cluster, tmp_path, "submit", "--resume", str(root), "--address",
        token_cluster.address, "--wait",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    records = load_records(root / "trials.jsonl")
    assert len(records) == trials and before <= {r.trial_id for r in records}
    runs = children(token_cluster, state["parent_run_id"])
    ids = [r.data.tags["hpsearch.trial_id"] for r in runs]
    assert len(ids) == len(set(ids)) == trials
    assert all(r.info.status in ("FINISHED", "FAILED") for r in runs)
    parent = MlflowClient(tracking_uri=token_cluster.mlflow_uri).get_run(state["parent_run_id"])
    assert parent.info.status == "FINISHED"


def test_lost_worker_node_does_not_lose_the_sweep(
    tmp_path: Path, token_cluster: LocalCluster
) -> None:
    trials = 12
    sweep = sweep_file(tmp_path, token_cluster, name="cluster-lost-node", trials=trials)
    storage = tmp_path / "sweeps"
    submitted = cli(
        token_cluster, tmp_path, "submit", str(sweep), "--address", token_cluster.address,
        "--storage", str(storage),
    )  # fmt: skip
    job = job_id_of(submitted.stdout)
    root = wait_records(storage, 2)
    token_cluster.script("kill-worker")
    followed = cli(
        token_cluster, tmp_path, "job", "logs", job, "--address", token_cluster.address, "--follow"
    )
    assert followed.returncode == 0, followed.stdout[-3000:]
    records = load_records(root / "trials.jsonl")
    assert len(records) == trials
    assert not [r for r in records if r.status == "failed"], (
        "trials on the lost node must be retried"
    )


def test_cluster_without_token_auth_against_basic_auth_mlflow(
    tmp_path: Path, open_cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job's driver authenticates with the head node's MLFLOW_TRACKING_* variables; the
    submitting shell has none. A wrong password is exit 2 before any trial, and the right
    one is written nowhere: sweep directory, job logs, job info, tags, params, artifacts."""
    assert open_cluster.admin_password
    admin = {"uri": open_cluster.mlflow_uri, "admin_password": open_cluster.admin_password}
    create_user(**admin, username=CLUSTER_USER, password="not-the-nodes-password")
    sweep = sweep_file(tmp_path, open_cluster, name="open-cluster", trials=4)
    storage = tmp_path / "sweeps"
    args = ("submit", str(sweep), "--address", open_cluster.address, "--storage", str(storage))
    refused = cli(open_cluster, tmp_path, *args, "--wait")
    assert refused.returncode == 2, refused.stdout[-3000:] + refused.stderr[-3000:]
    assert "refused" in refused.stdout and "MLFLOW_TRACKING_PASSWORD" in refused.stdout
    assert "Trial" not in refused.stdout and not storage.exists()

    set_password(**admin, username=CLUSTER_USER, password=CLUSTER_PASSWORD)
    done = cli(open_cluster, tmp_path, *args, "--wait")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    root = only_sweep(storage)
    client = admin_client(
        uri=open_cluster.mlflow_uri, admin_password=open_cluster.admin_password,
        monkeypatch=monkeypatch,
    )  # fmt: skip
    runs = children(open_cluster, json.loads((root / "sweep.json").read_text())["parent_run_id"])
    assert len(runs) == 4
    parent = client.get_run(runs[0].data.tags["mlflow.parentRunId"])

    secret = CLUSTER_PASSWORD
    job = job_id_of(done.stdout)
    logs = cli(open_cluster, tmp_path, "job", "logs", job, "--address", open_cluster.address)
    info = JobSubmissionClient(open_cluster.address).get_job_info(job)
    assert secret not in done.stdout + done.stderr + logs.stdout + repr(info)
    files = [p for p in root.rglob("*") if p.is_file()]
    files += [p for p in (open_cluster.state_dir / "mlflow" / "artifacts").rglob("*")]
    head_tmp = Path((open_cluster.state_dir / "head_tmp").read_text().strip())
    ray_logs = [p for p in head_tmp.rglob("*") if "logs" in p.parts and p.is_file()]
    assert len(ray_logs) > 10  # Ray's own logs of the head, the job driver's among them
    files += ray_logs
    assert not [p for p in files if p.is_file() and secret.encode() in p.read_bytes()]
    for run in [parent, *runs]:
        values = [*run.data.tags.values(), *run.data.params.values()]
        assert not [v for v in values if secret in v], run.info.run_id
