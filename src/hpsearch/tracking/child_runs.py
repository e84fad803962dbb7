"""A trial's child run, built once from its record: tags, params, metrics by fold."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord

TAG_PARENT = "mlflow.parentRunId"
TAG_RUN_NAME = "mlflow.runName"
TAG_TRIAL_ID = "hpsearch.trial_id"
TAG_USER = "mlflow.user"
MAX_PARAM_LEN = 6000
MAX_TAG_LEN = 7900


@dataclass(frozen=True)
class ChildRun:
    """A finished trial's child run, ready to write."""

    name: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: list[tuple[str, float, int]]  # (key, value, step)
    status: str
    start_ms: int
    end_ms: int


def current_user() -> str:
    """The user MLflow's fluent API records for a run (``mlflow.user``): the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def child_run(*, record: TrialRecord, parent_run_id: str) -> ChildRun:
    """Everything a trial's child run holds, built once from its record."""
    tags = {
        TAG_PARENT: parent_run_id,
        TAG_TRIAL_ID: record.trial_id,
        "hpsearch.family": record.family,
        "hpsearch.node_id": record.node_id,
        "hpsearch.status": record.status,
        "hpsearch.trial_number": str(record.number),
        TAG_USER: current_user(),  # the client's create_run reads the user from this tag
    }
    if record.error:
        tags["hpsearch.error"] = clip(record.error, MAX_TAG_LEN)
        tags["hpsearch.traceback"] = clip(record.traceback, MAX_TAG_LEN)
    metrics = [(k, float(v), 0) for k, v in record.metrics.items()]
    for name, values in record.fold_scores.items():
        metrics.extend((f"fold_{name}", float(v), i) for i, v in enumerate(values))
    # the primary metric at each cheaper fidelity of the first fold, in order (step = rung)
    metrics.extend(("rung_score", float(v), i) for i, v in enumerate(record.rung_scores.values()))
    if record.rung_scores:
        tags["hpsearch.rungs"] = ", ".join(record.rung_scores)
    params = {"family": record.family}
    params.update({k: clip(repr_param(v), MAX_PARAM_LEN) for k, v in record.params.items()})
    return ChildRun(
        name=f"trial {record.number} ({record.trial_id}) {record.family}",  # as the card says
        tags=tags,
        params=params,
        metrics=metrics,
        status="FAILED" if record.status == TrialStatus.FAILED else "FINISHED",
        start_ms=int(record.started * 1000),
        end_ms=int(record.ended * 1000),
    )


def repr_param(value: Any) -> str:
    return "None" if value is None else str(value)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
