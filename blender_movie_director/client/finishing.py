"""Sending a finishing job to the server's /finish: the clip as the upload, the spec in the settings.

    with Wan2GPClient(url) as client:
        job = client.submit(finish_settings("clip.mp4", FinishOperation.UPSCALE, scale=2))
        upscaled = job.result(timeout=600)

The job handle is a GenerationJob like any other: status(), result(), cancel() (the server stops).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..common import protocol
from ..common.enums import MediaInput
from ..common.errors import ApiMismatchError, InvalidSettingsError
from ..common.finishing import FinishOperation, FinishSpec
from ..common.media_check import check_media_file
from ..common.settings import GenerationSettings, SimulationOptions
from .job import GenerationJob

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def finish_settings(source: str | Path, operation: FinishOperation | str, *, like: GenerationSettings | None = None,
                    **options: Any) -> GenerationSettings:
    """Settings for finishing the clip at `source`: those of the clip (`like`, e.g. from its sidecar; its
    own media stay in the record but never travel: only the clip is uploaded) when known, else a plain
    description of it; `options` are FinishSpec's (scale, upscaler, fps, sound_prompt, source_job_id …)."""
    path = Path(source)
    spec = FinishSpec(operation=FinishOperation(operation), source=path, source_name=path.name, **options)
    if like is None:
        like = GenerationSettings(model_type="clip", prompt=path.stem or "clip")
    return like.model_copy(update={"finish": spec})


def submit_finish(client: Any, settings: GenerationSettings, *, output_dir: Path,
                  simulation: SimulationOptions | Mapping[str, Any] | None, job_id: str) -> GenerationJob:
    """Check the spec and the clip, upload the clip to /finish; returns at once. `client` is the
    Wan2GPClient sending it."""
    from gradio_client import handle_file

    spec = settings.finish
    if spec is None or spec.source is None:
        raise InvalidSettingsError("finish.source", "name the clip to finish", hint="finish_settings(path, …)")
    source = Path(spec.source)
    limit = client._status.max_upload_bytes if client._status else None
    slot = MediaInput.IMAGE_START if source.suffix.lower() in IMAGE_SUFFIXES else MediaInput.VIDEO_SOURCE
    if slot is MediaInput.IMAGE_START and spec.operation is not FinishOperation.UPSCALE:
        raise InvalidSettingsError("finish.operation", f"{spec.operation.label} needs a video; {source.name} is a "
                                   "still", hint="upscale a still; smooth a video or give it sound")
    try:
        check_media_file(slot, source, max_bytes=limit)
    except InvalidSettingsError as error:
        raise InvalidSettingsError("finish.source", error.message.removeprefix(f"{slot.value}: "),
                                   hint=error.hint) from None
    request = client._request(settings.without_media(), job_id, simulation)
    try:
        gradio_job = client._require().submit(request.model_dump_json(), handle_file(str(source)),
                                              api_name=protocol.FINISH)
    except ValueError as exc:  # "Cannot find a function with api_name: /finish": an older server
        raise ApiMismatchError(client.url, f"the server cannot finish clips ({str(exc)[:80]})",
                               hint="update the server to this add-on's version") from None
    return GenerationJob(client, job_id, settings, gradio_job, output_dir)
