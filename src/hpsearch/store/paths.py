"""The sweep directory: the unit of resume, and the files inside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hpsearch.errors import BadInputError


@dataclass(frozen=True)
class SweepPaths:
    """Where every artifact of one sweep lives."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def state(self) -> Path:
        return self.root / "sweep.json"

    @property
    def trials(self) -> Path:
        return self.root / "trials.jsonl"

    @property
    def tune(self) -> Path:
        return self.root / "tune"

    @property
    def leakage(self) -> Path:
        return self.root / "leakage_report.json"

    @property
    def holdout_ids(self) -> Path:
        return self.root / "holdout_ids.json"

    @property
    def spaces(self) -> Path:
        return self.root / "search_spaces"

    @property
    def leaderboard(self) -> Path:
        return self.root / "leaderboard.csv"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def model_card(self) -> Path:
        return self.root / "model_card.md"

    @property
    def packages(self) -> Path:
        return self.root / "packages.txt"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_sweep_dir(*, storage: Path, name: str) -> SweepPaths:
    """Make ``<storage>/<name>-<UTC timestamp>/``, unique even within one second."""
    storage = storage.resolve()
    storage.mkdir(parents=True, exist_ok=True)
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        suffix = "" if attempt == 0 else f"-{attempt}"
        root = storage / f"{name}-{stamp}{suffix}"
        try:
            root.mkdir()
        except FileExistsError:
            continue
        return SweepPaths(root=root)
    raise BadInputError(f"could not create a new sweep directory under {storage}")


def open_sweep_dir(path: str | Path) -> SweepPaths:
    """An existing sweep directory, or ``BadInputError`` saying what is wrong."""
    paths = SweepPaths(root=Path(path).resolve())
    if not paths.state.is_file():
        raise BadInputError(
            f"{str(path)!r} is not a sweep directory (no sweep.json inside). "
            "Fix: pass a directory listed by `hpsearch ls`."
        )
    return paths
