"""ServerConnection: one connection to one Director server — connect and check its API, close, and
the small idempotent calls (typed errors, a bounded wait, a retry or two). Wan2GPClient builds on it."""

from __future__ import annotations

import concurrent.futures
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel

from ..common import hints, protocol
from ..common.addresses import DEFAULT_URL, credentials_from_env
from ..common.errors import (
    ApiMismatchError,
    InvalidRequestError,
    LoginError,
    ServerReplyError,
    ServerUnavailableError,
)
from ..common.messages import API_VERSION, ServerStatus
from ..common.model_info import ModelInfo
from .clip_download import download_file, file_url
from .clip_store import remove_download_folder
from .gradio_refusals import typed_error_of
from .transport import is_transport_error, open_gradio_client, probe, quick_status

SMALL_CALL_TIMEOUT = 15.0  # status, models, cancel: answers in milliseconds on a healthy server
RETRY_PAUSES = (0.2, 0.6)  # seconds before the 2nd and 3rd try of a small call


class ServerConnection:
    """One connection to one Director server. Construction does no I/O; `connect()` does."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        output_dir: str | Path | None = None,
        connect_timeout: float = 2.0,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        client_id: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.output_dir = Path(output_dir) if output_dir else Path.cwd() / "director_clips"
        self.connect_timeout = connect_timeout
        self._auth = auth or credentials_from_env()
        # who this client is to the server (its jobs are its own): random unless the caller keeps one,
        # e.g. an add-on session that reconnects, or a journal that follows its jobs after a restart
        self.client_id = client_id or protocol.new_client_id()
        if not re.fullmatch(protocol.CLIENT_ID_PATTERN, self.client_id):
            raise InvalidRequestError("client_id", "must be 16–64 letters, digits, - or _")
        self._user_headers = headers
        self._headers = {**(headers or {}), protocol.CLIENT_ID_HEADER: self.client_id}
        self._status: ServerStatus | None = None
        self._gradio: Any = None
        self._download_dir: str | None = None
        self._models: dict[str, ModelInfo] | None = None
        self._quick_status = True  # the server answers /server_status to a plain POST (until it does not)

    def __enter__(self) -> Self:
        if not self.connected:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {'connected' if self.connected else 'not connected'}>"

    # ------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        return self._gradio is not None

    def connect(self) -> ServerStatus:
        """Probe the server fast, open the job connection, check the API. Returns its status."""
        # one plain request is both the fast probe and the status (a login goes the long way: gradio logs in)
        quick = quick_status(self.url, self.connect_timeout, self._headers) if self._auth is None else None
        if quick is None:
            answered = probe(self.url, self.connect_timeout,
                             logged_in=self._auth is not None or bool(self._user_headers))
            if self._auth is not None and answered < 400:
                raise LoginError(self.url, "This server has no login, but a user and password were given",
                                 hint=hints.hint("no_login"))
        self._download_dir = tempfile.mkdtemp(prefix="bmd-download-")
        self._gradio = open_gradio_client(self.url, auth=self._auth, headers=self._headers)
        try:
            named = set(self._gradio.view_api(print_info=False, return_format="dict")["named_endpoints"])
            missing = [e for e in protocol.REQUIRED_ENDPOINTS if e not in named]
            if missing:
                looks_like = " (it looks like Wan2GP's own web UI)" if "/process_tasks" in named else ""
                raise ApiMismatchError(self.url, f"missing endpoints {', '.join(missing)}{looks_like}")
            status = self._status = (parse_reply(ServerStatus, json_or_none(quick), protocol.SERVER_STATUS)
                                     if quick is not None else self.server_status())
            if status.api_version.split(".")[0] != API_VERSION.split(".")[0]:
                raise ApiMismatchError(self.url, f"server API {status.api_version}, this client needs {API_VERSION}")
        except BaseException:
            self.close()
            raise
        return status

    def close(self) -> None:
        """Stop the connection's background threads and remove its download folder."""
        gradio, self._gradio = self._gradio, None
        if gradio is not None:
            try:
                gradio.close()
            except Exception:  # closing a client to a dead server is not worth an error
                pass
        if self._download_dir:
            remove_download_folder(Path(self._download_dir))  # a clip no folder could take stays (told where)
            self._download_dir = None

    def is_alive(self, timeout: float | None = None) -> bool:
        """A fresh health probe (a separate short request; never waits behind jobs)."""
        try:
            probe(self.url, timeout or self.connect_timeout, logged_in=True)  # any HTTP answer is alive
        except ServerUnavailableError:
            return False
        return True

    def _require(self) -> Any:
        if self._gradio is None:
            self.connect()
        return self._gradio

    def _call(self, endpoint: str, *args: Any) -> str:
        """A small, idempotent endpoint: typed errors, a bounded wait, and a retry or two with
        backoff when the connection drops (never used for /generate: that would make a second clip)."""
        for _attempt, pause in enumerate((*RETRY_PAUSES, None)):
            try:
                return self._call_once(endpoint, *args)
            except ServerUnavailableError:
                if pause is None:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _call_once(self, endpoint: str, *args: Any) -> str:
        import httpx
        from gradio_client.exceptions import AppError

        job = self._require().submit(*args, api_name=endpoint)
        try:
            return job.result(timeout=SMALL_CALL_TIMEOUT)
        except TimeoutError:
            raise ServerUnavailableError(self.url, f"{endpoint} did not answer within {SMALL_CALL_TIMEOUT:g} s",
                                         hint="the server is hung or overloaded: restart it") from None
        except AppError as exc:
            raise typed_error_of(exc, endpoint=endpoint) or ServerReplyError(f"{endpoint}: {exc}") from None
        except Exception as exc:
            typed = typed_error_of(exc, endpoint=endpoint) if isinstance(exc, httpx.HTTPStatusError) else None
            if typed is not None:  # refused before the endpoint ran (e.g. too many calls: HTTP 429)
                raise typed from None
            if is_transport_error(exc) or isinstance(exc, (KeyError, concurrent.futures.CancelledError)):
                raise ServerUnavailableError(self.url, f"{type(exc).__name__} during {endpoint}") from None
            raise

    def fetch_file(self, file_out: Any) -> Path:
        """Download a file a job returned (gradio's file reply) into this connection's download folder;
        raises DownloadBroke (client/clip_download.py) when it does not arrive whole."""
        gradio = self._require()
        assert self._download_dir is not None
        url = file_url(file_out, getattr(gradio, "src_prefixed", f"{self.url}/gradio_api/"))
        return download_file(url, Path(self._download_dir), headers={**gradio.headers},
                             cookies=dict(getattr(gradio, "cookies", None) or {}))

    def _call_json(self, endpoint: str, *args: Any) -> Any:
        text = self._call(endpoint, *args)
        try:
            return json.loads(text)
        except (TypeError, json.JSONDecodeError):
            raise ServerReplyError(f"{endpoint} returned non-JSON: {str(text)[:200]}") from None

    # ------------------------------------------------------------ discovery

    def server_status(self) -> ServerStatus:
        """One plain request where the server offers it (a few ms), else a queued call (gradio_client
        collects those in 50 ms polls: a job manager's worker waited ~100 ms on each)."""
        if self._auth is None and self._quick_status:
            text = quick_status(self.url, SMALL_CALL_TIMEOUT, self._headers)
            if text is not None:
                return parse_reply(ServerStatus, json_or_none(text), protocol.SERVER_STATUS)
            self._quick_status = False  # not offered (an older server): the queued call from now on
        return parse_reply(ServerStatus, self._call_json(protocol.SERVER_STATUS), protocol.SERVER_STATUS)


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def parse_reply(model: type[BaseModel], data: Any, endpoint: str) -> Any:
    """A server's answer as `model`, or ServerReplyError naming the endpoint."""
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise ServerReplyError(f"{endpoint}: {str(exc)[:300]}") from None
