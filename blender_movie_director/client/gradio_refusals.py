"""gradio's own refusals, made before the Director server's code runs, as our typed errors.

A current server makes these checks itself first and answers in our typed form
(server/request_guard.py); this reading stays for older servers and for gradio_client's own check.

gradio checks three things itself: the number of inputs an endpoint gets, that every file it is
given was uploaded to it (not a path of the server's disk), and the upload size cap (HTTP 413 at
upload, or gradio_client's own check first). Their words differ a little between gradio 5, 6 and
gradio_client, so each is matched on a short phrase; anything else is not one of these (None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..common import protocol
from ..common.errors import DirectorError, InvalidRequestError, InvalidSettingsError

ARGUMENT_COUNT = ("didn't receive enough input values",)  # gradio_client pads a short call: a raw or stale caller
NOT_UPLOADED = ("was not uploaded by a user", "is not in the upload folder")
OVER_CAP = ("maximum allowed size", "exceeds the maximum file size")
UPLOAD_FIELD = "upload"  # the field of a server's own refusal of an upload (server/request_guard.py)


def typed_error_of(exc: BaseException, files: Mapping[str, str] | None = None, *, endpoint: str = "",
                   job_id: str = "") -> DirectorError | None:
    """Our typed error in what gradio_client raised: the server's own (in gradio's error message, or
    the body of an HTTP refusal such as 429), else one of gradio's refusals; None for anything else."""
    response = getattr(exc, "response", None)
    text = str(exc)
    try:
        text += "\n" + str(response.text) if response is not None else ""
    except Exception:  # a streamed response not read: its status is enough
        pass
    ours = protocol.decode_error(text, job_id)
    if isinstance(ours, InvalidSettingsError) and ours.field == UPLOAD_FIELD and files:
        # the server refuses an upload before it knows the slot; the client knows which file it sent
        slot = _slot_in(text, files, default=UPLOAD_FIELD)
        return InvalidSettingsError(slot, ours.message.removeprefix(f"{UPLOAD_FIELD}: "), hint=ours.hint)
    return ours or typed_refusal(text, files, endpoint=endpoint, status_code=getattr(response, "status_code", None))


def typed_refusal(message: str, files: Mapping[str, str] | None = None, *, endpoint: str = "",
                  status_code: int | None = None) -> DirectorError | None:
    """Our error for one of gradio's refusals (`files`: slot → the path sent in it, to name the
    field), or None when `message` is not one of them."""
    files = files or {}
    if any(phrase in message for phrase in ARGUMENT_COUNT):
        return InvalidRequestError(
            "request", f"the server's {endpoint or 'endpoint'} takes a different number of inputs than was sent",
            hint="the add-on and the server are different versions: update both to the same version")
    if any(phrase in message for phrase in NOT_UPLOADED):
        return InvalidSettingsError(
            _slot_in(message, files, default="media"),
            "names a file the server was not sent: media go as uploads, never as a path on the server",
            hint="choose the file again so that it is uploaded; if it was, the server deleted it: Retry")
    if status_code == 413 or any(phrase in message for phrase in OVER_CAP):
        cap = re.search(r"(?:size of|allowed size of)\s+(\d+)\s*bytes", message)
        size = f" ({int(cap.group(1)) / 1024**2:.0f} MB)" if cap else ""
        return InvalidSettingsError(
            _slot_in(message, files, default="media"), f"is larger than the server's upload cap{size}",
            hint="use a smaller or shorter file, or start the server with a larger --max-upload-mb")
    return None


def _slot_in(message: str, files: Mapping[str, str], *, default: str) -> str:
    """The slot whose file the message names (its path, its name or the slot's label), else `default`."""
    for slot, path in files.items():
        if path and path in message:
            return slot
    for slot in files:
        if re.search(rf"\b{re.escape(slot)}\b", message):
            return slot
    return next(iter(files)) if len(files) == 1 else default
