"""leaderboard.py: completed trials ranked by the primary CV mean, the rest after them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hpsearch.report.leaderboard import best_per_family, leaderboard
from hpsearch.status import TrialStatus
from hpsearch.store.records import TrialRecord

PRIMARY = "roc_auc"
KEY = f"cv_{PRIMARY}_mean"


def _record(
    number: int, status: str, mean: float | None, family: str = "lr", error: str = ""
) -> TrialRecord:
    metrics = {} if mean is None else {KEY: mean, f"cv_{PRIMARY}_std": 0.01, "fit_time_s": 0.5}
    return TrialRecord(
        trial_id=f"trial_{number:03d}",
        number=number,
        family=family,
        params={"model__C": number, "model__penalty": "l2"},
        config={},
        status=status,
        objective=mean if status != TrialStatus.FAILED else None,
        metrics=metrics,
        fold_scores={},
        folds_completed=5 if status == TrialStatus.COMPLETED else 2,
        node_id="n",
        started=0.0,
        ended=1.0,
        error=error,
    )


RECORDS = [
    _record(0, TrialStatus.COMPLETED, 0.80, "lr"),
    _record(1, TrialStatus.PRUNED, 0.99, "rf"),  # higher mean, but pruned: no rank
    _record(2, TrialStatus.COMPLETED, 0.90, "rf"),
    _record(3, TrialStatus.FAILED, None, "lr", error="ValueError: boom"),
    _record(4, TrialStatus.COMPLETED, 0.70, "rf"),
    _record(5, TrialStatus.COMPLETED, 0.85, "lr"),
    _record(6, TrialStatus.PRUNED, 0.10, "lr"),
]


def _ranks(board: pd.DataFrame) -> list[int | None]:
    return [None if pd.isna(r) else int(r) for r in board["rank"]]


def test_max_mode_orders_completed_by_mean_then_the_rest() -> None:
    board = leaderboard(RECORDS, primary=PRIMARY, mode="max")

    assert list(board["trial"]) == [2, 5, 0, 4, 1, 3, 6]
    assert _ranks(board) == [1, 2, 3, 4, None, None, None]
    assert list(board["status"][:4]) == [TrialStatus.COMPLETED] * 4
    assert set(board["status"][4:]) == {TrialStatus.PRUNED, TrialStatus.FAILED}
    # pruned and failed rows show no CV mean, even when the trial reported one
    assert board[KEY][:4].tolist() == [0.90, 0.85, 0.80, 0.70]
    assert board[KEY][4:].isna().all()
    assert board[f"cv_{PRIMARY}_std"][4:].isna().all()


def test_min_mode_orders_ascending() -> None:
    board = leaderboard(RECORDS, primary=PRIMARY, mode="min")
    assert list(board["trial"]) == [4, 0, 5, 2, 1, 3, 6]
    assert _ranks(board) == [1, 2, 3, 4, None, None, None]


def test_ties_keep_trial_order() -> None:
    records = [
        _record(3, TrialStatus.COMPLETED, 0.8),
        _record(1, TrialStatus.COMPLETED, 0.8),
        _record(2, TrialStatus.COMPLETED, 0.9),
    ]
    board = leaderboard(records, primary=PRIMARY, mode="max")
    assert list(board["trial"]) == [2, 1, 3]
    assert _ranks(board) == [1, 2, 3]


def test_row_contents() -> None:
    board = leaderboard(RECORDS, primary=PRIMARY, mode="max")
    failed = board[board["trial"] == 3].iloc[0]
    assert failed["error"] == "ValueError: boom"
    assert failed["family"] == "lr" and failed["trial_id"] == "trial_003"
    assert failed["folds"] == 2
    best = board.iloc[0]
    assert json.loads(best["params"]) == {"model__C": 2, "model__penalty": "l2"}
    assert best["fit_time_s"] == 0.5 and best["folds"] == 5
    assert list(board.index) == list(range(len(RECORDS)))


def test_nothing_completed_has_no_ranks() -> None:
    board = leaderboard(
        [_record(0, TrialStatus.PRUNED, 0.5), _record(1, TrialStatus.FAILED, None)],
        primary=PRIMARY,
        mode="max",
    )
    assert list(board["trial"]) == [0, 1]
    assert _ranks(board) == [None, None]
    assert best_per_family(board, primary=PRIMARY).empty


def test_empty_leaderboard() -> None:
    board = leaderboard([], primary=PRIMARY, mode="max")
    assert board.empty
    assert best_per_family(board, primary=PRIMARY).empty


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("max", {"rf": 2, "lr": 5}), ("min", {"rf": 4, "lr": 0})],
)
def test_best_per_family_picks_one_per_family(mode: str, expected: dict[str, int]) -> None:
    board = leaderboard(RECORDS, primary=PRIMARY, mode=mode)
    best = best_per_family(board, primary=PRIMARY)

    assert len(best) == 2
    assert dict(zip(best["family"], best["trial"], strict=True)) == expected
    assert (best["status"] == TrialStatus.COMPLETED).all()
    # best first overall: the family order follows the board
    assert best["trial"].iloc[0] == board["trial"].iloc[0]


def test_best_per_family_ignores_families_without_completed_trials() -> None:
    records = [
        *RECORDS,
        _record(7, TrialStatus.PRUNED, 0.99, "svm"),
        _record(8, TrialStatus.FAILED, None, "knn"),
    ]
    best = best_per_family(leaderboard(records, primary=PRIMARY, mode="max"), primary=PRIMARY)
    assert set(best["family"]) == {"rf", "lr"}


def test_printed_commands_work_as_printed(tmp_path: Path) -> None:
    import sys

    from hpsearch.store.commands import mlflow_ui_command, resume_command, tool

    venv_bin = Path(sys.executable).parent
    assert tool("mlflow") == str(venv_bin / "mlflow")  # the script beside this interpreter
    assert tool("no-such-tool") == f"{sys.executable} -m no-such-tool"  # else python -m
    assert (
        mlflow_ui_command("sqlite:////x/m.db")
        == f"{venv_bin / 'mlflow'} ui --backend-store-uri sqlite:////x/m.db"
    )
    assert resume_command(tmp_path) == f"{venv_bin / 'hpsearch'} resume {tmp_path}"
