"""`hpsearch run`: one sweep, start to finish, and the one place its state moves forward.

The stages are functions of their own (preflight, search, selection, judgement, publishing,
reports); this module strings them together and is the only writer of ``sweep.json``:
running -> leakage gate | interrupted | failed | completed | failed validation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from hpsearch import __version__
from hpsearch.config import SweepConfig
from hpsearch.errors import (
    EXIT_INTERRUPTED,
    EXIT_LEAKAGE,
    EXIT_OK,
    EXIT_TOO_MANY_FAILURES,
    EXIT_VALIDATION_FAILED,
    SweepInterrupted,
)
from hpsearch.prepare.findings import raise_if_failed
from hpsearch.prepare.preflight import run_preflight
from hpsearch.report.outcome import SelectionOutcome, conclude
from hpsearch.status import SweepStatus, TrialStatus
from hpsearch.store.commands import resume_command
from hpsearch.store.lineage import write_lineage
from hpsearch.store.paths import SweepPaths, create_sweep_dir, utc_now
from hpsearch.store.records import load_records
from hpsearch.store.state import SweepState, read_state, save_state
from hpsearch.tracking.parent import parent_params, parent_tags
from hpsearch.tracking.session import SweepSession
from hpsearch.tracking.tracker import ParentRun, SweepTracker
from hpsearch.tracking.uri import resolve_tracking_uri
from hpsearch.tune.runtime import RayStart, begin_ray
from hpsearch.tune.search import SearchOutcome, make_context, run_search

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """The outcome the CLI reports."""

    paths: SweepPaths
    exit_code: int
    status: SweepStatus
    tracking_uri: str
    parent_run_id: str
    search: SearchOutcome | None = None
    selection: SelectionOutcome | None = None
    message: str = ""


def start_sweep(*, config: SweepConfig, storage: Path, sweep_file: Path | None) -> SweepSession:
    """Preflight (bad input raises before anything is written), then the sweep directory,
    its lineage files, the parent run and the first ``sweep.json``."""
    pre = run_preflight(config)
    tracking_uri = resolve_tracking_uri(config.tracking.uri)
    paths = create_sweep_dir(storage=storage, name=config.name)
    lineage = write_lineage(config=config, pre=pre, paths=paths)
    tracker = SweepTracker(tracking_uri=tracking_uri, experiment=config.experiment_name)
    run_id = tracker.start_parent(
        run_name=paths.root.name,
        params=parent_params(config),
        tags=parent_tags(config=config, pre=pre, paths=paths, version=__version__),
    )
    state = SweepState(
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
    save_state(paths, state)
    parent = ParentRun(tracker=tracker, run_id=run_id)
    for artifact in lineage:
        parent.log_artifact(artifact, "lineage")
    parent.log_artifact(paths.spaces, "lineage/search_spaces")
    return SweepSession(config=config, paths=paths, pre=pre, parent=parent)


def _result(
    session: SweepSession,
    *,
    exit_code: int,
    status: SweepStatus,
    search: SearchOutcome | None = None,
    selection: SelectionOutcome | None = None,
    message: str = "",
) -> SweepResult:
    return SweepResult(
        paths=session.paths,
        exit_code=exit_code,
        status=status,
        tracking_uri=session.parent.tracking_uri,
        parent_run_id=session.parent.run_id,
        search=search,
        selection=selection,
        message=message,
    )


def _search_problem(*, config: SweepConfig, search: SearchOutcome) -> str:
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


def _interrupted(
    *, session: SweepSession, state: SweepState, exc: BaseException, excluded: frozenset[str]
) -> SweepResult:
    save_state(session.paths, replace(state, status=SweepStatus.INTERRUPTED, pid=None))
    session.parent.finish("KILLED")
    done = len(load_records(session.paths.trials, excluded=excluded))
    message = (
        f"{exc or 'interrupted'}: {done} of {session.config.search.trials} trials recorded. "
        f"Resume with: {resume_command(session.paths.root)}"
    )
    return _result(
        session, exit_code=EXIT_INTERRUPTED, status=SweepStatus.INTERRUPTED, message=message
    )


def _conclude(*, session: SweepSession, state: SweepState, search: SearchOutcome) -> SweepResult:
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
    return _result(session, exit_code=code, status=status, search=search, selection=selection)


def _execute(
    session: SweepSession, *, ray: RayStart, show_progress: bool, excluded: frozenset[str]
) -> SweepResult:
    """Leakage gate, search, selection, reports; ``sweep.json`` follows each step."""
    config, paths, pre = session.config, session.paths, session.pre
    state = read_state(paths)
    if not pre.leakage.passed:
        save_state(paths, replace(state, status=SweepStatus.LEAKAGE))
        session.parent.finish("FAILED")
        try:
            raise_if_failed(pre.leakage)
        except Exception as exc:
            return _result(
                session, exit_code=EXIT_LEAKAGE, status=SweepStatus.LEAKAGE, message=str(exc)
            )
    state = save_state(paths, state.as_running_here())
    ray.wait()
    ctx = make_context(
        config=config,
        development=pre.data.development,
        spaces=pre.spaces,
        column_types=pre.data.column_types,
    )
    try:
        search = run_search(
            config=config,
            paths=paths,
            ctx=ctx,
            parent=session.parent,
            show_progress=show_progress,
            excluded=excluded,
        )
    except (SweepInterrupted, KeyboardInterrupt) as exc:
        return _interrupted(session=session, state=state, exc=exc, excluded=excluded)
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
    message = _search_problem(config=config, search=search)
    if not message:
        return _conclude(session=session, state=state, search=search)
    save_state(paths, replace(state, status=SweepStatus.FAILED, message=message))
    session.parent.finish("FAILED")
    return _result(
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
) -> SweepResult:
    """Leakage gate, search, selection, reports. An error escaping them still closes the
    parent run and sweep.json (status failed; recorded trials are kept: resumable)."""
    try:
        return _execute(session, ray=ray, show_progress=show_progress, excluded=excluded)
    except Exception as exc:
        failed = replace(
            read_state(session.paths),
            status=SweepStatus.FAILED,
            pid=None,
            message=f"{type(exc).__name__}: {exc}",
        )
        save_state(session.paths, failed)
        try:
            session.parent.finish("FAILED")
        except Exception:  # the tracking server itself may be the problem
            logger.warning("could not mark parent run %s FAILED", session.parent.run_id)
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
) -> SweepResult:
    """``hpsearch run``: a new sweep directory and parent run, then ``execute_sweep``.

    Ray starts in the background first (or already has: ``ray`` from the CLI)."""
    ray = ray or begin_ray(config)
    try:
        session = start_sweep(config=config, storage=storage, sweep_file=sweep_file)
    except BaseException:
        ray.settle()  # no start-up thread outlives the call
        raise
    return execute_sweep(session, ray=ray, show_progress=show_progress)
