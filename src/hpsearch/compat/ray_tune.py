"""Targeted changes to Ray Tune 2.60's driver loop (private methods and module globals).

1. Actor reuse (``keep_starting_actors``, while a sweep's search runs).

``TuneController._maybe_reuse_cached_actor`` gives a pending trial a freed, cached actor
and *removes* the actor that was already starting for that trial. When trials finish
faster than an actor starts (2-3 s: a new process importing scikit-learn), every new
actor is removed before it is ready and the whole sweep runs on one actor, one trial at a
time, however many CPUs it reserved (seen here: 160 two-fold trials strictly sequential on
a 2-CPU machine; on a 2-node cluster all trials on one node).

The patch keeps a trial waiting for its actor when that actor already holds its resources
and is being constructed; the cached actor then serves the next new trial, so the number of
live actors grows to the concurrency. An actor still waiting for resources is replaced as
Tune does (keeping it could deadlock: the idle cached actor may hold the CPU it waits for,
as after a lost node).

2. Trainable lookups (``cached_trainable_lookups``, for one ``Tuner.fit``). Every new
``Trial`` validates its trainable name and then loads the trainable class, three
round trips to the GCS key-value store and one unpickling per trial (about 8 ms of
driver time per trial here, a tenth of a near-zero-cost trial). Within one fit the
registered trainable does not change, so each name is looked up once.

3. Lost actors during a reset (``retry_pending_on_lost_actor``, with 1). Tune retries a
trial whose actor dies while it is RUNNING (``FailureConfig.max_failures``), but a trial
handed a reused actor is still PENDING while the actor resets: when that actor's node
dies then, Tune ends the trial as an error. Seen in the cluster test that kills a worker
node (one trial "failed" with "Socket closed ... may or may not have been executed on the
actor"). The patch requeues such a trial as Tune requeues a running one.

4. The metrics warning (``quiet_result_fetch``, for one ``Tuner.fit``). hpsearch keeps its
trials in ``trials.jsonl`` and turns Tune's per-trial files off (``log_to_file=False``, no
loggers), so the ``ResultGrid`` that ``fit`` builds warns "Failed to fetch metrics for N
trial(s)" with a path per trial, on stderr unless logging is configured (a notebook, a
script using ``hpsearch.run``). A filter on that module's logger drops that one message.

5. Actors on the prestarted workers (``actors_on_prestarted_workers``, for one ``Tuner.fit``).
A local raylet starts one idle worker process per CPU as it comes up, long before the first
trial. Tune creates its actors with a runtime env of its own (``PL_DISABLE_FORK=1``, for
PyTorch Lightning; ``class_cache.DEFAULT_ENV_VARS``), so no actor matches those workers and
each waits for a new process (about 0.8 s here, on the path to the first trial, and 0.4
CPU-seconds wasted per idle worker). hpsearch's trials run no Lightning: without that
default the actors take the waiting workers. Environment variables Tune forwards from the
driver (AWS credentials, Train's settings) still make their own runtime env.

6. Tune's usage tag for callbacks (``no_callback_usage_tags``, for one ``Tuner.fit``).
``tune.run`` counts the callbacks by type before its loop starts, and to know the built-in
types it imports Tune's W&B, Comet, Aim and MLflow integrations, MLflow itself included:
1.2 CPU-seconds between ``Tuner.fit`` and the first trial (measured with py-spy), for a
usage record that ``RAY_USAGE_STATS_ENABLED=0`` then drops. Inside the block the tag is
not computed.

Each patch checks the installed Ray version and that what it replaces exists, and raises
``IncompatibleVersionError`` otherwise (before, a missing method only logged and the sweep
silently ran one trial at a time). ``tune_patches`` applies 1 and 3 for one search and
puts Tune back as it was afterwards, so a process that goes on to use Tune itself (or
calls ``hpsearch.run`` again) gets Tune unchanged between sweeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hpsearch.compat.versions import require_attribute
from hpsearch.errors import IncompatibleVersionError

RAY = "ray"
KNOWN_RAY = ">=2.60,<2.61"
_MARK = "_hpsearch_patch"


def _private(owner: Any, name: str, purpose: str) -> Any:
    return require_attribute(owner, name, distribution=RAY, known=KNOWN_RAY, purpose=purpose)


@contextmanager
def tune_patches() -> Iterator[tuple[str, ...]]:
    """The Tune patches one search needs, for the block only; yields their names."""
    with keep_starting_actors(), retry_pending_on_lost_actor():
        yield ("keep_starting_actors", "retry_pending_on_lost_actor")


@contextmanager
def _replaced(owner: type, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """``owner.name`` is ``replacement`` inside the block (unless an outer block already
    patched it), and the original again after it."""
    original = getattr(owner, name)
    if is_patched(original):
        yield
        return
    setattr(replacement, _MARK, True)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def is_patched(method: Any) -> bool:
    return bool(getattr(method, _MARK, False))


@contextmanager
def keep_starting_actors() -> Iterator[None]:
    """Patch ``TuneController._maybe_reuse_cached_actor`` inside the block."""
    from ray.tune.execution.tune_controller import TuneController

    purpose = "actor-reuse patch (tune/ concurrency)"
    original = _private(TuneController, "_maybe_reuse_cached_actor", purpose)
    for name in ("_trial_to_actor", "_resetting_trials", "_actor_manager"):
        _private_instance_attribute(TuneController, name, purpose)

    def _maybe_reuse_cached_actor(self: Any, trial: Any) -> bool:
        own = self._trial_to_actor.get(trial)
        if (
            own is not None
            and trial not in self._resetting_trials
            and self._actor_manager.is_actor_started(own)
        ):
            # its own actor holds its resources and is being constructed: wait for it and
            # leave the cached actor to the next trial. (An actor still waiting for
            # resources is replaced as before, else an idle cached actor could hold the
            # CPU it waits for.)
            return False
        result: bool = original(self, trial)
        return result

    with _replaced(TuneController, "_maybe_reuse_cached_actor", _maybe_reuse_cached_actor):
        yield


def _private_instance_attribute(cls: type, name: str, purpose: str) -> None:
    """Instance attributes are set in ``__init__``: check that its code assigns them."""
    init = getattr(cls, "__init__", None)
    names = getattr(getattr(init, "__code__", None), "co_names", ())
    if name not in names:
        _private(cls, name, purpose)  # raises with the version and the fix


@contextmanager
def cached_trainable_lookups() -> Iterator[None]:
    """Memoise ``Trial``'s trainable validation and class lookup while the block runs."""
    from ray.tune.experiment import trial as trial_module

    purpose = "trainable-lookup cache (tune/ per-trial overhead)"
    validate: Callable[[str], None] = _private(trial_module, "validate_trainable", purpose)
    lookup: Callable[[str], Any] = _private(trial_module, "get_trainable_cls", purpose)
    valid: set[str] = set()
    classes: dict[str, Any] = {}

    def cached_validate(name: str) -> None:
        if name not in valid:
            validate(name)
            valid.add(name)

    def cached_lookup(name: str) -> Any:
        if name not in classes:
            classes[name] = lookup(name)
        return classes[name]

    setattr(trial_module, "validate_trainable", cached_validate)  # noqa: B010
    setattr(trial_module, "get_trainable_cls", cached_lookup)  # noqa: B010
    try:
        yield
    finally:
        setattr(trial_module, "validate_trainable", validate)  # noqa: B010
        setattr(trial_module, "get_trainable_cls", lookup)  # noqa: B010


@contextmanager
def retry_pending_on_lost_actor() -> Iterator[None]:
    """Patch ``TuneController._process_trial_failure`` inside the block."""
    from ray.exceptions import RayActorError
    from ray.tune.execution.tune_controller import TuneController as controller
    from ray.tune.experiment import Trial

    purpose = "lost-actor retry patch (cluster trials)"
    original = _private(controller, "_process_trial_failure", purpose)
    _private(controller, "_try_recover", purpose)

    def _process_trial_failure(self: Any, trial: Any, exception: Exception) -> None:
        if (
            trial.status == Trial.PENDING
            and isinstance(exception, RayActorError)
            and trial.run_metadata.num_failures < trial.max_failures
        ):
            # the same steps as Tune's own branch for a RUNNING trial
            self._has_errored = True
            trial.handle_error(exception)
            self._try_recover(trial, exc=exception)
            self._callbacks.on_trial_recover(
                iteration=self._iteration, trials=self._trials, trial=trial
            )
            return
        original(self, trial, exception)

    with _replaced(controller, "_process_trial_failure", _process_trial_failure):
        yield


@contextmanager
def actors_on_prestarted_workers() -> Iterator[None]:
    """Tune's trial actors without Tune's default runtime env while the block runs."""
    from ray.tune.execution import class_cache

    purpose = "trial actors on the prestarted workers (tune/ start-up)"
    defaults = _private(class_cache, "DEFAULT_ENV_VARS", purpose)
    if not isinstance(defaults, dict):
        raise IncompatibleVersionError(
            f"ray's ray.tune.execution.class_cache.DEFAULT_ENV_VARS is a {type(defaults).__name__}"
            f", not the dict hpsearch's {purpose} replaces (written for ray{KNOWN_RAY}). Fix: "
            "install a version in that range, or update hpsearch.compat.ray_tune for it."
        )
    setattr(class_cache, "DEFAULT_ENV_VARS", {})  # noqa: B010
    try:
        yield
    finally:
        setattr(class_cache, "DEFAULT_ENV_VARS", defaults)  # noqa: B010


@contextmanager
def quiet_result_fetch() -> Iterator[None]:
    """Drop ``ExperimentAnalysis``'s "Failed to fetch metrics" warning while the block runs."""
    import logging

    from ray.tune.analysis import experiment_analysis

    purpose = "the ResultGrid's metrics warning (trials.jsonl holds the results)"
    logger: logging.Logger = _private(experiment_analysis, "logger", purpose)

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to fetch metrics")

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


@contextmanager
def no_callback_usage_tags() -> Iterator[None]:
    """``ray.air._internal.usage.tag_callbacks`` does nothing while the block runs."""
    from ray.air._internal import usage

    purpose = "no callback usage tag (tune/ start-up)"
    original: Callable[[Any], bool] = _private(usage, "tag_callbacks", purpose)

    def untagged(callbacks: Any) -> bool:
        return False

    setattr(usage, "tag_callbacks", untagged)  # noqa: B010
    try:
        yield
    finally:
        setattr(usage, "tag_callbacks", original)  # noqa: B010
