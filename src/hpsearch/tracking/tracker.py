"""MLflow: one parent run per sweep, one child run per trial, written from the driver.

Child runs carry ``mlflow.parentRunId`` and ``hpsearch.trial_id``; before a child is
created the parent's existing children are consulted, so a resumed sweep never
duplicates one. Everything a trial logs goes in one ``log_batch`` call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpsearch.compat.mlflow_sql import bulk_insert_runs, is_sql_store, sql_store
from hpsearch.store.records import TrialRecord
from hpsearch.tracking.child_runs import (
    MAX_PARAM_LEN,
    MAX_TAG_LEN,
    TAG_PARENT,
    TAG_TRIAL_ID,
    ChildRun,
    child_run,
    clip,
    current_user,
)
from hpsearch.tracking.store_lock import retry_locked, store_lock
from hpsearch.tracking.store_template import (
    copy_template,
    is_new_store,
    keep_as_template,
)
from hpsearch.tracking.uri import artifact_root

if TYPE_CHECKING:  # MLflow is imported where a store is opened: not on the way to a trial
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient


def _open_store(tracking_uri: str) -> MlflowClient:
    """The client of a store that answers; a new SQLite store comes from the migrated empty
    template when there is one (``store_template``), else MLflow creates it and it becomes
    the template."""
    from mlflow.tracking import MlflowClient

    new = is_new_store(tracking_uri)
    copied = new and copy_template(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri)
    client.search_experiments(max_results=1)
    if new and not copied:
        keep_as_template(tracking_uri)
    return client


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
            with store_lock(self.tracking_uri):  # a new SQLite store is created once
                client = _open_store(self.tracking_uri)
            self._client = client
        return self._client

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            client = self.client
            with store_lock(self.tracking_uri):  # two sweeps may create it at once
                found = client.get_experiment_by_name(self.experiment)
                if found is None:
                    self._experiment_id = client.create_experiment(
                        self.experiment, artifact_location=artifact_root(self.tracking_uri)
                    )
                else:
                    self._experiment_id = found.experiment_id
        return self._experiment_id

    def start_parent(
        self, *, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]
    ) -> str:
        from mlflow.entities import Param

        run = self.client.create_run(
            self.experiment_id, run_name=run_name, tags=dict(tags), start_time=_now_ms()
        )
        run_id: str = run.info.run_id
        self.client.log_batch(
            run_id, params=[Param(k, clip(str(v), MAX_PARAM_LEN)) for k, v in params.items()]
        )
        return run_id

    def find_parent(self, *, tag: str, value: str) -> str | None:
        """The id of a run that is no child run and has ``tag`` set to ``value``."""
        found = self.client.search_runs(
            [self.experiment_id], filter_string=f"tags.`{tag}` = '{value}'", max_results=50
        )
        parents = [r for r in found if TAG_PARENT not in r.data.tags]
        return parents[0].info.run_id if parents else None

    def reopen_parent(self, run_id: str) -> None:
        """Mark a resumed parent RUNNING again (it ends FINISHED or KILLED later)."""
        from mlflow.entities import RunStatus

        self.client.update_run(run_id, status=RunStatus.to_string(RunStatus.RUNNING))

    def log_metrics(self, run_id: str, values: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        ts = _now_ms()
        self.client.log_batch(
            run_id, metrics=[Metric(k, float(v), ts, 0) for k, v in values.items()]
        )

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(
            run_id, tags=[RunTag(k, clip(v, MAX_TAG_LEN)) for k, v in tags.items()]
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
            store, experiment_id, user = sql_store(self.client), self.experiment_id, current_user()
            return retry_locked(
                lambda: bulk_insert_runs(
                    store=store, experiment_id=experiment_id, runs=runs, user=user
                )
            )
        return [self._write_via_api(run) for run in runs]

    def _write_via_api(self, child: ChildRun) -> str:
        from mlflow.entities import Metric, Param

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


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ParentRun:
    """One sweep's parent run: its id and the tracker that writes to it."""

    tracker: SweepTracker
    run_id: str

    @property
    def tracking_uri(self) -> str:
        return self.tracker.tracking_uri

    def log_metrics(self, values: Mapping[str, float]) -> None:
        self.tracker.log_metrics(self.run_id, values)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self.tracker.set_tags(self.run_id, tags)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self.tracker.log_artifact(self.run_id, path, artifact_path)

    def finish(self, status: str) -> None:
        self.tracker.finish(self.run_id, status=status)
