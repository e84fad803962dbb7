"""Which feature columns are numeric and which categorical, from their dtypes."""

from __future__ import annotations

import pandas as pd

from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes


def infer_column_types(frame: pd.DataFrame) -> ColumnTypes:
    """Numeric dtypes (not bool) are numeric; everything else (str, category, bool) categorical."""
    numeric: list[str] = []
    categorical: list[str] = []
    for name in frame.columns:
        if not isinstance(name, str):
            raise BadInputError(
                f"column names must be strings, got {name!r} ({type(name).__name__}). "
                "Fix: give every feature column a text name (e.g. a header row in the CSV)."
            )
        dtype = frame[name].dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            numeric.append(name)
        else:
            categorical.append(name)
    return ColumnTypes(numeric=tuple(numeric), categorical=tuple(categorical))
