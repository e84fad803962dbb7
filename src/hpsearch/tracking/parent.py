"""A sweep's parent run: what it records when it starts (parameters, lineage tags and
files), and how a sweep whose driver died before ``sweep.json`` had the run's id finds it."""

from __future__ import annotations

import json
from pathlib import Path

from hpsearch.config import SweepConfig
from hpsearch.prepare.preflight import Preflight
from hpsearch.store.lineage import git_commit, key_versions
from hpsearch.store.paths import SweepPaths
from hpsearch.tracking.tracker import SweepTracker

TAG_SWEEP_DIR = "hpsearch.sweep_dir"
TAG_IGNORED = "hpsearch.ignored_columns"  # not features: `validate` ignores them too


def ignored_columns(config: SweepConfig) -> list[str]:
    """The declared id, group and time columns and drop_columns, in that order."""
    data = config.data
    named = [data.id_column, data.group_column, data.time_column, *data.drop_columns]
    return list(dict.fromkeys(c for c in named if c))


def parent_tags(
    *, config: SweepConfig, pre: Preflight, paths: SweepPaths, version: str
) -> dict[str, str]:
    """Lineage: where the sweep lives, the data fingerprints, code and package versions."""
    tags = {
        "mlflow.runName": paths.root.name,
        TAG_SWEEP_DIR: str(paths.root),
        "hpsearch.version": version,
        "hpsearch.task": config.task,
        "hpsearch.data_source": config.data.source,
        "hpsearch.fingerprint.development": pre.data.development.fingerprint,
        "hpsearch.fingerprint.holdout": pre.data.holdout.fingerprint,
        "hpsearch.split": pre.data.split_kind,
        "hpsearch.leakage": "passed" if pre.leakage.passed else "failed",
        "hpsearch.thresholds": json.dumps(dict(config.thresholds), sort_keys=True),
        TAG_IGNORED: json.dumps(ignored_columns(config)),
    }
    commit = git_commit(Path.cwd()) or git_commit(Path(__file__).parent)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    for name, installed in key_versions().items():
        tags[f"hpsearch.pkg.{name}"] = installed
    return tags


def parent_params(config: SweepConfig) -> dict[str, object]:
    return {
        "seed": config.seed,
        "trials": config.search.trials,
        "folds": config.cv.folds,
        "families": ",".join(config.search.spaces),
        "primary_metric": config.primary_metric,
        "holdout_fraction": config.holdout.fraction,
        "early_stopping": config.search.early_stopping,
        "cpus_per_trial": config.ray.cpus_per_trial,
    }


def lineage_files(paths: SweepPaths) -> tuple[Path, ...]:
    """The lineage files ``store.lineage.write_lineage`` wrote into a sweep directory."""
    return (paths.config, paths.leakage, paths.holdout_ids, paths.packages)


def create_parent(
    tracker: SweepTracker, *, config: SweepConfig, pre: Preflight, paths: SweepPaths, version: str
) -> str:
    """The parent run with its parameters, lineage tags and lineage files; returns its id."""
    tracker.experiment_id  # noqa: B018  (the store answers, or says why not)
    run_id = tracker.start_parent(
        run_name=paths.root.name,
        params=parent_params(config),
        tags=parent_tags(config=config, pre=pre, paths=paths, version=version),
    )
    _log_lineage(tracker, run_id=run_id, paths=paths)
    return run_id


def _log_lineage(tracker: SweepTracker, *, run_id: str, paths: SweepPaths) -> None:
    for artifact in lineage_files(paths):
        tracker.log_artifact(run_id, artifact, "lineage")
    tracker.log_artifact(run_id, paths.spaces, "lineage/search_spaces")


def recover_parent(tracker: SweepTracker, *, paths: SweepPaths) -> str:
    """The parent run of a sweep whose ``sweep.json`` has no run id (its driver died while
    the store was being opened): the run tagged with this sweep directory, or a new one
    (tagged ``hpsearch.recovered``) with the lineage files."""
    found = tracker.find_parent(tag=TAG_SWEEP_DIR, value=str(paths.root))
    if found is not None:
        return found
    run_id = tracker.start_parent(
        run_name=paths.root.name,
        params={},
        tags={
            "mlflow.runName": paths.root.name,
            TAG_SWEEP_DIR: str(paths.root),
            "hpsearch.recovered": "parent run made by resume/sync: the driver stopped first",
        },
    )
    _log_lineage(tracker, run_id=run_id, paths=paths)
    return run_id
