"""``TrialRecord``: one finished trial, as the driver saw it. Saved and logged once."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from hpsearch.spaces.conditional import split_config
from hpsearch.status import TrialStatus
from hpsearch.store.files import read_jsonl


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial: completed every fold, pruned early, or failed."""

    trial_id: str
    number: int
    family: str
    params: dict[str, Any]
    config: dict[str, Any]
    status: TrialStatus
    objective: float | None
    metrics: dict[str, float]
    fold_scores: dict[str, list[float]]
    folds_completed: int
    node_id: str
    started: float
    ended: float
    data_fingerprint: str = ""
    max_threads: int = 0
    error: str = ""
    traceback: str = ""
    # the primary metric at each rung of the first fold it reached (``evaluation.fidelity``)
    rung_scores: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrialRecord:
        """A line of ``trials.jsonl``; keys this version does not know (0.1's empty
        ``extra``) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = TrialStatus(values["status"])
        return cls(**values)

    @property
    def selectable(self) -> bool:
        """Only trials that completed every fold may be selected."""
        return self.status == TrialStatus.COMPLETED and self.objective is not None


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def record_from_result(
    *,
    trial_id: str,
    number: int,
    config: Mapping[str, Any],
    result: Mapping[str, Any] | None,
    n_folds: int,
    started: float,
    ended: float,
    error: str = "",
) -> TrialRecord:
    """Build the record from Tune's last result; decides completed / pruned / failed."""
    result = dict(result or {})
    family, params = split_config(config)
    folds_completed = int(result.get("folds_completed", 0) or 0)
    raw_status = result.get("hpsearch_status")
    if error or raw_status == TrialStatus.FAILED or not result:
        status = TrialStatus.FAILED
    elif raw_status == TrialStatus.COMPLETED and folds_completed >= n_folds:
        status = TrialStatus.COMPLETED
    else:
        status = TrialStatus.PRUNED
    folds = json.loads(result["scores"]) if "scores" in result else {}
    metrics = {
        k: v
        for k, v in ((k, _finite(v)) for k, v in folds.get("summary", {}).items())
        if v is not None
    }
    return TrialRecord(
        trial_id=trial_id,
        number=number,
        family=family,
        params=params,
        config={k: v for k, v in config.items()},
        status=status,
        objective=_finite(result.get("objective")) if status != TrialStatus.FAILED else None,
        metrics=metrics,
        fold_scores=folds.get("validation", {}),
        folds_completed=folds_completed,
        node_id=str(result.get("node_id", "")),
        started=started,
        ended=ended,
        data_fingerprint=str(result.get("data_fingerprint", "")),
        max_threads=int(result.get("max_threads", 0) or 0),
        error=error or str(result.get("error", "")),
        traceback=str(result.get("traceback", "")),
        rung_scores=json.loads(result["rung_scores"]) if "rung_scores" in result else {},
    )


def load_records(path: Path, *, excluded: Iterable[str] = ()) -> list[TrialRecord]:
    """Finished trials recorded in ``trials.jsonl`` (last record per trial id wins), by
    number; the trials that count: those in ``excluded`` (failed trials being retried)
    are left out."""
    skip = frozenset(excluded)
    by_id: dict[str, TrialRecord] = {}
    for row in read_jsonl(path):
        record = TrialRecord.from_json(row)
        by_id[record.trial_id] = record
    return sorted((r for r in by_id.values() if r.trial_id not in skip), key=lambda r: r.number)


def count_statuses(records: Iterable[TrialRecord]) -> dict[TrialStatus, int]:
    """How many trials ended completed, pruned and failed (every status present, 0 or more)."""
    counts = dict.fromkeys((TrialStatus.COMPLETED, TrialStatus.PRUNED, TrialStatus.FAILED), 0)
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    return counts
