"""Tell a tracking store that cannot be reached from any other MLflow error.

MLflow's REST client retries a refused or timed-out request (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``) and then raises an ``MlflowException`` whose context
is the ``requests`` connection error; a SQLite store on a full disk raises
``sqlite3.OperationalError`` (wrapped by SQLAlchemy). Both mean "the trials are fine, the
store is not": the sweep keeps ``trials.jsonl`` and can write the runs later. A server
that refuses the credentials (HTTP 401 or 403, e.g. ``mlflow server --app-name basic-auth``)
is the same for the trials; before a sweep starts it is bad input whose fix names the
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` variables (never their values).
"""

from __future__ import annotations

import errno
import os
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
_REFUSED = ("UNAUTHENTICATED", "PERMISSION_DENIED")
_FULL = (
    "database or disk is full",
    "disk i/o error",
    "no space left on device",
    "unable to open database file",
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def refused_access(exc: BaseException) -> str | None:
    """``UNAUTHENTICATED`` (401) or ``PERMISSION_DENIED`` (403) when the server said so."""
    for link in _chain(exc):
        code = getattr(link, "error_code", None)
        if code in _REFUSED:
            return str(code)
    return None


def is_store_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the tracking store is unreachable, refuses this user or is out
    of space."""
    if refused_access(exc) is not None:
        return True
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


def outage_reason(exc: BaseException) -> str:
    """Why the store is unavailable, for the message that ends an interrupted sweep."""
    code = refused_access(exc)
    if code is None:
        return first_line(exc)
    status = "401" if code == "UNAUTHENTICATED" else "403"
    return f"it refused this request {_who()} with HTTP {status}. {access_fix(code).rstrip('.')}"


def _who() -> str:
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if user:
        return f"as user {user!r} from MLFLOW_TRACKING_USERNAME"
    return "with no MLFLOW_TRACKING_USERNAME set"


def access_fix(code: str) -> str:
    if code == "UNAUTHENTICATED":
        return (
            "Fix: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
            "~/.mlflow/credentials) to a user of that server; for a cluster job, in the "
            "environment of `ray start` on the head node (cluster/README.md)."
        )
    return (
        "Fix: ask the server's admin for EDIT permission on the experiment (or MANAGE on "
        "the registered model), or set tracking.experiment to one this user owns."
    )


def unavailable_error(*, tracking_uri: str, exc: BaseException) -> TrackingUnavailableError:
    code = refused_access(exc)
    if code is not None:
        what = "not authenticated, HTTP 401" if code == "UNAUTHENTICATED" else "HTTP 403"
        return TrackingUnavailableError(
            f"the MLflow tracking server {tracking_uri} refused this request {_who()} "
            f"({what}: {first_line(exc)}). Nothing was started. {access_fix(code)} Then run "
            "the command again."
        )
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
