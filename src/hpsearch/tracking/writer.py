"""Write trials' child runs off the Tune event loop, in batches, through store outages.

The driver's Tune loop hands each finished trial to ``ChildRunWriter.submit`` and moves
on; one background thread collects what arrives within ``FLUSH_INTERVAL_S`` of the first
queued trial and writes it in one go (each write is a transaction with its own commit:
fewer, larger ones cost less driver CPU).

When the tracking store is unavailable (a server that stays away longer than MLflow's own
retries, a full disk) the trials go on: their records are already in ``trials.jsonl``. The
writer keeps what it could not write and tries again at most every ``RETRY_AFTER_S``;
the first write after an outage reconciles the parent's children (a half-written run is
deleted and written again), so every trial still ends with exactly one child run.
``close`` reports what is still unwritten; any other write error is raised there.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from hpsearch.store.records import TrialRecord
from hpsearch.tracking.child_runs import child_run
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.outage import first_line, is_store_unavailable, outage_reason

logger = logging.getLogger(__name__)

MAX_BATCH = 256
FLUSH_INTERVAL_S = 0.5
RETRY_AFTER_S = 30.0


@dataclass(frozen=True)
class Unwritten:
    """Trials whose child runs the store did not take, and why."""

    trial_ids: tuple[str, ...]
    reason: str


class ChildRunWriter:
    """A queue and one daemon thread writing child runs for one parent run (waited for in
    that thread while it is still being opened)."""

    def __init__(self, *, parent: ParentOpening, retry_after_s: float = RETRY_AFTER_S) -> None:
        self._opening = parent
        self._tracker = parent.tracker
        self._retry_after_s = retry_after_s
        self._queue: queue.Queue[TrialRecord | None] = queue.Queue()
        self._error: BaseException | None = None
        self._pending: list[TrialRecord] = []
        self._outage: BaseException | None = None
        self._retry_at = 0.0
        self._thread = threading.Thread(target=self._run, name="hpsearch-mlflow", daemon=True)
        self._thread.start()

    def submit(self, record: TrialRecord) -> None:
        """Queue a finished trial (one already logged for this parent is skipped)."""
        self._queue.put(record)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + FLUSH_INTERVAL_S
            while len(batch) < MAX_BATCH and batch[-1] is not None:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=wait))
                except queue.Empty:
                    break
            self._pending.extend(r for r in batch if r is not None)
            try:
                if self._error is None:
                    self._flush(final=None in batch)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if None in batch:
                return

    def _flush(self, *, final: bool) -> None:
        waiting = self._outage is not None and time.monotonic() < self._retry_at
        if not self._pending or (waiting and not final):
            return
        try:
            parent_run_id = self._opening.result().run_id
            if self._outage is None:
                fresh = [
                    r
                    for r in self._pending
                    if self._tracker.claim(parent_run_id=parent_run_id, trial_id=r.trial_id)
                ]
                if fresh:
                    self._tracker.write_children(
                        [child_run(record=r, parent_run_id=parent_run_id) for r in fresh]
                    )
            else:  # back after an outage: repair half-written children, write the rest
                _, logged = self._tracker.reconcile(
                    parent_run_id=parent_run_id, records=self._pending
                )
                logger.warning("tracking store reachable again: %d child runs written", logged)
        except Exception as exc:
            if not is_store_unavailable(exc):
                self._error = exc  # surfaced by close()
                return
            if self._outage is None:
                logger.warning(
                    "tracking store unavailable (%s); trials go on and stay in trials.jsonl, "
                    "their child runs are written when it is back",
                    first_line(exc),
                )
            self._outage = exc
            self._retry_at = time.monotonic() + self._retry_after_s
            return
        self._pending = []
        self._outage = None

    def close(self) -> Unwritten | None:
        """Write everything queued (a last try even in an outage), stop the thread.

        Returns the trials still unwritten because the store is unavailable; raises any
        other write error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
        if self._outage is not None and self._pending:
            return Unwritten(
                trial_ids=tuple(r.trial_id for r in self._pending),
                reason=outage_reason(self._outage),
            )
        return None
