"""Integration fixtures: one real local Ray per session, a fresh SQLite MLflow store per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from state_home import private_state_home  # noqa: F401  (autouse, session)

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    """A real local Ray instance (2 CPUs) shared by the in-process sweeps."""
    import ray

    from hpsearch.tune.runtime import init_ray

    init_ray(address=None)
    yield
    ray.shutdown()


@pytest.fixture()
def tracking_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"
