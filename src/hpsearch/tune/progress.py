"""A live one-line progress display instead of Ray Tune's verbose tables."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text


@dataclass(frozen=True)
class Progress:
    """Counts of one sweep at one moment."""

    total: int
    completed: int
    pruned: int
    failed: int
    running: int
    best: float | None
    metric: str
    elapsed_s: float

    @property
    def done(self) -> int:
        return self.completed + self.pruned + self.failed

    @property
    def eta_s(self) -> float | None:
        if self.done == 0 or self.done >= self.total:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)

    def render(self) -> str:
        best = "-" if self.best is None else f"{self.best:.4f}"
        eta = "-" if self.eta_s is None else _duration(self.eta_s)
        return (
            f"trials {self.done}/{self.total} done ({self.completed} ok, {self.pruned} pruned, "
            f"{self.failed} failed), {self.running} running | best {self.metric} {best} | "
            f"elapsed {_duration(self.elapsed_s)} | ETA {eta}"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class ProgressLine:
    """Live line on a terminal; in Jupyter, one output of the cell updated in place
    (IPython's ``display`` with a display id: no ipywidgets needed). Otherwise (job logs,
    CI, ``| tee``) a plain line when a tenth of the budget more is done, when
    ``interval_s`` passed with something new to say, and once at the end; never the same
    line twice in a row."""

    def __init__(self, *, interval_s: float = 15.0, enabled: bool = True) -> None:
        self._interval_s = interval_s
        self._enabled = enabled
        self._console = Console(stderr=True)
        self._live: Live | None = None
        self._cell: Any = None  # IPython's DisplayHandle, in Jupyter
        self._last_print = float("-inf")
        self._printed_done = -1
        self._printed_final = False
        self._last_line = ""

    def update(self, progress: Progress) -> None:
        if not self._enabled:
            return
        if self._console.is_jupyter:
            self._show_in_cell(progress.render())
            return
        if self._console.is_terminal:
            if self._live is None:
                self._live = Live(Text(progress.render()), console=self._console, transient=False)
                self._live.start()
            self._live.update(Text(progress.render()))
            return
        if self._due(progress):
            self._print(progress)

    def _show_in_cell(self, text: str) -> None:
        from IPython.display import Pretty, display  # Jupyter: IPython is there

        if self._cell is None:
            self._cell = display(Pretty(text), display_id=True)
        else:
            self._cell.update(Pretty(text))

    def _due(self, progress: Progress) -> bool:
        if progress.done >= progress.total:
            return not self._printed_final
        step = max(1, math.ceil(progress.total / 10))
        if self._printed_done < 0 or progress.done - self._printed_done >= step:
            return True
        line = _counts(progress.render())
        return time.monotonic() - self._last_print >= self._interval_s and line != self._last_line

    def _print(self, progress: Progress) -> None:
        text = progress.render()
        self._last_print = time.monotonic()
        self._printed_done = progress.done
        self._printed_final = progress.done >= progress.total
        self._last_line = _counts(text)
        print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _counts(text: str) -> str:
    """A line without its clock parts: equal when nothing but the time changed."""
    return text.split(" | elapsed")[0]
