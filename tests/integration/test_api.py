"""``hpsearch.run`` on a DataFrame, twice in one process; ``check`` and ``resume`` from Python.

The calls run in a child Python process (a local Ray started in pytest's own process would
stay up under every later test), which reports what it saw as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from processes import cli_env, hpsearch

from factories import mixed_classification_frame

pytestmark = pytest.mark.integration
TRIALS = 5

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    import pandas as pd
    import hpsearch

    frame = pd.read_pickle(sys.argv[1])
    sweep = {
        "name": "api", "seed": 3, "task": "classification",
        "data": {"target": "target"},
        "cv": {"folds": 3},
        "search": {"spaces": ["logistic_regression", "random_forest"], "trials": TRIALS},
        "thresholds": {"accuracy": 0.4},
        "tracking": {"uri": sys.argv[2], "experiment": "api", "registered_model": "api-model"},
    }
    out = []
    for call in range(2):
        result = hpsearch.run(sweep, data=frame, storage="sweeps", progress=False)
        import mlflow, ray
        from mlflow.tracking._tracking_service import utils
        from ray.tune.execution.tune_controller import TuneController
        from hpsearch.compat.ray_tune import is_patched
        out.append({
            "passed": result.passed, "exit_code": result.exit_code,
            "sweep_dir": str(result.sweep_dir), "parent": result.parent_run_id,
            "registered_uri": result.registered_uri, "family": result.best_family,
            "params": result.best_params, "holdout": result.holdout_metrics,
            "leaderboard_rows": len(result.leaderboard),
            "predicted": [str(v) for v in result.best_estimator.predict(frame.head(7))],
            "gcs": ray.get_runtime_context().gcs_address,
            "global_uri": utils._tracking_uri,
            "tune_patched": is_patched(TuneController._maybe_reuse_cached_actor),
            "threads": sorted(t.name for t in threading.enumerate()),
        })
    print("RESULT " + json.dumps(out))
    """
).replace("TRIALS", str(TRIALS))


def _runs(uri: str, parent: str) -> tuple[int, int]:
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("api")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]
    parents = [r for r in runs if r.info.run_id == parent]
    return len(parents), len(children)


def test_run_on_a_dataframe_twice_in_one_process(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=300, seed=5)
    frame.index = frame.index + 1000  # not data: dropped
    frame.to_pickle(tmp_path / "frame.pkl")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**cli_env()}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "frame.pkl"), uri],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    first, second = json.loads(line.removeprefix("RESULT "))
    for call in (first, second):
        assert call["passed"] and call["exit_code"] == 0
        assert call["family"] in ("logistic_regression", "random_forest") and call["params"]
        assert set(call["holdout"]) >= {"accuracy"} and call["leaderboard_rows"] == TRIALS
        assert set(call["predicted"]) <= set(frame["target"]) and len(call["predicted"]) == 7
        assert _runs(uri, call["parent"]) == (1, TRIALS)
        assert call["global_uri"] is None and not call["tune_patched"]
        assert "hpsearch-mlflow" not in call["threads"]  # the child-run writer has stopped
    assert second["gcs"] == first["gcs"]  # the second call used the Ray of the first
    assert second["threads"] == first["threads"]  # nothing accumulates between calls
    assert first["registered_uri"] == "models:/api-model@candidate"
    versions = MlflowClient(tracking_uri=uri).search_model_versions("name='api-model'")
    assert len(versions) == 2

    # the frame is a file like any other: one stored copy, named in sweep.json, resumable
    stored = list((tmp_path / "sweeps" / ".data").glob("*.parquet"))
    assert len(stored) == 1
    pd.testing.assert_frame_equal(
        pd.read_parquet(stored[0]), frame.reset_index(drop=True), check_dtype=False
    )
    config_text = (Path(first["sweep_dir"]) / "config.yaml").read_text()
    assert str(stored[0]) in config_text
    extended = hpsearch(tmp_path, "resume", first["sweep_dir"], "--trials", str(TRIALS + 2),
                        "--no-progress")  # fmt: skip
    assert extended.returncode == 0, extended.stdout[-3000:] + extended.stderr[-3000:]
    assert _runs(uri, first["parent"]) == (1, TRIALS + 2)


def test_progress_renders_in_jupyter_as_one_updated_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real Jupyter kernel (ipykernel, run by nbclient) runs ``hpsearch.run``: the
    progress is one display output of the cell, updated in place to the final count, not a
    line per update on stderr, and the cell shows no other library's chatter."""
    import nbformat
    from nbclient import NotebookClient

    code = textwrap.dedent(
        f"""
        import hpsearch
        sweep = {{
            "name": "nb", "seed": 1, "task": "classification",
            "data": {{"source": "sklearn:iris"}}, "cv": {{"folds": 2}},
            "search": {{"spaces": ["logistic_regression"], "trials": 4}},
            "thresholds": {{"accuracy": 0.5}},
        }}
        result = hpsearch.run(sweep, storage={str(tmp_path / "sweeps")!r},
                              tracking_uri={f"sqlite:///{tmp_path / 'mlflow.db'}"!r})
        print("EXIT", result.exit_code)
        """
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": tmp_path}}
    )
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")  # the kernel inherits them
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    client.execute()
    outputs = notebook.cells[0].outputs
    shown = [o for o in outputs if o.output_type == "display_data"]
    streamed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "EXIT 0" in streamed, outputs
    assert len(shown) == 1, json.dumps(outputs, indent=1)
    assert shown[0].data["text/plain"].startswith("trials 4/4 done"), shown[0].data
    assert "trials 0/4" not in streamed and "trials 4/4" not in streamed
    # nothing but hpsearch's own output: no Tune reporter, result-grid, registry or Optuna lines
    for noise in ("Failed to fetch metrics", "Successfully registered", "A new study"):
        assert noise not in streamed, streamed
