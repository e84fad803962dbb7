"""Which classes a registered model may hold, settled before the search.

A model is saved with skops, which loads only the types it is told to trust. hpsearch
trusts the libraries it ships families for; any other class or function a space's pipeline
contains must be listed by the space file (``trusted_types``) or the sweep is refused at
preflight (exit 2), never after the trials.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

TRUSTED_PREFIXES = (
    "hpsearch_runtime.", "numpy.", "sklearn.", "xgboost.", "lightgbm.", "catboost.",
)  # fmt: skip
TRUSTED_NAMES = ("collections.OrderedDict",)


_PLAIN = (str, bytes, int, float, bool, list, tuple, dict, set, frozenset, type(None))


def qualified_name(value: Any) -> str:
    """``module.Name`` of a class, a function, or an object's class."""
    named = value if isinstance(value, type) or inspect.isroutine(value) else type(value)
    return f"{named.__module__}.{named.__qualname__}"


def pipeline_types(pipeline: Pipeline) -> set[str]:
    """Every class and function the pipeline holds (estimators, nested ones, functions of
    function transformers, splitters), but not plain values."""
    found = {qualified_name(pipeline)}
    for value in pipeline.get_params(deep=True).values():
        plain = isinstance(value, _PLAIN) or type(value).__module__ == "numpy"
        if isinstance(value, BaseEstimator) or inspect.isroutine(value) or not plain:
            found.add(qualified_name(value))
    return found


def untrusted(
    types: Iterable[str], *, extra: Iterable[str] = (), own: Iterable[str] = ()
) -> list[str]:
    """The types hpsearch does not trust and the space does not list; ``own`` names the
    modules of the sweep's own pipeline (``pipeline:`` in the sweep file), whose every type
    is trusted."""
    listed = set(extra)
    prefixes = TRUSTED_PREFIXES + tuple(f"{module}." for module in own)
    return sorted(
        t
        for t in types
        if not t.startswith(prefixes) and t not in TRUSTED_NAMES and t not in listed
    )
