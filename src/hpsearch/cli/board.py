"""The leaderboard as the terminal shows it: scores and family names whole from 80 columns.

The CV mean and std of the primary metric, the family and the rank never wrap or shrink
(``no_wrap``); ``params`` takes what is left and wraps. Below 100 columns the status and
fit-time columns are left out (the rank says whether a trial was selectable: ``-`` if not).
"""

from __future__ import annotations

import json

import pandas as pd
from rich.table import Table

WIDE = 100
WIDEST = 130  # and the trial id


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.4f}"
    return str(value)


def _whole(value: object) -> str:
    """A rank or trial number (pandas holds the column as floats when a rank is missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


def short_params(params: object) -> str:
    """``{"model__C": 0.1}`` -> ``C=0.1``."""
    try:
        decoded = json.loads(str(params))
    except json.JSONDecodeError:
        return str(params)
    return ", ".join(
        f"{k.removeprefix('model__')}={fmt(v) if isinstance(v, float) else v}"
        for k, v in decoded.items()
    )


def leaderboard_table(board: pd.DataFrame, *, top: int, width: int) -> Table:
    """The ``top`` rows of ``board`` for a console ``width`` columns wide."""
    means = [c for c in board.columns if c.startswith("cv_") and c.endswith("_mean")]
    metric = means[0].removeprefix("cv_").removesuffix("_mean") if means else "score"
    shown = min(top, len(board))
    table = Table(title=f"Leaderboard (top {shown} of {len(board)}, CV {metric})")
    columns: list[tuple[str, str]] = [("rank", "rank"), ("trial", "trial"), ("family", "family")]
    if width >= WIDE:
        columns.append(("status", "status"))
    if width >= WIDEST:  # the id MLflow tags and the card names, next to the number
        columns.insert(2, ("trial_id", "id"))
    columns += [(f"cv_{metric}_mean", "mean"), (f"cv_{metric}_std", "std")]
    if width >= WIDE:
        columns.append(("fit_time_s", "fit s"))
    for _, header in columns:
        table.add_column(header, no_wrap=True, justify="right" if header != "family" else "left")
    table.add_column("params", overflow="fold", ratio=1, min_width=12)
    for _, row in board.head(top).iterrows():
        cells = [_whole(row.get(key)) if key in ("rank", "trial") else fmt(row.get(key))
                 for key, _ in columns]  # fmt: skip
        table.add_row(*cells, short_params(row.get("params", "")))
    return table
