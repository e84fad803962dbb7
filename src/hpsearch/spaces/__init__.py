"""Stage 4-5: search-space files, the conditional Optuna space, and the pipelines they build."""

from hpsearch.spaces.conditional import (
    FAMILY_KEY,
    ConditionalSpace,
    join_config,
    n_dimensions,
    param_name,
    split_config,
)
from hpsearch.spaces.loader import (
    load_space,
    load_spaces,
    shipped_families,
    shipped_spaces_dir,
    validate_space_keys,
)
from hpsearch.spaces.model import FrozenMapping, SearchSpace

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
