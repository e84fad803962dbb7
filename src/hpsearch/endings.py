"""How a sweep ends when it does not conclude: what ``sweep.json`` says and what the user reads.

Each ending keeps the sweep resumable: the recorded trials stay in ``trials.jsonl``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from hpsearch.config import SweepConfig
from hpsearch.errors import EXIT_INTERRUPTED
from hpsearch.report.outcome import SelectionOutcome
from hpsearch.status import SweepStatus, TrialStatus
from hpsearch.store.commands import resume_command, sync_command
from hpsearch.store.files import is_disk_full
from hpsearch.store.paths import SweepPaths
from hpsearch.store.records import load_records
from hpsearch.store.state import SweepState, save_state
from hpsearch.tracking.outage import first_line
from hpsearch.tracking.session import SweepSession
from hpsearch.tune.search import SearchOutcome

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepEnding:
    """The outcome the CLI reports."""

    paths: SweepPaths
    exit_code: int
    status: SweepStatus
    tracking_uri: str
    parent_run_id: str
    search: SearchOutcome | None = None
    selection: SelectionOutcome | None = None
    message: str = ""


def sweep_result(
    session: SweepSession,
    *,
    exit_code: int,
    status: SweepStatus,
    search: SearchOutcome | None = None,
    selection: SelectionOutcome | None = None,
    message: str = "",
) -> SweepEnding:
    return SweepEnding(
        paths=session.paths,
        exit_code=exit_code,
        status=status,
        tracking_uri=session.parent.tracking_uri,
        parent_run_id=session.parent.run_id,
        search=search,
        selection=selection,
        message=message,
    )


def search_problem(*, config: SweepConfig, search: SearchOutcome) -> str:
    """Why selection cannot go ahead, or "" when it can."""
    failed = sum(r.status == TrialStatus.FAILED for r in search.records)
    finished = len(search.records)
    if search.stopped_for_failures:
        return (
            f"sweep stopped: {failed} of {finished} finished trials failed (rule: stop when more "
            f"than {config.search.max_failure_fraction:.0%} of {config.search.trials} trials "
            "fail, or the first 5 all fail). See the failed child runs' hpsearch.error tags; "
            "fix the space or the data, or raise search.max_failure_fraction."
        )
    if not any(r.selectable for r in search.records):
        return (
            f"no trial completed every fold ({finished} finished, {failed} failed); nothing "
            "to select. Fix: raise search.trials or search.time_budget_s."
        )
    return ""


def finish_parent(session: SweepSession, status: str) -> None:
    """Close the parent run; a store that is itself the problem only gets a warning."""
    try:
        session.parent.finish(status)
    except Exception as exc:
        logger.warning(
            "could not mark parent run %s %s (%s); `hpsearch resume` or `hpsearch sync` "
            "closes it later",
            session.parent.run_id,
            status,
            first_line(exc),
        )


def _save_if_possible(session: SweepSession, state: SweepState) -> None:
    """Record the ending; on a full disk the old ``sweep.json`` stays (status running, its
    driver gone), which ``ls`` and ``resume`` read as interrupted."""
    try:
        save_state(session.paths, state)
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        logger.warning("sweep.json not updated: %s", exc)


def interrupted(
    *, session: SweepSession, state: SweepState, exc: BaseException, excluded: frozenset[str]
) -> SweepEnding:
    """Ctrl-C, SIGTERM, ``ray job stop`` or a full disk: the recorded trials stay."""
    _save_if_possible(session, replace(state, status=SweepStatus.INTERRUPTED, pid=None))
    finish_parent(session, "KILLED")
    done = len(load_records(session.paths.trials, excluded=excluded))
    message = (
        f"{exc or 'interrupted'}: {done} of {session.config.search.trials} trials recorded. "
        f"Resume with: {resume_command(session.paths.root)}"
    )
    return sweep_result(
        session, exit_code=EXIT_INTERRUPTED, status=SweepStatus.INTERRUPTED, message=message
    )


def store_unavailable(
    *, session: SweepSession, state: SweepState, reason: str, unwritten: int, done: int
) -> SweepEnding:
    """The tracking store went away and stayed away: interrupted, resumable, nothing lost.

    The parent run is not touched (the store is down); resume or sync reopen it."""
    root = session.paths.root
    message = (
        f"the MLflow tracking store {session.parent.tracking_uri} is unavailable ({reason}). "
        f"{done} of {session.config.search.trials} trials are recorded in trials.jsonl"
        + (f"; {unwritten} of them have no child run yet" if unwritten else "")
        + ". Nothing is lost. When the store is back, write the missing runs with: "
        f"{sync_command(root)}, or finish the sweep (select, validate, register) with: "
        f"{resume_command(root)}"
    )
    save_state(
        session.paths, replace(state, status=SweepStatus.INTERRUPTED, pid=None, message=message)
    )
    return sweep_result(
        session, exit_code=EXIT_INTERRUPTED, status=SweepStatus.INTERRUPTED, message=message
    )
