"""Version guards: the installed version must be in the range a patch was written for."""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from hpsearch.errors import IncompatibleVersionError


@functools.cache
def _installed(distribution: str) -> str:
    """``importlib.metadata.version`` (about 2 ms a call here): read once per process."""
    return metadata.version(distribution)


def require_version(*, distribution: str, known: str, purpose: str) -> str:
    """The installed version of ``distribution``; raise when it is outside ``known``."""
    try:
        installed = _installed(distribution)
    except metadata.PackageNotFoundError:
        raise IncompatibleVersionError(
            f"{distribution} is not installed, but hpsearch needs it ({purpose}). "
            f"Fix: install {distribution}{known} (make install does)."
        ) from None
    if Version(installed) not in SpecifierSet(known):
        raise IncompatibleVersionError(
            f"{distribution} {installed} is installed, but hpsearch's {purpose} is written "
            f"for {distribution}{known}. Fix: install a version in that range "
            "(the pinned requirements.lock has one), or update hpsearch.compat for it."
        )
    return installed


def require_attribute(owner: Any, name: str, *, distribution: str, known: str, purpose: str) -> Any:
    """``getattr(owner, name)``; raise when the version's internals lack it."""
    installed = require_version(distribution=distribution, known=known, purpose=purpose)
    value = getattr(owner, name, None)
    if value is None:
        where = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner))
        raise IncompatibleVersionError(
            f"{distribution} {installed} has no {where}.{name}, which hpsearch's {purpose} "
            f"needs (written for {distribution}{known}). Fix: install a version in that range, "
            "or update hpsearch.compat for it."
        )
    return value
