"""What each feature column is, and so what the preprocessing makes of it, with the reason.

Decided from the development rows only (the hold-out part is not looked at):

- numeric dtypes (not bool): numeric;
- datetime dtypes, and text columns whose values nearly all parse as dates: datetime
  (year, month, day, weekday, hour);
- text columns that are mostly unique multi-word strings: free text (dropped with a
  warning, or hashed when ``preprocessing.text: hash``);
- other columns with more than ``preprocessing.max_onehot_levels`` levels: high
  cardinality (target-encoded, or one-hot capped at that many levels);
- the rest: categorical (one-hot).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from hpsearch.config.schema import PreprocessingConfig
from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes

_SAMPLE = 500
_DATE_SHARE = 0.95
_TEXT_UNIQUE_SHARE = 0.9
_TEXT_WORDS = 3.0


@dataclass(frozen=True)
class ColumnProfile:
    """One column: its kind and why (what ``hpsearch check`` prints)."""

    name: str
    kind: str
    reason: str


def _parses_as_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(_SAMPLE)
    if sample.empty or sample.str.fullmatch(r"[-+]?\d+(\.\d+)?").mean() > 0.5:
        return False  # plain numbers written as text are not dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= _DATE_SHARE)


def _is_free_text(values: pd.Series) -> bool:
    present = values.dropna().astype(str)
    if present.empty:
        return False
    unique_share = present.nunique() / len(present)
    words = present.head(_SAMPLE).map(lambda v: len(v.split())).mean()
    return bool(unique_share >= _TEXT_UNIQUE_SHARE and words >= _TEXT_WORDS)


def profile_column(*, name: str, values: pd.Series, options: PreprocessingConfig) -> ColumnProfile:
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return ColumnProfile(name, "numeric", f"numeric dtype ({dtype}): impute, scale")
    if pd.api.types.is_datetime64_any_dtype(dtype) or _parses_as_dates(values):
        return ColumnProfile(name, "datetime", "dates: year, month, day, weekday, hour")
    levels = int(values.nunique(dropna=True))
    if _is_free_text(values):
        fate = "hashed" if options.text == "hash" else "dropped (preprocessing.text: drop)"
        return ColumnProfile(name, "text", f"free text ({levels} mostly unique values): {fate}")
    if levels > options.max_onehot_levels:
        how = (
            "target encoding, cross-fitted"
            if options.high_cardinality == "target"
            else f"one-hot of the {options.max_onehot_levels} most frequent levels"
        )
        return ColumnProfile(
            name,
            "high_cardinality",
            f"{levels} levels > preprocessing.max_onehot_levels {options.max_onehot_levels}: {how}",
        )
    return ColumnProfile(name, "categorical", f"{levels} levels: one-hot")


def profile_columns(frame: pd.DataFrame, options: PreprocessingConfig) -> tuple[ColumnProfile, ...]:
    """Every feature column's profile, in the frame's order."""
    for name in frame.columns:
        if not isinstance(name, str):
            raise BadInputError(
                f"column names must be strings, got {name!r} ({type(name).__name__}). "
                "Fix: give every feature column a text name (e.g. a header row in the CSV)."
            )
    return tuple(
        profile_column(name=str(name), values=frame[name], options=options)
        for name in frame.columns
    )


def column_types(profiles: tuple[ColumnProfile, ...], options: PreprocessingConfig) -> ColumnTypes:
    """The pipeline's view of the profiles."""

    def of(kind: str) -> tuple[str, ...]:
        return tuple(p.name for p in profiles if p.kind == kind)

    return ColumnTypes(
        numeric=of("numeric"),
        categorical=of("categorical"),
        high_cardinality=of("high_cardinality"),
        datetime=of("datetime"),
        text=of("text"),
        high_cardinality_encoding=options.high_cardinality,
        max_levels=options.max_onehot_levels,
        text_features=options.hash_features if options.text == "hash" else 0,
    )


def infer_column_types(
    frame: pd.DataFrame, options: PreprocessingConfig | None = None
) -> ColumnTypes:
    """``column_types(profile_columns(frame))`` with the default options unless given."""
    chosen = options or PreprocessingConfig()
    return column_types(profile_columns(frame, chosen), chosen)
