"""Every request the Director server gets is checked here, with the client's own typed rules.

The server trusts no client: a request may come from Wan2GPClient (which already checked it), from
an older or newer client, or from anyone posting to gradio's HTTP API. Settings are parsed by
common/settings.py (`parse_settings`, `resolved_for`) and common/extra_settings.py, the same code the
client runs before sending, so a refusal reads the same from either side:
- InvalidSettingsError: something about what to generate (names the settings field);
- InvalidRequestError: the request itself (job_id, api_version, simulation, a media upload, the
  client id, a job that is not the caller's).
ServerReplyError stays for replies a client cannot read; nothing here raises it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..common.enums import MediaInput
from ..common.errors import InvalidRequestError, InvalidSettingsError
from ..common.extra_settings import check_extra_keys
from ..common.messages import API_VERSION, JOB_ID_PATTERN, GenerateRequest
from ..common.settings import GenerationSettings, parse_settings
from .engines import Engine

MAX_REQUEST_CHARS = 256_000  # a request at every field's limit is ~60 KB of JSON
MAX_MODEL_TYPE_CHARS = 200
_REQUEST_FIELDS = ", ".join(GenerateRequest.model_fields)
UPDATE_HINT = "update the add-on (or the client) and the server to the same version"


def parse_generate_request(text: Any) -> GenerateRequest:
    """The /generate request JSON, or a typed error naming the field."""
    if not isinstance(text, str):
        raise InvalidRequestError("request", f"must be the JSON text of a generate request, not {type(text).__name__}",
                                  hint=UPDATE_HINT)
    if len(text) > MAX_REQUEST_CHARS:
        raise InvalidRequestError("request", f"is {len(text)} characters; the limit is {MAX_REQUEST_CHARS}",
                                  hint="shorten the prompt or the extra settings")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError("request", f"is not JSON ({str(exc)[:120]})", hint=UPDATE_HINT) from None
    if not isinstance(data, dict):
        raise InvalidRequestError("request", f"must be a JSON object, not {type(data).__name__}", hint=UPDATE_HINT)
    version = data.get("api_version", API_VERSION)
    if not isinstance(version, str) or version.split(".")[0] != API_VERSION.split(".")[0]:
        raise InvalidRequestError("api_version", f"the client speaks API {str(version)[:20]!r}, this server "
                                  f"speaks {API_VERSION}", hint=UPDATE_HINT)
    settings = data.get("settings")
    if isinstance(settings, dict):
        for media in MediaInput:  # media are uploads in their own slots, never paths in the request
            if settings.get(media.value) is not None:
                raise InvalidSettingsError(media.value, "a path in the request is refused: send the file as an "
                                           f"upload in the {media.value} slot",
                                           hint="Wan2GPClient.submit() uploads the files you name")
        parse_settings(settings)  # the client's own rules: InvalidSettingsError naming the field
    try:
        return GenerateRequest.model_validate(data)
    except ValidationError as exc:
        raise request_error_from(exc) from None


def request_error_from(exc: ValidationError) -> InvalidRequestError | InvalidSettingsError:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if loc and loc[0] == "settings" and len(loc) > 1:
        return InvalidSettingsError(".".join(loc[1:]), message)
    if first["type"] == "extra_forbidden":
        message = f"is not a field of a generate request (it has {_REQUEST_FIELDS})"
    if loc == ["job_id"]:
        message += ": a job id is 8–64 letters, digits, - or _"
    return InvalidRequestError(".".join(loc) or "request", message, hint=UPDATE_HINT)


def check_job_id(value: Any) -> str:
    """A job id as /cancel takes it (the same rule as GenerateRequest.job_id)."""
    if not isinstance(value, str) or not re.fullmatch(JOB_ID_PATTERN, value):
        shown = f"{value[:40]!r}{'…' if len(value) > 40 else ''}" if isinstance(value, str) else type(value).__name__
        raise InvalidRequestError("job_id", f"{shown} is not a job id (8–64 letters, digits, - or _)",
                                  hint="cancel with the id submit() gave the job")
    return value


def check_model_type(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_MODEL_TYPE_CHARS:
        raise InvalidSettingsError("model_type", "give a model id from the models list",
                                   hint="list them with list_models() or `python -m blender_movie_director models`")
    return value


def check_test_controls(request: GenerateRequest, allowed: bool) -> None:
    """Fault injection and pacing (`simulation`) only on a server started for tests."""
    if request.simulation is not None and not allowed:
        raise InvalidRequestError(
            "simulation", "fault injection and test pacing are refused: this server was not started for tests",
            hint="leave `simulation` out; test suites start their server with --allow-test-controls")


def resolve_settings(request: GenerateRequest, engine: Engine, media: dict[MediaInput, Path]) -> GenerationSettings:
    """The request's settings checked against its model (frames, resolution, media slots, extra keys,
    LoRAs) and filled with the model's defaults, with the uploads in their slots."""
    settings = request.settings
    model = engine.model(check_model_type(settings.model_type))
    if settings.extra:
        check_extra_keys(settings.extra, engine.extra_keys(model.id), model.id)
    resolved = settings.model_copy(update={m.value: media.get(m) for m in MediaInput}).resolved_for(model)
    if resolved.activated_loras:
        known = set(engine.loras(model.id).loras)
        unknown = [name for name in resolved.activated_loras if name not in known]
        if unknown:
            raise InvalidSettingsError("activated_loras", f"not on this server: {', '.join(n[:60] for n in unknown[:5])}",
                                       hint="list them with list_loras(model_type)")
    return resolved
