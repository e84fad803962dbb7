"""The sweep file's schema: frozen pydantic sections, checked before anything runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hpsearch.config.credentials import check_no_credentials
from hpsearch.config.metrics import Task, default_primary, get_metric, metrics_for
from hpsearch.config.suggestions import closest

SKLEARN_DATASETS = ("breast_cancer", "iris", "wine", "digits", "diabetes")
DATA_SUFFIXES = (".csv", ".parquet", ".pq")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FACTORY_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    source: str = Field(description="path to .csv/.parquet, or sklearn:NAME")
    target: str = "target"
    id_column: str | None = None
    time_column: str | None = None
    group_column: str | None = None
    drop_columns: tuple[str, ...] = ()

    @field_validator("source")
    @classmethod
    def _check_source(cls, value: str) -> str:
        if value.startswith("sklearn:"):
            name = value.removeprefix("sklearn:")
            if name not in SKLEARN_DATASETS:
                raise ValueError(
                    f"unknown bundled dataset {name!r}; use one of "
                    + ", ".join(f"sklearn:{n}" for n in SKLEARN_DATASETS)
                )
            return value
        if Path(value).suffix.lower() not in DATA_SUFFIXES:
            raise ValueError(
                f"unsupported data file type {Path(value).suffix or '(none)'!r} for {value!r}; "
                "use a .csv or .parquet file, or sklearn:NAME"
            )
        return value


class HoldoutConfig(_Section):
    fraction: float = Field(0.2, gt=0.0, le=0.5)


class CVConfig(_Section):
    folds: int = Field(5, ge=2, le=20)
    # how rows that stay together (a group column, identical rows) are dealt into folds and
    # the hold-out: hpsearch's linear-time splitter, or scikit-learn's StratifiedGroupKFold
    # (quadratic; what sweeps made before hpsearch 0.2 used, and resume with)
    group_splitter: Literal["balanced", "sklearn"] = "balanced"


class MetricsConfig(_Section):
    primary: str | None = None
    report: tuple[str, ...] = ()


# what `search.spaces` means when the sweep file leaves it out: the boosting libraries, the
# scikit-learn forests and boosting, and one linear model (docs/benchmarks.md measures it)
DEFAULT_SPACES: dict[str, tuple[str, ...]] = {
    "classification": (
        "lightgbm", "xgboost", "catboost", "hist_gradient_boosting", "random_forest",
        "logistic_regression",
    ),
    "regression": (
        "lightgbm", "xgboost", "catboost", "hist_gradient_boosting", "random_forest", "ridge",
    ),
}  # fmt: skip


class SearchConfig(_Section):
    spaces: tuple[str, ...] = Field(default=(), min_length=0)
    trials: int = Field(50, ge=1, le=100_000)
    time_budget_s: float | None = Field(None, gt=0)
    concurrency: Literal["auto"] | int = "auto"
    early_stopping: bool = True
    stopping_quantile: float = Field(0.5, ge=0.5, lt=1.0)
    # cheaper fidelities a trial is judged at on its first fold before it runs in full
    # (with early_stopping): none (the default: measured, both kinds found worse models in
    # as many trials), rows, rounds (boosting rounds, trees), auto (rows on large tables)
    fidelity: Literal["auto", "rows", "rounds", "none"] = "none"
    max_failure_fraction: float = Field(0.5, ge=0.0, le=1.0)
    preprocess_cache_mb: int = Field(256, ge=0)

    @field_validator("concurrency")
    @classmethod
    def _check_concurrency(cls, value: Literal["auto"] | int) -> Literal["auto"] | int:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"concurrency must be 'auto' or an integer >= 1, got {value}")
        return value


class LeakageConfig(_Section):
    duplicate_rows: Literal["group", "error", "drop"] = "group"
    proxy_threshold: float = Field(0.99, gt=0.5, le=1.0)
    deny_columns: tuple[str, ...] = ()


class PreprocessingConfig(_Section):
    """How columns that one-hot encoding cannot take are handled (fitted inside each fold)."""

    max_onehot_levels: int = Field(50, ge=2, le=10_000)
    high_cardinality: Literal["target", "onehot"] = "target"
    text: Literal["drop", "hash"] = "drop"
    hash_features: int = Field(256, ge=8, le=2**16)


class SelectionConfig(_Section):
    """Which rows the registered model is fitted on."""

    refit: Literal["development", "all"] = "development"


class TrackingConfig(_Section):
    uri: str | None = None
    experiment: str | None = None
    registered_model: str | None = None

    @field_validator("uri")
    @classmethod
    def _check_uri(cls, value: str | None) -> str | None:
        return None if value is None else check_no_credentials(value)


class PipelineConfig(_Section):
    """Your own pipeline: ``factory`` is ``package.module:function``, imported from ``path``
    (a folder; relative to the sweep file, which is the default) or from where it is
    installed. The function returns an unfitted Pipeline ending in a step named ``model``,
    or a transformer that hpsearch puts in front of each family's model."""

    factory: str
    path: str | None = None

    @field_validator("factory")
    @classmethod
    def _check_factory(cls, value: str) -> str:
        if not _FACTORY_RE.match(value):
            raise ValueError(
                f"pipeline factory {value!r} must look like package.module:function "
                "(a module import path, a colon, the function's name), e.g. "
                "features:make_pipeline"
            )
        return value


class RayConfig(_Section):
    address: str | None = None
    cpus_per_trial: float = Field(1.0, gt=0)


class SweepConfig(_Section):
    """A whole sweep file. ``load_sweep`` is the way to build one from YAML."""

    name: str
    seed: int = 42
    task: Task = "classification"
    data: DataConfig
    holdout: HoldoutConfig = HoldoutConfig()
    cv: CVConfig = CVConfig()
    metrics: MetricsConfig = MetricsConfig()
    search: SearchConfig = SearchConfig()
    thresholds: dict[str, float] = Field(default_factory=dict)
    leakage: LeakageConfig = LeakageConfig()
    preprocessing: PreprocessingConfig = PreprocessingConfig()
    selection: SelectionConfig = SelectionConfig()
    tracking: TrackingConfig = TrackingConfig()
    ray: RayConfig = RayConfig()
    pipeline: PipelineConfig | None = None

    @field_validator("pipeline", mode="before")
    @classmethod
    def _pipeline_shorthand(cls, value: object) -> object:
        """``pipeline: features:make`` is short for ``pipeline: {factory: features:make}``."""
        return {"factory": value} if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError(
                f"name {value!r} must start with a letter or digit and contain only "
                "letters, digits, '_', '-' and '.'; it names the sweep directory"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_spaces(cls, raw: object) -> object:
        """No ``search.spaces``: the task's default families."""
        if isinstance(raw, dict):
            search = raw.get("search")
            if search is None:
                search = {}
            if isinstance(search, dict) and not search.get("spaces"):
                task = raw.get("task", "classification")
                defaults = DEFAULT_SPACES.get(task if isinstance(task, str) else "", ())
                raw = {**raw, "search": {**search, "spaces": list(defaults)}}
        return raw

    @model_validator(mode="after")
    def _check_metrics(self) -> SweepConfig:
        valid = metrics_for(self.task)
        primary = self.metrics.primary or default_primary(self.task)
        named = {"metrics.primary": [primary], "metrics.report": list(self.metrics.report)}
        named["thresholds"] = list(self.thresholds)
        bad = [
            f"{where}: {metric!r}"
            + (f" (did you mean {near!r}?)" if (near := closest(metric, valid)) else "")
            for where, names in named.items()
            for metric in names
            if metric not in valid
        ]
        if bad:  # every bad name at once, not one per attempt
            raise ValueError(
                f"unknown {self.task} metric(s): {'; '.join(bad)}. Valid: {', '.join(valid)}. "
                "Fix: use those names"
            )
        return self

    @property
    def primary_metric(self) -> str:
        return self.metrics.primary or default_primary(self.task)

    @property
    def all_metrics(self) -> tuple[str, ...]:
        """Every metric computed for this task, primary first."""
        rest = [m for m in metrics_for(self.task) if m != self.primary_metric]
        return (self.primary_metric, *rest)

    @property
    def experiment_name(self) -> str:
        return self.tracking.experiment or self.name

    @property
    def registered_model_name(self) -> str:
        return self.tracking.registered_model or self.name

    @property
    def mode(self) -> Literal["max", "min"]:
        """Whether the primary metric is maximised or minimised."""
        metric = get_metric(name=self.primary_metric, task=self.task)
        return "max" if metric.greater_is_better else "min"
