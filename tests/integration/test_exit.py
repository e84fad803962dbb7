"""The CLI's last step: a local Ray started in the background is gone with the process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

SCRIPT = """
import psutil, sys
from hpsearch.tune.runtime import RayStart, exit_process

start = RayStart.begin(address=None)
start.wait()
import ray

@ray.remote(num_cpus=1)
def ping() -> int:
    return 1

assert ray.get(ping.remote()) == 1  # the local instance works after its thread parked
pids = [p.pid for p in psutil.Process().children(recursive=True)]
print(" ".join(map(str, pids)), flush=True)
exit_process(3)
"""


def test_exit_process_keeps_the_code_and_leaves_no_ray_process() -> None:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 3, done.stderr[-3000:]
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) >= 3  # at least the GCS, the raylet and a worker
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if _running(pid)]
        time.sleep(0.2)
    assert alive == [], f"Ray processes left behind: {alive}"


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
