"""Reading the data a sweep names: a CSV or Parquet file, or a bundled scikit-learn dataset."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from sklearn import datasets

from hpsearch.config import DATA_SUFFIXES, SKLEARN_DATASETS
from hpsearch.errors import BadInputError

_LISTED = 20  # at most this many names or ids in one message


def listed(items: Iterable[object]) -> str:
    """Up to 20 items for a message, quoted, with the count of the rest."""
    names = [str(i) for i in items]
    more = f" (and {len(names) - _LISTED} more)" if len(names) > _LISTED else ""
    return ", ".join(repr(n) for n in names[:_LISTED]) + more


def load_frame(source: str) -> pd.DataFrame:
    """Read a .csv/.parquet file or a bundled ``sklearn:NAME`` dataset into a DataFrame."""
    if source.startswith("sklearn:"):
        return _load_bundled(source.removeprefix("sklearn:"))
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise BadInputError(
            f"data source {source!r} has unsupported file type {suffix or '(none)'!r}. "
            "Fix: use a .csv, .parquet or .pq file, or one of "
            + ", ".join(f"sklearn:{n}" for n in SKLEARN_DATASETS)
            + "."
        )
    if not path.is_file():
        raise BadInputError(
            f"data file {path} does not exist. Fix: correct data.source in the sweep file "
            "(relative paths resolve against the sweep file's folder)."
        )
    kind = "CSV" if suffix == ".csv" else "Parquet"
    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except Exception as exc:  # pandas and pyarrow raise many unrelated types here
        raise BadInputError(
            f"data file {path} could not be read as {kind}: {type(exc).__name__}: {exc}. "
            f"Fix: check that it is a valid, complete {kind} file with a header row "
            "and that its extension matches its content."
        ) from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise BadInputError(
            f"data file {path} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns). "
            "Fix: point data.source at a file with a header row and at least one data row."
        )
    frame.columns = pd.Index([str(c) for c in frame.columns])
    return frame


def _load_bundled(name: str) -> pd.DataFrame:
    if name not in SKLEARN_DATASETS:
        raise BadInputError(
            f"unknown bundled dataset {name!r}. Fix: use one of "
            + ", ".join(f"sklearn:{n}" for n in SKLEARN_DATASETS)
            + "."
        )
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame: pd.DataFrame = bunch.frame.reset_index(drop=True)
    return frame
