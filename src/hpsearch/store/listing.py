"""`hpsearch ls`: every sweep in a storage folder, with its status and progress."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hpsearch.errors import BadInputError
from hpsearch.status import SweepStatus
from hpsearch.store.paths import SweepPaths, utc_now
from hpsearch.store.records import load_records
from hpsearch.store.state import read_state

logger = logging.getLogger(__name__)


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
    verdict: str = "-"  # passed / failed (n checks) once the hold-out gate ran
    version: str | None = None  # the registered model version, when it passed


def _verdict(status: SweepStatus, failures: tuple[str, ...]) -> str:
    if status == SweepStatus.COMPLETED:
        return "passed"
    if status == SweepStatus.FAILED_VALIDATION:
        return f"failed ({len(failures)} check{'s' if len(failures) != 1 else ''})"
    return "-"


def summarise(paths: SweepPaths) -> SweepSummary:
    state = read_state(paths)
    records = load_records(paths.trials, excluded=state.excluded_trials)
    scores = [float(r.objective) for r in records if r.selectable and r.objective is not None]
    best = (max(scores) if state.mode == "max" else min(scores)) if scores else None
    try:
        created = datetime.fromisoformat(state.created_at).timestamp()
    except ValueError:
        created = paths.root.stat().st_mtime
    return SweepSummary(
        name=state.name,
        status=state.effective_status.label,
        done=len(records),
        total=state.trials,
        best=best,
        metric=state.primary_metric,
        age_s=max(0.0, utc_now().timestamp() - created),
        directory=paths.root,
        verdict=_verdict(state.status, tuple(state.failures)),
        version=state.model_version,
    )


def list_sweeps(storage: Path) -> list[SweepSummary]:
    """Every readable sweep directory under ``storage``, newest first (an unreadable
    ``sweep.json`` is logged and skipped)."""
    if not storage.is_dir():
        return []
    found = []
    for child in storage.resolve().iterdir():
        if child.is_dir() and (child / "sweep.json").is_file():
            try:
                found.append(summarise(SweepPaths(root=child)))
            except BadInputError as exc:
                logger.warning("skipped %s: %s", child, exc)
    return sorted(found, key=lambda s: s.age_s)
