"""The sweep's parent run, opened in the background while the first trials start.

Opening the MLflow store costs about 2.5 CPU-seconds before anything is written (importing
MLflow, and for a SQLite store its SQLAlchemy models), then the parent run and its lineage
artifacts. None of it is needed to run a trial: trials are recorded in ``trials.jsonl``
and their child runs are written later, from the driver. So ``hpsearch run`` creates the
sweep directory and ``sweep.json`` itself, starts the search, and ``ParentOpening.begin``
opens a local SQLite store in a thread once the first trial has started (``tune.recorder``);
whoever needs the parent run (the child-run writer, the endings, the report) waits for it
with ``result``. Should that store fail to open (a full disk, no permission), the search is
stopped and the command ends with exit 2 and nothing kept, the new sweep directory removed
(``sweep.run_sweep``). A tracking server is opened before the search instead (``result``
at once): one that is down or refuses the user is exit 2 before any trial, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from hpsearch.tracking.outage import store_required
from hpsearch.tracking.tracker import ParentRun, SweepTracker


class ParentOpening:
    """A parent run that exists (``opened``) or is being created by ``create`` in a thread."""

    def __init__(self, *, tracker: SweepTracker, create: Callable[[SweepTracker], str]) -> None:
        self.tracker = tracker
        self._create = create
        self._future: Future[ParentRun] = Future()
        self._lock = threading.Lock()
        self._started = False

    @classmethod
    def opened(cls, parent: ParentRun) -> ParentOpening:
        """A parent run that already exists (a resumed sweep)."""
        opening = cls(tracker=parent.tracker, create=lambda _: parent.run_id)
        opening._started = True
        opening._future.set_result(parent)
        return opening

    def __reduce__(self) -> tuple[object, tuple[SweepTracker, ParentRun | None]]:
        """Pickled (Tune keeps its callbacks in ``tuner.pkl``): the parent run once opened,
        else the tracker alone (an unpickled copy that was still opening never opens)."""
        opened = self._future.done() and self._future.exception() is None
        return (_unpickled, (self.tracker, self._future.result() if opened else None))

    @property
    def tracking_uri(self) -> str:
        return self.tracker.tracking_uri

    def begin(self) -> None:
        """Start opening the store in a daemon thread (once; later calls do nothing)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="hpsearch-parent-run", daemon=True).start()

    def _open(self) -> None:
        try:
            with store_required(self.tracker.tracking_uri):
                run_id = self._create(self.tracker)
        except BaseException as exc:  # handed to whoever waits for the parent run
            self._future.set_exception(exc)
            return
        self._future.set_result(ParentRun(tracker=self.tracker, run_id=run_id))

    @property
    def started(self) -> bool:
        return self._started

    @property
    def done(self) -> bool:
        return self._future.done()

    def failure(self) -> BaseException | None:
        """The error that stopped the opening, once it has ended (None while it runs)."""
        return self._future.exception() if self._future.done() else None

    def result(self) -> ParentRun:
        """The parent run, opened now if nobody began it; re-raises the opening's error."""
        self.begin()
        return self._future.result()


def _unpickled(tracker: SweepTracker, parent: ParentRun | None) -> ParentOpening:
    if parent is not None:
        return ParentOpening.opened(parent)
    opening = ParentOpening(tracker=tracker, create=_never_opened)
    opening._started = True
    opening._future.set_exception(RuntimeError("a copy of a parent run that was still opening"))
    return opening


def _never_opened(tracker: SweepTracker) -> str:
    raise RuntimeError("a copy of a parent run that was still opening")
