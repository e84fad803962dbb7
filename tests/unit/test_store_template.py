"""A new SQLite store is a copy of an empty migrated one (after the first is made): it
opens, holds the Default experiment where MLflow would put it, and a template that is not
an empty MLflow store is left alone (MLflow creates the store)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hpsearch.tracking.store_template import template_path
from hpsearch.tracking.tracker import SweepTracker


def _default_location(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        (location,) = conn.execute(
            "SELECT artifact_location FROM experiments WHERE experiment_id = 0"
        ).fetchone()
    return str(location)


def test_new_stores_come_from_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = tmp_path / "a" / "mlflow.db"
    first.parent.mkdir()
    monkeypatch.chdir(first.parent)
    SweepTracker(tracking_uri=f"sqlite:///{first}", experiment="one").experiment_id  # noqa: B018
    template = template_path()
    assert template.is_file() and template.parent == tmp_path / "cache" / "hpsearch"
    with sqlite3.connect(template) as conn:  # kept empty: no experiment but Default
        assert conn.execute("SELECT count(*) FROM experiments").fetchone() == (1,)

    second = tmp_path / "b" / "mlflow.db"
    second.parent.mkdir()
    monkeypatch.chdir(second.parent)
    tracker = SweepTracker(tracking_uri=f"sqlite:///{second}", experiment="two")
    run_id = tracker.start_parent(run_name="r", params={"a": 1}, tags={"t": "x"})
    assert tracker.client.get_run(run_id).data.params == {"a": "1"}
    assert _default_location(second) == str(second.parent / "mlruns" / "0")  # not a's folder
    assert tracker.client.get_experiment_by_name("one") is None


def test_a_template_that_is_not_an_empty_store_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template = template_path()
    template.parent.mkdir(parents=True)
    with sqlite3.connect(template) as conn:  # a SQLite file, but not an MLflow store
        conn.execute("CREATE TABLE experiments (experiment_id INTEGER, artifact_location TEXT,"
                     " creation_time INTEGER, last_update_time INTEGER)")  # fmt: skip
    store = tmp_path / "s" / "mlflow.db"
    store.parent.mkdir()
    tracker = SweepTracker(tracking_uri=f"sqlite:///{store}", experiment="e")
    assert tracker.client.get_experiment_by_name("e") is None
    assert tracker.experiment_id
