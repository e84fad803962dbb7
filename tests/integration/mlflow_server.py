"""A real `mlflow server` on 127.0.0.1, started, stopped and restarted by its process id."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

MLFLOW = Path(sys.executable).parent / "mlflow"
ADMIN = "admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MlflowServer:
    """One server process at a time on a fixed port and store (restarts keep both)."""

    def __init__(self, folder: Path, *, admin_password: str | None = None) -> None:
        """``admin_password``: run ``--app-name basic-auth`` with that admin password."""
        self.folder = folder
        self.port = free_port()
        self.admin_password = admin_password
        self.secret_key = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        (folder / "artifacts").mkdir(parents=True, exist_ok=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, env: dict[str, str] | None = None) -> None:
        command = [
            str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(self.port),
            "--backend-store-uri", f"sqlite:///{self.folder / 'mlflow.db'}",
            "--artifacts-destination", str(self.folder / "artifacts"), "--workers", "1",
        ]  # fmt: skip
        server_env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
        if self.admin_password:  # the auth store is basic_auth.db in the cwd (its default)
            command += ["--app-name", "basic-auth"]
            server_env["MLFLOW_AUTH_ADMIN_PASSWORD"] = self.admin_password
            server_env["MLFLOW_FLASK_SERVER_SECRET_KEY"] = self.secret_key
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen(
            command,
            cwd=self.folder,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_up()

    def _wait_up(self, limit: float = 90) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"mlflow server exited:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"mlflow server not up after {limit} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """Stop the server and every process it started (its own process group)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # workers gone, port free
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def admin_call(*, uri: str, admin_password: str, method: str, path: str, body: dict) -> int:
    """One request to a basic-auth server's user API as its admin; returns the status."""
    token = base64.b64encode(f"{ADMIN}:{admin_password}".encode()).decode()
    request = urllib.request.Request(
        f"{uri}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(answer.status)


def create_user(*, uri: str, admin_password: str, username: str, password: str) -> None:
    body = {"username": username, "password": password}
    path = "/api/2.0/mlflow/users/create"
    assert admin_call(uri=uri, admin_password=admin_password, method="POST", path=path, body=body)


def set_password(*, uri: str, admin_password: str, username: str, password: str) -> None:
    body = {"username": username, "password": password}
    path = "/api/2.0/mlflow/users/update-password"
    assert admin_call(uri=uri, admin_password=admin_password, method="PATCH", path=path, body=body)


def admin_client(*, uri: str, admin_password: str, monkeypatch: Any) -> Any:
    """An ``MlflowClient`` acting as the basic-auth server's admin (credentials set in this
    process's environment for the test, through ``monkeypatch``)."""
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", admin_password)
    return MlflowClient(tracking_uri=uri)
