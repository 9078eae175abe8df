"""The wire contract between Wan2GPClient and the Director server: endpoint names, error envelope.

Typed errors cross the wire inside gradio's error message as `BMD-ERROR:{json}`, so the client
raises the same error class the server raised (gr.Error only carries a string).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import DirectorError, ServerReplyError, from_wire

GENERATE = "/generate"
CANCEL = "/cancel"
SERVER_STATUS = "/server_status"
MODELS = "/models"
MODEL_DEFAULTS = "/model_defaults"
LORAS = "/loras"
JOBS = "/jobs"
JOB_RESULT = "/job_result"  # how a job stands by id, with its clip when finished (reattach, no re-render)
REQUIRED_ENDPOINTS = (GENERATE, CANCEL, SERVER_STATUS, MODELS, MODEL_DEFAULTS, LORAS, JOBS, JOB_RESULT)

# /generate's media upload slots, in order after the request JSON
MEDIA_SLOTS = ("image_start", "image_end", "video_source", "video_guide", "image_refs", "video_mask", "image_guide",
               "image_mask", "audio_guide")  # common/enums.py MediaInput, in this order
MORE_REFERENCES_SLOT = "image_refs_more"  # further reference images (several files), after the media slots
GENERATE_WITH_REFERENCES = "/generate_refs"  # /generate plus that last upload: used when there are more references
FINISH = "/finish"  # upscale, smooth or give sound to an uploaded clip (common/finishing.py); not required

ERROR_PREFIX = "BMD-ERROR:"

# who is calling: every call of a Director client carries this header with its random client id;
# the server shows and cancels only that client's jobs (common/protocol.py CLIENT_ID_PATTERN)
CLIENT_ID_HEADER = "X-BMD-Client"
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def new_client_id() -> str:
    """A fresh random client identity (one per add-on session, CLI run or script)."""
    import secrets

    return secrets.token_hex(16)


def encode_error(error: DirectorError) -> str:
    return ERROR_PREFIX + json.dumps(error.to_dict())


def decode_error(message: str, job_id: str = "") -> DirectorError | None:
    """The typed error inside a gradio error message, or None if it is not one of ours."""
    start = message.find(ERROR_PREFIX)
    if start < 0:
        return None
    try:
        data: dict[str, Any] = json.loads(message[start + len(ERROR_PREFIX):])
    except json.JSONDecodeError:
        return ServerReplyError(f"unreadable error envelope: {message[:200]}")
    return from_wire(data, job_id)
