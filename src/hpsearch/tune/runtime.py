"""Starting or joining Ray for a sweep, in the background while the driver gets ready.

Ray's start-up (a local instance: the GCS, a raylet and prestarted workers; about 4-5 s
on 2 cores) needs none of the sweep's other set-up. ``RayStart.begin`` runs it in a
thread; the driver meanwhile imports the search stack, checks the data, writes the sweep
directory and opens the MLflow parent run, and ``RayStart.wait`` joins before the first
trial is scheduled.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from hpsearch.compat.ray_job import detach_job_working_dir
from hpsearch.compat.ray_local import lean_local_start, preloading_workers
from hpsearch.errors import BadInputError
from hpsearch.spaces.files import estimator_modules

if TYPE_CHECKING:
    from hpsearch.config import SweepConfig


def quiet_ray_env() -> None:
    """Environment that keeps Ray quiet and offline; set before ``import ray``."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_MAX_PENDING_TRIALS_PG", "16")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    # hpsearch resumes from trials.jsonl, not from Tune's experiment state: save it rarely
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "300")


# what a trial actor imports (Ray Tune, scikit-learn, pandas, hpsearch's evaluation); the
# sweep's model libraries are added to it (``trial_modules``)
TRIAL_MODULE = "hpsearch.tune.trainable"


def trial_modules(config: SweepConfig) -> tuple[str, ...]:
    """The modules a trial actor of this sweep imports: the trainable and the estimators."""
    return (TRIAL_MODULE, *estimator_modules(entries=config.search.spaces, task=config.task))


def init_ray(*, address: str | None, preload: Sequence[str] = ()) -> bool:
    """Join the cluster at ``address``, or start a local Ray instance (then True) whose
    worker processes import ``preload`` as they start, before any trial needs them."""
    quiet_ray_env()
    import ray

    if ray.is_initialized():
        return False
    detach_job_working_dir()
    joining = address is not None or bool(os.environ.get("RAY_ADDRESS"))  # e.g. inside a job
    local: dict[str, Any] = {}
    if not joining:
        local = {"include_dashboard": False, "_system_config": preloading_workers(preload)}
    try:
        with contextlib.nullcontext() if joining else lean_local_start():
            ray.init(address=address, log_to_driver=False, configure_logging=False, **local)
    except ray.exceptions.AuthenticationError as exc:
        where = address or os.environ.get("RAY_ADDRESS")
        raise BadInputError(
            f"Ray at {where} uses token authentication and refused this driver: "
            f"{str(exc).splitlines()[0]}. Fix: set RAY_AUTH_MODE=token and make the cluster's "
            "token available as RAY_AUTH_TOKEN, in the file RAY_AUTH_TOKEN_PATH names, or in "
            "~/.ray/auth_token."
        ) from None
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local instance"
        raise BadInputError(
            f"cannot start or join Ray at {where}: {exc}. Fix: check ray.address (null starts "
            "Ray locally) and that the cluster is up (`ray status --address HOST:6379`)."
        ) from None
    return not joining


@dataclass(frozen=True)
class RayStart:
    """Ray being started (or joined) by a background thread.

    The thread stays parked after the start: Ray ties the processes of a local instance
    to the thread that started them (``PR_SET_PDEATHSIG`` fires when that *thread* ends),
    so letting it end would kill the GCS and the raylet under the sweep. It is a daemon
    thread; the processes still stop with the driver (``ray.shutdown`` at exit, or the
    same signal when the process dies).
    """

    future: Future[None]

    @classmethod
    def begin(cls, *, address: str | None, preload: Sequence[str] = ()) -> RayStart:
        """Start ``init_ray`` in a thread and return at once."""
        quiet_ray_env()
        import ray  # noqa: F401  (the package itself is imported here, not in two threads)

        future: Future[None] = Future()

        def start_and_park() -> None:
            try:
                started_here = init_ray(address=address, preload=preload)
            except BaseException as exc:
                future.set_exception(exc)
                return
            future.set_result(None)
            if started_here:
                threading.Event().wait()  # parked for the life of the process (see above)

        threading.Thread(target=start_and_park, name="hpsearch-ray-start", daemon=True).start()
        return cls(future)

    def wait(self) -> None:
        """Block until Ray is up; re-raise its start-up error (a ``BadInputError``)."""
        self.future.result()

    def settle(self) -> None:
        """Wait for the start to end, ignoring its outcome (on the way out after an error)."""
        with contextlib.suppress(Exception):  # the sweep's own error is the one to report
            self.future.result()


def begin_ray(config: SweepConfig) -> RayStart:
    """Start (or join) the Ray a sweep asks for, in the background."""
    return RayStart.begin(address=config.ray.address, preload=trial_modules(config))


def exit_process(code: int) -> NoReturn:
    """End the CLI process with ``code``, stopping a local Ray's processes all at once.

    With Ray running, the interpreter's exit calls ``ray.shutdown``, which stops the local
    instance's processes one after another with a SIGTERM and up to a second's wait each
    (about 4 s here, after everything was written and printed). Everything hpsearch writes
    is flushed and committed by then (``trials.jsonl`` fsync'd, MLflow transactions
    committed), so the process's descendants (the GCS, the raylet, its agents and workers:
    a throwaway instance, its state in memory) get SIGKILL together, as Ray's own fate
    sharing would give them, and the process leaves.
    A joined cluster just sees the driver disconnect. Only for the console script's last
    step, never in a library call.
    """
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        sys.exit(code)
    import psutil

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()  # SIGKILL cannot be ignored: no need to wait for each to go
    os._exit(code)


def resolve_concurrency(config: SweepConfig) -> int:
    """``auto`` = CPUs in the Ray cluster // cpus per trial; never more than the budget."""
    import ray

    if config.search.concurrency == "auto":
        # ray.nodes() asks the GCS; cluster_resources() right after joining may still
        # show only the local node
        alive = [n for n in ray.nodes() if n.get("Alive")]
        total = int(sum(n.get("Resources", {}).get("CPU", 0) for n in alive)) or 1
        value = max(1, math.floor(total / config.ray.cpus_per_trial))
    else:
        value = int(config.search.concurrency)
    return max(1, min(value, config.search.trials))
