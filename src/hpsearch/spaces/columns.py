"""The columns a pipeline's preprocessing is built for, by kind (decided in ``prepare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HighCardinality = Literal["target", "onehot"]


@dataclass(frozen=True)
class ColumnTypes:
    """Feature columns by kind, and how the kinds that need a choice are encoded.

    numeric: imputed and scaled; categorical: one-hot; high_cardinality (more levels than
    ``max_levels``): target-encoded (cross-fitted) or one-hot capped at ``max_levels``;
    datetime: year, month, day, weekday, hour; text: hashed into ``text_features``
    columns, or dropped when that is 0. Native-categorical families take every categorical
    kind as pandas categories.
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    high_cardinality: tuple[str, ...] = ()
    datetime: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    high_cardinality_encoding: HighCardinality = "target"
    max_levels: int = 50
    text_features: int = 0

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the preprocessing uses (text too, unless it is dropped)."""
        used_text = self.text if self.text_features else ()
        return self.numeric + self.categorical + self.high_cardinality + self.datetime + used_text

    @property
    def all_categorical(self) -> tuple[str, ...]:
        return self.categorical + self.high_cardinality
