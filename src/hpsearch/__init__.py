"""hpsearch: honest, distributed hyperparameter search for scikit-learn pipelines."""

from hpsearch.config import SweepConfig, load_sweep
from hpsearch.errors import BadInputError, HpsearchError, LeakageError

__version__ = "0.1.0"

__all__ = [
    "BadInputError",
    "HpsearchError",
    "LeakageError",
    "SweepConfig",
    "__version__",
    "load_sweep",
]
