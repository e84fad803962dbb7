"""Work of the conclusion started in the search's tail, when a CPU has gone idle.

Once every trial of the budget has started and fewer trials run than the sweep's
concurrency, a CPU would idle until the last trial ends. ``Prefit.begin`` uses it, in a
driver thread: it refits the best trial so far on the development rows, exactly as the
conclusion would (``report.select.refit``), then imports what the conclusion needs
(skops, MLflow's model flavour, matplotlib) and builds MLflow's package map
(``compat.mlflow_warm``): about 2.5 CPU-seconds that would come after the search.
``take`` hands that model to the conclusion when the best trial is still the same one;
otherwise the conclusion refits as usual. Nothing here decides anything: the selection,
the hold-out and the registration happen after the search, as before.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from sklearn.pipeline import Pipeline

from hpsearch.compat.mlflow_warm import build_requirements_map
from hpsearch.report.select import select_best
from hpsearch.store.records import TrialRecord

logger = logging.getLogger(__name__)

CONCLUSION_MODULES = ("skops.io", "mlflow.sklearn", "mlflow.models", "matplotlib.pyplot")


class Prefit:
    """The best trial so far refitted in the search's tail (``fit(record, n_jobs)``)."""

    def __init__(self, *, fit: Callable[[TrialRecord, int], Pipeline], mode: str) -> None:
        self._fit = fit
        self._mode = mode
        self._lock = threading.Lock()
        self._record: TrialRecord | None = None
        self._future: Future[Pipeline] = Future()

    def begin(self, records: Sequence[TrialRecord], *, cpus: int) -> None:
        """Start once: warm the conclusion's imports, refit the best of ``records``."""
        with self._lock:
            if self._record is not None or not any(r.selectable for r in records):
                return
            self._record = select_best(records, mode=self._mode)
        record, n_jobs = self._record, max(1, cpus)
        threading.Thread(
            target=self._run, args=(record, n_jobs), name="hpsearch-prefit", daemon=True
        ).start()

    def _run(self, record: TrialRecord, n_jobs: int) -> None:
        try:
            self._future.set_result(self._fit(record, n_jobs))
        except BaseException as exc:  # the conclusion refits and meets the error itself
            self._future.set_exception(exc)
        for module in CONCLUSION_MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
        with contextlib.suppress(Exception):  # a cache: the conclusion builds it otherwise
            build_requirements_map()

    def take(self, best: TrialRecord) -> Pipeline | None:
        """The refitted model when ``best`` is the trial refitted in the tail, else None."""
        if self._record is None or self._record.trial_id != best.trial_id:
            return None
        try:
            return self._future.result()
        except Exception as exc:
            logger.debug("refit in the search's tail failed (%s); refitting again", exc)
            return None
