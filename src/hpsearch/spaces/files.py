"""Where search-space files live and how they are read: YAML only, no estimator imported.

Light on purpose: ``tune.runtime`` asks it which estimator modules a sweep's trial workers
will need (``estimator_modules``) before scikit-learn is imported, so that a local Ray can
preload them while the driver gets ready. ``loader`` checks the files completely.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from hpsearch.config.metrics import Task
from hpsearch.config.suggestions import did_you_mean
from hpsearch.errors import BadInputError

SPACES_DIR_ENV = "HPSEARCH_SPACES_DIR"
FORMAT_HINT = "see search_spaces/README.md for the format"


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
    return Path(__file__).resolve().parents[3] / "search_spaces"


def shipped_families(task: Task) -> tuple[str, ...]:
    """Names of the shipped families for a task, sorted."""
    folder = shipped_spaces_dir() / task
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def is_path(entry: str) -> bool:
    """Whether a ``search.spaces`` entry is a file path rather than a shipped family name."""
    return "/" in entry or os.sep in entry or entry.endswith((".yaml", ".yml"))


def resolve_entry(*, entry: str, task: Task) -> Path:
    """The file of a ``search.spaces`` entry; ``BadInputError`` naming the fix otherwise."""
    if is_path(entry):
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
        hint = hint or did_you_mean(entry, shipped)
        raise BadInputError(
            f"unknown {task} search space {entry!r}.{hint} Shipped {task} families: "
            f"{', '.join(shipped) or '(none found in ' + str(shipped_spaces_dir()) + ')'}. "
            "Fix: use one of them, or the path to your own YAML file (" + FORMAT_HINT + ")."
        )
    return shipped_spaces_dir() / task / f"{entry}.yaml"


def read_yaml(path: Path) -> Any:
    """A space file's YAML; ``BadInputError`` when it cannot be read or parsed."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise BadInputError(
            f"search space {path} is not valid YAML: {exc}. Fix: correct the syntax."
        ) from None
    except OSError as exc:
        raise BadInputError(f"search space {path} cannot be read: {exc}.") from None


def _class_paths(raw: Any) -> list[str]:
    """The import paths of the classes a space file names: its estimator and any nested
    ``{class: ...}`` argument in ``fixed`` (e.g. the XGBoost model inside ``EncodedLabels``)."""
    if not isinstance(raw, dict):
        return []
    fixed = raw.get("fixed")
    nested = (
        [v.get("class") for v in fixed.values() if isinstance(v, dict)]
        if isinstance(fixed, dict)
        else []
    )
    return [p for p in [raw.get("estimator"), *nested] if isinstance(p, str) and "." in p]


def estimator_modules(*, entries: Sequence[str], task: Task) -> tuple[str, ...]:
    """The modules of the classes the ``entries`` name, best effort and without importing
    them: a file that cannot be read, or a module whose top-level package is not installed,
    is left out (the preflight reports it properly)."""
    modules: list[str] = []
    for entry in entries:
        try:
            raw = read_yaml(resolve_entry(entry=entry, task=task))
        except BadInputError:
            continue
        for path in _class_paths(raw):
            module = path.rsplit(".", 1)[0]
            if module in modules or importlib.util.find_spec(module.split(".")[0]) is None:
                continue
            modules.append(module)
    return tuple(modules)
