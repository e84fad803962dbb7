"""Reading a sweep file: YAML to a validated, path-resolved ``SweepConfig``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from hpsearch.config.credentials import redact_credentials
from hpsearch.config.schema import SweepConfig
from hpsearch.config.suggestions import did_you_mean
from hpsearch.errors import BadInputError


def _format_validation_error(*, error: ValidationError, path: Path) -> str:
    lines = [f"invalid sweep file {path}:"]
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = allowed_keys(item["loc"][:-1])
            hint = did_you_mean(str(item["loc"][-1]), allowed)
            lines.append(
                f"  - `{where}`: unknown key (value {item['input']!r}).{hint} "
                + (f"Allowed here: {', '.join(allowed)}. " if allowed else "")
                + "Fix: remove it or correct its spelling; see the sweep-file reference in README."
            )
        elif kind == "missing":
            lines.append(f"  - `{where}`: required key is missing. Fix: add it.")
        elif not item["loc"]:  # a cross-field rule: its message names key and value
            msg = item["msg"].removeprefix("Value error, ")
            lines.append(f"  - {msg}.")
        else:
            msg = item["msg"].removeprefix("Value error, ")
            lines.append(f"  - `{where}`: {msg} (got {item['input']!r}).")
    return redact_credentials("\n".join(lines))


def allowed_keys(loc: Sequence[int | str]) -> list[str]:
    """The keys the schema allows at ``loc`` (a path of keys from the top)."""
    model: Any = SweepConfig
    for part in loc:
        field = getattr(model, "model_fields", {}).get(str(part))
        if field is None:
            return []
        nested = [t for t in (field.annotation, *get_args(field.annotation)) if isinstance(t, type)]
        model = next((t for t in nested if issubclass(t, BaseModel)), None)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def parse_sweep(*, raw: Any, path: Path) -> SweepConfig:
    """Validate an already-parsed YAML mapping; raise ``BadInputError`` on any problem."""
    if not isinstance(raw, dict):
        raise BadInputError(
            f"sweep file {path} must be a YAML mapping of keys to values, "
            f"got {type(raw).__name__}. Fix: start from examples/demo.yaml."
        )
    try:
        return SweepConfig.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(_format_validation_error(error=exc, path=path)) from None


def _resolve(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _looks_like_path(entry: str) -> bool:
    return "/" in entry or entry.startswith("~") or entry.endswith((".yaml", ".yml"))


def load_sweep(path: str | Path) -> SweepConfig:
    """Read and validate a sweep file; relative paths resolve against its folder."""
    sweep_path = Path(path)
    if not sweep_path.is_file():
        raise BadInputError(
            f"sweep file {str(path)!r} does not exist. Fix: pass the path to a sweep YAML file, "
            "e.g. examples/demo.yaml."
        )
    try:
        raw = yaml.safe_load(sweep_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadInputError(
            f"sweep file {sweep_path} is not valid YAML: {exc}. Fix: correct the syntax."
        ) from None
    config = parse_sweep(raw=raw, path=sweep_path)
    return resolve_paths(config=config, base=sweep_path.resolve().parent)


def resolve_paths(*, config: SweepConfig, base: Path) -> SweepConfig:
    """Make the data source, space-file and pipeline paths absolute, relative to ``base``
    (a pipeline factory without ``path`` is imported from ``base``, the sweep file's folder,
    when it is not installed)."""
    source = config.data.source
    if not source.startswith("sklearn:"):
        source = _resolve(source, base)
    spaces = tuple(_resolve(s, base) if _looks_like_path(s) else s for s in config.search.spaces)
    update: dict[str, Any] = {
        "data": config.data.model_copy(update={"source": source}),
        "search": config.search.model_copy(update={"spaces": spaces}),
    }
    if config.pipeline is not None:
        folder = _resolve(config.pipeline.path or ".", base)
        update["pipeline"] = config.pipeline.model_copy(update={"path": folder})
    return config.model_copy(update=update)


def with_overrides(
    config: SweepConfig,
    *,
    trials: int | None = None,
    tracking_uri: str | None = None,
) -> SweepConfig:
    """Apply command-line overrides, re-validating the result."""
    raw = config.model_dump()
    if trials is not None:
        raw["search"]["trials"] = trials
    if tracking_uri is not None:
        raw["tracking"]["uri"] = tracking_uri
    return parse_sweep(raw=raw, path=Path("<command line>"))


def fully_resolved(config: SweepConfig, *, tracking_uri: str) -> SweepConfig:
    """The config with the defaults it ran with written out: the tracking URI (absolute),
    experiment, registered model name and primary metric. ``search.concurrency: auto``
    stays ``auto`` (a resume on a larger cluster uses it all); the number used is in
    ``sweep.json``."""
    raw = config.model_dump()
    raw["tracking"].update(
        uri=tracking_uri,
        experiment=config.experiment_name,
        registered_model=config.registered_model_name,
    )
    raw["metrics"]["primary"] = config.primary_metric
    return parse_sweep(raw=raw, path=Path("<resolved>"))
