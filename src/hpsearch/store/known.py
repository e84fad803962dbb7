"""The storage folders this user's sweeps were started in, so ``hpsearch ls`` finds them
from anywhere: one absolute path per line in ``$XDG_STATE_HOME/hpsearch/storages``
(``~/.local/state/hpsearch/storages``). Best effort: a state folder that cannot be written
never stops a sweep."""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def state_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hpsearch" / "storages"


def known_storages() -> list[Path]:
    """Remembered storages that still exist, most recently added last."""
    try:
        lines = state_file().read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [Path(line) for line in dict.fromkeys(lines) if line and Path(line).is_dir()]


def remember_storage(storage: Path) -> None:
    """Add ``storage`` (absolute) to the remembered ones, once."""
    where = str(storage.expanduser().resolve())
    path = state_file()
    try:
        if where in path.read_text(encoding="utf-8").splitlines():
            return
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(where + "\n")
    except OSError as exc:
        logger.debug("could not remember storage %s: %s", where, exc)
