"""The sweep directory: the unit of resume, and the files inside it."""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hpsearch.errors import BadInputError

STATUS_RUNNING = "running"
STATUS_INTERRUPTED = "interrupted"
STATUS_COMPLETED = "completed"
STATUS_FAILED_VALIDATION = "failed_validation"
STATUS_LEAKAGE = "leakage_gate"
STATUS_FAILED = "failed"


@dataclass(frozen=True)
class SweepPaths:
    """Where every artifact of one sweep lives."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def state(self) -> Path:
        return self.root / "sweep.json"

    @property
    def trials(self) -> Path:
        return self.root / "trials.jsonl"

    @property
    def tune(self) -> Path:
        return self.root / "tune"

    @property
    def leakage(self) -> Path:
        return self.root / "leakage_report.json"

    @property
    def holdout_ids(self) -> Path:
        return self.root / "holdout_ids.json"

    @property
    def spaces(self) -> Path:
        return self.root / "search_spaces"

    @property
    def leaderboard(self) -> Path:
        return self.root / "leaderboard.csv"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def model_card(self) -> Path:
        return self.root / "model_card.md"

    @property
    def packages(self) -> Path:
        return self.root / "packages.txt"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_sweep_dir(*, storage: Path, name: str) -> SweepPaths:
    """Make ``<storage>/<name>-<UTC timestamp>/``, unique even within one second."""
    storage = storage.resolve()
    storage.mkdir(parents=True, exist_ok=True)
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        suffix = "" if attempt == 0 else f"-{attempt}"
        root = storage / f"{name}-{stamp}{suffix}"
        try:
            root.mkdir()
        except FileExistsError:
            continue
        return SweepPaths(root=root)
    raise BadInputError(f"could not create a new sweep directory under {storage}")


def open_sweep_dir(path: str | Path) -> SweepPaths:
    """An existing sweep directory, or ``BadInputError`` saying what is wrong."""
    paths = SweepPaths(root=Path(path).resolve())
    if not paths.state.is_file():
        raise BadInputError(
            f"{str(path)!r} is not a sweep directory (no sweep.json inside). "
            "Fix: pass a directory listed by `hpsearch ls`."
        )
    return paths


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a crash leaves either the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(paths: SweepPaths) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(paths.state.read_text(encoding="utf-8"))
    return data


def update_state(paths: SweepPaths, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into sweep.json atomically and return the new state."""
    state = read_state(paths) if paths.state.exists() else {}
    state.update(changes)
    state["updated"] = utc_now().isoformat()
    write_json_atomic(paths.state, state)
    return state


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line and fsync: the durable record of a finished trial."""
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    with path.open("a+b") as fh:
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":  # a torn line from a killed writer: close it first
                line = "\n" + line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete line; a torn last line (killed mid-write) is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def pid_alive(pid: object, host: object) -> bool:
    """True when ``pid`` on this host is a live process (another driver still running)."""
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()
