"""The local Ray a sweep starts: only what a sweep uses, and trial actors on the workers the
raylet prestarted, which imported the trial's modules before any trial (each in a fresh
process, so nothing else in the session is touched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, os, time
import psutil
from hpsearch.tune.runtime import init_ray
from hpsearch.compat.ray_tune import actors_on_prestarted_workers
from ray._private.parameter import RayParams

# a module nothing in a Tune trial imports: in the trial's process only if preloaded
assert init_ray(address=None, preload=["mailbox"]) is True
import ray
from ray import tune

def commands():
    return [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)]

cpus = int(ray.cluster_resources()["CPU"])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:  # the raylet prestarts one idle worker per CPU
    idle = [p.pid for p in psutil.Process().children(recursive=True)
            if p.cmdline()[:1] == ["ray::IDLE"]]  # a worker names itself for what it runs
    if len(idle) >= cpus:
        break
    time.sleep(0.2)

def trial(config):
    import sys
    tune.report({"pid": os.getpid(), "preloaded": "mailbox" in sys.modules})

with actors_on_prestarted_workers():
    grid = tune.Tuner(
        tune.with_resources(trial, {"cpu": 1}),
        param_space={"i": tune.grid_search(list(range(cpus)))},
        tune_config=tune.TuneConfig(reuse_actors=False),
        run_config=tune.RunConfig(storage_path=os.environ["STORAGE"], verbose=0),
    ).fit()
print(json.dumps({
    "commands": commands(),
    "idle": idle,
    "trial_pids": [r.metrics["pid"] for r in grid],
    "preloaded": [r.metrics["preloaded"] for r in grid],
    "monitor_default_after": RayParams().no_monitor,
}))
"""


def test_local_ray_runs_no_monitor_log_monitor_or_api_server_and_actors_reuse_idle_workers(
    tmp_path: object,
) -> None:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "STORAGE": str(tmp_path)}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    commands = " | ".join(seen["commands"])
    assert "gcs_server" in commands and "raylet" in commands
    for skipped in ("autoscaler/_private/monitor.py", "log_monitor.py", "dashboard/dashboard.py"):
        assert skipped not in commands, f"{skipped} was started: {commands}"
    # the raylet's prestarted idle workers ran the trial actors: no process was started for them
    assert seen["idle"] and set(seen["trial_pids"]) <= set(seen["idle"]), seen
    assert seen["preloaded"] and all(seen["preloaded"]), seen  # imported as the worker started
    assert seen["monitor_default_after"] is False  # Ray's own defaults are back after the start
