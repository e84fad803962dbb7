"""Optuna's console output while hpsearch runs its own studies."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import optuna


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """No INFO lines ("A new study created", "Trial N finished") and no
    ExperimentalWarning (``group=True``) from Optuna while the block runs: hpsearch shows
    its own progress. Optuna's verbosity is put back afterwards, so a caller's own studies
    keep theirs."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)
