"""hpsearch.check / hpsearch.run from Python: bad input raises the CLI's errors, before Ray."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hpsearch
from factories import mixed_classification_frame, write_sweep
from hpsearch.store.frames import content_hash

SWEEP = {
    "name": "api-check",
    "task": "classification",
    "data": {"target": "target"},
    "search": {"spaces": ["logistic_regression"], "trials": 2},
}


def test_check_on_a_dataframe_passes_and_stores_one_copy(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200)
    pre = hpsearch.check(SWEEP, data=frame, storage=tmp_path)
    assert pre.leakage.passed
    assert pre.data.development.n_rows + pre.data.holdout.n_rows == 200
    hpsearch.check(SWEEP, data=frame.copy(), storage=tmp_path)  # same rows: same file
    assert len(list((tmp_path / ".data").glob("*.parquet"))) == 1


def test_bad_input_raises_the_cli_message(tmp_path: Path) -> None:
    frame = mixed_classification_frame(n_rows=200).drop(columns="target")
    with pytest.raises(hpsearch.BadInputError) as from_python:
        hpsearch.run(SWEEP, data=frame, storage=tmp_path)
    frame.to_csv(tmp_path / "no_target.csv", index=False)
    sweep = write_sweep(tmp_path / "s.yaml", **{**SWEEP, "data": {"source": "no_target.csv"}})
    done = subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "check", str(sweep)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    message = str(from_python.value)
    assert "target column 'target' (data.target) is not in" in message
    assert message.split(" is not in ")[0] in done.stderr
    assert not list(tmp_path.glob("api-check-*"))  # no sweep directory


def test_what_is_not_a_sweep_or_a_frame_is_refused(tmp_path: Path) -> None:
    with pytest.raises(hpsearch.BadInputError, match="a dict or a SweepConfig"):
        hpsearch.run(42, storage=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(hpsearch.BadInputError, match="must be a pandas DataFrame"):
        hpsearch.check(SWEEP, data=[[1, 2]], storage=tmp_path)  # type: ignore[arg-type]
    mixed = pd.DataFrame({"a": [1, "x", 2.5] * 20, "target": [0, 1, 0] * 20})
    with pytest.raises(hpsearch.BadInputError, match="one type"):
        hpsearch.check(SWEEP, data=mixed, storage=tmp_path)


def test_content_hash_ignores_the_index_and_sees_values_and_types() -> None:
    frame = mixed_classification_frame(n_rows=50)
    moved = frame.set_axis(frame.index + 7)
    assert content_hash(frame.reset_index(drop=True)) == content_hash(moved.reset_index(drop=True))
    changed = frame.copy()
    changed.loc[3, "num_a"] = 99.0
    assert content_hash(changed) != content_hash(frame)
    assert content_hash(frame.astype({"visits": "float32"})) != content_hash(frame)


def test_import_hpsearch_imports_no_heavy_stack() -> None:
    heavy = "('ray', 'mlflow', 'optuna', 'sklearn')"
    code = f"import sys, hpsearch; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
