"""Start-up (issue 15): the modules trial workers preload, and the parent run opened later."""

from __future__ import annotations

import pickle
import sys
import threading
from pathlib import Path

import pytest

from factories import write_sweep
from hpsearch.compat import ray_local
from hpsearch.config import load_sweep
from hpsearch.errors import TrackingUnavailableError
from hpsearch.spaces.files import estimator_modules
from hpsearch.tracking.opening import ParentOpening
from hpsearch.tracking.tracker import ParentRun, SweepTracker
from hpsearch.tune.runtime import TRIAL_MODULE, trial_modules


def test_estimator_modules_of_shipped_and_own_spaces_without_importing_them(
    tmp_path: Path,
) -> None:
    own = tmp_path / "mine.yaml"
    own.write_text("family: mine\nestimator: not_installed_pkg.models.Model\n")
    entries = ["xgboost", "random_forest", "random_forest", str(own), "no-such-family"]
    modules = estimator_modules(entries=entries, task="classification")
    # the XGBoost model sits inside hpsearch_runtime's EncodedLabels (fixed: {classifier})
    assert modules == ("hpsearch_runtime.labels", "xgboost", "sklearn.ensemble")


def test_trial_modules_start_with_the_trainable(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path, search={"spaces": ["logistic_regression"]}))
    assert trial_modules(config) == (TRIAL_MODULE, "sklearn.linear_model")


def test_reading_spaces_for_the_preload_imports_no_estimator_library() -> None:
    import subprocess

    code = (
        "import sys; from hpsearch.spaces.files import estimator_modules; "
        "estimator_modules(entries=['lightgbm', 'catboost', 'random_forest'], "
        "task='classification'); "
        "print(sorted(m for m in ('sklearn', 'lightgbm', 'catboost', 'optuna') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_preloading_workers_is_the_raylets_preload_setting() -> None:
    config = ray_local.preloading_workers(["a", "b", "a"])
    assert config == {"preload_python_modules": ["a", "b"]}


def _tracker() -> SweepTracker:
    return SweepTracker(tracking_uri="sqlite:///unused.db", experiment="e")


def test_opening_runs_once_in_a_thread_and_hands_the_parent_to_every_waiter() -> None:
    calls: list[str] = []
    release = threading.Event()

    def create(tracker: SweepTracker) -> str:
        calls.append(threading.current_thread().name)
        release.wait(5)
        return "run-1"

    opening = ParentOpening(tracker=_tracker(), create=create)
    assert not opening.started and not opening.done and opening.failure() is None
    opening.begin()
    opening.begin()
    assert opening.started and not opening.done
    release.set()
    parent = opening.result()
    assert parent.run_id == "run-1" and opening.result() is parent
    assert calls == ["hpsearch-parent-run"]
    # pickled once open (Tune keeps its callbacks in tuner.pkl): the parent run itself
    copy = pickle.loads(pickle.dumps(opening))
    assert copy.result().run_id == "run-1"


def test_a_store_that_refuses_is_the_openings_failure_for_every_waiter() -> None:
    def create(tracker: SweepTracker) -> str:
        raise TrackingUnavailableError("store refused")

    opening = ParentOpening(tracker=_tracker(), create=create)
    with pytest.raises(TrackingUnavailableError, match="store refused"):
        opening.result()
    assert isinstance(opening.failure(), TrackingUnavailableError)
    with pytest.raises(TrackingUnavailableError):
        opening.result()


def test_an_opened_parent_needs_no_thread() -> None:
    opening = ParentOpening.opened(ParentRun(tracker=_tracker(), run_id="abc"))
    assert opening.done and opening.started and opening.result().run_id == "abc"
    before = threading.active_count()
    opening.begin()
    assert threading.active_count() == before
