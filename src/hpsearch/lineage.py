"""What is needed to reproduce a sweep: code version, package versions, environment."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

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
