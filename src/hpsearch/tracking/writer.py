"""Write trials' child runs off the Tune event loop, in batches.

The driver's Tune loop hands each finished trial to ``ChildRunWriter.submit`` and moves
on; one background thread collects what arrives within ``FLUSH_INTERVAL_S`` of the first
queued trial and writes it in one go (each write is a transaction with its own commit:
fewer, larger ones cost less driver CPU). ``close`` flushes and re-raises a write error.
A driver killed before a flush loses nothing: ``trials.jsonl`` is written first, and
``hpsearch resume`` logs any missing child run from it.
"""

from __future__ import annotations

import queue
import threading
import time

from hpsearch.store.records import TrialRecord
from hpsearch.tracking.child_runs import child_run
from hpsearch.tracking.tracker import SweepTracker

MAX_BATCH = 256
FLUSH_INTERVAL_S = 0.5


class ChildRunWriter:
    """A queue and one daemon thread writing child runs for one parent run."""

    def __init__(self, *, tracker: SweepTracker, parent_run_id: str) -> None:
        self._tracker = tracker
        self._parent = parent_run_id
        self._queue: queue.Queue[TrialRecord | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hpsearch-mlflow", daemon=True)
        self._thread.start()

    def submit(self, record: TrialRecord) -> None:
        """Queue a finished trial; a trial id already logged for this parent is skipped."""
        if self._tracker.claim(parent_run_id=self._parent, trial_id=record.trial_id):
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
            records = [r for r in batch if r is not None]
            try:
                if records and self._error is None:
                    self._tracker.write_children(
                        [child_run(record=r, parent_run_id=self._parent) for r in records]
                    )
            except Exception as exc:  # surfaced by close()
                self._error = exc
            finally:
                for _ in batch:
                    self._queue.task_done()
            if None in batch:
                return

    def close(self) -> None:
        """Write everything queued, stop the thread, raise the first write error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
