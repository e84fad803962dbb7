"""Driver-side Ray Tune callback: record each finished trial once, log its child run."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ray.tune import Callback

from hpsearch.launch import seconds_since_launch
from hpsearch.status import TrialStatus
from hpsearch.store.files import append_jsonl, is_disk_full
from hpsearch.store.records import TrialRecord, count_statuses, load_records, record_from_result
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.tracker import ParentRun
from hpsearch.tracking.writer import ChildRunWriter, Unwritten
from hpsearch.tune.progress import Progress, ProgressLine

logger = logging.getLogger(__name__)


def _error_text(trial: Any) -> str:
    error_file = getattr(trial, "error_file", None)
    if error_file and Path(error_file).exists():
        return Path(error_file).read_text(encoding="utf-8", errors="replace")[-8000:]
    return str(getattr(trial, "error_msg", "") or "trial raised an error in Ray")


@dataclass(frozen=True)
class Tail:
    """What to start once every trial has started and a slot is free (``report.prefit``)."""

    begin: Callable[..., None]  # begin(records, *, cpus)
    concurrency: int
    cpus_per_trial: float


class TrialRecorder(Callback):
    """Turns Tune events into ``trials.jsonl`` lines, MLflow child runs and progress.

    The parent run may still be in the making (``ParentOpening``): the recorder begins
    opening it once the first trial has started, hands ``on_parent`` the parent run as soon
    as it exists (on Tune's loop, the driver's main thread) and, should the store refuse,
    sets ``interrupt`` so that the search stops."""

    def __init__(
        self,
        *,
        records_path: Path,
        parent: ParentOpening,
        on_parent: Callable[[ParentRun], None] | None = None,
        n_folds: int,
        total: int,
        metric: str,
        mode: str,
        show_progress: bool = True,
        interrupt: threading.Event | None = None,
        excluded: frozenset[str] = frozenset(),
        tail: Tail | None = None,
    ) -> None:
        self.interrupt = interrupt
        self.tail = tail
        self.excluded = excluded
        self.records_path = records_path
        self.parent: ParentOpening | None = parent
        self.on_parent = on_parent
        self.n_folds = n_folds
        self.total = total
        self.metric = metric
        self.mode = mode
        self.show_progress = show_progress
        self._init_transient()

    def _init_transient(self) -> None:
        previous = load_records(self.records_path, excluded=self.excluded)
        self._recorded = {r.trial_id for r in previous}
        self._counts = count_statuses(previous)
        self._best: float | None = None
        for record in previous:
            self._track_best(record)
        self._numbers: dict[str, int] = {}
        self._next_number = max((r.number for r in previous), default=-1) + 1
        self._started: dict[str, float] = {}
        self._running: set[str] = set()
        self._t0 = time.monotonic()
        self._progress = ProgressLine(enabled=self.show_progress)
        self._writer: ChildRunWriter | None = None
        self._parent_seen = False
        self._budget_left = self.total - len(previous)
        self._tail_started = False
        self.unwritten: Unwritten | None = None
        self.disk_full: OSError | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its callbacks with the experiment (``tuner.pkl``); hpsearch never
        # restores one (resume starts from trials.jsonl); ParentOpening pickles itself
        keep = ("records_path", "n_folds", "total", "metric")
        state = {k: self.__dict__[k] for k in keep}
        state.update(mode=self.mode, show_progress=self.show_progress, excluded=self.excluded)
        state.update(parent=self.parent, interrupt=None, on_parent=None, tail=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_transient()

    @property
    def recorded(self) -> frozenset[str]:
        return frozenset(self._recorded)

    def _track_best(self, record: TrialRecord) -> None:
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
                completed=self._counts[TrialStatus.COMPLETED],
                pruned=self._counts[TrialStatus.PRUNED],
                failed=self._counts[TrialStatus.FAILED],
                running=len(self._running),
                best=self._best,
                metric=self.metric,
                elapsed_s=time.monotonic() - self._t0,
            )
        )

    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        if self._parent_seen or self.parent is None or not self.parent.done:
            return
        self._parent_seen = True
        if self.parent.failure() is not None:
            if self.interrupt is not None:
                self.interrupt.set()  # the store refused: stop; the sweep ends in exit 2
            return
        if self.on_parent is not None:
            self.on_parent(self.parent.result())

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self.parent is not None:
            self.parent.begin()  # a trial runs: the store opens meanwhile
        if not self._started:
            logger.debug("start-up: first trial started at %.2f s", seconds_since_launch())
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
        final = last.get("hpsearch_status") in (TrialStatus.COMPLETED, TrialStatus.FAILED)
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
        try:
            append_jsonl(self.records_path, record.to_json())
        except OSError as exc:
            if not is_disk_full(exc) or self.interrupt is None:
                raise
            self.disk_full = exc  # stop the sweep gracefully; this trial runs again on resume
            self.interrupt.set()
            return
        self._recorded.add(trial_id)
        if self._writer is None and self.parent is not None:
            self._writer = ChildRunWriter(parent=self.parent)
        if self._writer is not None:
            self._writer.submit(record)
        self._counts[record.status] += 1
        self._track_best(record)
        self._show()
        self._maybe_tail()

    def _maybe_tail(self) -> None:
        """Every trial of the budget has started and a slot is free: the tail's work."""
        tail = self.tail
        if tail is None or self._tail_started or len(self._started) < self._budget_left:
            return
        free = tail.concurrency - len(self._running)
        if free <= 0:
            return
        self._tail_started = True
        records = load_records(self.records_path, excluded=self.excluded)
        tail.begin(records, cpus=max(1, int(free * tail.cpus_per_trial)))

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._finish(trial, error=_error_text(trial))

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self._show()
        self.close()

    def close(self) -> None:
        """Flush the queued child runs and end the progress line.

        Child runs a store outage kept from being written are left in ``unwritten`` (their
        records are in ``trials.jsonl``); any other write error is raised."""
        self._progress.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            self.unwritten = writer.close()
