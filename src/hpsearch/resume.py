"""`hpsearch resume`: finish an interrupted sweep, or extend a finished one.

The durable state is the sweep directory: the frozen config, the copied search spaces
and ``trials.jsonl`` (one fsync'd line per finished trial). Resume re-checks the data
against the recorded fingerprints, repairs MLflow (one finished child run per recorded
trial, none RUNNING), tells the sampler every finished trial, and runs only the rest of
the budget in a new Tune experiment under ``tune/``. Ray Tune's own ``Tuner.restore`` is
not used: it cannot raise ``num_samples`` and re-runs trials finished after its last
periodic checkpoint.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from hpsearch.config import SweepConfig, parse_sweep, with_overrides
from hpsearch.endings import SweepEnding
from hpsearch.errors import EXIT_OK, BadInputError
from hpsearch.prepare.preflight import run_preflight
from hpsearch.status import SweepStatus, TrialStatus
from hpsearch.store.paths import SweepPaths, open_sweep_dir
from hpsearch.store.records import load_records
from hpsearch.store.state import SweepState, read_state, save_state
from hpsearch.sweep import execute_sweep
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.outage import store_required
from hpsearch.tracking.parent import recover_parent
from hpsearch.tracking.session import SweepSession
from hpsearch.tracking.tracker import ParentRun, SweepTracker
from hpsearch.tune.runtime import begin_ray


@dataclass(frozen=True)
class ResumePlan:
    """What a resume will do, decided before anything runs."""

    config: SweepConfig
    state: SweepState
    done: int
    excluded: frozenset[str]
    no_op: bool


def frozen_config(*, paths: SweepPaths, state: SweepState) -> SweepConfig:
    """The sweep's own config, with spaces read from the copies in the sweep directory."""
    raw = yaml.safe_load(paths.config.read_text(encoding="utf-8"))
    cv = raw.setdefault("cv", {}) if isinstance(raw, dict) else None
    if isinstance(cv, dict):  # made before cv.group_splitter: its folds came from sklearn's
        cv.setdefault("group_splitter", "sklearn")
    config = parse_sweep(raw=raw, path=paths.config)
    copies = tuple(str(paths.spaces / f"{family}.yaml") for family in state.families)
    if copies and all(Path(c).is_file() for c in copies):
        config = config.model_copy(
            update={"search": config.search.model_copy(update={"spaces": copies})}
        )
    return config


def plan_resume(*, paths: SweepPaths, trials: int | None, retry_failed: bool) -> ResumePlan:
    state = read_state(paths)
    if state.status == SweepStatus.RUNNING and state.driver_alive:
        raise BadInputError(
            f"sweep {paths.root} is still running (pid {state.pid}). "
            "Fix: wait for it, or stop it with Ctrl-C first."
        )
    config = frozen_config(paths=paths, state=state)
    records = load_records(paths.trials)
    excluded = set(state.excluded_trials)
    effective = [r for r in records if r.trial_id not in excluded]
    if trials is not None:
        if trials < len(effective):
            raise BadInputError(
                f"--trials {trials} is below the {len(effective)} trials already finished; "
                f"a sweep cannot shrink. Fix: pass --trials >= {len(effective)}."
            )
        config = with_overrides(config, trials=trials)
    if retry_failed:
        excluded |= {r.trial_id for r in effective if r.status == TrialStatus.FAILED}
        effective = [r for r in records if r.trial_id not in excluded]
    no_op = state.status.finished and len(effective) >= config.search.trials
    return ResumePlan(
        config=config,
        state=state,
        done=len(effective),
        excluded=frozenset(excluded),
        no_op=no_op,
    )


def resume_sweep(
    *, sweep_dir: str | Path, trials: int | None, retry_failed: bool, show_progress: bool = True
) -> SweepEnding:
    """Resume (or extend) the sweep in ``sweep_dir``; the same exit codes as ``run``."""
    paths = open_sweep_dir(sweep_dir)
    plan = plan_resume(paths=paths, trials=trials, retry_failed=retry_failed)
    state = plan.state
    tracker = SweepTracker(tracking_uri=state.tracking_uri, experiment=state.experiment)
    if plan.no_op:
        return SweepEnding(
            paths=paths,
            exit_code=EXIT_OK,
            status=state.status,
            tracking_uri=tracker.tracking_uri,
            parent_run_id=state.parent_run_id,
            message=f"sweep already finished: {plan.done} of {plan.config.search.trials} "
            f"trials, status {state.status}. Nothing to do (pass --trials N to extend it).",
        )
    ray = begin_ray(plan.config)
    try:
        session = _reopen(plan=plan, paths=paths, tracker=tracker)
    except BaseException:
        ray.settle()
        raise
    return execute_sweep(session, ray=ray, show_progress=show_progress, excluded=plan.excluded)


def _check_fingerprints(*, plan: ResumePlan, current: dict[str, str]) -> None:
    recorded = dict(plan.state.fingerprints)
    if recorded and recorded != current:
        raise BadInputError(
            f"the data of {plan.config.data.source} changed since this sweep started "
            f"(fingerprints {recorded} != {current}); resuming would mix two datasets. "
            "Fix: restore the original data, or start a new sweep with `hpsearch run`."
        )


def _reopen(*, plan: ResumePlan, paths: SweepPaths, tracker: SweepTracker) -> SweepSession:
    """Same data, the same parent run (repaired), the new budget: a session to execute."""
    state = plan.state
    pre = run_preflight(plan.config)
    current = {
        "development": pre.data.development.fingerprint,
        "holdout": pre.data.holdout.fingerprint,
    }
    _check_fingerprints(plan=plan, current=current)
    try:
        with store_required(tracker.tracking_uri):
            run_id = state.parent_run_id or recover_parent(tracker, paths=paths)
            parent = ParentRun(tracker=tracker, run_id=run_id)
            tracker.reopen_parent(parent.run_id)
            tracker.reconcile(parent_run_id=parent.run_id, records=load_records(paths.trials))
            if plan.config.search.trials != state.trials:
                parent.set_tags({"hpsearch.trials_budget": str(plan.config.search.trials)})
    except KeyboardInterrupt:  # the sweep stays as it was: interrupted, its parent not RUNNING
        with contextlib.suppress(Exception):
            tracker.finish(run_id, status="KILLED")
        raise
    save_state(
        paths,
        replace(
            state,
            parent_run_id=parent.run_id,
            trials=plan.config.search.trials,
            excluded_trials=tuple(sorted(plan.excluded)),
            resumed=state.resumed + 1,
        ),
    )
    opening = ParentOpening.opened(parent)
    return SweepSession(config=plan.config, paths=paths, pre=pre, opening=opening)
