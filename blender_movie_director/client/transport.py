"""Talking to the server over HTTP: the fast health probe, the gradio client, and turning
transport exceptions into our typed errors. gradio_client and httpx are imported lazily so that
importing the client module stays cheap (Blender imports it at start-up).
"""

from __future__ import annotations

import os
from typing import Any

from ..common import hints
from ..common.errors import LoginError, ServerUnavailableError

STREAM_READ_SECONDS = 60.0  # gradio's queue stream is silent no longer than its 15 s heartbeat
CONNECT_SECONDS = 10.0


def probe(url: str, timeout: float, *, logged_in: bool = False) -> int:
    """A separate short request that tells 'nobody there' or 'hung' fast; returns the HTTP status.

    gradio's own requests only have a long read timeout (see open_gradio_client), which would not tell a
    hung server within seconds: this probe carries the short deadline.
    """
    import httpx

    try:
        response = httpx.get(f"{url}/config", timeout=timeout, follow_redirects=True, verify=verify_certificates(url))
    except httpx.HTTPError as exc:
        raise _unreachable(url, timeout, exc) or ServerUnavailableError(url, f"{type(exc).__name__}: {exc}") from None
    if response.status_code in (401, 403):
        if not logged_in:
            raise LoginError(url, "This server needs a login", hint=hints.hint("login"))
    elif response.status_code >= 400:
        raise ServerUnavailableError(url, f"HTTP {response.status_code} from /config",
                                     hint="check the URL: it should be the Director server's address")
    return response.status_code


def _unreachable(url: str, timeout: float, exc: Exception) -> ServerUnavailableError | None:
    """Nobody there, or somebody who does not answer in time: the typed error (None for other failures)."""
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return ServerUnavailableError(url, f"connection refused: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return ServerUnavailableError(
            url, f"it accepted the connection but did not answer within {timeout:g} s",
            hint="the server may be hung or overloaded: " + hints.hint("restart_server"))
    return None


def verify_certificates(url: str) -> bool:
    """Certificates are checked on https; plain http has none to check, and building httpx's default
    TLS context (loading the CA bundle) costs 15–20 ms per request."""
    return not url.lower().startswith("http://")


def quick_status(url: str, timeout: float, headers: dict[str, str]) -> str | None:
    """The server's /server_status in one plain POST (a server of this version offers it unqueued), which
    also tells 'nobody there' or 'hung' as fast as `probe`. None when this server does not offer it
    that way (an older one, one that needs a login, not a Director server): connect the long way."""
    import httpx

    try:
        response = httpx.post(f"{url}/gradio_api/run/server_status", json={"data": []}, headers=headers,
                              timeout=timeout, verify=verify_certificates(url))
    except httpx.HTTPError as exc:
        unreachable = _unreachable(url, timeout, exc)
        if unreachable is not None:
            raise unreachable from None
        return None  # answered, but not this way: connect the long way
    if response.status_code != 200:
        return None
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], str) else None


def open_gradio_client(url: str, *, auth: tuple[str, str] | None, headers: dict[str, str] | None) -> Any:
    """gradio_client.Client with telemetry off, no chatter on stdout, a read timeout on its requests, and
    no downloads of its own (files come through client/clip_download.py)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # the constructor flag alone does not stop it
    import httpx
    from gradio_client import Client

    # Without a read timeout, gradio's stream reader waits on a hung (paused) server for ever, and its
    # executor thread is joined at interpreter exit: a script would never end. The queue's stream sends
    # a heartbeat every 15 s however long a job is silent, so a read timeout of four missed heartbeats
    # never cuts a live job. It is per read, not per request: a long job or a big download is not cut.
    timeout = httpx.Timeout(STREAM_READ_SECONDS, connect=CONNECT_SECONDS)
    try:
        return Client(url, verbose=False, download_files=False, auth=auth, headers=headers,
                      analytics_enabled=False, ssl_verify=verify_certificates(url), httpx_kwargs={"timeout": timeout})
    except Exception as exc:  # gradio raises ValueError/httpx errors of many shapes here
        if auth is not None and "could not login" in str(exc).lower():
            raise LoginError(url, "The server refused this user and password", hint=hints.hint("wrong_login")) from None
        raise ServerUnavailableError(url, f"{type(exc).__name__}: {exc}") from None


def is_transport_error(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, (httpx.HTTPError, ConnectionError, OSError))
