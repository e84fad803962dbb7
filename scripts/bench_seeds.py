"""Issue 15's two ratios against RandomizedSearchCV over several seeds, side by side in one run.

``scripts/bench.py`` runs every case once, with seed 0. One seed is one draw: which rows
are held out, the folds, TPE's and RandomizedSearchCV's candidates and so what the
candidates cost all follow it, and the time-to-best ratio moved by about 0.1x between two
runs of the same case. This script repeats, for each case and each seed (the sweep's
``seed`` and RandomizedSearchCV's ``random_state``):

1. Equal work, early stopping off: ``hpsearch run`` timed end to end in a new process
   against ``RandomizedSearchCV(n_jobs=-1).fit`` in a warm process (as ``bench.py``), and
   the same ratio for hpsearch's search alone (its first trial's start to its last trial's
   end), which leaves out the start-up and the conclusion.
2. Defaults (early stopping on), 100 trials each: when hpsearch, from its launch, first
   reaches RandomizedSearchCV's best CV score, as a share of RandomizedSearchCV's wall time,
   and both best scores.

Writes the ``seeds`` section of docs/benchmarks.md (a row per seed and the medians) and
docs/benchmarks_seeds.json.

    .venv/bin/python scripts/bench_seeds.py [--cases monica breast_cancer] [--seeds 0 1 2 3]
    .venv/bin/python scripts/bench_seeds.py --rewrite   # the section again from the JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import (  # scripts/ is on sys.path
    CASES,
    DOCS,
    ENV,
    Case,
    development,
    load_case,
    machine,
    run_hpsearch,
    run_randomized,
    sweep_file,
)
from benchdoc import write_section

SAVED = DOCS / "benchmarks_seeds.json"


def one_seed(case: Case, *, seed: int, work: Path) -> dict[str, Any]:
    folder = work / f"{case.name}-{seed}"
    folder.mkdir()
    source = load_case(case, folder)
    equal = sweep_file(folder=folder, case=case, source=source, trials=case.equal_trials,
                       stopping=False, seed=seed)  # fmt: skip
    hp = run_hpsearch(sweep=equal, storage=folder / "equal")
    data = development(equal, case.family)
    rs = run_randomized(data, case.equal_trials, seed=seed)
    search_s = max(r.ended for r in hp.records) - min(r.started for r in hp.records)
    defaults = sweep_file(folder=folder, case=case, source=source, trials=case.best_trials,
                          stopping=True, seed=seed)  # fmt: skip
    hd = run_hpsearch(sweep=defaults, storage=folder / "defaults")
    rs100 = run_randomized(data, case.best_trials, seed=seed)
    reached = hd.time_to(rs100.best)
    row = {
        "case": case.name, "seed": seed,
        "equal": {"trials": case.equal_trials, "hpsearch_s": hp.wall_s, "search_s": search_s,
                  "rs_s": rs.wall_s, "hp_best": hp.best, "rs_best": rs.best},
        "defaults": {"trials": case.best_trials, "hpsearch_s": hd.wall_s, "rs_s": rs100.wall_s,
                     "hp_best": hd.best, "rs_best": rs100.best, "reached_s": reached},
    }  # fmt: skip
    print(f"[{time.strftime('%H:%M:%S')}] {json.dumps(row)}", flush=True)
    return row


def _ratio(value: float | None, base: float) -> float | None:
    return None if value is None else value / base


def _fmt(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.2f}x"


def _median(values: list[float | None]) -> str:
    """The median (for an even count, the mean of the two middle values), a seed that never
    reached RandomizedSearchCV's best counting as slower than every seed that did."""
    ranked = sorted(values, key=lambda v: float("inf") if v is None else v)
    low, high = ranked[(len(ranked) - 1) // 2], ranked[len(ranked) // 2]
    if low is None or high is None:
        return "not reached" if low is None else f"over {low:.2f}x"
    return _fmt((low + high) / 2)


def section(rows: list[dict[str, Any]], *, command: str, host: str) -> str:
    lines = [
        "<!-- seeds:start -->",
        "## Over several seeds (issue 15)",
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d')}; {host}. A seed sets the sweep's `seed` "
        "(hold-out rows, folds, TPE, the models' seeds) and RandomizedSearchCV's "
        "`random_state`; each row is one seed, run side by side as in `bench.py` (hpsearch "
        "end to end in a new process, RandomizedSearchCV's `fit` in a warm one). *search "
        "alone*: hpsearch's first trial's start to its last trial's end. For an even count "
        "of seeds a median is the mean of the two middle values.",
        "",
        "| case | seed | equal work: hpsearch / RS (end to end) | search alone / RS | "
        "best CV equal work: hpsearch / RS | defaults, 100 trials: hpsearch reaches RS's best at "
        "| best CV defaults: hpsearch / RS |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        e, d = r["equal"], r["defaults"]
        lines.append(
            f"| {r['case']} | {r['seed']} | {e['hpsearch_s']:.1f} s / {e['rs_s']:.1f} s = "
            f"{e['hpsearch_s'] / e['rs_s']:.2f}x | {e['search_s']:.1f} s = "
            f"{e['search_s'] / e['rs_s']:.2f}x | {e['hp_best']:.4f} / {e['rs_best']:.4f} | "
            f"{_fmt(_ratio(d['reached_s'], d['rs_s']))} | "
            f"{d['hp_best']:.4f} / {d['rs_best']:.4f} |"
        )
    for name in dict.fromkeys(r["case"] for r in rows):
        mine = [r for r in rows if r["case"] == name]
        end = [r["equal"]["hpsearch_s"] / r["equal"]["rs_s"] for r in mine]
        alone = [r["equal"]["search_s"] / r["equal"]["rs_s"] for r in mine]
        reached = [_ratio(r["defaults"]["reached_s"], r["defaults"]["rs_s"]) for r in mine]
        no_worse = sum(r["defaults"]["hp_best"] >= r["defaults"]["rs_best"] for r in mine)
        lines.append(
            f"| **{name}, median of {len(mine)}** | | **{statistics.median(end):.2f}x** | "
            f"**{statistics.median(alone):.2f}x** | | **{_median(reached)}** | "
            f"no worse in {no_worse} of {len(mine)} |"
        )
    lines += [
        "",
        "Targets: equal work at most 1.0x; time to RandomizedSearchCV's 100-trial best at most "
        "0.3x with a best CV score no worse.",
        "<!-- seeds:end -->",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="*", default=["monica", "breast_cancer"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3])
    parser.add_argument(
        "--rewrite", action="store_true",
        help="only rewrite the section from docs/benchmarks_seeds.json (no runs)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.rewrite:
        saved = json.loads(SAVED.read_text())
        write_section(section(saved["rows"], command=saved["command"], host=saved["host"]),
                      start="<!-- seeds:start -->", end="<!-- seeds:end -->")  # fmt: skip
        return
    os.environ.update(ENV)
    unknown = set(args.cases) - {c.name for c in CASES}
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; the cases are {[c.name for c in CASES]}")
    work = Path(tempfile.mkdtemp(prefix="hpsearch-seeds-"))
    rows = [
        one_seed(case, seed=seed, work=work)
        for case in CASES
        if case.name in args.cases
        for seed in args.seeds
    ]
    command = (
        "scripts/bench_seeds.py --cases "
        + " ".join(args.cases)
        + " --seeds "
        + " ".join(str(s) for s in args.seeds)
    )
    host = f"{os.cpu_count()} CPUs"
    write_section(section(rows, command=command, host=host),
                  start="<!-- seeds:start -->", end="<!-- seeds:end -->")  # fmt: skip
    saved = {"machine": machine(), "host": host, "command": command, "rows": rows}
    SAVED.write_text(json.dumps(saved, indent=2, default=str))


if __name__ == "__main__":
    main()
