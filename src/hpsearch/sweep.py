"""`hpsearch run`: one sweep, start to finish, and the one place its state moves forward.

The stages are functions of their own (preflight, search, selection, judgement, publishing,
reports); this module strings them together and is the only writer of ``sweep.json``:
running -> leakage gate | interrupted | failed | completed | failed validation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hpsearch.config import SweepConfig
from hpsearch.endings import (
    SweepEnding,
    finish_parent,
    interrupted,
    search_problem,
    store_unavailable,
    sweep_result,
)
from hpsearch.errors import (
    EXIT_LEAKAGE,
    EXIT_OK,
    EXIT_TOO_MANY_FAILURES,
    EXIT_VALIDATION_FAILED,
    SweepInterrupted,
)
from hpsearch.launch import seconds_since_launch
from hpsearch.prepare.findings import raise_if_failed
from hpsearch.report.outcome import conclude, refitting
from hpsearch.report.prefit import Prefit
from hpsearch.start import discard, start_sweep
from hpsearch.status import SweepStatus
from hpsearch.store.files import is_disk_full
from hpsearch.store.records import load_records
from hpsearch.store.state import SweepState, read_state, save_state
from hpsearch.tracking.outage import is_store_unavailable, outage_reason
from hpsearch.tracking.session import SweepSession
from hpsearch.tracking.tracker import ParentRun
from hpsearch.tune.context import SearchHooks, make_context
from hpsearch.tune.runtime import RayStart, begin_ray
from hpsearch.tune.search import SearchOutcome, run_search

__all__ = ["SweepEnding", "execute_sweep", "run_sweep", "start_sweep"]

logger = logging.getLogger(__name__)


def _opened(session: SweepSession) -> None:
    """Wait for the parent run; a store that refused or could not be reached when it was
    opened raises here (``run_sweep`` then discards the sweep: exit 2, nothing kept)."""
    session.opening.result()


def _saving_parent(session: SweepSession) -> Callable[[ParentRun], None]:
    """What the search calls once the parent run exists: its id into ``sweep.json``."""

    def save(parent: ParentRun) -> None:
        save_state(session.paths, replace(read_state(session.paths), parent_run_id=parent.run_id))

    return save


def _conclude(
    *, session: SweepSession, state: SweepState, search: SearchOutcome, prefit: Prefit
) -> SweepEnding:
    """Select, judge, publish and report; the verdict goes into ``sweep.json``."""
    config = session.config
    if len(search.records) < config.search.trials:
        logger.warning(
            "time budget reached after %d of %d trials", len(search.records), config.search.trials
        )
    selection = conclude(session=session, records=search.records, prefit=prefit)
    verdict = selection.verdict
    status = SweepStatus.COMPLETED if verdict.passed else SweepStatus.FAILED_VALIDATION
    save_state(
        session.paths,
        replace(
            state,
            status=status,
            best_trial=verdict.best.trial_id,
            best_score=verdict.best.objective,
            holdout=verdict.holdout,
            model_uri=selection.model_uri,
            model_version=selection.model_version,
            failures=verdict.failures,
        ),
    )
    session.parent.finish("FINISHED")
    code = EXIT_OK if verdict.passed else EXIT_VALIDATION_FAILED
    return sweep_result(session, exit_code=code, status=status, search=search, selection=selection)


def _leakage_stop(*, session: SweepSession, state: SweepState) -> SweepEnding:
    _opened(session)
    state = replace(state, parent_run_id=session.parent.run_id, status=SweepStatus.LEAKAGE)
    save_state(session.paths, state)
    finish_parent(session, "FAILED")
    message = ""
    try:
        raise_if_failed(session.pre.leakage)
    except Exception as exc:
        message = str(exc)
    return sweep_result(
        session, exit_code=EXIT_LEAKAGE, status=SweepStatus.LEAKAGE, message=message
    )


def _search(
    session: SweepSession,
    *,
    ray: RayStart,
    show_progress: bool,
    excluded: frozenset[str],
    prefit: Prefit,
) -> SearchOutcome:
    """Ray up, the trials' context, the search (the parent run opens while it runs, the
    best trial so far is refit in its tail)."""
    config, pre = session.config, session.pre
    ray.wait()
    logger.debug("start-up: Ray ready at %.2f s", seconds_since_launch())
    ctx = make_context(
        config=config,
        development=pre.data.development,
        spaces=pre.spaces,
        column_types=pre.data.column_types,
    )
    hooks = SearchHooks(
        parent=session.opening, on_parent=_saving_parent(session), on_tail=prefit.begin
    )
    return run_search(
        config=config,
        paths=session.paths,
        ctx=ctx,
        hooks=hooks,
        show_progress=show_progress,
        excluded=excluded,
    )


def _execute(
    session: SweepSession, *, ray: RayStart, show_progress: bool, excluded: frozenset[str]
) -> SweepEnding:
    """Leakage gate, search, selection, reports; ``sweep.json`` follows each step."""
    config, paths, pre = session.config, session.paths, session.pre
    state = read_state(paths)
    if not pre.leakage.passed:
        return _leakage_stop(session=session, state=state)
    state = save_state(paths, state.as_running_here())
    prefit = Prefit(fit=refitting(session), mode=config.mode)
    try:  # from here on an interruption leaves a resumable sweep
        search = _search(
            session, ray=ray, show_progress=show_progress, excluded=excluded, prefit=prefit
        )
    except (SweepInterrupted, KeyboardInterrupt) as exc:
        _opened(session)
        state = replace(state, parent_run_id=session.parent.run_id)
        return interrupted(session=session, state=state, exc=exc, excluded=excluded)
    logger.debug("ending: search returned at %.2f s", seconds_since_launch())
    _opened(session)
    state = save_state(
        paths,
        replace(
            state,
            parent_run_id=session.parent.run_id,
            trials_finished=len(search.records),
            pid=None,
            sampler_history=search.sampler_states,
            concurrency=search.concurrency,
        ),
    )
    if search.unwritten is not None:  # the store went away and stayed away
        return store_unavailable(
            session=session,
            state=state,
            reason=search.unwritten.reason,
            unwritten=len(search.unwritten.trial_ids),
            done=len(search.records),
        )
    message = search_problem(config=config, search=search)
    if not message:
        return _conclude(session=session, state=state, search=search, prefit=prefit)
    save_state(paths, replace(state, status=SweepStatus.FAILED, message=message))
    session.parent.finish("FAILED")
    return sweep_result(
        session,
        exit_code=EXIT_TOO_MANY_FAILURES,
        status=SweepStatus.FAILED,
        search=search,
        message=message,
    )


def _with_parent(session: SweepSession) -> SweepState:
    """``sweep.json`` as it is, with the parent run's id (opened by now)."""
    return replace(read_state(session.paths), parent_run_id=session.parent.run_id)


def execute_sweep(
    session: SweepSession,
    *,
    ray: RayStart,
    show_progress: bool = True,
    excluded: frozenset[str] = frozenset(),
) -> SweepEnding:
    """Leakage gate, search, selection, reports. An error escaping them still closes the
    parent run and sweep.json (status failed; recorded trials are kept: resumable). A
    tracking store that is unavailable ends the sweep interrupted instead, with the fix."""
    try:
        return _execute(session, ray=ray, show_progress=show_progress, excluded=excluded)
    except KeyboardInterrupt as exc:  # e.g. during selection: the trials are all recorded
        _opened(session)
        return interrupted(session=session, state=_with_parent(session), exc=exc,
                           excluded=excluded)  # fmt: skip
    except Exception as exc:
        _opened(session)  # a store that never opened: run_sweep discards the sweep (exit 2)
        state = _with_parent(session)
        if is_disk_full(exc):  # the sweep directory's disk (or the SQLite store's) is full
            return interrupted(session=session, state=state, exc=exc, excluded=excluded)
        if is_store_unavailable(exc):
            done = len(load_records(session.paths.trials, excluded=excluded))
            return store_unavailable(
                session=session, state=state, reason=outage_reason(exc), unwritten=0, done=done
            )
        message = f"{type(exc).__name__}: {exc}"
        save_state(
            session.paths, replace(state, status=SweepStatus.FAILED, pid=None, message=message)
        )
        finish_parent(session, "FAILED")
        raise
    finally:
        ray.settle()


def run_sweep(
    *,
    config: SweepConfig,
    storage: Path,
    sweep_file: Path | None,
    show_progress: bool = True,
    ray: RayStart | None = None,
) -> SweepEnding:
    """``hpsearch run``: a new sweep directory and parent run, then ``execute_sweep``.

    Ray starts in the background first (or already has: ``ray`` from the CLI). A tracking
    store that cannot be opened (unreachable, refusing the user) ends it in exit 2 with
    nothing kept, as does a Ray that cannot start or be joined."""
    ray = ray or begin_ray(config)
    try:
        session = start_sweep(config=config, storage=storage, sweep_file=sweep_file)
    except BaseException:
        ray.settle()  # no start-up thread outlives the call
        raise
    if session.pre.leakage.passed:  # (a leakage stop needs no Ray and reports itself)
        try:
            ray.wait()
        except BaseException:  # Ray could not start or join (the address, a token)
            discard(session)
            raise
    try:
        return execute_sweep(session, ray=ray, show_progress=show_progress)
    except BaseException:
        if session.opening.failure() is not None:  # the store never opened: nothing kept
            discard(session)
        raise
