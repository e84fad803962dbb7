"""Stage 4-5: search-space files, the conditional Optuna space, and the pipelines they build.

The names below load on first use (PEP 562): ``hpsearch.spaces.files``, which
``tune.runtime`` reads before Ray starts, must not pull scikit-learn and Optuna in with
the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpsearch.spaces.conditional import (
        FAMILY_KEY,
        ConditionalSpace,
        join_config,
        n_dimensions,
        param_name,
        split_config,
    )
    from hpsearch.spaces.files import shipped_families, shipped_spaces_dir
    from hpsearch.spaces.loader import load_space, load_spaces, validate_space_keys
    from hpsearch.spaces.model import FrozenMapping, SearchSpace

_WHERE = {
    "FAMILY_KEY": "conditional",
    "ConditionalSpace": "conditional",
    "join_config": "conditional",
    "n_dimensions": "conditional",
    "param_name": "conditional",
    "split_config": "conditional",
    "load_space": "loader",
    "load_spaces": "loader",
    "validate_space_keys": "loader",
    "shipped_families": "files",
    "shipped_spaces_dir": "files",
    "FrozenMapping": "model",
    "SearchSpace": "model",
}

__all__ = [
    "FAMILY_KEY",
    "ConditionalSpace",
    "FrozenMapping",
    "SearchSpace",
    "join_config",
    "load_space",
    "load_spaces",
    "n_dimensions",
    "param_name",
    "shipped_families",
    "shipped_spaces_dir",
    "split_config",
    "validate_space_keys",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hpsearch.spaces' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hpsearch.spaces.{module}"), name)
