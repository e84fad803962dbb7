"""The start of a new sweep: preflight, the sweep directory, its first ``sweep.json``, and
the parent run, opened now (a tracking server) or while the first trials run (SQLite).

``discard`` undoes it when no trial may count (a store that never opened, a Ray that
could not start): neither the sweep directory nor a parent run is left behind.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from functools import partial
from pathlib import Path

from hpsearch.config import SweepConfig, fully_resolved
from hpsearch.launch import seconds_since_launch
from hpsearch.prepare.preflight import run_preflight
from hpsearch.store.known import remember_storage
from hpsearch.store.lineage import write_lineage
from hpsearch.store.paths import create_sweep_dir
from hpsearch.store.state import first_state, save_state
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.outage import store_required
from hpsearch.tracking.parent import create_parent
from hpsearch.tracking.session import SweepSession
from hpsearch.tracking.store_lock import sqlite_path
from hpsearch.tracking.tracker import SweepTracker
from hpsearch.tracking.uri import resolve_tracking_uri
from hpsearch.version import __version__

logger = logging.getLogger(__name__)


def start_sweep(*, config: SweepConfig, storage: Path, sweep_file: Path | None) -> SweepSession:
    """Preflight (bad input raises before anything is written), then the sweep directory,
    its lineage files and the first ``sweep.json``. The parent run of a local SQLite store
    is opened later, while the first trials run (``ParentOpening``; ``sweep.json`` gets its
    id when it exists); a tracking server (or database) is asked now, before any trial, so
    that one that is down or refuses the user is exit 2 with nothing kept."""
    pre = run_preflight(config)
    logger.debug("start-up: preflight done at %.2f s", seconds_since_launch())
    tracking_uri = resolve_tracking_uri(config.tracking.uri)
    tracker = SweepTracker(tracking_uri=tracking_uri, experiment=config.experiment_name)
    local = sqlite_path(tracking_uri) is not None
    if not local:  # a server answers before anything is written
        with store_required(tracking_uri):
            tracker.experiment_id  # noqa: B018
    paths = create_sweep_dir(storage=storage, name=config.name)
    opening: ParentOpening | None = None
    try:  # until the session is handed over, an interruption or a failure leaves nothing
        resolved = fully_resolved(config, tracking_uri=tracking_uri)
        write_lineage(config=resolved, pre=pre, paths=paths)
        state = first_state(
            config=config, pre=pre, sweep_file=sweep_file, tracking_uri=tracking_uri,
            version=__version__,
        )  # fmt: skip
        save_state(paths, state)
        create = partial(create_parent, config=config, pre=pre, paths=paths, version=__version__)
        opening = ParentOpening(tracker=tracker, create=create)
        if not local:  # a server or database: the parent run too, before any trial
            opening.result()
        remember_storage(storage)  # for `hpsearch ls` from anywhere
        return SweepSession(config=config, paths=paths, pre=pre, opening=opening)
    except BaseException:  # nothing ran: exit 2 or interrupted
        _leave_nothing(paths.root, opening)
        raise


def discard(session: SweepSession) -> None:
    """No trial counts: leave nothing behind, neither the sweep directory nor a parent run
    (one being opened is waited for, then deleted)."""
    _leave_nothing(session.paths.root, session.opening)


def _leave_nothing(root: Path, opening: ParentOpening | None) -> None:
    shutil.rmtree(root, ignore_errors=True)
    if opening is None or not opening.started:
        return
    with contextlib.suppress(Exception):
        parent = opening.result()
        parent.tracker.client.delete_run(parent.run_id)
