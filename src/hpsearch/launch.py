"""Seconds since this process started: the clock of the start-up timeline (``--verbose``)."""

from __future__ import annotations

import time

import psutil


def seconds_since_launch() -> float:
    """Wall seconds since the operating system started this process."""
    return time.time() - psutil.Process().create_time()
