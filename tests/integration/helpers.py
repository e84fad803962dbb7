"""Run a sweep in-process against the session's local Ray and read back MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from factories import write_sweep
from hpsearch.config import load_sweep, with_overrides
from hpsearch.sweep import SweepEnding, run_sweep


def sweep(tmp_path: Path, tracking_uri: str, **sections: Any) -> SweepEnding:
    path = write_sweep(tmp_path / "sweep.yaml", **sections)
    config = with_overrides(load_sweep(path), tracking_uri=tracking_uri)
    return run_sweep(
        config=config, storage=tmp_path / "sweeps", sweep_file=path, show_progress=False
    )


def child_runs(client: MlflowClient, result: SweepEnding) -> list[Run]:
    parent = client.get_run(result.parent_run_id)
    runs = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{result.parent_run_id}'",
        max_results=5000,
    )
    return list(runs)


def all_runs(client: MlflowClient, result: SweepEnding) -> list[Run]:
    parent = client.get_run(result.parent_run_id)
    return list(client.search_runs([parent.info.experiment_id], max_results=5000))
