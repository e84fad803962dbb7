"""Successive halving over rungs, asynchronously (ASHA), without Ray.

Before a trial's first fold runs in full, it can be judged at cheaper fidelities: rung 0,
rung 1, ... (``evaluation.fidelity``: fewer training rows of that fold, or fewer boosting
rounds / trees). At each rung a trial goes on only when its score is among the best
``1 / factor`` of the scores recorded at *that* rung: the same rung key means the same
fidelity on the same rows, so trials are compared only with trials measured the same way.
The first ``grace`` trials to reach a rung always go on (nothing to compare with yet).
Stopped trials are PRUNED: told to the sampler as such and never selected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


class RungRule:
    """The scores seen at each rung key, and the promotion decision."""

    def __init__(self, *, mode: str, factor: int = 3, grace: int = 3) -> None:
        self.mode = mode
        self.factor = factor
        self.grace = grace
        self.scores: dict[str, list[float]] = {}

    def seed(self, rung_scores: Iterable[Mapping[str, float]]) -> None:
        """The rung scores of trials recorded by earlier runs of the sweep (resume)."""
        for scores in rung_scores:
            for key, value in scores.items():
                self.scores.setdefault(key, []).append(float(value))

    def promotes(self, *, key: str, score: float) -> bool:
        """Record ``score`` at rung ``key``; True when the trial goes on to the next rung."""
        seen = self.scores.setdefault(key, [])
        seen.append(float(score))
        if len(seen) <= self.grace or not math.isfinite(score):
            return math.isfinite(score)
        keep = max(1, math.floor(len(seen) / self.factor))
        ranked = sorted(seen, reverse=self.mode == "max")
        cutoff = ranked[keep - 1]
        return score >= cutoff if self.mode == "max" else score <= cutoff
