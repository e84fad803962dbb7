"""A real two-node Ray cluster on 127.0.0.1 plus an MLflow server, started by the tests.

Started with scripts/local_cluster.sh (head and worker: one CPU each, separate temp dirs
and ports) and stopped by process id; nothing else on the host is touched.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from state_home import private_state_home  # noqa: F401  (autouse, session)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "local_cluster.sh"


@dataclass(frozen=True)
class LocalCluster:
    address: str
    mlflow_uri: str
    state_dir: Path
    env: dict[str, str]
    admin_password: str | None = None  # set when MLflow runs --app-name basic-auth

    def script(self, command: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise RuntimeError(f"local_cluster.sh {command} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def node_processes(self) -> list[str]:
        """Processes still naming one of this cluster's temp dirs."""
        found = []
        for name in ("head_tmp", "worker_tmp"):
            marker = self.state_dir / name
            if marker.exists():
                tmp = marker.read_text().strip()
                out = subprocess.run(["pgrep", "-f", tmp], capture_output=True, text=True)
                found += out.stdout.split()
        return found


def start_cluster(
    tmp: Path, *, port: int, auth: str, mlflow_auth: dict[str, str] | None = None
) -> LocalCluster:
    """``mlflow_auth``: the basic-auth admin password and the nodes' MLflow credentials."""
    env = {
        **os.environ,
        "HPS_CLUSTER_DIR": str(tmp),
        "HPS_RAY_PORT": str(port),
        "HPS_DASHBOARD_PORT": str(port + 1885),
        "HPS_MLFLOW_PORT": str(port - 1335),
        "HPS_RAY_AUTH": auth,
        "PYTHON_BIN_DIR": str(Path(os.sys.executable).parent),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "RAY_AUTH_TOKEN"):
        env.pop(name, None)
    if auth == "token":  # the cluster's own token (written by `up`), not the user's ~/.ray
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(tmp / "auth_token"))
    else:
        env.pop("RAY_AUTH_TOKEN_PATH", None)
    if mlflow_auth:
        env.update(HPS_MLFLOW_AUTH="basic", **mlflow_auth)
    cluster = LocalCluster(
        address=f"http://127.0.0.1:{port + 1885}",
        mlflow_uri=f"http://127.0.0.1:{port - 1335}",
        state_dir=tmp,
        env=env,
        admin_password=(mlflow_auth or {}).get("HPS_MLFLOW_ADMIN_PASSWORD"),
    )
    cluster.script("up")
    return cluster


def stop_cluster(cluster: LocalCluster) -> None:
    cluster.script("down")
    leftover = cluster.node_processes()
    assert not leftover, f"processes left behind by the local cluster: {leftover}"


@pytest.fixture(scope="module")
def token_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Two nodes with Ray token authentication (what Ray 2.60 uses for local clusters)."""
    cluster = start_cluster(tmp_path_factory.mktemp("cluster-token"), port=6390, auth="token")
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


CLUSTER_USER = "sweeper"
CLUSTER_PASSWORD = f"pw-{secrets.token_hex(12)}"


@pytest.fixture()
def open_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Two nodes without Ray token authentication; MLflow with basic-auth, whose credentials
    (user ``CLUSTER_USER``, not yet created) live only in the nodes' environment."""
    mlflow_auth = {
        "HPS_MLFLOW_ADMIN_PASSWORD": f"admin-{secrets.token_hex(8)}",
        "MLFLOW_TRACKING_USERNAME": CLUSTER_USER,
        "MLFLOW_TRACKING_PASSWORD": CLUSTER_PASSWORD,
    }
    cluster = start_cluster(
        tmp_path_factory.mktemp("cluster-open"), port=7390, auth="disabled", mlflow_auth=mlflow_auth
    )
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
