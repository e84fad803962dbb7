"""`hpsearch submit` and `hpsearch job`: the same sweep file, run as a Ray job on a cluster.

The sweep file, its search-space files and (when small) its local data file are staged into
a working directory shipped with the job; the entrypoint runs ``python -m hpsearch.cli run``
on the head node with the cluster's interpreter. The job is submitted with
``RAY_JOB_STOP_SIGNAL=SIGINT`` and a stop wait time, so ``hpsearch job stop`` lets the
sweep save its resumable state (Ray sends SIGTERM and kills after 3 s otherwise).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from hpsearch.config import SweepConfig, load_sweep
from hpsearch.config.credentials import check_no_credentials
from hpsearch.errors import BadInputError
from hpsearch.spaces.factory import PipelineFactory, module_location

STOP_WAIT_S = 90
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
DEFAULT_CLUSTER_STORAGE = "~/hpsearch/sweeps"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
CODE_DIR = "code"  # the sweep's own pipeline module, in the job's working dir


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    status: str
    exit_code: int
    message: str


def auth_headers() -> dict[str, str]:
    """Bearer token for clusters with Ray token authentication, when one is available.

    Looked up in ``RAY_AUTH_TOKEN``, then the file named by ``RAY_AUTH_TOKEN_PATH``, then
    ``~/.ray/auth_token``. Clusters without token authentication ignore the header.
    """
    token = os.environ.get("RAY_AUTH_TOKEN", "").strip()
    if not token:
        path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH", "~/.ray/auth_token")).expanduser()
        if path.is_file():
            token = path.read_text(encoding="utf-8").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def job_client(address: str) -> Any:
    """A ``JobSubmissionClient`` for ``http://HEAD:8265`` (token header attached)."""
    from ray.exceptions import AuthenticationError
    from ray.job_submission import JobSubmissionClient

    if not address.startswith(("http://", "https://")):
        raise BadInputError(
            f"--address {address!r} must be the Ray dashboard URL, e.g. http://HEAD:8265"
        )
    try:
        return JobSubmissionClient(address, headers=auth_headers())
    except AuthenticationError as exc:
        raise BadInputError(
            f"the Ray Jobs API at {address} uses token authentication and refused this client: "
            f"{str(exc).splitlines()[0]}. Fix: make the cluster's token available as "
            "RAY_AUTH_TOKEN, in the file RAY_AUTH_TOKEN_PATH names, or in ~/.ray/auth_token."
        ) from None
    except (ConnectionError, RuntimeError) as exc:
        raise BadInputError(
            f"cannot reach the Ray Jobs API at {address}: {exc}. Fix: check the address and "
            "that the cluster's dashboard is running (ray start --head --include-dashboard)."
        ) from None


def _is_loopback(address: str) -> bool:
    return (urlparse(address).hostname or "") in LOOPBACK


def check_tracking(*, uri: str | None, address: str) -> str:
    """A cluster sweep logs to an MLflow server: refuse a local store before submitting.

    Credentials stay out of the URI (it is the job's entrypoint, stored in the job's info):
    the job's driver reads them from the head node's environment."""
    if uri:
        try:
            check_no_credentials(uri)
        except ValueError as exc:
            raise BadInputError(f"--tracking-uri: {exc}.") from None
    if uri and uri.startswith(("http://", "https://", "databricks")):
        return uri
    if _is_loopback(address) and uri:
        return uri
    raise BadInputError(
        f"tracking.uri {uri or '(default sqlite:///mlflow.db)'!r} is a local store, but the "
        f"sweep runs on the cluster at {address}: its runs would land on the head node's disk, "
        "out of your reach. Fix: start an MLflow server on the head (see cluster/README.md) and "
        "pass --tracking-uri http://HEAD:5000 or set tracking.uri in the sweep file."
    )


def _stage_data(*, source: str, staging: Path, upload: bool) -> str:
    if source.startswith("sklearn:") or not upload:
        return source
    path = Path(source)
    if not path.is_file():
        raise BadInputError(
            f"data.source {source} does not exist here, so it cannot be shipped with the job. "
            "Fix: correct the path, or pass --no-upload-data if it exists on the cluster."
        )
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise BadInputError(
            f"data.source {source} is {path.stat().st_size // 2**20} MiB, above the "
            f"{MAX_UPLOAD_BYTES // 2**20} MiB that is shipped with a job. Fix: put it on "
            "storage the cluster can read and pass --no-upload-data with that path."
        )
    (staging / "data").mkdir(exist_ok=True)
    shutil.copyfile(path, staging / "data" / path.name)
    return f"data/{path.name}"


def _stage_code(*, config: SweepConfig, staging: Path) -> None:
    """The sweep's own pipeline module (its top-level package or file) into ``code/``."""
    assert config.pipeline is not None
    source = module_location(
        PipelineFactory(reference=config.pipeline.factory, path=config.pipeline.path)
    )
    if source.is_dir():
        shutil.copytree(
            source, staging / CODE_DIR / source.name, ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        # Ray's job client uploads py_modules entries as directories only (2.60: "must be an
        # existing directory" for a .py file), so a one-file module ships as a package of
        # the same name whose __init__ is the file: ``import name`` and pickles match.
        package = staging / CODE_DIR / source.stem
        package.mkdir(parents=True)
        shutil.copyfile(source, package / "__init__.py")


def staged_code(staging: Path) -> list[str]:
    """What ``code/`` holds: shipped to every worker of the job as Ray ``py_modules``, so
    trial actors on every node import the pipeline module (the working dir reaches the
    driver only, ``compat/ray_job.py``)."""
    folder = staging / CODE_DIR
    return sorted(str(p) for p in folder.iterdir()) if folder.is_dir() else []


def stage_sweep(*, config: SweepConfig, upload_data: bool) -> Path:
    """A working directory holding the sweep file, its space files, the data file and the
    sweep's own pipeline module."""
    staging = Path(tempfile.mkdtemp(prefix="hpsearch-job-"))
    raw = config.model_dump(mode="json")
    raw["data"]["source"] = _stage_data(
        source=config.data.source, staging=staging, upload=upload_data
    )
    spaces = []
    for entry in config.search.spaces:
        if Path(entry).is_absolute():
            (staging / "spaces").mkdir(exist_ok=True)
            shutil.copyfile(entry, staging / "spaces" / Path(entry).name)
            spaces.append(f"spaces/{Path(entry).name}")
        else:
            spaces.append(entry)
    raw["search"]["spaces"] = spaces
    if config.pipeline is not None:
        raw["pipeline"] = {"factory": config.pipeline.factory, "path": CODE_DIR}
        _stage_code(config=config, staging=staging)
    (staging / "sweep.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return staging


def _runtime_env(working_dir: Path | None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "env_vars": {
            "RAY_JOB_STOP_SIGNAL": "SIGINT",
            "RAY_JOB_STOP_WAIT_TIME_S": str(STOP_WAIT_S),
            "RAY_USAGE_STATS_ENABLED": "0",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONUNBUFFERED": "1",
        }
    }
    if working_dir is not None:
        env["working_dir"] = str(working_dir)
        if staged_code(working_dir):
            env["py_modules"] = staged_code(working_dir)
    return env


def submit_sweep(
    *,
    sweep_file: Path,
    address: str,
    storage: str | None,
    tracking_uri: str | None,
    trials: int | None,
    python: str,
    upload_data: bool,
) -> str:
    """Submit ``hpsearch run`` as a Ray job; return the job id."""
    config = load_sweep(sweep_file)
    uri = check_tracking(uri=tracking_uri or config.tracking.uri, address=address)
    staging = stage_sweep(config=config, upload_data=upload_data)
    args = [
        python, "-m", "hpsearch.cli", "run", "sweep.yaml",
        "--storage", storage or DEFAULT_CLUSTER_STORAGE,
        "--tracking-uri", uri, "--no-progress",
    ]  # fmt: skip
    if trials is not None:
        args += ["--trials", str(trials)]
    client = job_client(address)
    try:
        job_id: str = client.submit_job(
            entrypoint=shlex.join(args),
            runtime_env=_runtime_env(staging),
            metadata={"hpsearch.sweep": config.name},
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return job_id


def submit_resume(*, sweep_dir: str, address: str, python: str, trials: int | None) -> str:
    """Submit ``hpsearch resume SWEEP_DIR``; the directory must be readable by the head."""
    args = [python, "-m", "hpsearch.cli", "resume", sweep_dir, "--no-progress"]
    if trials is not None:
        args += ["--trials", str(trials)]
    job_id: str = job_client(address).submit_job(
        entrypoint=shlex.join(args),
        runtime_env=_runtime_env(None),
        metadata={"hpsearch.resume": sweep_dir},
    )
    return job_id


def job_outcome(*, address: str, job_id: str) -> JobOutcome:
    """Status and, once finished, the sweep's own exit code (the job's ``driver_exit_code``;
    a job stopped before its driver exited counts as interrupted, 130)."""
    info = job_client(address).get_job_info(job_id)
    status = str(info.status)
    message = info.message or ""
    driver_code = getattr(info, "driver_exit_code", None)
    if status == "SUCCEEDED":
        code = 0
    elif status in ("PENDING", "RUNNING"):
        code = -1
    elif driver_code is not None:
        code = int(driver_code)
    else:
        code = 130 if status == "STOPPED" else 1
    return JobOutcome(job_id=job_id, status=status, exit_code=code, message=message)


async def _follow(client: Any, job_id: str, sink: Any) -> None:
    async for chunk in client.tail_job_logs(job_id):
        sink(chunk)


def follow_logs(*, address: str, job_id: str, sink: Any) -> JobOutcome:
    """Stream a job's logs until it ends; return its outcome."""
    client = job_client(address)
    asyncio.run(_follow(client, job_id, sink))
    return job_outcome(address=address, job_id=job_id)


def job_logs(*, address: str, job_id: str) -> str:
    logs: str = job_client(address).get_job_logs(job_id)
    return logs


def stop_job(*, address: str, job_id: str) -> bool:
    stopped: bool = job_client(address).stop_job(job_id)
    return stopped
