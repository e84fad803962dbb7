"""Tracking URIs: MLflow 3's default SQLite store, every path made absolute."""

from __future__ import annotations

from pathlib import Path


def default_tracking_uri(cwd: Path | None = None) -> str:
    """MLflow 3's own default: a SQLite file in the working directory, made absolute."""
    return f"sqlite:///{((cwd or Path.cwd()) / 'mlflow.db').resolve()}"


def resolve_tracking_uri(uri: str | None, *, base: Path | None = None) -> str:
    """An absolute URI: trials chdir, so a relative SQLite path would break."""
    if not uri:
        return default_tracking_uri(base)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        relative = uri.removeprefix("sqlite:///")
        return f"sqlite:///{((base or Path.cwd()) / relative).resolve()}"
    if "://" not in uri:
        return (base or Path.cwd()).joinpath(uri).resolve().as_uri()
    return uri


def artifact_root(uri: str) -> str | None:
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").as_uri()
    return None
