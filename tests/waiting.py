"""Waiting in tests: poll a condition until it holds, with a deadline that fails the test clearly."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.02,
               explain: Callable[[], str] | None = None) -> float:
    """Poll `predicate` until it is true; returns the seconds it took. Fails the test after `timeout`
    (saying what `explain` says about the state then)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}"
                                 + (f"\n{explain()}" if explain is not None else ""))
        time.sleep(interval)
    return time.monotonic() - started
