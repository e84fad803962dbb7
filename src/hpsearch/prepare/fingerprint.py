"""Content hashes of data: what a trial received, what a resume must find again."""

from __future__ import annotations

import hashlib
import json

import pandas as pd


def fingerprint(X: pd.DataFrame, y: pd.Series) -> str:
    """sha256 of the content of ``X`` and ``y``: values and column names, not the index."""
    digest = hashlib.sha256()
    names = [str(c) for c in X.columns] + [str(y.name)]
    digest.update(json.dumps(names).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(y, index=False).to_numpy().tobytes())
    return digest.hexdigest()
