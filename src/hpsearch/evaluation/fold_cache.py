"""Per-actor cache of each fold's fitted preprocessing output.

Trials of one sweep share the development data, the fold plan and (usually) most of the
preprocessing configuration; only the model's parameters differ. Fitting the
``ColumnTransformer`` again for every trial is most of a cheap trial's cost. The cache keeps
the transformed training and validation rows of a fold, keyed by the fold and by a hash of
the *unfitted* preprocessing steps (their class and every parameter), so a trial whose
preprocessing parameters differ gets its own fit.

Honest by construction: an entry is the output of a preprocessor fitted on that fold's
training rows only, exactly what the pipeline's own ``fit`` would compute; nothing is ever
fitted on validation rows. Entries are evicted least recently used past ``max_bytes``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from scipy import sparse


@dataclass(frozen=True)
class TransformedFold:
    """One fold's rows after the preprocessing steps, fitted on the training rows."""

    X_train: Any
    X_validation: Any
    fit_time_s: float
    nbytes: int


def preprocessing_key(steps: Any) -> str:
    """Hash of unfitted preprocessing steps: equal for equal classes and parameters.

    Built from ``get_params(deep=True)``: every nested estimator appears as its class and
    its own parameters appear as separate entries; other values by ``repr`` (column lists,
    functions, numbers), hashed with joblib when they are arrays.
    """
    parts = [_describe(steps)]
    for name, value in sorted(steps.get_params(deep=True).items()):
        parts.append(f"{name}={_describe(value)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _describe(value: Any) -> str:
    """A parameter value as text; nested estimators by class only (their parameters are
    entries of their own in ``get_params(deep=True)``)."""
    if hasattr(value, "get_params"):
        return f"{type(value).__module__}.{type(value).__qualname__}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_describe(v) for v in value)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {_describe(v)}" for k, v in sorted(value.items(), key=str))
        return f"dict({inner})"
    if isinstance(value, np.ndarray):
        return f"array({joblib.hash(value)})"
    return repr(value)


def size_of(value: Any) -> int:
    """Bytes held by a transformed array (dense, sparse or a data frame)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if sparse.issparse(value):
        parts = ("data", "indices", "indptr", "row", "col")
        return int(sum(getattr(value, p).nbytes for p in parts if hasattr(value, p)))
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True).sum())
    return int(np.asarray(value).nbytes)


def _read_only(value: Any) -> None:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif sparse.issparse(value) and hasattr(value, "data"):
        value.data.setflags(write=False)


class FoldCache:
    """Least-recently-used map (fold, preprocessing key) -> ``TransformedFold``.

    One cache serves one data set and one fold plan (an actor's ``TrialContext``): the key
    names the fold by its index only.
    """

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str], TransformedFold] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, *, fold: int, key: str) -> TransformedFold | None:
        entry = self._entries.get((fold, key))
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end((fold, key))
        self.hits += 1
        return entry

    def put(self, *, fold: int, key: str, entry: TransformedFold) -> None:
        if entry.nbytes > self.max_bytes:
            return  # larger than the whole budget: not kept
        # later trials share these arrays: an estimator writing into its input would fail
        # loudly (scikit-learn copies read-only input) instead of corrupting them
        for value in (entry.X_train, entry.X_validation):
            _read_only(value)
        self._entries[(fold, key)] = entry
        self._entries.move_to_end((fold, key))
        total = self.nbytes
        while total > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            total -= evicted.nbytes
