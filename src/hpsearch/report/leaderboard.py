"""The leaderboard: every trial as one row, best first."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord


def leaderboard(records: Sequence[TrialRecord], *, primary: str, mode: str) -> pd.DataFrame:
    """All trials; selectable ones first, ranked by the primary CV mean."""
    rows = []
    for r in records:
        rows.append(
            {
                "rank": None,
                "trial": r.number,
                "trial_id": r.trial_id,
                "family": r.family,
                "status": str(r.status),
                f"cv_{primary}_mean": r.metrics.get(f"cv_{primary}_mean") if r.selectable else None,
                f"cv_{primary}_std": r.metrics.get(f"cv_{primary}_std") if r.selectable else None,
                "folds": r.folds_completed,
                "fit_time_s": r.metrics.get("fit_time_s"),
                "params": json.dumps(r.params, sort_keys=True, default=str),
                "error": r.error,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    key = f"cv_{primary}_mean"
    frame["_selectable"] = frame["status"] == TrialStatus.COMPLETED
    frame = frame.sort_values(
        ["_selectable", key, "trial"],
        ascending=[False, mode == "min", True],
        na_position="last",
    ).drop(columns="_selectable")
    ranked = frame[key].notna()
    frame.loc[ranked, "rank"] = range(1, int(ranked.sum()) + 1)
    return frame.reset_index(drop=True)


def best_per_family(board: pd.DataFrame, *, primary: str) -> pd.DataFrame:
    """The best selectable trial of each family (board must be sorted best first)."""
    key = f"cv_{primary}_mean"
    if board.empty:
        return board
    ranked = board[board[key].notna()]
    return ranked.groupby("family", sort=False).head(1).reset_index(drop=True)
