"""Connections to the servers jobs were journalled on, when that is not the current Server URL (the user
changed it since, or reopened a project made against another server): such a job is asked about, fetched
or followed, and cancelled, on the server that has it, instead of waiting for a server that never will.

Used by the job manager's worker thread only. No bpy here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..client.wan2gp_client import Wan2GPClient
from ..common.errors import DirectorError

FIRST_PAUSE_SECONDS = 2.0  # a recorded server that did not answer is tried again after this pause,
MAX_PAUSE_SECONDS = 30.0  # doubled each time up to this (a connect to a silent host holds the worker)


class RecordedServers:
    def __init__(self, factory: Callable[[str], Wan2GPClient]) -> None:
        self._factory = factory  # the manager's: the same client id (a server shows a job to its sender only)
        self._clients: dict[str, Wan2GPClient] = {}
        self._next_try: dict[str, tuple[float, float]] = {}  # url: (monotonic time, pause after the next miss)

    def client_for(self, url: str) -> Wan2GPClient | None:
        """A connected client for `url`, or None while it does not answer (asked again after a pause)."""
        key = url.rstrip("/")
        client = self._clients.get(key)
        if client is not None and client.connected:
            return client
        not_before, pause = self._next_try.get(key, (0.0, FIRST_PAUSE_SECONDS))
        if time.monotonic() < not_before:
            return None
        client = client or self._factory(key)
        try:
            client.connect()
        except DirectorError:
            client.close()
            self._clients.pop(key, None)
            self._next_try[key] = (time.monotonic() + pause, min(pause * 2, MAX_PAUSE_SECONDS))
            return None
        self._next_try.pop(key, None)
        self._clients[key] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def same_server(url: str, other: str) -> bool:
    return url.rstrip("/") == other.rstrip("/")
