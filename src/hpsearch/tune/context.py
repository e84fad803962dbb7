"""What the search is handed: the trials' context (data, spaces, folds, rungs) and the hooks
through which it tells the rest of the sweep what happens while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hpsearch.config import SweepConfig
from hpsearch.evaluation.fidelity import plan_fidelity
from hpsearch.evaluation.trial import TrialContext
from hpsearch.prepare.folds import fixed_folds, make_splitter
from hpsearch.prepare.split import DataPart
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.model import SearchSpace
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.tracker import ParentRun


@dataclass(frozen=True)
class SearchHooks:
    """What the rest of the sweep hands the search: the parent run (maybe still opening,
    ``tracking.opening``), what to call once it exists (on the driver's main thread), and
    what to start in the tail (``report.prefit``: ``on_tail(records, cpus=...)``)."""

    parent: ParentOpening
    on_parent: Callable[[ParentRun], None] | None = None
    on_tail: Callable[..., None] | None = None


def make_context(
    *,
    config: SweepConfig,
    development: DataPart,
    spaces: tuple[SearchSpace, ...],
    column_types: ColumnTypes,
) -> TrialContext:
    """What every trial needs: the development rows, the spaces and the sweep's folds."""
    splitter = make_splitter(
        task=config.task,
        folds=config.cv.folds,
        seed=config.seed,
        grouped=development.groups is not None,
        by_time=development.times is not None,
        group_splitter=config.cv.group_splitter,
    )
    fold_plan = fixed_folds(
        splitter=splitter, X=development.X, y=development.y, groups=development.groups
    )
    return TrialContext(
        X=development.X,
        y=development.y,
        groups=development.groups,
        spaces=spaces,
        column_types=column_types,
        task=config.task,
        metrics=config.all_metrics,
        primary=config.primary_metric,
        folds=config.cv.folds,
        seed=config.seed,
        cpus=max(1, int(config.ray.cpus_per_trial)),
        fold_plan=fold_plan,
        report_every_fold=config.search.early_stopping,
        cache_mb=config.search.preprocess_cache_mb,
        fidelity=plan_fidelity(
            fidelity=config.search.fidelity if config.search.early_stopping else "none",
            train_idx=fold_plan.folds[0][0],
            y=development.y,
            classify=config.task == "classification",
            seed=config.seed,
        ),
    )
