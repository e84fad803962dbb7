"""The Ray Tune trainable: an actor that runs trials a fold per training iteration.

A class trainable rather than a function: the actor keeps its ``ActorState`` (the
development data from the object store, the fold cache, the thread-pool scan) across the
trials Tune gives it with ``reuse_actors``, and the last fold's result carries ``done``,
so finishing a trial costs no extra round trip to the actor. Imported only where Ray Tune
runs, so the CLI's other commands do not import Ray Tune.
"""

from __future__ import annotations

from typing import Any

import ray
from ray import tune

from hpsearch.evaluation.trial import ActorState, TrialContext, TrialRun
from hpsearch.status import TrialStatus


class FoldTrainable(tune.Trainable):
    """One trial per config; ``step`` runs the next fold (or all when not early stopping)."""

    def setup(self, config: dict[str, Any], ctx: TrialContext) -> None:  # type: ignore[override]
        self._ctx = ctx
        node_id = str(ray.get_runtime_context().get_node_id())
        self._actor = ActorState.create(ctx=ctx, node_id=node_id)
        self._run = TrialRun(config=config, ctx=ctx, actor=self._actor)

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self._run = TrialRun(config=new_config, ctx=self._ctx, actor=self._actor)
        return True

    def step(self) -> dict[str, Any]:
        payload = self._run.step()
        payload["done"] = payload["hpsearch_status"] != TrialStatus.RUNNING
        return payload
