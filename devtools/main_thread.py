"""Watch for network work on the main thread: Blender's main thread must never open a socket."""

from __future__ import annotations

import contextlib
import socket
import threading
import traceback
from collections.abc import Iterator


@contextlib.contextmanager
def socket_calls_on_main_thread() -> Iterator[list[str]]:
    """Records (as short stack summaries) every socket connect and DNS lookup made on the main thread."""
    calls: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def record(what: str) -> None:
        if threading.current_thread() is threading.main_thread():
            where = traceback.extract_stack(limit=6)[:-2]
            calls.append(f"{what} from " + " < ".join(f"{f.name}:{f.lineno}" for f in reversed(where)))

    def watched_connect(self, address):
        record(f"connect {address}")
        return connect(self, address)

    def watched_lookup(*args, **kwargs):
        record(f"getaddrinfo {args[:2]}")
        return lookup(*args, **kwargs)

    socket.socket.connect = watched_connect  # type: ignore[method-assign]
    socket.getaddrinfo = watched_lookup
    try:
        yield calls
    finally:
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.getaddrinfo = lookup


@contextlib.contextmanager
def file_syncs_on_main_thread() -> Iterator[list[str]]:
    """Records (as short stack summaries) every os.fsync made on the main thread: each is a file written
    to disk and waited for (the journal's and the library's atomic rewrites fsync before renaming)."""
    import os

    calls: list[str] = []
    fsync = os.fsync

    def watched_fsync(fd):
        if threading.current_thread() is threading.main_thread():
            where = traceback.extract_stack(limit=12)[:-1]
            calls.append("fsync from " + " < ".join(f"{f.name}:{f.lineno}" for f in reversed(where)))
        return fsync(fd)

    os.fsync = watched_fsync
    try:
        yield calls
    finally:
        os.fsync = fsync
