"""store/ (the unit of resume on disk: files, typed state) and tune/progress.py (the display)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

import hpsearch.store.paths as sweepdir
import hpsearch.store.state as state_module
import hpsearch.tune.progress as progress_module
from hpsearch.errors import BadInputError
from hpsearch.status import SweepStatus
from hpsearch.store.files import append_jsonl, current_umask, read_jsonl, write_json_atomic
from hpsearch.store.paths import SweepPaths, create_sweep_dir, open_sweep_dir
from hpsearch.store.state import SCHEMA_VERSION, SweepState, read_state, save_state
from hpsearch.tune.progress import Progress, ProgressLine

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# ----------------------------------------------------------------------------- sweep dirs


def test_create_sweep_dir_unique_within_one_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweepdir, "utc_now", lambda: FIXED)
    storage = tmp_path / "sweeps"  # created on demand

    made = [create_sweep_dir(storage=storage, name="credit") for _ in range(3)]

    names = [p.root.name for p in made]
    assert names == [
        "credit-20260102-030405",
        "credit-20260102-030405-1",
        "credit-20260102-030405-2",
    ]
    assert all(p.root.is_dir() and p.root.parent == storage.resolve() for p in made)


def test_create_sweep_dir_real_clock_gives_distinct_dirs(tmp_path: Path) -> None:
    a = create_sweep_dir(storage=tmp_path, name="x")
    b = create_sweep_dir(storage=tmp_path, name="x")
    assert a.root != b.root
    assert a.root.name.startswith("x-") and b.root.name.startswith("x-")


def test_create_sweep_dir_relative_storage_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paths = create_sweep_dir(storage=Path("rel"), name="n")
    assert paths.root.is_absolute()
    assert paths.root.parent == (tmp_path / "rel").resolve()


def test_sweep_paths_layout(tmp_path: Path) -> None:
    paths = SweepPaths(root=tmp_path)
    assert paths.state == tmp_path / "sweep.json"
    assert paths.config == tmp_path / "config.yaml"
    assert paths.trials == tmp_path / "trials.jsonl"
    assert paths.model_card == tmp_path / "model_card.md"
    assert paths.leaderboard == tmp_path / "leaderboard.csv"


def test_write_json_atomic_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    write_json_atomic(target, {"b": 1, "a": [1, 2], "when": FIXED})
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "a": [1, 2],
        "b": 1,
        "when": str(FIXED),  # default=str for non-JSON values
    }
    write_json_atomic(target, {"c": 3})
    assert json.loads(target.read_text(encoding="utf-8")) == {"c": 3}
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]  # no temp files


def test_write_json_atomic_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_json_atomic(target, {"ok": True})
    with pytest.raises(TypeError):
        write_json_atomic(target, {1: "a", "b": 2})  # keys of mixed types cannot be sorted
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": True}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def _state(**changes: object) -> SweepState:
    values: dict[str, object] = {
        "name": "s",
        "status": SweepStatus.RUNNING,
        "created_at": FIXED.isoformat(),
        "primary_metric": "roc_auc",
        "mode": "max",
        "tracking_uri": "sqlite:////tmp/m.db",
        "experiment": "s",
        "parent_run_id": "abc",
        "trials": 10,
        "seed": 0,
    }
    values.update(changes)
    return SweepState(**values)  # type: ignore[arg-type]


def test_save_state_writes_every_field_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_module, "utc_now", lambda: FIXED)
    paths = SweepPaths(root=tmp_path)

    first = save_state(paths, _state())
    second = save_state(paths, replace(first, status=SweepStatus.COMPLETED, trials_finished=12))

    on_disk = json.loads(paths.state.read_text(encoding="utf-8"))
    assert on_disk["status"] == "completed" and on_disk["trials_finished"] == 12
    assert on_disk["parent_run_id"] == "abc" and on_disk["updated"] == FIXED.isoformat()
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert read_state(paths) == second
    assert first.status == SweepStatus.RUNNING  # frozen: the first state is unchanged


def test_a_0_1_sweep_json_reads_with_defaults(tmp_path: Path) -> None:
    paths = SweepPaths(root=tmp_path)
    legacy = {k: v for k, v in _state().to_json().items() if k not in ("schema_version", "pid")}
    legacy["excluded_trials"] = ["t1"]
    paths.state.write_text(json.dumps(legacy), encoding="utf-8")

    state = read_state(paths)
    assert state.status is SweepStatus.RUNNING and state.pid is None
    assert state.excluded_trials == ("t1",) and state.schema_version == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    paths = SweepPaths(root=tmp_path)
    paths.state.write_text(json.dumps({**_state().to_json(), "schema_version": 99}))
    with pytest.raises(BadInputError, match=r"schema_version 99, newer .* Fix: upgrade hpsearch"):
        read_state(paths)


def test_a_sweep_json_that_is_not_json_is_bad_input(tmp_path: Path) -> None:
    paths = SweepPaths(root=tmp_path)
    paths.state.write_text('{"name": "s", "sta')
    with pytest.raises(BadInputError, match="cannot be read"):
        read_state(paths)


def test_a_torn_line_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "trials.jsonl"
    append_jsonl(path, {"trial": 1})
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"trial": 2, "sco')
    with caplog.at_level("WARNING"):
        assert list(read_jsonl(path)) == [{"trial": 1}]
    assert "line 2 is torn" in caplog.text and "runs again on resume" in caplog.text


def test_read_jsonl_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "trials.jsonl"
    append_jsonl(path, {"trial": 1, "score": 0.5})
    append_jsonl(path, {"trial": 2, "score": 0.7})
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"trial": 3, "sco')  # killed mid-write

    assert list(read_jsonl(path)) == [{"score": 0.5, "trial": 1}, {"score": 0.7, "trial": 2}]


def test_record_appended_after_a_torn_line_survives(tmp_path: Path) -> None:
    path = tmp_path / "trials.jsonl"
    append_jsonl(path, {"trial": 1})
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"trial": 2, "sco')  # the driver was killed mid-write
    append_jsonl(path, {"trial": 3})  # the resumed sweep records its next trial

    assert list(read_jsonl(path)) == [{"trial": 1}, {"trial": 3}]


def test_read_jsonl_missing_file_is_empty(tmp_path: Path) -> None:
    assert list(read_jsonl(tmp_path / "none.jsonl")) == []


def test_open_sweep_dir_on_a_non_sweep_dir(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"is not a sweep directory \(no sweep.json inside\)"):
        open_sweep_dir(tmp_path)
    with pytest.raises(BadInputError, match="missing"):
        open_sweep_dir(tmp_path / "missing")


def test_open_sweep_dir_on_a_sweep_dir(tmp_path: Path) -> None:
    made = create_sweep_dir(storage=tmp_path, name="s")
    save_state(made, _state())
    opened = open_sweep_dir(made.root)
    assert opened == made
    assert read_state(opened).status == "running"


# ----------------------------------------------------------------------------- progress


def _progress(**changes: object) -> Progress:
    values: dict[str, object] = {
        "total": 10,
        "completed": 3,
        "pruned": 1,
        "failed": 1,
        "running": 2,
        "best": 0.912345,
        "metric": "roc_auc",
        "elapsed_s": 125.0,
    }
    values.update(changes)
    return Progress(**values)  # type: ignore[arg-type]


def test_render_counts_and_eta() -> None:
    p = _progress()
    assert p.done == 5
    assert p.eta_s == pytest.approx(125.0)  # 25 s per trial, 5 to go
    assert p.render() == (
        "trials 5/10 done (3 ok, 1 pruned, 1 failed), 2 running | best roc_auc 0.9123 | "
        "elapsed 2m05s | ETA 2m05s"
    )


def test_render_short_durations_and_uneven_eta() -> None:
    p = _progress(total=8, completed=2, pruned=0, failed=1, elapsed_s=45.0)
    assert p.eta_s == pytest.approx(75.0)  # 15 s per trial, 5 to go
    assert p.render().endswith("| elapsed 45s | ETA 1m15s")


def test_render_without_done_trials_or_best() -> None:
    p = _progress(completed=0, pruned=0, failed=0, running=4, best=None, elapsed_s=3.0)
    assert p.eta_s is None
    assert p.render() == (
        "trials 0/10 done (0 ok, 0 pruned, 0 failed), 4 running | best roc_auc - | "
        "elapsed 3s | ETA -"
    )


def test_render_when_finished_has_no_eta() -> None:
    p = _progress(completed=8, pruned=1, failed=1, running=0, elapsed_s=600.0)
    assert p.eta_s is None
    assert p.render().endswith("| elapsed 10m00s | ETA -")


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def monotonic(self) -> float:
        return self.now


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln.split(" done")[0] for ln in capsys.readouterr().err.splitlines()]


def test_progress_line_rate_limits_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(start=5000.0)
    monkeypatch.setattr(progress_module, "time", clock)
    line = ProgressLine(interval_s=10.0)

    line.update(_progress(completed=1, pruned=0, failed=0))  # first: printed
    clock.now += 3
    line.update(_progress(completed=1, pruned=0, failed=0, running=3))  # nothing done: skipped
    clock.now += 10
    line.update(_progress(completed=1, pruned=0, failed=0, running=1))  # 13 s, new: printed
    clock.now += 1
    line.update(_progress(completed=2, pruned=0, failed=0))  # a tenth more done: printed
    line.update(_progress(completed=10, pruned=0, failed=0))  # finished: printed
    line.update(_progress(completed=10, pruned=0, failed=0))  # the end again: not twice
    line.close()

    assert _lines(capsys) == ["trials 1/10", "trials 1/10", "trials 2/10", "trials 10/10"]


def test_progress_line_in_a_log_every_tenth_of_the_budget(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(start=100.0)
    monkeypatch.setattr(progress_module, "time", clock)
    line = ProgressLine(interval_s=15.0)
    for done in range(61):  # a 60-trial sweep, a trial every 0.5 s
        line.update(_progress(total=60, completed=done, pruned=0, failed=0, running=2))
        clock.now += 0.5
    line.update(_progress(total=60, completed=60, pruned=0, failed=0, running=0))
    assert _lines(capsys) == [f"trials {n}/60" for n in range(0, 61, 6)]


def test_progress_line_prints_the_first_update_soon_after_boot(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "time", FakeClock(start=4.0))
    line = ProgressLine(interval_s=10.0)
    line.update(_progress(completed=1, pruned=0, failed=0))
    assert _lines(capsys) == ["trials 1/10"]


def test_progress_line_disabled_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    line = ProgressLine(enabled=False)
    line.update(_progress())
    line.close()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_atomic_json_honours_the_umask(tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        assert current_umask() == mask
        write_json_atomic(tmp_path / "state.json", {"a": 1})
        write_json_atomic(tmp_path / "state.json", {"a": 2})  # the replace keeps the mode
    finally:
        os.umask(previous)
    assert (tmp_path / "state.json").stat().st_mode & 0o777 == 0o666 & ~mask
