"""Search-space files: loading, checking, the conditional Optuna space, and error messages."""

from __future__ import annotations

import pickle
from pathlib import Path

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hpsearch.errors import BadInputError
from hpsearch.spaces import (
    FAMILY_KEY,
    ConditionalSpace,
    SearchSpace,
    join_config,
    load_space,
    load_spaces,
    n_dimensions,
    shipped_families,
    shipped_spaces_dir,
    split_config,
    validate_space_keys,
)

CLASSIFICATION = (
    "catboost",
    "extra_trees",
    "gradient_boosting",
    "hist_gradient_boosting",
    "knn",
    "lightgbm",
    "logistic_regression",
    "random_forest",
    "svm",
    "xgboost",
)
REGRESSION = (
    "catboost",
    "extra_trees",
    "gradient_boosting",
    "hist_gradient_boosting",
    "knn",
    "lightgbm",
    "random_forest",
    "ridge",
    "svm",
    "xgboost",
)
SHIPPED = [("classification", f) for f in CLASSIFICATION] + [("regression", f) for f in REGRESSION]

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _write(tmp_path: Path, text: str, name: str = "space.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD = """\
family: my_forest
task: classification
estimator: sklearn.ensemble.RandomForestClassifier
fixed: {n_estimators: 20}
params:
  model__max_depth: {type: int, low: 2, high: 8}
  model__min_impurity_decrease: {type: float, low: 1e-6, high: 1.0e-2, log: true}
  model__max_features: {type: categorical, choices: [sqrt, null, 0.5]}
  preprocess__num__scale__with_mean: {type: categorical, choices: [true, false]}
"""


def _within(dist: object, value: object) -> bool:
    if isinstance(dist, CategoricalDistribution):
        return value in dist.choices
    assert isinstance(dist, IntDistribution | FloatDistribution)
    assert isinstance(value, int | float)
    return dist.low <= value <= dist.high


def _sample(space: ConditionalSpace, *, n: int, seed: int) -> list[dict[str, object]]:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    for _ in range(n):
        trial = study.ask()
        space(trial)
        study.tell(trial, float(len(trial.params)))
    return [t.params for t in study.trials]


# ----------------------------------------------------------------------------- shipped files


def test_shipped_families_per_task() -> None:
    assert shipped_families("classification") == CLASSIFICATION
    assert shipped_families("regression") == REGRESSION
    assert (shipped_spaces_dir() / "README.md").is_file()


@pytest.mark.parametrize(("task", "family"), SHIPPED)
def test_every_shipped_family_loads_and_validates(task: str, family: str) -> None:
    space = load_space(entry=family, task=task)  # type: ignore[arg-type]
    assert isinstance(space, SearchSpace)
    assert (space.family, space.task) == (family, task)
    assert Path(space.source).is_absolute()
    assert Path(space.source) == shipped_spaces_dir() / task / f"{family}.yaml"
    assert space.params, "a shipped family tunes at least one parameter"
    assert all(":" not in k and "/" not in k for k in space.params)
    validate_space_keys(space)
    assert space.to_dict()["family"] == family


def test_space_is_immutable_and_picklable() -> None:
    space = load_space(entry="svm", task="classification")
    clone = pickle.loads(pickle.dumps(space))
    assert clone.to_dict() == space.to_dict()
    with pytest.raises(TypeError):
        space.params["model__x"] = IntDistribution(1, 2)  # type: ignore[index]


def test_own_file_by_path_and_float_exponents(tmp_path: Path) -> None:
    space = load_space(entry=_write(tmp_path, GOOD), task="classification")
    assert space.family == "my_forest"
    assert dict(space.fixed) == {"n_estimators": 20}
    assert space.params["model__max_depth"] == IntDistribution(2, 8)
    assert space.params["model__min_impurity_decrease"] == FloatDistribution(1e-6, 1e-2, log=True)
    assert space.params["model__max_features"] == CategoricalDistribution(["sqrt", None, 0.5])


def test_shipped_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "classification").mkdir()
    _write(tmp_path / "classification", GOOD.replace("my_forest", "forest"), "forest.yaml")
    monkeypatch.setenv("HPSEARCH_SPACES_DIR", str(tmp_path))
    assert shipped_spaces_dir() == tmp_path.resolve()
    assert shipped_families("classification") == ("forest",)
    assert shipped_families("regression") == ()
    assert load_space(entry="forest", task="classification").family == "forest"


# ----------------------------------------------------------------------------- conditional space


def test_conditional_space_samples_family_then_its_params() -> None:
    spaces = load_spaces(entries=CLASSIFICATION, task="classification")
    configs = _sample(ConditionalSpace(spaces), n=25, seed=0)
    by_family = {s.family: s for s in spaces}
    seen = set()
    for config in configs:
        family, params = split_config(config)
        seen.add(family)
        assert set(params) == set(by_family[family].params)
        assert all(k == FAMILY_KEY or k.startswith(f"{family}:") for k in config)
        for path, value in params.items():
            assert _within(by_family[family].params[path], value), (path, value)
    assert len(seen) >= 4


def test_single_family_still_suggests_family() -> None:
    space = load_space(entry="ridge", task="regression")
    (config,) = _sample(ConditionalSpace([space]), n=1, seed=1)
    assert config[FAMILY_KEY] == "ridge"
    assert set(config) == {FAMILY_KEY, "ridge:model__alpha"}


def test_conditional_space_pickles_and_samples_the_same() -> None:
    space = ConditionalSpace(load_spaces(entries=["knn", "svm", "ridge"], task="regression"))
    clone = pickle.loads(pickle.dumps(space))
    assert clone.families == ("knn", "svm", "ridge")
    assert _sample(clone, n=8, seed=3) == _sample(space, n=8, seed=3)


def test_conditional_space_rejects_empty_and_duplicates() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ConditionalSpace([])
    knn = load_space(entry="knn", task="regression")
    with pytest.raises(ValueError, match="unique"):
        ConditionalSpace([knn, knn])


def test_split_and_join_config_round_trip() -> None:
    params = {"model__max_depth": 5, "model__max_features": None}
    config = join_config(family="rf", params=params)
    assert config == {"family": "rf", "rf:model__max_depth": 5, "rf:model__max_features": None}
    noisy = {**config, "svm:model__C": 1.0, "trial_id": "abc", "cpus": 2}
    assert split_config(noisy) == ("rf", params)
    with pytest.raises(KeyError, match="family"):
        split_config({"rf:model__max_depth": 5})


def test_n_dimensions() -> None:
    rf = load_space(entry="random_forest", task="classification")
    lr = load_space(entry="logistic_regression", task="classification")
    assert n_dimensions([rf]) == len(rf.params)
    assert n_dimensions([rf, lr]) == len(rf.params) + len(lr.params) + 1


# ----------------------------------------------------------------------------- errors


def test_unknown_family_lists_shipped_ones() -> None:
    with pytest.raises(BadInputError) as info:
        load_space(entry="random_forrest", task="classification")
    message = str(info.value)
    assert "'random_forrest'" in message
    for family in CLASSIFICATION:
        assert family in message


def test_family_of_the_other_task_is_named() -> None:
    with pytest.raises(BadInputError, match="'ridge' is a regression family"):
        load_space(entry="ridge", task="classification")


def test_missing_file() -> None:
    with pytest.raises(BadInputError, match=r"'/nowhere/space\.yaml' does not exist"):
        load_space(entry="/nowhere/space.yaml", task="classification")


def test_malformed_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "family: [unclosed\n")
    with pytest.raises(BadInputError, match="not valid YAML") as info:
        load_space(entry=path, task="classification")
    assert path in str(info.value)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="must be a YAML mapping"):
        load_space(entry=_write(tmp_path, "- a\n- b\n"), task="classification")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "paramz: {}\n")
    with pytest.raises(BadInputError, match="unknown key 'paramz'") as info:
        load_space(entry=path, task="classification")
    assert "allowed: family, task, estimator" in str(info.value)


def test_task_mismatch_by_file_key(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="regression")
    message = str(info.value)
    assert "classification space" in message and "task is regression" in message
    assert path in message


def test_task_mismatch_shipped_file_by_path() -> None:
    path = str(shipped_spaces_dir() / "regression" / "ridge.yaml")
    with pytest.raises(BadInputError, match="regression space but the sweep's task is classif"):
        load_space(entry=path, task="classification")


def test_estimator_of_the_wrong_kind(tmp_path: Path) -> None:
    text = "family: r\nestimator: sklearn.linear_model.Ridge\nparams: {}\n"
    with pytest.raises(BadInputError, match="Ridge is not a classification estimator"):
        load_space(entry=_write(tmp_path, text), task="classification")


@pytest.mark.parametrize(
    ("estimator", "expected"),
    [
        ("sklearn.ensemble.RandomForestClassifer", "has no attribute 'RandomForestClassifer'"),
        ("sklearnx.ensemble.RandomForestClassifier", "No module named 'sklearnx'"),
        ("RandomForestClassifier", "is not an import path"),
        ("sklearn.metrics.accuracy_score", "is not a scikit-learn estimator class"),
    ],
)
def test_estimator_not_importable(tmp_path: Path, estimator: str, expected: str) -> None:
    path = _write(tmp_path, GOOD.replace("sklearn.ensemble.RandomForestClassifier", estimator))
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="classification")
    message = str(info.value)
    assert repr(estimator) in message and expected in message and path in message


def test_unknown_param_path_lists_valid_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("model__max_depth", "model__max_dept"))
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="classification")
    message = str(info.value)
    assert "'model__max_dept'" in message and path in message
    assert "Valid parameters are:" in message
    assert "'model__max_depth'" in message and "'model__n_estimators'" in message
    assert "preprocess__" not in message.split("Valid parameters are:")[1].split("Fix")[0]


def test_unknown_step_lists_steps(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("model__max_depth", "modle__max_depth"))
    with pytest.raises(BadInputError, match=r"'modle__max_depth'.*'model__\.\.\.'"):
        load_space(entry=path, task="classification")


def test_validate_space_keys_directly() -> None:
    space = load_space(entry="knn", task="classification")
    broken = SearchSpace(
        family=space.family,
        task=space.task,
        estimator=space.estimator,
        fixed=space.fixed,
        params={"model__k": IntDistribution(1, 3)},
        source=space.source,
    )
    with pytest.raises(BadInputError, match="'model__n_neighbors'"):
        validate_space_keys(broken)


def test_bad_range_low_above_high(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("low: 2, high: 8", "low: 8, high: 2"))
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="classification")
    message = str(info.value)
    assert "params.model__max_depth" in message and path in message
    assert "`low <= high` must hold" in message  # Optuna's own message


def test_log_with_nonpositive_low(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("low: 1e-6", "low: 0.0"))
    with pytest.raises(BadInputError, match="model__min_impurity_decrease"):
        load_space(entry=path, task="classification")


def test_unknown_distribution_type(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("{type: int,", "{type: integer,"))
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="classification")
    message = str(info.value)
    assert "unknown distribution type 'integer'" in message
    assert "model__max_depth" in message and "int, float, categorical" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{type: int, low: 2, high: 8}", "{type: int, high: 8}", "needs `low`"),
        ("{type: int, low: 2, high: 8}", "{type: int, low: 2.5, high: 8}", "must be an integer"),
        ("{type: int, low: 2, high: 8}", "{type: int, low: 2, hi: 8}", "unknown key 'hi'"),
        ("{type: int, low: 2, high: 8}", "{type: int, low: 2, high: 8, log: yes please}", "log"),
        ("{type: int, low: 2, high: 8}", "5", "must be a mapping"),
        ("choices: [sqrt, null, 0.5]", "choices: []", "non-empty list"),
        ("choices: [sqrt, null, 0.5]", "choices: [{a: 1}]", "is not null, a bool"),
    ],
)
def test_bad_distribution_specs(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(BadInputError, match=expected):
        load_space(entry=_write(tmp_path, GOOD.replace(old, new)), task="classification")


@pytest.mark.parametrize("key", ["max_depth", "rf:model__max_depth", "model__a/b"])
def test_param_path_shape(tmp_path: Path, key: str) -> None:
    with pytest.raises(BadInputError, match="parameter path looks like model__"):
        load_space(
            entry=_write(tmp_path, GOOD.replace("model__max_depth", key)), task="classification"
        )


def test_fixed_argument_unknown(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("n_estimators: 20", "n_estimator: 20"))
    with pytest.raises(BadInputError) as info:
        load_space(entry=path, task="classification")
    message = str(info.value)
    assert "n_estimator" in message and "'n_estimators'" in message and "fixed" in message


def test_param_both_fixed_and_tuned(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("n_estimators: 20", "max_depth: 3"))
    with pytest.raises(BadInputError, match="'model__max_depth' is both tuned"):
        load_space(entry=path, task="classification")


def test_bad_family_name(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="family 'my forest'"):
        load_space(
            entry=_write(tmp_path, GOOD.replace("my_forest", "my forest")), task="classification"
        )


def test_duplicate_families(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("my_forest", "random_forest"))
    with pytest.raises(BadInputError, match="family 'random_forest' appears twice"):
        load_spaces(entries=["random_forest", path], task="classification")


def test_a_class_outside_the_trusted_libraries_is_refused_before_the_search(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from factories import write_sweep
    from hpsearch.cli import app

    space = tmp_path / "majority.yaml"
    space.write_text("family: majority\nestimator: factories.MajorityClassifier\n")
    with pytest.raises(BadInputError, match=r"holds factories\.MajorityClassifier.*Fix: .*"
                       r"`trusted_types: \[factories\.MajorityClassifier\]`"):  # fmt: skip
        load_space(entry=str(space), task="classification")
    sweep = write_sweep(tmp_path, search={"spaces": [str(space)], "trials": 2})
    result = CliRunner().invoke(app, ["check", str(sweep)])
    assert result.exit_code == 2 and "factories.MajorityClassifier" in result.output
    space.write_text(
        "family: majority\nestimator: factories.MajorityClassifier\n"
        "trusted_types: [factories.MajorityClassifier]\n"
    )
    assert load_space(entry=str(space), task="classification").trusted_types == (
        "factories.MajorityClassifier",
    )
