"""``sweep.json``: the typed state of one sweep, read and written only here.

``SweepState`` is frozen; a stage that changes it makes a new one with
``dataclasses.replace`` and ``save_state`` writes it atomically. ``schema_version`` 1 is
this layout; files written by hpsearch 0.1 carry no version (read as 0) and hold a subset
of the same keys, so they load with the missing keys at their defaults.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hpsearch.config import SweepConfig
from hpsearch.errors import BadInputError
from hpsearch.prepare.preflight import Preflight
from hpsearch.status import SweepStatus
from hpsearch.store.files import write_json_atomic
from hpsearch.store.paths import SweepPaths, utc_now

SCHEMA_VERSION = 1
_TUPLES = ("families", "excluded_trials", "failures")


@dataclass(frozen=True)
class SweepState:
    """Everything ``sweep.json`` records: identity, lineage, progress and verdict."""

    name: str
    status: SweepStatus
    created_at: str
    primary_metric: str
    mode: str
    tracking_uri: str
    experiment: str
    parent_run_id: str
    trials: int
    seed: int
    hpsearch_version: str = ""
    sweep_file: str | None = None
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    holdout_rows: int = 0
    families: tuple[str, ...] = ()
    excluded_trials: tuple[str, ...] = ()
    pid: int | None = None
    host: str | None = None
    trials_finished: int = 0
    sampler_history: Mapping[str, int] = field(default_factory=dict)
    concurrency: int | None = None
    message: str = ""
    best_trial: str | None = None
    best_score: float | None = None
    holdout: Mapping[str, float] = field(default_factory=dict)
    model_uri: str | None = None
    model_version: str | None = None
    failures: tuple[str, ...] = ()
    resumed: int = 0
    updated: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def driver_alive(self) -> bool:
        """True while the driver that last ran this sweep is a live process on this host."""
        return pid_alive(self.pid, self.host)

    @property
    def effective_status(self) -> SweepStatus:
        """``running`` only while its driver lives; a dead driver means interrupted."""
        if self.status == SweepStatus.RUNNING and not self.driver_alive:
            return SweepStatus.INTERRUPTED
        return self.status

    def as_running_here(self) -> SweepState:
        """This state, marked as driven by this process."""
        return replace(self, status=SweepStatus.RUNNING, pid=os.getpid(), host=socket.gethostname())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str) -> SweepState:
        """Read any schema this version knows; refuse newer ones with the fix."""
        version = int(data.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise BadInputError(
                f"{source} has schema_version {version}, newer than this hpsearch reads "
                f"({SCHEMA_VERSION}). Fix: upgrade hpsearch to the version that wrote it."
            )
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        missing = [f.name for f in fields(cls) if f.name not in values and _required(f.name)]
        if missing:
            raise BadInputError(
                f"{source} lacks {', '.join(missing)}: it was not written by hpsearch, or was "
                "cut short. Fix: pass a directory listed by `hpsearch ls`."
            )
        for name in _TUPLES:
            values[name] = tuple(values.get(name) or ())
        values["status"] = SweepStatus(values["status"])
        values["schema_version"] = SCHEMA_VERSION
        return cls(**values)


def _required(name: str) -> bool:
    return name in (
        "name",
        "status",
        "created_at",
        "primary_metric",
        "mode",
        "tracking_uri",
        "experiment",
        "parent_run_id",
        "trials",
        "seed",
    )


def read_state(paths: SweepPaths) -> SweepState:
    """The sweep's state; a file that is not JSON is bad input, not a traceback."""
    try:
        data = json.loads(paths.state.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInputError(
            f"{paths.state} cannot be read ({exc}). Fix: restore it from a backup, or start "
            "a new sweep with `hpsearch run`."
        ) from None
    return SweepState.from_json(data, source=str(paths.state))


def save_state(paths: SweepPaths, state: SweepState) -> SweepState:
    """Write ``state`` atomically (with the time of writing) and return what was written."""
    written = replace(state, updated=utc_now().isoformat())
    write_json_atomic(paths.state, written.to_json())
    return written


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


def first_state(
    *, config: SweepConfig, pre: Preflight, sweep_file: Path | None, tracking_uri: str,
    version: str,
) -> SweepState:  # fmt: skip
    """``sweep.json`` of a new sweep; the parent run's id comes once the store has it."""
    return SweepState(
        name=config.name,
        status=SweepStatus.RUNNING,
        created_at=utc_now().isoformat(),
        primary_metric=config.primary_metric,
        mode=config.mode,
        hpsearch_version=version,
        sweep_file=str(sweep_file.resolve()) if sweep_file else None,
        tracking_uri=tracking_uri,
        experiment=config.experiment_name,
        parent_run_id="",
        trials=config.search.trials,
        seed=config.seed,
        fingerprints={
            "development": pre.data.development.fingerprint,
            "holdout": pre.data.holdout.fingerprint,
        },
        holdout_rows=pre.data.holdout.n_rows,
        families=tuple(s.family for s in pre.spaces),
    )
