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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hpsearch.config import SweepConfig, parse_sweep, with_overrides
from hpsearch.errors import EXIT_OK, BadInputError
from hpsearch.preflight import run_preflight
from hpsearch.ray_runtime import RayStart, begin_ray
from hpsearch.records import load_records
from hpsearch.sweep import SweepResult, SweepSession, execute_sweep
from hpsearch.sweepdir import (
    STATUS_COMPLETED,
    STATUS_FAILED_VALIDATION,
    STATUS_RUNNING,
    SweepPaths,
    open_sweep_dir,
    pid_alive,
    read_state,
    update_state,
)
from hpsearch.tracking import SweepTracker
from hpsearch.trainable import STATUS_FAILED

FINISHED_STATUSES = (STATUS_COMPLETED, STATUS_FAILED_VALIDATION)


@dataclass(frozen=True)
class ResumePlan:
    """What a resume will do, decided before anything runs."""

    config: SweepConfig
    done: int
    excluded: frozenset[str]
    no_op: bool


def frozen_config(paths: SweepPaths) -> SweepConfig:
    """The sweep's own config, with spaces read from the copies in the sweep directory."""
    raw = yaml.safe_load(paths.config.read_text(encoding="utf-8"))
    config = parse_sweep(raw=raw, path=paths.config)
    families = read_state(paths).get("families") or []
    copies = tuple(str(paths.spaces / f"{family}.yaml") for family in families)
    if copies and all(Path(c).is_file() for c in copies):
        config = config.model_copy(
            update={"search": config.search.model_copy(update={"spaces": copies})}
        )
    return config


def plan_resume(*, paths: SweepPaths, trials: int | None, retry_failed: bool) -> ResumePlan:
    state = read_state(paths)
    if state.get("status") == STATUS_RUNNING and pid_alive(state.get("pid"), state.get("host")):
        raise BadInputError(
            f"sweep {paths.root} is still running (pid {state['pid']}). "
            "Fix: wait for it, or stop it with Ctrl-C first."
        )
    config = frozen_config(paths)
    records = load_records(paths.trials)
    excluded = set(state.get("excluded_trials") or [])
    effective = [r for r in records if r.trial_id not in excluded]
    if trials is not None:
        if trials < len(effective):
            raise BadInputError(
                f"--trials {trials} is below the {len(effective)} trials already finished; "
                f"a sweep cannot shrink. Fix: pass --trials >= {len(effective)}."
            )
        config = with_overrides(config, trials=trials)
    if retry_failed:
        excluded |= {r.trial_id for r in effective if r.status == STATUS_FAILED}
        effective = [r for r in records if r.trial_id not in excluded]
    finished = state.get("status") in FINISHED_STATUSES
    no_op = finished and len(effective) >= config.search.trials
    return ResumePlan(config=config, done=len(effective), excluded=frozenset(excluded), no_op=no_op)


def resume_sweep(
    *, sweep_dir: str | Path, trials: int | None, retry_failed: bool, show_progress: bool = True
) -> SweepResult:
    """Resume (or extend) the sweep in ``sweep_dir``; the same exit codes as ``run``."""
    paths = open_sweep_dir(sweep_dir)
    plan = plan_resume(paths=paths, trials=trials, retry_failed=retry_failed)
    state = read_state(paths)
    tracker = SweepTracker(tracking_uri=state["tracking_uri"], experiment=state["experiment"])
    parent = str(state["parent_run_id"])
    if plan.no_op:
        return SweepResult(
            paths,
            EXIT_OK,
            str(state["status"]),
            tracker.tracking_uri,
            parent,
            None,
            None,
            f"sweep already finished: {plan.done} of {plan.config.search.trials} trials, "
            f"status {state['status']}. Nothing to do (pass --trials N to extend it).",
        )
    ray = begin_ray(plan.config)
    try:
        session = _reopen(plan=plan, paths=paths, state=state, tracker=tracker, ray=ray)
    except BaseException:
        ray.settle()
        raise
    return execute_sweep(session, show_progress=show_progress, excluded=plan.excluded)


def _reopen(
    *,
    plan: ResumePlan,
    paths: SweepPaths,
    state: dict[str, Any],
    tracker: SweepTracker,
    ray: RayStart,
) -> SweepSession:
    """Same data, the same parent run (repaired), the new budget: a session to execute."""
    parent = str(state["parent_run_id"])
    pre = run_preflight(plan.config)
    recorded = state.get("fingerprints") or {}
    current = {
        "development": pre.data.development.fingerprint,
        "holdout": pre.data.holdout.fingerprint,
    }
    if recorded and recorded != current:
        raise BadInputError(
            f"the data of {plan.config.data.source} changed since this sweep started "
            f"(fingerprints {recorded} != {current}); resuming would mix two datasets. "
            "Fix: restore the original data, or start a new sweep with `hpsearch run`."
        )
    tracker.reopen_parent(parent)
    records = load_records(paths.trials)
    tracker.reconcile(parent_run_id=parent, records=records)
    if plan.config.search.trials != state.get("trials"):
        tracker.set_tags(parent, {"hpsearch.trials_budget": str(plan.config.search.trials)})
    update_state(
        paths,
        trials=plan.config.search.trials,
        excluded_trials=sorted(plan.excluded),
        resumed=int(state.get("resumed", 0)) + 1,
    )
    return SweepSession(
        config=plan.config, paths=paths, pre=pre, tracker=tracker, parent=parent, ray=ray
    )
