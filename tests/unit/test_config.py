"""config.py: defaults, path resolution, command-line overrides and the metric rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from factories import write_sweep
from hpsearch.config import load_sweep, with_overrides
from hpsearch.errors import BadInputError

CLASSIFICATION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
)


def _minimal(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_in_every_optional_section(tmp_path: Path) -> None:
    config = load_sweep(
        _minimal(
            tmp_path,
            "name: mini\ndata: {source: 'sklearn:iris'}\nsearch: {spaces: [knn]}\n",
        )
    )

    assert config.seed == 42
    assert config.task == "classification"
    assert config.data.target == "target"
    assert (config.data.id_column, config.data.time_column, config.data.group_column) == (
        None,
        None,
        None,
    )
    assert config.data.drop_columns == ()
    assert config.holdout.fraction == 0.2
    assert config.cv.folds == 5
    assert config.metrics.primary is None and config.metrics.report == ()
    assert config.search.spaces == ("knn",)
    assert config.search.trials == 50
    assert config.search.time_budget_s is None
    assert config.search.concurrency == "auto"
    assert config.search.early_stopping is True
    assert config.search.max_failure_fraction == 0.5
    assert config.search.preprocess_cache_mb == 256
    assert config.thresholds == {}
    assert config.leakage.duplicate_rows == "group"
    assert config.leakage.proxy_threshold == 0.99
    assert config.leakage.deny_columns == ()
    assert (config.tracking.uri, config.tracking.experiment) == (None, None)
    assert config.ray.address is None and config.ray.cpus_per_trial == 1.0
    # names fall back to the sweep name
    assert config.experiment_name == "mini"
    assert config.registered_model_name == "mini"


def test_tracking_names_when_given(tmp_path: Path) -> None:
    config = load_sweep(
        write_sweep(tmp_path, tracking={"experiment": "exp-a", "registered_model": "model-b"})
    )
    assert config.experiment_name == "exp-a"
    assert config.registered_model_name == "model-b"


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path))
    with pytest.raises(ValidationError):
        config.seed = 7  # type: ignore[misc]
    with pytest.raises(ValidationError):
        config.search.trials = 7  # type: ignore[misc]


def test_relative_data_path_resolves_against_sweep_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_dir = tmp_path / "project" / "sweeps"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # the working directory must not matter
    path = write_sweep(sweep_dir / "sweep.yaml", data={"source": "../data/train.csv"})

    config = load_sweep(path)

    expected = (tmp_path / "project" / "data" / "train.csv").resolve()
    assert config.data.source == str(expected)
    assert Path(config.data.source).is_absolute()


def test_relative_path_given_relative_to_cwd_still_uses_sweep_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_sweep(tmp_path / "sub" / "sweep.yaml", data={"source": "d.parquet"})
    monkeypatch.chdir(tmp_path)

    config = load_sweep("sub/sweep.yaml")  # relative sweep path, relative data path

    assert config.data.source == str((tmp_path / "sub" / "d.parquet").resolve())


def test_absolute_data_path_and_bundled_source_are_unchanged(tmp_path: Path) -> None:
    absolute = tmp_path / "data" / "x.csv"
    config = load_sweep(write_sweep(tmp_path / "a.yaml", data={"source": str(absolute)}))
    assert config.data.source == str(absolute)

    bundled = load_sweep(write_sweep(tmp_path / "b.yaml", data={"source": "sklearn:wine"}))
    assert bundled.data.source == "sklearn:wine"


def test_space_file_paths_resolve_but_shipped_names_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep_dir = tmp_path / "sweeps"
    monkeypatch.chdir(tmp_path)
    path = write_sweep(
        sweep_dir / "sweep.yaml",
        search={"spaces": ["random_forest", "spaces/mine.yaml", "other.yml", "../up/third.yaml"]},
    )

    spaces = load_sweep(path).search.spaces

    assert spaces == (
        "random_forest",
        str((sweep_dir / "spaces" / "mine.yaml").resolve()),
        str((sweep_dir / "other.yml").resolve()),
        str((tmp_path / "up" / "third.yaml").resolve()),
    )


def test_with_overrides_replaces_trials_and_tracking_uri(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path, data={"source": "rel.csv"}))

    changed = with_overrides(config, trials=9, tracking_uri="sqlite:///x.db")

    assert changed.search.trials == 9
    assert changed.tracking.uri == "sqlite:///x.db"
    # everything else is kept, including resolved paths; the original is untouched
    assert changed.data.source == config.data.source == str((tmp_path / "rel.csv").resolve())
    assert changed.search.spaces == config.search.spaces
    assert changed.seed == config.seed
    assert config.search.trials == 4 and config.tracking.uri is None


def test_with_overrides_none_keeps_values(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path, tracking={"uri": "file:///keep"}))
    same = with_overrides(config)
    assert same == config
    assert same.tracking.uri == "file:///keep"


def test_with_overrides_revalidates(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path))
    with pytest.raises(BadInputError, match=r"search\.trials") as info:
        with_overrides(config, trials=0)
    assert "<command line>" in str(info.value)


@pytest.mark.parametrize(
    ("task", "primary"),
    [("classification", "roc_auc"), ("regression", "r2")],
)
def test_primary_metric_default_per_task(tmp_path: Path, task: str, primary: str) -> None:
    spaces = ["ridge"] if task == "regression" else ["logistic_regression"]
    config = load_sweep(
        write_sweep(
            tmp_path, task=task, data={"source": "sklearn:diabetes"}, search={"spaces": spaces}
        )
    )
    assert config.metrics.primary is None
    assert config.primary_metric == primary


def test_explicit_primary_metric(tmp_path: Path) -> None:
    config = load_sweep(write_sweep(tmp_path, metrics={"primary": "f1"}))
    assert config.primary_metric == "f1"


def test_all_metrics_primary_first_classification(tmp_path: Path) -> None:
    default = load_sweep(write_sweep(tmp_path / "a.yaml"))
    assert default.all_metrics == (
        "roc_auc",
        *(m for m in CLASSIFICATION_METRICS if m != "roc_auc"),
    )

    chosen = load_sweep(write_sweep(tmp_path / "b.yaml", metrics={"primary": "log_loss"}))
    assert chosen.all_metrics[0] == "log_loss"
    assert sorted(chosen.all_metrics) == sorted(CLASSIFICATION_METRICS)
    assert len(set(chosen.all_metrics)) == len(chosen.all_metrics)


def test_all_metrics_primary_first_regression(tmp_path: Path) -> None:
    default = load_sweep(
        write_sweep(tmp_path / "a.yaml", task="regression", search={"spaces": ["ridge"]})
    )
    assert default.all_metrics == ("r2", "rmse", "mae")

    chosen = load_sweep(
        write_sweep(
            tmp_path / "b.yaml",
            task="regression",
            search={"spaces": ["ridge"]},
            metrics={"primary": "mae"},
        )
    )
    assert chosen.all_metrics == ("mae", "r2", "rmse")


@pytest.mark.parametrize(
    ("sections", "needle"),
    [
        ({"metrics": {"primary": "roc_auc"}, "task": "regression"}, "'roc_auc'"),
        ({"metrics": {"report": ["accuracy", "auc"]}}, "metrics.report"),
        ({"thresholds": {"rmse": 1.0}}, "thresholds"),
    ],
)
def test_metric_names_are_checked_against_the_task(
    tmp_path: Path, sections: dict[str, object], needle: str
) -> None:
    with pytest.raises(BadInputError, match="unknown") as info:
        load_sweep(write_sweep(tmp_path, **sections))
    assert needle in str(info.value)


def test_bad_name_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="name 'my sweep!'"):
        load_sweep(write_sweep(tmp_path, name="my sweep!"))


def test_non_mapping_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="must be a YAML mapping"):
        load_sweep(_minimal(tmp_path, "- just\n- a list\n"))


def test_home_relative_paths_expand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_sweep(
        write_sweep(
            tmp_path / "sweep.yaml",
            data={"source": "~/data.csv"},
            search={"spaces": ["~/spaces/mine.yaml"]},
        )
    )
    assert config.data.source == str(tmp_path / "home" / "data.csv")
    assert config.search.spaces == (str(tmp_path / "home" / "spaces" / "mine.yaml"),)


def test_unknown_metric_error_does_not_echo_the_whole_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as info:
        load_sweep(write_sweep(tmp_path, metrics={"primary": "auc"}))
    message = str(info.value)
    assert "metrics.primary" in message and "'auc'" in message  # holds today
    assert "(top level)" not in message
    assert "'seed'" not in message  # the rest of the file is not the bad value


def test_negative_preprocess_cache_is_rejected_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as info:
        load_sweep(
            _minimal(
                tmp_path,
                "name: mini\ndata: {source: 'sklearn:iris'}\n"
                "search: {spaces: [knn], preprocess_cache_mb: -1}\n",
            )
        )
    message = str(info.value)
    assert "search.preprocess_cache_mb" in message and "-1" in message


def test_without_search_spaces_the_task_default_families_are_used(tmp_path: Path) -> None:
    from hpsearch.config.schema import DEFAULT_SPACES

    path = tmp_path / "sweep.yaml"
    path.write_text("name: t\ntask: regression\ndata: {source: 'sklearn:diabetes'}\n")
    config = load_sweep(path)
    assert config.search.spaces == DEFAULT_SPACES["regression"]
    assert "ridge" in config.search.spaces and "lightgbm" in config.search.spaces


def test_credentials_in_the_tracking_uri_are_refused_without_echoing_them(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, tracking={"uri": "http://alice:hunter2-pw@mlflow.example:5000"})
    with pytest.raises(BadInputError) as caught:
        load_sweep(sweep)
    message = str(caught.value)
    assert "tracking.uri" in message and "MLFLOW_TRACKING_PASSWORD" in message
    assert "http://***@mlflow.example:5000" in message
    assert "hunter2-pw" not in message and "alice" not in message
    clean = load_sweep(write_sweep(tmp_path / "clean.yaml"))
    with pytest.raises(BadInputError, match="carries credentials"):
        with_overrides(clean, tracking_uri="https://bob:pw@h:443")
    assert with_overrides(clean, tracking_uri="http://h:1").tracking.uri == "http://h:1"


def test_misspelt_keys_get_a_suggestion_and_the_allowed_keys(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "s.yaml", serach={"trials": 3})
    with pytest.raises(BadInputError) as info:
        load_sweep(sweep)
    message = str(info.value)
    assert "`serach`: unknown key" in message and "Did you mean 'search'?" in message
    assert "Allowed here: name, seed, task, data" in message
    nested = write_sweep(tmp_path / "n.yaml", cv={"fold": 3})
    with pytest.raises(BadInputError, match=r"`cv.fold`: unknown key .* Did you mean 'folds'\?"):
        load_sweep(nested)


def test_every_unknown_threshold_metric_is_listed_at_once(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "s.yaml", thresholds={"acuracy": 0.5, "f2": 0.3, "f1": 0.2})
    with pytest.raises(BadInputError) as info:
        load_sweep(sweep)
    message = str(info.value)
    assert "thresholds: 'acuracy' (did you mean 'accuracy'?)" in message
    assert "thresholds: 'f2'" in message and "'f1'" not in message.split("Valid:")[0]


def test_unknown_family_gets_a_suggestion(tmp_path: Path) -> None:
    from hpsearch.spaces import load_spaces

    with pytest.raises(BadInputError, match=r"'knnn'\. Did you mean 'knn'\?"):
        load_spaces(entries=["knnn"], task="classification")
