"""Log the refit model to MLflow and, when it passed, register it with alias ``candidate``."""

from __future__ import annotations

import json
from importlib import metadata

import mlflow
import pandas as pd
import skops.io as sio
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

CANDIDATE_ALIAS = "candidate"
_RUNTIME_PACKAGES = ("scikit-learn", "pandas", "numpy", "scipy")


def _pip_requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in _RUNTIME_PACKAGES]


def trusted_types(model: Pipeline) -> list[str]:
    """Types skops does not trust by default that our pipelines legitimately contain."""
    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    allowed = ("hpsearch.", "numpy.", "sklearn.")
    unexpected = [t for t in untrusted if not t.startswith(allowed)]
    if unexpected:
        raise ValueError(
            f"the pipeline contains types outside hpsearch/numpy/sklearn: {unexpected}"
        )
    return list(untrusted)


def log_model(
    *,
    tracking_uri: str,
    parent_run_id: str,
    model: Pipeline,
    X_example: pd.DataFrame,
) -> str:
    """Log the fitted pipeline on the parent run with signature and input example."""
    mlflow.set_tracking_uri(tracking_uri)
    example = X_example.head(5)
    signature = infer_signature(example, model.predict(example))
    with mlflow.start_run(run_id=parent_run_id, log_system_metrics=False):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=_pip_requirements(),
            skops_trusted_types=trusted_types(model),
        )
    return str(info.model_uri)


def register_candidate(
    *,
    tracking_uri: str,
    model_uri: str,
    name: str,
    tags: dict[str, str],
    thresholds: dict[str, float],
) -> str:
    """Register a version and point alias ``candidate`` at it; return the version."""
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    version = mlflow.register_model(model_uri, name, tags=tags)
    client.set_model_version_tag(
        name, version.version, "hpsearch.thresholds", json.dumps(thresholds, sort_keys=True)
    )
    client.set_registered_model_alias(name, CANDIDATE_ALIAS, version.version)
    return str(version.version)
