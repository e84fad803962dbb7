"""`hpsearch init DATA --target COL`: a sweep file inferred from a messy table, that
`hpsearch check` passes as written; bad input is exit 2 and writes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from factories import mixed_classification_frame, regression_frame
from hpsearch.cli import app


def _messy(path: Path, rows: int = 300) -> Path:
    """Categoricals, missing values, duplicate rows, a free-text column and a row id."""
    frame = mixed_classification_frame(n_rows=rows, seed=4)
    frame = pd.concat([frame, frame.head(20)], ignore_index=True)  # duplicate rows
    rng = np.random.default_rng(0)
    words = ["late", "fee", "card", "loan", "payment", "branch", "online", "fraud"]
    frame["note"] = [" ".join(rng.choice(words, size=5)) + f" #{i}" for i in range(len(frame))]
    frame.insert(0, "customer_id", np.arange(10_000, 10_000 + len(frame)))
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def test_init_writes_a_commented_file_that_check_passes(tmp_path: Path) -> None:
    data = _messy(tmp_path / "data" / "customers.csv")
    out = tmp_path / "sweep.yaml"
    made = CliRunner().invoke(app, ["init", str(data), "--target", "target", "--output", str(out)])
    assert made.exit_code == 0, made.output
    text = out.read_text()
    raw = yaml.safe_load(text)
    assert raw["task"] == "classification" and raw["metrics"]["primary"] == "roc_auc"
    assert raw["data"] == {
        "source": "data/customers.csv", "target": "target", "id_column": "customer_id",
        "drop_columns": [],
    }  # fmt: skip
    assert raw["search"]["spaces"] == ["logistic_regression", "random_forest",
                                       "hist_gradient_boosting"]  # fmt: skip
    assert "# the target holds 3 distinct labels" in text  # the reason beside the guess
    checked = CliRunner().invoke(app, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "Preflight passed." in checked.output


def test_regression_and_a_large_table_with_categoricals(tmp_path: Path) -> None:
    small = tmp_path / "prices.csv"
    regression_frame(n_rows=200).to_csv(small, index=False)
    out = tmp_path / "r.yaml"
    assert CliRunner().invoke(
        app, ["init", str(small), "--target", "target", "--output", str(out)]
    ).exit_code == 0  # fmt: skip
    raw = yaml.safe_load(out.read_text())
    assert raw["task"] == "regression" and raw["metrics"]["primary"] == "r2"
    assert "ridge" in raw["search"]["spaces"]
    large = _messy(tmp_path / "large.csv", rows=2500)
    out2 = tmp_path / "l.yaml"
    assert CliRunner().invoke(
        app, ["init", str(large), "--target", "target", "--output", str(out2)]
    ).exit_code == 0  # fmt: skip
    spaces = yaml.safe_load(out2.read_text())["search"]["spaces"]
    assert spaces[0] == "catboost" and "lightgbm" in spaces


def test_bad_target_or_an_existing_file_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    data = _messy(tmp_path / "customers.csv")
    out = tmp_path / "sweep.yaml"
    wrong = CliRunner().invoke(app, ["init", str(data), "--target", "targte", "--output", str(out)])
    assert wrong.exit_code == 2 and "Did you mean 'target'?" in wrong.output
    assert not out.exists()
    out.write_text("name: mine\n")
    kept = CliRunner().invoke(app, ["init", str(data), "--target", "target", "--output", str(out)])
    assert kept.exit_code == 2 and "--force" in kept.output
    assert out.read_text() == "name: mine\n"
    forced = CliRunner().invoke(
        app, ["init", str(data), "--target", "target", "--output", str(out), "--force"]
    )
    assert forced.exit_code == 0 and "name: customers" in out.read_text()
