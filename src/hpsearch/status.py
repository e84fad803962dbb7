"""The statuses of a trial and of a sweep: one definition each, used everywhere.

Both are ``StrEnum``: a member equals its string (``TrialStatus.COMPLETED == "completed"``)
and is written to JSON, MLflow tags and Ray results as that string, so files written
before these enums existed read back unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class TrialStatus(StrEnum):
    """Where one trial stands. Only ``COMPLETED`` trials (every fold) may be selected."""

    RUNNING = "running"
    COMPLETED = "completed"
    PRUNED = "pruned"
    FAILED = "failed"


class SweepStatus(StrEnum):
    """Where one sweep stands (``sweep.json``'s ``status``)."""

    RUNNING = "running"
    INTERRUPTED = "interrupted"
    COMPLETED = "completed"
    FAILED_VALIDATION = "failed_validation"
    LEAKAGE = "leakage_gate"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """How ``hpsearch ls`` shows it."""
        return _LABELS[self]

    @property
    def finished(self) -> bool:
        """The search and the selection both ran to the end."""
        return self in (SweepStatus.COMPLETED, SweepStatus.FAILED_VALIDATION)


_LABELS = {
    SweepStatus.RUNNING: "running",
    SweepStatus.INTERRUPTED: "interrupted",
    SweepStatus.COMPLETED: "completed",
    SweepStatus.FAILED_VALIDATION: "failed validation",
    SweepStatus.LEAKAGE: "failed leakage gate",
    SweepStatus.FAILED: "failed",
}
