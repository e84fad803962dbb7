"""MLflow's process-wide tracking URI, set for one block and then put back exactly.

``mlflow.sklearn.log_model`` and ``mlflow.register_model`` take no tracking URI: they use
the global one (``mlflow.set_tracking_uri``), which also exports ``MLFLOW_TRACKING_URI``.
A library call must leave both as it found them, and ``mlflow.get_tracking_uri()`` cannot
tell "never set" from a default, so the private module global is read
(``mlflow.tracking._tracking_service.utils._tracking_uri``; MLflow's own
``_use_tracking_uri`` does the same but unsets an environment variable the user had set).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from hpsearch.compat.versions import require_version
from hpsearch.errors import IncompatibleVersionError

MLFLOW = "mlflow"
KNOWN_MLFLOW = ">=3.17,<3.18"
ENV = "MLFLOW_TRACKING_URI"
_MODULE = "mlflow.tracking._tracking_service.utils"
_PURPOSE = "scoped tracking URI (tracking/registry)"


def _utils() -> object:
    installed = require_version(distribution=MLFLOW, known=KNOWN_MLFLOW, purpose=_PURPOSE)
    module = importlib.import_module(_MODULE)
    if not hasattr(module, "_tracking_uri"):
        raise IncompatibleVersionError(
            f"mlflow {installed} has no {_MODULE}._tracking_uri, which hpsearch's {_PURPOSE} "
            f"needs (written for mlflow{KNOWN_MLFLOW}). Fix: install a version in that range, "
            "or update hpsearch.compat for it."
        )
    return module


@contextmanager
def using_tracking_uri(uri: str) -> Iterator[None]:
    """MLflow's global tracking URI is ``uri`` inside the block; afterwards the global and
    ``MLFLOW_TRACKING_URI`` are what they were (unset included)."""
    import mlflow

    module = _utils()
    old_global: str | None = getattr(module, "_tracking_uri")  # noqa: B009  (None: never set)
    old_env = os.environ.get(ENV)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(old_global)  # type: ignore[arg-type]
        if old_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old_env
