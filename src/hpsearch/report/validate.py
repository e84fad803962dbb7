"""`hpsearch validate`: score a registered model on a labelled file against thresholds."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mlflow
import pandas as pd

from hpsearch.compat.mlflow_uri import using_tracking_uri
from hpsearch.config.metrics import Task, get_metric, metrics_for
from hpsearch.errors import BadInputError
from hpsearch.evaluation.scoring import score_model
from hpsearch.prepare.load import load_frame
from hpsearch.report.judge import threshold_failures


@dataclass(frozen=True)
class ValidationReport:
    model_uri: str
    task: Task
    scores: dict[str, float]
    thresholds: dict[str, float]
    failures: tuple[str, ...]
    n_rows: int

    @property
    def passed(self) -> bool:
        return not self.failures


def parse_thresholds(items: Sequence[str]) -> dict[str, float]:
    """``["accuracy=0.8", ...]`` -> ``{"accuracy": 0.8}``."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise BadInputError(
                f"--threshold {item!r} must look like METRIC=VALUE, e.g. accuracy=0.8"
            ) from None
    return out


def _recorded(model_uri: str, client: mlflow.MlflowClient) -> tuple[dict[str, float], str | None]:
    """Thresholds and task recorded with the model's sweep (version tag or parent run)."""
    thresholds: dict[str, float] = {}
    task = None
    try:
        if model_uri.startswith("models:/"):
            ref = model_uri.removeprefix("models:/")
            name, sep, rest = ref.partition("@")
            if sep:
                version = client.get_model_version_by_alias(name, rest)
            else:
                name, _, number = ref.partition("/")
                version = client.get_model_version(name, number)
            if "hpsearch.thresholds" in version.tags:
                thresholds = json.loads(version.tags["hpsearch.thresholds"])
            run_id = version.run_id
        elif model_uri.startswith("runs:/"):
            run_id = model_uri.removeprefix("runs:/").split("/")[0]
        else:
            run_id = None
        if run_id:
            run = client.get_run(run_id)
            task = run.data.tags.get("hpsearch.task")
            if not thresholds and "hpsearch.thresholds" in run.data.tags:
                thresholds = json.loads(run.data.tags["hpsearch.thresholds"])
    except mlflow.exceptions.MlflowException:
        pass
    return thresholds, task


def _check_columns(model: Any, frame: pd.DataFrame, target: str) -> list[str]:
    schema = model.metadata.get_input_schema()
    if schema is None:
        return [c for c in frame.columns if c != target]
    expected = list(schema.input_names())
    present = [c for c in frame.columns if c != target]
    missing = [c for c in expected if c not in present]
    unexpected = [c for c in present if c not in expected]
    if missing or unexpected:
        raise BadInputError(
            "test data columns do not match the model's signature: "
            f"missing {missing or 'none'}, unexpected {unexpected or 'none'}. "
            f"Fix: supply exactly the model's input columns plus the target {target!r}."
        )
    return expected


def validate_model(
    *,
    model_uri: str,
    test_data: str,
    target: str,
    thresholds: Mapping[str, float] | None,
    tracking_uri: str,
) -> ValidationReport:
    """Load, check columns, score every metric, compare with the thresholds."""
    with using_tracking_uri(tracking_uri):  # models:/ URIs resolve against it
        return _validate(
            model_uri=model_uri, test_data=test_data, target=target, thresholds=thresholds,
            tracking_uri=tracking_uri,
        )  # fmt: skip


def _validate(
    *,
    model_uri: str,
    test_data: str,
    target: str,
    thresholds: Mapping[str, float] | None,
    tracking_uri: str,
) -> ValidationReport:
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    try:
        pyfunc = mlflow.pyfunc.load_model(model_uri)
    except mlflow.exceptions.MlflowException as exc:
        raise BadInputError(
            f"cannot load model {model_uri!r}: {exc.message}. Fix: use models:/NAME@candidate, "
            "models:/NAME/VERSION or runs:/RUN_ID/model with the right --tracking-uri."
        ) from None
    frame = load_frame(test_data)
    if target not in frame.columns:
        raise BadInputError(
            f"target column {target!r} is not in {test_data}; columns: {', '.join(frame.columns)}. "
            "Fix: pass --target COLUMN."
        )
    columns = _check_columns(pyfunc, frame, target)
    recorded, recorded_task = _recorded(model_uri, client)
    model = mlflow.sklearn.load_model(model_uri)
    task: Task = "classification" if hasattr(model, "predict_proba") else "regression"
    if recorded_task in ("classification", "regression"):
        task = recorded_task  # type: ignore[assignment]
    chosen = dict(thresholds) if thresholds else recorded
    valid = metrics_for(task)
    unknown = [m for m in chosen if m not in valid]
    if unknown:
        raise BadInputError(
            f"unknown {task} metric(s) {unknown} in thresholds; valid: {', '.join(valid)}"
        )
    metrics = [get_metric(name=m, task=task) for m in valid]
    scores = score_model(model=model, X=frame[columns], y=frame[target], metrics=metrics)
    failures = threshold_failures(scores=scores, thresholds=chosen, task=task)
    return ValidationReport(
        model_uri=model_uri,
        task=task,
        scores=scores,
        thresholds=chosen,
        failures=tuple(failures),
        n_rows=len(frame),
    )
