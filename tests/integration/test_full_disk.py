"""A sweep directory on a disk that fills up mid-sweep: a clear message, exit 130, every
recorded line whole, and a resume (after freeing space) that completes the budget exactly.

The disk is a real 64 MB tmpfs mounted for the test (root, or a mount namespace, needed)."""

from __future__ import annotations

import errno
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from processes import hpsearch, start, sweep_dir, wait_for_records

from factories import write_sweep

pytestmark = pytest.mark.integration
TRIALS = 16


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(disk: Path) -> Path:
    """Write zeros until the device refuses (ENOSPC): the disk is then really full."""
    filler = disk / "filler"
    block = b"\0" * (1 << 20)
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk_stops_cleanly_and_resumes(tmp_path: Path, small_disk: Path) -> None:
    sweep = write_sweep(
        tmp_path / "sweep.yaml",
        name="full",
        cv={"folds": 3},
        search={"spaces": ["random_forest"], "trials": TRIALS, "early_stopping": False},
        thresholds={},
        tracking={"experiment": "full"},
    )
    storage = small_disk / "sweeps"
    proc = start(tmp_path, "run", str(sweep), "--no-progress", "--storage", str(storage))
    wait_for_records(storage, 3, proc, limit=300)
    filler = _fill(small_disk)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, out + err
    assert "no space left" in (out + err).lower()
    assert "Traceback" not in out + err
    folder = sweep_dir(storage)
    lines = (folder / "trials.jsonl").read_text().splitlines()
    recorded = [json.loads(line) for line in lines]  # every line whole
    assert 3 <= len(recorded) < TRIALS

    filler.unlink()
    resumed = hpsearch(tmp_path, "resume", str(folder), "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    ids = [
        json.loads(line)["trial_id"] for line in (folder / "trials.jsonl").read_text().splitlines()
    ]
    assert len(ids) == len(set(ids)) == TRIALS
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("full")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert sorted(r.data.tags["hpsearch.trial_id"] for r in children) == sorted(ids)
    assert json.loads((folder / "sweep.json").read_text())["status"] == "completed"
