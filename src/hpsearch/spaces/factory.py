"""Your own pipeline: the ``pipeline: package.module:function`` of a sweep file.

The function returns an unfitted scikit-learn estimator, one of two kinds:

- a ``Pipeline`` whose last step, named ``model``, is the model (``full``): the space files
  tune its steps by their ``step__param`` paths;
- a transformer (``transformer``): hpsearch builds ``Pipeline([("preprocess", it),
  ("model", <each family's model>)])`` in place of its own preprocessing.

It is called for every pipeline built (every fold of every trial gets a fresh, unfitted
copy), so its steps are fitted on each fold's training rows only. The module is imported
from ``path`` (put on ``sys.path``, as ``PYTHONPATH`` would) or from where it is installed;
trial actors import it the same way, so it must be importable on every Ray node.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from hpsearch.errors import BadInputError
from hpsearch.spaces.trust import qualified_name

Kind = Literal["full", "transformer"]
MODEL_STEP = "model"


@dataclass(frozen=True)
class PipelineFactory:
    """``reference`` is ``package.module:function``; ``path`` the folder it imports from."""

    reference: str
    path: str | None = None

    @property
    def module_name(self) -> str:
        return self.reference.partition(":")[0]

    @property
    def top_level(self) -> str:
        """The top-level package or module: what a registered model ships as its code."""
        return self.module_name.split(".")[0]

    def to_dict(self) -> dict[str, str | None]:
        return {"factory": self.reference, "path": self.path}


def _fix(factory: PipelineFactory) -> str:
    where = factory.path or "(installed packages only)"
    return (
        f"Fix: make {factory.module_name!r} importable: put it in the folder {where} "
        "(`pipeline.path`, by default the sweep file's folder) or install it, and name a "
        "function of it after the colon."
    )


def import_factory(factory: PipelineFactory) -> Callable[[], object]:
    """The factory function; ``BadInputError`` naming the module when it does not import."""
    if factory.path and factory.path not in sys.path:
        sys.path.append(factory.path)
    module_name, _, attr = factory.reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadInputError(
            f"pipeline: {factory.reference!r} does not import ({exc}). {_fix(factory)}"
        ) from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise BadInputError(
            f"pipeline: module {module_name!r} has no function {attr!r}. {_fix(factory)}"
        )
    return function


def make_estimator(factory: PipelineFactory) -> tuple[Kind, BaseEstimator]:
    """Call the factory and say which kind it returned; refuse anything else."""
    try:
        made = import_factory(factory)()
    except BadInputError:
        raise
    except Exception as exc:
        raise BadInputError(
            f"pipeline: calling {factory.reference}() failed: "
            f"{type(exc).__name__}: {str(exc).rstrip('.')}. "
            "Fix: the function must take no arguments and return an unfitted estimator."
        ) from None
    if isinstance(made, Pipeline):
        name, last = made.steps[-1]
        if hasattr(last, "predict"):
            if name != MODEL_STEP:
                raise BadInputError(
                    f"pipeline: the last step of the Pipeline from {factory.reference}() is "
                    f"named {name!r}; hpsearch addresses the model as {MODEL_STEP!r} (its "
                    "seed, threads, early stopping and the `model__` parameter paths). Fix: "
                    f'name it: Pipeline([..., ("{MODEL_STEP}", {type(last).__name__}())]).'
                )
            return "full", made
    if hasattr(made, "fit") and hasattr(made, "transform") and hasattr(made, "get_params"):
        return "transformer", made
    raise BadInputError(
        f"pipeline: {factory.reference}() returned {type(made).__name__}, which is neither a "
        f"scikit-learn Pipeline whose last step ({MODEL_STEP!r}) predicts nor a transformer "
        "(fit, transform, get_params). Fix: return one of those, unfitted."
    )


def module_location(factory: PipelineFactory) -> Path:
    """The file or package folder of the factory's top-level module (what ships with a
    registered model and a job)."""
    import_factory(factory)
    module = sys.modules[factory.top_level]
    file = getattr(module, "__file__", None)
    if file is None:
        raise BadInputError(
            f"pipeline: {factory.top_level!r} is a namespace package without files; it cannot "
            f"be shipped with the model. Fix: add an __init__.py to it. {_fix(factory)}"
        )
    path = Path(file)
    return path.parent if path.name == "__init__.py" else path


def with_factory_model(*, raw: object, source: str, pipeline: PipelineFactory | None) -> object:
    """A space used with a full Pipeline of the user's may leave out ``estimator`` (it is the
    pipeline's ``model`` step); one that names it must name that step's class."""
    if pipeline is None or not isinstance(raw, dict):
        return raw
    kind, made = make_estimator(pipeline)
    if kind != "full":
        return raw
    model = qualified_name(made.named_steps["model"])
    named = raw.get("estimator")
    if named is None:
        return {**raw, "estimator": model}
    if named != model:
        raise BadInputError(
            f"search space {source}: estimator {named!r}, but the model step of the pipeline "
            f"from {pipeline.reference}() is {model}. Fix: leave `estimator` out of this "
            "space file (the pipeline's model step is used), or change the pipeline's model."
        )
    return raw
