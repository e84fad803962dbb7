"""Finished child runs written in one SQL transaction.

MLflow's client spends about 50 ms of driver CPU on a child run in a SQLite store (three
API calls, each with its own session, checks and commit); trials with little work finish
faster than that. For SQL stores hpsearch inserts a batch of finished runs (run, tags,
params, metrics, latest metrics) into the tables of MLflow's own ORM models, one
executemany INSERT per table in one session (building ORM objects cost as much CPU as
the client calls did). The rows are exactly those ``create_run`` + ``log_batch`` +
``set_terminated`` would write, which the integration tests read back through
``MlflowClient``. Other stores (an MLflow
server) use the REST API.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]
SQL_SCHEMES = ("sqlite:", "postgresql", "mysql", "mssql")


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


TAG_USER = "mlflow.user"


def current_user() -> str:
    """The user MLflow's fluent API records for a run (``mlflow.user``)."""
    from mlflow.tracking.context.default_context import _get_user

    return str(_get_user())


def is_sql_store(tracking_uri: str) -> bool:
    return tracking_uri.startswith(SQL_SCHEMES)


def _metric_rows(run_id: str, child: ChildRun) -> tuple[list[Row], list[Row]]:
    rows: list[Row] = []
    latest: dict[str, tuple[int, float, bool]] = {}
    for key, value, step in child.metrics:
        is_nan = math.isnan(value)
        stored = 0.0 if is_nan else value
        rows.append(
            {
                "run_uuid": run_id,
                "key": key,
                "value": stored,
                "timestamp": child.end_ms,
                "step": step,
                "is_nan": is_nan,
            }
        )
        if key not in latest or step >= latest[key][0]:
            latest[key] = (step, stored, is_nan)
    last: list[Row] = [
        {
            "run_uuid": run_id,
            "key": key,
            "value": value,
            "timestamp": child.end_ms,
            "step": step,
            "is_nan": is_nan,
        }
        for key, (step, value, is_nan) in latest.items()
    ]
    return rows, last


def bulk_insert_runs(*, store: Any, experiment_id: str, runs: list[ChildRun]) -> list[str]:
    """Insert finished runs in one transaction, one multi-row INSERT per table; return
    their run ids."""
    from mlflow.entities import LifecycleStage, SourceType
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )
    from mlflow.utils.uri import append_to_uri_path

    experiment = store.get_experiment(experiment_id)
    fallback = current_user()
    ids: list[str] = []
    tables: dict[Any, list[Row]] = {
        SqlRun.__table__: [],
        SqlTag.__table__: [],
        SqlParam.__table__: [],
        SqlMetric.__table__: [],
        SqlLatestMetric.__table__: [],
    }
    for child in runs:
        run_id = uuid.uuid4().hex
        ids.append(run_id)
        tables[SqlRun.__table__].append(
            {
                "name": child.name,
                "artifact_uri": append_to_uri_path(
                    experiment.artifact_location, run_id, "artifacts"
                ),
                "run_uuid": run_id,
                "experiment_id": int(experiment_id),
                "source_type": SourceType.to_string(SourceType.UNKNOWN),
                "source_name": "",
                "entry_point_name": "",
                "user_id": child.tags.get(TAG_USER, fallback),
                "status": child.status,
                "start_time": child.start_ms,
                "end_time": child.end_ms,
                "deleted_time": None,
                "source_version": "",
                "lifecycle_stage": LifecycleStage.ACTIVE,
            }
        )
        tags = {"mlflow.runName": child.name, **child.tags}
        tables[SqlTag.__table__] += [
            {"key": k, "value": v, "run_uuid": run_id} for k, v in tags.items()
        ]
        tables[SqlParam.__table__] += [
            {"key": k, "value": v, "run_uuid": run_id} for k, v in child.params.items()
        ]
        metrics, latest = _metric_rows(run_id, child)
        tables[SqlMetric.__table__] += metrics
        tables[SqlLatestMetric.__table__] += latest
    with store.ManagedSessionMaker(read_only=False) as session:
        for table, rows in tables.items():  # runs first: the others refer to them
            if rows:
                session.execute(table.insert(), rows)
    return ids
