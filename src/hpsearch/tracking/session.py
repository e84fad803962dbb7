"""A started sweep: the frozen value every stage after the preflight works from."""

from __future__ import annotations

from dataclasses import dataclass

from hpsearch.config import SweepConfig
from hpsearch.prepare.preflight import Preflight
from hpsearch.store.paths import SweepPaths
from hpsearch.tracking.tracker import ParentRun


@dataclass(frozen=True)
class SweepSession:
    """The config, the sweep directory, what the preflight found, and the parent run."""

    config: SweepConfig
    paths: SweepPaths
    pre: Preflight
    parent: ParentRun
