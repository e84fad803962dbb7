"""A real `mlflow server --app-name basic-auth`: credentials come from the environment, a
wrong one is exit 2 before anything is written, and the password is written nowhere."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow_server import MlflowServer, admin_client, create_user, set_password
from processes import hpsearch, start, sweep_dir, wait_for_records

from factories import write_sweep
from hpsearch.store.records import load_records

pytestmark = pytest.mark.integration
TRIALS = 4
USER = "sweeper"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    running = MlflowServer(
        tmp_path_factory.mktemp("auth-server"), admin_password=f"admin-{secrets.token_hex(8)}"
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def password(server: MlflowServer) -> str:
    value = f"pw-{secrets.token_hex(12)}"
    assert server.admin_password
    create_user(uri=server.uri, admin_password=server.admin_password, username=USER, password=value)
    return value


def _sweep(folder: Path, *, experiment: str, trials: int = TRIALS) -> Path:
    return write_sweep(
        folder / "sweep.yaml",
        name="auth",
        search={
            "spaces": ["logistic_regression", "random_forest"],
            "trials": trials,
            "early_stopping": False,
        },
        thresholds={"accuracy": 0.8},
        tracking={"experiment": experiment, "registered_model": "auth-model"},
    )


def _as(user: str, password: str) -> dict[str, str]:
    return {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": password}


def _admin(server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    assert server.admin_password
    return admin_client(
        uri=server.uri, admin_password=server.admin_password, monkeypatch=monkeypatch
    )


def test_wrong_password_is_exit_2_and_writes_nothing(
    tmp_path: Path, server: MlflowServer, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = f"wrong-{secrets.token_hex(6)}"
    done = hpsearch(
        tmp_path, "run", str(_sweep(tmp_path, experiment="auth-wrong")), "--no-progress",
        "--tracking-uri", server.uri, "--storage", "sweeps", env=_as(USER, wrong),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused" in done.stderr and "HTTP 401" in done.stderr
    assert "MLFLOW_TRACKING_PASSWORD" in done.stderr and f"'{USER}'" in done.stderr
    assert "Traceback" not in done.stderr and wrong not in done.stdout + done.stderr
    assert not (tmp_path / "sweeps").exists()
    assert _admin(server, monkeypatch).get_experiment_by_name("auth-wrong") is None


def test_read_only_user_is_exit_2_and_leaves_no_sweep_directory(
    tmp_path: Path, server: MlflowServer, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the admin's experiment: other users get the server's default permission, READ
    admin = _admin(server, monkeypatch)
    experiment = admin.create_experiment("auth-read-only")
    done = hpsearch(
        tmp_path, "run", str(_sweep(tmp_path, experiment="auth-read-only")), "--no-progress",
        "--tracking-uri", server.uri, "--storage", "sweeps", env=_as(USER, password),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "HTTP 403" in done.stderr and "EDIT permission" in done.stderr
    assert "Traceback" not in done.stderr
    assert not list((tmp_path / "sweeps").iterdir())  # the new directory was removed
    assert not admin.search_runs([experiment])


def test_sweep_as_a_user_writes_the_password_nowhere(
    tmp_path: Path, server: MlflowServer, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = hpsearch(
        tmp_path, "run", str(_sweep(tmp_path, experiment="auth")),
        "--verbose", "--tracking-uri", server.uri, "--storage", "sweeps",
        env=_as(USER, password),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # progress into a pipe (issue 16 item 5): plain lines, the final one exactly once
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("trials ")]
    assert sum(ln.startswith(f"trials {TRIALS}/{TRIALS} done") for ln in lines) == 1, lines
    assert all(a != b for a, b in pairwise(lines)), lines
    admin = _admin(server, monkeypatch)
    experiment = admin.get_experiment_by_name("auth")
    assert experiment is not None
    runs = admin.search_runs([experiment.experiment_id], max_results=100)
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(runs) - len(children) == 1 and len(children) == TRIALS
    assert admin.get_model_version_by_alias("auth-model", "candidate").version == "1"

    secret = password.encode()
    assert secret not in (done.stdout + done.stderr).encode()
    written = [p for p in (tmp_path / "sweeps").rglob("*") if p.is_file()]
    written += [p for p in (server.folder / "artifacts").rglob("*") if p.is_file()]
    assert len(written) > 10
    assert not [p for p in written if secret in p.read_bytes()]
    for run in runs:
        values = [*run.data.tags.values(), *run.data.params.values()]
        assert not [v for v in values if password in v], run.info.run_id
    assert sweep_dir(tmp_path / "sweeps").name.startswith("auth-")


def test_password_changed_mid_sweep_ends_resumable_and_sync_writes_the_runs(
    tmp_path: Path, server: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.admin_password
    admin = {"uri": server.uri, "admin_password": server.admin_password}
    old, new = f"old-{secrets.token_hex(6)}", f"new-{secrets.token_hex(6)}"
    create_user(**admin, username="rotating", password=old)
    proc = start(
        tmp_path, "run", str(_sweep(tmp_path, experiment="auth-rotating", trials=24)),
        "--no-progress", "--tracking-uri", server.uri, "--storage", "sweeps",
        env={**_as("rotating", old), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1"},
    )  # fmt: skip
    wait_for_records(tmp_path / "sweeps", 2, proc, limit=300)
    set_password(**admin, username="rotating", password=new)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, out + err
    assert "HTTP 401" in out + err and " sync " in out + err, out + err
    assert old not in out + err and "Traceback" not in err
    root = sweep_dir(tmp_path / "sweeps")
    done = len(load_records(root / "trials.jsonl"))
    assert done == 24

    synced = hpsearch(tmp_path, "sync", str(root), env=_as("rotating", new))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    client = _admin(server, monkeypatch)
    experiment = client.get_experiment_by_name("auth-rotating")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    ids = [r.data.tags["hpsearch.trial_id"] for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(ids) == len(set(ids)) == done
