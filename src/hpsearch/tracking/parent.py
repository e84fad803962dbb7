"""What a sweep's parent run records when it starts: parameters and lineage tags."""

from __future__ import annotations

import json
from pathlib import Path

from hpsearch.config import SweepConfig
from hpsearch.prepare.preflight import Preflight
from hpsearch.store.lineage import git_commit, key_versions
from hpsearch.store.paths import SweepPaths

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
