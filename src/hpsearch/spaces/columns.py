"""The columns a pipeline's preprocessing is built for, by kind (decided in ``prepare``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnTypes:
    """Feature columns by kind: numeric ones are imputed and scaled, the rest one-hot encoded."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical
