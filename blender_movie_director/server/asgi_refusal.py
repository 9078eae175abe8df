"""An ASGI middleware's refusal: an HTTP answer whose body is our typed error (protocol.encode_error),
which the Python client and raw HTTP callers decode alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..common import protocol
from ..common.errors import DirectorError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def send_refusal(send: Send, status: int, error: DirectorError,
                       headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    body = protocol.encode_error(error).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
