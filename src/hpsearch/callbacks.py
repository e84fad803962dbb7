"""Driver-side Ray Tune callback: record each finished trial once, log its child run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ray.tune import Callback, Stopper

from hpsearch.progress import Progress, ProgressLine
from hpsearch.records import TrialRecord, record_from_result
from hpsearch.sweepdir import append_jsonl, read_jsonl
from hpsearch.tracking import SweepTracker
from hpsearch.trainable import STATUS_COMPLETED, STATUS_FAILED, STATUS_PRUNED


def load_records(path: Path) -> list[TrialRecord]:
    """Finished trials recorded in ``trials.jsonl`` (last record per trial id wins)."""
    by_id: dict[str, TrialRecord] = {}
    for row in read_jsonl(path):
        record = TrialRecord.from_json(row)
        by_id[record.trial_id] = record
    return sorted(by_id.values(), key=lambda r: r.number)


def _error_text(trial: Any) -> str:
    error_file = getattr(trial, "error_file", None)
    if error_file and Path(error_file).exists():
        return Path(error_file).read_text(encoding="utf-8", errors="replace")[-8000:]
    return str(getattr(trial, "error_msg", "") or "trial raised an error in Ray")


class TrialRecorder(Callback):
    """Turns Tune events into ``trials.jsonl`` lines, MLflow child runs and progress."""

    def __init__(
        self,
        *,
        records_path: Path,
        tracker: SweepTracker,
        parent_run_id: str,
        n_folds: int,
        total: int,
        metric: str,
        mode: str,
        show_progress: bool = True,
    ) -> None:
        self.records_path = records_path
        self.tracker = tracker
        self.parent_run_id = parent_run_id
        self.n_folds = n_folds
        self.total = total
        self.metric = metric
        self.mode = mode
        self.show_progress = show_progress
        self._init_transient()

    def _init_transient(self) -> None:
        previous = load_records(self.records_path)
        self._recorded = {r.trial_id for r in previous}
        self._counts = {STATUS_COMPLETED: 0, STATUS_PRUNED: 0, STATUS_FAILED: 0}
        self._best: float | None = None
        for record in previous:
            self._count(record)
        self._numbers: dict[str, int] = {}
        self._next_number = max((r.number for r in previous), default=-1) + 1
        self._started: dict[str, float] = {}
        self._running: set[str] = set()
        self._t0 = time.monotonic()
        self._progress = ProgressLine(enabled=self.show_progress)

    def __getstate__(self) -> dict[str, Any]:
        keep = ("records_path", "tracker", "parent_run_id", "n_folds", "total", "metric")
        state = {k: self.__dict__[k] for k in keep}
        state.update(mode=self.mode, show_progress=self.show_progress)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_transient()

    @property
    def recorded(self) -> frozenset[str]:
        return frozenset(self._recorded)

    def _count(self, record: TrialRecord) -> None:
        self._counts[record.status] = self._counts.get(record.status, 0) + 1
        if record.selectable and record.objective is not None:
            better = self._best is None or (
                record.objective > self._best
                if self.mode == "max"
                else record.objective < self._best
            )
            if better:
                self._best = record.objective

    def _number(self, trial_id: str) -> int:
        if trial_id not in self._numbers:
            self._numbers[trial_id] = self._next_number
            self._next_number += 1
        return self._numbers[trial_id]

    def _show(self) -> None:
        self._progress.update(
            Progress(
                total=self.total,
                completed=self._counts[STATUS_COMPLETED],
                pruned=self._counts[STATUS_PRUNED],
                failed=self._counts[STATUS_FAILED],
                running=len(self._running),
                best=self._best,
                metric=self.metric,
                elapsed_s=time.monotonic() - self._t0,
            )
        )

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._number(trial.trial_id)
        self._started.setdefault(trial.trial_id, time.time())
        self._running.add(trial.trial_id)
        self._show()

    def _finish(self, trial: Any, *, error: str = "") -> None:
        trial_id = trial.trial_id
        self._running.discard(trial_id)
        if trial_id in self._recorded:
            return
        record = record_from_result(
            trial_id=trial_id,
            number=self._number(trial_id),
            config=trial.config,
            result=trial.last_result,
            n_folds=self.n_folds,
            started=self._started.get(trial_id, time.time()),
            ended=time.time(),
            error=error,
        )
        append_jsonl(self.records_path, record.to_json())
        self._recorded.add(trial_id)
        self.tracker.log_trial(parent_run_id=self.parent_run_id, record=record)
        self._count(record)
        self._show()

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial, error=_error_text(trial))

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self._show()
        self._progress.close()


class FailureStopper(Stopper):
    """Stops the whole sweep when failures make a useful result impossible.

    Rule: stop when more than ``max_fraction`` of the budget has failed, or when the
    first ``probe`` finished trials all failed (a broken space or data).
    """

    def __init__(self, *, budget: int, max_fraction: float, probe: int = 5) -> None:
        self.budget = budget
        self.max_fraction = max_fraction
        self.probe = min(probe, budget)
        self.failed = 0
        self.finished = 0

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        status = result.get("hpsearch_status")
        if status == STATUS_FAILED:
            self.failed += 1
            self.finished += 1
        elif status == STATUS_COMPLETED:
            self.finished += 1
        return False

    def stop_all(self) -> bool:
        too_many = self.failed > self.max_fraction * self.budget
        all_broken = self.finished >= self.probe and self.failed == self.finished
        return too_many or all_broken
