"""A model family's search space as a frozen value: estimator, fixed arguments, distributions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpsearch.config.metrics import Task
from hpsearch.spaces.factory import PipelineFactory

Preprocessing = Literal["onehot", "native"]
PREPROCESSING: tuple[Preprocessing, ...] = ("onehot", "native")

_V = TypeVar("_V")


class FrozenMapping(Mapping[str, _V]):
    """A read-only, picklable mapping (``types.MappingProxyType`` does not pickle)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, _V] | None = None) -> None:
        self._data: dict[str, _V] = dict(data or {})

    def __getitem__(self, key: str) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __getstate__(self) -> dict[str, _V]:
        return self._data

    def __setstate__(self, state: dict[str, _V]) -> None:
        self._data = state


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """One model family: its estimator, fixed arguments and tuned parameter distributions."""

    family: str
    task: Task
    estimator: str
    fixed: Mapping[str, Any]
    params: Mapping[str, BaseDistribution]
    source: str
    description: str = ""
    preprocessing: Preprocessing = "onehot"
    start: tuple[Mapping[str, Any], ...] = ()
    early_stopping_rounds: int = 0  # boosting: rounds without improvement before stopping
    trusted_types: tuple[str, ...] = ()  # classes outside hpsearch's libraries, trusted
    pipeline: PipelineFactory | None = None  # the sweep's own pipeline (``factory.py``)

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML/JSON-friendly view for lineage logging."""
        return {
            "family": self.family,
            "task": self.task,
            "estimator": self.estimator,
            "fixed": dict(self.fixed),
            "params": {k: _describe(d) for k, d in self.params.items()},
            "source": self.source,
            "preprocessing": self.preprocessing,
            "start": [dict(c) for c in self.start],
            "early_stopping_rounds": self.early_stopping_rounds,
            "pipeline": None if self.pipeline is None else self.pipeline.to_dict(),
        }


def _describe(dist: BaseDistribution) -> dict[str, Any]:
    if isinstance(dist, CategoricalDistribution):
        return {"type": "categorical", "choices": list(dist.choices)}
    if isinstance(dist, IntDistribution | FloatDistribution):
        kind = "int" if isinstance(dist, IntDistribution) else "float"
        return {
            "type": kind,
            "low": dist.low,
            "high": dist.high,
            "step": dist.step,
            "log": dist.log,
        }
    return {"type": type(dist).__name__}
