"""Errors that map to the command-line exit codes of DESIGN.md."""

from __future__ import annotations

EXIT_OK = 0
EXIT_TOO_MANY_FAILURES = 1
EXIT_BAD_INPUT = 2
EXIT_LEAKAGE = 3
EXIT_VALIDATION_FAILED = 4
EXIT_INTERRUPTED = 130


class HpsearchError(Exception):
    """Base class: an error the CLI reports as one clear message and an exit code."""

    exit_code: int = 1


class BadInputError(HpsearchError, ValueError):
    """Bad config, data or search space: exit code 2, raised before any trial starts."""

    exit_code = EXIT_BAD_INPUT


class LeakageError(HpsearchError):
    """The leakage gate found an error-level finding: exit code 3."""

    exit_code = EXIT_LEAKAGE


class TrialError(HpsearchError):
    """A trial failed (a fold raised); carries the fold index for the child run."""


class SweepInterrupted(HpsearchError):
    """The user (or the cluster) stopped the sweep; it is resumable."""

    exit_code = EXIT_INTERRUPTED


class NoSelectableTrialError(HpsearchError):
    """No trial completed every fold: nothing can be selected."""

    exit_code = EXIT_TOO_MANY_FAILURES


class IncompatibleVersionError(HpsearchError):
    """An installed package is not one whose internals hpsearch knows (``hpsearch.compat``)."""

    exit_code = EXIT_BAD_INPUT


class TrackingUnavailableError(HpsearchError):
    """The MLflow tracking store cannot be reached (or written) before a sweep starts: exit 2.

    In the middle of a sweep the same cause ends it interrupted (130) and resumable."""

    exit_code = EXIT_BAD_INPUT
