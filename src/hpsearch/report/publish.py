"""Publishing the outcome to MLflow: the verdict on the parent run, the model, the registry."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.pipeline import Pipeline

from hpsearch.report.judge import Verdict
from hpsearch.tracking.parent import TAG_SWEEP_DIR
from hpsearch.tracking.registry import log_model, register_candidate
from hpsearch.tracking.session import SweepSession


@dataclass(frozen=True)
class Published:
    """Where the model went: its logged-model URI and, when it passed, its registry version."""

    model_uri: str
    model_version: str | None


def publish(*, session: SweepSession, verdict: Verdict, model: Pipeline) -> Published:
    """Hold-out, baseline and best-trial metrics and the verdict on the parent run; the
    model logged there; registered with alias ``candidate`` only when it passed."""
    parent, config, best = session.parent, session.config, verdict.best
    parent.log_metrics(
        {
            **{f"holdout_{k}": v for k, v in verdict.holdout.items()},
            **{f"baseline_{k}": v for k, v in verdict.baseline.items()},
            **{f"best_{k}": v for k, v in best.metrics.items()},
        }
    )
    parent.set_tags(
        {
            "hpsearch.verdict": "passed" if verdict.passed else "failed",
            "hpsearch.best_trial_id": best.trial_id,
            "hpsearch.best_family": best.family,
            "hpsearch.refit_rows": (config.selection.refit if verdict.passed else "development"),
        }
    )
    space = next(s for s in session.pre.spaces if s.family == best.family)
    model_uri = log_model(
        tracking_uri=parent.tracking_uri,
        parent_run_id=parent.run_id,
        model=model,
        X_example=session.pre.data.development.X,
        extra_trusted=space.trusted_types,
        pipeline=space.pipeline,
    )
    version = None
    if verdict.passed:
        version = register_candidate(
            tracking_uri=parent.tracking_uri,
            model_uri=model_uri,
            name=config.registered_model_name,
            tags={TAG_SWEEP_DIR: str(session.paths.root), "hpsearch.parent_run_id": parent.run_id},
            thresholds=dict(config.thresholds),
        )
    return Published(model_uri=model_uri, model_version=version)
