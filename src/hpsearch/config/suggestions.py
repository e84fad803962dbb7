""" "Did you mean" for a misspelt key, family or metric name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to ``name`` when one is close enough to be a typo."""
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'search'?`` (with its leading space), or ``""`` when nothing is close."""
    near = closest(name, choices)
    return f" Did you mean {near!r}?" if near else ""
