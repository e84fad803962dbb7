"""Tell a tracking store that cannot be reached from any other MLflow error.

MLflow's REST client retries a refused or timed-out request (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``) and then raises an ``MlflowException`` whose context
is the ``requests`` connection error; a SQLite store on a full disk raises
``sqlite3.OperationalError`` (wrapped by SQLAlchemy). Both mean "the trials are fine, the
store is not": the sweep keeps ``trials.jsonl`` and can write the runs later.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from hpsearch.errors import TrackingUnavailableError

_UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.RetryError,
)
_REST_MARKERS = ("Max retries exceeded", "ConnectionError", "Connection refused")
_FULL = ("database or disk is full", "disk i/o error", "no space left on device")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_store_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the tracking store is unreachable or out of space."""
    for link in _chain(exc):
        if isinstance(link, (TrackingUnavailableError, *_UNREACHABLE)):
            return True
        if isinstance(link, OSError) and link.errno == errno.ENOSPC:
            return True
        if isinstance(link, sqlite3.OperationalError) and any(
            text in str(link).lower() for text in _FULL
        ):
            return True
        text = str(link)
        if "API request to" in text and (
            "Max retries exceeded" in text or "ConnectionError" in text
        ):
            return True
    return False


def first_line(exc: BaseException) -> str:
    """The error's first line, without the URL-encoded request body MLflow appends."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def unavailable_error(*, tracking_uri: str, exc: BaseException) -> TrackingUnavailableError:
    return TrackingUnavailableError(
        f"the MLflow tracking store {tracking_uri} cannot be reached or written "
        f"({first_line(exc)}). Nothing was started. Fix: start the tracking server (or free "
        "disk space), check tracking.uri / MLFLOW_TRACKING_URI, then run the command again."
    )


@contextmanager
def store_required(tracking_uri: str) -> Iterator[None]:
    """Before any work starts: an unavailable store is bad input (exit 2) with the fix."""
    try:
        yield
    except TrackingUnavailableError:
        raise
    except Exception as exc:
        if is_store_unavailable(exc):
            raise unavailable_error(tracking_uri=tracking_uri, exc=exc) from None
        raise
