"""Cancels the server has not heard yet: a job the client gave up on (it stalled, the user cancelled it
while the server was unreachable, crash recovery found it cancelled, a placeholder was deleted, a
lost attempt is sent again) is cancelled on the server as soon as it answers, so the GPU is freed.

Delivered off the worker's loop (a hung server must not hold the other jobs up), one batch at a
time; each entry is kept until the server answers about it, or until it is `keep_seconds` old.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..common.errors import DirectorError, TransportError

RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class PendingCancel:
    server_url: str
    server_job_id: str
    since: float


class ServerCancels:
    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self._lock = threading.Lock()
        self._pending: dict[str, PendingCancel] = {}
        self._busy = False
        self._next_try = 0.0
        self.delivered: list[str] = []  # server job ids the server acknowledged (tests and the log)

    def add(self, server_url: str, server_job_id: str) -> None:
        if not server_job_id:
            return
        with self._lock:
            self._pending.setdefault(server_job_id, PendingCancel(server_url, server_job_id, time.monotonic()))

    def pending(self) -> list[PendingCancel]:
        with self._lock:
            return list(self._pending.values())

    def deliver(self, cancel: Callable[[PendingCancel], object]) -> None:
        """Send the pending cancels on a short-lived thread (none if one is still at it); `cancel`
        raises TransportError while the server is unreachable (the entry is kept for the next try)."""
        now = time.monotonic()
        with self._lock:
            for key, entry in list(self._pending.items()):
                if now - entry.since > self.keep_seconds:
                    del self._pending[key]
            if self._busy or not self._pending or now < self._next_try:
                return
            self._busy = True
            batch = list(self._pending.values())
        threading.Thread(target=self._send, args=(batch, cancel), name="bmd-server-cancels", daemon=True).start()

    def _send(self, batch: list[PendingCancel], cancel: Callable[[PendingCancel], object]) -> None:
        try:
            for entry in batch:
                try:
                    cancel(entry)
                except TransportError:
                    with self._lock:
                        self._next_try = time.monotonic() + RETRY_SECONDS
                    return  # unreachable: the rest wait for the next try too
                except DirectorError:
                    pass  # refused (not this client's, or not a job id): nothing more to do about it
                with self._lock:
                    self._pending.pop(entry.server_job_id, None)
                    self.delivered.append(entry.server_job_id)
        finally:
            with self._lock:
                self._busy = False
