"""XGBoost, LightGBM and CatBoost sweeps end to end: search, register, load back, predict."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from helpers import child_runs, sweep
from mlflow.tracking import MlflowClient

from factories import mixed_classification_frame, regression_frame
from hpsearch.store.records import TrialRecord

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("local_ray")]


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("family", ["xgboost", "lightgbm", "catboost"])
def test_family_sweep_registers_a_model_that_loads_and_predicts(
    tmp_path: Path, tracking_uri: str, family: str, task: str
) -> None:
    if task == "classification":
        frame = mixed_classification_frame(n_rows=300, n_classes=2, seed=4, missing=0.05)
        thresholds = {"accuracy": 0.6}
    else:
        frame = regression_frame(n_rows=300, seed=4, missing=0.05)
        thresholds = {"r2": 0.3}
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = sweep(
        tmp_path,
        tracking_uri,
        name=f"{family}-{task}",
        task=task,
        data={"source": "data.csv"},
        cv={"folds": 3},
        search={"spaces": [family], "trials": 3, "early_stopping": False},
        thresholds=thresholds,
        tracking={"registered_model": f"{family}-{task}"},
    )
    assert result.exit_code == 0, result.message
    assert result.search is not None and len(result.search.records) == 3
    start = {"xgboost": 100, "lightgbm": 100, "catboost": 200}[family]

    def rounds(record: TrialRecord) -> list[object]:
        return [v for k, v in record.params.items() if k.endswith("n_estimators")]

    # the family's cheap start ran, once (that it is the sampler's first suggestion is
    # tests/unit/test_boosting.py's; which of the first trials starts first is Ray's choice)
    starts = [r.number for r in result.search.records if rounds(r) == [start]]
    assert len(starts) == 1
    assert any("rounds_mean" in r.metrics for r in result.search.records)  # early stopping ran
    client = MlflowClient(tracking_uri=tracking_uri)
    children = child_runs(client, result)
    assert len(children) == 3
    logged = [c for c in children if "rounds_mean" in c.data.metrics]  # child runs log rounds
    assert logged and len(client.get_metric_history(logged[0].info.run_id, "fold_rounds")) == 3
    mlflow.set_tracking_uri(tracking_uri)
    model = mlflow.pyfunc.load_model(f"models:/{family}-{task}@candidate")
    X = frame.drop(columns="target").head(20)
    predicted = np.asarray(model.predict(X)).ravel()
    assert len(predicted) == 20
    if task == "classification":
        assert set(predicted) <= set(frame["target"])
    else:
        assert np.isfinite(predicted).all()
