"""`hpsearch ls`: every sweep in a storage folder, with its status and progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hpsearch.records import load_records
from hpsearch.sweepdir import (
    STATUS_INTERRUPTED,
    STATUS_RUNNING,
    SweepPaths,
    pid_alive,
    read_state,
    utc_now,
)

STATUS_LABELS = {
    "completed": "completed",
    "failed_validation": "failed validation",
    "leakage_gate": "failed leakage gate",
    "failed": "failed",
    "interrupted": "interrupted",
    "running": "running",
}


@dataclass(frozen=True)
class SweepSummary:
    name: str
    status: str
    done: int
    total: int
    best: float | None
    metric: str
    age_s: float
    directory: Path


def effective_status(state: dict[str, object]) -> str:
    """ "running" only while its driver lives; a dead driver means interrupted."""
    status = str(state.get("status", "unknown"))
    if status == STATUS_RUNNING and not pid_alive(state.get("pid"), state.get("host")):
        return STATUS_INTERRUPTED
    return status


def summarise(paths: SweepPaths) -> SweepSummary:
    state = read_state(paths)
    excluded = set(state.get("excluded_trials") or [])
    records = [r for r in load_records(paths.trials) if r.trial_id not in excluded]
    mode_max = state.get("mode", "max") == "max"
    scores = [float(r.objective) for r in records if r.selectable and r.objective is not None]
    best = (max(scores) if mode_max else min(scores)) if scores else None
    try:
        created = datetime.fromisoformat(str(state["created_at"])).timestamp()
    except (KeyError, ValueError):
        created = paths.root.stat().st_mtime
    return SweepSummary(
        name=str(state.get("name", paths.root.name)),
        status=STATUS_LABELS.get(effective_status(state), effective_status(state)),
        done=len(records),
        total=int(state.get("trials", 0) or 0),
        best=best,
        metric=str(state.get("primary_metric", "")),
        age_s=max(0.0, utc_now().timestamp() - created),
        directory=paths.root,
    )


def list_sweeps(storage: Path) -> list[SweepSummary]:
    """Every sweep directory under ``storage``, newest first."""
    if not storage.is_dir():
        return []
    found = [
        summarise(SweepPaths(root=child))
        for child in storage.resolve().iterdir()
        if child.is_dir() and (child / "sweep.json").is_file()
    ]
    return sorted(found, key=lambda s: s.age_s)
