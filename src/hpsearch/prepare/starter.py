"""``hpsearch init DATA --target COL``: a commented sweep file inferred from the data.

The task comes from the target (text, booleans or at most ``MAX_CLASSES`` distinct integer
values: classification; other numbers: regression), the metric from the task and the
class balance, the families from the table's size and its categorical columns, and an id
column from a column of unique, id-like values. Every guess is said in a comment next to
the value, so the file explains itself; ``hpsearch check`` passes on it as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpsearch.config.schema import PreprocessingConfig
from hpsearch.config.suggestions import did_you_mean
from hpsearch.errors import BadInputError
from hpsearch.prepare.load import listed, load_frame
from hpsearch.prepare.profile import profile_columns
from hpsearch.prepare.quality import id_like_columns

MAX_CLASSES = 20  # more distinct integer values than this: a quantity, not a class
SMALL_TABLE = 2_000  # rows: below, the boosting libraries rarely beat the simpler families
IMBALANCED = 0.2  # minority-class share below which balanced accuracy is reported too
_COMMENT_AT = 34  # the column comments start at


@dataclass(frozen=True)
class Starter:
    """What was inferred and why (each ``why`` becomes a comment), and the file's text."""

    task: str
    primary: str
    families: tuple[str, ...]
    id_column: str | None
    text: str


def _task(target: pd.Series) -> tuple[str, str]:
    values = target.dropna()
    distinct = values.nunique()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification", f"the target holds {distinct} distinct labels"
    integral = bool((values == values.round()).all())
    if integral and distinct <= MAX_CLASSES:
        return "classification", f"the target holds {distinct} distinct whole numbers"
    return "regression", f"the target is numeric with {distinct} distinct values"


def _metric(task: str, target: pd.Series) -> tuple[str, list[str], str]:
    if task == "regression":
        return "r2", ["rmse", "mae"], "R² on held-out folds; RMSE and MAE in the target's units"
    shares = target.value_counts(normalize=True)
    minority = float(shares.min())
    why = (
        f"{len(shares)} classes, the rarest {minority:.0%} of the rows: ROC AUC ranks well "
        "whatever the balance"
    )
    report = ["accuracy", "f1"] + (["balanced_accuracy"] if minority < IMBALANCED else [])
    return "roc_auc", report, why


def _families(task: str, *, rows: int, categorical: int) -> tuple[tuple[str, ...], str]:
    linear = "logistic_regression" if task == "classification" else "ridge"
    if rows < SMALL_TABLE:
        return (
            (linear, "random_forest", "hist_gradient_boosting"),
            f"{rows} rows: a linear model, a forest and one boosting family",
        )
    boosting = ["lightgbm", "xgboost", "hist_gradient_boosting"]
    if categorical:
        boosting.insert(0, "catboost")
    return (
        (*boosting, "random_forest", linear),
        f"{rows} rows"
        + (f", {categorical} categorical column(s): catboost first" if categorical else ""),
    )


def _commented(body: list[tuple[str, str]]) -> list[str]:
    """Each line with its reason at ``_COMMENT_AT``, or above it when the value is long."""
    lines = []
    for code, note in body:
        if not note:
            lines.append(code)
        elif len(code) <= _COMMENT_AT - 2:
            lines.append(f"{code:<{_COMMENT_AT}}# {note}")
        else:
            indent = code[: len(code) - len(code.lstrip())]
            lines += [f"{indent}# {note}", code]
    return lines


def _relative(data: Path, output: Path) -> str:
    try:
        return str(data.resolve().relative_to(output.resolve().parent))
    except ValueError:
        return str(data.resolve())


def starter_sweep(*, data: Path, target: str, output: Path, name: str | None = None) -> Starter:
    """The sweep file for ``data`` with ``target``, written as if saved at ``output``."""
    frame = load_frame(str(data))
    if target not in frame.columns:
        raise BadInputError(
            f"--target {target!r} is not a column of {data}.{did_you_mean(target, frame.columns)}"
            f" Columns: {listed(frame.columns)}. Fix: pass one of them as --target."
        )
    y, X = frame[target], frame.drop(columns=[target])
    if y.isna().all() or y.nunique() < 2:
        raise BadInputError(
            f"--target {target!r} has {y.nunique()} distinct value(s); a model needs at least "
            "two. Fix: choose the column to predict."
        )
    task, task_why = _task(y)
    primary, report, metric_why = _metric(task, y)
    profiles = profile_columns(X, PreprocessingConfig())
    categorical = sum(p.kind in ("categorical", "high_cardinality") for p in profiles)
    families, families_why = _families(task, rows=len(frame), categorical=categorical)
    ids = [c for c in id_like_columns(X) if X[c].is_unique]
    id_column = ids[0] if ids else None
    stem = name or "".join(c if c.isalnum() or c in "_-." else "-" for c in data.stem)
    example = "roc_auc: 0.75" if task == "classification" else "r2: 0.5"
    id_note = (
        "unique id-like values: checked across splits, not a feature"
        if id_column
        else "a row id column, if the table has one"
    )
    body: list[tuple[str, str]] = [
        (f"name: {stem}", ""),
        ("seed: 42", "folds, hold-out split, sampler and models"),
        (f"task: {task}", task_why),
        ("data:", ""),
        (f"  source: {_relative(data, output)}", "relative to this file"),
        (f"  target: {target}", ""),
        (f"  id_column: {id_column or 'null'}", id_note),
        ("  drop_columns: []", "columns that must not be features"),
        ("holdout: {fraction: 0.2}", "rows the search never sees, read once at the end"),
        ("cv: {folds: 5}", ""),
        ("metrics:", ""),
        (f"  primary: {primary}", metric_why),
        (f"  report: [{', '.join(report)}]", ""),
        ("search:", ""),
        (f"  spaces: [{', '.join(families)}]", families_why),
        ("  trials: 60", ""),
        ("  time_budget_s: null", "or seconds: stop starting trials after that"),
        ("thresholds: {}", f"hold-out gate, e.g. {{{example}}}; the dummy must be beaten anyway"),
    ]
    lines = [
        f"# Sweep file for {data.name}, written by `hpsearch init`. Every value below is a",
        "# guess from the data, with the reason next to it: change what you know better,",
        "# then `hpsearch check` this file and `hpsearch run` it. Reference: README.",
        *_commented(body),
    ]
    return Starter(task, primary, families, id_column, "\n".join(lines) + "\n")
