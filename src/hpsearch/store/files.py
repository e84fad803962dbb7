"""Crash-safe files: JSON replaced atomically, JSON lines appended and fsync'd."""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the only portable read sets it; put it back at once
    os.umask(mask)
    return mask


def temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file next to ``path`` (for an atomic rename onto it) with the mode a
    plain ``open`` would give (``0o666`` less the umask), not ``mkstemp``'s 0600: a
    teammate sharing the sweep storage can read what hpsearch wrote."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~current_umask())
    return fd, tmp


def write_text_atomic(path: Path, text: str) -> None:
    """Write text so that a crash leaves either the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a crash leaves either the old or the new file, never half."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str))


_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is a full disk or an exhausted quota."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.OperationalError) and "disk is full" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line and fsync: the durable record of a finished trial.

    Written unbuffered; a write that fails (a full disk) is cut back to the last whole
    line before the error is raised, so the file never holds half a record of its own."""
    data = (json.dumps(record, sort_keys=True, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a torn line from a killed writer: close it first
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, size)
            except OSError:
                logger.warning("%s: could not cut back a half-written line", path)
            raise
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete line; a torn line (a writer killed mid-write) is skipped with a
    warning (the next ``append_jsonl`` closes it, so later records are whole)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                logger.warning(
                    "%s: line %d is torn (a writer was killed mid-write) and is skipped; "
                    "that trial runs again on resume",
                    path,
                    number,
                )
