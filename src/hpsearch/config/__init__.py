"""Stage 1: the sweep file, as a frozen and validated ``SweepConfig``."""

from hpsearch.config.loading import (
    fully_resolved,
    load_sweep,
    parse_sweep,
    resolve_paths,
    with_overrides,
)
from hpsearch.config.schema import DATA_SUFFIXES, SKLEARN_DATASETS, SweepConfig

__all__ = [
    "DATA_SUFFIXES",
    "SKLEARN_DATASETS",
    "SweepConfig",
    "fully_resolved",
    "load_sweep",
    "parse_sweep",
    "resolve_paths",
    "with_overrides",
]
