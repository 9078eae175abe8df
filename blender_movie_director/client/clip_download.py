"""Fetching a file the server finished (a clip, an image, a sound): one plain HTTP GET of gradio's
file route, read in 1 MB pieces straight into a file of this client's download folder.

Why not gradio_client's own download: it hashes every byte in 8 KB pieces through httpx (a fifth of
a raw loopback copy's speed on a 500 MB clip), and it leaves an empty /tmp/<40 hex> folder behind per
file, plus the partial file of a download that broke. Here a broken download removes its partial
file and raises, so the caller can fetch the clip again from the server's result shelf.
"""

from __future__ import annotations

import http.client
import secrets
import ssl
import urllib.parse
from pathlib import Path
from typing import Any

READ_BYTES = 1 << 20
CONNECT_SECONDS = 10.0
READ_SECONDS = 60.0  # per read, like the job stream's: a slow but live download is never cut


class DownloadBroke(Exception):
    """The file did not arrive whole (refused, cut, not found, or the local disk would not take it)."""


def file_url(file_out: Any, api_root: str) -> str:
    """The URL of a file the server returned: gradio's FileData (a dict with 'path'), the {'video': …}
    shape of a gradio 5 Video output, or a bare server path. Built from the address this client uses,
    not the URL the server wrote into the reply (that one is what the server thinks its name is)."""
    return f"{api_root.rstrip('/')}/file={urllib.parse.quote(server_path(file_out), safe='/')}"


def server_path(file_out: Any) -> str:
    """The server-side path in gradio's file reply, whatever its shape."""
    if isinstance(file_out, dict):
        for key in ("path", "video", "name"):
            if isinstance(file_out.get(key), str):
                return str(file_out[key])
            if isinstance(file_out.get(key), dict):
                return server_path(file_out[key])
    if isinstance(file_out, str):
        return file_out
    raise ValueError(f"no file in the reply ({type(file_out).__name__})")


def download_file(url: str, folder: Path, *, headers: dict[str, str], cookies: dict[str, str] | None = None) -> Path:
    """GET `url` into a new file in `folder`; raises DownloadBroke with the reason (no partial file left)."""
    parts = urllib.parse.urlsplit(url)
    Path(folder).mkdir(parents=True, exist_ok=True)
    name = Path(urllib.parse.unquote(parts.path)).name or "download"
    target = Path(folder) / f"{secrets.token_hex(4)}-{name}"  # two fetches of one clip may overlap
    request_headers = dict(headers)
    if cookies:
        request_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    connection = _connection(parts)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=request_headers)
        response = connection.getresponse()
        if response.status != 200:
            raise DownloadBroke(f"HTTP {response.status} for {name}")
        expected = response.getheader("Content-Length")
        connection.sock.settimeout(READ_SECONDS)
        got = _save(response, target)
        if expected is not None and got != int(expected):
            raise DownloadBroke(f"{name}: {got} of {expected} bytes arrived")
    except DownloadBroke:
        target.unlink(missing_ok=True)
        raise
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, disk full
        target.unlink(missing_ok=True)
        raise DownloadBroke(f"{type(exc).__name__}: {exc}"[:200]) from None
    finally:
        connection.close()
    return target


def _connection(parts: urllib.parse.SplitResult) -> http.client.HTTPConnection:
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme != "https":
        return http.client.HTTPConnection(host, port, timeout=CONNECT_SECONDS)
    return http.client.HTTPSConnection(host, port, timeout=CONNECT_SECONDS, context=_tls_context())


def _tls_context() -> ssl.SSLContext:
    """Certificates checked, as on gradio's own requests to an https server."""
    try:
        import certifi  # the same certificates httpx (gradio's requests) trusts

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def _save(response: http.client.HTTPResponse, target: Path) -> int:
    buffer = bytearray(READ_BYTES)
    view = memoryview(buffer)
    total = 0
    with target.open("wb") as handle:
        while read := response.readinto(buffer):
            handle.write(view[:read])
            total += read
    return total
