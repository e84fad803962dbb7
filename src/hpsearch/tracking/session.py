"""A started sweep: the frozen value every stage after the preflight works from."""

from __future__ import annotations

from dataclasses import dataclass

from hpsearch.config import SweepConfig
from hpsearch.prepare.preflight import Preflight
from hpsearch.store.paths import SweepPaths
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.tracker import ParentRun


@dataclass(frozen=True)
class SweepSession:
    """The config, the sweep directory, what the preflight found, and the parent run
    (``opening``: for a new sweep it is created while the first trials start)."""

    config: SweepConfig
    paths: SweepPaths
    pre: Preflight
    opening: ParentOpening

    @property
    def parent(self) -> ParentRun:
        """The parent run; waits for it to be opened (re-raises why it could not be)."""
        return self.opening.result()
