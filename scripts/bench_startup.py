"""hpsearch's start-up, measured in parts and end to end (issue 15 item 1).

End to end: ``hpsearch run`` of a 2-fold logistic sweep on the bundled iris table with a
new MLflow store each time, from the launch of the process to the first trial's start (the
earliest ``started`` in trials.jsonl, the worker's clock), median of ``--repeats``. The
floor, each part alone in a new process: the interpreter; each heavy import on its own
(what ``-X importtime`` charges to it); a local Ray start; the first actor after Ray is up,
in a new worker and in one a task already warmed. Writes its section of docs/benchmarks.md
(between the startup markers).

    .venv/bin/python scripts/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdoc import write_section  # scripts/ is on sys.path

START, END = "<!-- startup:start -->", "<!-- startup:end -->"
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
IMPORTS = (
    "numpy", "pandas", "sklearn.pipeline", "scipy.stats", "pydantic", "yaml", "rich",
    "typer", "optuna", "mlflow", "ray", "ray.tune", "matplotlib.pyplot", "skops.io",
    "hpsearch.cli", "hpsearch.sweep",
)  # fmt: skip
SWEEP = """name: startup
task: classification
data: {source: "sklearn:iris"}
cv: {folds: 2}
search: {spaces: [logistic_regression], trials: 4, early_stopping: false}
thresholds: {accuracy: 0.5}
"""
ACTOR = """
import time, ray
ray.init(include_dashboard=False, log_to_driver=False)
@ray.remote
def warm():
    import sklearn.linear_model, pandas, hpsearch.evaluation.trial  # noqa
    return 1
@ray.remote
class A:
    def __init__(self):
        import sklearn.linear_model, pandas, hpsearch.evaluation.trial  # noqa
    def ping(self):
        return 1
if "{mode}" == "warm":
    ray.get([warm.remote() for _ in range(2)])
t = time.time()
ray.get(A.remote().ping.remote())
print(time.time() - t)
"""


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


def end_to_end(repeats: int) -> list[float]:
    """Launch to the first trial's start, each run in a new folder with a new store."""
    out = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            where = Path(folder)
            (where / "sweep.yaml").write_text(SWEEP)
            launched = time.time()
            done = subprocess.run(
                [sys.executable, "-m", "hpsearch.cli", "run", "sweep.yaml", "--no-progress"],
                cwd=where, env=ENV, capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
            trials = next((where / "sweeps").iterdir()) / "trials.jsonl"
            first = min(json.loads(line)["started"] for line in trials.read_text().splitlines())
            out.append(first - launched)
    return out


def section(*, costs: dict[str, float], ray_s: float, actor: dict[str, float],
            runs: list[float]) -> str:  # fmt: skip
    lines = [
        START,
        "## Start-up (issue 15)",
        "",
        f"`.venv/bin/python scripts/bench_startup.py --repeats {len(runs)}`; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        f"**Launch to the first trial's start: median {statistics.median(runs):.1f} s** "
        f"(runs: {', '.join(f'{r:.1f}' for r in runs)}; `hpsearch run`, iris, a new MLflow "
        "store each time). Target: at most 6 s.",
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
        f"| first actor, a worker a task already warmed | {actor['warm']:.2f} |",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    _python("import hpsearch.sweep")  # warm the file cache
    costs = import_costs()
    ray_s = statistics.median(
        _printed(
            "import time, ray; t = time.time(); "
            "ray.init(include_dashboard=False, log_to_driver=False); print(time.time() - t)"
        )
        for _ in range(2)
    )
    actor = {mode: _printed(ACTOR.replace("{mode}", mode)) for mode in ("cold", "warm")}
    runs = end_to_end(args.repeats)
    text = section(costs=costs, ray_s=ray_s, actor=actor, runs=runs)
    write_section(text, start=START, end=END)
    print(text)


if __name__ == "__main__":
    main()
