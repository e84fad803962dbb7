"""Child runs inserted in bulk read back exactly like runs written through MLflow's API."""

from __future__ import annotations

import math
from pathlib import Path

from mlflow.entities import Run

from hpsearch.tracking.child_runs import ChildRun
from hpsearch.tracking.tracker import SweepTracker


def _child(name: str, *, status: str = "FINISHED") -> ChildRun:
    return ChildRun(
        name=name,
        tags={
            "mlflow.parentRunId": "p" * 32,
            "hpsearch.trial_id": name,
            "hpsearch.x": "1",
            "mlflow.user": "alice",
        },
        params={"family": "dummy", "model__strategy": "prior", "depth": "None"},
        metrics=[
            ("cv_roc_auc_mean", 0.75, 0),
            ("fold_roc_auc", 0.7, 0),
            ("fold_roc_auc", 0.8, 1),
            ("cv_log_loss_mean", math.nan, 0),
        ],
        status=status,
        start_ms=1_700_000_000_000,
        end_ms=1_700_000_002_500,
    )


def _view(run: Run) -> dict[str, object]:
    tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.source")}
    return {
        "name": run.info.run_name,
        "status": run.info.status,
        "start": run.info.start_time,
        "end": run.info.end_time,
        "user": run.info.user_id,
        "stage": run.info.lifecycle_stage,
        "tags": tags,
        "params": run.data.params,
        "metrics": {k: (v if not math.isnan(v) else "nan") for k, v in run.data.metrics.items()},
    }


def test_bulk_rows_equal_api_rows(tmp_path: Path) -> None:
    tracker = SweepTracker(
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="bulk-test"
    )
    bulk_ids = tracker.write_children([_child("a"), _child("b", status="FAILED")])
    api_id = tracker._write_via_api(_child("a"))
    client = tracker.client
    bulk = client.get_run(bulk_ids[0])
    api = client.get_run(api_id)
    assert _view(bulk) == _view(api)
    assert bulk.info.user_id == "alice"
    assert bulk.info.artifact_uri.endswith(f"{bulk_ids[0]}/artifacts")
    history = client.get_metric_history(bulk_ids[0], "fold_roc_auc")
    assert [(m.step, m.value) for m in history] == [(0, 0.7), (1, 0.8)]
    failed = client.get_run(bulk_ids[1])
    assert failed.info.status == "FAILED"
    found = client.search_runs(
        [tracker.experiment_id], filter_string="tags.`hpsearch.trial_id` = 'b'"
    )
    assert [r.info.run_id for r in found] == [bulk_ids[1]]
    assert len(set(bulk_ids)) == 2
