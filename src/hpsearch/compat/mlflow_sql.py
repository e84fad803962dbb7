"""Finished child runs written in one SQL transaction, into MLflow's own ORM tables.

MLflow's client spends about 50 ms of driver CPU on a child run in a SQLite store (three
API calls, each with its own session, checks and commit); trials with little work finish
faster than that. For SQL stores hpsearch inserts a batch of finished runs (run, tags,
params, metrics, latest metrics) into the tables of MLflow's own ORM models, one
executemany INSERT per table in one session (building ORM objects cost as much CPU as
the client calls did). The rows are exactly those ``create_run`` + ``log_batch`` +
``set_terminated`` would write, which the integration tests read back through
``MlflowClient``. Other stores (an MLflow server) use the REST API.

Private: the ORM models (``mlflow.store.tracking.dbmodels.models``) and the client's store
(``MlflowClient._tracking_client.store``). MLflow's public API has no multi-run write.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hpsearch.compat.versions import require_attribute, require_version

Row = dict[str, Any]
SQL_SCHEMES = ("sqlite:", "postgresql", "mysql", "mssql")
MLFLOW = "mlflow"
KNOWN_MLFLOW = ">=3.17,<3.18"
_PURPOSE = "bulk child-run writer (tracking/)"
TAG_USER = "mlflow.user"


class RunRows(Protocol):
    """A finished run to insert (``hpsearch.tracking.child_runs.ChildRun``)."""

    @property
    def name(self) -> str: ...
    @property
    def tags(self) -> Mapping[str, str]: ...
    @property
    def params(self) -> Mapping[str, str]: ...
    @property
    def metrics(self) -> Sequence[tuple[str, float, int]]: ...
    @property
    def status(self) -> str: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...


def is_sql_store(tracking_uri: str) -> bool:
    return tracking_uri.startswith(SQL_SCHEMES)


def sql_store(client: Any) -> Any:
    """The SQLAlchemy store behind an ``MlflowClient`` for a SQL tracking URI."""
    tracking = require_attribute(
        client, "_tracking_client", distribution=MLFLOW, known=KNOWN_MLFLOW, purpose=_PURPOSE
    )
    store = require_attribute(
        tracking, "store", distribution=MLFLOW, known=KNOWN_MLFLOW, purpose=_PURPOSE
    )
    require_attribute(
        store, "ManagedSessionMaker", distribution=MLFLOW, known=KNOWN_MLFLOW, purpose=_PURPOSE
    )
    return store


def _metric_rows(run_id: str, child: RunRows) -> tuple[list[Row], list[Row]]:
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


def _run_row(*, run_id: str, child: RunRows, experiment: Any, user: str) -> Row:
    from mlflow.entities import LifecycleStage, SourceType
    from mlflow.utils.uri import append_to_uri_path

    return {
        "name": child.name,
        "artifact_uri": append_to_uri_path(experiment.artifact_location, run_id, "artifacts"),
        "run_uuid": run_id,
        "experiment_id": int(experiment.experiment_id),
        "source_type": SourceType.to_string(SourceType.UNKNOWN),
        "source_name": "",
        "entry_point_name": "",
        "user_id": child.tags.get(TAG_USER, user),
        "status": child.status,
        "start_time": child.start_ms,
        "end_time": child.end_ms,
        "deleted_time": None,
        "source_version": "",
        "lifecycle_stage": LifecycleStage.ACTIVE,
    }


def bulk_insert_runs(
    *, store: Any, experiment_id: str, runs: Sequence[RunRows], user: str
) -> list[str]:
    """Insert finished runs in one transaction, one multi-row INSERT per table; return
    their run ids. ``user`` is recorded for runs without an ``mlflow.user`` tag."""
    require_version(distribution=MLFLOW, known=KNOWN_MLFLOW, purpose=_PURPOSE)
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )

    experiment = store.get_experiment(experiment_id)
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
            _run_row(run_id=run_id, child=child, experiment=experiment, user=user)
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
