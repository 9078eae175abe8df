"""Every socket operation made on the main thread: connect, send, receive and name lookups.

Wider than devtools/main_thread.py (connects and lookups only): a main thread that reads a reply
from an already open connection waits on the network just the same.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import traceback
from collections.abc import Iterator

_METHODS = ("connect", "connect_ex", "send", "sendall", "sendto", "sendfile", "recv", "recv_into", "recvfrom",
            "recvfrom_into", "accept")
_FUNCTIONS = ("getaddrinfo", "gethostbyname", "create_connection")


@contextlib.contextmanager
def main_thread_socket_calls() -> Iterator[list[str]]:
    """Records each socket operation on the main thread as "what from where" (a short stack)."""
    calls: list[str] = []
    saved_methods = {name: getattr(socket.socket, name) for name in _METHODS}
    saved_functions = {name: getattr(socket, name) for name in _FUNCTIONS}

    def record(what: str) -> None:
        if threading.current_thread() is threading.main_thread():
            where = traceback.extract_stack(limit=8)[:-3]
            calls.append(f"{what} from " + " < ".join(f"{f.name}:{f.lineno}" for f in reversed(where)))

    def watch(name: str, original):
        def watched(*args, **kwargs):
            record(name)
            return original(*args, **kwargs)

        return watched

    for name, original in saved_methods.items():
        setattr(socket.socket, name, watch(f"socket.{name}", original))
    for name, original in saved_functions.items():
        setattr(socket, name, watch(name, original))
    try:
        yield calls
    finally:
        for name, original in saved_methods.items():
            setattr(socket.socket, name, original)
        for name, original in saved_functions.items():
            setattr(socket, name, original)
