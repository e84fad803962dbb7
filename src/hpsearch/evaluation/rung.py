"""One rung of one trial: the first fold at a cheaper fidelity, scored on its validation rows."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from hpsearch.config.metrics import Metric
from hpsearch.errors import TrialError
from hpsearch.evaluation.fidelity import Rung, rung_model, warm_startable
from hpsearch.evaluation.fold import cached_fold_rows
from hpsearch.evaluation.fold_cache import FoldCache
from hpsearch.evaluation.rounds import EarlyStop, fit_model
from hpsearch.evaluation.scoring import score_model


@dataclass(frozen=True)
class RungScore:
    """The primary metric at a rung, and the model a later rung (or the full fold) goes on
    from (scikit-learn ensembles with ``warm_start``; None otherwise)."""

    value: float
    warm: Any | None


def evaluate_rung(
    *,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    rung: Rung,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    metric: Metric,
    largest: int,
    warm: Any | None = None,
    cache: FoldCache | None = None,
    cache_key: str = "",
    stop: EarlyStop | None = None,
) -> RungScore:
    """Fit at ``rung`` on fold 0's training rows (or the rung's subsample of them) and score
    the primary metric on fold 0's validation rows. Raises ``TrialError`` like a fold."""
    rows = rung.rows if rung.kind == "rows" and rung.rows is not None else train_idx
    # a rows rung fits its preprocessing on its own subsample: its own cache entry
    key = f"{cache_key}|{rung.key}" if cache_key and rung.kind == "rows" else cache_key
    y_train = y.iloc[rows]
    try:
        part, _ = cached_fold_rows(
            pipeline=pipeline, X=X, y_train=y_train, train_idx=rows, val_idx=val_idx,
            cache=cache, cache_key=key, fold=0,
        )  # fmt: skip
        final = pipeline.steps[-1][1]
        if rung.kind == "rounds":
            model = rung_model(final=final, rung=rung, largest=largest, warm=warm)
            model.fit(part.X_train, y_train)
        else:
            model = clone(final)
            fit_model(model=model, X=part.X_train, y=y_train, stop=stop)
        value = score_model(model=model, X=part.X_validation, y=y.iloc[val_idx], metrics=[metric])
    except Exception as exc:
        raise TrialError(
            f"rung {rung.key} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        ) from exc
    score = value[metric.name]
    if not np.isfinite(score):
        raise TrialError(f"rung {rung.key} produced a non-finite {metric.name}")
    keep = model if rung.kind == "rounds" and warm_startable(model) else None
    return RungScore(value=float(score), warm=keep)
