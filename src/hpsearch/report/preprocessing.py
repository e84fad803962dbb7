"""What the fitted pipeline does to each input column before the model (for the card)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

_SHOWN_COLUMNS = 8
_SETTINGS = ("strategy", "max_categories", "n_features", "target_type", "func")


@dataclass(frozen=True)
class ColumnGroup:
    """Input columns treated alike, the fitted steps they go through, the features made."""

    columns: tuple[str, ...]
    steps: str
    outputs: int | None  # None: the step cannot say


def _step(estimator: Any) -> str:
    """A step's class and the setting that tells what it does (imputer strategy, ...)."""
    if isinstance(estimator, Pipeline):
        return " -> ".join(_step(s) for _, s in estimator.steps)
    if isinstance(estimator, str):
        return estimator  # "passthrough", "drop"
    params = estimator.get_params(deep=False)
    shown = []
    for key in _SETTINGS:
        value = params.get(key)
        if value is not None:
            shown.append(f"{key}={getattr(value, '__name__', value)}")
    name = type(estimator).__name__
    return f"{name}({', '.join(shown)})" if shown else name


def _outputs(estimator: Any, columns: Sequence[str]) -> int | None:
    try:
        return len(estimator.get_feature_names_out(list(columns)))
    except Exception:  # a user step without get_feature_names_out
        return None


def _groups(transformer: ColumnTransformer) -> list[ColumnGroup]:
    groups = []
    for _, fitted, columns in transformer.transformers_:
        if isinstance(columns, str) or fitted == "drop":
            continue
        names = tuple(str(c) for c in columns)
        if names:
            groups.append(ColumnGroup(names, _step(fitted), _outputs(fitted, names)))
    return groups


def describe_preprocessing(model: Pipeline, *, inputs: Sequence[str]) -> list[ColumnGroup]:
    """One group per column set of each fitted ``ColumnTransformer`` before the model; a
    step of another kind (the sweep's own transformer) takes every input column."""
    groups: list[ColumnGroup] = []
    for name, step in model.steps[:-1]:
        found = [s for _, s in step.steps] if isinstance(step, Pipeline) else [step]
        for part in found:
            if isinstance(part, ColumnTransformer):
                groups += _groups(part)
            else:
                groups.append(ColumnGroup(tuple(inputs), f"{name}: {_step(part)}", None))
    return groups


def shown_columns(columns: Sequence[str]) -> str:
    """At most ``_SHOWN_COLUMNS`` names, then how many more."""
    head = ", ".join(f"`{c}`" for c in columns[:_SHOWN_COLUMNS])
    more = len(columns) - _SHOWN_COLUMNS
    return f"{head} and {more} more" if more > 0 else head
