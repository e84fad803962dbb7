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
from hpsearch.tracking.parent import TAG_IGNORED


@dataclass(frozen=True)
class ValidationReport:
    model_uri: str
    task: Task
    scores: dict[str, float]
    thresholds: dict[str, float]
    failures: tuple[str, ...]
    n_rows: int
    ignored: tuple[str, ...] = ()  # the sweep's id/group/time/drop columns found in the data

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


@dataclass(frozen=True)
class Recorded:
    """What the model's sweep recorded: thresholds, task, columns that are not features."""

    thresholds: dict[str, float]
    task: str | None
    ignored: tuple[str, ...]


def _recorded(model_uri: str, client: mlflow.MlflowClient) -> Recorded:
    """Read from the model version's tags, then from its sweep's parent run."""
    thresholds: dict[str, float] = {}
    task, ignored = None, ()
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
            tags = client.get_run(run_id).data.tags
            task = tags.get("hpsearch.task")
            if not thresholds and "hpsearch.thresholds" in tags:
                thresholds = json.loads(tags["hpsearch.thresholds"])
            ignored = tuple(json.loads(tags.get(TAG_IGNORED, "[]")))
    except mlflow.exceptions.MlflowException:
        pass
    return Recorded(thresholds=thresholds, task=task, ignored=ignored)


def _check_columns(
    model: Any, frame: pd.DataFrame, *, target: str, ignored: Sequence[str]
) -> list[str]:
    """The model's input columns; the sweep's non-feature columns are not "unexpected"."""
    schema = model.metadata.get_input_schema()
    present = [c for c in frame.columns if c != target and c not in ignored]
    if schema is None:
        return present
    expected = list(schema.input_names())
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
        client = mlflow.MlflowClient(tracking_uri=tracking_uri)
        try:
            pyfunc = mlflow.pyfunc.load_model(model_uri)
        except mlflow.exceptions.MlflowException as exc:
            raise BadInputError(
                f"cannot load model {model_uri!r}: {exc.message}. Fix: use "
                "models:/NAME@candidate, models:/NAME/VERSION or runs:/RUN_ID/model with the "
                "right --tracking-uri."
            ) from None
        frame = load_frame(test_data)
        if target not in frame.columns:
            raise BadInputError(
                f"target column {target!r} is not in {test_data}; columns: "
                f"{', '.join(frame.columns)}. Fix: pass --target COLUMN."
            )
        recorded = _recorded(model_uri, client)
        columns = _check_columns(pyfunc, frame, target=target, ignored=recorded.ignored)
        model = mlflow.sklearn.load_model(model_uri)
        task: Task = "classification" if hasattr(model, "predict_proba") else "regression"
        if recorded.task in ("classification", "regression"):
            task = recorded.task  # type: ignore[assignment]
        chosen = dict(thresholds) if thresholds else recorded.thresholds
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
            ignored=tuple(c for c in recorded.ignored if c in frame.columns),
        )
