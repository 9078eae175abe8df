"""Who is calling: every job belongs to the client that sent it.

Each Director client (an add-on session, a CLI run, a script's Wan2GPClient) picks a random client id
and sends it with every call in the X-BMD-Client header (common/protocol.py). /generate records the
caller as the job's owner; /jobs lists and /cancel acts on the caller's own jobs only; /server_status
names the running job only to its owner. With a login on, the user name is part of the identity, so
two users never share one even if they picked the same id.
"""

from __future__ import annotations

import re
from typing import Any

from ..common.errors import InvalidRequestError
from ..common.protocol import CLIENT_ID_HEADER, CLIENT_ID_PATTERN

CLIENT_ID_HINT = (f"use the Director client (Wan2GPClient, the CLI or the add-on), or send a random id of 16–64 "
                  f"letters and digits in the {CLIENT_ID_HEADER} header with every call")


def client_of(request: Any) -> str:
    """The caller's identity from a gradio request, or InvalidRequestError("client_id")."""
    headers = getattr(request, "headers", None)
    try:
        value = headers.get(CLIENT_ID_HEADER.lower()) if headers is not None else None
    except Exception:  # a request object without usable headers
        value = None
    if not value:
        raise InvalidRequestError("client_id", f"this call carries no client id (the {CLIENT_ID_HEADER} header)",
                                  hint=CLIENT_ID_HINT)
    if not re.fullmatch(CLIENT_ID_PATTERN, value):
        raise InvalidRequestError("client_id", f"{value[:40]!r} is not a client id", hint=CLIENT_ID_HINT)
    user = getattr(request, "username", None)
    return f"{user}/{value}" if user else value


def client_or_none(request: Any) -> str | None:
    """The caller's identity, or None when the call carries none (calls that work without one)."""
    try:
        return client_of(request)
    except InvalidRequestError:
        return None
