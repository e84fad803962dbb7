"""Log the refit model to MLflow and, when it passed, register it with alias ``candidate``."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

import hpsearch_runtime
from hpsearch.compat.mlflow_uri import using_tracking_uri
from hpsearch.spaces.factory import PipelineFactory, module_location
from hpsearch.spaces.trust import untrusted

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

CANDIDATE_ALIAS = "candidate"
_RUNTIME_PACKAGES = ("scikit-learn", "pandas", "numpy", "scipy")
# module prefix of a type in the pipeline -> the distribution a loader needs for it
_MODEL_LIBRARIES = {"xgboost": "xgboost-cpu", "lightgbm": "lightgbm", "catboost": "catboost"}


def _pip_requirements(types: list[str]) -> list[str]:
    """The runtime packages, and each boosting library the pipeline holds a type of."""
    needed = list(_RUNTIME_PACKAGES)
    for module, distribution in _MODEL_LIBRARIES.items():
        if any(t.startswith(f"{module}.") for t in types):
            needed.append(distribution)
    return [f"{name}=={metadata.version(name)}" for name in needed]


def trusted_types(
    model: Pipeline, *, extra: Sequence[str] = (), own: Sequence[str] = ()
) -> list[str]:
    """Types skops does not trust by default that the pipeline legitimately contains: those
    of hpsearch's libraries, those its space file lists and those of the sweep's own
    pipeline module (settled at preflight)."""
    import skops.io as sio  # 1.7 s of imports: not on the way to the first trial

    found = sio.get_untrusted_types(data=sio.dumps(model))
    unexpected = untrusted(found, extra=extra, own=own)
    if unexpected:  # the preflight refuses these; reaching here is a bug
        raise RuntimeError(f"the pipeline holds types nobody trusted: {unexpected}")
    return list(found)


def log_model(
    *,
    tracking_uri: str,
    parent_run_id: str,
    model: Pipeline,
    X_example: pd.DataFrame,
    extra_trusted: Sequence[str] = (),
    pipeline: PipelineFactory | None = None,
) -> str:
    """Log the fitted pipeline on the parent run with signature and input example; with the
    sweep's own ``pipeline``, its module ships with the model (MLflow ``code_paths``)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    example = X_example.head(5)
    signature = infer_signature(example, model.predict(example))
    own = () if pipeline is None else (pipeline.top_level,)
    trusted = trusted_types(model, extra=extra_trusted, own=own)
    with (
        using_tracking_uri(tracking_uri),
        tempfile.TemporaryDirectory(prefix="hpsearch-code-") as staging,
        mlflow.start_run(run_id=parent_run_id, log_system_metrics=False),
    ):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=_pip_requirements(trusted),
            skops_trusted_types=trusted,
            code_paths=_code_paths(trusted=trusted, staging=Path(staging), pipeline=pipeline),
        )
    return str(info.model_uri)


def _code_paths(
    *, trusted: list[str], staging: Path, pipeline: PipelineFactory | None
) -> list[str] | None:
    """``hpsearch_runtime`` (numpy, pandas and scikit-learn only), shipped with a model whose
    pipeline holds one of its types, and the sweep's own pipeline module, so the model loads
    where neither hpsearch nor that module is installed."""
    paths = []
    if any(t.startswith("hpsearch_runtime.") for t in trusted):
        paths.append(_copy(Path(hpsearch_runtime.__file__).parent, staging=staging))
    if pipeline is not None:
        paths.append(_copy(module_location(pipeline), staging=staging))
    return paths or None


def _copy(source: Path, *, staging: Path) -> str:
    target = staging / source.name
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copyfile(source, target)
    return str(target)


def register_candidate(
    *,
    tracking_uri: str,
    model_uri: str,
    name: str,
    tags: dict[str, str],
    thresholds: dict[str, float],
) -> str:
    """Register a version and point alias ``candidate`` at it; return the version.

    Through the client, not ``mlflow.register_model``, which prints "Successfully registered
    model" to stderr outside logging (noise in a notebook cell or a job log). ``model_uri``
    is the logged model's ``models:/<model_id>``, which is what the fluent call resolves."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    try:
        client.create_registered_model(name)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    model_id = model_uri.removeprefix("models:/")
    # the registry store looks the logged model up through the global tracking URI
    with using_tracking_uri(tracking_uri):
        version = client.create_model_version(
            name, model_uri, tags=tags, model_id=model_id if model_id != model_uri else None
        )
    client.set_model_version_tag(
        name, version.version, "hpsearch.thresholds", json.dumps(thresholds, sort_keys=True)
    )
    client.set_registered_model_alias(name, CANDIDATE_ALIAS, version.version)
    return str(version.version)


DESCRIPTION_LIMIT = 5000  # MLflow's SQL registry: model_versions.description is String(5000)


def attach_card(*, tracking_uri: str, name: str, version: str, model_uri: str, card: Path) -> None:
    """The model card on the registered version: its description (what the registry's page
    shows; cut to MLflow's limit with a pointer) and ``model_card.md`` among the logged
    model's artifacts (whole)."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    text = card.read_text(encoding="utf-8")
    if len(text) > DESCRIPTION_LIMIT:
        tail = "\n\n(cut here: the whole card is model_card.md among the model's artifacts)\n"
        head = text[: DESCRIPTION_LIMIT - len(tail)]
        text = head[: head.rfind("\n") + 1 or len(head)].rstrip("\n") + tail  # whole lines
    client.update_model_version(name, version, description=text)
    model_id = model_uri.removeprefix("models:/")
    if model_id != model_uri:
        with using_tracking_uri(tracking_uri):
            client.log_model_artifact(model_id, str(card))
