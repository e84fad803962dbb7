"""A pandas DataFrame given to ``hpsearch.run`` becomes a file like any other data source.

It is written once, as Parquet, under ``<storage>/.data/<content hash>.parquet``, and
``data.source`` names that file. From there on nothing differs from a sweep over a file: the
preflight reads and fingerprints it, the parent run and ``sweep.json`` record it, and
``hpsearch resume`` (from Python or the command line) reads the same rows again. The
frame's index is not data: it is dropped (``reset_index()`` first to keep it as a column).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from hpsearch.errors import BadInputError
from hpsearch.store.files import temp_beside

DATA_FOLDER = ".data"


def content_hash(frame: pd.DataFrame) -> str:
    """Rows, column names and dtypes, in order; the index is not part of it."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:20]


def save_frame(frame: object, *, storage: Path) -> Path:
    """Write ``frame`` as ``<storage>/.data/<hash>.parquet`` (kept if already there)."""
    if not isinstance(frame, pd.DataFrame):
        raise BadInputError(
            f"data must be a pandas DataFrame, got {type(frame).__name__}. Fix: pass "
            "pd.DataFrame(...) with the target column in it, or set data.source to a file."
        )
    if frame.empty:
        raise BadInputError("data is an empty DataFrame. Fix: pass the rows to search on.")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    try:
        name = f"{content_hash(frame)}.parquet"
    except TypeError as exc:
        raise BadInputError(
            f"data holds values that cannot be hashed ({exc}). Fix: convert list- or "
            "dict-valued columns to strings, or drop them."
        ) from None
    folder = storage.expanduser().resolve() / DATA_FOLDER
    target = folder / name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(target)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except (TypeError, ValueError, ImportError) as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInputError(
            f"data cannot be stored as Parquet ({str(exc).splitlines()[0][:200]}). Fix: give "
            "each column one type (e.g. df[col] = df[col].astype(str) for mixed columns)."
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
