"""A local Ray instance without the head processes a sweep on it never uses (Ray 2.60).

``ray.init()`` without an address starts, besides the GCS, the raylet and its two agents:
the autoscaler's monitor, the log monitor (it streams worker output to the driver) and the
API server (the dashboard head, started in its minimal form even with
``include_dashboard=False``; it serves the job and state APIs). A sweep's own instance
lives as long as one ``hpsearch run``: nothing scales it, worker output is not streamed
(``log_to_driver=False``) and no job is submitted to it. Measured here (2 CPUs), each is a
Python process that costs 0.45, 0.45 and 0.9 CPU-seconds to start, on the cores the driver
is importing on; ``ray.init`` took 3.2-3.8 s with them and 2.0 s without.

``ray.init`` has no public switch for them: ``RayParams.no_monitor`` and
``include_log_monitor`` exist but ``ray.init`` fixes them, and ``Node.start_api_server``
runs unconditionally on a head. ``lean_local_start`` sets the two parameters and skips
the API server for the ``ray.init`` inside the block, and puts both back afterwards.
A cluster a user started (``ray start``, ``ray.address``) is joined as it is.

``preloading_workers`` is the ``_system_config`` of such an instance: the raylet's
``preload_python_modules`` (Ray 2.60; no public ``ray.init`` argument) makes every Python
worker it starts, the idle ones it prestarts as it comes up included, import the given
modules before it takes work. A trial actor that lands on such a worker finds Ray Tune,
scikit-learn and the sweep's model libraries imported (about 1.7 s of imports that would
otherwise come between ``Tuner.fit`` and the first trial), and the imports ran while the
driver was still importing and checking the data. Measured here: an actor on a preloaded
worker was ready 0.31 s after it was created, against 1.4-1.9 s on a new worker.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hpsearch.compat.versions import require_attribute, require_version
from hpsearch.errors import IncompatibleVersionError

KNOWN_RAY = ">=2.60,<2.61"
PURPOSE = "lean local Ray start (no autoscaler monitor, log monitor or API server)"


def _private(owner: Any, name: str) -> Any:
    return require_attribute(owner, name, distribution="ray", known=KNOWN_RAY, purpose=PURPOSE)


@contextmanager
def lean_local_start() -> Iterator[None]:
    """Inside the block a new local Ray head starts only the GCS, the raylet and its agents."""
    from ray._private import node, parameter

    params_init = _private(parameter.RayParams, "__init__")
    skipped = _private(node.Node, "start_api_server")
    for name in ("start_monitor", "start_log_monitor"):
        _private(node.Node, name)
    accepted = inspect.signature(params_init).parameters.keys()
    missing = {"no_monitor", "include_log_monitor"} - accepted
    if missing:
        raise IncompatibleVersionError(
            f"ray's RayParams takes no {', '.join(sorted(missing))}, which hpsearch's {PURPOSE} "
            f"sets (written for ray{KNOWN_RAY}). Fix: install a version in that range, or "
            "update hpsearch.compat.ray_local for it."
        )

    def lean_init(self: Any, *args: Any, **kwargs: Any) -> None:
        params_init(self, *args, **kwargs)
        self.no_monitor = True
        self.include_log_monitor = False

    def no_api_server(self: Any, **kwargs: Any) -> None:
        return None

    parameter.RayParams.__init__ = lean_init  # type: ignore[method-assign]
    node.Node.start_api_server = no_api_server  # type: ignore[method-assign]
    try:
        yield
    finally:
        parameter.RayParams.__init__ = params_init  # type: ignore[method-assign]
        node.Node.start_api_server = skipped  # type: ignore[method-assign]


def preloading_workers(modules: Sequence[str]) -> dict[str, Any]:
    """``ray.init(_system_config=...)`` for a new local instance whose Python workers import
    ``modules`` before taking work (a module that fails to import is logged in the worker's
    log file and skipped by Ray)."""
    require_version(
        distribution="ray", known=KNOWN_RAY, purpose="workers that preload the trial's modules"
    )
    return {"preload_python_modules": list(dict.fromkeys(modules))}
