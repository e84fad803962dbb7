"""`hpsearch run` end to end: real local Ray, real MLflow SQLite store in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import all_runs, child_runs, sweep
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from factories import mixed_classification_frame, regression_frame
from hpsearch.config import load_sweep
from hpsearch.config.metrics import metrics_for
from hpsearch.prepare.fingerprint import fingerprint
from hpsearch.prepare.split import prepare_data
from hpsearch.store.files import current_umask

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]


def test_small_sweep_logs_parent_children_and_registers(tmp_path: Path, tracking_uri: str) -> None:
    trials = 6
    result = sweep(
        tmp_path,
        tracking_uri,
        name="bc",
        cv={"folds": 3},
        search={"spaces": ["logistic_regression", "random_forest"], "trials": trials},
        thresholds={"accuracy": 0.8, "roc_auc": 0.85},
        tracking={"experiment": "bc-exp", "registered_model": "bc-model"},
    )
    assert result.exit_code == 0, result.message
    client = MlflowClient(tracking_uri=tracking_uri)
    runs = all_runs(client, result)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = child_runs(client, result)
    assert [p.info.run_id for p in parents] == [result.parent_run_id]
    # the parent run is opened while the first trials run; sweep.json has its id
    state = json.loads((result.paths.root / "sweep.json").read_text())
    assert state["parent_run_id"] == result.parent_run_id
    assert len(children) == trials
    trial_ids = {c.data.tags["hpsearch.trial_id"] for c in children}
    assert len(trial_ids) == trials
    for child in children:
        tags, metrics = child.data.tags, child.data.metrics
        assert tags["hpsearch.family"] in {"logistic_regression", "random_forest"}
        assert tags["hpsearch.node_id"]
        assert tags["hpsearch.status"] in {"completed", "pruned"}
        assert child.info.status == "FINISHED"
        assert child.data.params["family"] == tags["hpsearch.family"]
        if tags["hpsearch.status"] == "completed":
            for name in metrics_for("classification"):
                assert f"cv_{name}_mean" in metrics and f"cv_{name}_std" in metrics
            history = client.get_metric_history(child.info.run_id, "fold_roc_auc")
            assert sorted(m.step for m in history) == [0, 1, 2]
            assert "fit_time_s" in metrics and "gap_roc_auc" in metrics
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    for name in metrics_for("classification"):
        assert f"holdout_{name}" in parent.data.metrics
    assert parent.data.metrics["holdout_roc_auc"] > parent.data.metrics["baseline_roc_auc"]
    assert parent.data.params["trials"] == str(trials)
    assert parent.data.tags["hpsearch.fingerprint.development"]
    artifacts = {a.path for a in client.list_artifacts(result.parent_run_id, "lineage")}
    assert {"lineage/config.yaml", "lineage/leakage_report.json"} <= artifacts
    version = client.get_model_version_by_alias("bc-model", "candidate")
    assert result.selection is not None
    assert str(version.version) == result.selection.model_version
    root = result.paths.root
    for name in ("model_card.md", "leaderboard.csv", "sweep.json", "config.yaml"):
        assert (root / name).is_file(), name
    for plot in ("history.png", "families.png", "confusion_matrix.png"):
        assert (root / "plots" / plot).stat().st_size > 1000
    card = (root / "model_card.md").read_text()
    assert "Verdict: PASSED" in card and "bc-model" in card
    # the card is on the registered version (its page in the registry) and with the model
    assert card.startswith(version.description.split("\n\n(cut here")[0])
    assert len(version.description) <= 5000
    assert version.description.startswith("# Model card: ")
    model_id = result.selection.model_uri.removeprefix("models:/")
    shipped = {a.path for a in client.list_logged_model_artifacts(model_id)}
    assert "model_card.md" in shipped
    assert "95% interval" in card and "### Fitted preprocessing" in card
    # config.yaml is fully resolved: the defaults the sweep ran with are written out
    frozen = yaml.safe_load((root / "config.yaml").read_text())
    assert frozen["tracking"] == {
        "uri": tracking_uri, "experiment": "bc-exp", "registered_model": "bc-model"
    }  # fmt: skip
    assert frozen["metrics"]["primary"] == "roc_auc"
    assert "the number used is sweep.json's concurrency" in (root / "config.yaml").read_text()
    state = json.loads((root / "sweep.json").read_text())
    assert state["status"] == "completed" and state["trials_finished"] == trials
    # issue 16 item 7: every file honours the umask (no 0600 from the atomic writes)
    expected = 0o666 & ~current_umask()
    modes = {str(p.relative_to(root)): p.stat().st_mode & 0o777 for p in root.rglob("*")
             if p.is_file()}  # fmt: skip
    assert {"sweep.json", "holdout_ids.json", "leakage_report.json"} <= set(modes)
    assert {name: oct(m) for name, m in modes.items() if m != expected} == {}


def test_no_trial_sees_a_holdout_row(tmp_path: Path, tracking_uri: str) -> None:
    frame = mixed_classification_frame(n_rows=300, n_classes=2, seed=3)
    frame.insert(0, "row_id", [f"r{i}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = sweep(
        tmp_path,
        tracking_uri,
        data={"source": "data.csv", "id_column": "row_id"},
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": 4},
        thresholds={},
    )
    assert result.search is not None
    split = prepare_data(load_sweep(tmp_path / "sweep.yaml"))
    dev, hold = split.development, split.holdout
    assert not set(dev.row_ids) & set(hold.row_ids)
    assert len(dev.row_ids) + len(hold.row_ids) == len(frame)
    all_rows = pd.concat([dev.X, hold.X])
    whole = fingerprint(all_rows, pd.concat([dev.y, hold.y]))
    for record in result.search.records:
        assert record.data_fingerprint == dev.fingerprint != whole
    state = json.loads((result.paths.root / "sweep.json").read_text())
    assert state["fingerprints"]["development"] == dev.fingerprint
    saved = json.loads((result.paths.root / "holdout_ids.json").read_text())["row_ids"]
    assert sorted(saved) == sorted(hold.row_ids)


def test_impossible_thresholds_exit_4_without_alias(tmp_path: Path, tracking_uri: str) -> None:
    result = sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": 3},
        thresholds={"accuracy": 1.01},
        tracking={"registered_model": "never"},
    )
    assert result.exit_code == 4
    assert result.status == "failed_validation"
    assert result.selection is not None and not result.selection.verdict.passed
    assert any("accuracy" in f for f in result.selection.verdict.failures)
    client = MlflowClient(tracking_uri=tracking_uri)
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("never", "candidate")
    card = (result.paths.root / "model_card.md").read_text()
    assert "Verdict: FAILED" in card and "Not registered" in card


def test_failing_configs_are_failed_child_runs(tmp_path: Path, tracking_uri: str) -> None:
    space = tmp_path / "fragile_knn.yaml"
    space.write_text(
        "family: fragile_knn\n"
        "task: classification\n"
        "estimator: sklearn.neighbors.KNeighborsClassifier\n"
        "params:\n"
        "  model__n_neighbors: {type: int, low: 5, high: 600}\n"
    )
    result = sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 3},
        search={
            "spaces": ["fragile_knn.yaml", "logistic_regression"],
            "trials": 10,
            "max_failure_fraction": 1.0,
            "early_stopping": False,
        },
        thresholds={},
    )
    assert result.search is not None and len(result.search.records) == 10
    failed = [r for r in result.search.records if r.status == "failed"]
    assert failed, "n_neighbors above the training-fold size must fail some trials"
    assert all(r.params["model__n_neighbors"] > 200 for r in failed)
    client = MlflowClient(tracking_uri=tracking_uri)
    by_trial = {c.data.tags["hpsearch.trial_id"]: c for c in child_runs(client, result)}
    for record in failed:
        run = by_trial[record.trial_id]
        assert run.info.status == "FAILED"
        assert (
            "n_neighbors" in run.data.tags["hpsearch.error"]
            or "Expected" in run.data.tags["hpsearch.error"]
        )
        assert "Traceback" in run.data.tags["hpsearch.traceback"]
    assert result.exit_code in (0, 4)
    assert result.selection is not None and result.selection.verdict.best.status == "completed"


def test_multiclass_strings_and_missing_values(tmp_path: Path, tracking_uri: str) -> None:
    mixed_classification_frame(n_rows=360, n_classes=3, seed=5).to_csv(
        tmp_path / "multi.csv", index=False
    )
    result = sweep(
        tmp_path,
        tracking_uri,
        data={"source": "multi.csv"},
        cv={"folds": 3},
        search={"spaces": ["logistic_regression", "hist_gradient_boosting"], "trials": 4},
        thresholds={"accuracy": 0.4},
    )
    assert result.exit_code == 0, result.message
    assert result.selection is not None
    assert (
        result.selection.verdict.holdout["accuracy"] > result.selection.verdict.baseline["accuracy"]
    )


def test_regression_parquet(tmp_path: Path, tracking_uri: str) -> None:
    regression_frame(n_rows=300, seed=2, missing=0.03).to_parquet(tmp_path / "reg.parquet")
    result = sweep(
        tmp_path,
        tracking_uri,
        task="regression",
        data={"source": "reg.parquet"},
        cv={"folds": 3},
        metrics={"primary": "rmse"},
        search={"spaces": ["ridge", "random_forest"], "trials": 4},
        thresholds={"r2": 0.5},
    )
    assert result.exit_code == 0, result.message
    assert result.selection is not None
    verdict = result.selection.verdict
    assert verdict.holdout["rmse"] < verdict.baseline["rmse"]
    assert (result.paths.root / "plots" / "residuals.png").is_file()


def test_refit_all_registers_a_model_fitted_on_every_row(tmp_path: Path, tracking_uri: str) -> None:
    import mlflow

    result = sweep(
        tmp_path,
        tracking_uri,
        cv={"folds": 3},
        search={"spaces": ["logistic_regression"], "trials": 3},
        thresholds={"accuracy": 0.8},
        selection={"refit": "all"},
        tracking={"registered_model": "every-row"},
    )
    assert result.exit_code == 0, result.message
    mlflow.set_tracking_uri(tracking_uri)
    model = mlflow.sklearn.load_model("models:/every-row@candidate")
    scaler = model.named_steps["preprocess"].named_transformers_["num"].named_steps["scale"]
    assert scaler.n_samples_seen_ == 569  # every row of breast_cancer: development + hold-out
    card = (result.paths.root / "model_card.md").read_text()
    assert "Fitted on: every row (455 development + 114 hold-out" in card
    client = MlflowClient(tracking_uri=tracking_uri)
    assert client.get_run(result.parent_run_id).data.tags["hpsearch.refit_rows"] == "all"
