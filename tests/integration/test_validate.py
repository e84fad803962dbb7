"""`hpsearch validate` against a model registered by a real sweep (CLI as a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import sweep
from sklearn.datasets import load_breast_cancer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]


def _validate(tmp_path: Path, tracking_uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
    return subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "validate", "--tracking-uri", tracking_uri, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_validate_registered_model(tmp_path: Path, tracking_uri: str) -> None:
    result = sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": 3},
        thresholds={"accuracy": 0.85, "roc_auc": 0.9},
        tracking={"registered_model": "bc-validate"},
    )
    assert result.exit_code == 0, result.message
    frame = load_breast_cancer(as_frame=True).frame
    frame.sample(200, random_state=1).to_csv(tmp_path / "labelled.csv", index=False)
    uri = "models:/bc-validate@candidate"

    good = _validate(tmp_path, tracking_uri, "--model-uri", uri, "--test-data", "labelled.csv")
    assert good.returncode == 0, good.stderr
    assert "PASSED" in good.stdout and "roc_auc" in good.stdout and "0.9" in good.stdout

    impossible = _validate(
        tmp_path,
        tracking_uri,
        "--model-uri",
        "models:/bc-validate/1",
        "--test-data",
        "labelled.csv",
        "--threshold",
        "accuracy=1.01",
    )
    assert impossible.returncode == 4, impossible.stderr
    assert "FAILED" in impossible.stdout and "accuracy" in impossible.stdout

    frame.drop(columns=["mean radius"]).assign(extra=1).to_csv(tmp_path / "bad.csv", index=False)
    mismatch = _validate(tmp_path, tracking_uri, "--model-uri", uri, "--test-data", "bad.csv")
    assert mismatch.returncode == 2
    assert "mean radius" in mismatch.stderr and "extra" in mismatch.stderr
    assert "Traceback" not in mismatch.stderr


def test_validate_ignores_the_sweeps_id_and_drop_columns(tmp_path: Path, tracking_uri: str) -> None:
    """Issue 16 item 4: scoring the training file itself, id and drop columns included."""
    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "row_id", range(len(frame)))
    frame["batch"] = ["a", "b"] * (len(frame) // 2) + ["a"] * (len(frame) % 2)
    frame.to_csv(tmp_path / "train.csv", index=False)
    result = sweep(
        tmp_path,
        tracking_uri,
        data={"source": str(tmp_path / "train.csv"), "target": "target",
              "id_column": "row_id", "drop_columns": ["batch"]},
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": 3},
        thresholds={"accuracy": 0.85},
        tracking={"registered_model": "bc-ids"},
    )  # fmt: skip
    assert result.exit_code == 0, result.message
    done = _validate(tmp_path, tracking_uri, "--model-uri", "models:/bc-ids@candidate",
                     "--test-data", "train.csv")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ignored column(s) row_id, batch" in " ".join(done.stdout.split())
    frame.assign(surprise=1).to_csv(tmp_path / "extra.csv", index=False)
    extra = _validate(tmp_path, tracking_uri, "--model-uri", "models:/bc-ids@candidate",
                      "--test-data", "extra.csv")  # fmt: skip
    assert extra.returncode == 2 and "unexpected ['surprise']" in extra.stderr
