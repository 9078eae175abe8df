"""When to try the server again after it stopped answering: backoff from 0.25 s doubling to 2 s, and
how long it has been down (unsent jobs wait out a restart for a grace period, then fail)."""

from __future__ import annotations

import time


class Reconnect:
    FIRST_PAUSE = 0.25
    LONGEST_PAUSE = 2.0

    def __init__(self) -> None:
        self.down_since: float | None = None  # monotonic time the server was first found unreachable
        self._failures = 0
        self._next_try = 0.0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def may_try(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self._next_try

    def failed(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.down_since = self.down_since or now
        self._failures += 1
        self._next_try = now + min(self.LONGEST_PAUSE, self.FIRST_PAUSE * 2 ** (self._failures - 1))

    def mark_down(self) -> None:
        """A running job lost its connection: reconnect before sending anything else."""
        self.down_since = self.down_since or time.monotonic()

    def succeeded(self) -> None:
        self.down_since, self._failures, self._next_try = None, 0, 0.0

    def down_for(self, now: float | None = None) -> float:
        if self.down_since is None:
            return 0.0
        return (time.monotonic() if now is None else now) - self.down_since
