"""Search-space files: a shipped family name or a YAML path into a checked ``SearchSpace``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sklearn.base import is_classifier, is_regressor

from hpsearch.config.metrics import Task
from hpsearch.config.suggestions import did_you_mean
from hpsearch.errors import BadInputError
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.distributions import parse_distribution, parse_start
from hpsearch.spaces.factory import PipelineFactory, with_factory_model
from hpsearch.spaces.files import (
    FORMAT_HINT,
    is_path,
    read_yaml,
    resolve_entry,
)
from hpsearch.spaces.model import PREPROCESSING, FrozenMapping, Preprocessing, SearchSpace
from hpsearch.spaces.pipelines import build_pipeline, check_param_paths, valid_param_paths
from hpsearch.spaces.trust import pipeline_types, untrusted

_TASKS: tuple[Task, ...] = ("classification", "regression")
_TOP_KEYS = (
    "family",
    "task",
    "estimator",
    "description",
    "preprocessing",
    "early_stopping_rounds",
    "trusted_types",
    "fixed",
    "start",
    "params",
)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PROBE_COLUMNS = ColumnTypes(numeric=("probe_numeric",), categorical=("probe_categorical",))


def load_space(*, entry: str, task: Task, pipeline: PipelineFactory | None = None) -> SearchSpace:
    """Load one family by shipped name or by (absolute) path, and check it completely;
    with ``pipeline`` (the sweep's own), its parameter paths are checked against that."""
    path = resolve_entry(entry=entry, task=task)
    raw = with_factory_model(raw=read_yaml(path), source=str(path), pipeline=pipeline)
    space = _parse_space(raw=raw, source=str(path), task=task, pipeline=pipeline)
    if not is_path(entry) and space.family != entry:
        raise BadInputError(
            f"search space {path}: `family` is {space.family!r} but the file is named {entry!r}. "
            "Fix: make the family equal to the file name."
        )
    validate_space_keys(space)
    return space


def load_spaces(
    *, entries: Sequence[str], task: Task, pipeline: PipelineFactory | None = None
) -> tuple[SearchSpace, ...]:
    """Load every entry of ``search.spaces``; family names must be unique."""
    spaces = tuple(load_space(entry=e, task=task, pipeline=pipeline) for e in entries)
    seen: dict[str, str] = {}
    for space in spaces:
        if space.family in seen:
            raise BadInputError(
                f"search.spaces: family {space.family!r} appears twice ({seen[space.family]} "
                f"and {space.source}). Fix: list each family once, or give your own file a "
                "different `family` name."
            )
        seen[space.family] = space.source
    return spaces


def _parse_space(
    *, raw: Any, source: str, task: Task, pipeline: PipelineFactory | None = None
) -> SearchSpace:
    where = f"search space {source}"
    family = _check_header(raw, where=where, task=task)
    fixed = _mapping(raw.get("fixed"), where=f"{where}: `fixed`")
    params_raw = _mapping(raw.get("params"), where=f"{where}: `params`")
    params = {
        key: parse_distribution(key=key, spec=spec, where=where) for key, spec in params_raw.items()
    }
    clash = [k for k in params if k.startswith("model__") and k[len("model__") :] in fixed]
    if clash:
        raise BadInputError(
            f"{where}: {clash[0]!r} is both tuned (params) and fixed. Fix: keep only one."
        )
    space = SearchSpace(
        family=family,
        task=task,
        estimator=raw["estimator"],
        fixed=FrozenMapping(fixed),
        params=FrozenMapping(params),
        source=source,
        description=str(raw.get("description") or ""),
        preprocessing=_preprocessing(raw.get("preprocessing", "onehot"), where=where),
        start=parse_start(raw.get("start"), params=params, where=where),
        early_stopping_rounds=_rounds(raw.get("early_stopping_rounds", 0), where=where),
        trusted_types=_names(raw.get("trusted_types"), where=where),
        pipeline=pipeline,
    )
    _check_estimator_task(space)
    return space


def _check_header(raw: Any, *, where: str, task: Task) -> str:
    """Check the mapping, its keys, family, estimator and task; return the family."""
    if not isinstance(raw, dict):
        raise BadInputError(
            f"{where} must be a YAML mapping with keys {', '.join(_TOP_KEYS)}, got "
            f"{type(raw).__name__}. Fix: {FORMAT_HINT}."
        )
    unknown = [k for k in raw if k not in _TOP_KEYS]
    if unknown:
        raise BadInputError(
            f"{where}: unknown key {unknown[0]!r};{did_you_mean(unknown[0], _TOP_KEYS)} "
            f"allowed: {', '.join(_TOP_KEYS)}. "
            "Fix: remove it or correct its spelling."
        )
    for key in ("family", "estimator"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BadInputError(
                f"{where}: `{key}` must be a non-empty string, got {raw.get(key)!r}. "
                f"Fix: add it ({FORMAT_HINT})."
            )
    family: str = raw["family"]
    if not _NAME_RE.match(family):
        raise BadInputError(
            f"{where}: family {family!r} must start with a letter or digit and contain only "
            "letters, digits, '_', '-' and '.'. Fix: rename it."
        )
    file_task = raw.get("task", task)
    if file_task not in _TASKS:
        raise BadInputError(
            f"{where}: task {file_task!r} is not one of {', '.join(_TASKS)}. Fix: correct it."
        )
    if file_task != task:
        raise BadInputError(
            f"{where}: this is a {file_task} space but the sweep's task is {task}. "
            f"Fix: use a {task} family, or change the sweep's task."
        )
    return family


def _names(value: Any, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and "." in v for v in value):
        raise BadInputError(
            f"{where}: `trusted_types` must be a list of import paths such as "
            f"mypackage.MyTransformer, got {value!r}. Fix: list the full path of each class."
        )
    return tuple(value)


def _rounds(value: Any, *, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInputError(
            f"{where}: `early_stopping_rounds` must be a whole number >= 0, got {value!r}. "
            "Fix: e.g. 50 (0 turns early stopping on boosting rounds off)."
        )
    return value


def _preprocessing(value: Any, *, where: str) -> Preprocessing:
    for allowed in PREPROCESSING:
        if value == allowed:
            return allowed
    raise BadInputError(
        f"{where}: `preprocessing` must be one of {', '.join(PREPROCESSING)}, got {value!r}. "
        "Fix: onehot (impute, scale, one-hot) or native (the model handles categories and "
        "missing values itself)."
    )


def _mapping(value: Any, *, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise BadInputError(
            f"{where} must be a mapping with string keys, got {value!r}. Fix: {FORMAT_HINT}."
        )
    return value


def _check_estimator_task(space: SearchSpace) -> None:
    pipeline = build_pipeline(space=space, params={}, column_types=_PROBE_COLUMNS)
    model = pipeline.named_steps["model"]
    wrong = is_regressor(model) if space.task == "classification" else is_classifier(model)
    if wrong:
        raise BadInputError(
            f"search space {space.source}: estimator {space.estimator} is not a "
            f"{space.task} estimator. Fix: use a {space.task} estimator, or set `task` right."
        )


def _own(space: SearchSpace) -> tuple[str, ...]:
    """The sweep's own pipeline module: trusted, because the sweep file names it."""
    return () if space.pipeline is None else (space.pipeline.top_level,)


def validate_space_keys(space: SearchSpace) -> None:
    """Every parameter path must exist in the built pipeline's ``get_params()``, and every
    class the pipeline holds must be one a registered model may hold (``trust.py``)."""
    pipeline = build_pipeline(space=space, params={}, column_types=_PROBE_COLUMNS)
    check_param_paths(paths=space.params, valid=valid_param_paths(pipeline), source=space.source)
    unknown = untrusted(pipeline_types(pipeline), extra=space.trusted_types, own=_own(space))
    if unknown:
        raise BadInputError(
            f"search space {space.source}: the pipeline holds {', '.join(unknown)}, which "
            "the registered model could not be loaded with safely (skops trusts scikit-learn, "
            "numpy, XGBoost, LightGBM, CatBoost and hpsearch_runtime). Fix: use a class from "
            f"those libraries, or trust it with `trusted_types: [{unknown[0]}]` in the space "
            "file (then the model needs that class's package wherever it is loaded)."
        )
