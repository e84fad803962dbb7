"""Steps 1-5 of the data flow, shared by `check`, `run` and `resume`: nothing searched yet."""

from __future__ import annotations

from dataclasses import dataclass

from hpsearch.config import SweepConfig
from hpsearch.prepare.leakage import LeakageReport, check_leakage
from hpsearch.prepare.split import SplitData, prepare_data
from hpsearch.spaces import SearchSpace, load_spaces
from hpsearch.spaces.factory import PipelineFactory
from hpsearch.spaces.savable import check_savable


@dataclass(frozen=True)
class Preflight:
    """Everything known before the first trial: data split, leakage report, spaces."""

    config: SweepConfig
    data: SplitData
    leakage: LeakageReport
    spaces: tuple[SearchSpace, ...]


def run_preflight(config: SweepConfig) -> Preflight:
    """Load spaces and data, split off the hold-out set, run the leakage checks.

    Raises ``BadInputError`` for bad spaces or data. Leakage errors are *returned* in
    the report (so the caller can save it first) and raised by ``raise_if_failed``.
    """
    own = config.pipeline
    factory = None if own is None else PipelineFactory(reference=own.factory, path=own.path)
    spaces = load_spaces(entries=config.search.spaces, task=config.task, pipeline=factory)
    data = prepare_data(config)
    report = check_leakage(data=data, config=config)
    for space in spaces:  # the sweep's own pipeline: fitted and saved once, before any trial
        check_savable(
            space=space,
            X=data.development.X,
            y=data.development.y,
            column_types=data.column_types,
        )
    return Preflight(config=config, data=data, leakage=report, spaces=spaces)
