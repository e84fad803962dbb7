"""`pipeline: package.module:factory` in a sweep file: the schema, the import, both kinds of
factory, parameter paths checked at load, fitting per fold, and the preflight save check."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from factories import cross_validate, write_sweep
from hpsearch.config import load_sweep
from hpsearch.config.metrics import get_metric
from hpsearch.errors import BadInputError
from hpsearch.prepare.preflight import run_preflight
from hpsearch.spaces import load_space
from hpsearch.spaces.columns import ColumnTypes
from hpsearch.spaces.factory import PipelineFactory, make_estimator
from hpsearch.spaces.pipelines import build_pipeline

HEADER = """
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
"""


def _module(folder: Path, body: str) -> str:
    """A module of its own name (import caches by name) in ``folder``; return the name."""
    name = f"own_{uuid.uuid4().hex[:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return name


def _space_file(folder: Path, *, estimator: str | None, params: str) -> str:
    line = f"estimator: {estimator}\n" if estimator else ""
    path = folder / "own_space.yaml"
    path.write_text(f"family: own\ntask: classification\n{line}params:\n{params}", encoding="utf-8")
    return str(path)


def test_shorthand_and_path_relative_to_the_sweep_file(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "project" / "sweep.yaml", pipeline="feats.make:build")
    config = load_sweep(sweep)
    assert config.pipeline is not None
    assert config.pipeline.factory == "feats.make:build"
    assert config.pipeline.path == str((tmp_path / "project").resolve())
    code = write_sweep(tmp_path / "b.yaml", pipeline={"factory": "f:g", "path": "src"})
    assert load_sweep(code).pipeline.path == str((tmp_path / "src").resolve())  # type: ignore[union-attr]


def test_malformed_reference_is_refused_with_the_form(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"must look like package\.module:function"):
        load_sweep(write_sweep(tmp_path, pipeline="feats.make.build"))


def test_a_module_that_does_not_import_names_it_and_the_folder(tmp_path: Path) -> None:
    factory = PipelineFactory(reference="no_such_module_here:make", path=str(tmp_path))
    with pytest.raises(BadInputError, match="no_such_module_here") as caught:
        make_estimator(factory)
    assert str(tmp_path) in str(caught.value) and "pipeline.path" in str(caught.value)
    name = _module(tmp_path, "def make():\n    return 3\n")
    with pytest.raises(BadInputError, match=f"module {name!r} has no function 'other'"):
        make_estimator(PipelineFactory(reference=f"{name}:other", path=str(tmp_path)))
    with pytest.raises(BadInputError, match="returned int, which is neither"):
        make_estimator(PipelineFactory(reference=f"{name}:make", path=str(tmp_path)))


def test_full_pipeline_needs_its_model_step_named_model(tmp_path: Path) -> None:
    name = _module(
        tmp_path,
        """
        def make():
            return Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())])
        """,
    )
    with pytest.raises(BadInputError, match="named 'lr'; hpsearch addresses the model as 'model'"):
        make_estimator(PipelineFactory(reference=f"{name}:make", path=str(tmp_path)))


def test_full_pipeline_space_takes_its_model_and_checks_paths(tmp_path: Path) -> None:
    name = _module(
        tmp_path,
        """
        def make():
            return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
        """,
    )
    factory = PipelineFactory(reference=f"{name}:make", path=str(tmp_path))
    good = _space_file(
        tmp_path,
        estimator=None,
        params="  scale__with_mean: {type: categorical, choices: [true, false]}\n"
        "  model__C: {type: float, low: 0.01, high: 10, log: true}\n",
    )
    space = load_space(entry=good, task="classification", pipeline=factory)
    assert space.estimator == "sklearn.linear_model._logistic.LogisticRegression"
    pipeline = build_pipeline(
        space=space,
        params={"scale__with_mean": False, "model__C": 0.5},
        column_types=ColumnTypes(numeric=("a",), categorical=()),
    )
    assert [n for n, _ in pipeline.steps] == ["scale", "model"]
    assert pipeline.named_steps["scale"].with_mean is False
    bad = _space_file(
        tmp_path, estimator=None, params="  scaler__with_std: {type: categorical, choices: [1]}\n"
    )
    with pytest.raises(BadInputError, match="invalid parameter 'scaler__with_std'") as caught:
        load_space(entry=bad, task="classification", pipeline=factory)
    assert "scale__..." in str(caught.value) and "model__..." in str(caught.value)
    other = _space_file(
        tmp_path, estimator="sklearn.svm.SVC", params="  model__C: {type: float, low: 1, high: 2}\n"
    )
    with pytest.raises(BadInputError, match="leave `estimator` out"):
        load_space(entry=other, task="classification", pipeline=factory)


def test_transformer_goes_in_front_of_each_family_and_is_fitted_per_fold(tmp_path: Path) -> None:
    name = _module(
        tmp_path,
        """
        FITTED_ON = []

        class Recorder(TransformerMixin, BaseEstimator):
            def fit(self, X, y=None):
                FITTED_ON.append(list(X.index))
                return self

            def transform(self, X):
                return X

        def make():
            return Pipeline([("record", Recorder()), ("scale", StandardScaler())])
        """,
    )
    factory = PipelineFactory(reference=f"{name}:make", path=str(tmp_path))
    space = load_space(entry="logistic_regression", task="classification", pipeline=factory)
    params = {"preprocess__scale__with_std": False, "model__C": 2.0}
    space_file = _space_file(
        tmp_path,
        estimator="sklearn.linear_model.LogisticRegression",
        params="  preprocess__scale__with_std: {type: categorical, choices: [true, false]}\n",
    )
    load_space(entry=space_file, task="classification", pipeline=factory)  # path is valid
    with pytest.raises(BadInputError, match="invalid parameter 'preprocess__scal__with_std'"):
        build_pipeline(
            space=space,
            params={"preprocess__scal__with_std": False},
            column_types=ColumnTypes(numeric=("a", "b"), categorical=()),
        )
    pipeline = build_pipeline(
        space=space, params=params, column_types=ColumnTypes(numeric=("a",), categorical=())
    )
    assert [n for n, _ in pipeline.steps] == ["preprocess", "model"]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 2)), columns=["a", "b"])
    y = pd.Series((X["a"] > 0).astype(int))
    splitter = KFold(n_splits=3, shuffle=True, random_state=1)
    accuracy = get_metric(name="accuracy", task="classification")
    summary = cross_validate(
        pipeline=pipeline, X=X, y=y, groups=None, splitter=splitter, metrics=[accuracy]
    )
    fitted_on = sys.modules[name].FITTED_ON
    assert len(fitted_on) == 3 and len(summary.folds) == 3
    for rows, (train_idx, val_idx) in zip(fitted_on, splitter.split(X), strict=True):
        assert sorted(rows) == sorted(X.index[train_idx])
        assert not set(rows) & set(X.index[val_idx])


def test_a_pipeline_that_cannot_be_saved_is_refused_before_any_trial(tmp_path: Path) -> None:
    name = _module(
        tmp_path,
        """
        class KeepsSeries(TransformerMixin, BaseEstimator):
            def fit(self, X, y=None):
                self.means_ = X.mean()  # a pandas Series: skops cannot save it
                return self

            def transform(self, X):
                return X - self.means_

        def make():
            return KeepsSeries()
        """,
    )
    sweep = write_sweep(tmp_path, pipeline=f"{name}:make")
    with pytest.raises(BadInputError, match="cannot be saved with skops") as caught:
        run_preflight(load_sweep(sweep))
    assert "pandas Series" in str(caught.value)
    assert not (tmp_path / "sweeps").exists()


def test_submit_ships_the_pipeline_module_to_every_worker(tmp_path: Path) -> None:
    """The job's working dir (driver only) and its py_modules (every worker) carry it."""
    import yaml

    from hpsearch.jobs.submit import _runtime_env, stage_sweep

    name = _module(tmp_path / "project", "def make():\n    return StandardScaler()\n")
    config = load_sweep(write_sweep(tmp_path / "project", pipeline=f"{name}:make"))
    staging = stage_sweep(config=config, upload_data=True)
    try:
        staged = yaml.safe_load((staging / "sweep.yaml").read_text())
        assert staged["pipeline"] == {"factory": f"{name}:make", "path": "code"}
        assert (staging / "code" / name / "__init__.py").is_file()
        env = _runtime_env(staging)
        assert env["py_modules"] == [str(staging / "code" / name)]  # Ray uploads folders
        # the staged sweep file loads and imports the module from the staged copy
        moved = load_sweep(staging / "sweep.yaml")
        assert moved.pipeline is not None and moved.pipeline.path == str(staging / "code")
    finally:
        import shutil

        shutil.rmtree(staging)
