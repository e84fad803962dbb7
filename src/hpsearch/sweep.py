"""`hpsearch run`: one sweep, start to finish, and the one place its state moves forward.

The stages are functions of their own (preflight, search, selection, judgement, publishing,
reports); this module strings them together and is the only writer of ``sweep.json``:
running -> leakage gate | interrupted | failed | completed | failed validation.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import replace
from pathlib import Path

from hpsearch.config import SweepConfig, fully_resolved
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
    TrackingUnavailableError,
)
from hpsearch.prepare.findings import raise_if_failed
from hpsearch.prepare.preflight import Preflight, run_preflight
from hpsearch.report.outcome import conclude
from hpsearch.status import SweepStatus
from hpsearch.store.files import is_disk_full
from hpsearch.store.known import remember_storage
from hpsearch.store.lineage import write_lineage
from hpsearch.store.paths import SweepPaths, create_sweep_dir, utc_now
from hpsearch.store.records import load_records
from hpsearch.store.state import SweepState, read_state, save_state
from hpsearch.tracking.outage import (
    is_store_unavailable,
    outage_reason,
    store_required,
)
from hpsearch.tracking.parent import parent_params, parent_tags
from hpsearch.tracking.session import SweepSession
from hpsearch.tracking.tracker import ParentRun, SweepTracker
from hpsearch.tracking.uri import resolve_tracking_uri
from hpsearch.tune.runtime import RayStart, begin_ray
from hpsearch.tune.search import SearchOutcome, make_context, run_search
from hpsearch.version import __version__

__all__ = ["SweepEnding", "execute_sweep", "run_sweep", "start_sweep"]

logger = logging.getLogger(__name__)


def start_sweep(*, config: SweepConfig, storage: Path, sweep_file: Path | None) -> SweepSession:
    """Preflight (bad input raises before anything is written), then the sweep directory,
    its lineage files, the parent run and the first ``sweep.json``."""
    pre = run_preflight(config)
    tracking_uri = resolve_tracking_uri(config.tracking.uri)
    tracker = SweepTracker(tracking_uri=tracking_uri, experiment=config.experiment_name)
    with store_required(tracking_uri):
        tracker.experiment_id  # noqa: B018  (the store answers before anything is written)
    paths = create_sweep_dir(storage=storage, name=config.name)
    remember_storage(storage)  # for `hpsearch ls` from anywhere
    try:
        with store_required(tracking_uri):  # e.g. a user who may read but not write
            resolved = fully_resolved(config, tracking_uri=tracking_uri)
            lineage = write_lineage(config=resolved, pre=pre, paths=paths)
            run_id = tracker.start_parent(
                run_name=paths.root.name,
                params=parent_params(config),
                tags=parent_tags(config=config, pre=pre, paths=paths, version=__version__),
            )
    except (TrackingUnavailableError, KeyboardInterrupt):
        shutil.rmtree(paths.root, ignore_errors=True)  # nothing ran: leave nothing behind
        raise
    state = _first_state(
        config=config, pre=pre, sweep_file=sweep_file, tracking_uri=tracking_uri, run_id=run_id
    )
    parent = ParentRun(tracker=tracker, run_id=run_id)
    try:
        save_state(paths, state)
        for artifact in lineage:
            parent.log_artifact(artifact, "lineage")
        parent.log_artifact(paths.spaces, "lineage/search_spaces")
    except KeyboardInterrupt:
        _discard(paths=paths, tracker=tracker, run_id=run_id)
        raise
    return SweepSession(config=config, paths=paths, pre=pre, parent=parent)


def _discard(*, paths: SweepPaths, tracker: SweepTracker, run_id: str) -> None:
    """No trial ran: leave nothing behind, neither the sweep directory nor the parent run."""
    shutil.rmtree(paths.root, ignore_errors=True)
    with contextlib.suppress(Exception):
        tracker.client.delete_run(run_id)


def _first_state(
    *, config: SweepConfig, pre: Preflight, sweep_file: Path | None, tracking_uri: str,
    run_id: str,
) -> SweepState:  # fmt: skip
    return SweepState(
        name=config.name,
        status=SweepStatus.RUNNING,
        created_at=utc_now().isoformat(),
        primary_metric=config.primary_metric,
        mode=config.mode,
        hpsearch_version=__version__,
        sweep_file=str(sweep_file.resolve()) if sweep_file else None,
        tracking_uri=tracking_uri,
        experiment=config.experiment_name,
        parent_run_id=run_id,
        trials=config.search.trials,
        seed=config.seed,
        fingerprints={
            "development": pre.data.development.fingerprint,
            "holdout": pre.data.holdout.fingerprint,
        },
        holdout_rows=pre.data.holdout.n_rows,
        families=tuple(s.family for s in pre.spaces),
    )


def _conclude(*, session: SweepSession, state: SweepState, search: SearchOutcome) -> SweepEnding:
    """Select, judge, publish and report; the verdict goes into ``sweep.json``."""
    config = session.config
    if len(search.records) < config.search.trials:
        logger.warning(
            "time budget reached after %d of %d trials", len(search.records), config.search.trials
        )
    selection = conclude(session=session, records=search.records)
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
    save_state(session.paths, replace(state, status=SweepStatus.LEAKAGE))
    finish_parent(session, "FAILED")
    message = ""
    try:
        raise_if_failed(session.pre.leakage)
    except Exception as exc:
        message = str(exc)
    return sweep_result(
        session, exit_code=EXIT_LEAKAGE, status=SweepStatus.LEAKAGE, message=message
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
    try:  # from here on an interruption leaves a resumable sweep
        ray.wait()
        ctx = make_context(
            config=config,
            development=pre.data.development,
            spaces=pre.spaces,
            column_types=pre.data.column_types,
        )
        search = run_search(
            config=config,
            paths=paths,
            ctx=ctx,
            parent=session.parent,
            show_progress=show_progress,
            excluded=excluded,
        )
    except (SweepInterrupted, KeyboardInterrupt) as exc:
        return interrupted(session=session, state=state, exc=exc, excluded=excluded)
    state = save_state(
        paths,
        replace(
            state,
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
        return _conclude(session=session, state=state, search=search)
    save_state(paths, replace(state, status=SweepStatus.FAILED, message=message))
    session.parent.finish("FAILED")
    return sweep_result(
        session,
        exit_code=EXIT_TOO_MANY_FAILURES,
        status=SweepStatus.FAILED,
        search=search,
        message=message,
    )


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
        return interrupted(session=session, state=read_state(session.paths), exc=exc,
                           excluded=excluded)  # fmt: skip
    except Exception as exc:
        state = read_state(session.paths)
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

    Ray starts in the background first (or already has: ``ray`` from the CLI)."""
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
            parent = session.parent
            _discard(paths=session.paths, tracker=parent.tracker, run_id=parent.run_id)
            raise
    return execute_sweep(session, ray=ray, show_progress=show_progress)
