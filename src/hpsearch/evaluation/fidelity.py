"""Cheaper fidelities of a trial's first fold: the rungs it is judged at before it runs in full.

Two kinds, both measured on the first fold's validation rows (every trial the same rows):

- ``rows`` (large tables): the model is fitted on a seeded, stratified subsample of the
  fold's training rows, ``1/factor**2`` then ``1/factor`` of them; the same subsample for
  every trial (it is drawn once, on the driver, into the ``FidelityPlan``). The
  preprocessing is fitted on that subsample too.
- ``rounds`` (ensembles: boosting rounds, trees): the model is fitted on all of the fold's
  training rows with ``fraction`` of its family's largest round count (the upper bound of
  the space's range), at least ``MIN_ROUNDS``; a trial that asks for no more rounds than
  that skips the rung. scikit-learn's forests and boosting continue the same model
  (``warm_start``) from rung to rung and into the full fold, so a promoted trial loses no
  work; XGBoost, LightGBM and CatBoost fit the rung afresh.

A rung's key names its kind and fraction: trials are compared only at the same key, that
is at the same fidelity on the same rows (``tune.rung_rule``). Rungs never count as folds:
only a trial that completed every fold at full fidelity can be selected.

Rungs are asked for (``search.fidelity``; the default is ``none``). Measured with 100
trials on real tables (docs/benchmarks.md): on 125,000 flights (gradient boosting), rows
rungs ranked by what wins on a ninth of the rows (smaller, more regularised models) and the
best CV score found was 0.7686 against 0.7709 with the fold rule alone; on 6,366 rows of
monica (random forest), rounds rungs (34 then 100 trees of fold 0) found 0.9162-0.9165
against 0.9167: a ninth of the trees on one fold ranks close configurations by noise. They
cut the time of those 100 trials by 1.9x to 2.4x. ``auto`` uses rows rungs when the
smallest rung still has ``MIN_RUNG_ROWS`` rows, and none otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split

Fidelity = Literal["auto", "rows", "rounds", "none"]
MIN_ROUNDS = 5
MIN_RUNG_ROWS = 2000  # "auto" subsamples rows only when the smallest rung has this many
LEVELS = 2  # rungs before the full first fold


@dataclass(frozen=True)
class Rung:
    """One cheaper fidelity: ``fraction`` of the training rows (``rows``, whose positions
    are ``rows``) or of the family's largest round count (``rounds``)."""

    kind: Literal["rows", "rounds"]
    fraction: float
    rows: np.ndarray | None = None
    family: str = ""  # rounds rungs compare trials of one family (one meaning of a round)

    @property
    def key(self) -> str:
        base = f"{self.kind}:{self.fraction:.4g}"
        return f"{base}:{self.family}" if self.family else base


@dataclass(frozen=True)
class FidelityPlan:
    """A sweep's rungs: row rungs for every family, or round fractions for ensembles."""

    row_rungs: tuple[Rung, ...] = ()
    round_fractions: tuple[float, ...] = ()
    factor: int = 3

    @property
    def enabled(self) -> bool:
        return bool(self.row_rungs or self.round_fractions)


def plan_fidelity(
    *, fidelity: Fidelity, train_idx: np.ndarray, y: pd.Series, classify: bool, seed: int,
    factor: int = 3,
) -> FidelityPlan:  # fmt: skip
    """The rungs of a sweep whose first fold trains on ``train_idx`` (positions into y)."""
    fractions = tuple(factor ** -(LEVELS - k) for k in range(LEVELS))
    smallest = len(train_idx) * fractions[0]
    if fidelity == "none":
        return FidelityPlan(factor=factor)
    rows = (fidelity == "rows" and smallest >= 100) or (
        fidelity == "auto" and smallest >= MIN_RUNG_ROWS
    )
    if not rows:  # rounds rungs only when asked for (see the module's docstring)
        return FidelityPlan(
            round_fractions=fractions if fidelity == "rounds" else (), factor=factor
        )
    rungs = tuple(
        Rung(kind="rows", fraction=f, rows=_subsample(train_idx, y=y, fraction=f, classify=classify,
                                                      seed=seed))
        for f in fractions
    )  # fmt: skip
    return FidelityPlan(row_rungs=rungs, factor=factor)


def _subsample(
    train_idx: np.ndarray, *, y: pd.Series, fraction: float, classify: bool, seed: int
) -> np.ndarray:
    labels = y.to_numpy()[train_idx]
    stratify = None
    if classify:
        _, counts = np.unique(labels.astype(str), return_counts=True)
        stratify = labels if counts.min() >= 2 else None
    keep, _ = train_test_split(train_idx, train_size=fraction, random_state=seed, stratify=stratify)
    return np.sort(np.asarray(keep))


def _inner(model: Any) -> Any:
    """The estimator that holds the rounds (inside ``EncodedLabels``, its ``classifier``)."""
    return getattr(model, "classifier", None) or model


def rounds_name(model: Any) -> str | None:
    """The parameter that sets an ensemble's rounds or trees, if the model has one."""
    params = _inner(model).get_params(deep=False)
    if "HistGradientBoosting" in type(_inner(model)).__name__ and "max_iter" in params:
        return "max_iter"
    return "n_estimators" if "n_estimators" in params else None


def model_rounds(model: Any) -> int | None:
    """The rounds the model is configured with (None: no rounds parameter, or unset)."""
    name = rounds_name(model)
    value = _inner(model).get_params(deep=False).get(name) if name else None
    return int(value) if isinstance(value, int | np.integer) and value > 0 else None


def trial_rungs(
    *, plan: FidelityPlan, model: Any, family: str, largest: int | None
) -> tuple[Rung, ...]:
    """The rungs of one trial: the plan's row rungs, or its rounds rungs below the trial's
    own round count (``largest``: the family's largest, from its space; else its own)."""
    if plan.row_rungs:
        return plan.row_rungs
    own = model_rounds(model)
    if not plan.round_fractions or own is None:
        return ()
    top = largest or own
    return tuple(
        Rung(kind="rounds", fraction=f, family=family)
        for f in plan.round_fractions
        if rung_rounds(fraction=f, largest=top) < own
    )


def rung_rounds(*, fraction: float, largest: int) -> int:
    return max(MIN_ROUNDS, math.ceil(largest * fraction))


def with_rounds(model: Any, rounds: int) -> None:
    """Set the model's rounds in place (inside ``EncodedLabels`` too)."""
    name = rounds_name(model)
    if name:
        _inner(model).set_params(**{name: rounds})


def warm_startable(model: Any) -> bool:
    """scikit-learn ensembles that add rounds/trees to a fitted model (``warm_start``)."""
    return "warm_start" in _inner(model).get_params(deep=False) and model is _inner(model)


def rung_model(*, final: Any, rung: Rung, largest: int, warm: Any | None) -> Any:
    """The model to fit at a rounds rung: the warm model continued, or a fresh clone."""
    model = warm if warm is not None else clone(final)
    if warm is None and warm_startable(model):
        model.set_params(warm_start=True)
    with_rounds(model, rung_rounds(fraction=rung.fraction, largest=largest))
    return model
