"""`hpsearch sync SWEEP_DIR`: write to MLflow what ``trials.jsonl`` holds and MLflow lacks.

After a tracking store that went away (or a killed driver), every recorded trial gets
exactly one finished child run: a half-written child is deleted and written again, a
missing one is written, one already there is left alone (running sync twice writes
nothing the second time). The parent run is closed with the status the sweep ended in.
Nothing else runs: no Ray, no trials, no selection (`hpsearch resume` does those).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hpsearch.errors import BadInputError
from hpsearch.status import SweepStatus
from hpsearch.store.paths import open_sweep_dir
from hpsearch.store.records import load_records
from hpsearch.store.state import read_state, save_state
from hpsearch.tracking.outage import store_required
from hpsearch.tracking.parent import recover_parent
from hpsearch.tracking.tracker import SweepTracker

_PARENT_STATUS = {
    SweepStatus.COMPLETED: "FINISHED",
    SweepStatus.FAILED_VALIDATION: "FINISHED",
    SweepStatus.FAILED: "FAILED",
    SweepStatus.LEAKAGE: "FAILED",
    SweepStatus.INTERRUPTED: "KILLED",
    SweepStatus.RUNNING: "KILLED",  # only reached when its driver is gone
}


@dataclass(frozen=True)
class SyncReport:
    """What one sync wrote."""

    tracking_uri: str
    parent_run_id: str
    records: int
    logged: int
    deleted: int
    parent_status: str


def sync_sweep(sweep_dir: str) -> SyncReport:
    """Make MLflow agree with the sweep directory; exit 2 while the store is unavailable."""
    paths = open_sweep_dir(sweep_dir)
    state = read_state(paths)
    if state.status == SweepStatus.RUNNING and state.driver_alive:
        raise BadInputError(
            f"sweep {paths.root} is still running (pid {state.pid}); its driver writes its "
            "own runs. Fix: wait for it, or stop it with Ctrl-C, then sync."
        )
    records = load_records(paths.trials)
    tracker = SweepTracker(tracking_uri=state.tracking_uri, experiment=state.experiment)
    status = _PARENT_STATUS[state.status]
    with store_required(state.tracking_uri):
        run_id = state.parent_run_id
        if not run_id:  # the driver died while the store was being opened
            run_id = recover_parent(tracker, paths=paths)
            save_state(paths, replace(state, parent_run_id=run_id))
        deleted, logged = tracker.reconcile(parent_run_id=run_id, records=records)
        tracker.finish(run_id, status=status)
    return SyncReport(
        tracking_uri=state.tracking_uri,
        parent_run_id=run_id,
        records=len(records),
        logged=logged,
        deleted=deleted,
        parent_status=status,
    )
