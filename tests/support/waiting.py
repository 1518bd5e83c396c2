"""Waiting on a condition with a timeout, for conditions the sandbox cannot signal (e.g. a
database row): checked often, never a fixed sleep standing in for the condition."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g}s")
        time.sleep(0.02)
