"""`hpsearch check`: exit codes and messages for good input, bad input and the leakage gate.

Most cases run the real Typer app in-process (``CliRunner``); two run as real processes, in
parallel, to prove that the `hpsearch` console script and `python -m hpsearch.cli` exit with
the right code and never print a traceback (the exit-0 path is the exit-3 path minus the
failed gate, so it is covered in-process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

from factories import mixed_classification_frame, regression_frame, write_sweep
from hpsearch.cli import app

BAD_INPUT = 2
LEAKAGE = 3


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data and space files every case can point at (written once per module)."""
    root = tmp_path_factory.mktemp("cli_check")
    files = root / "files"
    files.mkdir()
    frame = mixed_classification_frame(n_rows=300, n_classes=3, missing=0.05)
    frame.to_csv(files / "data.csv", index=False)

    leak = frame.copy()
    leak["leak"] = leak["target"]  # a planted proxy: a copy of the target
    leak.to_csv(files / "leak.csv", index=False)

    deny = frame.copy()
    deny["outcome_code"] = np.random.default_rng(1).normal(size=len(deny))
    deny.to_csv(files / "deny.csv", index=False)

    small = mixed_classification_frame(n_rows=40, n_classes=3, missing=0.0)
    small.loc[:2, "target"] = "rare"  # 3 rows of class 'rare': too few for 3 folds
    small.to_csv(files / "small.csv", index=False)

    regression_frame(n_rows=200, missing=0.05).to_parquet(files / "reg.parquet")
    (files / "data.txt").write_text("a,b,target\n1,2,0\n", encoding="utf-8")

    lr = "estimator: sklearn.linear_model.LogisticRegression\nparams:\n"
    (files / "bad_key.yaml").write_text(
        "family: my_lr\n" + lr + "  model__Cee: {type: float, low: 0.1, high: 1.0}\n",
        encoding="utf-8",
    )
    (files / "bad_range.yaml").write_text(
        "family: my_lr\n" + lr + "  model__C: {type: float, low: 10.0, high: 1.0}\n",
        encoding="utf-8",
    )
    (files / "good_space.yaml").write_text(
        "family: my_lr\n" + lr + "  model__C: {type: float, low: 0.1, high: 10.0, log: true}\n",
        encoding="utf-8",
    )
    return root


def _sweep(root: Path, case: str, **sections: object) -> Path:
    """A sweep file in ``root/<case>/``; ``../files/`` reaches the shared files."""
    folder = root / case
    folder.mkdir(exist_ok=True)
    return write_sweep(folder / "sweep.yaml", **sections)


def _invoke(sweep: Path, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    return CliRunner().invoke(app, ["check", str(sweep)])


def _assert_clean_exit(result: Result, code: int) -> None:
    detail = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.exit_code == code, detail
    # an uncaught exception would be stored here instead of the SystemExit of typer.Exit
    assert result.exception is None or isinstance(result.exception, SystemExit), detail
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- good input


def test_csv_with_string_categoricals_and_missing_values(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(shared, "good_csv", data={"source": "../files/data.csv"})
    result = _invoke(sweep, tmp_path, monkeypatch)

    _assert_clean_exit(result, 0)
    out = result.stdout
    assert str(shared / "files" / "data.csv") in out  # resolved against the sweep folder
    assert "features: 5 numeric, 2 categorical" in out
    assert "Class balance: class_0: 100, class_1: 100, class_2: 100" in out
    assert "Hold-out: 60 rows (stratified split, fraction 0.2); development: 240 rows" in out
    assert "proxy_feature: passed" in out
    assert "Search spaces: logistic_regression (2 params)" in out
    assert out.rstrip().endswith("Preflight passed.")
    assert result.stderr == ""


def test_parquet_regression(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweep = _sweep(
        shared,
        "good_parquet",
        task="regression",
        data={"source": "../files/reg.parquet"},
        search={"spaces": ["ridge", "knn"]},
    )
    result = _invoke(sweep, tmp_path, monkeypatch)

    _assert_clean_exit(result, 0)
    out = result.stdout
    assert "regression, source " + str(shared / "files" / "reg.parquet") in out
    assert "features: 4 numeric, 1 categorical" in out
    assert "Class balance" not in out
    assert "Search spaces: ridge (1 params), knn (3 params)" in out
    assert "Preflight passed." in out


def test_custom_classification_space_file(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(
        shared,
        "good_space",
        data={"source": "../files/data.csv"},
        search={"spaces": ["../files/good_space.yaml"]},
    )
    result = _invoke(sweep, tmp_path, monkeypatch)
    _assert_clean_exit(result, 0)
    assert "Search spaces: my_lr (1 params)" in result.stdout


@pytest.mark.parametrize(
    ("source", "task", "space", "expected"),
    [
        ("sklearn:iris", "classification", "logistic_regression", "Rows: 150 loaded"),
        ("sklearn:diabetes", "regression", "ridge", "Rows: 442 loaded"),
    ],
)
def test_bundled_datasets(
    shared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    task: str,
    space: str,
    expected: str,
) -> None:
    sweep = _sweep(
        shared, f"bundled_{task}", task=task, data={"source": source}, search={"spaces": [space]}
    )
    result = _invoke(sweep, tmp_path, monkeypatch)
    _assert_clean_exit(result, 0)
    assert expected in result.stdout
    assert f"{task}, source {source}" in result.stdout
    assert "Preflight passed." in result.stdout


# ----------------------------------------------------------------------------- bad input

BadCase = Callable[[Path], Path]


def _malformed_yaml(root: Path) -> Path:
    folder = root / "malformed"
    folder.mkdir(exist_ok=True)
    path = folder / "sweep.yaml"
    path.write_text("name: t\ndata: {source: x.csv\n  target: [\n", encoding="utf-8")
    return path


def _missing_required(root: Path) -> Path:
    folder = root / "missing_required"
    folder.mkdir(exist_ok=True)
    path = folder / "sweep.yaml"
    path.write_text("name: t\nsearch: {trials: 5}\n", encoding="utf-8")  # no data section
    return path


CSV = {"source": "../files/data.csv"}

BAD_CASES: dict[str, tuple[BadCase, tuple[str, ...]]] = {
    "unknown_top_level_key": (
        lambda r: _sweep(r, "k1", data=CSV, bogus=1),
        ("`bogus`", "unknown key"),
    ),
    "unknown_nested_key": (
        lambda r: _sweep(r, "k2", data=CSV, cv={"folds": 3, "shuffle": True}),
        ("`cv.shuffle`", "unknown key"),
    ),
    "wrong_type": (
        lambda r: _sweep(r, "k3", data=CSV, search={"trials": "many"}),
        ("`search.trials`", "'many'", "integer"),
    ),
    "missing_required_key": (_missing_required, ("`data`", "required key is missing")),
    "unknown_task": (
        lambda r: _sweep(r, "k4", data=CSV, task="clustering"),
        ("`task`", "'clustering'"),
    ),
    "missing_target_column": (
        lambda r: _sweep(r, "k5", data={**CSV, "target": "label"}),
        ("'label'", "data.target", "available columns", "'num_a'"),
    ),
    "missing_data_file": (
        lambda r: _sweep(r, "k6", data={"source": "../files/nope.csv"}),
        ("nope.csv", "does not exist"),
    ),
    "unsupported_file_type": (
        lambda r: _sweep(r, "k7", data={"source": "../files/data.txt"}),
        ("`data.source`", "'.txt'", "unsupported"),
    ),
    "unknown_family": (
        lambda r: _sweep(r, "k8", data=CSV, search={"spaces": ["logistic_regresion"]}),
        ("'logistic_regresion'", "Shipped classification families", "logistic_regression"),
    ),
    "regression_family_in_classification": (
        lambda r: _sweep(r, "k9", data=CSV, search={"spaces": ["ridge"]}),
        ("'ridge'", "is a regression family"),
    ),
    "unknown_param_path_in_space_file": (
        lambda r: _sweep(r, "k10", data=CSV, search={"spaces": ["../files/bad_key.yaml"]}),
        ("bad_key.yaml", "'model__Cee'", "model__C"),
    ),
    "bad_range_in_space_file": (
        lambda r: _sweep(r, "k11", data=CSV, search={"spaces": ["../files/bad_range.yaml"]}),
        ("bad_range.yaml", "model__C", "`low <= high` must hold", "low=10.0, high=1.0"),
    ),
    "missing_space_file": (
        lambda r: _sweep(r, "k12", data=CSV, search={"spaces": ["../files/none.yaml"]}),
        ("none.yaml", "does not exist", "search.spaces"),
    ),
    "unknown_primary_metric": (
        lambda r: _sweep(r, "k13", data=CSV, metrics={"primary": "auc"}),
        ("metrics.primary", "'auc'", "roc_auc"),
    ),
    "unknown_threshold_metric": (
        lambda r: _sweep(r, "k14", data=CSV, thresholds={"acc": 0.5}),
        ("thresholds", "'acc'", "accuracy"),
    ),
    "holdout_fraction_too_high": (
        lambda r: _sweep(r, "k15", data=CSV, holdout={"fraction": 0.9}),
        ("`holdout.fraction`", "0.9", "0.5"),
    ),
    "holdout_fraction_zero": (
        lambda r: _sweep(r, "k16", data=CSV, holdout={"fraction": 0.0}),
        ("`holdout.fraction`", "greater than 0"),
    ),
    "too_few_rows_per_class": (
        lambda r: _sweep(r, "k17", data={"source": "../files/small.csv"}),
        ("class 'rare' has 3", "cv.folds=3"),
    ),
    "malformed_yaml": (_malformed_yaml, ("not valid YAML", "line 3")),
    "sweep_file_missing": (
        lambda r: r / "no_such_dir" / "sweep.yaml",
        ("no_such_dir/sweep.yaml", "does not exist"),
    ),
    "unknown_sklearn_dataset": (
        lambda r: _sweep(r, "k18", data={"source": "sklearn:titanic"}),
        ("`data.source`", "'titanic'", "sklearn:iris"),
    ),
    "string_target_for_regression": (
        lambda r: _sweep(r, "k19", data=CSV, task="regression", search={"spaces": ["ridge"]}),
        ("task is regression", "'target'", "not numeric"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exits_2_with_a_message(
    case: str, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, needles = BAD_CASES[case]
    sweep = build(shared)
    result = _invoke(sweep, tmp_path, monkeypatch)

    _assert_clean_exit(result, BAD_INPUT)
    assert "error:" in result.stderr
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in:\n{result.stderr}"
    assert "Preflight" not in result.stdout  # nothing printed as if the check ran


def test_at_least_twelve_distinct_bad_inputs() -> None:
    assert len(BAD_CASES) >= 12


# ----------------------------------------------------------------------------- leakage gate


def test_planted_proxy_column_exits_3(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(shared, "proxy", data={"source": "../files/leak.csv"})
    result = _invoke(sweep, tmp_path, monkeypatch)

    _assert_clean_exit(result, LEAKAGE)
    out = result.stdout
    assert "error   proxy_feature: column 'leak' alone predicts the target" in out
    assert "deny_column: skipped" in out
    assert out.rstrip().endswith("Preflight FAILED.")


def test_deny_listed_column_exits_3(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(
        shared,
        "deny",
        data={"source": "../files/deny.csv"},
        leakage={"deny_columns": ["outcome_code", "not_there"]},
    )
    result = _invoke(sweep, tmp_path, monkeypatch)

    _assert_clean_exit(result, LEAKAGE)
    out = result.stdout
    assert "error   deny_column: deny-listed column(s) 'outcome_code' are among the features" in out
    assert "'not_there' are" not in out
    assert "proxy_feature: passed" in out
    assert out.rstrip().endswith("Preflight FAILED.")


def test_deny_listed_column_dropped_passes(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = _sweep(
        shared,
        "deny_dropped",
        data={"source": "../files/deny.csv", "drop_columns": ["outcome_code"]},
        leakage={"deny_columns": ["outcome_code"]},
    )
    result = _invoke(sweep, tmp_path, monkeypatch)
    _assert_clean_exit(result, 0)
    assert "deny_column: passed" in result.stdout


# ----------------------------------------------------------------------------- real processes


@dataclass(frozen=True)
class Proc:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def processes(shared: Path) -> Iterator[dict[str, Proc]]:
    """Two real `check` processes, started together (imports dominate their cost)."""
    cwd = shared / "cwd"
    cwd.mkdir()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    script = Path(sys.executable).with_name("hpsearch")
    module = [sys.executable, "-m", "hpsearch.cli", "check"]
    commands = {
        "bad": [str(script), "check", str(_sweep(shared, "sp_bad", data=CSV, bogus=1))],
        "leak": [*module, str(_sweep(shared, "sp_leak", data={"source": "../files/leak.csv"}))],
    }
    running = {
        name: subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, cmd in commands.items()
    }
    done = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=300)
        done[name] = Proc(code=proc.returncode, stdout=out, stderr=err)
    yield done


def test_console_script_bad_input_exits_2_without_traceback(processes: dict[str, Proc]) -> None:
    proc = processes["bad"]
    assert proc.code == BAD_INPUT, proc.stdout + proc.stderr
    assert "`bogus`: unknown key" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_subprocess_leakage_exits_3(processes: dict[str, Proc]) -> None:
    proc = processes["leak"]
    assert proc.code == LEAKAGE, proc.stderr
    assert "proxy_feature: column 'leak'" in proc.stdout
    assert "Preflight FAILED." in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_error_line_has_no_literal_markup(processes: dict[str, Proc]) -> None:
    assert processes["bad"].stderr.startswith("error: ")
    assert "[red]" not in processes["bad"].stderr
