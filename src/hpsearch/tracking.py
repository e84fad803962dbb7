"""MLflow: one parent run per sweep, one child run per trial, written from the driver.

Child runs carry ``mlflow.parentRunId`` and ``hpsearch.trial_id``; before a child is
created the parent's existing children are consulted, so a resumed sweep never
duplicates one. Everything a trial logs goes in one ``log_batch`` call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlflow.entities import Metric, Param, Run, RunStatus, RunTag
from mlflow.tracking import MlflowClient

from hpsearch.bulk_runs import TAG_USER, ChildRun, bulk_insert_runs, current_user, is_sql_store
from hpsearch.records import TrialRecord
from hpsearch.trainable import STATUS_FAILED

TAG_PARENT = "mlflow.parentRunId"
TAG_RUN_NAME = "mlflow.runName"
TAG_TRIAL_ID = "hpsearch.trial_id"
TAG_SWEEP_DIR = "hpsearch.sweep_dir"
MAX_PARAM_LEN = 6000
MAX_TAG_LEN = 7900


def default_tracking_uri(cwd: Path | None = None) -> str:
    """MLflow 3's own default: a SQLite file in the working directory, made absolute."""
    return f"sqlite:///{((cwd or Path.cwd()) / 'mlflow.db').resolve()}"


def resolve_tracking_uri(uri: str | None, *, base: Path | None = None) -> str:
    """An absolute URI: trials chdir, so a relative SQLite path would break."""
    if not uri:
        return default_tracking_uri(base)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        relative = uri.removeprefix("sqlite:///")
        return f"sqlite:///{((base or Path.cwd()) / relative).resolve()}"
    if "://" not in uri:
        return (base or Path.cwd()).joinpath(uri).resolve().as_uri()
    return uri


def _artifact_root(uri: str) -> str | None:
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").as_uri()
    return None


class SweepTracker:
    """Writes one sweep's runs. Holds only plain data when pickled."""

    def __init__(self, *, tracking_uri: str, experiment: str) -> None:
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self._client: MlflowClient | None = None
        self._experiment_id: str | None = None
        self._children: dict[str, str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"tracking_uri": self.tracking_uri, "experiment": self.experiment}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            found = self.client.get_experiment_by_name(self.experiment)
            if found is None:
                self._experiment_id = self.client.create_experiment(
                    self.experiment, artifact_location=_artifact_root(self.tracking_uri)
                )
            else:
                self._experiment_id = found.experiment_id
        return self._experiment_id

    def start_parent(
        self, *, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]
    ) -> str:
        run = self.client.create_run(
            self.experiment_id, run_name=run_name, tags=dict(tags), start_time=_now_ms()
        )
        run_id: str = run.info.run_id
        self.client.log_batch(
            run_id, params=[Param(k, _clip(str(v), MAX_PARAM_LEN)) for k, v in params.items()]
        )
        return run_id

    def reopen_parent(self, run_id: str) -> None:
        """Mark a resumed parent RUNNING again (it ends FINISHED or KILLED later)."""
        self.client.update_run(run_id, status=RunStatus.to_string(RunStatus.RUNNING))

    def log_metrics(self, run_id: str, values: Mapping[str, float]) -> None:
        ts = _now_ms()
        self.client.log_batch(
            run_id, metrics=[Metric(k, float(v), ts, 0) for k, v in values.items()]
        )

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.client.log_batch(
            run_id, tags=[RunTag(k, _clip(v, MAX_TAG_LEN)) for k, v in tags.items()]
        )

    def log_artifact(self, run_id: str, path: Path, artifact_path: str | None = None) -> None:
        if path.is_dir():
            self.client.log_artifacts(run_id, str(path), artifact_path)
        elif path.exists():
            self.client.log_artifact(run_id, str(path), artifact_path)

    def finish(self, run_id: str, *, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status=status, end_time=_now_ms())

    def children(self, parent_run_id: str) -> dict[str, str]:
        """Existing child runs of a parent: ``{trial_id: run_id}``."""
        if self._children is None:
            self._children = {
                run.data.tags[TAG_TRIAL_ID]: run.info.run_id
                for run in self._search_children(parent_run_id)
                if run.data.tags.get(TAG_TRIAL_ID)
            }
        return self._children

    def log_trial(self, *, parent_run_id: str, record: TrialRecord) -> str:
        """Create (once) the finished child run of a trial, synchronously."""
        existing = self.children(parent_run_id)
        if record.trial_id in existing:
            return existing[record.trial_id]
        run_id = self.write_children([child_run(record=record, parent_run_id=parent_run_id)])[0]
        existing[record.trial_id] = run_id
        return run_id

    def claim(self, *, parent_run_id: str, trial_id: str) -> bool:
        """True the first time a trial id is seen for this parent (it must then be written)."""
        existing = self.children(parent_run_id)
        if trial_id in existing:
            return False
        existing[trial_id] = ""
        return True

    def write_children(self, runs: list[ChildRun]) -> list[str]:
        """Write finished child runs: one transaction for a SQL store, the REST API otherwise."""
        if is_sql_store(self.tracking_uri):
            return bulk_insert_runs(
                store=self.client._tracking_client.store,
                experiment_id=self.experiment_id,
                runs=runs,
            )
        return [self._write_via_api(run) for run in runs]

    def _write_via_api(self, child: ChildRun) -> str:
        run = self.client.create_run(
            self.experiment_id, run_name=child.name, tags=child.tags, start_time=child.start_ms
        )
        run_id: str = run.info.run_id
        metrics = [Metric(k, v, child.end_ms, step) for k, v, step in child.metrics]
        params = [Param(k, v) for k, v in child.params.items()]
        self.client.log_batch(run_id, metrics=metrics, params=params)
        self.client.set_terminated(run_id, status=child.status, end_time=child.end_ms)
        return run_id

    def reconcile(self, *, parent_run_id: str, records: list[TrialRecord]) -> tuple[int, int]:
        """After a killed driver: one finished child run per recorded trial, none RUNNING.

        A child left RUNNING was cut off between ``create_run`` and ``set_terminated``: it is
        deleted and logged again from the record. A record without a child is logged.
        Returns (deleted, logged).
        """
        deleted = 0
        kept: dict[str, str] = {}
        for run in self._search_children(parent_run_id):
            trial_id = run.data.tags.get(TAG_TRIAL_ID, "")
            if run.info.status == "RUNNING" or not trial_id or trial_id in kept:
                self.client.delete_run(run.info.run_id)
                deleted += 1
            else:
                kept[trial_id] = run.info.run_id
        self._children = kept
        missing = [r for r in records if r.trial_id not in kept]
        for record in missing:
            self.log_trial(parent_run_id=parent_run_id, record=record)
        return deleted, len(missing)

    def _search_children(self, parent_run_id: str) -> list[Run]:
        found: list[Run] = []
        token = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                filter_string=f"tags.`{TAG_PARENT}` = '{parent_run_id}'",
                max_results=1000,
                page_token=token,
            )
            found.extend(page)
            token = page.token
            if not token:
                return found


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
        tags["hpsearch.error"] = _clip(record.error, MAX_TAG_LEN)
        tags["hpsearch.traceback"] = _clip(record.traceback, MAX_TAG_LEN)
    metrics = [(k, float(v), 0) for k, v in record.metrics.items()]
    for name, values in record.fold_scores.items():
        metrics.extend((f"fold_{name}", float(v), i) for i, v in enumerate(values))
    params = {"family": record.family}
    params.update({k: _clip(repr_param(v), MAX_PARAM_LEN) for k, v in record.params.items()})
    return ChildRun(
        name=f"trial-{record.number:04d}-{record.family}",
        tags=tags,
        params=params,
        metrics=metrics,
        status="FAILED" if record.status == STATUS_FAILED else "FINISHED",
        start_ms=int(record.started * 1000),
        end_ms=int(record.ended * 1000),
    )


def repr_param(value: Any) -> str:
    return "None" if value is None else str(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _now_ms() -> int:
    return int(time.time() * 1000)
