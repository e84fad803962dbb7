"""An autouse fixture (imported by the integration and cluster conftests): the test process
and the CLIs it starts remember sweep storages (``hpsearch ls``) and keep the empty-store
template in a temporary folder, never in the user's ``~/.local/state`` or ``~/.cache``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_state_home() -> Iterator[None]:
    names = ("XDG_STATE_HOME", "XDG_CACHE_HOME")
    before = {name: os.environ.get(name) for name in names}
    with tempfile.TemporaryDirectory(prefix="hpsearch-state-") as folder:
        for name in names:
            os.environ[name] = os.path.join(folder, name.lower())
        try:
            yield
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
