"""One process at a time creates (or migrates) a SQLite tracking store, and retries.

Opening a new SQLite store runs MLflow's alembic migrations; two processes doing that at once
(two sweeps started together in a new folder) both fail and leave the store half-migrated
and unopenable (seen here: ``table _alembic_tmp_latest_metrics already exists``). The first
open of a SQLite store, and the creation of an experiment, happen under a file lock next to
the database; other stores (an MLflow server) need none. Writes that meet ``database is
locked`` (several sweeps writing at once) are retried.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

LOCK_TIMEOUT_S = 300.0
RETRIES = 8
_T = TypeVar("_T")


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///").split("?", 1)[0])


@contextlib.contextmanager
def store_lock(tracking_uri: str) -> Iterator[None]:
    """Hold the store's file lock (SQLite only) for the block."""
    path = sqlite_path(tracking_uri)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S):
        yield


def is_locked_error(exc: BaseException) -> bool:
    return "database is locked" in str(exc)


def retry_locked(write: Callable[[], _T], *, retries: int = RETRIES) -> _T:
    """``write()``, again after a growing pause while SQLite answers ``database is locked``."""
    for attempt in range(retries):
        try:
            return write()
        except Exception as exc:
            if not is_locked_error(exc) or attempt == retries - 1:
                raise
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover
