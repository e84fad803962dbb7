"""One sweep, start to finish: preflight, sweep directory, parent run, search, selection."""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import yaml

from hpsearch import __version__
from hpsearch.config import SweepConfig
from hpsearch.errors import EXIT_INTERRUPTED, EXIT_LEAKAGE, EXIT_OK, EXIT_VALIDATION_FAILED
from hpsearch.interrupts import SweepInterrupted
from hpsearch.leakage import raise_if_failed
from hpsearch.lineage import freeze_text, git_commit, key_versions, package_versions
from hpsearch.outputs import SelectionOutcome, select_and_report
from hpsearch.preflight import Preflight, run_preflight
from hpsearch.ray_runtime import RayStart, begin_ray
from hpsearch.records import load_records
from hpsearch.search import SearchOutcome, make_context, optimisation_mode, run_search
from hpsearch.sweepdir import (
    STATUS_COMPLETED,
    STATUS_FAILED,
    STATUS_FAILED_VALIDATION,
    STATUS_INTERRUPTED,
    STATUS_LEAKAGE,
    STATUS_RUNNING,
    SweepPaths,
    create_sweep_dir,
    update_state,
    utc_now,
    write_json_atomic,
)
from hpsearch.tracking import TAG_SWEEP_DIR, SweepTracker, resolve_tracking_uri

logger = logging.getLogger(__name__)

EXIT_TOO_MANY_FAILURES = 1


@dataclass(frozen=True)
class SweepResult:
    """The outcome the CLI reports."""

    paths: SweepPaths
    exit_code: int
    status: str
    tracking_uri: str
    parent_run_id: str
    search: SearchOutcome | None
    selection: SelectionOutcome | None
    message: str = ""


@dataclass(frozen=True)
class SweepSession:
    """A started sweep: what ``execute_sweep`` needs, from ``start_sweep`` or a resume."""

    config: SweepConfig
    paths: SweepPaths
    pre: Preflight
    tracker: SweepTracker
    parent: str
    ray: RayStart


def _write_lineage(*, config: SweepConfig, pre: Preflight, paths: SweepPaths) -> None:
    paths.config.write_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    write_json_atomic(paths.leakage, pre.leakage.to_dict())
    write_json_atomic(paths.holdout_ids, {"row_ids": list(pre.data.holdout.row_ids)})
    paths.spaces.mkdir(exist_ok=True)
    for space in pre.spaces:
        shutil.copyfile(space.source, paths.spaces / f"{space.family}.yaml")
    paths.packages.write_text(freeze_text(package_versions()), encoding="utf-8")


def _parent_tags(*, config: SweepConfig, pre: Preflight, paths: SweepPaths) -> dict[str, str]:
    tags = {
        "mlflow.runName": paths.root.name,
        TAG_SWEEP_DIR: str(paths.root),
        "hpsearch.version": __version__,
        "hpsearch.task": config.task,
        "hpsearch.data_source": config.data.source,
        "hpsearch.fingerprint.development": pre.data.development.fingerprint,
        "hpsearch.fingerprint.holdout": pre.data.holdout.fingerprint,
        "hpsearch.split": pre.data.split_kind,
        "hpsearch.leakage": "passed" if pre.leakage.passed else "failed",
        "hpsearch.thresholds": json.dumps(dict(config.thresholds), sort_keys=True),
    }
    commit = git_commit(Path.cwd()) or git_commit(Path(__file__).parent)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    for name, version in key_versions().items():
        tags[f"hpsearch.pkg.{name}"] = version
    return tags


def _parent_params(config: SweepConfig) -> dict[str, object]:
    return {
        "seed": config.seed,
        "trials": config.search.trials,
        "folds": config.cv.folds,
        "families": ",".join(config.search.spaces),
        "primary_metric": config.primary_metric,
        "holdout_fraction": config.holdout.fraction,
        "early_stopping": config.search.early_stopping,
        "cpus_per_trial": config.ray.cpus_per_trial,
    }


def start_sweep(
    *, config: SweepConfig, storage: Path, ray: RayStart, sweep_file: Path | None = None
) -> SweepSession:
    """Preflight (bad input raises before anything is written), then the sweep dir and parent
    (while ``ray`` starts)."""
    pre = run_preflight(config)
    tracking_uri = resolve_tracking_uri(config.tracking.uri)
    paths = create_sweep_dir(storage=storage, name=config.name)
    _write_lineage(config=config, pre=pre, paths=paths)
    tracker = SweepTracker(tracking_uri=tracking_uri, experiment=config.experiment_name)
    parent = tracker.start_parent(
        run_name=paths.root.name,
        params=_parent_params(config),
        tags=_parent_tags(config=config, pre=pre, paths=paths),
    )
    update_state(
        paths,
        name=config.name,
        status=STATUS_RUNNING,
        created_at=utc_now().isoformat(),
        primary_metric=config.primary_metric,
        mode=optimisation_mode(config),
        hpsearch_version=__version__,
        sweep_file=str(sweep_file.resolve()) if sweep_file else None,
        tracking_uri=tracking_uri,
        experiment=config.experiment_name,
        parent_run_id=parent,
        trials=config.search.trials,
        seed=config.seed,
        fingerprints={
            "development": pre.data.development.fingerprint,
            "holdout": pre.data.holdout.fingerprint,
        },
        holdout_rows=pre.data.holdout.n_rows,
        families=[s.family for s in pre.spaces],
        excluded_trials=[],
    )
    for artifact in (paths.config, paths.leakage, paths.holdout_ids, paths.packages):
        tracker.log_artifact(parent, artifact, "lineage")
    tracker.log_artifact(parent, paths.spaces, "lineage/search_spaces")
    return SweepSession(
        config=config, paths=paths, pre=pre, tracker=tracker, parent=parent, ray=ray
    )


def _execute(
    *,
    config: SweepConfig,
    paths: SweepPaths,
    pre: Preflight,
    tracker: SweepTracker,
    parent: str,
    ray: RayStart,
    show_progress: bool = True,
    excluded: frozenset[str] = frozenset(),
) -> SweepResult:
    """Leakage gate, search, selection, reports; updates sweep.json and the parent run."""
    uri = tracker.tracking_uri
    if not pre.leakage.passed:
        update_state(paths, status=STATUS_LEAKAGE)
        tracker.finish(parent, status="FAILED")
        try:
            raise_if_failed(pre.leakage)
        except Exception as exc:
            return SweepResult(
                paths, EXIT_LEAKAGE, STATUS_LEAKAGE, uri, parent, None, None, str(exc)
            )
    update_state(paths, status=STATUS_RUNNING, pid=os.getpid(), host=socket.gethostname())
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
            tracker=tracker,
            parent_run_id=parent,
            show_progress=show_progress,
            excluded=excluded,
        )
    except (SweepInterrupted, KeyboardInterrupt) as exc:
        update_state(paths, status=STATUS_INTERRUPTED, pid=None)
        tracker.finish(parent, status="KILLED")
        done = sum(1 for r in load_records(paths.trials) if r.trial_id not in excluded)
        message = (
            f"{exc or 'interrupted'}: {done} of {config.search.trials} trials recorded. "
            f"Resume with: hpsearch resume {shlex.quote(str(paths.root))}"
        )
        return SweepResult(
            paths, EXIT_INTERRUPTED, STATUS_INTERRUPTED, uri, parent, None, None, message
        )
    finished = len(search.records)
    update_state(
        paths,
        trials_finished=finished,
        pid=None,
        sampler_history=search.sampler_states,
        concurrency=search.concurrency,
    )
    message = _search_problem(config=config, search=search)
    if message:
        update_state(paths, status=STATUS_FAILED, message=message)
        tracker.finish(parent, status="FAILED")
        return SweepResult(
            paths, EXIT_TOO_MANY_FAILURES, STATUS_FAILED, uri, parent, search, None, message
        )
    if finished < config.search.trials:
        logger.warning("time budget reached after %d of %d trials", finished, config.search.trials)
    selection = select_and_report(
        config=config, paths=paths, pre=pre, tracker=tracker, parent=parent, search=search
    )
    status = STATUS_COMPLETED if selection.verdict.passed else STATUS_FAILED_VALIDATION
    update_state(
        paths,
        status=status,
        best_trial=selection.verdict.best.trial_id,
        best_score=selection.verdict.best.objective,
        holdout=selection.verdict.holdout,
        model_uri=selection.model_uri,
        model_version=selection.model_version,
        failures=list(selection.verdict.failures),
    )
    tracker.finish(parent, status="FINISHED")
    code = EXIT_OK if selection.verdict.passed else EXIT_VALIDATION_FAILED
    return SweepResult(paths, code, status, uri, parent, search, selection)


def _search_problem(*, config: SweepConfig, search: SearchOutcome) -> str:
    """Why selection cannot go ahead, or "" when it can."""
    failed = sum(r.status == "failed" for r in search.records)
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
        session = start_sweep(config=config, storage=storage, ray=ray, sweep_file=sweep_file)
    except BaseException:
        ray.settle()  # no start-up thread outlives the call
        raise
    return execute_sweep(session, show_progress=show_progress)


def execute_sweep(
    session: SweepSession, *, show_progress: bool = True, excluded: frozenset[str] = frozenset()
) -> SweepResult:
    """Leakage gate, search, selection, reports. An error escaping them still closes the
    parent run and sweep.json (status failed; recorded trials are kept: resumable)."""
    try:
        return _execute(
            config=session.config,
            paths=session.paths,
            pre=session.pre,
            tracker=session.tracker,
            parent=session.parent,
            ray=session.ray,
            show_progress=show_progress,
            excluded=excluded,
        )
    except Exception as exc:
        update_state(
            session.paths, status=STATUS_FAILED, pid=None, message=f"{type(exc).__name__}: {exc}"
        )
        try:
            session.tracker.finish(session.parent, status="FAILED")
        except Exception:  # the tracking server itself may be the problem
            logger.warning("could not mark parent run %s FAILED", session.parent)
        raise
    finally:
        session.ray.settle()
