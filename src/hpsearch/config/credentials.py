"""Credentials never travel inside a tracking URI.

A URI is written into ``sweep.json``, the config copy, the parent run's tags and the job's
entrypoint, so ``http://user:password@host`` would leave the password in all of them. MLflow
reads credentials from ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` (or
``MLFLOW_TRACKING_TOKEN``, or ``~/.mlflow/credentials``) instead.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def redact_credentials(text: str) -> str:
    """``text`` with the user-info part of every URL in it replaced by ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)


def check_no_credentials(uri: str) -> str:
    """``uri`` itself, or ``ValueError`` (stating the rule and the fix) when it holds any."""
    if uri.startswith(("http://", "https://")) and _USERINFO.match(uri):
        raise ValueError(
            f"tracking URI {redact_credentials(uri)} carries credentials, which would be "
            "written to sweep.json, the config copy and the runs' tags. Fix: remove "
            "'user:password@' from it and set MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD in the environment instead"
        )
    return uri
