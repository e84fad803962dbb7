"""What is needed to reproduce a sweep: code version, package versions, environment."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

from hpsearch.config import SweepConfig
from hpsearch.prepare.preflight import Preflight
from hpsearch.store.files import write_json_atomic
from hpsearch.store.paths import SweepPaths

KEY_PACKAGES = ("ray", "optuna", "mlflow", "scikit-learn", "pandas", "numpy", "scipy", "hpsearch")


def git_commit(path: Path) -> str | None:
    """The commit of the git checkout holding ``path`` (with ``-dirty``), or None."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=5,
        )
        suffix = "-dirty" if dirty.stdout.strip() else ""
        return sha.stdout.strip() + suffix
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    """Every installed distribution and its version, sorted by name."""
    versions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions[name.lower()] = dist.version
    return dict(sorted(versions.items()))


def key_versions() -> dict[str, str]:
    installed = package_versions()
    return {name: installed.get(name, "not installed") for name in KEY_PACKAGES}


def environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def freeze_text(versions: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in versions.items())


def write_lineage(*, config: SweepConfig, pre: Preflight, paths: SweepPaths) -> tuple[Path, ...]:
    """The frozen config (pass it fully resolved), leakage report, hold-out ids, space
    copies and package list; returns the files written (the space copies are one folder)."""
    text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    if config.search.concurrency == "auto":
        text = text.replace(
            "  concurrency: auto\n",
            "  concurrency: auto  # the Ray cluster's CPUs // ray.cpus_per_trial at each start;"
            " the number used is sweep.json's concurrency\n",
            1,
        )
    paths.config.write_text(text, encoding="utf-8")
    write_json_atomic(paths.leakage, pre.leakage.to_dict())
    write_json_atomic(paths.holdout_ids, {"row_ids": list(pre.data.holdout.row_ids)})
    paths.spaces.mkdir(exist_ok=True)
    for space in pre.spaces:
        shutil.copyfile(space.source, paths.spaces / f"{space.family}.yaml")
    paths.packages.write_text(freeze_text(package_versions()), encoding="utf-8")
    return (paths.config, paths.leakage, paths.holdout_ids, paths.packages)
