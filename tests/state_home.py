"""An autouse fixture (imported by the integration and cluster conftests): the test process
and the CLIs it starts remember sweep storages (``hpsearch ls``) in a temporary state
folder, never in the user's ``~/.local/state``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_state_home() -> Iterator[None]:
    before = os.environ.get("XDG_STATE_HOME")
    with tempfile.TemporaryDirectory(prefix="hpsearch-state-") as folder:
        os.environ["XDG_STATE_HOME"] = folder
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("XDG_STATE_HOME", None)
            else:
                os.environ["XDG_STATE_HOME"] = before
