"""Stopping the whole sweep: too many failed trials, or an interrupt."""

from __future__ import annotations

import threading
from typing import Any

from ray.tune import Stopper

from hpsearch.status import TrialStatus


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
        if status in (TrialStatus.FAILED, TrialStatus.COMPLETED) and trial_id not in self._seen:
            self._seen.add(trial_id)
            self.finished += 1
            self.failed += status == TrialStatus.FAILED
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
