"""hpsearch: honest, distributed hyperparameter search for scikit-learn pipelines.

From Python: ``hpsearch.run(sweep, data=frame)`` runs a sweep as ``hpsearch run`` does and
returns a ``SweepResult``; ``hpsearch.check`` is the preflight; ``hpsearch.resume`` goes on
with an interrupted sweep. ``hpsearch.SearchCV`` is a drop-in for scikit-learn's
``RandomizedSearchCV`` whose trials run on Ray. ``import hpsearch`` imports no Ray, MLflow
or Optuna.
"""

from typing import TYPE_CHECKING, Any

from hpsearch.api import SweepResult, check, resume, run
from hpsearch.config import SweepConfig, load_sweep
from hpsearch.errors import BadInputError, HpsearchError, LeakageError
from hpsearch.version import __version__

if TYPE_CHECKING:
    from hpsearch.searchcv.estimator import SearchCV

__all__ = [
    "BadInputError",
    "HpsearchError",
    "LeakageError",
    "SearchCV",
    "SweepConfig",
    "SweepResult",
    "__version__",
    "check",
    "load_sweep",
    "resume",
    "run",
]


def __getattr__(name: str) -> Any:
    """``hpsearch.SearchCV`` is imported on first use (it pulls in scikit-learn)."""
    if name == "SearchCV":
        from hpsearch.searchcv.estimator import SearchCV

        return SearchCV
    raise AttributeError(f"module 'hpsearch' has no attribute {name!r}")
