"""gradio's own three refusals, made here first, in our typed error form: a raw caller reads them too.

gradio checks a queued call's number of inputs, that every file it names was uploaded to it, and the
upload size cap, before the Director server's code runs, and answers each in its own words (untyped
for a caller without our client). This ASGI middleware, ahead of gradio's routes, makes the same
checks and refuses with an HTTP status and a body carrying protocol.encode_error:
- POST …/queue/join: its JSON body is read (at most JOIN_MAX_BYTES: a call carries text and file
  references, never media; beyond it HTTP 413), the
  endpoint looked up in the app's own table by fn_index, and the call refused (HTTP 422) unless it
  sends one value for each input and every file in it lies in gradio's upload folder (the field is
  the slot's name). A call that passes goes on to gradio with its body untouched.
- POST …/upload: a body larger than the cap (its Content-Length) is refused with HTTP 413 before
  gradio stores any of it; a 413 gradio makes itself (a body sent without a length) is retyped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..common.errors import DirectorError, InvalidRequestError, InvalidSettingsError
from .asgi_refusal import Receive, Scope, Send, send_refusal

JOIN_SUFFIX, UPLOAD_SUFFIX = "/queue/join", "/upload"
UPLOAD_FIELD = "upload"  # the slot is not known at upload: the client names it (client/gradio_refusals.py)
JOIN_MAX_BYTES = 1024**2  # a queued call carries text and file references, never media: held in memory while checked
MULTIPART_ALLOWANCE = 64 * 1024  # an upload's form boundaries and headers around the file itself
REQUEST_SLOT = "in"  # the label of the request text's input: its field is `request`
SLOT_FIELDS = {REQUEST_SLOT: "request", "finish_source": "finish.source"}  # labels that differ from the field


class RequestGuardMiddleware:
    """ASGI middleware: a queued call's inputs and files, and an upload's size, checked before gradio."""

    def __init__(self, app: Any, blocks: Any, upload_root: Path, max_bytes: int) -> None:
        self.app, self.blocks, self.max_bytes = app, blocks, max_bytes
        self.upload_root = Path(upload_root).resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope.get("type") == "http" and scope.get("method") == "POST":
            if path.endswith(JOIN_SUFFIX):
                return await self._join(scope, receive, send)
            if path.endswith(UPLOAD_SUFFIX):
                return await self._upload(scope, receive, send)
        await self.app(scope, receive, send)

    # ------------------------------------------------------------ queue/join

    async def _join(self, scope: Scope, receive: Receive, send: Send) -> None:
        cap = min(self.max_bytes, JOIN_MAX_BYTES)
        too_big = InvalidRequestError(
            "request", f"the call is larger than the server's cap for a call ({cap / 1024**2:.0f} MB)",
            hint="media go as uploads, not inside the call; a Director client never sends this much")
        if (_content_length(scope) or 0) > cap:
            await _drain(receive)
            return await send_refusal(send, 413, too_big)
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > cap:
                await _drain(receive)
                return await send_refusal(send, 413, too_big)
            if not message.get("more_body", False):
                break
        error = self.check_join(bytes(body))
        if error is not None:
            return await send_refusal(send, 422, error)
        await self.app(scope, _replay(bytes(body), receive), send)

    def check_join(self, body: bytes) -> DirectorError | None:
        """Our error for a queued call gradio would refuse itself, or None to let it through."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return InvalidRequestError("request", "the call is not JSON", hint="send gradio's queue/join body")
        if not isinstance(payload, dict):
            return InvalidRequestError("request", "the call is not a JSON object", hint="send gradio's queue/join body")
        fn_index = payload.get("fn_index")
        fn = self._fns().get(fn_index) if isinstance(fn_index, int) and not isinstance(fn_index, bool) else None
        if fn is None:
            return InvalidRequestError("fn_index", "names no endpoint of this server",
                                       hint="read the endpoints' fn_index from the server's /config")
        data, inputs = payload.get("data"), list(fn.inputs)
        endpoint = f"/{fn.api_name}" if getattr(fn, "api_name", None) else f"endpoint {fn_index}"
        if not isinstance(data, list) or len(data) != len(inputs):
            sent = f"{len(data)}" if isinstance(data, list) else "no list of"
            return InvalidRequestError(
                "request", f"the server's {endpoint} takes {len(inputs)} inputs; the call sent {sent}",
                hint="the add-on and the server are different versions: update both to the same version")
        for index, (value, component) in enumerate(zip(data, inputs, strict=True)):
            for item in value if isinstance(value, list) else [value]:
                if _is_file(item) and not self._uploaded(item.get("path")):
                    return InvalidSettingsError(
                        _slot_field(component, index),
                        "names a file the server was not sent: media go as uploads, never as a path on the server",
                        hint="choose the file again so that it is uploaded; if it was, the server deleted it: Retry")
        return None

    def _fns(self) -> Mapping[Any, Any]:
        fns = getattr(self.blocks, "fns", None)
        return fns if isinstance(fns, Mapping) else dict(enumerate(fns or []))

    def _uploaded(self, path: Any) -> bool:
        if not isinstance(path, str) or not path:
            return False
        try:
            resolved = Path(path).resolve()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            return False
        return self.upload_root in resolved.parents

    # ------------------------------------------------------------ upload

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (_content_length(scope) or 0) > self.max_bytes + MULTIPART_ALLOWANCE:
            await _drain(receive)  # read, not kept: the caller is still sending it and must get the answer
            return await send_refusal(send, 413, self._over_cap())
        retyped = False

        async def send_typed(message: Any) -> None:
            nonlocal retyped
            if message["type"] == "http.response.start" and message.get("status") == 413:
                retyped = True
            elif not retyped:
                await send(message)
            elif not message.get("more_body", False):
                await send_refusal(send, 413, self._over_cap())

        await self.app(scope, receive, send_typed)

    def _over_cap(self) -> InvalidSettingsError:
        return InvalidSettingsError(
            UPLOAD_FIELD, f"is larger than the server's upload cap ({self._cap_mb()})",
            hint="use a smaller or shorter file, or start the server with a larger --max-upload-mb")

    def _cap_mb(self) -> str:
        return f"{self.max_bytes / 1024**2:.0f} MB"


def _is_file(item: Any) -> bool:
    """gradio's FileData (or a bare file dict of older clients): what gradio would read from disk."""
    if not isinstance(item, dict):
        return False
    meta = item.get("meta")
    return "path" in item or "url" in item or (isinstance(meta, dict) and meta.get("_type") == "gradio.FileData")


def _slot_field(component: Any, index: int) -> str:
    label = str(getattr(component, "label", "") or f"input {index}")
    return SLOT_FIELDS.get(label, label)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then whatever the connection says next."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
