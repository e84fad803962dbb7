"""Ray for ``SearchCV``: started (or joined) once per process, the data shipped once per fit.

The local instance is started by ``tune.runtime.RayStart`` (its start-up thread stays
parked, so the instance lives as long as the process, whichever thread called ``fit``); a
later ``fit`` finds Ray initialised and reuses it, workers included. Each fit puts the data,
the fold plan and the fold cache into the object store once; tasks receive them by
reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hpsearch.searchcv.evaluate import CandidateResult, FoldPlan
from hpsearch.tune.runtime import RayStart


def start(*, address: str | None) -> None:
    """A local Ray (started once per process) or the cluster at ``address``."""
    RayStart.begin(address=address).wait()


def concurrency(setting: int | str) -> int:
    """Trials at once: ``"auto"`` is every CPU of the Ray cluster."""
    import ray

    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    return cpus if setting == "auto" else int(setting)


def _fold_cache(*, refs: tuple[Any, ...], n_folds: int, fit: Callable[..., Any]) -> list[Any]:
    """One task per fold fits the pipeline's prefix (``fit(plan, X, y, k) -> (FoldData or
    None, bytes)``); its results stay in the object store for every trial. None of it when
    a fold cannot be fitted or the folds would take more than a quarter of the object
    store: the trials then fit the whole pipeline, as without the cache."""
    import ray

    remote = ray.remote(num_cpus=1, num_returns=2, max_retries=2)(fit)
    pairs = [remote.remote(*refs, k) for k in range(n_folds)]
    sizes = ray.get([size for _, size in pairs])
    budget = ray.cluster_resources().get("object_store_memory", 0) / 4
    if min(sizes) < 0 or sum(sizes) > budget:
        return []
    return [data for data, _ in pairs]


@contextmanager
def shipped(
    *, task: Callable[..., CandidateResult], plan: FoldPlan, X: Any, y: Any,
    prefix: Callable[..., Any] | None = None,
) -> Iterator[tuple[Callable[..., Any], Callable[[Any], CandidateResult]]]:  # fmt: skip
    """(submit(params, thresholds) -> ref, fetch(ref) -> result); tasks still running
    when the block ends (an error, Ctrl-C) are cancelled. With ``prefix``, the fold cache
    is built first and every task gets its folds by reference."""
    import ray

    remote = ray.remote(num_cpus=1, max_retries=2)(task)
    refs = (ray.put(plan), ray.put(X), ray.put(y))
    folds = _fold_cache(refs=refs, n_folds=len(plan.splits), fit=prefix) if prefix else []
    submitted: list[Any] = []

    def submit(params: dict[str, Any], thresholds: list[float | None]) -> Any:
        ref = remote.remote(*refs, params, thresholds, *folds)
        submitted.append(ref)
        return ref

    def fetch(ref: Any) -> CandidateResult:
        result: CandidateResult = ray.get(ref)
        return result

    try:
        yield submit, fetch
    except BaseException:
        if submitted:
            _, running = ray.wait(submitted, num_returns=len(submitted), timeout=0)
            for ref in running:
                ray.cancel(ref)
        raise
