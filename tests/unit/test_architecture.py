"""The package's shape (docs/architecture.md): sizes, where ray.tune is imported, and the
compat layer's guards, each checked on the pinned versions."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from hpsearch.compat import ray_job, ray_local, ray_tune
from hpsearch.compat.mlflow_sql import sql_store
from hpsearch.compat.versions import require_attribute, require_version
from hpsearch.errors import IncompatibleVersionError

SRC = Path(__file__).resolve().parents[2] / "src" / "hpsearch"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_over_300_lines() -> None:
    sizes = {str(p.relative_to(SRC)): len(p.read_text().splitlines()) for p in _modules()}
    assert len(sizes) > 40
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_over_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.name}"] = length
    assert long == {}


def _imports_ray_tune(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "ray.tune" or a.name.startswith("ray.tune.") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "ray.tune" or node.module.startswith("ray.tune."):
                return True
            if node.module == "ray" and any(a.name == "tune" for a in node.names):
                return True
    return False


def test_only_tune_and_compat_import_ray_tune() -> None:
    importers = {
        str(p.relative_to(SRC)) for p in _modules() if _imports_ray_tune(ast.parse(p.read_text()))
    }
    assert importers, "the checker must find tune/'s own imports"
    outside = {m for m in importers if not m.startswith(("tune/", "compat/"))}
    assert outside == set()


# ----------------------------------------------------------------------------- compat


def test_tune_patches_apply_on_the_pinned_ray_inside_the_block_only() -> None:
    from ray.tune.execution.tune_controller import TuneController

    before = (TuneController._maybe_reuse_cached_actor, TuneController._process_trial_failure)
    with ray_tune.tune_patches() as names:
        assert names == ("keep_starting_actors", "retry_pending_on_lost_actor")
        assert ray_tune.is_patched(TuneController._maybe_reuse_cached_actor)
        assert ray_tune.is_patched(TuneController._process_trial_failure)
        patched = TuneController._maybe_reuse_cached_actor
        with ray_tune.tune_patches():  # nested: wraps nothing again, restores nothing early
            assert TuneController._maybe_reuse_cached_actor is patched
        assert TuneController._maybe_reuse_cached_actor is patched
    after = (TuneController._maybe_reuse_cached_actor, TuneController._process_trial_failure)
    assert after == before and not ray_tune.is_patched(after[0])


def test_trainable_lookups_are_cached_inside_the_block_only() -> None:
    from ray.tune.experiment import trial as trial_module

    before = trial_module.get_trainable_cls
    with ray_tune.cached_trainable_lookups():
        assert trial_module.get_trainable_cls is not before
    assert trial_module.get_trainable_cls is before


def test_result_grid_metrics_warning_is_dropped_inside_the_block_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ray.tune.analysis import experiment_analysis

    logger = experiment_analysis.logger
    with caplog.at_level("WARNING", logger=logger.name):
        with ray_tune.quiet_result_fetch():
            logger.warning("Failed to fetch metrics for 3 trial(s):\n- a")
            logger.warning("something else")
        logger.warning("Failed to fetch metrics for 1 trial(s)")
    assert [r.getMessage().split(" for")[0] for r in caplog.records] == [
        "something else",
        "Failed to fetch metrics",
    ]


def test_tune_default_runtime_env_is_empty_inside_the_block_only() -> None:
    from ray.tune.execution import class_cache

    before = class_cache.DEFAULT_ENV_VARS
    with ray_tune.actors_on_prestarted_workers():
        assert class_cache.DEFAULT_ENV_VARS == {}
    assert class_cache.DEFAULT_ENV_VARS is before and before == {"PL_DISABLE_FORK": "1"}


def test_lean_local_start_sets_ray_params_and_skips_the_api_server_inside_only() -> None:
    from ray._private.node import Node
    from ray._private.parameter import RayParams

    api_server = Node.start_api_server
    with ray_local.lean_local_start():
        params = RayParams()
        assert params.no_monitor is True and params.include_log_monitor is False
        assert Node.start_api_server is not api_server
    params = RayParams()
    assert params.no_monitor is False and params.include_log_monitor is None
    assert Node.start_api_server is api_server


def test_sql_store_of_a_sqlite_client(tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    store = sql_store(client)
    assert hasattr(store, "ManagedSessionMaker")


def test_job_working_dir_is_detached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ray_job.JOB_CONFIG_ENV, '{"runtime_env": {"working_dir": "/x", "pip": []}}')
    assert ray_job.detach_job_working_dir() is True
    assert os.environ[ray_job.JOB_CONFIG_ENV] == '{"runtime_env": {"pip": []}}'
    assert ray_job.detach_job_working_dir() is False


def test_an_unknown_version_fails_loudly_with_the_range() -> None:
    with pytest.raises(IncompatibleVersionError, match=r"ray 2\.60\.\d+ is installed.*ray<1\.0"):
        require_version(distribution="ray", known="<1.0", purpose="a test patch")


def test_a_missing_internal_fails_loudly_with_its_name() -> None:
    with pytest.raises(IncompatibleVersionError, match=r"has no int\._gone_"):
        require_attribute(int, "_gone_", distribution="ray", known=">=2.60", purpose="a test")


def test_scoped_tracking_uri_leaves_mlflow_and_the_environment_as_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow
    from mlflow.tracking._tracking_service import utils

    from hpsearch.compat.mlflow_uri import using_tracking_uri

    monkeypatch.setattr(utils, "_tracking_uri", None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with using_tracking_uri("sqlite:////tmp/inside.db"):
        assert mlflow.get_tracking_uri() == "sqlite:////tmp/inside.db"
    assert utils._tracking_uri is None and "MLFLOW_TRACKING_URI" not in os.environ

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://users-server:5000")  # the user's own
    with using_tracking_uri("sqlite:////tmp/inside.db"):
        assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:////tmp/inside.db"
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://users-server:5000"
    assert mlflow.get_tracking_uri() == "http://users-server:5000"


def test_mlflow_requirement_map_is_built_ahead_on_the_pinned_mlflow() -> None:
    from mlflow.utils import requirements_utils

    from hpsearch.compat.mlflow_warm import build_requirements_map

    build_requirements_map()
    assert requirements_utils._PACKAGES_TO_MODULES  # MLflow's cache, what log_model reads


def test_callback_usage_tag_is_skipped_inside_the_block_only() -> None:
    from ray.air._internal import usage

    from hpsearch.tune.recorder import TrialRecorder  # a Callback, as the search passes

    tag = usage.tag_callbacks
    with ray_tune.no_callback_usage_tags():
        assert usage.tag_callbacks is not tag
        assert usage.tag_callbacks([object.__new__(TrialRecorder)]) is False
    assert usage.tag_callbacks is tag
