"""/finish: upscale, smooth or give sound to a clip the client uploads. A job like a generation.

The request is a generate request (common/messages.py GenerateRequest) whose settings carry a
`finish` spec (common/finishing.py) and describe the clip being finished; the clip travels as the one
upload. The job shares the server's GPU lock, registry (so /cancel, /jobs and /job_result know it) and
result shelf with /generate, reports the same progress, and replies like /generate: the file and a
GenerateReply describing it. The engine's finisher does the work: Wan2GP's late post-processing
(engines/wangp_finish.py) or the simulated one (engines/simulated_finish.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from ..common import protocol
from ..common.enums import EngineName, MediaInput
from ..common.errors import (
    InvalidRequestError,
    InvalidSettingsError,
)
from ..common.messages import GenerateRequest
from ..common.settings import GenerationSettings, SimulationOptions
from .engines import EngineJob
from .engines.media_probe import IMAGE_SUFFIXES
from .gpu_job import Admitted
from .uploads import check_upload
from .validation import check_test_controls, parse_generate_request

log = logging.getLogger("bmd.server")


class Finisher(Protocol):
    def submit(self, job_id: str, settings: GenerationSettings, source: Path, output_dir: Path,
               simulation: SimulationOptions | None) -> EngineJob: ...


def finisher_for(engine: Any) -> Finisher:
    """The engine's way of finishing clips."""
    if engine.name is EngineName.WANGP:
        from .engines.wangp_finish import WanGPFinisher

        return WanGPFinisher(engine)
    from .engines.simulated_finish import SimulatedFinisher

    return SimulatedFinisher(getattr(engine, "step_seconds", 0.05), getattr(engine, "load_seconds", 0.3))


class FinishService:
    """/finish, bound to the app's DirectorService (its engine, registry, results, uploads and limits)."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.finisher = finisher_for(service.engine)

    def finish(self, request: str, source: str | None = None,
               progress: gr.Progress = gr.Progress(),  # noqa: B008 - gradio's injection idiom
               caller: gr.Request | None = None) -> tuple[str, str]:
        service = self.service

        def admit(holder: str) -> Admitted:
            parsed = check_finish_request(parse_generate_request(request))
            check_test_controls(parsed, service.allow_test_controls)
            clip = self._source(source)
            service.uploads.hold(holder, [clip])
            settings = parsed.settings
            operation = settings.finish.operation.value if settings.finish else "finish"

            def start(job_id: str) -> EngineJob:
                job = self.finisher.submit(job_id, settings, clip, service.output_dir, parsed.simulation)
                service.registry.start(job_id, operation, 0, job)
                log.info("job %s started: %s of %s", job_id, operation,
                         settings.finish.source_name if settings.finish else "?")
                return job

            return Admitted(parsed.job_id, settings, operation, start)

        return service.submitted("finish", admit, caller, progress)

    def _source(self, value: Any) -> Path:
        if value is None or value == "":
            raise InvalidSettingsError("finish.source", "no clip was uploaded", hint="send the clip to finish")
        if not isinstance(value, str):
            raise InvalidRequestError("finish.source", "must be an uploaded file")
        path = Path(value)
        slot = MediaInput.IMAGE_START if path.suffix.lower() in IMAGE_SUFFIXES else MediaInput.VIDEO_SOURCE
        try:
            check_upload(slot, path, self.service.limits, self.service.upload_root)
        except InvalidSettingsError as error:
            raise InvalidSettingsError("finish.source", error.message.removeprefix(f"{slot.value}: "),
                                       hint=error.hint) from None
        return path


def check_finish_request(request: GenerateRequest) -> GenerateRequest:
    """A finish request names what to do and carries no path: the clip is the upload."""
    settings = request.settings
    if settings.finish is None:
        raise InvalidSettingsError("finish", "a finish request says what to do (upscale, smooth, add_sound)",
                                   hint="use Wan2GPClient.submit() with settings that carry a finish spec")
    if settings.finish.source is not None or settings.reference_images() or settings.media():
        raise InvalidSettingsError("finish.source", "a path in the request is refused: the clip goes as the upload",
                                   hint="Wan2GPClient.submit() uploads the clip you name")
    return request


def register(service: Any, trigger: Any, text_in: Any, video: Any, text_out: Any) -> gr.File:
    """Add /finish to the app: the request, the clip, on the GPU's queue (one job at a time with /generate)."""
    finisher = FinishService(service)
    source = gr.File(visible=False, label="finish_source", type="filepath")
    trigger.click(finisher.finish, [text_in, source], [video, text_out], api_name=protocol.FINISH.strip("/"),
                  concurrency_limit=1, concurrency_id="gpu")
    return source
