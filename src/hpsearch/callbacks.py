"""Driver-side Ray Tune callback: record each finished trial once, log its child run."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback, Stopper

from hpsearch.child_writer import ChildRunWriter
from hpsearch.progress import Progress, ProgressLine
from hpsearch.records import TrialRecord, load_records, record_from_result
from hpsearch.sweepdir import append_jsonl
from hpsearch.tracking import SweepTracker
from hpsearch.trainable import STATUS_COMPLETED, STATUS_FAILED, STATUS_PRUNED


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
        interrupt: threading.Event | None = None,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        self.interrupt = interrupt
        self.excluded = excluded
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
        previous = [r for r in load_records(self.records_path) if r.trial_id not in self.excluded]
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
        self._writer: ChildRunWriter | None = None

    def __getstate__(self) -> dict[str, Any]:
        keep = ("records_path", "tracker", "parent_run_id", "n_folds", "total", "metric")
        state = {k: self.__dict__[k] for k in keep}
        state.update(mode=self.mode, show_progress=self.show_progress, excluded=self.excluded)
        state["interrupt"] = None
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
        last = trial.last_result or {}
        final = last.get("hpsearch_status") in (STATUS_COMPLETED, STATUS_FAILED)
        if self.interrupt is not None and self.interrupt.is_set() and not final and not error:
            return  # cut short by Ctrl-C / SIGTERM, not pruned: resume runs it again
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
        if self._writer is None:
            self._writer = ChildRunWriter(tracker=self.tracker, parent_run_id=self.parent_run_id)
        self._writer.submit(record)
        self._count(record)
        self._show()

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial, error=_error_text(trial))

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self._show()
        self.close()

    def close(self) -> None:
        """Flush the queued child runs (raises a write error) and end the progress line."""
        self._progress.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()


class FailureStopper(Stopper):
    """Stops the whole sweep when failures make a useful result impossible.

    Rule: stop when more than ``max_fraction`` of the budget has failed, or when the
    first ``probe`` finished trials all failed (a broken space or data). Also stops
    everything once ``interrupt`` is set (Ctrl-C / SIGTERM).
    """

    def __init__(
        self,
        *,
        budget: int,
        max_fraction: float,
        probe: int = 5,
        interrupt: threading.Event | None = None,
        failed: int = 0,
        finished: int = 0,
    ) -> None:
        self.interrupt = interrupt
        self.budget = budget
        self.max_fraction = max_fraction
        self.probe = min(probe, budget)
        self.failed = failed
        self.finished = finished
        self._seen: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "interrupt": None}

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        # Tune may show the stopper the same final result more than once: count trial ids
        status = result.get("hpsearch_status")
        if status in (STATUS_FAILED, STATUS_COMPLETED) and trial_id not in self._seen:
            self._seen.add(trial_id)
            self.finished += 1
            self.failed += status == STATUS_FAILED
        return False

    def stop_all(self) -> bool:
        return self.interrupted or self.too_many_failures

    @property
    def interrupted(self) -> bool:
        return self.interrupt is not None and self.interrupt.is_set()

    @property
    def too_many_failures(self) -> bool:
        too_many = self.failed > self.max_fraction * self.budget
        probing = self.max_fraction < 1.0  # 1.0 means: never stop for failures
        all_broken = probing and self.finished >= self.probe and self.failed == self.finished
        return too_many or all_broken
