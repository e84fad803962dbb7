"""Commands printed for the user to paste: they must work as printed.

``hpsearch`` and ``mlflow`` are on the PATH only while the virtualenv is active, so the
printed command names the console script next to this interpreter (``.venv/bin/mlflow``),
or ``python -m`` with this interpreter's absolute path when there is no such script.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

_MODULES = {"hpsearch": "hpsearch.cli", "mlflow": "mlflow"}


def tool(name: str) -> str:
    """How to run console script ``name`` from this environment, absolutely."""
    script = Path(sys.executable).parent / name
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m {_MODULES.get(name, name)}"


def resume_command(sweep_dir: Path) -> str:
    return f"{tool('hpsearch')} resume {shlex.quote(str(sweep_dir))}"


def sync_command(sweep_dir: Path) -> str:
    return f"{tool('hpsearch')} sync {shlex.quote(str(sweep_dir))}"


def mlflow_ui_command(tracking_uri: str) -> str:
    if tracking_uri.startswith(("http://", "https://")):
        return f"open {tracking_uri}"
    return f"{tool('mlflow')} ui --backend-store-uri {shlex.quote(tracking_uri)}"


def validate_command(*, model_uri: str, tracking_uri: str) -> str:
    return (
        f"{tool('hpsearch')} validate --model-uri {shlex.quote(model_uri)} "
        f"--test-data NEW_LABELLED_ROWS.csv --tracking-uri {shlex.quote(tracking_uri)}"
    )
