"""Drive the real `hpsearch` CLI in its own process group, as a terminal would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hpsearch.store.records import load_records


def cli_env() -> dict[str, str]:
    return {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
    }


def hpsearch(
    cwd: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", *args],
        cwd=cwd,
        env={**cli_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the CLI as the leader of a new process group (like a terminal job)."""
    return subprocess.Popen(
        [sys.executable, "-m", "hpsearch.cli", *args],
        cwd=cwd,
        env={**cli_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def sweep_dir(storage: Path) -> Path:
    dirs = [d for d in storage.iterdir() if d.is_dir()] if storage.exists() else []
    if len(dirs) != 1:
        raise AssertionError(f"expected one sweep directory in {storage}, found {dirs}")
    return dirs[0]


def wait_for_records(storage: Path, count: int, proc: subprocess.Popen[str], limit: float) -> int:
    """Block until ``trials.jsonl`` holds ``count`` records; fail if the run ends first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended early ({proc.returncode}):\n{out}\n{err}")
        try:
            found = len(load_records(sweep_dir(storage) / "trials.jsonl"))
        except AssertionError:
            found = 0
        if found >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} trials recorded after {limit}s")


def kill_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    os.killpg(proc.pid, sig)


def wait_no_group(pgid: int, limit: float = 30) -> None:
    """Wait until no process of the group is left (Ray's own processes included)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)
