"""Ctrl-C and SIGTERM during a search: stop gracefully once, at once the second time.

Ray Tune's own SIGINT handler is disabled (``TUNE_DISABLE_SIGINT_HANDLER``) so that SIGINT
and SIGTERM (what ``ray job stop`` sends) take the same path: the first signal sets an
event that ``InterruptStopper`` turns into "stop all trials"; trials cut short by it are
not recorded, so ``hpsearch resume`` runs them again. A second signal raises
``KeyboardInterrupt`` straight away; ``trials.jsonl`` is already durable.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptGuard:
    """Context manager installing the two-stage signal handlers (main thread only)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name = ""
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name
        self.event.set()
        print(
            f"\n{self.signal_name} received: stopping the running trials and saving the sweep "
            "(send it again to stop at once).",
            file=sys.stderr,
            flush=True,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @property
    def interrupted(self) -> bool:
        return self.event.is_set()
