"""A registered model loads and serves where hpsearch is not installed: a fresh virtualenv
built only from the model's own requirements.txt, `mlflow.pyfunc` and `mlflow models serve`
(a real server on 127.0.0.1, stopped by its process group)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest
from helpers import sweep
from processes import hpsearch, sweep_dir

from factories import mixed_classification_frame

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_pipeline"

LOAD_AND_PREDICT = """
import json, sys
import mlflow.pyfunc
from mlflow.models import Model
try:
    import hpsearch  # noqa: F401
    sys.exit("hpsearch is importable in the fresh virtualenv")
except ImportError:
    pass
model = mlflow.pyfunc.load_model(sys.argv[1])
local = mlflow.artifacts.download_artifacts(sys.argv[1])
example = Model.load(local).load_input_example(local)
print(json.dumps([str(p) for p in model.predict(example)]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def venv_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh virtualenv for this module's models (each installs its requirements)."""
    return tmp_path_factory.mktemp("fresh") / "venv"


def _fresh_venv(folder: Path, requirements: Path) -> Path:
    if not folder.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _serve(python: Path, model_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    mlflow_cli = python.parent / "mlflow"
    proc = subprocess.Popen(
        [str(mlflow_cli), "models", "serve", "-m", str(model_dir), "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as answer:
                if answer.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.5)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
    raise AssertionError("mlflow models serve did not answer /ping within 120 s")


def test_registered_model_loads_and_serves_without_hpsearch(
    tmp_path: Path, tracking_uri: str, venv_folder: Path
) -> None:
    frame = mixed_classification_frame(n_rows=300, n_classes=2, seed=8, missing=0.05)
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = sweep(
        tmp_path,
        tracking_uri,
        data={"source": "data.csv"},
        cv={"folds": 3},
        search={"spaces": ["xgboost"], "trials": 2, "early_stopping": False},
        thresholds={},
        tracking={"registered_model": "deployable"},
    )
    assert result.exit_code == 0, result.message
    mlflow.set_tracking_uri(tracking_uri)
    model_dir = Path(mlflow.artifacts.download_artifacts("models:/deployable@candidate"))
    requirements = (model_dir / "requirements.txt").read_text()
    assert "hpsearch" not in requirements.replace("hpsearch_runtime", "")
    assert (model_dir / "code" / "hpsearch_runtime" / "categories.py").is_file()
    python = _fresh_venv(venv_folder, model_dir / "requirements.txt")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MLFLOW_TRACKING_URI=tracking_uri, PATH=f"{python.parent}:{env.get('PATH', '')}")
    loaded = subprocess.run(
        [str(python), "-c", LOAD_AND_PREDICT, "models:/deployable@candidate"],
        env=env, capture_output=True, text=True, timeout=300, check=False, cwd=venv_folder,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    predicted = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert predicted and set(predicted) <= set(frame["target"])
    proc, port = _serve(python, model_dir, env)
    try:
        body = (model_dir / "serving_input_example.json").read_bytes()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 200
            served = json.loads(answer.read())["predictions"]
        assert len(served) == len(predicted) and set(map(str, served)) <= set(frame["target"])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_own_pipeline_runs_resumes_registers_and_loads_without_its_module(
    tmp_path: Path, venv_folder: Path
) -> None:
    """examples/custom_pipeline: `pipeline: wine_features:make_preprocessor`, imported from
    the sweep file's folder (not the working directory), in the driver and every trial
    actor; resumed with more trials; the registered model ships wine_features.py and loads
    in a fresh virtualenv where neither hpsearch nor wine_features is importable."""
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    common = ["--storage", str(tmp_path / "sweeps"), "--tracking-uri", uri, "--no-progress"]
    first = hpsearch(work, "run", str(example / "sweep.yaml"), "--trials", "6", *common)
    assert first.returncode == 0, first.stdout + first.stderr
    root = sweep_dir(tmp_path / "sweeps")
    more = hpsearch(work, "resume", str(root), "--trials", "10", "--no-progress")
    assert more.returncode == 0, more.stdout + more.stderr
    records = [json.loads(line) for line in (root / "trials.jsonl").read_text().splitlines()]
    assert len(records) == 10
    assert {r["family"] for r in records} == {"logistic_features", "random_forest"}
    assert not [r for r in records if r["status"] == "failed"]
    tuned = [r["config"] for r in records if r["family"] == "logistic_features"]
    assert tuned and all("preprocess__clip__quantile" in str(c) for c in tuned)
    assert "models:/wine-own-pipeline@candidate" in more.stdout
    mlflow.set_tracking_uri(uri)
    model_dir = Path(mlflow.artifacts.download_artifacts("models:/wine-own-pipeline@candidate"))
    assert (model_dir / "code" / "wine_features.py").is_file()
    python = _fresh_venv(venv_folder, model_dir / "requirements.txt")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MLFLOW_TRACKING_URI=uri, PATH=f"{python.parent}:{env.get('PATH', '')}")
    check = "import importlib.util as u, sys; sys.exit(u.find_spec('wine_features') is not None)"
    assert subprocess.run([str(python), "-c", check], cwd=venv_folder, check=False).returncode == 0
    loaded = subprocess.run(
        [str(python), "-c", LOAD_AND_PREDICT, "models:/wine-own-pipeline@candidate"],
        env=env, capture_output=True, text=True, timeout=300, check=False, cwd=venv_folder,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    predicted = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert predicted and set(predicted) <= {"0", "1", "2"}
