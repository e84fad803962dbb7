"""A ``SearchCV`` fit in MLflow, as ``hpsearch run`` writes a sweep: one parent run, one
child run per trial (params, status, CV mean and std per scorer, the score of every fold).

The parent is opened before the first trial (an unreachable store fails the fit at once,
with the fix) and closed after the refit, FAILED if the fit raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpsearch.searchcv.evaluate import CandidateResult
from hpsearch.status import TrialStatus
from hpsearch.store.paths import utc_now
from hpsearch.store.records import TrialRecord
from hpsearch.tracking.child_runs import child_run
from hpsearch.tracking.outage import store_required
from hpsearch.tracking.tracker import SweepTracker
from hpsearch.tracking.uri import resolve_tracking_uri
from hpsearch.version import __version__

DEFAULT_EXPERIMENT = "searchcv"


@dataclass(frozen=True)
class SearchRun:
    tracker: SweepTracker
    run_id: str
    family: str

    @classmethod
    def open(
        cls, *, tracking_uri: str | None, experiment: str | None, estimator: Any,
        params: dict[str, Any],
    ) -> SearchRun:  # fmt: skip
        uri = resolve_tracking_uri(tracking_uri)
        tracker = SweepTracker(tracking_uri=uri, experiment=experiment or DEFAULT_EXPERIMENT)
        family = type(estimator).__name__
        with store_required(uri):
            run_id = tracker.start_parent(
                run_name=f"searchcv-{family}-{utc_now().strftime('%Y%m%d-%H%M%S')}",
                params=params,
                tags={"hpsearch.kind": "searchcv", "hpsearch.version": __version__,
                      "hpsearch.estimator": repr(estimator)[:5000]},
            )  # fmt: skip
        return cls(tracker=tracker, run_id=run_id, family=family)

    def record(self, *, number: int, result: CandidateResult, refit_metric: str) -> TrialRecord:
        done = result.folds_completed
        folds = {name: values[:done] for name, values in result.scores.items()}
        metrics: dict[str, float] = {}
        for name, values in folds.items():
            if values and result.status == TrialStatus.COMPLETED:
                metrics[f"cv_{name}_mean"] = float(np.mean(values))
                metrics[f"cv_{name}_std"] = float(np.std(values))
        objective = metrics.get(f"cv_{refit_metric}_mean")
        return TrialRecord(
            trial_id=uuid.uuid4().hex[:8], number=number, family=self.family,
            params=dict(result.params), config=dict(result.params), status=result.status,
            objective=objective, metrics=metrics, fold_scores=folds, folds_completed=done,
            node_id="", started=result.started, ended=result.ended,
            error=result.error.splitlines()[0] if result.error else "",
            traceback=result.error,
        )  # fmt: skip

    def close(
        self, *, results: Sequence[CandidateResult] = (), refit_metric: str = "",
        best: dict[str, float] | None = None, failed: bool = False,
    ) -> None:  # fmt: skip
        with store_required(self.tracker.tracking_uri):
            records = [
                self.record(number=i, result=r, refit_metric=refit_metric)
                for i, r in enumerate(results)
            ]
            if records:
                self.tracker.write_children(
                    [child_run(record=r, parent_run_id=self.run_id) for r in records]
                )
            if best:
                self.tracker.log_metrics(self.run_id, best)
            self.tracker.finish(self.run_id, status="FAILED" if failed else "FINISHED")
