"""Search-space files, and several model families as one conditional Optuna space.

A sweep names families (``random_forest``) or paths to YAML files. Each file becomes a frozen
``SearchSpace``; ``ConditionalSpace`` turns a list of them into a picklable define-by-run space:
first the family, then that family's parameters, named ``"<family>:<param path>"``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import optuna
import yaml
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sklearn.base import is_classifier, is_regressor

from hpsearch.errors import BadInputError
from hpsearch.metrics import Task
from hpsearch.pipelines import ColumnTypes, build_pipeline, check_param_paths

__all__ = [
    "FAMILY_KEY",
    "ConditionalSpace",
    "FrozenMapping",
    "SearchSpace",
    "join_config",
    "load_space",
    "load_spaces",
    "n_dimensions",
    "shipped_families",
    "shipped_spaces_dir",
    "split_config",
    "validate_space_keys",
]

FAMILY_KEY = "family"
SEPARATOR = ":"
SPACES_DIR_ENV = "HPSEARCH_SPACES_DIR"
_TASKS: tuple[Task, ...] = ("classification", "regression")
_TOP_KEYS = ("family", "task", "estimator", "description", "fixed", "params")
_DIST_KEYS = {
    "int": ("type", "low", "high", "step", "log"),
    "float": ("type", "low", "high", "step", "log"),
    "categorical": ("type", "choices"),
}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PROBE_COLUMNS = ColumnTypes(numeric=("probe_numeric",), categorical=("probe_categorical",))
_FORMAT_HINT = "see search_spaces/README.md for the format"

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

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML/JSON-friendly view for lineage logging."""
        return {
            "family": self.family,
            "task": self.task,
            "estimator": self.estimator,
            "fixed": dict(self.fixed),
            "params": {k: _describe(d) for k, d in self.params.items()},
            "source": self.source,
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


# ----------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-3`` as a float (YAML 1.2), not as the string '1e-3'."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def shipped_spaces_dir() -> Path:
    """``$HPSEARCH_SPACES_DIR`` if set, else the repository's ``search_spaces/`` folder."""
    override = os.environ.get(SPACES_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "search_spaces"


def shipped_families(task: Task) -> tuple[str, ...]:
    """Names of the shipped families for a task, sorted."""
    folder = shipped_spaces_dir() / task
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def _is_path(entry: str) -> bool:
    return "/" in entry or os.sep in entry or entry.endswith((".yaml", ".yml"))


def _resolve_entry(*, entry: str, task: Task) -> Path:
    if _is_path(entry):
        path = Path(entry).expanduser().resolve()
        if not path.is_file():
            raise BadInputError(
                f"search-space file {entry!r} does not exist. Fix: correct the path under "
                "search.spaces (relative paths resolve against the sweep file's folder)."
            )
        return path
    shipped = shipped_families(task)
    if entry not in shipped:
        other: Task = "regression" if task == "classification" else "classification"
        hint = f" {entry!r} is a {other} family." if entry in shipped_families(other) else ""
        raise BadInputError(
            f"unknown {task} search space {entry!r}.{hint} Shipped {task} families: "
            f"{', '.join(shipped) or '(none found in ' + str(shipped_spaces_dir()) + ')'}. "
            "Fix: use one of them, or the path to your own YAML file (" + _FORMAT_HINT + ")."
        )
    return shipped_spaces_dir() / task / f"{entry}.yaml"


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise BadInputError(
            f"search space {path} is not valid YAML: {exc}. Fix: correct the syntax."
        ) from None
    except OSError as exc:
        raise BadInputError(f"search space {path} cannot be read: {exc}.") from None


def load_space(*, entry: str, task: Task) -> SearchSpace:
    """Load one family by shipped name or by (absolute) path, and check it completely."""
    path = _resolve_entry(entry=entry, task=task)
    space = _parse_space(raw=_read_yaml(path), source=str(path), task=task)
    if not _is_path(entry) and space.family != entry:
        raise BadInputError(
            f"search space {path}: `family` is {space.family!r} but the file is named {entry!r}. "
            "Fix: make the family equal to the file name."
        )
    validate_space_keys(space)
    return space


def load_spaces(*, entries: Sequence[str], task: Task) -> tuple[SearchSpace, ...]:
    """Load every entry of ``search.spaces``; family names must be unique."""
    spaces = tuple(load_space(entry=e, task=task) for e in entries)
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


def _parse_space(*, raw: Any, source: str, task: Task) -> SearchSpace:
    where = f"search space {source}"
    if not isinstance(raw, dict):
        raise BadInputError(
            f"{where} must be a YAML mapping with keys {', '.join(_TOP_KEYS)}, got "
            f"{type(raw).__name__}. Fix: {_FORMAT_HINT}."
        )
    unknown = [k for k in raw if k not in _TOP_KEYS]
    if unknown:
        raise BadInputError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(_TOP_KEYS)}. "
            "Fix: remove it or correct its spelling."
        )
    for key in ("family", "estimator"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BadInputError(
                f"{where}: `{key}` must be a non-empty string, got {raw.get(key)!r}. "
                f"Fix: add it ({_FORMAT_HINT})."
            )
    family = raw["family"]
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
    fixed = _mapping(raw.get("fixed"), where=f"{where}: `fixed`")
    params_raw = _mapping(raw.get("params"), where=f"{where}: `params`")
    params = {
        key: _parse_distribution(key=key, spec=spec, where=where)
        for key, spec in params_raw.items()
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
    )
    _check_estimator_task(space)
    return space


def _mapping(value: Any, *, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise BadInputError(
            f"{where} must be a mapping with string keys, got {value!r}. Fix: {_FORMAT_HINT}."
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


def _parse_distribution(*, key: str, spec: Any, where: str) -> BaseDistribution:
    at = f"{where}: params.{key}"
    if "__" not in key or SEPARATOR in key or "/" in key:
        raise BadInputError(
            f"{at}: a parameter path looks like model__<param> and contains no ':' or '/'. "
            "Fix: prefix the estimator argument with model__."
        )
    if not isinstance(spec, dict):
        raise BadInputError(
            f"{at} must be a mapping such as {{type: int, low: 1, high: 10}}, got {spec!r}. "
            f"Fix: {_FORMAT_HINT}."
        )
    kind = spec.get("type")
    if kind not in _DIST_KEYS:
        raise BadInputError(
            f"{at}: unknown distribution type {kind!r}; valid: {', '.join(_DIST_KEYS)}. "
            "Fix: set `type` to one of them."
        )
    extra = [k for k in spec if k not in _DIST_KEYS[kind]]
    if extra:
        raise BadInputError(
            f"{at}: unknown key {extra[0]!r} for type {kind}; allowed: "
            f"{', '.join(_DIST_KEYS[kind])}. Fix: remove or correct it."
        )
    if kind == "categorical":
        return _categorical(spec=spec, at=at)
    missing = [k for k in ("low", "high") if k not in spec]
    if missing:
        raise BadInputError(f"{at}: type {kind} needs `{missing[0]}`. Fix: add it.")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise BadInputError(f"{at}: `log` must be true or false, got {log!r}. Fix: correct it.")
    number = _integer if kind == "int" else _real
    low, high = number(spec["low"], name="low", at=at), number(spec["high"], name="high", at=at)
    step = spec.get("step", 1 if kind == "int" else None)
    step = None if step is None else number(step, name="step", at=at)
    try:
        if kind == "int":
            return IntDistribution(low=int(low), high=int(high), log=log, step=int(step or 1))
        return FloatDistribution(low=low, high=high, log=log, step=step)
    except ValueError as exc:
        raise BadInputError(f"{at}: {exc} Fix: correct the range of {key!r}.") from None


def _integer(value: Any, *, name: str, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(f"{at}: `{name}` must be an integer, got {value!r}. Fix: correct it.")
    return value


def _real(value: Any, *, name: str, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInputError(f"{at}: `{name}` must be a number, got {value!r}. Fix: correct it.")
    return float(value)


def _categorical(*, spec: Mapping[str, Any], at: str) -> CategoricalDistribution:
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BadInputError(
            f"{at}: type categorical needs a non-empty list `choices`, got {choices!r}. "
            "Fix: e.g. choices: [sqrt, log2, null]."
        )
    bad = [c for c in choices if c is not None and not isinstance(c, bool | int | float | str)]
    if bad:
        raise BadInputError(
            f"{at}: choice {bad[0]!r} is not null, a bool, a number or a string. Fix: use "
            "plain values (sklearn objects go in a custom estimator, not in choices)."
        )
    return CategoricalDistribution(choices=choices)


def validate_space_keys(space: SearchSpace) -> None:
    """Every parameter path must exist in the built pipeline's ``get_params()``."""
    pipeline = build_pipeline(space=space, params={}, column_types=_PROBE_COLUMNS)
    check_param_paths(paths=space.params, valid=pipeline.get_params(deep=True), source=space.source)


def n_dimensions(spaces: Sequence[SearchSpace]) -> int:
    """Number of tuned parameters, plus one for the family choice when there are several."""
    return sum(len(s.params) for s in spaces) + (1 if len(spaces) > 1 else 0)


# ----------------------------------------------------------------------------- sampling


def param_name(*, family: str, path: str) -> str:
    """The flat name of one tuned parameter in a sampled config."""
    return f"{family}{SEPARATOR}{path}"


class ConditionalSpace:
    """Picklable define-by-run space: a family, then that family's parameters."""

    def __init__(self, spaces: Sequence[SearchSpace]) -> None:
        if not spaces:
            raise ValueError("ConditionalSpace needs at least one SearchSpace, got none")
        families = [s.family for s in spaces]
        if len(set(families)) != len(families):
            raise ValueError(f"family names must be unique, got {families}")
        self.spaces = tuple(spaces)

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(s.family for s in self.spaces)

    def __call__(self, trial: optuna.Trial) -> None:
        family = trial.suggest_categorical(FAMILY_KEY, list(self.families))
        space = next(s for s in self.spaces if s.family == family)
        for path, dist in space.params.items():
            name = param_name(family=family, path=path)
            if isinstance(dist, IntDistribution):
                trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
            elif isinstance(dist, FloatDistribution):
                trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
            elif isinstance(dist, CategoricalDistribution):
                trial.suggest_categorical(name, dist.choices)
            else:
                raise TypeError(f"unsupported distribution {dist!r} for {name!r}")

    def __repr__(self) -> str:
        return f"ConditionalSpace(families={list(self.families)})"


def split_config(config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Inverse of ``join_config``: the family and its params from a flat sampled config.

    ``{"family": "rf", "rf:model__max_depth": 5}`` -> ``("rf", {"model__max_depth": 5})``; keys of
    other families and non-parameter keys are ignored.
    """
    if FAMILY_KEY not in config:
        raise KeyError(f"sampled config has no {FAMILY_KEY!r} key: {sorted(config)}")
    family = str(config[FAMILY_KEY])
    prefix = f"{family}{SEPARATOR}"
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    return family, params


def join_config(*, family: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of ``split_config``: the flat config Optuna/Ray Tune use."""
    return {FAMILY_KEY: family, **{param_name(family=family, path=k): v for k, v in params.items()}}
