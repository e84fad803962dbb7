"""cli/board.py: the leaderboard stays readable at 80, 100 and 140 columns (issue 16)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from rich.console import Console

from hpsearch.cli.board import leaderboard_table

FAMILIES = ("hist_gradient_boosting", "logistic_regression", "random_forest")


def _board() -> pd.DataFrame:
    rows = []
    for i in range(6):
        rows.append({
            "rank": i + 1 if i < 5 else None, "trial": i, "trial_id": f"{i:08x}",
            "family": FAMILIES[i % 3], "status": "completed" if i < 5 else "pruned",
            "cv_balanced_accuracy_mean": 0.99 - i / 1000 if i < 5 else None,
            "cv_balanced_accuracy_std": 0.0123 if i < 5 else None, "folds": 5,
            "fit_time_s": 1.5,
            "params": json.dumps({"model__learning_rate": 0.0123456, "model__max_depth": 7,
                                  "model__l2_regularization": 0.5, "model__max_bins": 255}),
            "error": "",
        })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("width", [80, 100, 140])
def test_scores_and_families_stay_whole(width: int) -> None:
    console = Console(width=width, record=True, color_system=None)
    console.print(leaderboard_table(_board(), top=10, width=width))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "top 6 of 6, CV balanced_accuracy" in " ".join(text.split())
    for i in range(5):
        assert f"{0.99 - i / 1000:.4f}" in text  # every mean whole
    assert text.count("0.0123 ") + text.count("0.0123│") >= 5  # every std whole
    for family in FAMILIES:
        assert family in text  # never "hist_gra…"
    assert "…" not in text and "1.0000 │" not in text  # ranks are whole numbers
    assert ("status" in text) == (width >= 100)
    assert ("00000003" in text) == (width >= 130)  # the trial id, as MLflow and the card say
    assert text.count("max_bins=255") == 6  # params wrap, never cut (the last one is there)
