"""Dates into numeric parts, text columns into one string per row (module-level functions,
so pipelines pickle and skops names them)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

DATE_PARTS = ("year", "month", "day", "weekday", "hour")


def date_parts(X: Any) -> pd.DataFrame:
    """Each date column as year, month, day, weekday and hour (missing or unparseable: NaN)."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(frame[column], errors="coerce", format="mixed")
        parts = (dates.dt.year, dates.dt.month, dates.dt.day, dates.dt.weekday, dates.dt.hour)
        for name, part in zip(DATE_PARTS, parts, strict=True):
            out[f"{column}_{name}"] = part.astype(float)
    return pd.DataFrame(out, index=frame.index)


def date_part_names(transformer: Any, input_features: Any) -> list[str]:
    return [f"{c}_{p}" for c in input_features for p in DATE_PARTS]


def joined_text(X: Any) -> np.ndarray:
    """The text columns of each row joined into one string (missing values as empty)."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    text = frame.astype(object).where(frame.notna(), "").astype(str)
    return np.asarray(text.agg(" ".join, axis=1), dtype=object)
